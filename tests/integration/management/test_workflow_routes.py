"""Definitions through the API: list, read, validate, upload (201/200/409/422), and start."""

from __future__ import annotations

import copy
import json
from typing import Any

from mgmt_support import MgmtApp, header, new_id

REVIEW: dict[str, Any] = {
    "name": "review",
    "version": "1.0.0",
    "description": "An uploaded workflow: checks its input, waits for a verdict.",
    "input": {
        "type": "object",
        "required": ["title", "pages"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "pages": {"type": "integer", "minimum": 1},
        },
    },
    "startAt": "Await",
    "states": {
        "Await": {
            "type": "wait",
            "event": "verdict",
            "timeout": {"duration": "P1D"},
            "timeoutNext": "TooLate",
            "resultPath": "$.state.verdict",
            "next": "Decide",
        },
        "Decide": {
            "type": "choice",
            "choices": [
                {"when": {"path": "$.state.verdict.ok", "equals": True}, "next": "Accepted"}
            ],
            "default": "Refused",
        },
        "Accepted": {"type": "succeed", "output": {"title.$": "$.input.title", "ok": True}},
        "Refused": {"type": "succeed", "output": {"ok": False}},
        "TooLate": {"type": "fail", "error": "Review.Late", "cause": "no verdict in a day"},
    },
}


def _upload(mgmt: MgmtApp, document: dict[str, Any], name: str = "review") -> Any:
    return mgmt.call(
        "POST",
        f"workflows/{name}/versions",
        data=json.dumps(document),
        headers={"Content-Type": "application/json"},
    )


def test_upload_then_start_with_bad_then_good_input_runs_to_completed(mgmt: MgmtApp) -> None:
    created = _upload(mgmt, REVIEW)
    assert created.status == 201, created.text
    assert created.json()["created"] is True
    assert created.json()["location"].endswith("/review/1.0.0.json")

    bad = mgmt.call("POST", "workflows/review/instances", json={"title": "", "extra": 1})
    assert bad.status == 400, bad.text
    assert header(bad, "Content-Type").startswith("application/problem+json")
    assert {(e["field"], e["message"]) for e in bad.json()["errors"]} == {
        ("pages", "is required"),
        ("title", "'' should be non-empty"),
        ("(input)", "Additional properties are not allowed ('extra' was unexpected)"),
    }

    answer = mgmt.call(
        "POST",
        "workflows/review/instances",
        json={"title": "T", "pages": 3},
        params={"instanceId": new_id("review")},
    )
    assert answer.status == 202, answer.text
    started = answer.json()
    instance_id = started["instanceId"]
    assert started["version"] == "1.0.0" and started["hash"].startswith("sha256:")
    assert started["links"]["status"].endswith(f"/api/instances/{instance_id}")
    assert header(answer, "Location") == started["links"]["status"]
    assert all(
        "/runtime/webhooks" not in link and "durabletask" not in link
        for link in started["links"].values()
    )
    mgmt.host.wait_idle()
    view = mgmt.instance(instance_id)
    assert (view["workflow"], view["state"], view["waitingFor"]) == ("review", "Await", "verdict")
    assert view["deadline"] and view["input"] == {"title": "T", "pages": 3}

    raised = mgmt.call("POST", f"instances/{instance_id}/events/verdict", json={"ok": True})
    assert raised.status == 202, raised.text
    mgmt.host.wait_idle()
    view = mgmt.instance(instance_id)
    assert view["runtimeStatus"] == "Completed"
    assert view["output"] == {"title": "T", "ok": True}


def test_the_same_version_again_is_200_other_content_409(mgmt: MgmtApp) -> None:
    document = {**copy.deepcopy(REVIEW), "name": "review-twice"}
    assert _upload(mgmt, document, "review-twice").status == 201
    again = _upload(mgmt, json.loads(json.dumps(document, indent=4)), "review-twice")
    assert again.status == 200, again.text
    assert again.json()["created"] is False
    changed = {**document, "description": "changed"}
    conflict = _upload(mgmt, changed, "review-twice")
    assert conflict.status == 409, conflict.text
    assert "already exists with other content" in conflict.json()["detail"]
    folder_version = mgmt.call("GET", "workflows/quick").json()["definition"]
    assert _upload(mgmt, {**folder_version, "description": "other"}, "quick").status == 409


def test_a_definition_with_three_errors_gets_all_three_in_one_422(mgmt: MgmtApp) -> None:
    broken = copy.deepcopy(REVIEW)
    broken["name"] = "review-broken"
    broken["states"]["Await"]["resultPath"] = "$.input.verdict"  # resultPath.outside-state
    broken["states"]["Accepted"]["output"] = {"title.$": "$$["}  # path.invalid
    broken["states"]["Orphan"] = {"type": "succeed"}  # state.unreachable
    answer = _upload(mgmt, broken, "review-broken")

    assert answer.status == 422, answer.text
    assert header(answer, "Content-Type").startswith("application/problem+json")
    codes = sorted(d["code"] for d in answer.json()["diagnostics"] if d["severity"] == "error")
    assert codes == ["path.invalid", "resultPath.outside-state", "state.unreachable"]
    assert mgmt.call("GET", "workflows/review-broken").status == 404  # nothing stored


def test_upload_checks_the_name_unknown_activities_and_constant_inputs(mgmt: MgmtApp) -> None:
    document = {
        "name": "uses-activities",
        "version": "1.0.0",
        "startAt": "A",
        "states": {
            "A": {"type": "task", "activity": "remove_drafts", "input": {}, "next": "B"},
            "B": {
                "type": "task",
                "activity": "remove_draft",
                "input": {"documentId": 1},
                "end": True,
            },
        },
    }
    answer = _upload(mgmt, document, "other-name")
    assert answer.status == 422
    found = {(d["code"], d["pointer"]) for d in answer.json()["diagnostics"]}
    assert ("activity.unknown", "/states/A/activity") in found
    assert ("activity.input-invalid", "/states/B/input") in found
    assert ("schema.violation", "/name") in found


def test_validate_answers_diagnostics_and_stores_nothing(mgmt: MgmtApp) -> None:
    ok = mgmt.call("POST", "workflows/validate", data=json.dumps(REVIEW))
    assert ok.status == 200 and ok.json() == {"valid": True, "diagnostics": []}
    bad = mgmt.call("POST", "workflows/validate", data=b"{not json")
    assert bad.status == 200
    assert bad.json()["valid"] is False
    assert bad.json()["diagnostics"][0]["code"] == "json.invalid"


def test_list_and_read_definitions_with_their_graph(mgmt: MgmtApp) -> None:
    listing = {w["name"]: w for w in mgmt.call("GET", "workflows").json()["items"]}
    assert {"quick", "waiter", "forever", "failing"} <= set(listing)
    assert listing["quick"]["latest"] == "1.0.0"
    assert listing["quick"]["description"] == "Ends at once with its input."
    assert listing["quick"]["versions"][0]["source"].startswith("folder ")

    view = mgmt.call("GET", "workflows/waiter", params={"version": "1.0.0"}).json()
    assert view["definition"]["name"] == "waiter"
    graph = view["graph"]
    assert graph["startAt"] == "Wait"
    assert {n["id"] for n in graph["nodes"]} == {"Wait", "Late", "Done"}
    assert {(e["from"], e["to"], e["kind"]) for e in graph["edges"]} == {
        ("Wait", "Done", "next"),
        ("Wait", "Late", "timeout"),
    }
    assert mgmt.call("GET", "workflows/waiter", params={"version": "9.9.9"}).status == 404
    assert mgmt.call("GET", "workflows/no-such-workflow").status == 404


def test_start_refuses_unknown_workflows_and_running_ids(mgmt: MgmtApp) -> None:
    assert mgmt.call("POST", "workflows/no-such/instances", json={}).status == 404
    instance_id = new_id("dup")
    mgmt.start("forever", {}, instanceId=instance_id)
    again = mgmt.call(
        "POST", "workflows/forever/instances", json={}, params={"instanceId": instance_id}
    )
    assert again.status == 409, again.text
    bad_id = mgmt.call("POST", "workflows/forever/instances", json={}, params={"instanceId": "a/b"})
    assert (bad_id.status, bad_id.json()["field"]) == (400, "instanceId")
    not_json = mgmt.call("POST", "workflows/quick/instances", data=b"{oops")
    assert (not_json.status, not_json.json()["field"]) == (400, "body")
