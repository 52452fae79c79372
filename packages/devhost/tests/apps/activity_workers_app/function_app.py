"""Activities that say where and how they run, for the tests of activities in worker processes.

``where`` answers with the process id; ``wait_for_release`` records each attempt's process id in
a folder and waits for a file there, so a test can kill the worker in the middle of it;
``meet`` only finishes once its partner runs at the same time; ``peak`` reports how many ran at
once in this process; ``to_queue`` sends a Service Bus message through an output binding, and
``received`` writes what arrives to the file named by the setting ``RECEIVED_FILE``.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_lock = threading.Lock()
_running = 0
_peak = 0


def _wait_for(path: Path, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@app.activity_trigger(input_name="label")
def where(label: str) -> dict[str, Any]:
    return {"label": label, "pid": os.getpid()}


@app.activity_trigger(input_name="label")
async def where_async(label: str) -> dict[str, Any]:
    return {"label": label, "pid": os.getpid()}


@app.activity_trigger(input_name="folder")
def wait_for_release(folder: str) -> int:
    with (Path(folder) / "attempts").open("a", encoding="utf-8") as attempts:
        attempts.write(f"{os.getpid()}\n")
    if not _wait_for(Path(folder) / "release"):
        raise TimeoutError("nobody released this activity")
    return os.getpid()


@app.activity_trigger(input_name="meeting")
def meet(meeting: dict[str, str]) -> str:
    folder = Path(meeting["folder"])
    (folder / meeting["me"]).touch()
    if not _wait_for(folder / meeting["partner"]):
        raise TimeoutError(f"{meeting['partner']} never ran beside {meeting['me']}")
    return meeting["me"]


@app.activity_trigger(input_name="seconds")
def peak(seconds: float) -> int:
    global _running, _peak
    with _lock:
        _running += 1
        _peak = max(_peak, _running)
    time.sleep(seconds)
    with _lock:
        _running -= 1
        return _peak


@app.activity_trigger(input_name="seconds")
def timed_peak(seconds: float) -> dict[str, float]:
    """``peak`` with the process and the wall-clock span, to count across worker processes."""
    start = time.time()
    most = peak(seconds)
    return {"pid": os.getpid(), "peak": most, "start": start, "end": time.time()}


@app.activity_trigger(input_name="text")
@app.service_bus_queue_output(
    arg_name="out", queue_name="from-activity", connection="ServiceBusConnection"
)
def to_queue(text: str, out: func.Out[str]) -> str:
    out.set(f"sent by {text}")
    return text


@app.service_bus_queue_trigger(
    arg_name="msg", queue_name="from-activity", connection="ServiceBusConnection"
)
def received(msg: func.ServiceBusMessage) -> None:
    with Path(os.environ["RECEIVED_FILE"]).open("a", encoding="utf-8") as out:
        out.write(msg.get_body().decode("utf-8") + "\n")


@app.orchestration_trigger(context_name="context")
def whereabouts(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("where", "sync")
    second = yield context.call_activity("where_async", "async")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def released(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("wait_for_release", context.get_input()))


@app.orchestration_trigger(context_name="context")
def meeting(context: df.DurableOrchestrationContext):
    folder = context.get_input()
    return (
        yield context.task_all(
            [
                context.call_activity("meet", {"folder": folder, "me": "a", "partner": "b"}),
                context.call_activity("meet", {"folder": folder, "me": "b", "partner": "a"}),
            ]
        )
    )


@app.orchestration_trigger(context_name="context")
def crowd(context: df.DurableOrchestrationContext):
    peaks = yield context.task_all([context.call_activity("peak", 0.2) for _ in range(12)])
    return max(peaks)


@app.orchestration_trigger(context_name="context")
def timed_crowd(context: df.DurableOrchestrationContext):
    return (yield context.task_all([context.call_activity("timed_peak", 0.5) for _ in range(12)]))


@app.orchestration_trigger(context_name="context")
def relay(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("to_queue", context.get_input()))


@app.activity_trigger(input_name="message")
def boom(message: str) -> str:
    raise ValueError(message)


@app.activity_trigger(input_name="ignored")
def unencodable(ignored: Any) -> Any:
    return {"not": {1, 2}}  # a set: not JSON


@app.orchestration_trigger(context_name="context")
def failures(context: df.DurableOrchestrationContext):
    outcomes = []
    for name in ("boom", "unencodable"):
        try:
            yield context.call_activity(name, "exploded")
        except Exception as exc:
            outcomes.append(str(exc).splitlines()[0])
    return outcomes
