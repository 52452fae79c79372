"""A real orchestrator that waits for ``approval`` events like the document-approval workflow.

Each event's data goes, unchanged, to ``record_vote`` (the service the real workflow's
``count_vote`` activity calls), so a test proves that what the API raises is what the
workflow takes. The custom status lists every event received; the output is the decided ballot.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from runtime import runtime
from services import record_vote
from wire import to_json

blueprint = df.Blueprint()


@blueprint.orchestration_trigger(context_name="context")
def workflow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    started = context.get_input()
    document_id = started["input"]["documentId"]
    received: list[Any] = []
    context.set_custom_status({"workflow": started["workflow"], "received": received})
    while True:
        vote = yield context.wait_for_external_event("approval")
        received.append(vote)
        ballot = yield context.call_activity(
            "tally_vote",
            {
                "documentId": document_id,
                "vote": vote,
                "at": context.current_utc_datetime.isoformat(),
            },
        )
        context.set_custom_status(
            {
                "workflow": started["workflow"],
                "received": received,
                "decision": ballot["decision"],
                "ignoredVote": ballot.get("ignoredVote"),
            }
        )
        if ballot["decision"] != "pending":
            return {"received": received, "ballot": ballot}


@blueprint.activity_trigger(input_name="cast")
def tally_vote(cast: dict[str, Any]) -> dict[str, Any]:
    ballot: dict[str, Any] = to_json(
        record_vote(
            runtime().adapters.database,
            cast["documentId"],
            cast["vote"],
            datetime.fromisoformat(cast["at"]),
        )
    )
    return ballot
