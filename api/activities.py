"""The activity registry: every activity with its description and input/output schemas."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from api._management import management_route
from api.management_sources import registry
from management.durable_http import DurableHttp
from management.errors import NotFound

__all__ = ["activity_entry", "activity_list"]


@management_route("activities", ["GET"], "read")
async def activity_list(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Every registered activity, by name."""
    return {"items": [entry.to_json() for entry in registry()]}


@management_route("activities/{activityName}", ["GET"], "read")
async def activity_entry(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """One activity; 404 when there is none of that name."""
    entry = registry().get(req.route_params["activityName"])
    if entry is None:
        raise NotFound(f"no activity named {req.route_params['activityName'][:60]!r}")
    return entry.to_json()
