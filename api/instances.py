"""Workflow instances: list, read, timeline, raise events, control, purge, and in bulk."""

from __future__ import annotations

import re
from typing import Any

import azure.functions as func

from api._management import instance_links, json_body, management_route, query_flag
from api.problems import json_response, query_int
from management.durable_http import DurableAnswer, DurableHttp
from management.errors import Conflict, DurableUnreachable, InstanceGone, InvalidInput, NotFound
from management.instances import (
    ACTIVE,
    MAX_TOP,
    TERMINAL,
    Filters,
    check_instance_id,
    count_by_status,
    instance_view,
    list_page,
)
from management.timeline import timeline

__all__ = [
    "instance_counts",
    "instance_list",
    "instance_purge",
    "instance_raise_event",
    "instance_restart",
    "instance_resume",
    "instance_rewind",
    "instance_status",
    "instance_suspend",
    "instance_terminate",
    "instance_timeline",
    "instances_purge",
    "instances_terminate",
]

_EVENT_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\#?]{1,128}$")
MAX_REASON = 1000
MAX_BULK = 10_000


def _id(req: func.HttpRequest) -> str:
    return check_instance_id(req.route_params["instanceId"])


async def _status(
    durable: DurableHttp, instance_id: str, *, history: bool = False
) -> dict[str, Any]:
    answer = await durable.status(instance_id, history=history)
    if answer.status == 404:
        raise NotFound(f"no instance {instance_id!r}")
    if answer.status not in (200, 202, 500) or not isinstance(answer.body, dict):
        raise DurableUnreachable(f"the status of {instance_id} answered {answer.status}")
    return answer.body


def _refused(answer: DurableAnswer, instance_id: str, what: str) -> None:
    if answer.status == 404:
        raise NotFound(f"no instance {instance_id!r}")
    if answer.status == 410:
        raise InstanceGone(f"instance {instance_id} cannot {what} now: {_detail(answer)}")
    if answer.status == 409:
        raise Conflict(f"instance {instance_id}: {_detail(answer)}")
    if answer.status == 400:
        raise InvalidInput("body", _detail(answer))
    if answer.status not in (200, 202):
        raise DurableUnreachable(f"{what} on {instance_id} answered {answer.status}")


def _detail(answer: DurableAnswer) -> str:
    body = answer.body
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("Message") or body)[:300]
    return str(body or answer.status)[:300]


def _reason(req: func.HttpRequest) -> str:
    body = json_body(req, empty={})
    if not isinstance(body, dict):
        raise InvalidInput("body", 'expected a JSON object such as {"reason": "..."}')
    reason = body.get("reason", req.params.get("reason", ""))
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"expected text of at most {MAX_REASON} characters")
    return reason


@management_route("instances", ["GET"], "read")
async def instance_list(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """A page of instances, oldest first: ``?workflow=&status=&createdFrom=&createdTo=
    &instanceIdPrefix=&top=&continuationToken=``."""
    filters = Filters.parse(req.params)
    top = query_int(req, "top", 100, 1, MAX_TOP)
    page = await list_page(durable, filters, top, req.params.get("continuationToken") or None)
    return {**page, "filters": filters.to_json(), "top": top}


@management_route("operations/instance-counts", ["GET"], "read")
async def instance_counts(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """How many instances per runtime status, with the listing's filters (the dashboard's
    counts on top); ``complete: false`` when it stopped counting."""
    filters = Filters.parse(req.params)
    return {**await count_by_status(durable, filters), "filters": filters.to_json()}


@management_route("instances/{instanceId}", ["GET"], "read")
async def instance_status(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Runtime status, our custom status (workflow, version, state, waitingFor, deadline),
    input and output."""
    instance_id = _id(req)
    return instance_view(
        await _status(durable, instance_id), links=instance_links(req, instance_id)
    )


@management_route("instances/{instanceId}/timeline", ["GET"], "read")
async def instance_timeline(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """The history as people read it: states entered, activities, timers, events."""
    return timeline(await _status(durable, _id(req), history=True))


@management_route("instances/{instanceId}/events/{eventName}", ["POST"], "write")
async def instance_raise_event(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Raise an external event with the body (JSON; empty is null): 202, 404, 410."""
    instance_id, name = _id(req), req.route_params["eventName"]
    if not _EVENT_NAME.match(name):
        raise InvalidInput(
            "eventName", "expected 1-128 characters without / \\ # ? or control characters"
        )
    data = json_body(req)
    answer = await durable.raise_event(instance_id, name, data)
    _refused(answer, instance_id, f"take event {name!r}")
    return json_response({"instanceId": instance_id, "event": name, "raised": True}, 202)


async def _control(req: func.HttpRequest, durable: DurableHttp, action: str) -> Any:
    instance_id = _id(req)
    reason = _reason(req)
    answer = await durable.control(instance_id, action, reason)
    _refused(answer, instance_id, action)
    return json_response(
        {"instanceId": instance_id, "action": action, "reason": reason, "accepted": True}, 202
    )


@management_route("instances/{instanceId}/terminate", ["POST"], "write")
async def instance_terminate(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """End a Pending, Running or Suspended instance as Terminated: 202, 404, 410."""
    return await _control(req, durable, "terminate")


@management_route("instances/{instanceId}/suspend", ["POST"], "write")
async def instance_suspend(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Suspend a running instance (it keeps its events until resumed): 202, 404, 410."""
    return await _control(req, durable, "suspend")


@management_route("instances/{instanceId}/resume", ["POST"], "write")
async def instance_resume(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Resume a suspended instance: 202, 404, 410."""
    return await _control(req, durable, "resume")


@management_route("instances/{instanceId}/rewind", ["POST"], "write")
async def instance_rewind(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Rewind a Failed instance to before its failure and run it on: 202, 404, 410."""
    return await _control(req, durable, "rewind")


@management_route("instances/{instanceId}/restart", ["POST"], "write")
async def instance_restart(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Start the instance again with its input: a new id unless ``?newInstanceId=false``."""
    instance_id = _id(req)
    _reason(req)
    answer = await durable.restart(instance_id, query_flag(req, "newInstanceId", True))
    _refused(answer, instance_id, "restart")
    new_id = answer.body if isinstance(answer.body, str) else instance_id
    return json_response(
        {"instanceId": new_id, "restartedFrom": instance_id, "links": instance_links(req, new_id)},
        202,
    )


@management_route("instances/{instanceId}", ["DELETE"], "write")
async def instance_purge(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Purge a Completed, Failed or Terminated instance and its history; 409 otherwise."""
    instance_id = _id(req)
    status = await _status(durable, instance_id)
    if status.get("runtimeStatus") not in TERMINAL:
        raise Conflict(
            f"instance {instance_id} is {status.get('runtimeStatus')}; only "
            "Completed, Failed or Terminated instances are purged (terminate it "
            "first)"
        )
    answer = await durable.purge(instance_id)
    _refused(answer, instance_id, "be purged")
    return {"instanceId": instance_id, "purged": True}


async def _bulk(
    req: func.HttpRequest, durable: DurableHttp, statuses: tuple[str, ...]
) -> tuple[list[dict[str, Any]], bool]:
    """The instances the filters select (in ``statuses``), at most ``limit``."""
    filters = Filters.parse(req.params)
    if filters == Filters():
        raise InvalidInput(
            "filter",
            "a bulk operation needs at least one filter (workflow, "
            "status, createdFrom, createdTo or instanceIdPrefix)",
        )
    chosen = tuple(s for s in (filters.status or statuses) if s in statuses)
    if not chosen:
        return [], False
    filters = Filters(
        filters.workflow, chosen, filters.created_from, filters.created_to, filters.prefix
    )
    limit = query_int(req, "limit", 1000, 1, MAX_BULK)
    selected: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await list_page(durable, filters, min(MAX_TOP, limit - len(selected) + 1), token)
        selected.extend(page["items"])
        token = page["continuationToken"]
        if len(selected) > limit:
            return selected[:limit], True
        if token is None:
            return selected, False


@management_route("instances/terminate", ["POST"], "write")
async def instances_terminate(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Terminate every Pending, Running or Suspended instance the filters select."""
    reason = _reason(req)
    selected, more = await _bulk(req, durable, ACTIVE)
    done: list[str] = []
    failed: list[dict[str, Any]] = []
    for item in selected:
        answer = await durable.control(item["instanceId"], "terminate", reason)
        if answer.status == 202:
            done.append(item["instanceId"])
        else:
            failed.append({"instanceId": item["instanceId"], "status": answer.status})
    return {"terminated": done, "failed": failed, "more": more}


@management_route("instances", ["DELETE"], "write")
async def instances_purge(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Purge every Completed, Failed or Terminated instance the filters select."""
    selected, more = await _bulk(req, durable, TERMINAL)
    done: list[str] = []
    failed: list[dict[str, Any]] = []
    for item in selected:
        answer = await durable.purge(item["instanceId"])
        if answer.status == 200:
            done.append(item["instanceId"])
        else:
            failed.append({"instanceId": item["instanceId"], "status": answer.status})
    return {"purged": done, "failed": failed, "more": more}
