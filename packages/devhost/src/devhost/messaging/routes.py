"""Admin routes of the local broker (devhost only; DESIGN §4).

Service Bus (``{entity}`` is a queue, or ``{topic}/subscriptions/{sub}`` under ``/topics``)::

    POST /admin/devhost/queues/{queue}/messages     send; body as sent, Content-Type kept,
    POST /admin/devhost/topics/{topic}/messages     ?sessionId=&messageId=&correlationId=
                                                    &scheduledEnqueueTime=&subject=&timeToLive=
                                                    header X-Application-Properties: {JSON}
    GET  /admin/devhost/queues                      every queue and subscription with counts
    GET  /admin/devhost/queues/{queue}              active, locked, scheduled, dead-letter counts
    GET  /admin/devhost/queues/{queue}/deadletter   dead-lettered messages, reason, description
    POST /admin/devhost/queues/{queue}/deadletter/{messageId}/resubmit
    GET  /admin/devhost/topics/{topic}/subscriptions/{sub}[/deadletter]   the same
    POST /admin/devhost/topics/{topic}/subscriptions/{sub}/deadletter/{messageId}/resubmit

Storage queues::

    POST /admin/devhost/storage-queues/{queue}/messages   send (?visibilityTimeout=seconds)
    GET  /admin/devhost/storage-queues                    every queue with counts
    GET  /admin/devhost/storage-queues/{queue}            visible, invisible, poison counts
    GET  /admin/devhost/storage-queues/{queue}/messages   peek (the poison queue too)

A refused send is a 400 ``application/problem+json`` whose ``field`` names the culprit; nothing
is stored then.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from devhost.messaging.config import parse_duration, subscription_path
from devhost.messaging.errors import ConfigError, SendError
from devhost.messaging.servicebus import OutgoingMessage, ReceivedMessage, ServiceBusBroker
from devhost.messaging.storage_queues import QueueMessage, StorageQueues, check_queue_name
from devhost.web.params import parse_json, whole_number
from devhost.web.problems import problem


class MessagingLike(Protocol):
    """What the admin routes use of the messaging subsystem (``messaging.runtime.Messaging``)."""

    servicebus: ServiceBusBroker
    queues: StorageQueues

    def prepare(self) -> None: ...


__all__ = ["admin_routes"]

PREFIX = "/admin/devhost"
PROPERTIES_HEADER = "X-Application-Properties"


def _bad(error: SendError) -> web.Response:
    return problem(400, str(error), field=error.field)


def _scheduled(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SendError(
            "scheduledEnqueueTime",
            f"expected an ISO 8601 time with a UTC offset "
            f"such as 2026-01-01T09:00:00Z, got {text!r}",
        )
    return moment


def _application_properties(request: web.Request) -> dict[str, Any]:
    raw = request.headers.get(PROPERTIES_HEADER)
    if raw is None:
        return {}
    value, error = parse_json(raw, "header")
    if error is not None:
        raise SendError(PROPERTIES_HEADER, error)
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float | bool) or v is None for v in value.values()
    ):
        raise SendError(
            PROPERTIES_HEADER, "expected a JSON object of string, number or boolean values"
        )
    return value


async def _outgoing(request: web.Request) -> OutgoingMessage:
    body = await request.read()
    if not body:
        raise SendError("body", "a message body is required (the request body is empty)")
    query = request.query
    ttl = None
    if "timeToLive" in query:
        try:
            ttl = parse_duration(query["timeToLive"], "timeToLive")
        except ConfigError as error:
            raise SendError("timeToLive", str(error).removeprefix("timeToLive: ")) from error
    content_type = request.headers.get("Content-Type")
    return OutgoingMessage(
        body=body,
        message_id=query.get("messageId"),
        session_id=query.get("sessionId"),
        correlation_id=query.get("correlationId"),
        subject=query.get("subject"),
        content_type=content_type or None,
        application_properties=_application_properties(request),
        scheduled_enqueue_time=_scheduled(query.get("scheduledEnqueueTime")),
        time_to_live=ttl,
    )


def _message_json(m: ReceivedMessage) -> dict[str, Any]:
    try:
        body: Any = m.body.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(m.body).decode("ascii"), "base64"
    return {
        "sequenceNumber": m.sequence_number,
        "messageId": m.message_id,
        "sessionId": m.session_id,
        "correlationId": m.properties.get("correlation_id"),
        "contentType": m.properties.get("content_type"),
        "applicationProperties": m.application_properties,
        "deliveryCount": m.delivery_count,
        "enqueuedTimeUtc": m.enqueued_at.isoformat(),
        "deadLetterReason": m.dead_letter_reason,
        "deadLetterErrorDescription": m.dead_letter_description,
        "body": body,
        "bodyEncoding": encoding,
    }


def _queue_message_json(m: QueueMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "body": m.body.decode("utf-8", errors="replace"),
        "dequeueCount": m.dequeue_count,
        "insertionTime": m.inserted_at.isoformat(),
        "nextVisibleTime": m.visible_at.isoformat(),
    }


def _storage_queue(request: web.Request) -> str | web.Response:
    """The storage queue the path names, or the 400 for a name Azure refuses."""
    name = request.match_info["queue"]
    try:
        check_queue_name(name)
    except SendError as error:
        return _bad(error)
    return name


def admin_routes(messaging: MessagingLike) -> list[web.RouteDef]:
    """The routes above, bound to one host's messaging subsystem."""
    broker = messaging.servicebus
    queues = messaging.queues

    def entity_of(request: web.Request) -> str | web.Response:
        messaging.prepare()
        info = request.match_info
        entity = subscription_path(info["topic"], info["sub"]) if "sub" in info else info["queue"]
        if entity not in broker.config.entities:
            return problem(404, f"no queue or subscription {entity!r}", field="queue")
        return entity

    async def send(request: web.Request) -> web.Response:
        messaging.prepare()
        name = request.match_info.get("queue") or request.match_info["topic"]
        try:
            message = await _outgoing(request)
            if "topic" in request.match_info and name not in broker.config.topics:
                raise SendError("topic", f"unknown topic {name!r}")
            result = broker.send(name, [message])
        except SendError as error:
            return _bad(error)
        return web.json_response(
            {
                "entity": name,
                "sequenceNumbers": result.sequence_numbers,
                "duplicates": result.duplicates,
            },
            status=201,
        )

    async def list_entities(request: web.Request) -> web.Response:
        messaging.prepare()
        return web.json_response(
            {
                "entities": [
                    {
                        "name": name,
                        "requiresSession": props.requires_session,
                        "maxDeliveryCount": props.max_delivery_count,
                        **broker.counts(name),
                    }
                    for name, props in sorted(broker.config.entities.items())
                ]
            }
        )

    async def counts(request: web.Request) -> web.Response:
        entity = entity_of(request)
        if isinstance(entity, web.Response):
            return entity
        return web.json_response({"name": entity, **broker.counts(entity)})

    async def dead_letters(request: web.Request) -> web.Response:
        entity = entity_of(request)
        if isinstance(entity, web.Response):
            return entity
        return web.json_response(
            {"name": entity, "messages": [_message_json(m) for m in broker.dead_letters(entity)]}
        )

    async def resubmit(request: web.Request) -> web.Response:
        entity = entity_of(request)
        if isinstance(entity, web.Response):
            return entity
        message_id = request.match_info["message_id"]
        moved = broker.resubmit(entity, message_id)
        if not moved:
            return problem(
                404,
                f"no dead-lettered message {message_id!r} in {entity!r}",
                field="messageId",
            )
        return web.json_response({"name": entity, "resubmitted": moved})

    async def storage_send(request: web.Request) -> web.Response:
        name = request.match_info["queue"]
        try:
            check_queue_name(name)
            body = await request.read()
            if not body:
                raise SendError("body", "a message body is required (the request body is empty)")
            # Azure Storage takes 0 seconds to 7 days.
            delay = whole_number(
                request.query, "visibilityTimeout", low=0, high=7 * 24 * 3600, default=0
            )
            ids = queues.put(name, [body], timedelta(seconds=delay or 0))
        except SendError as error:
            return _bad(error)
        return web.json_response({"queue": name, "ids": ids}, status=201)

    async def storage_list(request: web.Request) -> web.Response:
        return web.json_response(
            {"queues": [{"name": q, **queues.counts(q)} for q in queues.queues()]}
        )

    async def storage_counts(request: web.Request) -> web.Response:
        name = _storage_queue(request)
        if isinstance(name, web.Response):
            return name
        return web.json_response({"name": name, **queues.counts(name)})

    async def storage_peek(request: web.Request) -> web.Response:
        name = _storage_queue(request)
        if isinstance(name, web.Response):
            return name
        return web.json_response(
            {"name": name, "messages": [_queue_message_json(m) for m in queues.peek(name)]}
        )

    sub = "/topics/{topic}/subscriptions/{sub}"
    resubmit_path = "/deadletter/{message_id:[^/]+}/resubmit"  # a message id may hold braces
    return [
        web.post(f"{PREFIX}/queues/{{queue}}/messages", send),
        web.post(f"{PREFIX}/topics/{{topic}}/messages", send),
        web.get(f"{PREFIX}/queues", list_entities),
        web.get(f"{PREFIX}/queues/{{queue}}", counts),
        web.get(f"{PREFIX}/queues/{{queue}}/deadletter", dead_letters),
        web.post(f"{PREFIX}/queues/{{queue}}{resubmit_path}", resubmit),
        web.get(f"{PREFIX}{sub}", counts),
        web.get(f"{PREFIX}{sub}/deadletter", dead_letters),
        web.post(f"{PREFIX}{sub}{resubmit_path}", resubmit),
        web.post(f"{PREFIX}/storage-queues/{{queue}}/messages", storage_send),
        web.get(f"{PREFIX}/storage-queues", storage_list),
        web.get(f"{PREFIX}/storage-queues/{{queue}}", storage_counts),
        web.get(f"{PREFIX}/storage-queues/{{queue}}/messages", storage_peek),
    ]
