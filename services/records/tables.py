"""The records' tables: the audit trail, quarantined and dead-lettered messages, the schedules
cursor and sync runs, generic records and their operations, device events."""

from __future__ import annotations

import sqlalchemy as sa

from services._schema import (
    DATABASE_LEN,
    ID_LEN,
    INSTANCE_LEN,
    NAME_LEN,
    OBJECT_LEN,
    JsonText,
    UtcDateTime,
    metadata,
)

__all__ = [
    "audit_events",
    "dead_letters",
    "device_events",
    "quarantined_messages",
    "record_operations",
    "records",
    "schedule_ticks",
    "sync_runs",
]

# --- audit trail: append-only, hash-chained streams --------------------------------------------

audit_events = sa.Table(
    "audit_events",
    metadata,
    # (stream, version) is the optimistic-concurrency guard: two appends at one version collide.
    sa.Column("stream_id", sa.Unicode(ID_LEN), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.Unicode(ID_LEN), nullable=False, unique=True),
    sa.Column("event_type", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("data", sa.UnicodeText, nullable=False),  # canonical JSON, hashed as stored
    sa.Column("recorded_at", sa.Unicode(40), nullable=False),  # ISO text, hashed as stored
    sa.Column("previous_hash", sa.Unicode(ID_LEN), nullable=False),
    sa.Column("hash", sa.Unicode(ID_LEN), nullable=False),
)

# --- quarantine: messages that must not be retried -------------------------------------------

quarantined_messages = sa.Table(
    "quarantined_messages",
    metadata,
    sa.Column("message_id", sa.Unicode(OBJECT_LEN), primary_key=True),
    sa.Column("source", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("reason", sa.Unicode(64), nullable=False),
    sa.Column("details", JsonText, nullable=False),
    sa.Column("body", sa.UnicodeText, nullable=False),
    sa.Column("body_encoding", sa.Unicode(10), nullable=False),  # utf-8 | base64
    sa.Column("quarantined_at", UtcDateTime, nullable=False, index=True),
)

# --- dead letters (services.records.dead_letters): what Service Bus gave up on, beside the quaranti

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("dead_letter_id", sa.Unicode(ID_LEN), primary_key=True),  # queue + sequence number
    sa.Column("source", sa.Unicode(NAME_LEN), nullable=False, index=True),
    sa.Column("message_id", sa.Unicode(OBJECT_LEN), nullable=False),
    sa.Column("sequence_number", sa.BigInteger, nullable=True),
    sa.Column("session_id", sa.Unicode(OBJECT_LEN), nullable=True),
    sa.Column("correlation_id", sa.Unicode(OBJECT_LEN), nullable=True),
    sa.Column("reason", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("description", sa.UnicodeText, nullable=False),
    sa.Column("delivery_count", sa.Integer, nullable=False),
    sa.Column("enqueued_at", UtcDateTime, nullable=True),
    sa.Column("recorded_at", UtcDateTime, nullable=False, index=True),
    sa.Column("body", sa.UnicodeText, nullable=False),
    sa.Column("body_encoding", sa.Unicode(10), nullable=False),  # utf-8 | base64
    sa.Column("properties", JsonText, nullable=False),
    sa.Column("resubmitted_at", UtcDateTime, nullable=True),
    sa.Column("resubmit_outcome", JsonText, nullable=True),
)

# --- scheduled workflows: how far the schedules timer has got (schedules.cursor) -------------

schedule_ticks = sa.Table(
    "schedule_ticks",
    metadata,
    sa.Column("timer", sa.Unicode(NAME_LEN), primary_key=True),
    sa.Column("last_tick", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# --- the scheduled-sync example: one row per sync run (services.records.sync_runs) ----------------

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("instance_id", sa.Unicode(INSTANCE_LEN), primary_key=True),
    sa.Column("database_name", sa.Unicode(DATABASE_LEN), nullable=False),
    sa.Column("physical_name", sa.Unicode(OBJECT_LEN), nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("run_at", UtcDateTime, nullable=False),
    sa.Index("ix_sync_runs_source_run_at", "database_name", "physical_name", "run_at"),
)

# --- generic records (services.records.records_store): versioned JSON documents by collection and k

records = sa.Table(
    "records",
    metadata,
    sa.Column("collection", sa.Unicode(100), primary_key=True),
    sa.Column("record_key", sa.Unicode(NAME_LEN), primary_key=True),
    sa.Column("body", JsonText, nullable=False),
    # Optimistic concurrency: every write is "WHERE version = expected", and versions only grow.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One row per write operation (key derived from instance id and step): a repeated activity
# returns the recorded result, and its compensation knows exactly what to undo.
record_operations = sa.Table(
    "record_operations",
    metadata,
    sa.Column("operation_id", sa.Unicode(ID_LEN), primary_key=True),
    sa.Column("collection", sa.Unicode(100), nullable=False),
    sa.Column("record_key", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("action", sa.Unicode(20), nullable=False),  # created|updated|deleted|unchanged
    sa.Column("before", JsonText, nullable=True),  # the record as it was; None: no record
    sa.Column("after_version", sa.Integer, nullable=True),  # None: no record after
    sa.Column("result", JsonText, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("reverted", JsonText, nullable=True),  # the revert's result, once reverted
)

# --- device events (services.records.devices): each event once, with the batch that stored it -----

device_events = sa.Table(
    "device_events",
    metadata,
    sa.Column("event_id", sa.Unicode(128), primary_key=True),
    sa.Column("device_id", sa.Unicode(128), nullable=False, index=True),
    sa.Column("event_type", sa.Unicode(100), nullable=False),
    sa.Column("occurred_at", sa.Unicode(40), nullable=False),  # as the device sent it
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("data", JsonText, nullable=False),
    sa.Column("batch_id", sa.Unicode(ID_LEN), nullable=False, index=True),
    sa.Column("stored_at", UtcDateTime, nullable=False),
)
