"""``GET /api/approvals``: the approvals waiting for decisions (the dashboard's Approvals view).

A management route (``Workflows.Reader`` behind Easy Auth), not an approver's page: it shows
who still has to decide what, never a token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import azure.functions as func

from api._management import api_base, management_route
from api.problems import query_int
from management.durable_http import DurableHttp
from runtime import runtime
from services.approval.pending_approvals import pending_approvals
from wire import to_json

__all__ = ["approval_list"]


@management_route("approvals", ["GET"], "read")
async def approval_list(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Open approvals, nearest deadline first; ``?limit=&offset=``."""
    pending = pending_approvals(
        runtime().adapters.database,
        datetime.now(UTC),
        limit=query_int(req, "limit", 50, 1, 500),
        offset=query_int(req, "offset", 0, 0, 10**9),
    )
    page: dict[str, Any] = to_json(pending)
    base = api_base(req)
    for item in page["items"]:
        document = f"{base}/documents/{item['documentId']}"
        item["links"] = {
            "document": document,
            "events": f"{document}/events",
            "instance": f"{base}/instances/{quote(item['instanceId'], safe='')}",
        }
    return page
