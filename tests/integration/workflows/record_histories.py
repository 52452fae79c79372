"""Record the histories of the test workflows on devhost into tests/fixtures/histories/.

    .venv/bin/python tests/integration/workflows/record_histories.py

Each fixture is the raw history devhost gave the SDK; tests/unit/orchestration replays them
on every CI run, so an interpreter change that would break a running instance fails a test.
Re-record only when a change is meant to be incompatible (and bump the language version).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from devhost.testing import DevHost  # noqa: E402

APP = ROOT / "tests" / "apps" / "workflow_app"
OUT = ROOT / "tests" / "fixtures" / "histories"


def _vote(role: str, decision: str = "approved") -> dict[str, str]:
    return {"role": role, "decision": decision}


def _start(host: DevHost, workflow: str, data: object) -> str:
    return host.start_orchestration("workflow", {"workflow": workflow, "input": data})


def approval(host: DevHost) -> list[str]:
    iid = _start(host, "approval-vote", {"roles": ["Steward", "Security"], "sla": "PT48H"})
    host.raise_event(iid, "approval", _vote("Steward"))  # early: before the first wait
    host.wait_idle()
    host.advance(duration="PT48H")  # deadline first: escalate, extend by 24h
    host.raise_event(iid, "approval", _vote("Security"))
    host.wait_for(iid)
    return [iid]


def retries(host: DevHost) -> list[str]:
    iid = _start(host, "retry-backoff", {"failures": 2})
    host.advance(seconds=60)
    host.wait_for(iid)
    return [iid]


def saga_fail(host: DevHost) -> list[str]:
    iid = _start(host, "saga", {"outcome": "fail", "reason": "no"})
    host.wait_for(iid)
    return [iid]


def saga_compensate(host: DevHost) -> list[str]:
    iid = _start(host, "saga", {"outcome": "undo", "failUndo": True})
    host.advance(seconds=60)
    host.wait_for(iid)
    return [iid]


def parallel(host: DevHost) -> list[str]:
    fast, patient = _start(host, "fan-fast", {}), _start(host, "fan-patient", {})
    host.advance(duration="PT1H")
    host.wait_for(fast)
    host.wait_for(patient)
    return [fast, patient]


def mapped(host: DevHost) -> list[str]:
    iid = _start(host, "map-throttled", {"items": ["a", "b", "c", "d", "e"]})
    for _ in range(3):
        host.advance(seconds=60)
    host.wait_for(iid)
    return [iid]


def subworkflow(host: DevHost) -> list[str]:
    iid = _start(host, "parent", {"n": -1})
    host.wait_for(iid)
    children = [e["InstanceId"] for e in host.history(iid) if e["EventType"] == 7]
    return [iid, *children]


def limits(host: DevHost) -> list[str]:
    runaway, guarded = _start(host, "runaway", {"stop": False}), _start(host, "guarded", {})
    host.wait_for(runaway)
    host.wait_for(guarded)
    return [runaway, guarded]


def catalog(host: DevHost) -> list[str]:
    iid = _start(
        host,
        "catalog",
        {
            "n": 3,
            "id": "D-1",
            "tags": ["pii"],
            "at": "2026-01-05T09:00:00Z",
            "a": {"x": 1},
            "b": {"y": 2},
        },
    )
    host.wait_for(iid)
    return [iid]


SCENARIOS: dict[str, Callable[[DevHost], list[str]]] = {
    "approval": approval,
    "retries": retries,
    "saga-fail": saga_fail,
    "saga-compensate": saga_compensate,
    "parallel": parallel,
    "map": mapped,
    "subworkflow": subworkflow,
    "limits": limits,
    "catalog": catalog,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as data,
        DevHost(APP, clock="virtual", data_dir=data) as host,
    ):
        for scenario, play in SCENARIOS.items():
            for index, iid in enumerate(play(host)):
                status = host.status(iid) or {}
                record = {
                    "scenario": scenario,
                    "instanceId": iid,
                    "recordedWith": "devhost",
                    "runtimeStatus": status.get("runtimeStatus"),
                    "history": host.history(iid),
                }
                path = OUT / f"{scenario}-{index}.json"
                path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
                print(
                    f"{path.relative_to(ROOT)}: {status.get('runtimeStatus')}, "
                    f"{len(record['history'])} events"
                )


if __name__ == "__main__":
    main()
