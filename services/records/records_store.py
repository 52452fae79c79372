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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._canonical import canonical_json
from services._time import iso, utc
from services.errors import Conflict, IdempotencyMismatch, InvalidInput, NotFound
from services.ids import derive_id
from services.records.tables import record_operations, records

__all__ = [
    "BODY_LIMIT_BYTES",
    "IF_EXISTS",
    "RecordAlreadyExists",
    "RecordInvalid",
    "RecordNotFound",
    "RecordVersionConflict",
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


def _record_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "collection": row["collection"],
        "key": row["record_key"],
        "body": row["body"],
        "version": row["version"],
        "createdAt": iso(row["created_at"]),
        "updatedAt": iso(row["updated_at"]),
    }


def _where(collection: str, key: str) -> list[Any]:
    return [records.c.collection == collection, records.c.record_key == key]


def _read(conn: Connection, collection: str, key: str) -> RowMapping | None:
    return conn.execute(sa.select(records).where(*_where(collection, key))).mappings().first()


def get_record(engine: Engine, collection: object, key: object) -> dict[str, Any] | None:
    """The record, or None when there is none."""
    with engine.connect() as conn:
        row = _read(conn, _collection(collection), _key(key))
    return None if row is None else _record_json(row)


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Done:
    """What one write did, as the operation log keeps it."""

    action: str  # created | updated | deleted | unchanged
    before: dict[str, Any] | None
    after_version: int | None
    result: dict[str, Any]


def _operate(
    engine: Engine,
    op_id: str,
    collection: str,
    key: str,
    now: datetime,
    write: Callable[[Connection, RowMapping | None], _Done],
) -> dict[str, Any]:
    """Run ``write`` once per operation id, in one transaction with its log entry."""
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
                    result: dict[str, Any] = logged["result"]
                    return result
                done = write(conn, _read(conn, collection, key))
                conn.execute(
                    sa.insert(record_operations).values(
                        operation_id=op_id,
                        collection=collection,
                        record_key=key,
                        action=done.action,
                        before=done.before,
                        after_version=done.after_version,
                        result=done.result,
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
) -> dict[str, Any]:
    values = {
        "collection": collection,
        "record_key": key,
        "body": body,
        "version": version,
        "created_at": utc(created_at or now),
        "updated_at": utc(now),
    }
    conn.execute(sa.insert(records).values(**values))
    return _record_json(values)


def _replace(
    conn: Connection,
    row: RowMapping,
    body: dict[str, Any],
    now: datetime,
    expected: int | None = None,
) -> dict[str, Any]:
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
    return {
        "collection": row["collection"],
        "key": row["record_key"],
        "body": body,
        "version": at + 1,
        "createdAt": iso(row["created_at"]),
        "updatedAt": iso(now),
    }


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
) -> dict[str, Any]:
    """Create the record at version 1. When it exists, ``if_exists`` says what happens:
    ``fail`` (``Record.AlreadyExists``), ``keep`` it as it is, ``replace`` its body, or
    ``merge`` ``body`` into it (RFC 7396). The result is the record plus ``created``."""
    collection, key, body = _collection(collection), _key(key), _body(body)
    if if_exists not in IF_EXISTS:
        raise RecordInvalid("ifExists", f"expected one of {', '.join(IF_EXISTS)}")

    def write(conn: Connection, row: RowMapping | None) -> _Done:
        if row is None:
            record = _insert(conn, collection, key, body, 1, now)
            return _Done("created", None, 1, {**record, "created": True})
        if if_exists == "fail":
            raise RecordAlreadyExists(f"{collection}/{key} exists (version {row['version']})")
        before = _record_json(row)
        if if_exists == "keep":
            return _Done("unchanged", before, row["version"], {**before, "created": False})
        new_body = body if if_exists == "replace" else _body(merge_patch(row["body"], body))
        record = _replace(conn, row, new_body, now)
        return _Done("updated", before, record["version"], {**record, "created": False})

    return _operate(engine, op_id, collection, key, now, write)


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
) -> dict[str, Any]:
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
        return _Done(
            "updated",
            _record_json(row),
            record["version"],
            {**record, "previousVersion": row["version"]},
        )

    return _operate(engine, op_id, collection, key, now, write)


def delete_record(
    engine: Engine,
    *,
    op_id: str,
    collection: object,
    key: object,
    expected_version: object = None,
    now: datetime,
) -> dict[str, Any]:
    """Delete the record (at ``expected_version`` when given). A missing record is not an
    error: ``{"deleted": false}``."""
    collection, key = _collection(collection), _key(key)
    expected = _version(expected_version)

    def write(conn: Connection, row: RowMapping | None) -> _Done:
        if row is None:
            return _Done(
                "unchanged",
                None,
                None,
                {"collection": collection, "key": key, "deleted": False, "version": None},
            )
        at = row["version"] if expected is None else expected
        gone = conn.execute(
            sa.delete(records).where(*_where(collection, key), records.c.version == at)
        ).rowcount
        if gone != 1:
            raise RecordVersionConflict(
                f"{collection}/{key}: expected version {at}, but the "
                f"record is at version {row['version']}"
            )
        return _Done(
            "deleted",
            _record_json(row),
            None,
            {"collection": collection, "key": key, "deleted": True, "version": at},
        )

    return _operate(engine, op_id, collection, key, now, write)


def revert_operation(engine: Engine, *, op_id: str, now: datetime) -> dict[str, Any]:
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


def _revert(conn: Connection, op_id: str, now: datetime) -> dict[str, Any]:
    logged = (
        conn.execute(sa.select(record_operations).where(record_operations.c.operation_id == op_id))
        .mappings()
        .first()
    )
    if logged is None:
        return {"operation": op_id, "reverted": False, "action": None, "record": None}
    if logged["reverted"] is not None:
        reverted: dict[str, Any] = logged["reverted"]
        return reverted
    collection, key, action = logged["collection"], logged["record_key"], logged["action"]
    before: dict[str, Any] | None = logged["before"]
    row = _read(conn, collection, key)
    where = f"{collection}/{key}"

    def moved_on(since: str) -> RecordVersionConflict:
        found = "no longer exists" if row is None else f"is at version {row['version']}"
        return RecordVersionConflict(
            f"cannot revert {action} {where}: it {since}, and the record {found}"
        )

    record: dict[str, Any] | None = None
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
            created_at=_parse(before["createdAt"]),
        )
    else:  # unchanged: nothing was written, nothing to undo
        record = None if row is None else _record_json(row)
    result = {
        "operation": op_id,
        "reverted": action != "unchanged",
        "action": action,
        "record": record,
    }
    conn.execute(
        sa.update(record_operations)
        .where(record_operations.c.operation_id == op_id)
        .values(reverted=result)
    )
    return result


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
