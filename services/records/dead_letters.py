"""Dead letters: the messages Service Bus gave up on (``MaxDeliveryCountExceeded``, an expired
time to live, ...), recorded by the dead-letter processor beside the quarantine so that an
operator sees them, and can hand one back to its ingress (``mark_resubmitted``).

A quarantined message is one ingress refused (it can never succeed); a dead letter is one
whose handling kept failing (a transient failure that lasted). Keyed by queue and sequence
number, so a dead letter delivered twice to the processor is recorded once.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._fields import inline, omit_none
from services._time import iso, utc
from services.errors import Conflict, InvalidInput, NotFound
from services.ids import derive_id
from services.records import tables

__all__ = [
    "DeadLetter",
    "DeadLetterCount",
    "DeadLetterPage",
    "DeadLetterReceipt",
    "abort_resubmission",
    "finish_resubmission",
    "get_dead_letter",
    "list_dead_letters",
    "record_dead_letter",
    "start_resubmission",
]


def _text(body: bytes | str) -> tuple[str, str]:
    if isinstance(body, str):
        return body, "utf-8"
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message Service Bus gave up on, as the processor recorded it, and its resubmission.

    ``application_properties`` and ``resubmit_outcome`` are JSON as they came (the message's
    properties; what the ingress did with the resubmitted message, ``{"action": "in-progress"}``
    while it runs). The body (text, or base64 when it was not UTF-8) is None in listings.
    """

    id: str
    source: str
    message_id: str
    sequence_number: int | None
    session_id: str | None
    correlation_id: str | None
    reason: str
    description: str
    delivery_count: int
    enqueued_at: datetime | None
    recorded_at: datetime
    application_properties: dict[str, Any]
    body_encoding: str  # utf-8 | base64
    body_length: int
    resubmitted_at: datetime | None
    resubmit_outcome: dict[str, Any] | None
    body: str | None = field(default=None, metadata=omit_none())


@dataclass(frozen=True, slots=True)
class DeadLetterReceipt:
    """What :func:`record_dead_letter` kept, and whether it was already recorded."""

    dead_letter: DeadLetter = field(metadata=inline())
    duplicate: bool


@dataclass(frozen=True, slots=True)
class DeadLetterCount:
    """How many dead letters there are of one source and reason."""

    source: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class DeadLetterPage:
    """One page of dead letters, newest first; ``total`` counts the filtered ones, ``counts``
    all of them by source and reason (not only the page's)."""

    items: tuple[DeadLetter, ...]
    total: int
    counts: tuple[DeadLetterCount, ...]
    limit: int
    offset: int


def _dead_letter(row: RowMapping, with_body: bool) -> DeadLetter:
    return DeadLetter(
        id=row["dead_letter_id"],
        source=row["source"],
        message_id=row["message_id"],
        sequence_number=row["sequence_number"],
        session_id=row["session_id"],
        correlation_id=row["correlation_id"],
        reason=row["reason"],
        description=row["description"],
        delivery_count=row["delivery_count"],
        enqueued_at=row["enqueued_at"],
        recorded_at=row["recorded_at"],
        application_properties=row["properties"],
        body_encoding=row["body_encoding"],
        body_length=len(row["body"]),
        resubmitted_at=row["resubmitted_at"],
        resubmit_outcome=row["resubmit_outcome"],
        body=row["body"] if with_body else None,
    )


def record_dead_letter(
    engine: Engine,
    *,
    source: str,
    message_id: str,
    sequence_number: int | None,
    session_id: str | None,
    correlation_id: str | None,
    reason: str | None,
    description: str | None,
    delivery_count: int,
    enqueued_at: datetime | None,
    body: bytes | str,
    properties: Mapping[str, Any],
    now: datetime,
) -> DeadLetterReceipt:
    """Record one dead letter; returns it, with ``duplicate`` when it was already here (the
    processor's own redelivery)."""
    if not isinstance(source, str) or not source:
        raise InvalidInput("source", "expected the queue the message was dead-lettered from")
    if not isinstance(message_id, str) or not message_id:
        raise InvalidInput("messageId", "expected the message id")
    key = derive_id(
        "dead-letter", source, message_id, "" if sequence_number is None else sequence_number
    )
    text, encoding = _text(body)
    duplicate = False
    try:
        with engine.begin() as conn:
            table = tables.dead_letters
            if (
                conn.execute(
                    sa.select(table.c.dead_letter_id).where(table.c.dead_letter_id == key)
                ).first()
                is not None
            ):
                duplicate = True
            else:
                conn.execute(
                    sa.insert(table).values(
                        dead_letter_id=key,
                        source=source,
                        message_id=message_id[:256],
                        sequence_number=sequence_number,
                        session_id=session_id,
                        correlation_id=correlation_id,
                        reason=reason or "(none given)",
                        description=description or "",
                        delivery_count=delivery_count,
                        enqueued_at=None if enqueued_at is None else utc(enqueued_at),
                        recorded_at=utc(now),
                        body=text,
                        body_encoding=encoding,
                        properties=dict(properties),
                    )
                )
    except IntegrityError:
        duplicate = True  # the same dead letter recorded concurrently
    return DeadLetterReceipt(get_dead_letter(engine, key, with_body=False), duplicate)


def get_dead_letter(engine: Engine, dead_letter_id: str, *, with_body: bool = True) -> DeadLetter:
    """One dead letter (with its body); ``NotFound`` if there is none."""
    table = tables.dead_letters
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(table).where(table.c.dead_letter_id == dead_letter_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"no dead letter {dead_letter_id!r}")
    return _dead_letter(row, with_body)


def list_dead_letters(
    engine: Engine,
    *,
    source: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DeadLetterPage:
    """Newest first, without bodies; ``counts`` is how many of each source and reason there
    are (all of them, not the page)."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "expected 1 to 500")
    if offset < 0:
        raise InvalidInput("offset", "expected 0 or more")
    table = tables.dead_letters
    where = [
        c
        for c in (
            None if source is None else table.c.source == source,
            None if reason is None else table.c.reason == reason,
        )
        if c is not None
    ]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()
        rows = (
            conn.execute(
                sa.select(table)
                .where(*where)
                .order_by(table.c.recorded_at.desc(), table.c.dead_letter_id)
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        grouped = conn.execute(
            sa.select(table.c.source, table.c.reason, sa.func.count())
            .group_by(table.c.source, table.c.reason)
            .order_by(table.c.source, table.c.reason)
        ).all()
    return DeadLetterPage(
        items=tuple(_dead_letter(r, with_body=False) for r in rows),
        total=int(total or 0),
        counts=tuple(DeadLetterCount(s, r, n) for s, r, n in grouped),
        limit=limit,
        offset=offset,
    )


def start_resubmission(engine: Engine, dead_letter_id: str, now: datetime) -> DeadLetter:
    """Claim the dead letter for one resubmission and return it with its body. Only one
    resubmission ever claims it (a second is a ``Conflict``: it would deliver the message
    again), until :func:`abort_resubmission` gives it back."""
    table = tables.dead_letters
    with engine.begin() as conn:
        claimed = conn.execute(
            sa.update(table)
            .where(table.c.dead_letter_id == dead_letter_id, table.c.resubmitted_at.is_(None))
            .values(resubmitted_at=utc(now), resubmit_outcome={"action": "in-progress"})
        ).rowcount
    found = get_dead_letter(engine, dead_letter_id)  # NotFound if there is none
    if claimed != 1:
        at = "?" if found.resubmitted_at is None else iso(found.resubmitted_at)
        raise Conflict(f"dead letter {dead_letter_id} was resubmitted at {at}")
    return found


def finish_resubmission(
    engine: Engine, dead_letter_id: str, outcome: Mapping[str, Any]
) -> DeadLetter:
    """Record what the ingress did with the resubmitted message."""
    table = tables.dead_letters
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.dead_letter_id == dead_letter_id)
            .values(resubmit_outcome=dict(outcome))
        )
    return get_dead_letter(engine, dead_letter_id, with_body=False)


def abort_resubmission(engine: Engine, dead_letter_id: str) -> None:
    """The resubmission failed before the ingress took the message: it may be tried again."""
    table = tables.dead_letters
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.dead_letter_id == dead_letter_id)
            .values(resubmitted_at=None, resubmit_outcome=None)
        )
