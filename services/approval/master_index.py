"""The master index: one row per documented object, with every version it ever had.

``update_master_index`` adds version n+1 and makes it current, keeping the earlier ones.
``restore_previous`` is its compensation: it withdraws the version a document added and makes
the newest remaining version current again. Both are keyed by the document id and revision,
so a retried activity or compensation changes nothing the second time. Version numbers are
never reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from services._fields import inline, omit_none
from services._input import required_text
from services._time import utc
from services._transaction import in_transaction
from services.approval import tables
from services.errors import IdempotencyMismatch, InvalidInput, NotFound

__all__ = [
    "IndexEntry",
    "IndexRestoration",
    "IndexUpdate",
    "IndexVersion",
    "WithdrawnVersion",
    "index_entry",
    "restore_previous",
    "update_master_index",
]


@dataclass(frozen=True, slots=True)
class IndexVersion:
    """One version of an object's index entry; a withdrawn one stays, marked."""

    version: int
    document_id: str
    revision: int
    entry: dict[str, Any]  # what the workflow recorded (library URL, hash, approvers...)
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    current: bool


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """An object's master-index entry: its current version and every version, oldest first."""

    database_name: str
    physical_name: str
    current_version: int | None  # None once every version is withdrawn
    current: IndexVersion | None
    versions: tuple[IndexVersion, ...]


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """The version ``update_master_index`` recorded (or found, on a retry)."""

    database_name: str
    physical_name: str
    version: int
    previous_version: int | None
    document_id: str
    revision: int
    entry: dict[str, Any]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class WithdrawnVersion:
    """The version a document's revision added, now withdrawn, and what is current instead."""

    database_name: str
    physical_name: str
    withdrawn_version: int
    current_version: int | None  # None: the object has no live version left


@dataclass(frozen=True, slots=True)
class IndexRestoration:
    """What ``restore_previous`` did; ``withdrawn`` is None when the revision was never
    indexed (its keys are then absent from the JSON, not null)."""

    restored: bool
    document_id: str
    revision: int
    withdrawn: WithdrawnVersion | None = field(default=None, metadata={**omit_none(), **inline()})


def _version(row: RowMapping, current: int | None) -> IndexVersion:
    return IndexVersion(
        version=row["version"],
        document_id=row["document_id"],
        revision=row["revision"],
        entry=row["entry"],
        recorded_at=utc(row["recorded_at"]),
        withdrawn_at=None if row["withdrawn_at"] is None else utc(row["withdrawn_at"]),
        withdrawn_reason=row["withdrawn_reason"],
        current=row["version"] == current,
    )


def _by_document(conn: Connection, document_id: str, revision: int) -> RowMapping | None:
    v = tables.master_index_versions
    return (
        conn.execute(sa.select(v).where(v.c.document_id == document_id, v.c.revision == revision))
        .mappings()
        .first()
    )


def _current(conn: Connection, database_name: str, physical_name: str) -> int | None:
    m = tables.master_index
    return conn.execute(
        sa.select(m.c.current_version).where(
            m.c.database_name == database_name, m.c.physical_name == physical_name
        )
    ).scalar_one_or_none()


def update_master_index(
    engine: Engine,
    *,
    document_id: str,
    database_name: str,
    physical_name: str,
    entry: Mapping[str, Any],
    now: datetime,
    revision: int = 1,
) -> IndexUpdate:
    """Record ``entry`` (library URL, content hash, approvers, ...) as the object's next version.

    The same document revision again returns its version unchanged. Each revision of a
    document that is approved adds its own version.
    """
    v = tables.master_index_versions
    database_name = required_text(database_name, "databaseName", v.c.database_name)
    physical_name = required_text(physical_name, "physicalName", v.c.physical_name)
    document_id = required_text(document_id, "documentId", v.c.document_id)
    if not isinstance(entry, Mapping):
        raise InvalidInput("entry", "expected a JSON object")
    now = utc(now)
    # Another document indexing the same object at the same moment collides on the version
    # key; the next pass numbers after it.
    return in_transaction(
        engine,
        lambda conn: _update(
            conn,
            document_id=document_id,
            revision=revision,
            database_name=database_name,
            physical_name=physical_name,
            entry=dict(entry),
            now=now,
        ),
    )


def _update(
    conn: Connection,
    *,
    document_id: str,
    revision: int,
    database_name: str,
    physical_name: str,
    entry: dict[str, Any],
    now: datetime,
) -> IndexUpdate:
    v, m = tables.master_index_versions, tables.master_index
    existing = _by_document(conn, document_id, revision)
    if existing is not None:
        if (existing["database_name"], existing["physical_name"]) != (database_name, physical_name):
            raise IdempotencyMismatch(
                f"document {document_id} already indexed {existing['database_name']}."
                f"{existing['physical_name']}"
            )
        return _update_result(existing, _previous_live(conn, existing))
    previous = _current(conn, database_name, physical_name)
    highest = conn.execute(
        sa.select(sa.func.max(v.c.version)).where(
            v.c.database_name == database_name, v.c.physical_name == physical_name
        )
    ).scalar()
    version = (highest or 0) + 1
    conn.execute(
        sa.insert(v).values(
            database_name=database_name,
            physical_name=physical_name,
            version=version,
            document_id=document_id,
            revision=revision,
            entry=entry,
            recorded_at=now,
        )
    )
    where = (m.c.database_name == database_name, m.c.physical_name == physical_name)
    if conn.execute(sa.select(m.c.database_name).where(*where)).first() is None:
        conn.execute(
            sa.insert(m).values(
                database_name=database_name,
                physical_name=physical_name,
                current_version=version,
                updated_at=now,
            )
        )
    else:
        conn.execute(sa.update(m).where(*where).values(current_version=version, updated_at=now))
    row = _by_document(conn, document_id, revision)
    assert row is not None  # inserted above, in this transaction
    return _update_result(row, previous)


def _previous_live(conn: Connection, row: RowMapping) -> int | None:
    v = tables.master_index_versions
    return conn.execute(
        sa.select(sa.func.max(v.c.version)).where(
            v.c.database_name == row["database_name"],
            v.c.physical_name == row["physical_name"],
            v.c.version < row["version"],
            v.c.withdrawn_at.is_(None),
        )
    ).scalar()


def _update_result(row: RowMapping, previous: int | None) -> IndexUpdate:
    return IndexUpdate(
        database_name=row["database_name"],
        physical_name=row["physical_name"],
        version=row["version"],
        previous_version=previous,
        document_id=row["document_id"],
        revision=row["revision"],
        entry=row["entry"],
        recorded_at=utc(row["recorded_at"]),
    )


def restore_previous(
    engine: Engine,
    *,
    document_id: str,
    now: datetime,
    reason: str = "compensation",
    revision: int = 1,
) -> IndexRestoration:
    """Withdraw the version the document's ``revision`` added and make the newest remaining
    one current.

    ``restored`` is False when there was nothing to undo (never indexed: ``withdrawn`` is
    None; or already withdrawn by an earlier run of this compensation).
    """
    document_id = required_text(document_id, "documentId")
    now = utc(now)
    v, m = tables.master_index_versions, tables.master_index
    with engine.begin() as conn:
        row = _by_document(conn, document_id, revision)
        if row is None:
            return IndexRestoration(restored=False, document_id=document_id, revision=revision)
        if row["withdrawn_at"] is None:
            conn.execute(
                sa.update(v)
                .where(v.c.document_id == document_id, v.c.revision == revision)
                .values(withdrawn_at=now, withdrawn_reason=reason)
            )
            live = conn.execute(
                sa.select(sa.func.max(v.c.version)).where(
                    v.c.database_name == row["database_name"],
                    v.c.physical_name == row["physical_name"],
                    v.c.withdrawn_at.is_(None),
                )
            ).scalar()
            conn.execute(
                sa.update(m)
                .where(
                    m.c.database_name == row["database_name"],
                    m.c.physical_name == row["physical_name"],
                )
                .values(current_version=live, updated_at=now)
            )
            restored = True
        else:
            restored = False
        current = _current(conn, row["database_name"], row["physical_name"])
    return IndexRestoration(
        restored=restored,
        document_id=document_id,
        revision=revision,
        withdrawn=WithdrawnVersion(
            database_name=row["database_name"],
            physical_name=row["physical_name"],
            withdrawn_version=row["version"],
            current_version=current,
        ),
    )


def index_entry(engine: Engine, database_name: str, physical_name: str) -> IndexEntry:
    """The object's entry (versions oldest first, withdrawn ones included and marked);
    ``NotFound`` for an unindexed object."""
    v = tables.master_index_versions
    with engine.connect() as conn:
        if (
            conn.execute(
                sa.select(tables.master_index.c.database_name).where(
                    tables.master_index.c.database_name == database_name,
                    tables.master_index.c.physical_name == physical_name,
                )
            ).first()
            is None
        ):
            raise NotFound(f"{database_name}.{physical_name} is not in the master index")
        current = _current(conn, database_name, physical_name)
        rows = (
            conn.execute(
                sa.select(v)
                .where(v.c.database_name == database_name, v.c.physical_name == physical_name)
                .order_by(v.c.version)
            )
            .mappings()
            .all()
        )
    versions = tuple(_version(r, current) for r in rows)
    return IndexEntry(
        database_name=database_name,
        physical_name=physical_name,
        current_version=current,
        current=next((x for x in versions if x.current), None),
        versions=versions,
    )
