"""Workflow instances in our terms: the view of one, filters, and pages that reach every one.

Durable's query filters by runtime status, creation time and id prefix and pages with an opaque
continuation token. ``workflow`` is ours (the orchestrator is always ``workflow``), so it is
applied here, and a page is filled from as many Durable pages as it takes. Our continuation
token says where to resume: Durable's token of the page being read and how many of its
instances were already handed out, so every instance is reached once and pages are full.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .durable_http import DurableHttp
from .errors import DurableUnreachable, InvalidInput

__all__ = [
    "ACTIVE",
    "MAX_COUNTED",
    "STATUSES",
    "Filters",
    "check_instance_id",
    "count_by_status",
    "instance_view",
    "list_page",
    "matching",
]

STATUSES = (
    "Pending",
    "Running",
    "Suspended",
    "Completed",
    "Failed",
    "Terminated",
    "ContinuedAsNew",
)
ACTIVE = ("Pending", "Running", "Suspended")
TERMINAL = ("Completed", "Failed", "Terminated")
_BAD_ID = re.compile(r"[/\\#?\x00-\x1f\x7f]")
MAX_TOP = 1000
MAX_COUNTED = 10_000  # a count scans instances: past this it says it stopped


def check_instance_id(text: str, field: str = "instanceId") -> str:
    """An instance id Durable takes: 1-256 characters, none of ``/ \\ # ?`` or controls."""
    if not text or len(text) > 256 or _BAD_ID.search(text) or text != text.strip():
        raise InvalidInput(
            field,
            "expected 1-256 characters without / \\ # ?, control characters or surrounding spaces",
        )
    if text.startswith("@"):
        raise InvalidInput(field, "ids starting with @ are entity ids")
    return text


def _timestamp(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(field, f"expected an ISO 8601 timestamp, got {text[:40]!r}") from None
    return moment


@dataclass(frozen=True)
class Filters:
    """What to list; every field optional. ``status`` is one or more runtime statuses."""

    workflow: str | None = None
    status: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    prefix: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """From query parameters (or a JSON body's strings); each problem names its field."""
        status = tuple(s.strip() for s in (params.get("status") or "").split(",") if s.strip())
        for one in status:
            if one not in STATUSES:
                raise InvalidInput(
                    "status",
                    f"expected runtime statuses among {', '.join(STATUSES)}, got {one[:40]!r}",
                )
        created_from = params.get("createdFrom") or None
        created_to = params.get("createdTo") or None
        prefix = params.get("instanceIdPrefix") or None
        if prefix is not None and (len(prefix) > 256 or _BAD_ID.search(prefix)):
            raise InvalidInput(
                "instanceIdPrefix",
                "expected at most 256 characters without / \\ # ? or control characters",
            )
        return cls(
            workflow=params.get("workflow") or None,
            status=status,
            created_from=_timestamp(created_from, "createdFrom") if created_from else None,
            created_to=_timestamp(created_to, "createdTo") if created_to else None,
            prefix=prefix,
        )

    def durable_query(self) -> dict[str, str]:
        query: dict[str, str] = {}
        if self.status:
            query["runtimeStatus"] = ",".join(self.status)
        if self.created_from:
            query["createdTimeFrom"] = _durable_time(self.created_from)
        if self.created_to:
            query["createdTimeTo"] = _durable_time(self.created_to)
        if self.prefix:
            query["instanceIdPrefix"] = self.prefix
        return query

    def to_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "status": list(self.status),
            "createdFrom": self.created_from and _durable_time(self.created_from),
            "createdTo": self.created_to and _durable_time(self.created_to),
            "instanceIdPrefix": self.prefix,
        }


def _durable_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a four-digit year (``strftime`` writes year 555 as ``555``)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _workflow_of(status: Mapping[str, Any]) -> str | None:
    for source in (status.get("customStatus"), status.get("input")):
        name = source.get("workflow") if isinstance(source, dict) else None
        if isinstance(name, str):
            return name
    return None


def matching(status: Mapping[str, Any], filters: Filters) -> bool:
    """True for a workflow instance the filters select (entities are never listed)."""
    instance_id = str(status.get("instanceId", ""))
    if instance_id.startswith("@"):
        return False
    return filters.workflow is None or _workflow_of(status) == filters.workflow


def instance_view(
    status: Mapping[str, Any], *, links: Mapping[str, str] | None = None, summary: bool = False
) -> dict[str, Any]:
    """One instance: runtime status, our custom status fields, input and output."""
    custom = status.get("customStatus")
    custom = custom if isinstance(custom, dict) else {}
    request = status.get("input")
    request = request if isinstance(request, dict) else {}
    view: dict[str, Any] = {
        "instanceId": status.get("instanceId"),
        "workflow": _workflow_of(status),
        "version": custom.get("version") or request.get("version"),
        "runtimeStatus": status.get("runtimeStatus"),
        "state": custom.get("state"),
        "waitingFor": custom.get("waitingFor"),
        "deadline": custom.get("deadline"),
        "createdTime": status.get("createdTime"),
        "lastUpdatedTime": status.get("lastUpdatedTime"),
    }
    if custom.get("error"):
        view["error"] = custom["error"]
    if summary:
        return view
    view |= {
        "orchestrator": status.get("name"),
        "input": request.get("input") if "workflow" in request else status.get("input"),
        "output": status.get("output"),
        "customStatus": status.get("customStatus"),
    }
    if request.get("hash"):
        view["definitionHash"] = request["hash"]
    if links:
        view["links"] = dict(links)
    return view


# --- paging -----------------------------------------------------------------------------


def _encode_token(durable: str | None, skip: int, size: int) -> str:
    raw = json.dumps({"d": durable, "s": skip, "n": size}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str | None, int, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        durable, skip, size = data["d"], data["s"], data["n"]
        if (
            (durable is not None and not isinstance(durable, str))
            or not isinstance(skip, int)
            or not isinstance(size, int)
            or not 0 <= skip < size <= MAX_TOP
        ):
            raise ValueError
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("continuationToken", "not a token this API issued") from None
    return durable, skip, size


async def list_page(
    durable: DurableHttp, filters: Filters, top: int, token: str | None
) -> dict[str, Any]:
    """``{"items": [...], "continuationToken": str | None}``: up to ``top`` instances.

    A token resumes inside a Durable page, so it also carries that page's size: the page read
    again from the same Durable token holds the same instances in the same order.
    """
    size = MAX_TOP if filters.workflow else top
    durable_token, skip = None, 0
    if token:
        durable_token, skip, size = _decode_token(token)
    items: list[dict[str, Any]] = []
    while True:
        answer = await durable.query(
            filters.durable_query(), size, durable_token, show_input=filters.workflow is not None
        )
        if answer.status == 400:
            raise InvalidInput(
                "filter", f"the Durable endpoint refused the query: {str(answer.body)[:200]}"
            )
        if answer.status != 200 or not isinstance(answer.body, list):
            raise DurableUnreachable(f"the instance query answered {answer.status}")
        page = answer.body
        for index in range(skip, len(page)):
            if not matching(page[index], filters):
                continue
            if len(items) == top:  # full: resume at this instance of this Durable page
                return {
                    "items": items,
                    "continuationToken": _encode_token(durable_token, index, size),
                }
            items.append(instance_view(page[index], summary=True))
        if answer.continuation is None:
            return {"items": items, "continuationToken": None}
        durable_token, skip = answer.continuation, 0
        if len(items) == top:
            return {"items": items, "continuationToken": _encode_token(durable_token, 0, size)}


async def count_by_status(
    durable: DurableHttp, filters: Filters, limit: int = MAX_COUNTED
) -> dict[str, Any]:
    """How many instances the filters select, per runtime status (every status, zeros too).

    Durable has no count, so this reads pages; it stops after ``limit`` instances with
    ``complete: false`` rather than scan a store of millions on every dashboard refresh.
    """
    counts = dict.fromkeys(STATUSES, 0)
    token: str | None = None
    total = 0
    while True:
        page = await list_page(durable, filters, MAX_TOP, token)
        for item in page["items"]:
            status = str(item.get("runtimeStatus"))
            counts[status] = counts.get(status, 0) + 1
        total += len(page["items"])
        token = page["continuationToken"]
        if token is None or total >= limit:
            return {"counts": counts, "total": total, "complete": token is None}
