"""Dead letters: what Service Bus gave up on, recorded by the dead-letter processor, and their
resubmission to the ingress of their queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api._blueprint import blueprint
from api.problems import answer_json, json_response, problem_response, query_int
from ingress.dead_letters import resubmit_dead_letter
from runtime import runtime
from services.records.dead_letters import get_dead_letter, list_dead_letters
from wire import to_json

__all__ = ["dead_letter", "dead_letter_resubmit", "dead_letters"]


def _listing(req: func.HttpRequest) -> Any:
    page = list_dead_letters(
        runtime().adapters.database,
        source=req.params.get("source") or None,
        reason=req.params.get("reason") or None,
        limit=query_int(req, "limit", 50, 1, 500),
        offset=query_int(req, "offset", 0, 0, 10**9),
    )
    return to_json(page)


@blueprint.route(route="dead-letters", methods=["GET"])
def dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first, without bodies, with counts by source and reason;
    ``?source=&reason=&limit=&offset=``."""
    return answer_json(req, lambda: _listing(req))


@blueprint.route(route="dead-letters/{deadLetterId}", methods=["GET"])
def dead_letter(req: func.HttpRequest) -> func.HttpResponse:
    """One dead letter with its body; 404 if there is none."""
    return answer_json(
        req,
        lambda: to_json(
            get_dead_letter(runtime().adapters.database, req.route_params["deadLetterId"])
        ),
    )


@blueprint.route(route="dead-letters/{deadLetterId}/resubmit", methods=["POST"])
@blueprint.durable_client_input(client_name="client")
async def dead_letter_resubmit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Hand the dead letter back to its queue's ingress, once (409 the second time)."""
    current = runtime()
    try:
        resubmitted = await resubmit_dead_letter(
            req.route_params["deadLetterId"],
            engine=current.adapters.database,
            client=client,
            databases=current.adapters.sources,
            now=datetime.now(UTC),
        )
        return json_response(to_json(resubmitted))
    except Exception as error:  # every failure becomes a problem document
        return problem_response(
            error, f"/api/dead-letters/{req.route_params['deadLetterId']}/resubmit"
        )
