"""The generic record activities in workflows on devhost: concurrent updates at one version and
a compensated create, through the real activities, interpreter and app database."""

from __future__ import annotations

import json
import uuid
from typing import Any

from device_support import DeviceApp


def define(app: DeviceApp, definition: dict[str, Any]) -> None:
    path = app.folder / "workflows" / f"{definition['name']}.json"
    path.write_text(json.dumps(definition), encoding="utf-8")


def ids(step: str) -> dict[str, str]:
    return {"instanceId.$": "$.system.instanceId", "step": step}


def updater(by: str) -> dict[str, Any]:
    return {
        "startAt": "Update",
        "states": {
            "Update": {
                "type": "task",
                "activity": "update_record",
                "input": {
                    "collection": "race",
                    "key.$": "$.input.key",
                    "body": {"by": by},
                    "expectedVersion.$": "$.state.created.version",
                    **ids(f"By{by}"),
                },
                "resultPath": "$.state.won",
                "end": True,
                "catch": [
                    {
                        "errors": ["Record.VersionConflict"],
                        "next": "Lost",
                        "resultPath": "$.state.lost",
                    }
                ],
            },
            "Lost": {"type": "pass", "result": True, "resultPath": "$.state.conflict", "end": True},
        },
    }


def test_two_concurrent_updates_at_one_version_one_wins(app: DeviceApp) -> None:
    define(
        app,
        {
            "name": "records-race",
            "version": "1.0.0",
            "startAt": "Create",
            "states": {
                "Create": {
                    "type": "task",
                    "activity": "create_record",
                    "input": {
                        "collection": "race",
                        "key.$": "$.input.key",
                        "body": {"by": "none"},
                        **ids("Create"),
                    },
                    "resultPath": "$.state.created",
                    "next": "Race",
                },
                "Race": {
                    "type": "parallel",
                    "branches": [updater("a"), updater("b")],
                    "resultPath": "$.state.branches",
                    "next": "Read",
                },
                "Read": {
                    "type": "task",
                    "activity": "get_record",
                    "input": {"collection": "race", "key.$": "$.input.key"},
                    "resultPath": "$.state.final",
                    "end": True,
                },
            },
            "output": {"branches.$": "$.state.branches", "final.$": "$.state.final"},
        },
    )
    for _ in range(5):
        key = uuid.uuid4().hex
        iid = app.host.start_orchestration(
            "workflow", {"workflow": "records-race", "input": {"key": key}}
        )
        status = app.host.wait_for(iid)
        assert status["runtimeStatus"] == "Completed", status
        branches = status["output"]["branches"]
        winners = [b["won"] for b in branches if "won" in b]
        losers = [b["lost"] for b in branches if "lost" in b]
        assert len(winners) == 1, branches
        assert [lost["error"] for lost in losers] == ["Record.VersionConflict"]
        assert "expected version 1, but the record is at version 2" in losers[0]["cause"]
        final = status["output"]["final"]
        assert (final["version"], final["body"]) == (2, winners[0]["body"])


def test_a_compensated_create_leaves_no_row(app: DeviceApp) -> None:
    define(
        app,
        {
            "name": "records-undo",
            "version": "1.0.0",
            "startAt": "Create",
            "states": {
                "Create": {
                    "type": "task",
                    "activity": "create_record",
                    "input": {
                        "collection": "undo",
                        "key.$": "$.input.key",
                        "body": {"x": 1},
                        **ids("Create"),
                        "at.$": "$.system.now",
                    },
                    "resultPath": "$.state.created",
                    "compensate": {"activity": "revert_record", "input": ids("Create")},
                    "next": "Broken",
                },
                "Broken": {"type": "fail", "error": "Test.Broken", "cause": "after the create"},
            },
        },
    )
    key = uuid.uuid4().hex
    iid = app.host.start_orchestration(
        "workflow", {"workflow": "records-undo", "input": {"key": key}}
    )
    status = app.host.wait_for(iid)

    assert status["runtimeStatus"] == "Failed"
    assert status["output"].endswith("Test.Broken: after the create")
    assert status["customStatus"]["compensation"] == [
        {"state": "Create", "activity": "revert_record", "status": "compensated"}
    ]
    with app.db.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM records WHERE collection = 'undo' AND record_key = ?", (key,)
        ).scalar()
    assert rows == 0
