"""Quarantine: messages that can never succeed (malformed, naming an unknown database) are
recorded here with a reason code instead of being retried until they dead-letter.

Keyed by the message id, so a redelivered message is recorded once; the first record stands.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._fields import inline, omit_none
from services._input import required_text
from services._time import utc
from services.errors import InvalidInput, NotFound
from services.records import tables
from telemetry import record_quarantined

__all__ = [
    "REASONS",
    "QuarantinePage",
    "QuarantineReceipt",
    "QuarantinedMessage",
    "get_quarantined",
    "list_quarantined",
    "quarantine_message",
]

# The codes ingress uses today; other codes of the same shape are accepted for new checks.
# schema-changes speaks kebab-case; device-events the PascalCase codes of its contract.
REASONS = {
    "not-json": "the body is not JSON (or not UTF-8)",
    "schema-invalid": "the message does not match the schema-change message schema",
    "unknown-database": "the message names a database that is not configured",
    "document-conflict": "the document id is already used for another object",
    "MalformedJson": "a device event whose body is not JSON (or not UTF-8, or too deep)",
    "SchemaValidationFailed": "a device event that does not match the device-event schema",
    "SessionMismatch": "a device event whose session id is not its deviceId",
}
_REASON_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class QuarantinedMessage:
    """A message ingress refused, why (``details`` as ingress described it), and its body as it
    arrived (text, or base64 when it was not UTF-8); listings leave the body out (None)."""

    message_id: str
    source: str
    reason: str
    details: Any
    quarantined_at: datetime
    body_encoding: str  # utf-8 | base64
    body_length: int
    body: str | None = field(default=None, metadata=omit_none())


@dataclass(frozen=True, slots=True)
class QuarantineReceipt:
    """What :func:`quarantine_message` kept, and whether the message was already here."""

    message: QuarantinedMessage = field(metadata=inline())
    duplicate: bool


@dataclass(frozen=True, slots=True)
class QuarantinePage:
    """One page of quarantined messages, newest first, and how many there are in all."""

    items: tuple[QuarantinedMessage, ...]
    total: int
    limit: int
    offset: int


def _message(row: RowMapping, with_body: bool) -> QuarantinedMessage:
    return QuarantinedMessage(
        message_id=row["message_id"],
        source=row["source"],
        reason=row["reason"],
        details=row["details"],
        quarantined_at=row["quarantined_at"],
        body_encoding=row["body_encoding"],
        body_length=len(row["body"]),
        body=row["body"] if with_body else None,
    )


def quarantine_message(
    engine: Engine,
    *,
    message_id: str,
    source: str,
    reason: str,
    details: Mapping[str, Any] | list[Any] | str,
    body: str | bytes,
    now: datetime,
) -> QuarantineReceipt:
    """Record a bad message; returns it, with ``duplicate`` if it was already here.

    ``body`` is kept as sent: text as is, bytes that are not UTF-8 as base64.
    """
    q = tables.quarantined_messages
    message_id = required_text(message_id, "messageId", q.c.message_id)
    source = required_text(source, "source", q.c.source)
    if not isinstance(reason, str) or not _REASON_SHAPE.match(reason):
        raise InvalidInput("reason", f"expected a reason code such as {', '.join(REASONS)}")
    if isinstance(body, bytes):
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(body).decode("ascii"), "base64"
    elif isinstance(body, str):
        text, encoding = body, "utf-8"
    else:
        raise InvalidInput("body", "expected the message body as text or bytes")
    duplicate = False
    try:
        with engine.begin() as conn:
            exists = conn.execute(
                sa.select(tables.quarantined_messages.c.message_id).where(
                    tables.quarantined_messages.c.message_id == message_id
                )
            ).first()
            if exists is None:
                conn.execute(
                    sa.insert(tables.quarantined_messages).values(
                        message_id=message_id,
                        source=source,
                        reason=reason,
                        details=details,
                        body=text,
                        body_encoding=encoding,
                        quarantined_at=utc(now),
                    )
                )
            else:
                duplicate = True
    except IntegrityError:
        duplicate = True  # the same delivery was quarantined concurrently
    if not duplicate:
        record_quarantined(source, reason)
    return QuarantineReceipt(get_quarantined(engine, message_id), duplicate)


def get_quarantined(engine: Engine, message_id: str) -> QuarantinedMessage:
    """One quarantined message with its body; ``NotFound`` if there is none."""
    q = tables.quarantined_messages
    with engine.connect() as conn:
        row = conn.execute(sa.select(q).where(q.c.message_id == message_id)).mappings().first()
    if row is None:
        raise NotFound(f"no quarantined message {message_id!r}")
    return _message(row, with_body=True)


def list_quarantined(
    engine: Engine, *, reason: str | None = None, limit: int = 50, offset: int = 0
) -> QuarantinePage:
    """Newest first, without bodies; ``total`` counts all of them (with ``reason``, of it)."""
    if not 1 <= limit <= 500:
        raise InvalidInput("limit", "expected 1 to 500")
    if offset < 0:
        raise InvalidInput("offset", "expected 0 or more")
    q = tables.quarantined_messages
    where = [] if reason is None else [q.c.reason == reason]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(q).where(*where)).scalar()
        rows = (
            conn.execute(
                sa.select(q)
                .where(*where)
                .order_by(q.c.quarantined_at.desc(), q.c.message_id)
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
    return QuarantinePage(
        tuple(_message(r, with_body=False) for r in rows), int(total or 0), limit, offset
    )
