"""devhost.replay: histories devhost recorded replay through the same code without a single
difference, a changed history is reported step by step, and the simulated host runs the code
as devhost does. Uses the plugin's module-scoped ``devhost`` fixture (devhost.testing)."""

from __future__ import annotations

from typing import Any

import pytest

from devhost.replay import SimulatedHost, check_replay
from devhost.testing import DevHost

DEVHOST_APP = "../apps/patterns_app"


def handle(host: DevHost, name: str) -> Any:
    assert host.host.app is not None
    return host.host.app.by_trigger("orchestrationTrigger")[name].func


def finished(host: DevHost, name: str, payload: Any = None, *, event: Any = None) -> str:
    iid = host.start_orchestration(name, payload)
    if event is not None:
        host.wait_idle()
        assert host.raise_event(iid, "approval", event).status == 202
    host.wait_idle()
    while host.status(iid)["runtimeStatus"] not in ("Completed", "Failed"):
        host.advance(seconds=60)  # retries wait on the virtual clock
    return iid


@pytest.mark.parametrize(("name", "payload", "event"), [
    ("chain", None, None),
    ("fan_out", 4, None),
    ("approval", None, {"ok": True}),  # an event, and a timer cancelled
    ("use_entity", "replayed", None),  # entity calls and signals
    ("raises_itself", None, None),  # a recorded failure
])
def test_a_recorded_history_replays_without_a_difference(devhost: DevHost, name: str,
                                                         payload: Any, event: Any) -> None:
    iid = finished(devhost, name, payload, event=event)
    report = check_replay(handle(devhost, name), devhost.history(iid), iid)
    assert report.ok, report.mismatches


def test_a_history_that_scheduled_something_else_is_reported(devhost: DevHost) -> None:
    iid = finished(devhost, "chain")
    history = devhost.history(iid)
    scheduled = [e for e in history if e["EventType"] == 4]  # TaskScheduled
    scheduled[1]["Name"] = "goodbye"
    report = check_replay(handle(devhost, "chain"), history, iid)
    assert report.mismatches == [
        "step 1: history has activity 'goodbye', code now does activity 'hello'"]
    report = check_replay(handle(devhost, "fan_out"), devhost.history(iid), iid)
    assert not report.ok


def test_a_different_recorded_outcome_is_reported(devhost: DevHost) -> None:
    iid = finished(devhost, "chain")
    history = devhost.history(iid)
    completed = next(e for e in history if e["EventType"] == 1)  # ExecutionCompleted
    completed["Result"] = '["Hello Tokyo!"]'
    [mismatch] = check_replay(handle(devhost, "chain"), history, iid).mismatches
    assert mismatch.startswith("outcome: history completed with ['Hello Tokyo!']")


def test_the_simulated_host_runs_the_code_as_devhost_does(devhost: DevHost) -> None:
    app = devhost.host.app
    assert app is not None
    simulated = SimulatedHost(
        *({name: f.func for name, f in app.by_trigger(trigger).items()}
          for trigger in ("orchestrationTrigger", "activityTrigger")),
        entities={name: f.func for name, f in app.by_trigger("entityTrigger").items()})
    for name, payload in (("chain", None), ("raises_itself", None), ("use_entity", "simulated")):
        iid = finished(devhost, name, payload)
        ran, real = simulated.status(simulated.start(name, payload)), devhost.status(iid)
        assert ran.status == real["runtimeStatus"], name
        if ran.status == "Completed":
            assert ran.output == real["output"], name
        else:  # devhost's reason carries the host's prefix, as the extension's does
            assert ran.error
            assert real["output"].endswith(ran.error), name
