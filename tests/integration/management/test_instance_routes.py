"""Instances through the API: paging and filters, events, control verbs, purge, bulk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from mgmt_support import MgmtApp, new_id

from api.roles import READER
from tests.support.principals import principal


def _all_pages(mgmt: MgmtApp, **params: str) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    token = None
    while True:
        query = {**params, **({"continuationToken": token} if token else {})}
        answer = mgmt.call("GET", "instances", params=query)
        assert answer.status == 200, answer.text
        page = answer.json()
        pages += 1
        ids.extend(item["instanceId"] for item in page["items"])
        token = page["continuationToken"]
        if token is None:
            return ids, pages


def test_250_instances_in_pages_of_100_and_each_filter_narrows(mgmt: MgmtApp) -> None:
    prefix = new_id("page")
    before = mgmt.host.now()
    quick = [
        mgmt.host.start_orchestration(
            "workflow", {"workflow": "quick", "input": {"n": i}}, instance_id=f"{prefix}-q-{i:03d}"
        )
        for i in range(200)
    ]
    mgmt.host.wait_idle()
    mgmt.host.advance(duration="PT1H")
    middle = mgmt.host.now()
    waiting = [
        mgmt.host.start_orchestration(
            "workflow", {"workflow": "waiter", "input": {}}, instance_id=f"{prefix}-w-{i:03d}"
        )
        for i in range(50)
    ]
    mgmt.host.wait_idle()

    ids, pages = _all_pages(mgmt, instanceIdPrefix=prefix, top="100")
    assert sorted(ids) == sorted(quick + waiting)
    assert len(ids) == len(set(ids)) == 250 and pages == 3

    by_workflow, pages = _all_pages(mgmt, instanceIdPrefix=prefix, workflow="waiter", top="20")
    assert sorted(by_workflow) == sorted(waiting) and pages == 3
    running, _ = _all_pages(mgmt, instanceIdPrefix=prefix, status="Running", top="100")
    assert sorted(running) == sorted(waiting)
    completed, _ = _all_pages(mgmt, instanceIdPrefix=prefix, status="Completed,Failed")
    assert sorted(completed) == sorted(quick)
    early, _ = _all_pages(
        mgmt,
        instanceIdPrefix=prefix,
        createdFrom=(before - timedelta(seconds=1)).isoformat(),
        createdTo=(middle - timedelta(minutes=1)).isoformat(),
    )
    assert sorted(early) == sorted(quick)
    late, _ = _all_pages(mgmt, instanceIdPrefix=prefix, createdFrom=middle.isoformat())
    assert sorted(late) == sorted(waiting)
    one, _ = _all_pages(mgmt, instanceIdPrefix=f"{prefix}-w-04")
    assert sorted(one) == sorted(waiting[40:50])

    bulk = mgmt.call(
        "POST",
        "instances/terminate",
        params={"instanceIdPrefix": prefix},
        json={"reason": "cleaning up"},
    )
    assert bulk.status == 200, bulk.text
    assert sorted(bulk.json()["terminated"]) == sorted(waiting)
    mgmt.host.wait_idle()
    purged = mgmt.call("DELETE", "instances", params={"instanceIdPrefix": prefix})
    assert purged.status == 200 and len(purged.json()["purged"]) == 250
    assert _all_pages(mgmt, instanceIdPrefix=prefix)[0] == []


def test_listing_refuses_bad_parameters_naming_them(mgmt: MgmtApp) -> None:
    for params, field in (
        ({"top": "0"}, "top"),
        ({"status": "Sleeping"}, "status"),
        ({"createdFrom": "yesterday"}, "createdFrom"),
        ({"continuationToken": "garbage"}, "continuationToken"),
    ):
        answer = mgmt.call("GET", "instances", params=params)
        assert (answer.status, answer.json()["field"]) == (400, field), answer.text
    assert mgmt.call("DELETE", "instances").status == 400  # a bulk purge needs a filter


def test_raise_event_moves_a_waiting_instance_and_refuses_the_rest(mgmt: MgmtApp) -> None:
    waiting = mgmt.start("waiter", {})
    mgmt.host.wait_idle()
    assert mgmt.call("POST", f"instances/{waiting}/events/go", json={"n": 1}).status == 202
    mgmt.host.wait_idle()
    done = mgmt.instance(waiting)
    assert (done["runtimeStatus"], done["output"]) == ("Completed", {"go": {"n": 1}})

    assert mgmt.call("POST", f"instances/{waiting}/events/go", json={}).status == 410
    assert mgmt.call("POST", f"instances/{new_id('none')}/events/go", json={}).status == 404
    other = mgmt.start("waiter", {})
    not_json = mgmt.call(
        "POST",
        f"instances/{other}/events/go",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert (not_json.status, not_json.json()["field"]) == (400, "body")


def _control(mgmt: MgmtApp, instance_id: str, action: str, **params: str) -> Any:
    answer = mgmt.call(
        "POST",
        f"instances/{instance_id}/{action}",
        json={"reason": f"test {action}"},
        params=params or None,
    )
    mgmt.host.wait_idle()
    return answer


def test_terminate_suspend_resume_restart_rewind_purge(mgmt: MgmtApp) -> None:
    instance_id = mgmt.start("waiter", {})
    mgmt.host.wait_idle()
    assert _control(mgmt, instance_id, "suspend").status == 202
    assert mgmt.instance(instance_id)["runtimeStatus"] == "Suspended"
    assert _control(mgmt, instance_id, "resume").status == 202
    assert mgmt.instance(instance_id)["runtimeStatus"] == "Running"

    purge_running = mgmt.call("DELETE", f"instances/{instance_id}")
    assert purge_running.status == 409, purge_running.text

    assert _control(mgmt, instance_id, "terminate").status == 202
    ended = mgmt.instance(instance_id)
    assert ended["runtimeStatus"] == "Terminated"
    assert _control(mgmt, instance_id, "terminate").status == 410

    restarted = _control(mgmt, instance_id, "restart")
    assert restarted.status == 202, restarted.text
    new_id_ = restarted.json()["instanceId"]
    assert new_id_ != instance_id
    assert mgmt.instance(new_id_)["state"] == "Wait"
    same = _control(mgmt, instance_id, "restart", newInstanceId="false")
    assert same.status == 202 and same.json()["instanceId"] == instance_id
    assert mgmt.instance(instance_id)["runtimeStatus"] == "Running"

    failed = mgmt.start("failing", {})
    mgmt.host.wait_idle()
    assert mgmt.instance(failed)["runtimeStatus"] == "Failed"
    assert _control(mgmt, instance_id, "rewind").status == 410  # only a failed one rewinds
    assert _control(mgmt, failed, "rewind").status == 202
    assert mgmt.instance(failed)["runtimeStatus"] == "Running"  # back to Running, as documented
    assert _control(mgmt, failed, "terminate").status == 202

    purged = mgmt.call("DELETE", f"instances/{failed}")
    assert purged.status == 200 and purged.json() == {"instanceId": failed, "purged": True}
    assert mgmt.call("GET", f"instances/{failed}").status == 404
    assert mgmt.call("DELETE", f"instances/{failed}").status == 404
    for action in ("terminate", "suspend", "resume", "rewind", "restart"):
        assert _control(mgmt, new_id("gone"), action).status == 404


def test_an_input_that_breaks_the_activity_schema_is_not_retried_and_is_caught(
    mgmt: MgmtApp,
) -> None:
    instance_id = mgmt.start("bad-activity-input", {"documentId": 5, "at": "now"})
    mgmt.host.wait_idle()
    view = mgmt.instance(instance_id)
    assert view["runtimeStatus"] == "Completed", view
    caught = view["output"]["caught"]
    assert caught["error"] == "Activity.InputInvalid"
    assert "documentId: 5 is not of type 'string'" in caught["cause"]
    scheduled = [
        e
        for e in mgmt.host.history(instance_id)
        if e["EventType"] == 4 and e["Name"] == "remove_draft"
    ]
    assert len(scheduled) == 1  # retry errors ["*"], yet not retried
    entries = mgmt.call("GET", f"instances/{instance_id}/timeline").json()["entries"]
    failed = [e for e in entries if e["kind"] == "activity" and e["name"] == "remove_draft"]
    assert failed[0]["outcome"] == "failed" and failed[0]["error"] == "Activity.InputInvalid"


def test_entities_are_listed_in_pages_and_read_one_by_one(mgmt: MgmtApp) -> None:
    for key in range(7):
        answer = mgmt.host.http(
            "POST",
            f"/runtime/webhooks/durabletask/entities/counter/k{key}",
            params={"op": "add"},
            json=key + 1,
        )
        assert answer.status == 202
    mgmt.host.wait_idle()
    keys, token = [], None
    while True:
        params = {
            "top": "3",
            "fetchState": "true",
            **({"continuationToken": token} if token else {}),
        }
        page = mgmt.call("GET", "entities/counter", params=params).json()
        keys.extend((item["key"], item["state"]) for item in page["items"])
        token = page["continuationToken"]
        if token is None:
            break
    assert keys == [(f"k{k}", k + 1) for k in range(7)]
    one = mgmt.call("GET", "entities/counter/k3")
    assert one.status == 200 and one.json() == {"name": "counter", "key": "k3", "state": 4}
    assert mgmt.call("GET", "entities/counter/nope").status == 404
    assert mgmt.call("GET", "entities/counter", params={"continuationToken": "%%"}).status == 400


def test_the_activity_registry_is_listed(mgmt: MgmtApp) -> None:
    items = {a["name"]: a for a in mgmt.call("GET", "activities").json()["items"]}
    assert {"generate_draft", "load_workflow_definition", "remove_draft"} <= set(items)
    entry = mgmt.call("GET", "activities/remove_draft").json()
    assert entry["input"]["required"] == ["documentId", "at", "revision"]
    assert entry["description"] and entry["output"]["type"] == "object"
    assert mgmt.call("GET", "activities/nope").status == 404


def test_with_easy_auth_trusted_routes_need_their_app_role(
    mgmt: MgmtApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUST_EASY_AUTH", "true")  # the in-process host reads settings per call
    assert mgmt.call("GET", "instances").status == 401
    reader = {"X-MS-CLIENT-PRINCIPAL": principal(READER)}
    assert mgmt.call("GET", "instances", headers=reader).status == 200
    refused = mgmt.call(
        "POST", "instances/terminate", headers=reader, params={"workflow": "forever"}
    )
    assert refused.status == 403 and "Workflows.Operator" in refused.json()["detail"]
