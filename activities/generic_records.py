"""Generic records for workflows without code: ``create_record``, ``update_record``,
``get_record``, ``delete_record`` and ``revert_record``, the compensation of the three writes.

Each write is idempotent on a key derived from ``instanceId`` and ``step`` (both in its
input): a repeated activity writes nothing twice and answers the same. A workflow whose
instance id is reused across runs (the device workflow: instance id = device id) makes ``step``
unique per run. See ``services.records.records_store`` for the rules and the error names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from runtime import runtime
from services import parse_timestamp
from services.records import records_store as store
from services.records.records_store import RecordInvalid, RecordNotFound
from wire import to_json

from ._blueprint import blueprint

__all__ = ["create_record", "delete_record", "get_record", "revert_record", "update_record"]


def _input(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordInvalid("input", f"expected a JSON object, got {type(value).__name__}")
    return value


def _op_id(data: Mapping[str, Any]) -> str:
    for name in ("instanceId", "step"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise RecordInvalid(
                name,
                "expected a non-empty string (the write's idempotency "
                "key is derived from instanceId and step)",
            )
    return store.operation_id(data["instanceId"], data["step"])


def _at(data: Mapping[str, Any]) -> datetime:
    """The orchestration's time of the step when given (``at``), else now."""
    value = data.get("at")
    return datetime.now(UTC) if value is None else parse_timestamp(value, "at")


@blueprint.activity_trigger(input_name="request")
def create_record(request: Any) -> dict[str, Any]:
    """Create a record at version 1 (``ifExists``: fail, keep, replace or merge)."""
    data = _input(request)
    written = store.create_record(
        runtime().adapters.database,
        op_id=_op_id(data),
        collection=data.get("collection"),
        key=data.get("key"),
        body=data.get("body"),
        if_exists=data.get("ifExists", "fail"),
        now=_at(data),
    )
    return to_json(written)


@blueprint.activity_trigger(input_name="request")
def update_record(request: Any) -> dict[str, Any]:
    """Write a record's next version (``body``, or ``merge`` and ``increment``), optionally
    only at ``expectedVersion``."""
    data = _input(request)
    written = store.update_record(
        runtime().adapters.database,
        op_id=_op_id(data),
        collection=data.get("collection"),
        key=data.get("key"),
        body=data.get("body"),
        merge=data.get("merge"),
        increment=data.get("increment"),
        expected_version=data.get("expectedVersion"),
        now=_at(data),
    )
    return to_json(written)


@blueprint.activity_trigger(input_name="request")
def get_record(request: Any) -> dict[str, Any] | None:
    """The record; with ``missingOk: true`` null when there is none, else Record.NotFound."""
    data = _input(request)
    found = store.get_record(runtime().adapters.database, data.get("collection"), data.get("key"))
    if found is None and data.get("missingOk") is not True:
        raise RecordNotFound(f"no record {data.get('collection')}/{data.get('key')}")
    return None if found is None else to_json(found)


@blueprint.activity_trigger(input_name="request")
def delete_record(request: Any) -> dict[str, Any]:
    """Delete a record (optionally only at ``expectedVersion``); a missing one is no error."""
    data = _input(request)
    written = store.delete_record(
        runtime().adapters.database,
        op_id=_op_id(data),
        collection=data.get("collection"),
        key=data.get("key"),
        expected_version=data.get("expectedVersion"),
        now=_at(data),
    )
    return to_json(written)


@blueprint.activity_trigger(input_name="request")
def revert_record(request: Any) -> dict[str, Any]:
    """Compensation of create/update/delete_record: undo the write made by ``instanceId`` +
    ``step``, unless the record was written since (Record.VersionConflict)."""
    data = _input(request)
    reverted = store.revert_operation(
        runtime().adapters.database, op_id=_op_id(data), now=_at(data)
    )
    return to_json(reverted)
