"""devhost.replay: histories devhost recorded replay through the same code without a single
difference, a changed history is reported step by step, and the simulated host runs the code
as devhost does. Uses the plugin's module-scoped ``devhost`` fixture (devhost.testing)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devhost.replay import SimulatedHost, check_replay, read_history
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


@pytest.mark.parametrize(
    ("name", "payload", "event"),
    [
        ("chain", None, None),
        ("fan_out", 4, None),
        ("approval", None, {"ok": True}),  # an event, and a timer cancelled
        ("use_entity", "replayed", None),  # entity calls and signals
        ("raises_itself", None, None),  # a recorded failure
    ],
)
def test_a_recorded_history_replays_without_a_difference(
    devhost: DevHost, name: str, payload: Any, event: Any
) -> None:
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
        "step 1: history has activity 'goodbye', code now does activity 'hello'"
    ]
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
        *(
            {name: f.func for name, f in app.by_trigger(trigger).items()}
            for trigger in ("orchestrationTrigger", "activityTrigger")
        ),
        entities={name: f.func for name, f in app.by_trigger("entityTrigger").items()},
    )
    for name, payload in (("chain", None), ("raises_itself", None), ("use_entity", "simulated")):
        iid = finished(devhost, name, payload)
        ran, real = simulated.status(simulated.start(name, payload)), devhost.status(iid)
        assert ran.status == real["runtimeStatus"], name
        if ran.status == "Completed":
            assert ran.output == real["output"], name
        else:  # devhost's reason carries the host's prefix, as the extension's does
            assert ran.error
            assert real["output"].endswith(ran.error), name


def replay_cli(app: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devhost", "replay", "--app-dir", str(app), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_m_devhost_replay_reports_each_history(devhost: DevHost, tmp_path: Path) -> None:
    iid = finished(devhost, "approval", event={"ok": 1})
    same, changed = tmp_path / "same.json", tmp_path / "changed.json"
    same.write_text(json.dumps({"instanceId": iid, "history": devhost.history(iid)}))
    history = devhost.history(iid)
    next(e for e in history if e["EventType"] == 10)["FireAt"] = "2000-01-01T00:00:00.000000Z"
    changed.write_text(json.dumps(history))  # a bare event list: the id from ExecutionStarted
    app = devhost.host.app_dir
    done = replay_cli(app, same, changed)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        f"{same}: replays without a difference",
        f"{changed}: DIFFERS",
        f"  step 0: history has timer '2000-01-01T00:00:00.000000Z', code now does timer"
        f" {next(e for e in devhost.history(iid) if e['EventType'] == 10)['FireAt']!r}",
    ]
    assert replay_cli(app, same).returncode == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{oops", "invalid JSON at line 1"),
        ('{"history": 5}', "history: expected a list of events"),
        ('[{"EventType": 12}]', "expected an ExecutionStarted event with a Name"),
        ('[{"EventType": 0, "Name": "chain"}]', "instanceId: expected the instance's id"),
    ],
)
def test_python_m_devhost_replay_refuses_a_bad_file(
    devhost: DevHost, tmp_path: Path, text: str, error: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(ValueError, match=re.escape(error)):
        read_history(text, str(bad))
    if text == "{oops":  # the command says it the same way, once
        done = replay_cli(devhost.host.app_dir, bad)
        assert (done.returncode, done.stdout) == (2, "")
        assert (
            done.stderr == f"devhost: {bad}: invalid JSON at line 1: Expecting property name"
            " enclosed in double quotes\n"
        )
