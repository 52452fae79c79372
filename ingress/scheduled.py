"""The scheduled-workflow triggers: a timer that enqueues due schedules to ``output-queue``,
and the queue trigger that starts one workflow per sync item (see ``sync_items``).

Kept in its own blueprint because its timer reads the app setting
``SCHEDULES_TIMER_SCHEDULE``: apps that register only the schema-change trigger need not set it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

# The host's timer data decoded by azure.functions: func.TimerRequest, its abstract base,
# declares only past_due, not the schedule_status this module reads.
from azure.functions.timer import TimerRequest

from ingress.sync_items import SYNC_QUEUE, ReceivedItem, accept_sync_item, run_tick
from runtime import runtime
from schedules import load_schedules

__all__ = ["blueprint"]

blueprint = df.Blueprint()


@blueprint.timer_trigger(arg_name="timer", schedule="%SCHEDULES_TIMER_SCHEDULE%")
@blueprint.queue_output(arg_name="items", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
def enqueue_due_schedules(timer: TimerRequest, items: func.Out[list[str]]) -> None:
    """Enqueue a sync item for every schedule due since the previous tick."""
    current = runtime()
    file = current.settings.get("SCHEDULES_FILE")
    loaded = load_schedules(
        file=Path(file) if file else None,
        blobs=current.adapters.blobs,
        container=current.settings.get("SCHEDULES_CONTAINER"),
    )
    due = run_tick(current.adapters.database, loaded, timer.schedule_status, now=datetime.now(UTC))
    items.set([json.dumps(item.to_json()) for item in due])


@blueprint.queue_trigger(arg_name="msg", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
@blueprint.durable_client_input(client_name="client")
async def start_scheduled_workflow(
    msg: func.QueueMessage, client: df.DurableOrchestrationClient
) -> None:
    """Start the item's workflow unless its instance is at work; quarantine a bad item."""
    await accept_sync_item(
        ReceivedItem(msg.id, msg.get_body(), msg.dequeue_count or 1),
        engine=runtime().adapters.database,
        client=client,
        now=datetime.now(UTC),
    )
