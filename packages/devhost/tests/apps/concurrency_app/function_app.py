"""Activities that show how devhost runs them: limits, threads, and a hang."""

import asyncio
import threading
import time

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

RUNNING = {"now": 0, "most": 0}
LOCK = threading.Lock()
RELEASE = threading.Event()


@app.activity_trigger(input_name="n")
def busy(n: int) -> int:
    with LOCK:
        RUNNING["now"] += 1
        RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
    time.sleep(0.05)
    with LOCK:
        RUNNING["now"] -= 1
    return n


@app.activity_trigger(input_name="x")
def where_sync(x: str) -> str:
    return threading.current_thread().name


@app.activity_trigger(input_name="x")
async def where_async(x: str) -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


@app.activity_trigger(input_name="x")
def hang(x: str) -> str:
    RELEASE.wait(timeout=60)
    return "released"


@app.orchestration_trigger(context_name="context")
def fan(context: df.DurableOrchestrationContext):
    return (yield context.task_all([context.call_activity("busy", i) for i in range(12)]))


@app.orchestration_trigger(context_name="context")
def threads(context: df.DurableOrchestrationContext):
    sync_thread = yield context.call_activity("where_sync", "")
    async_thread = yield context.call_activity("where_async", "")
    return [sync_thread, async_thread]


@app.orchestration_trigger(context_name="context")
def one(context: df.DurableOrchestrationContext):
    return (yield context.call_activity(context.get_input(), ""))
