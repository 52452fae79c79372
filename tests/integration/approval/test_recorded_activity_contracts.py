"""Every activity input and result recorded on this host matches the activity's schema files.

Runs after the journeys of this package (files run in name order) and checks each instance the
package's host ran, so compensations and escalations are covered too; it runs two journeys of
its own so that it checks something when run alone.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from jsonschema import Draft202012Validator

from orchestration.activity_registry import default_registry, schema_errors

DANA, DEV, CASEY = "dana.steward@example.com", "dev.dba@example.com", "casey.compliance@example.com"


def _calls(journey: Any) -> list[tuple[str, str, Any, Any]]:
    """``(instance, activity, input, result)`` for every completed activity call."""
    store = journey.host.host.engine.store.conn()
    calls = []
    for (instance_id,) in store.execute("SELECT id FROM instances").fetchall():
        scheduled: dict[int, dict[str, Any]] = {}
        for event in journey.host.history(instance_id):
            if event["EventType"] == 4:
                scheduled[event["EventId"]] = event
            elif event["EventType"] == 5 and event.get("TaskScheduledId") in scheduled:
                task = scheduled[event["TaskScheduledId"]]
                calls.append(
                    (
                        instance_id,
                        task["Name"],
                        json.loads(task.get("Input") or "null"),
                        json.loads(event.get("Result") or "null"),
                    )
                )
    return calls


def test_every_recorded_input_and_result_matches_the_registry(journey: Any) -> None:
    approved = journey.submit(journey.message("tier2-table"))
    journey.decide(approved, DANA)
    journey.decide(approved, DEV)
    rejected = journey.submit(journey.message("tier3-personal"))
    journey.decide(rejected, CASEY, "reject", "no")
    assert journey.host.wait_for(approved)["output"]["status"] == "Approved"
    assert journey.host.wait_for(rejected)["output"]["status"] == "Rejected"

    registry = default_registry()
    seen: Counter[str] = Counter()
    problems = []
    for instance_id, name, given, result in _calls(journey):
        entry = registry.get(name)
        assert entry is not None, f"{name} has no schema file"
        seen[name] += 1
        for kind, schema, value in (
            ("input", entry.input, given),
            ("output", entry.output, result),
        ):
            for field, message in schema_errors(Draft202012Validator(schema), value):
                problems.append(f"{instance_id} {name} {kind} {field}: {message}")
    assert problems == []
    assert {
        "load_workflow_definition",
        "register_submission",
        "generate_draft",
        "assess_document",
        "notify_approvers",
        "count_vote",
        "generate_final",
        "file_to_library",
        "index_document",
        "finish_document",
        "remove_draft",
    } <= set(seen)
