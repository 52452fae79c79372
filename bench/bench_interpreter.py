"""Interpreter overhead: a JSON workflow against a hand-written orchestrator doing the same work.

    python -m bench.bench_interpreter [--repeat 200]

The definition has 3 tasks and 20 pass/choice states; the hand-written orchestrator calls the
same 3 activities with the same inputs. Both run to completion once on the in-memory
SimulatedHost (the SDK's real replay), then the recorded histories are replayed through each
orchestrator handle, which is what a Durable worker spends its CPU on:

* final replay: one invocation over the finished history;
* whole run: every episode of the instance's life (each one replays the history so far).

The interpreter's history also holds its definition-loader activity, so its cost includes
reading the definition once per replay. With ``--devhost N`` it also runs N instances of each
end to end on devhost (virtual clock, SQLite store) and compares the wall-clock time.

Two more columns measure a third orchestrator, the hand-written one preceded by the loader call
that DESIGN §5 requires of every instance: the floor the JSON workflow cannot go below without
changing that contract, so "ratio to that" is what the interpreter itself costs. The replay
rows run the SDK as it ships (what Azure runs) and again with devhost's exact fast paths
(``devhost.durable.sdk_fastpaths``), which devhost itself always uses.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.orchestrator import Orchestrator
from devhost.durable import sdk_fastpaths
from devhost.replay import ORCHESTRATOR_COMPLETED, SimulatedHost, run_episode

import orchestration
from orchestration.orchestrator import LOADER_ACTIVITY
from orchestration.sources import FolderSource, load_definition

ACTIVITIES: dict[str, Callable[[Any], Any]] = {
    "step_one": lambda x: {"n": x["n"] + 1, "tier": "high"},
    "step_two": lambda x: {"n": x["n"] * 2},
    "step_three": lambda x: {"done": True, "n": x["n"]},
}


def definition() -> dict[str, Any]:
    """3 tasks, each followed by pass/choice states (20 in all), then the end."""
    states: dict[str, Any] = {}
    tasks = [
        ("One", "step_one", "$.input.n"),
        ("Two", "step_two", "$.state.one.n"),
        ("Three", "step_three", "$.state.two.n"),
    ]
    glue_per_task = [10, 10, 0]
    for (name, activity, source), glue in zip(tasks, glue_per_task, strict=True):
        first_glue = f"{name}Glue0"
        following = first_glue if glue else "Done"
        states[name] = {
            "type": "task",
            "activity": activity,
            "input": {"n.$": source},
            "resultPath": f"$.state.{name.lower()}",
            "next": following,
        }
        for index in range(glue):
            here = f"{name}Glue{index}"
            after = (
                f"{name}Glue{index + 1}"
                if index + 1 < glue
                else tasks[tasks.index((name, activity, source)) + 1][0]
            )
            if index % 2 == 0:
                states[here] = {
                    "type": "pass",
                    "result": {
                        "seen.$": f"$.state.{name.lower()}.n",
                        "step": index,
                        "at.$": "$.system.now",
                    },
                    "resultPath": f"$.state.glue{name}{index}",
                    "next": after,
                }
            else:
                states[here] = {
                    "type": "choice",
                    "choices": [
                        {
                            "when": {"path": f"$.state.{name.lower()}.n", "lessThan": 0},
                            "next": "Done",
                        },
                        {
                            "when": {
                                "and": [
                                    {"path": "$.input.mode", "equals": "fast"},
                                    {
                                        "path": f"$.state.glue{name}{index - 1}.step",
                                        "equals": index - 1,
                                    },
                                ]
                            },
                            "next": after,
                        },
                    ],
                    "default": after,
                }
    states["Done"] = {"type": "succeed", "output": {"result.$": "$.state.three"}}
    return {"name": "bench", "version": "1.0.0", "startAt": "One", "states": states}


def hand_written(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    data = context.get_input()["input"]
    one = yield context.call_activity("step_one", {"n": data["n"]})
    two = yield context.call_activity("step_two", {"n": one["n"]})
    three = yield context.call_activity("step_three", {"n": two["n"]})
    return {"result": three}


def pinned_hand_written(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """The hand-written orchestrator after the loader call every instance makes (DESIGN §5)."""
    request = context.get_input()
    yield context.call_activity(
        LOADER_ACTIVITY, {"workflow": request["workflow"], "version": request.get("version")}
    )
    return (yield from hand_written(context))


def record(host: SimulatedHost, request: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    iid = host.start("workflow", request)
    instance = host.status(iid)
    assert instance.status == "Completed", instance.error
    return iid, instance.history


def episodes(history: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The history each episode saw: everything up to each OrchestratorCompleted."""
    ends = [i for i, e in enumerate(history) if e["EventType"] == ORCHESTRATOR_COMPLETED]
    return [[{**e, "IsPlayed": False} for e in history[:end]] for end in ends]


Side = tuple[Any, list[list[dict[str, Any]]], str]  # handle, the histories to replay, id
Row = tuple[str, float, float, float]  # measure; JSON workflow, hand-written, pinned seconds


def timed_sides(sides: list[Side], request: Any, repeat: int) -> list[float]:
    """Median seconds to replay each side's histories once, the sides interleaved.

    The machine is shared: interleaving puts every side under the same load, and the garbage
    collector is paused so that no side pays for another's garbage.
    """
    samples: list[list[float]] = [[] for _ in sides]
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for side, (handle, histories, iid) in enumerate(sides):
                began = time.perf_counter()
                for history in histories:
                    run_episode(handle, history, request, iid)
                samples[side].append(time.perf_counter() - began)
    finally:
        gc.enable()
    return [statistics.median(side) for side in samples]


def run(repeat: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.json"
        path.write_text(json.dumps(definition()))

        def loader(r: dict[str, Any]) -> dict[str, Any]:
            found = load_definition(r["workflow"], r.get("version"), [FolderSource(folder)])
            return found.to_json()

        app = df.DFApp()
        app.register_functions(orchestration.blueprint)
        interpreted = SimulatedHost.from_app(app, ACTIVITIES)
        interpreted.activities[LOADER_ACTIVITY] = loader
        request = {"workflow": "bench", "input": {"n": 1, "mode": "fast"}}
        workflow_handle = interpreted.orchestrators["workflow"]
        iid_a, history_a = record(interpreted, request)

        manual_handle = Orchestrator.create(hand_written)
        manual = SimulatedHost({"workflow": manual_handle}, ACTIVITIES)
        iid_b, history_b = record(manual, request)
        assert interpreted.status(iid_a).output == manual.status(iid_b).output

        pinned_handle = Orchestrator.create(pinned_hand_written)
        pinned = SimulatedHost({"workflow": pinned_handle}, {**ACTIVITIES, LOADER_ACTIVITY: loader})
        iid_c, history_c = record(pinned, request)
        assert pinned.status(iid_c).output == manual.status(iid_b).output

        rows: list[Row] = []
        for sdk in ("", ", SDK fast paths"):
            if sdk:
                sdk_fastpaths.install()
            else:
                sdk_fastpaths.uninstall()
            for label, slices in (("final replay", lambda h: [h]), ("whole run", episodes)):
                a, b, c = timed_sides(
                    [
                        (workflow_handle, slices(history_a), iid_a),
                        (manual_handle, slices(history_b), iid_b),
                        (pinned_handle, slices(history_c), iid_c),
                    ],
                    request,
                    repeat,
                )
                rows.append((label + sdk, a, b, c))
        sdk_fastpaths.uninstall()
        return rows


DEVHOST_APP = """
import azure.durable_functions as df

import orchestration

app = df.DFApp()
app.register_functions(orchestration.blueprint)


@app.activity_trigger(input_name="x")
def step_one(x):
    return {"n": x["n"] + 1, "tier": "high"}


@app.activity_trigger(input_name="x")
def step_two(x):
    return {"n": x["n"] * 2}


@app.activity_trigger(input_name="x")
def step_three(x):
    return {"done": True, "n": x["n"]}


@app.orchestration_trigger(context_name="context")
def hand_written(context):
    data = context.get_input()["input"]
    one = yield context.call_activity("step_one", {"n": data["n"]})
    two = yield context.call_activity("step_two", {"n": one["n"]})
    three = yield context.call_activity("step_three", {"n": two["n"]})
    return {"result": three}


@app.orchestration_trigger(context_name="context")
def pinned_hand_written(context):
    request = context.get_input()
    yield context.call_activity(
        "load_workflow_definition",
        {"workflow": request["workflow"], "version": request.get("version")},
    )
    data = request["input"]
    one = yield context.call_activity("step_one", {"n": data["n"]})
    two = yield context.call_activity("step_two", {"n": one["n"]})
    three = yield context.call_activity("step_three", {"n": two["n"]})
    return {"result": three}
"""


def run_devhost(count: int) -> tuple[float, float, float]:
    """Seconds for ``count`` instances of the JSON workflow, then of the hand-written one, then
    of the hand-written one after the loader call."""
    from devhost.testing import DevHost

    with tempfile.TemporaryDirectory() as folder:
        app = Path(folder) / "app"
        (app / "workflows").mkdir(parents=True)
        (app / "function_app.py").write_text(DEVHOST_APP)
        (app / "host.json").write_text(json.dumps({"version": "2.0"}))
        (app / "local.settings.json").write_text(
            json.dumps({"Values": {"WORKFLOWS_PATH": "workflows", "AzureWebJobsStorage": ""}})
        )
        (app / "workflows" / "bench.json").write_text(json.dumps(definition()))
        timings = []
        with DevHost(app, clock="virtual", data_dir=Path(folder) / "data") as host:
            for name in ("workflow", "hand_written", "pinned_hand_written"):
                began = time.perf_counter()
                ids = [
                    host.start_orchestration(
                        name, {"workflow": "bench", "input": {"n": 1, "mode": "fast"}}
                    )
                    for _ in range(count)
                ]
                host.wait_idle(timeout=600)
                timings.append(time.perf_counter() - began)
                finished = [host.wait_for(i) for i in ids]
                # A run that fails fast must not pass for a fast run.
                assert {f["runtimeStatus"] for f in finished} == {"Completed"}, finished[0]
                outputs = {json.dumps(f["output"]) for f in finished}
                assert len(outputs) == 1, outputs
        return timings[0], timings[1], timings[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--devhost",
        type=int,
        default=0,
        metavar="N",
        help="also run N instances of each end to end on devhost",
    )
    args = parser.parse_args()
    rows = run(args.repeat)
    if args.devhost:
        rows.append((f"devhost, {args.devhost} instances end to end", *run_devhost(args.devhost)))
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, median of {args.repeat}"
    )
    print(
        "| measure | JSON workflow (ms) | hand-written (ms) | ratio "
        "| hand-written + loader call (ms) | ratio to that |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, interpreted, manual, pinned in rows:
        print(
            f"| {label} | {interpreted * 1000:.2f} | {manual * 1000:.2f} | "
            f"{interpreted / manual:.2f}x | {pinned * 1000:.2f} | {interpreted / pinned:.2f}x |"
        )


if __name__ == "__main__":
    main()
