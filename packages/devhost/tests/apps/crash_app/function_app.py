"""Crash-test workload: 5 sequential activities, each recording instance:step in a file."""

import os

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def five_steps(context: df.DurableOrchestrationContext):
    done = []
    for step in range(1, 6):
        done.append((yield context.call_activity("record_step", f"{context.instance_id}:{step}")))
    return done


@app.activity_trigger(input_name="mark")
def record_step(mark: str) -> str:
    # Activities run at least once: a repeated line after a crash is expected, a missing one is not.
    with open(os.environ["CRASH_LOG"], "a", encoding="utf-8") as log:
        log.write(mark + "\n")
        log.flush()
        os.fsync(log.fileno())
    return mark
