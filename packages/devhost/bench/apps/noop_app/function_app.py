"""The benchmark's workload: an orchestration of three sequential no-op activities."""

from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def three_steps(context: df.DurableOrchestrationContext):
    a = yield context.call_activity("noop", 1)
    b = yield context.call_activity("noop", a)
    return (yield context.call_activity("noop", b))


@app.activity_trigger(input_name="value")
def noop(value: int) -> int:
    return value


@app.orchestration_trigger(context_name="context")
def five_day_timer(context: df.DurableOrchestrationContext):
    yield context.create_timer(context.current_utc_datetime + timedelta(days=5))
    return "woke"
