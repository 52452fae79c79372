"""Bad input never crashes devhost and gets the answer docs/bad-input.md documents.

The rows of the document's devhost section name ``test_bad_request[case]``; ``REQUESTS`` says
what each case sends, and the row's answer is what it must get. The checks take any host with
the ``devhost.testing`` operations, so the end-to-end suite (tests/e2e/test_devhost_bad_input.py)
runs the same rows over HTTP against a separate process.
"""

import json
from typing import Any

import pytest

from devhost.testing import DevHost, RemoteHost
from tests.support.bad_input import Row, case_id, check_problem, rows

API = "/runtime/webhooks/durabletask"
DONE = "bad-input-done"  # a completed instance, made by prepare()
WAITING = "bad-input-waiting"  # an instance waiting for an event, made by prepare()
JSON = {"Content-Type": "application/json"}
ADVANCE = "/admin/devhost/clock/advance"

Request = tuple[str, str, dict[str, Any]]

# What each case of the document's rows sends: one request, or several that all get the answer.
REQUESTS: dict[str, Request | list[Request]] = {
    "unknown-path": ("GET", "/no/such/route", {}),
    "wrong-method-admin": ("PUT", "/admin/devhost/clock", {}),
    "wrong-method-durable": ("GET", f"{API}/orchestrators/chain", {}),
    "wrong-method-http-trigger": ("PUT", "/api/start/chain", {}),
    "unknown-http-function": ("GET", "/api/nothing", {}),
    "unknown-orchestrator": ("POST", f"{API}/orchestrators/no_such_orchestrator", {}),
    "instance-id-with-slash": ("POST", f"{API}/orchestrators/chain/a%2Fb", {}),
    "instance-id-with-question-mark": ("POST", f"{API}/orchestrators/chain/a%3Fb", {}),
    "instance-id-too-long": ("POST", f"{API}/orchestrators/chain/{'x' * 257}", {}),
    "instance-id-with-braces": [("POST", f"{API}/orchestrators/chain/{{braces}}", {}),
                                ("POST", f"{API}/orchestrators/chain/%7Bencoded%7D", {})],
    "instance-id-with-line-feed": ("POST", f"{API}/orchestrators/chain/a%0Ab", {}),
    "odd-id-unknown-instance": [
        (method, f"{API}/instances/{odd}{tail}", {})
        for odd in ("{nobody}", "%7Bnobody%7D", "no%0Abody", "%0A")
        for method, tail in (("GET", ""), ("DELETE", ""), ("POST", "/raiseEvent/approval"),
                             *(("POST", f"/{verb}") for verb in (
                                 "terminate", "suspend", "resume", "rewind", "restart")))],
    "entity-with-braces": [("GET", f"{API}/entities/counter/{{k}}", {}),
                           ("GET", f"{API}/entities/counter/%7Bk%7D", {}),
                           ("POST", f"{API}/entities/%7Bcounter%7D/k", {"json": 1})],
    "instance-id-already-running": ("POST", f"{API}/orchestrators/chain/{WAITING}", {}),
    "start-malformed-json": ("POST", f"{API}/orchestrators/chain",
                             {"data": "{oops", "headers": JSON}),
    "sdk-rpc-start-not-double-encoded": ("POST", "/durabletask/orchestrators/chain",
                                         {"json": "{oops"}),
    "body-nested-too-deep": [
        *[("POST", path, {"data": "[" * 100_000 + "]" * 100_000, "headers": JSON}) for path in (
            f"{API}/orchestrators/chain", f"{API}/instances/{WAITING}/raiseEvent/approval",
            f"{API}/entities/counter/deep")],
        ("POST", "/durabletask/orchestrators/chain", {"json": "[" * 65 + "]" * 65})],
    "body-not-utf-8": ("POST", f"{API}/orchestrators/chain",
                       {"data": b'"\xff\xfe"', "headers": JSON}),
    "raise-event-malformed-json": ("POST", f"{API}/instances/{WAITING}/raiseEvent/approval",
                                   {"data": "[1, 2", "headers": JSON}),
    "status-unknown-instance": ("GET", f"{API}/instances/nobody", {}),
    "raise-event-unknown-instance": ("POST", f"{API}/instances/nobody/raiseEvent/approval",
                                     {"json": 1}),
    "control-unknown-instance": [("POST", f"{API}/instances/nobody/{verb}", {})
                                 for verb in ("terminate", "suspend", "resume", "rewind",
                                              "restart")],
    "purge-unknown-instance": ("DELETE", f"{API}/instances/nobody", {}),
    "event-to-completed-instance": ("POST", f"{API}/instances/{DONE}/raiseEvent/approval",
                                    {"json": 1}),
    "terminate-completed-instance": ("POST", f"{API}/instances/{DONE}/terminate", {}),
    "rewind-completed-instance": ("POST", f"{API}/instances/{DONE}/rewind", {}),
    "signal-unknown-entity": ("POST", f"{API}/entities/no_such_entity/k", {"json": 1}),
    "read-entity-that-does-not-exist": ("GET", f"{API}/entities/counter/never-used", {}),
    "query-top-not-a-number": ("GET", f"{API}/instances", {"params": {"top": "many"}}),
    "query-bad-time": ("GET", f"{API}/instances", {"params": {"createdTimeFrom": "yesterday"}}),
    "query-bad-continuation-token": ("GET", f"{API}/instances",
                                     {"headers": {"x-ms-continuation-token": "??"}}),
    "advance-not-json": ("POST", ADVANCE, {"data": "soon"}),
    "advance-not-an-object": ("POST", ADVANCE, {"json": [60]}),
    "advance-neither-field": ("POST", ADVANCE, {"json": {}}),
    "advance-both-fields": ("POST", ADVANCE, {"json": {"seconds": 1, "duration": "PT1S"}}),
    "advance-seconds-as-text": ("POST", ADVANCE, {"json": {"seconds": "60"}}),
    "advance-seconds-as-bool": ("POST", ADVANCE, {"json": {"seconds": True}}),
    "advance-backwards": ("POST", ADVANCE, {"json": {"seconds": -5}}),
    "advance-infinite": ("POST", ADVANCE, {"data": '{"seconds": Infinity}'}),
    "advance-bad-duration": ("POST", ADVANCE, {"json": {"duration": "5 days"}}),
    "advance-nested-too-deep": ("POST", ADVANCE, {"data": "[" * 100_000 + "]" * 100_000}),
    "advance-past-year-9999": ("POST", ADVANCE, {"json": {"duration": "P9999999D"}}),
    "idle-timeout-not-a-number": ("POST", "/admin/devhost/idle",
                                  {"params": {"timeout": "soon"}}),
    "idle-timeout-out-of-range": [("POST", "/admin/devhost/idle", {"params": {"timeout": t}})
                                  for t in ("-1", "1e308", "inf", "nan")],
    "query-top-out-of-range": [("GET", f"{API}/instances", {"params": {"top": top}})
                               for top in ("0", "-1", "1.5", "2147483648",
                                           "99999999999999999999", "\u0661\u0662")],
    "entities-top-out-of-range": [("GET", path, {"params": {"top": "99999999999999999999"}})
                                  for path in (f"{API}/entities", f"{API}/entities/counter")],
    **{f"query-time-{end}-out-of-range": [
        ("GET", f"{API}/instances", {"params": {key: moment}})
        for moment in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00")]
       for end, key in (("from", "createdTimeFrom"), ("to", "createdTimeTo"))},
    "entities-bad-time": ("GET", f"{API}/entities",
                          {"params": {"lastOperationTimeFrom": "yesterday"}}),
    "query-unknown-status": ("GET", f"{API}/instances", {"params": {"runtimeStatus":
                                                                    "Running,Complted"}}),
    "purge-without-filter": [("DELETE", f"{prefix}/instances{slash}", {})
                             for prefix in (API, "/durabletask") for slash in ("", "/")],
    "purge-unknown-status": ("DELETE", f"{API}/instances", {"params": {
        "createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "Complted"}}),
    "purge-nothing-matches": ("DELETE", f"{API}/instances", {"params": {
        "createdTimeFrom": "2000-01-01T00:00:00Z", "createdTimeTo": "2000-01-02T00:00:00Z"}}),
    "start-wait-bad-timeout": [
        ("POST", f"{API}/orchestrators/chain", {"params": {"timeout": t, "pollingInterval": "1"}})
        for t in ("soon", "1e9")],
    "start-wait-bad-interval": ("POST", f"{API}/orchestrators/chain",
                                {"params": {"timeout": "1", "pollingInterval": "-1"}}),
    "start-wait-interval-over-timeout": ("POST", f"{API}/orchestrators/chain",
                                         {"params": {"timeout": "1", "pollingInterval": "5"}}),
}

ROWS = rows("devhost", "test_bad_request")


def prepare(host: RemoteHost) -> None:
    """Make the instances the cases refer to: one completed, one waiting for an event."""
    if host.status(DONE) is None:
        host.wait_for(host.start_orchestration("chain", instance_id=DONE))
    if host.status(WAITING) is None:
        host.start_orchestration("approval", instance_id=WAITING)
        host.wait_idle()


def check_bad_request(host: RemoteHost, row: Row) -> None:
    """Send the row's case and check the answer the row documents."""
    sent = REQUESTS[case_id(row)]
    for method, path, kwargs in sent if isinstance(sent, list) else [sent]:
        check_problem(host.http(method, path, **kwargs), row)
    check_still_serving(host)


def test_every_row_has_a_request_and_every_request_a_row() -> None:
    assert sorted(case_id(r) for r in ROWS) == sorted(REQUESTS)


def check_still_serving(host: RemoteHost) -> None:
    assert host.http("GET", "/admin/host/status").json()["state"] == "Running"
    assert host.status(DONE)["runtimeStatus"] == "Completed"


def check_failures_are_reported_in_the_status(host: RemoteHost) -> None:
    activity = host.start_orchestration("failing")
    orchestrator = host.start_orchestration("raises_itself")
    failed = host.wait_for(activity)
    assert failed["runtimeStatus"] == "Failed"
    assert "Activity function 'boom' failed" in failed["output"]
    assert "ValueError: activity exploded" in failed["output"]
    failed = host.wait_for(orchestrator)
    assert failed["runtimeStatus"] == "Failed"
    assert failed["output"] == "Orchestrator function 'raises_itself' failed: orchestrator gave up"
    answer = host.http("GET", f"{API}/instances/{orchestrator}",
                       params={"returnInternalServerErrorOnFailure": "true"})
    assert answer.status == 500
    assert answer.json()["runtimeStatus"] == "Failed"
    check_still_serving(host)


def check_a_waiting_instance_still_works_after_bad_input(host: RemoteHost) -> None:
    assert host.raise_event(WAITING, "approval", {"ok": True}).status == 202
    status = host.wait_for(WAITING)
    assert status["output"] == {"decision": {"ok": True}}


def check_odd_text_comes_back_unchanged(host: RemoteHost) -> None:
    odd = "\ud800 lone, \x00\x0c\u2028 controls, <script>alert(1)</script>, \"quotes\""
    iid = host.start_orchestration("approval")
    host.wait_idle()
    body = json.dumps({"text": odd})  # escapes the surrogate: "\\ud800"
    answer = host.http("POST", f"{API}/instances/{iid}/raiseEvent/approval", data=body,
                       headers=JSON)
    assert answer.status == 202, answer.text
    assert host.wait_for(iid)["output"] == {"decision": {"text": odd}}


def test_flag_that_is_not_a_boolean_keeps_its_default(host):
    iid = host.start_orchestration("chain", {"given": 1})
    host.wait_for(iid)
    answer = host.http("GET", f"{API}/instances/{iid}",
                       params={"showInput": "maybe", "showHistory": "1"})
    assert answer.status == 200
    assert answer.json()["input"] == {"given": 1}
    assert "historyEvents" not in answer.json()
    shown = host.http("GET", f"{API}/instances/{iid}", params={"showHistory": " TRUE "})
    assert shown.json()["historyEvents"]


def test_odd_text_in_an_event_comes_back_unchanged(host):
    check_odd_text_comes_back_unchanged(host)


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("bad")) as running:
        prepare(running)
        yield running


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_bad_request(host, row):
    check_bad_request(host, row)


def test_failing_activity_and_orchestrator(host):
    check_failures_are_reported_in_the_status(host)


def test_unknown_orchestrator_through_the_sdk_client_fails_the_http_function(host):
    answer = host.http("POST", "/api/start/no_such_orchestrator")
    assert answer.status == 500
    assert "'no_such_orchestrator' doesn't exist" in answer.json()["detail"]
    check_still_serving(host)


def test_waiting_instance_completes_after_all_the_bad_input(host):
    # Last in the module on purpose: it proves the engine kept working through the cases.
    check_a_waiting_instance_still_works_after_bad_input(host)


def test_advance_with_a_real_clock_is_a_conflict(apps_dir, tmp_path):
    with DevHost(apps_dir / "http_app", clock="real", data_dir=tmp_path) as real:
        answer = real.http("POST", "/admin/devhost/clock/advance", json={"seconds": 60})
        assert answer.status == 409
        assert "--clock virtual" in answer.json()["detail"]
        assert real.http("GET", "/admin/devhost/clock").json()["virtual"] is False
        assert real.http("GET", "/admin/host/status").json()["state"] == "Running"


def test_malformed_json_is_stored_nowhere(host):
    before = host.http("GET", f"{API}/instances").json()
    host.http("POST", f"{API}/orchestrators/chain", data="{oops", headers=JSON)
    after = host.http("GET", f"{API}/instances").json()
    assert json.dumps(sorted(i["instanceId"] for i in after)) == json.dumps(
        sorted(i["instanceId"] for i in before))
