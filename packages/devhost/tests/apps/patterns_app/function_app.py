"""Durable patterns used by devhost's own tests (our code, written for these tests)."""

import json
import os
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
ATTEMPTS: dict[str, int] = {}


def _attempt(key: str) -> int:
    """Count a call of ``key``: in this process, or (``PATTERNS_STATE_DIR`` set) in a file, so
    worker processes that share the calls of one instance share the count."""
    folder = os.environ.get("PATTERNS_STATE_DIR")
    if not folder:
        ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
        return ATTEMPTS[key]
    with (Path(folder) / f"attempts-{key}").open("a+", encoding="utf-8") as counter:
        counter.write(".")
        counter.seek(0)
        return len(counter.read())


@app.route(route="start/{name}/{id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(
        req.route_params["name"], req.route_params.get("id"), payload
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="client/{op}/{id}", methods=["GET", "POST"])
@app.durable_client_input(client_name="client")
async def client_ops(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    op, iid = req.route_params["op"], req.route_params["id"]
    if op == "status":
        st = await client.get_status(iid, show_history=True, show_input=True)
        body = {
            "runtimeStatus": st.runtime_status.value if st.runtime_status else None,
            "output": st.output,
            "customStatus": st.custom_status,
            "history": len(st.historyEvents or []) if hasattr(st, "historyEvents") else None,
        }
    elif op == "wait":
        return await client.wait_for_completion_or_create_check_status_response(req, iid, 10000, 50)
    elif op == "event":
        await client.raise_event(iid, "approval", req.get_json())
        body = {"raised": True}
    elif op == "terminate":
        await client.terminate(iid, "stopped by test")
        body = {"terminated": True}
    elif op == "suspend":
        await client.suspend(iid, "pause")
        body = {"suspended": True}
    elif op == "resume":
        await client.resume(iid, "go")
        body = {"resumed": True}
    elif op == "rewind":
        await client.rewind(iid, "try again")
        body = {"rewound": True}
    elif op == "restart":
        body = {"newId": await client.restart(iid)}
    elif op == "purge":
        result = await client.purge_instance_history(iid)
        body = {"deleted": result.instances_deleted}
    elif op == "query":
        statuses = await client.get_status_by(
            runtime_status=[df.OrchestrationRuntimeStatus.Completed]
        )
        every = await client.get_status_all()
        body = {"completed": sorted(s.instance_id for s in statuses), "all": len(every)}
    elif op == "signal":
        await client.signal_entity(
            df.EntityId("counter", iid), "add", int(req.params.get("n", "1"))
        )
        body = {"signalled": True}
    elif op == "entity":
        state = await client.read_entity_state(df.EntityId("counter", iid))
        body = {"exists": state.entity_exists, "state": state.entity_state}
    else:
        return func.HttpResponse(status_code=404)
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.activity_trigger(input_name="city")
def hello(city: str) -> str:
    return f"Hello {city}!"


@app.activity_trigger(input_name="n")
async def double(n: int) -> int:
    return n * 2


@app.activity_trigger(input_name="key")
def flaky(key: str) -> str:
    attempt = _attempt(key)
    if attempt < 3:
        raise ValueError(f"attempt {attempt} of {key} fails")
    return f"{key} ok after {attempt}"


@app.activity_trigger(input_name="key")
def fail_first(key: str) -> str:
    if _attempt(key) == 1:
        raise ValueError("first call fails")
    return f"{key} ok"


@app.orchestration_trigger(context_name="context")
def fails_once(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("hello", "before")
    second = yield context.call_activity("fail_first", context.instance_id)
    return [first, second]


@app.activity_trigger(input_name="message")
def boom(message: str) -> str:
    raise ValueError(message)


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    a = yield context.call_activity("hello", "Tokyo")
    b = yield context.call_activity("hello", "Seattle")
    return [a, b]


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    n = context.get_input() or 5
    results = yield context.task_all([context.call_activity("double", i) for i in range(n)])
    return sum(results)


@app.orchestration_trigger(context_name="context")
def with_retry(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=3)
    key = context.get_input()
    return (yield context.call_activity_with_retry("flaky", options, key))


@app.orchestration_trigger(context_name="context")
def retry_exhausted(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=2)
    try:
        yield context.call_activity_with_retry("boom", options, "always")
    except Exception as exc:
        return f"caught: {exc}"[:80]
    return "not reached"


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("boom", "activity exploded")
    return "not reached"


@app.orchestration_trigger(context_name="context")
def raises_itself(context: df.DurableOrchestrationContext):
    yield context.call_activity("hello", "x")
    raise RuntimeError("orchestrator gave up")


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    child = yield context.call_sub_orchestrator("chain", None, f"{context.instance_id}-child")
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=2)
    try:
        yield context.call_sub_orchestrator_with_retry("failing", options)
    except Exception:
        failed = True
    else:
        failed = False
    return {"child": child, "failedChildCaught": failed}


@app.orchestration_trigger(context_name="context")
def long_timer(context: df.DurableOrchestrationContext):
    fire_at = context.current_utc_datetime + timedelta(days=5)
    yield context.create_timer(fire_at)
    return context.current_utc_datetime.isoformat()


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    """Human interaction with a timeout: the first of an event and a 72h deadline wins."""
    context.set_custom_status({"stage": "waiting"})
    deadline = context.current_utc_datetime + timedelta(hours=72)
    timer = context.create_timer(deadline)
    event = context.wait_for_external_event("approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        context.set_custom_status({"stage": "decided"})
        return {"decision": event.result}
    return {"decision": "timed out"}


@app.orchestration_trigger(context_name="context")
def collect_events(context: df.DurableOrchestrationContext):
    """Waits three times in a row; events raised before each wait must not be lost."""
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    got = []
    for _ in range(3):
        got.append((yield context.wait_for_external_event("approval")))
    return got


@app.orchestration_trigger(context_name="context")
def counter_loop(context: df.DurableOrchestrationContext):
    """Continue-as-new: counts events, one per execution."""
    count = context.get_input() or 0
    value = yield context.wait_for_external_event("approval")
    if value == "stop":
        return count
    context.continue_as_new(count + 1)
    return None


@app.orchestration_trigger(context_name="context")
def monitor(context: df.DurableOrchestrationContext):
    """Polls every hour until the job is done or 6 checks are spent."""
    checks = 0
    while checks < 6:
        checks += 1
        result = yield context.call_activity("double", checks)
        if result >= 8:
            return {"checks": checks}
        yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    return {"checks": checks, "gaveUp": True}


@app.orchestration_trigger(context_name="context")
def use_entity(context: df.DurableOrchestrationContext):
    entity = df.EntityId("counter", context.get_input())
    context.signal_entity(entity, "add", 5)
    value = yield context.call_entity(entity, "add", 10)
    state = yield context.call_entity(entity, "get")
    return {"afterAdd": value, "get": state}


@app.orchestration_trigger(context_name="context")
def versioned(context: df.DurableOrchestrationContext):
    return {"version": context.version}


@app.orchestration_trigger(context_name="context")
def http_call(context: df.DurableOrchestrationContext):
    response = yield context.call_http("GET", context.get_input())
    return {"status": response["statusCode"], "content": response["content"]}


@app.orchestration_trigger(context_name="context")
def deterministic(context: df.DurableOrchestrationContext):
    first = context.new_uuid()
    yield context.call_activity("hello", "a")
    return {"uuid": first, "replay": context.is_replaying}


@app.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext):
    value = context.get_state(lambda: 0)
    op = context.operation_name
    if op == "add":
        value += context.get_input()
        context.set_state(value)
        context.set_result(value)
    elif op == "get":
        context.set_result(value)
    elif op == "reset":
        context.set_state(0)
    elif op == "delete":
        context.destruct_on_exit()
