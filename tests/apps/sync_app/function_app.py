"""Scheduled sync, as a devhost test app.

A timer every 15 seconds enqueues two sync items to the storage queue ``output-queue``; a queue
trigger starts orchestration ``Workflow-{Id}-{SyncName}-{Date}`` for each item unless one with
that id is running. The orchestration's first activity fails for item 2, so that instance ends
Failed and the other Completed. Every queue-trigger call appends a line to the JSONL file named
by the app setting ``SYNC_LEDGER`` so tests can see what ran and when.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

SYNC_ITEMS = ({"Id": 1, "SyncName": "customers"}, {"Id": 2, "SyncName": "invoices"})
ACTIVE = {df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending}


@app.timer_trigger(arg_name="timer", schedule="*/15 * * * * *")
@app.queue_output(arg_name="items", queue_name="output-queue", connection="AzureWebJobsStorage")
def enqueue_sync_items(timer: func.TimerRequest, items: func.Out[list[str]]) -> None:
    # ScheduleStatus.Next is the occurrence being fired: the tick's own time.
    tick = str(timer.schedule_status["Next"])
    items.set([json.dumps({**item, "Date": tick[:10], "Tick": tick}) for item in SYNC_ITEMS])


@app.queue_trigger(arg_name="msg", queue_name="output-queue", connection="AzureWebJobsStorage")
@app.durable_client_input(client_name="client")
async def start_sync(msg: func.QueueMessage, client: df.DurableOrchestrationClient) -> None:
    item = json.loads(msg.get_body())
    instance_id = f"Workflow-{item['Id']}-{item['SyncName']}-{item['Date']}"
    status = await client.get_status(instance_id)
    running = status is not None and status.runtime_status in ACTIVE
    if not running:
        await client.start_new("sync_workflow", instance_id, item)
    ledger = os.environ.get("SYNC_LEDGER")
    if ledger:
        with Path(ledger).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"instanceId": instance_id, "tick": item["Tick"],
                                  "insertedAt": msg.insertion_time.isoformat()
                                  if msg.insertion_time else None,
                                  "started": not running}) + "\n")


@app.orchestration_trigger(context_name="context")
def sync_workflow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    item = context.get_input()
    rows = yield context.call_activity("fetch_sync_source", item)
    return (yield context.call_activity("store_sync_result", {"item": item, "rows": rows}))


@app.activity_trigger(input_name="item")
def fetch_sync_source(item: dict[str, Any]) -> list[dict[str, Any]]:
    if item["Id"] == 2:
        raise RuntimeError(f"sync source {item['SyncName']!r} is unavailable")
    return [{"row": n, "sync": item["SyncName"]} for n in range(3)]


@app.activity_trigger(input_name="result")
def store_sync_result(result: dict[str, Any]) -> dict[str, Any]:
    return {"sync": result["item"]["SyncName"], "stored": len(result["rows"])}


@app.orchestration_trigger(context_name="context")
def never_ending(context: df.DurableOrchestrationContext) -> Generator[Any, Any, None]:
    """Stays Running until event ``release``: a stand-in for a long sync in tests."""
    yield context.wait_for_external_event("release")
