"""The app database: one ``MetaData`` with every table the approval services use.

Portable on purpose: it runs on SQLite locally and Azure SQL in Azure, so keys are bounded
``Unicode`` columns (SQL Server cannot index ``NVARCHAR(MAX)``), timestamps are stored as naive
UTC (neither backend keeps a zone reliably), and JSON is canonical text we encode ourselves.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from services._canonical import canonical_json

__all__ = ["SCHEMA_VERSION", "JsonText", "SchemaOutdated", "UtcDateTime", "init_schema",
           "metadata"]

# Named constraints: SQL Server needs stable names to ever alter or drop them.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive in UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # SQL Server's DATETIME rounds to 3.33 ms; DATETIME2(6) keeps what we stored.
        if dialect.name == "mssql":
            return dialect.type_descriptor(
                mssql.DATETIME2(precision=6))  # type: ignore[no-untyped-call]  # untyped ctor
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class JsonText(sa.TypeDecorator[Any]):
    """JSON stored as canonical text, identical on every backend (hashes depend on it)."""

    impl = sa.UnicodeText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else canonical_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


_ID = 64        # uuids, hashes and derived keys
_NAME = 200     # people, event types, queues
_ROLE = 100     # approver roles
_DATABASE = 128  # SQL Server's sysname
_EMAIL = 254    # RFC 5321 path limit
_OBJECT = 256   # schema-qualified object names
_INSTANCE = 256  # Durable instance ids

# --- approval policy (seeded from APPROVAL_POLICY_FILE by services.approval.policy) ---------------

policy_tiers = sa.Table(
    "policy_tiers", metadata,
    sa.Column("tier", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Unicode(_NAME), nullable=False),
    sa.Column("sla_hours", sa.Integer, nullable=False),
    sa.Column("condition", sa.Unicode(40), nullable=False),
    sa.Column("condition_values", JsonText, nullable=False),
)

policy_roles = sa.Table(
    "policy_roles", metadata,
    sa.Column("name", sa.Unicode(_ROLE), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, unique=True),
    sa.Column("from_tier", sa.Integer, nullable=False),
)

policy_role_members = sa.Table(
    "policy_role_members", metadata,
    sa.Column("role", sa.Unicode(_ROLE), sa.ForeignKey("policy_roles.name"), primary_key=True),
    sa.Column("email", sa.Unicode(_EMAIL), primary_key=True),
    sa.Column("name", sa.Unicode(_NAME), nullable=False),
    sa.Column("principal_id", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

policy_escalation_contacts = sa.Table(
    "policy_escalation_contacts", metadata,
    sa.Column("email", sa.Unicode(_EMAIL), primary_key=True),
    sa.Column("name", sa.Unicode(_NAME), nullable=False),
    sa.Column("principal_id", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

policy_critical_databases = sa.Table(
    "policy_critical_databases", metadata,
    sa.Column("database_name", sa.Unicode(_DATABASE), primary_key=True),
)

policy_routes = sa.Table(
    "policy_routes", metadata,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("route", sa.Unicode(20), nullable=False),
    sa.Column("max_tier", sa.Integer, nullable=True),
    sa.Column("min_score", sa.Float, nullable=True),
    sa.Column("no_sensitive_data", sa.Boolean, nullable=False),
)

policy_settings = sa.Table(
    "policy_settings", metadata,
    sa.Column("name", sa.Unicode(_NAME), primary_key=True),
    sa.Column("value", sa.UnicodeText, nullable=False),
)

# --- approvals: one case per document revision, one request per (role, approver), one vote
# per request ---------------------------------------------------------------------------------

approval_cases = sa.Table(
    "approval_cases", metadata,
    sa.Column("document_id", sa.Unicode(_ID), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("instance_id", sa.Unicode(_ID), nullable=False),
    sa.Column("tier", sa.Integer, nullable=False),
    sa.Column("route", sa.Unicode(20), nullable=False),
    sa.Column("required_roles", JsonText, nullable=False),
    sa.Column("assessment", JsonText, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("escalations", sa.Integer, nullable=False),
    sa.Column("status", sa.Unicode(20), nullable=False),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
)

approval_requests = sa.Table(
    "approval_requests", metadata,
    sa.Column("request_id", sa.Unicode(_ID), primary_key=True),
    sa.Column("document_id", sa.Unicode(_ID), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("role", sa.Unicode(_ROLE), nullable=False),  # "*" for an escalation contact
    sa.Column("kind", sa.Unicode(20), nullable=False),  # approver | escalation
    sa.Column("round", sa.Integer, nullable=False),  # 0 at notification, n at escalation n
    sa.Column("position", sa.Integer, nullable=False),  # order within the round: role order
    sa.Column("approver_email", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("approver_name", sa.Unicode(_NAME), nullable=False),
    sa.Column("principal_id", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.ForeignKeyConstraint(["document_id", "revision"],
                            ["approval_cases.document_id", "approval_cases.revision"]),
    sa.UniqueConstraint("document_id", "revision", "role", "approver_email", "round"),
)

votes = sa.Table(
    "votes", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("vote_id", sa.Unicode(_ID), nullable=False, unique=True),
    sa.Column("request_id", sa.Unicode(_ID), sa.ForeignKey("approval_requests.request_id"),
              nullable=False, unique=True),
    sa.Column("document_id", sa.Unicode(_ID), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("roles", JsonText, nullable=False),
    sa.Column("decision", sa.Unicode(10), nullable=False),
    sa.Column("comment", sa.UnicodeText, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
)

# --- audit trail: append-only, hash-chained streams --------------------------------------------

audit_events = sa.Table(
    "audit_events", metadata,
    # (stream, version) is the optimistic-concurrency guard: two appends at one version collide.
    sa.Column("stream_id", sa.Unicode(_ID), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.Unicode(_ID), nullable=False, unique=True),
    sa.Column("event_type", sa.Unicode(_NAME), nullable=False),
    sa.Column("data", sa.UnicodeText, nullable=False),  # canonical JSON, hashed as stored
    sa.Column("recorded_at", sa.Unicode(40), nullable=False),  # ISO text, hashed as stored
    sa.Column("previous_hash", sa.Unicode(_ID), nullable=False),
    sa.Column("hash", sa.Unicode(_ID), nullable=False),
)

# --- master index: one row per object, every version kept -------------------------------------

master_index = sa.Table(
    "master_index", metadata,
    sa.Column("database_name", sa.Unicode(_DATABASE), primary_key=True),
    sa.Column("physical_name", sa.Unicode(_OBJECT), primary_key=True),
    sa.Column("current_version", sa.Integer, nullable=True),  # None: every version withdrawn
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

master_index_versions = sa.Table(
    "master_index_versions", metadata,
    sa.Column("database_name", sa.Unicode(_DATABASE), primary_key=True),
    sa.Column("physical_name", sa.Unicode(_OBJECT), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("document_id", sa.Unicode(_ID), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("entry", JsonText, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn_at", UtcDateTime, nullable=True),
    sa.Column("withdrawn_reason", sa.UnicodeText, nullable=True),
    sa.UniqueConstraint("document_id", "revision"),  # one index version per revision at most
)

# --- quarantine: messages that must not be retried -------------------------------------------

quarantined_messages = sa.Table(
    "quarantined_messages", metadata,
    sa.Column("message_id", sa.Unicode(_OBJECT), primary_key=True),
    sa.Column("source", sa.Unicode(_NAME), nullable=False),
    sa.Column("reason", sa.Unicode(64), nullable=False),
    sa.Column("details", JsonText, nullable=False),
    sa.Column("body", sa.UnicodeText, nullable=False),
    sa.Column("body_encoding", sa.Unicode(10), nullable=False),  # utf-8 | base64
    sa.Column("quarantined_at", UtcDateTime, nullable=False, index=True),
)

# --- dead letters (services.records.dead_letters): what Service Bus gave up on, beside the quaranti

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("dead_letter_id", sa.Unicode(_ID), primary_key=True),  # queue + sequence number
    sa.Column("source", sa.Unicode(_NAME), nullable=False, index=True),
    sa.Column("message_id", sa.Unicode(_OBJECT), nullable=False),
    sa.Column("sequence_number", sa.BigInteger, nullable=True),
    sa.Column("session_id", sa.Unicode(_OBJECT), nullable=True),
    sa.Column("correlation_id", sa.Unicode(_OBJECT), nullable=True),
    sa.Column("reason", sa.Unicode(_NAME), nullable=False),
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

# --- documents: where each document stands, and each revision's run ---------------------------
# A document is one object's data-dictionary entry, under one id for good; each schema change
# that reaches it after the previous run ended starts a new revision (1, 2, ...), run by a new
# run of the same workflow instance id. ``documents`` holds the current revision's state.

documents = sa.Table(
    "documents", metadata,
    sa.Column("document_id", sa.Unicode(_ID), primary_key=True),
    sa.Column("instance_id", sa.Unicode(_ID), nullable=False),
    sa.Column("database_name", sa.Unicode(_DATABASE), nullable=False),
    sa.Column("physical_name", sa.Unicode(_OBJECT), nullable=False),
    sa.Column("change_type", sa.Unicode(20), nullable=False),
    sa.Column("requested_by", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # 0 until a run starts revision 1
    sa.Column("status", sa.Unicode(30), nullable=False),
    sa.Column("draft_url", sa.UnicodeText, nullable=True),
    sa.Column("final_url", sa.UnicodeText, nullable=True),
    sa.Column("library_url", sa.UnicodeText, nullable=True),
    sa.Column("reason", sa.UnicodeText, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

document_revisions = sa.Table(
    "document_revisions", metadata,
    sa.Column("document_id", sa.Unicode(_ID), sa.ForeignKey("documents.document_id"),
              primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", sa.Unicode(_ID), nullable=False, unique=True),  # the run that owns it
    sa.Column("change_type", sa.Unicode(20), nullable=False),
    sa.Column("requested_by", sa.Unicode(_EMAIL), nullable=False),
    sa.Column("status", sa.Unicode(30), nullable=False),
    sa.Column("reason", sa.UnicodeText, nullable=True),
    sa.Column("library_url", sa.UnicodeText, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
)

# --- the schema's own version, so an older database is refused with a clear message ---------

SCHEMA_VERSION = 2  # 2: document revisions
app_schema = sa.Table(
    "app_schema", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
)


class SchemaOutdated(RuntimeError):
    """The app database was created by an older release; it is not migrated in place."""


def _check_version(engine: Engine) -> None:
    with engine.begin() as conn:
        found = conn.execute(sa.select(sa.func.max(app_schema.c.version))).scalar()
        if found is None:
            older = sa.inspect(conn).has_table("documents") and "revision" not in {
                c["name"] for c in sa.inspect(conn).get_columns("documents")}
            if not older:
                conn.execute(sa.insert(app_schema).values(version=SCHEMA_VERSION))
                return
            found = 1
    if found != SCHEMA_VERSION:
        raise SchemaOutdated(
            f"the app database {engine.url.render_as_string(hide_password=True)} has schema "
            f"version {found}; this release needs version {SCHEMA_VERSION} (document "
            f"revisions). Locally, `make clean` starts over; see docs/deploy.md for Azure SQL.")


# --- scheduled workflows: how far the schedules timer has got (schedules.cursor) -------------

schedule_ticks = sa.Table(
    "schedule_ticks", metadata,
    sa.Column("timer", sa.Unicode(_NAME), primary_key=True),
    sa.Column("last_tick", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)


# --- the scheduled-sync example: one row per sync run (services.records.sync_runs) ----------------

sync_runs = sa.Table(
    "sync_runs", metadata,
    sa.Column("instance_id", sa.Unicode(_INSTANCE), primary_key=True),
    sa.Column("database_name", sa.Unicode(_DATABASE), nullable=False),
    sa.Column("physical_name", sa.Unicode(_OBJECT), nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("run_at", UtcDateTime, nullable=False),
    sa.Index("ix_sync_runs_source_run_at", "database_name", "physical_name", "run_at"),
)

# --- claim payments: one per approved claim, reversible (services.claims.payments) ----------------

payments = sa.Table(
    "payments", metadata,
    sa.Column("payment_id", sa.Unicode(_ID), primary_key=True),  # derived from the step's key
    sa.Column("claim_id", sa.Unicode(_ID), nullable=False),
    sa.Column("instance_id", sa.Unicode(_INSTANCE), nullable=False),
    sa.Column("payee", sa.Unicode(_EMAIL), nullable=False),
    # Minor units (cents) as an integer: exact on every backend, unlike SQLite's NUMERIC.
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Unicode(3), nullable=False),
    sa.Column("status", sa.Unicode(10), nullable=False),  # recorded | reversed
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("reversed_at", UtcDateTime, nullable=True),
    sa.Column("reversal_reason", sa.UnicodeText, nullable=True),
    # At most one live payment per claim, whichever instance records it (a filtered index on
    # both backends).
    sa.Index("uq_payments_recorded_claim", "claim_id", unique=True,
             sqlite_where=sa.text("status = 'recorded'"),
             mssql_where=sa.text("status = 'recorded'")),
)

# --- generic records (services.records.records_store): versioned JSON documents by collection and k

records = sa.Table(
    "records", metadata,
    sa.Column("collection", sa.Unicode(100), primary_key=True),
    sa.Column("record_key", sa.Unicode(_NAME), primary_key=True),
    sa.Column("body", JsonText, nullable=False),
    # Optimistic concurrency: every write is "WHERE version = expected", and versions only grow.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One row per write operation (key derived from instance id and step): a repeated activity
# returns the recorded result, and its compensation knows exactly what to undo.
record_operations = sa.Table(
    "record_operations", metadata,
    sa.Column("operation_id", sa.Unicode(_ID), primary_key=True),
    sa.Column("collection", sa.Unicode(100), nullable=False),
    sa.Column("record_key", sa.Unicode(_NAME), nullable=False),
    sa.Column("action", sa.Unicode(20), nullable=False),  # created|updated|deleted|unchanged
    sa.Column("before", JsonText, nullable=True),  # the record as it was; None: no record
    sa.Column("after_version", sa.Integer, nullable=True),  # None: no record after
    sa.Column("result", JsonText, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("reverted", JsonText, nullable=True),  # the revert's result, once reverted
)

# --- device events (services.records.devices): each event once, with the batch that stored it -----

device_events = sa.Table(
    "device_events", metadata,
    sa.Column("event_id", sa.Unicode(128), primary_key=True),
    sa.Column("device_id", sa.Unicode(128), nullable=False, index=True),
    sa.Column("event_type", sa.Unicode(100), nullable=False),
    sa.Column("occurred_at", sa.Unicode(40), nullable=False),  # as the device sent it
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("data", JsonText, nullable=False),
    sa.Column("batch_id", sa.Unicode(_ID), nullable=False, index=True),
    sa.Column("stored_at", UtcDateTime, nullable=False),
)


def init_schema(engine: Engine, attempts: int = 3) -> None:
    """Create missing tables; safe to call on every start, also from several workers at once."""
    for attempt in range(1, attempts + 1):
        try:
            metadata.create_all(engine, checkfirst=True)
            _check_version(engine)
            return
        except DBAPIError:
            # Another worker created a table between our check and our CREATE: look again.
            if attempt == attempts:
                raise
            time.sleep(0.1 * attempt)
