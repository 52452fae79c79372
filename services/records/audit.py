"""The audit trail: an append-only, hash-chained stream of business events per document.

An event is appended in the same transaction as the state change it records (``append_in``),
so a vote and its ``voted`` event exist together or not at all. The (stream, version) primary
key lets exactly one of two racing appends win; the other's transaction runs again and then
sees the winner (or, naming an expected version, gets ``ConcurrencyConflict``). Each event's
hash is SHA-256 over the canonical JSON of the previous hash and the event, so editing or
removing a stored event breaks the chain at that point.
Appending the same event id again returns the stored event (activities run at least once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services._canonical import canonical_json, sha256_hex
from services._fields import omit_none
from services._input import required_text
from services._time import iso, parse_timestamp, utc
from services._transaction import in_transaction
from services.errors import ConcurrencyConflict, IdempotencyMismatch, InvalidInput, ServiceError
from services.records import tables

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditTrail",
    "ChainVerification",
    "append",
    "append_in",
    "append_next",
    "audit_trail",
    "event_hash",
    "list_events",
    "verify_chain",
]

GENESIS_HASH = "0" * 64  # the "previous hash" of a stream's first event


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One event of a stream; ``data`` is what the caller recorded, as JSON."""

    stream_id: str
    version: int
    event_id: str
    type: str
    data: Any
    recorded_at: datetime  # hashed as the ISO text stored (``iso`` of this)
    previous_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """Whether a stream's hash chain holds, and where it breaks when it does not."""

    ok: bool
    length: int
    head: str  # hash of the last event that verified (GENESIS_HASH for none)
    # Where the chain breaks: all three are set when not ok, and absent from the JSON when ok.
    broken_at: int | None = field(default=None, metadata=omit_none())
    event_id: str | None = field(default=None, metadata=omit_none())
    reason: str | None = field(default=None, metadata=omit_none())


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """A document's events in order, with the verification of their chain."""

    stream_id: str
    events: tuple[AuditEvent, ...]
    verification: ChainVerification


def event_hash(
    previous_hash: str,
    *,
    stream_id: str,
    version: int,
    event_id: str,
    event_type: str,
    data: Any,
    recorded_at: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of the previous hash and the event."""
    return sha256_hex(
        canonical_json(
            {
                "previousHash": previous_hash,
                "event": {
                    "streamId": stream_id,
                    "version": version,
                    "eventId": event_id,
                    "type": event_type,
                    "data": data,
                    "recordedAt": recorded_at,
                },
            }
        )
    )


def _event(row: Any) -> AuditEvent:
    try:
        recorded_at = parse_timestamp(row.recorded_at, "recordedAt")
    except InvalidInput:
        # Only an edit behind the app's back writes this (the chain no longer verifies there):
        # the store is damaged, not the request.
        raise ServiceError(
            f"audit event {row.version} of stream {row.stream_id}: the stored recordedAt "
            f"{row.recorded_at!r} is not a timestamp"
        ) from None
    return AuditEvent(
        row.stream_id,
        row.version,
        row.event_id,
        row.event_type,
        json.loads(row.data),
        recorded_at,
        row.previous_hash,
        row.hash,
    )


def _by_event_id(conn: Connection, event_id: str) -> AuditEvent | None:
    row = conn.execute(
        sa.select(tables.audit_events).where(tables.audit_events.c.event_id == event_id)
    ).first()
    return None if row is None else _event(row)


def _head(conn: Connection, stream_id: str) -> tuple[int, str]:
    a = tables.audit_events
    row = conn.execute(
        sa.select(a.c.version, a.c.hash)
        .where(a.c.stream_id == stream_id)
        .order_by(a.c.version.desc())
        .limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (row.version, row.hash)


def _checked(stream_id: str, event_id: str, event_type: str, data: Any) -> tuple[str, Any]:
    """The event's canonical data text and what a reader will get back from it."""
    a = tables.audit_events
    # Ids are compared as given (no trimming): check them, keep them.
    for value, name, column in (
        (stream_id, "streamId", a.c.stream_id),
        (event_id, "eventId", a.c.event_id),
        (event_type, "type", a.c.event_type),
    ):
        if required_text(value, name, column) != value:
            raise InvalidInput(name, "expected no leading or trailing spaces")
    try:
        data_text = canonical_json(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data", f"expected JSON-serialisable data ({exc})") from None
    return data_text, json.loads(data_text)  # e.g. tuples become lists


def append_in(
    conn: Connection,
    stream_id: str,
    *,
    event_id: str,
    event_type: str,
    data: Any,
    now: datetime,
    expected_version: int | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction, so it commits (or not) together with
    the state change it records.

    ``expected_version`` None appends at the head. The same ``event_id`` again returns the
    stored event; with other content it raises ``IdempotencyMismatch``. A stale expected
    version raises ``ConcurrencyConflict``. Two transactions racing for one version collide on
    the (stream, version) key: the loser's commit fails and it runs again (``in_transaction``).
    """
    if expected_version is not None and (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or expected_version < 0
    ):
        raise InvalidInput("expectedVersion", "expected an integer >= 0")
    data_text, data = _checked(stream_id, event_id, event_type, data)
    existing = _by_event_id(conn, event_id)
    if existing is not None:
        if (existing.stream_id, existing.type, existing.data) != (stream_id, event_type, data):
            raise IdempotencyMismatch(
                f"event {event_id} was already recorded with other content "
                f"(stream {existing.stream_id}, type {existing.type})"
            )
        return existing
    version, previous_hash = _head(conn, stream_id)
    if expected_version is not None and version != expected_version:
        raise ConcurrencyConflict(
            f"stream {stream_id} is at version {version}, not {expected_version}",
            expected=expected_version,
            actual=version,
        )
    recorded_at = iso(utc(now))
    new = version + 1
    digest = event_hash(
        previous_hash,
        stream_id=stream_id,
        version=new,
        event_id=event_id,
        event_type=event_type,
        data=data,
        recorded_at=recorded_at,
    )
    conn.execute(
        sa.insert(tables.audit_events).values(
            stream_id=stream_id,
            version=new,
            event_id=event_id,
            event_type=event_type,
            data=data_text,
            recorded_at=recorded_at,
            previous_hash=previous_hash,
            hash=digest,
        )
    )
    return AuditEvent(stream_id, new, event_id, event_type, data, utc(now), previous_hash, digest)


def append(
    engine: Engine,
    stream_id: str,
    expected_version: int,
    *,
    event_id: str,
    event_type: str,
    data: Any,
    now: datetime,
) -> AuditEvent:
    """Append one event if the stream is at ``expected_version`` (0 for a new stream), in a
    transaction of its own. See ``append_in``."""
    if (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or expected_version < 0
    ):
        raise InvalidInput("expectedVersion", "expected an integer >= 0")
    return in_transaction(
        engine,
        lambda conn: append_in(
            conn,
            stream_id,
            event_id=event_id,
            event_type=event_type,
            data=data,
            now=now,
            expected_version=expected_version,
        ),
    )


def append_next(
    engine: Engine, stream_id: str, *, event_id: str, event_type: str, data: Any, now: datetime
) -> AuditEvent:
    """Append at whatever version the stream has, in one transaction (still idempotent on
    ``event_id``). For callers that only want the event recorded."""
    return in_transaction(
        engine,
        lambda conn: append_in(
            conn, stream_id, event_id=event_id, event_type=event_type, data=data, now=now
        ),
    )


def _rows(engine: Engine, stream_id: str) -> list[Any]:
    a = tables.audit_events
    with engine.connect() as conn:
        return list(
            conn.execute(sa.select(a).where(a.c.stream_id == stream_id).order_by(a.c.version))
        )


def list_events(engine: Engine, stream_id: str) -> tuple[AuditEvent, ...]:
    """The stream's events in order (version 1 first)."""
    return tuple(_event(r) for r in _rows(engine, stream_id))


def verify_chain(engine: Engine, stream_id: str) -> ChainVerification:
    """Recompute the chain: ok, or the first event whose position, link or hash is wrong."""
    return _verify(_rows(engine, stream_id))


def _verify(rows: list[Any]) -> ChainVerification:
    """Over the stored rows, so each hash is recomputed from the text as it was hashed."""
    previous = GENESIS_HASH
    for expected_version, row in enumerate(rows, start=1):
        reason = None
        if row.version != expected_version:
            reason = f"expected version {expected_version}: an event is missing"
        elif row.previous_hash != previous:
            reason = "previous hash does not match the event before it"
        elif row.hash != event_hash(
            previous,
            stream_id=row.stream_id,
            version=row.version,
            event_id=row.event_id,
            event_type=row.event_type,
            data=json.loads(row.data),
            recorded_at=row.recorded_at,
        ):
            reason = "hash does not match the event's content"
        if reason is not None:
            return ChainVerification(False, len(rows), previous, row.version, row.event_id, reason)
        previous = row.hash
    return ChainVerification(True, len(rows), previous)


def audit_trail(engine: Engine, stream_id: str) -> AuditTrail:
    """The stream's events and the verification of their chain, for the events endpoint."""
    rows = _rows(engine, stream_id)
    return AuditTrail(stream_id, tuple(_event(r) for r in rows), _verify(rows))
