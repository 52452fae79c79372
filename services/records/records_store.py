"""Generic records: versioned JSON documents by collection and key, for workflows without code.

Every write is one operation with an id derived from the workflow instance and step, recorded
in the same transaction as the write it made (``record_operations``). So an activity that runs
twice (activities run at least once) writes once and answers the same both times, and
:func:`revert_operation` (the compensation of every write) knows exactly what to undo.

Versions give optimistic concurrency: a write with ``expected_version`` happens only if the
record is still at that version (``UPDATE ... WHERE version = :expected``, atomic on SQLite and
SQL Server alike); of two writers holding the same version one wins and the other gets
``Record.VersionConflict``. Versions only grow, even when a revert restores an older body, so
a stale version never matches again.

Errors carry the dotted names the workflow language sees (the host reports an activity's
exception as ``"<type name>: <message>"``), each a :class:`services.errors.ServiceError`::

    Record.Invalid           400  a collection, key, body or option that is not allowed
    Record.NotFound          404  no such record
    Record.AlreadyExists     409  create_record of a key that exists (ifExists "fail")
    Record.VersionConflict   409  the record is not at the expected version
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._canonical import canonical_json
from services._fields import inline
from services._time import iso, parse_timestamp, utc
from services.errors import Conflict, IdempotencyMismatch, InvalidInput, NotFound
from services.ids import derive_id
from services.records.tables import record_operations, records

__all__ = [
    "BODY_LIMIT_BYTES",
    "IF_EXISTS",
    "CreatedRecord",
    "DeletedRecord",
    "RecordAlreadyExists",
    "RecordInvalid",
    "RecordNotFound",
    "RecordVersionConflict",
    "RecordWrite",
    "RevertedOperation",
    "StoredRecord",
    "UpdatedRecord",
    "create_record",
    "delete_record",
    "get_record",
    "merge_patch",
    "operation_id",
    "revert_operation",
    "update_record",
]

BODY_LIMIT_BYTES = 256 * 1024
IF_EXISTS = ("fail", "keep", "replace", "merge")
_COLLECTION = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEY_LIMIT = 200
_ATTEMPTS = 3


def _error_name(name: str) -> Callable[[type[Exception]], type[Exception]]:
    """Give an error class the dotted name a workflow's ``catch`` sees. The host names an
    activity's failure by its exception's type name, and a dotted name cannot be written as
    a class name; ``__qualname__`` (what pickling looks up) keeps the class's own name."""

    def rename(cls: type[Exception]) -> type[Exception]:
        cls.__name__ = name
        return cls

    return rename


@_error_name("Record.Invalid")
class RecordInvalid(InvalidInput):
    """A collection, key, body or option that is not allowed; ``field`` names it."""


@_error_name("Record.NotFound")
class RecordNotFound(NotFound):
    title = "Record not found"


@_error_name("Record.AlreadyExists")
class RecordAlreadyExists(Conflict):
    title = "Record already exists"


@_error_name("Record.VersionConflict")
class RecordVersionConflict(Conflict):
    title = "Record version conflict"


def operation_id(instance_id: str, step: str) -> str:
    """The idempotency key of a write: one per workflow instance and step."""
    return derive_id("record-operation", instance_id, step)


# --- checks ---------------------------------------------------------------------------------


def _collection(value: object) -> str:
    if not isinstance(value, str) or not _COLLECTION.match(value) or "\n" in value:
        raise RecordInvalid(
            "collection",
            "expected 1 to 100 lower-case letters, digits, _ or -, starting with a letter",
        )
    return value


def _key(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > _KEY_LIMIT or _CONTROL.search(value):
        raise RecordInvalid(
            "key", f"expected 1 to {_KEY_LIMIT} characters without control characters"
        )
    return value


def _body(value: object, field: str = "body") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordInvalid(field, "expected a JSON object")
    try:
        size = len(canonical_json(value).encode("utf-8"))
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
        raise RecordInvalid(
            field, "expected JSON text (no lone surrogates, NaN or infinity, not nested too deeply)"
        ) from None
    if size > BODY_LIMIT_BYTES:
        raise RecordInvalid(field, f"expected at most {BODY_LIMIT_BYTES} bytes as JSON, got {size}")
    return dict(value)


def _version(value: object, field: str = "expectedVersion") -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RecordInvalid(field, "expected a version number (a whole number, 1 or more)")
    return value


def _increments(value: object) -> dict[str, int | float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
    ):
        raise RecordInvalid("increment", "expected an object of numbers to add to fields")
    return dict(value)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as stored: ``body`` is the workflow's JSON object as it wrote it."""

    collection: str
    key: str
    body: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CreatedRecord:
    """What :func:`create_record` left: the record, and whether this write created it."""

    record: StoredRecord = field(metadata=inline())
    created: bool


@dataclass(frozen=True, slots=True)
class UpdatedRecord:
    """What :func:`update_record` left: the record's new version, and the one it replaced."""

    record: StoredRecord = field(metadata=inline())
    previous_version: int


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """What :func:`delete_record` did: ``version`` is the deleted one (None: no record)."""

    collection: str
    key: str
    deleted: bool
    version: int | None


RecordWrite = CreatedRecord | UpdatedRecord | DeletedRecord


@dataclass(frozen=True, slots=True)
class RevertedOperation:
    """What :func:`revert_operation` did: ``action`` is the write undone (None: the operation
    never ran), ``record`` the record after the revert (None: there is none)."""

    operation: str
    reverted: bool
    action: str | None
    record: StoredRecord | None


def _record(row: Mapping[Any, Any]) -> StoredRecord:
    return StoredRecord(
        collection=row["collection"],
        key=row["record_key"],
        body=row["body"],
        version=row["version"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
    )


# --- the operation log's own JSON ---------------------------------------------------------------
# The log keeps what each write answered, to answer a repeated write the same way; the JSON is
# the log's stored format (what it has held since it was introduced), kept apart from the
# wire's conventions so that rows written by an earlier version stay readable.


def _record_log(record: StoredRecord) -> dict[str, Any]:
    return {
        "collection": record.collection,
        "key": record.key,
        "body": record.body,
        "version": record.version,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
    }


def _record_unlog(logged: Mapping[str, Any]) -> StoredRecord:
    return StoredRecord(
        collection=logged["collection"],
        key=logged["key"],
        body=logged["body"],
        version=logged["version"],
        created_at=parse_timestamp(logged["createdAt"], "createdAt"),
        updated_at=parse_timestamp(logged["updatedAt"], "updatedAt"),
    )


def _write_log(done: RecordWrite) -> dict[str, Any]:
    if isinstance(done, DeletedRecord):
        return {
            "collection": done.collection,
            "key": done.key,
            "deleted": done.deleted,
            "version": done.version,
        }
    if isinstance(done, UpdatedRecord):
        return {**_record_log(done.record), "previousVersion": done.previous_version}
    return {**_record_log(done.record), "created": done.created}


def _write_unlog(logged: Mapping[str, Any]) -> RecordWrite:
    if "deleted" in logged:
        return DeletedRecord(
            logged["collection"], logged["key"], logged["deleted"], logged["version"]
        )
    if "previousVersion" in logged:
        return UpdatedRecord(_record_unlog(logged), logged["previousVersion"])
    return CreatedRecord(_record_unlog(logged), logged["created"])


def _revert_log(done: RevertedOperation) -> dict[str, Any]:
    return {
        "operation": done.operation,
        "reverted": done.reverted,
        "action": done.action,
        "record": None if done.record is None else _record_log(done.record),
    }


def _revert_unlog(logged: Mapping[str, Any]) -> RevertedOperation:
    record = logged["record"]
    return RevertedOperation(
        logged["operation"],
        logged["reverted"],
        logged["action"],
        None if record is None else _record_unlog(record),
    )


def _where(collection: str, key: str) -> list[Any]:
    return [records.c.collection == collection, records.c.record_key == key]


def _read(conn: Connection, collection: str, key: str) -> RowMapping | None:
    return conn.execute(sa.select(records).where(*_where(collection, key))).mappings().first()


def get_record(engine: Engine, collection: object, key: object) -> StoredRecord | None:
    """The record, or None when there is none."""
    with engine.connect() as conn:
        row = _read(conn, _collection(collection), _key(key))
    return None if row is None else _record(row)


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Done:
    """What one write did, as the operation log keeps it."""

    action: str  # created | updated | deleted | unchanged
    before: StoredRecord | None
    after_version: int | None
    result: RecordWrite


_Write = TypeVar("_Write", CreatedRecord, UpdatedRecord, DeletedRecord)


def _operate(
    engine: Engine,
    op_id: str,
    collection: str,
    key: str,
    now: datetime,
    kind: type[_Write],
    write: Callable[[Connection, RowMapping | None], _Done],
) -> _Write:
    """Run ``write`` once per operation id, in one transaction with its log entry; a repeated
    operation answers what the first one did (a write of another kind with the same id is an
    ``IdempotencyMismatch``)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                logged = (
                    conn.execute(
                        sa.select(record_operations).where(
                            record_operations.c.operation_id == op_id
                        )
                    )
                    .mappings()
                    .first()
                )
                if logged is not None:
                    if (logged["collection"], logged["record_key"]) != (collection, key):
                        raise IdempotencyMismatch(
                            f"operation {op_id} already wrote {logged['collection']}/"
                            f"{logged['record_key']}, not {collection}/{key}"
                        )
                    answered = _write_unlog(logged["result"])
                    if not isinstance(answered, kind):
                        raise IdempotencyMismatch(
                            f"operation {op_id} already made another kind of write "
                            f"({logged['action']}) to {collection}/{key}"
                        )
                    return answered
                done = write(conn, _read(conn, collection, key))
                assert isinstance(done.result, kind)
                conn.execute(
                    sa.insert(record_operations).values(
                        operation_id=op_id,
                        collection=collection,
                        record_key=key,
                        action=done.action,
                        before=None if done.before is None else _record_log(done.before),
                        after_version=done.after_version,
                        result=_write_log(done.result),
                        recorded_at=utc(now),
                    )
                )
                return done.result
        except IntegrityError:
            # A concurrent writer inserted the same key or ran the same operation: look again.
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _insert(
    conn: Connection,
    collection: str,
    key: str,
    body: dict[str, Any],
    version: int,
    now: datetime,
    created_at: datetime | None = None,
) -> StoredRecord:
    values = {
        "collection": collection,
        "record_key": key,
        "body": body,
        "version": version,
        "created_at": utc(created_at or now),
        "updated_at": utc(now),
    }
    conn.execute(sa.insert(records).values(**values))
    return _record(values)


def _replace(
    conn: Connection,
    row: RowMapping,
    body: dict[str, Any],
    now: datetime,
    expected: int | None = None,
) -> StoredRecord:
    """Write ``body`` as the next version, if the record is (still) at ``expected``."""
    at = row["version"] if expected is None else expected
    changed = conn.execute(
        sa.update(records)
        .where(*_where(row["collection"], row["record_key"]), records.c.version == at)
        .values(body=body, version=at + 1, updated_at=utc(now))
    ).rowcount
    if changed != 1:
        current = _read(conn, row["collection"], row["record_key"])
        found = "no longer exists" if current is None else f"is at version {current['version']}"
        raise RecordVersionConflict(
            f"{row['collection']}/{row['record_key']}: expected "
            f"version {at}, but the record {found}"
        )
    return StoredRecord(
        collection=row["collection"],
        key=row["record_key"],
        body=body,
        version=at + 1,
        created_at=utc(row["created_at"]),
        updated_at=utc(now),
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, ``null`` removes a key, anything
    else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def create_record(
    engine: Engine,
    *,
    op_id: str,
    collection: object,
    key: object,
    body: object,
    if_exists: object = "fail",
    now: datetime,
) -> CreatedRecord:
    """Create the record at version 1. When it exists, ``if_exists`` says what happens:
    ``fail`` (``Record.AlreadyExists``), ``keep`` it as it is, ``replace`` its body, or
    ``merge`` ``body`` into it (RFC 7396). The result is the record and ``created``."""
    collection, key, body = _collection(collection), _key(key), _body(body)
    if if_exists not in IF_EXISTS:
        raise RecordInvalid("ifExists", f"expected one of {', '.join(IF_EXISTS)}")

    def write(conn: Connection, row: RowMapping | None) -> _Done:
        if row is None:
            record = _insert(conn, collection, key, body, 1, now)
            return _Done("created", None, 1, CreatedRecord(record, created=True))
        if if_exists == "fail":
            raise RecordAlreadyExists(f"{collection}/{key} exists (version {row['version']})")
        before = _record(row)
        if if_exists == "keep":
            return _Done("unchanged", before, row["version"], CreatedRecord(before, created=False))
        new_body = body if if_exists == "replace" else _body(merge_patch(row["body"], body))
        record = _replace(conn, row, new_body, now)
        return _Done("updated", before, record.version, CreatedRecord(record, created=False))

    return _operate(engine, op_id, collection, key, now, CreatedRecord, write)


def update_record(
    engine: Engine,
    *,
    op_id: str,
    collection: object,
    key: object,
    body: object = None,
    merge: object = None,
    increment: object = None,
    expected_version: object = None,
    now: datetime,
) -> UpdatedRecord:
    """Write the next version: ``body`` replaces the body, or ``merge`` (RFC 7396) and
    ``increment`` (numbers added to top-level fields, missing ones counting as 0) change it.
    With ``expected_version`` the write happens only at that version."""
    collection, key = _collection(collection), _key(key)
    expected = _version(expected_version)
    adds = _increments(increment)
    if body is not None and (merge is not None or adds):
        raise RecordInvalid("body", "give either body (a replacement) or merge/increment")
    if body is None and merge is None and not adds:
        raise RecordInvalid("body", "expected body, merge or increment")
    replacement = None if body is None else _body(body)
    patch = None if merge is None else _body(merge, "merge")

    def write(conn: Connection, row: RowMapping | None) -> _Done:
        if row is None:
            raise RecordNotFound(f"no record {collection}/{key}")
        if expected is not None and row["version"] != expected:
            raise RecordVersionConflict(
                f"{collection}/{key}: expected version {expected}, "
                f"but the record is at version {row['version']}"
            )
        if replacement is not None:
            new_body = replacement
        else:
            new_body = merge_patch(row["body"], patch) if patch is not None else dict(row["body"])
            for name, amount in adds.items():
                current = new_body.get(name, 0)
                if not isinstance(current, int | float) or isinstance(current, bool):
                    raise RecordInvalid("increment", f"{name}: the record's value is not a number")
                new_body[name] = current + amount
            new_body = _body(new_body)
        record = _replace(conn, row, new_body, now, expected)
        return _Done("updated", _record(row), record.version, UpdatedRecord(record, row["version"]))

    return _operate(engine, op_id, collection, key, now, UpdatedRecord, write)


def delete_record(
    engine: Engine,
    *,
    op_id: str,
    collection: object,
    key: object,
    expected_version: object = None,
    now: datetime,
) -> DeletedRecord:
    """Delete the record (at ``expected_version`` when given). A missing record is not an
    error: ``deleted`` is false."""
    collection, key = _collection(collection), _key(key)
    expected = _version(expected_version)

    def write(conn: Connection, row: RowMapping | None) -> _Done:
        if row is None:
            return _Done("unchanged", None, None, DeletedRecord(collection, key, False, None))
        at = row["version"] if expected is None else expected
        gone = conn.execute(
            sa.delete(records).where(*_where(collection, key), records.c.version == at)
        ).rowcount
        if gone != 1:
            raise RecordVersionConflict(
                f"{collection}/{key}: expected version {at}, but the "
                f"record is at version {row['version']}"
            )
        return _Done("deleted", _record(row), None, DeletedRecord(collection, key, True, at))

    return _operate(engine, op_id, collection, key, now, DeletedRecord, write)


def revert_operation(engine: Engine, *, op_id: str, now: datetime) -> RevertedOperation:
    """Undo the write of operation ``op_id`` (the compensation of every write): a created
    record is deleted, an updated one gets its previous body back (as a new version), a deleted
    one comes back. Only if nobody wrote the record since: else ``Record.VersionConflict``, and
    nothing is changed. Reverting twice, or an operation that never ran, changes nothing."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return _revert(conn, op_id, now)
        except IntegrityError:
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _revert(conn: Connection, op_id: str, now: datetime) -> RevertedOperation:
    logged = (
        conn.execute(sa.select(record_operations).where(record_operations.c.operation_id == op_id))
        .mappings()
        .first()
    )
    if logged is None:
        return RevertedOperation(op_id, reverted=False, action=None, record=None)
    if logged["reverted"] is not None:
        return _revert_unlog(logged["reverted"])
    collection, key, action = logged["collection"], logged["record_key"], logged["action"]
    before: dict[str, Any] | None = logged["before"]
    row = _read(conn, collection, key)
    where = f"{collection}/{key}"

    def moved_on(since: str) -> RecordVersionConflict:
        found = "no longer exists" if row is None else f"is at version {row['version']}"
        return RecordVersionConflict(
            f"cannot revert {action} {where}: it {since}, and the record {found}"
        )

    record: StoredRecord | None = None
    if action == "created":
        if row is not None and row["version"] != logged["after_version"]:
            raise moved_on(f"was created at version {logged['after_version']}")
        if row is not None:
            conn.execute(
                sa.delete(records).where(
                    *_where(collection, key), records.c.version == row["version"]
                )
            )
    elif action == "updated":
        assert before is not None
        if row is None or row["version"] != logged["after_version"]:
            raise moved_on(f"was written at version {logged['after_version']}")
        record = _replace(conn, row, before["body"], now)
    elif action == "deleted":
        assert before is not None
        if row is not None:
            raise moved_on("was deleted")
        record = _insert(
            conn,
            collection,
            key,
            before["body"],
            before["version"] + 1,
            now,
            created_at=parse_timestamp(before["createdAt"], "createdAt"),
        )
    else:  # unchanged: nothing was written, nothing to undo
        record = None if row is None else _record(row)
    result = RevertedOperation(op_id, reverted=action != "unchanged", action=action, record=record)
    conn.execute(
        sa.update(record_operations)
        .where(record_operations.c.operation_id == op_id)
        .values(reverted=_revert_log(result))
    )
    return result
