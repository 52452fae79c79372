"""The Durable patterns through `python -m devhost start`, driven over HTTP only."""

import re
import subprocess
import sys
from datetime import timedelta

import pytest

pytestmark = pytest.mark.e2e

DEVHOST_APP = "../apps/patterns_app"
API = "/runtime/webhooks/durabletask"


def start(devhost, name, payload=None, instance_id=None):
    """Start through the app's own HTTP starter (the SDK client's start_new)."""
    path = f"/api/start/{name}" + (f"/{instance_id}" if instance_id else "")
    answer = devhost.http("POST", path, json=payload)
    assert answer.status == 202, answer.text
    links = answer.json()
    assert links["statusQueryGetUri"].startswith(devhost.base_url + API + "/instances/")
    return links["id"]


def test_status_is_running_and_functions_are_listed(devhost, devhost_process):
    status = devhost.http("GET", "/admin/host/status").json()
    assert status["state"] == "Running"
    assert {"start", "chain", "hello", "counter"} <= set(status["functions"])
    printed = devhost_process.output()
    assert re.search(
        rf"start: \[POST\] {re.escape(devhost.base_url)}/api/start/\{{name\}}/"
        r"\{id\?\}",
        printed,
    ), printed
    assert "hello: activityTrigger" in printed


def test_function_chaining(devhost):
    iid = start(devhost, "chain")
    status = devhost.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!"]
    # The status URL the starter returned answers 200 once the instance is done.
    answer = devhost.http("GET", f"{API}/instances/{iid}", params={"showHistory": "true"})
    assert answer.status == 200
    kinds = [e["EventType"] for e in answer.json()["historyEvents"]]
    assert kinds.count("TaskCompleted") == 2


def test_fan_out_fan_in(devhost):
    assert devhost.wait_for(start(devhost, "fan_out", 12))["output"] == sum(
        2 * i for i in range(12)
    )


def test_five_day_timer_completes_after_one_advance(devhost):
    iid = start(devhost, "long_timer")
    devhost.wait_idle()
    began = devhost.now()
    assert devhost.status(iid)["runtimeStatus"] == "Running"
    answer = devhost.http("POST", "/admin/devhost/clock/advance", json={"duration": "P5D"})
    assert answer.status == 200
    status = devhost.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"].startswith((began + timedelta(days=5)).isoformat()[:16])


def test_human_interaction_with_raise_event_and_custom_status(devhost):
    iid = start(devhost, "approval")
    devhost.wait_idle()
    waiting = devhost.status(iid)
    assert waiting["runtimeStatus"] == "Running"
    assert waiting["customStatus"] == {"stage": "waiting"}
    answer = devhost.http(
        "POST", f"{API}/instances/{iid}/raiseEvent/approval", json={"approved": True, "by": "alice"}
    )
    assert answer.status == 202
    status = devhost.wait_for(iid)
    assert status["output"] == {"decision": {"approved": True, "by": "alice"}}
    assert status["customStatus"] == {"stage": "decided"}


def test_human_interaction_times_out_after_72_hours(devhost):
    iid = start(devhost, "approval")
    devhost.advance(duration="PT71H")
    assert devhost.status(iid)["runtimeStatus"] == "Running"
    devhost.advance(duration="PT1H")
    assert devhost.wait_for(iid)["output"] == {"decision": "timed out"}
    assert devhost.raise_event(iid, "approval", "late").status == 410


def test_raise_event_through_the_sdk_client(devhost):
    iid = start(devhost, "approval")
    devhost.wait_idle()
    assert devhost.http("POST", f"/api/client/event/{iid}", json="via client").status == 200
    assert devhost.wait_for(iid)["output"] == {"decision": "via client"}


def test_counter_entity(devhost):
    for n in (1, 2, 3):
        assert devhost.http("POST", "/api/client/signal/e2e", params={"n": str(n)}).status == 200
    devhost.wait_idle()
    assert devhost.http("GET", "/api/client/entity/e2e").json() == {"exists": True, "state": 6}
    assert devhost.http("GET", f"{API}/entities/counter/e2e").json() == 6
    assert devhost.wait_for(start(devhost, "use_entity", "e2e"))["output"] == {
        "afterAdd": 21,
        "get": 21,
    }
    listed = devhost.http("GET", f"{API}/entities/counter", params={"fetchState": "true"}).json()
    assert {"entityId": {"name": "counter", "key": "e2e"}, "state": 21} in [
        {k: v for k, v in item.items() if k != "lastOperationTime"} for item in listed
    ]


def test_continue_as_new(devhost):
    iid = start(devhost, "counter_loop", 10)
    devhost.wait_idle()
    for value in ("a", "b", "stop"):
        assert devhost.raise_event(iid, "approval", value).status == 202
    assert devhost.wait_for(iid)["output"] == 12


def test_sub_orchestration(devhost):
    iid = start(devhost, "parent", instance_id="e2e-parent")
    devhost.advance(seconds=5)
    status = devhost.wait_for(iid)
    assert status["output"] == {
        "child": ["Hello Tokyo!", "Hello Seattle!"],
        "failedChildCaught": True,
    }
    assert devhost.status("e2e-parent-child")["runtimeStatus"] == "Completed"


def test_retries_wait_on_durable_timers(devhost):
    iid = start(devhost, "with_retry", "e2e-retry")
    devhost.wait_idle()
    assert devhost.status(iid)["runtimeStatus"] == "Running"
    devhost.advance(seconds=5)
    devhost.advance(seconds=5)
    assert devhost.wait_for(iid)["output"] == "e2e-retry ok after 3"


def test_monitor(devhost):
    iid = start(devhost, "monitor")
    devhost.advance(duration="PT3H")
    assert devhost.wait_for(iid)["output"] == {"checks": 4}


def test_cli_reads_and_advances_the_clock_and_waits_idle(devhost):
    before = devhost.now()

    def cli(*args):
        done = subprocess.run(
            [sys.executable, "-m", "devhost", *args, "--url", devhost.base_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert '"virtual": true' in cli("clock", "--advance", "PT2H")
    assert '"idle": true' in cli("idle", "--timeout", "10")
    assert devhost.now() - before == timedelta(hours=2)
