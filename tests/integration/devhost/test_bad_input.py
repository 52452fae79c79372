"""Bad input never crashes devhost and gets the status a user of the Functions host expects.

The checks take any host with the ``devhost.testing`` operations, so the end-to-end suite
(tests/e2e/test_devhost_bad_input.py) runs the same ones over HTTP against a separate process.
"""

import json

import pytest

from devhost.testing import DevHost, RemoteHost

API = "/runtime/webhooks/durabletask"
DONE = "bad-input-done"  # a completed instance, made by prepare()
WAITING = "bad-input-waiting"  # an instance waiting for an event, made by prepare()
JSON = {"Content-Type": "application/json"}

CASES = [
    pytest.param("POST", f"{API}/orchestrators/no_such_orchestrator", {}, 400,
                 "'no_such_orchestrator' doesn't exist", "functionName", id="unknown-orchestrator"),
    pytest.param("POST", f"{API}/orchestrators/chain/a%2Fb", {}, 400, "instanceId",
                 "instanceId", id="instance-id-with-slash"),
    pytest.param("POST", f"{API}/orchestrators/chain/a%3Fb", {}, 400, "instanceId",
                 "instanceId", id="instance-id-with-question-mark"),
    pytest.param("POST", f"{API}/orchestrators/chain/{'x' * 257}", {}, 400, "1-256 characters",
                 "instanceId", id="instance-id-too-long"),
    pytest.param("POST", f"{API}/orchestrators/chain/{WAITING}", {}, 409, WAITING, None,
                 id="instance-id-already-running"),
    pytest.param("POST", f"{API}/orchestrators/chain", {"data": "{oops", "headers": JSON}, 400,
                 "request body: expected JSON", None, id="start-malformed-json"),
    pytest.param("POST", "/durabletask/orchestrators/chain", {"json": "{oops"}, 400,
                 "JSON string holding JSON", None, id="sdk-rpc-start-not-double-encoded"),
    pytest.param("POST", f"{API}/instances/{WAITING}/raiseEvent/approval",
                 {"data": "[1, 2", "headers": JSON}, 400, "request body: expected JSON", None,
                 id="raise-event-malformed-json"),
    pytest.param("GET", f"{API}/instances/nobody", {}, 404, "'nobody'", None,
                 id="status-unknown-instance"),
    pytest.param("POST", f"{API}/instances/nobody/raiseEvent/approval", {"json": 1}, 404,
                 "'nobody'", None, id="raise-event-unknown-instance"),
    *[pytest.param("POST", f"{API}/instances/nobody/{verb}", {}, 404, "'nobody'", None,
                   id=f"{verb}-unknown-instance")
      for verb in ("terminate", "suspend", "resume", "rewind", "restart")],
    pytest.param("DELETE", f"{API}/instances/nobody", {}, 404, "'nobody'", None,
                 id="purge-unknown-instance"),
    pytest.param("POST", f"{API}/instances/{DONE}/raiseEvent/approval", {"json": 1}, 410,
                 "no longer running", None, id="event-to-completed-instance"),
    pytest.param("POST", f"{API}/instances/{DONE}/terminate", {}, 410, "not running", None,
                 id="terminate-completed-instance"),
    pytest.param("POST", f"{API}/instances/{DONE}/rewind", {}, 410, "not failed", None,
                 id="rewind-completed-instance"),
    pytest.param("POST", f"{API}/entities/no_such_entity/k", {"json": 1}, 404, "no_such_entity",
                 "entityName", id="signal-unknown-entity"),
    pytest.param("GET", f"{API}/entities/counter/never-used", {}, 404, "@counter@never-used",
                 None, id="read-entity-that-does-not-exist"),
    pytest.param("GET", f"{API}/instances", {"params": {"top": "many"}}, 400, "top", "top",
                 id="query-top-not-a-number"),
    pytest.param("GET", f"{API}/instances", {"params": {"createdTimeFrom": "yesterday"}}, 400,
                 "ISO 8601", "createdTimeFrom", id="query-bad-time"),
    pytest.param("GET", f"{API}/instances", {"headers": {"x-ms-continuation-token": "??"}},
                 400, "continuation", None, id="query-bad-continuation-token"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"data": "soon"}, 400, "JSON", None,
                 id="advance-not-json"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": [60]}, 400, "JSON object",
                 None, id="advance-not-an-object"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {}}, 400, "exactly one",
                 "seconds", id="advance-neither-field"),
    pytest.param("POST", "/admin/devhost/clock/advance",
                 {"json": {"seconds": 1, "duration": "PT1S"}}, 400, "exactly one", "seconds",
                 id="advance-both-fields"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {"seconds": "60"}}, 400,
                 "finite number", "seconds", id="advance-seconds-as-text"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {"seconds": True}}, 400,
                 "finite number", "seconds", id="advance-seconds-as-bool"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {"seconds": -5}}, 400,
                 "backwards", "seconds", id="advance-backwards"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"data": '{"seconds": Infinity}'},
                 400, "finite number", "seconds", id="advance-infinite"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {"duration": "5 days"}}, 400,
                 "ISO 8601 duration", "duration", id="advance-bad-duration"),
    pytest.param("POST", "/admin/devhost/clock/advance", {"json": {"duration": "P9999999D"}},
                 400, "9999", "duration", id="advance-past-year-9999"),
    pytest.param("POST", "/admin/devhost/idle", {"params": {"timeout": "soon"}}, 400,
                 "timeout", "timeout", id="idle-timeout-not-a-number"),
    pytest.param("POST", "/admin/devhost/idle", {"params": {"timeout": "-1"}}, 400,
                 "timeout", "timeout", id="idle-timeout-negative"),
]


def prepare(host: RemoteHost) -> None:
    """Make the instances the cases refer to: one completed, one waiting for an event."""
    if host.status(DONE) is None:
        host.wait_for(host.start_orchestration("chain", instance_id=DONE))
    if host.status(WAITING) is None:
        host.start_orchestration("approval", instance_id=WAITING)
        host.wait_idle()


def check_bad_request(host: RemoteHost, method: str, path: str, kwargs: dict, status: int,
                      detail: str, field: str | None) -> None:
    answer = host.http(method, path, **kwargs)
    assert answer.status == status, answer.text
    content_type = next(v for k, v in answer.headers.items() if k.lower() == "content-type")
    assert content_type.startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status
    assert detail in body["detail"]
    if field is not None:
        assert body["field"] == field
    check_still_serving(host)


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


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("bad")) as running:
        prepare(running)
        yield running


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "detail", "field"), CASES)
def test_bad_request(host, method, path, kwargs, status, detail, field):
    check_bad_request(host, method, path, kwargs, status, detail, field)


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
