"""The Durable patterns through devhost's engine, driven by the SDK's own client and replay."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devhost.testing import DevHost


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(
        apps_dir / "patterns_app", clock="virtual", data_dir=tmp_path_factory.mktemp("patterns")
    ) as running:
        yield running


def start(host, name, payload=None, instance_id=None):
    path = f"/api/start/{name}" + (f"/{instance_id}" if instance_id else "")
    answer = host.http("POST", path, json=payload)
    assert answer.status == 202, answer.text
    body = answer.json()
    assert answer.headers["Location"] == body["statusQueryGetUri"]
    return body["id"]


def test_function_chaining(host):
    iid = start(host, "chain")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!"]


def test_fan_out_fan_in_with_async_activity(host):
    iid = start(host, "fan_out", 20)
    assert host.wait_for(iid)["output"] == sum(i * 2 for i in range(20))


def test_retry_waits_on_durable_timers_with_the_configured_interval(host):
    iid = start(host, "with_retry", "retry-key")
    host.wait_idle()
    assert host.status(iid)["runtimeStatus"] == "Running"  # first attempt failed, timer set
    host.advance(seconds=4)
    assert host.status(iid)["runtimeStatus"] == "Running"  # 5 s have not passed
    host.advance(seconds=1)  # second attempt fails, another 5 s timer
    assert host.status(iid)["runtimeStatus"] == "Running"
    host.advance(seconds=5)
    status = host.wait_for(iid)
    assert status["output"] == "retry-key ok after 3"
    kinds = [e["EventType"] for e in host.history(iid)]
    assert kinds.count(4) == 3 and kinds.count(6) == 2 and kinds.count(10) == 2  # 3 tries


def test_retries_exhausted_surface_the_activity_error(host):
    iid = start(host, "retry_exhausted")
    host.advance(seconds=10)
    status = host.wait_for(iid)
    assert status["output"].startswith(
        "caught: Activity function 'boom' failed: ValueError: always"
    )


def test_activity_failure_fails_the_orchestration_with_the_error(host):
    iid = start(host, "failing")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "ValueError: activity exploded" in status["output"]


def test_orchestrator_exception_fails_with_its_message(host):
    iid = start(host, "raises_itself")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "orchestrator gave up" in status["output"]


def test_sub_orchestrations_with_instance_id_and_retry(host):
    iid = start(host, "parent")
    host.advance(seconds=5)
    status = host.wait_for(iid)
    assert status["output"] == {
        "child": ["Hello Tokyo!", "Hello Seattle!"],
        "failedChildCaught": True,
    }
    child = host.status(f"{iid}-child")
    assert child["runtimeStatus"] == "Completed"


def test_five_day_timer_completes_after_one_advance(host):
    iid = start(host, "long_timer")
    host.wait_idle()
    started = host.now()
    assert host.status(iid)["runtimeStatus"] == "Running"
    host.advance(duration="P5D")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    # The timer fired at its own time, which the orchestration sees as now.
    assert status["output"].startswith((started + timedelta(days=5)).isoformat()[:16])


def test_human_interaction_event_wins_and_timer_is_cancelled(host):
    iid = start(host, "approval")
    host.wait_idle()
    assert host.status(iid)["customStatus"] == {"stage": "waiting"}
    answer = host.http("POST", f"/api/client/event/{iid}", json={"approved": True})
    assert answer.status == 200
    status = host.wait_for(iid)
    assert status["output"] == {"decision": {"approved": True}}
    assert status["customStatus"] == {"stage": "decided"}


def test_human_interaction_deadline_wins(host):
    iid = start(host, "approval")
    host.advance(duration="PT72H")
    assert host.wait_for(iid)["output"] == {"decision": "timed out"}
    late = host.raise_event(iid, "approval", {"approved": True})
    assert late.status == 410


def test_events_before_the_wait_are_buffered_in_order(host):
    iid = start(host, "collect_events")
    host.wait_idle()
    for n in (1, 2, 3):
        assert host.raise_event(iid, "approval", n).status == 202
    host.advance(seconds=60)
    assert host.wait_for(iid)["output"] == [1, 2, 3]


def test_continue_as_new_keeps_unconsumed_events(host):
    iid = start(host, "counter_loop", 0)
    host.wait_idle()
    for value in ("a", "b", "c", "stop"):
        host.raise_event(iid, "approval", value)
    status = host.wait_for(iid)
    assert status["output"] == 3


def test_monitor_pattern(host):
    iid = start(host, "monitor")
    host.advance(duration="PT5H")
    assert host.wait_for(iid)["output"] == {"checks": 4}


def test_entities_signal_call_and_read(host):
    key = "k1"
    assert host.http("POST", f"/api/client/signal/{key}", params={"n": "2"}).status == 200
    host.wait_idle()
    assert host.http("GET", f"/api/client/entity/{key}").json() == {"exists": True, "state": 2}
    iid = start(host, "use_entity", key)
    assert host.wait_for(iid)["output"] == {"afterAdd": 17, "get": 17}
    missing = host.http("GET", "/api/client/entity/nobody").json()
    assert missing == {"exists": False, "state": None}


def test_entity_operations_run_one_at_a_time_in_order(host):
    for _ in range(50):
        host.http("POST", "/runtime/webhooks/durabletask/entities/counter/serial?op=add", json=1)
    host.wait_idle()
    answer = host.http("GET", "/runtime/webhooks/durabletask/entities/counter/serial")
    assert answer.status == 200 and answer.json() == 50
    host.http("POST", "/runtime/webhooks/durabletask/entities/counter/serial?op=delete")
    host.wait_idle()
    assert host.http("GET", "/runtime/webhooks/durabletask/entities/counter/serial").status == 404


def test_versions_default_and_explicit(host):
    iid = start(host, "versioned")
    assert host.wait_for(iid)["output"] == {"version": "2.0"}
    older = host.start_orchestration("versioned", version="1.5")
    assert host.wait_for(older)["output"] == {"version": "1.5"}
    newer = host.start_orchestration("versioned", version="3.0")
    status = host.wait_for(newer)
    assert status["runtimeStatus"] == "Failed"
    assert "does not match the worker version" in status["output"]


def test_call_http_reaches_a_local_server(host):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"pong")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        iid = start(host, "http_call", f"http://127.0.0.1:{server.server_port}/ping")
        assert host.wait_for(iid)["output"] == {"status": 200, "content": "pong"}
    finally:
        server.shutdown()


def test_replay_is_deterministic(host):
    iid = start(host, "deterministic")
    output = host.wait_for(iid)["output"]
    assert output["replay"] is False
    assert output["uuid"]


def test_client_management_operations(host):
    iid = start(host, "approval", instance_id="managed-1")
    host.wait_idle()
    assert host.http("POST", f"/api/client/suspend/{iid}").status == 200
    host.wait_idle()
    assert host.status(iid)["runtimeStatus"] == "Suspended"
    host.raise_event(iid, "approval", "held")
    host.wait_idle()
    assert host.status(iid)["runtimeStatus"] == "Suspended"
    assert host.http("POST", f"/api/client/resume/{iid}").status == 200
    status = host.wait_for(iid)
    assert status["output"] == {"decision": "held"}
    restarted = host.http("POST", f"/api/client/restart/{iid}").json()["newId"]
    host.wait_idle()
    assert host.status(restarted)["runtimeStatus"] == "Running"
    assert host.http("POST", f"/api/client/terminate/{restarted}").status == 200
    assert host.wait_for(restarted)["runtimeStatus"] == "Terminated"
    assert host.http("POST", f"/api/client/purge/{iid}").json() == {"deleted": 1}
    assert host.status(iid) is None
    query = host.http("GET", "/api/client/query/x").json()
    assert query["all"] >= 1 and restarted not in query["completed"]


def test_rewind_runs_the_failed_activity_again(host):
    iid = start(host, "fails_once")
    assert host.wait_for(iid)["runtimeStatus"] == "Failed"
    assert host.http("POST", f"/api/client/rewind/{iid}").status == 200
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello before!", f"{iid} ok"]
    kinds = [e["EventType"] for e in host.history(iid)]
    assert 6 not in kinds  # the failure is gone from the history
    assert host.http("POST", f"/api/client/rewind/{iid}").status == 500  # only Failed rewinds


def test_wait_for_completion_response(host):
    iid = start(host, "chain")
    host.wait_idle()
    answer = host.http("GET", f"/api/client/wait/{iid}")
    assert answer.status == 200
    assert answer.json() == ["Hello Tokyo!", "Hello Seattle!"]


def test_client_get_status_with_history(host):
    iid = start(host, "chain")
    host.wait_idle()
    body = host.http("GET", f"/api/client/status/{iid}").json()
    assert body["runtimeStatus"] == "Completed" and body["output"][0] == "Hello Tokyo!"
