"""The schema files of the generic record and device activities (activities/schemas/): valid
JSON Schemas, and what the real services take and answer matches them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from adapters.sql import create_sql_engine
from services import init_schema
from services.records import records_store as store
from services.records.devices import remove_batch, store_events
from wire import to_json

SCHEMAS = Path(__file__).resolve().parents[3] / "activities" / "schemas"
MINE = [
    "create_record",
    "update_record",
    "get_record",
    "delete_record",
    "revert_record",
    "open_device_window",
    "process_device_events",
    "remove_device_events",
]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
IDS = {"instanceId": "wf-1", "at": "2026-01-05T09:00:00Z"}


def schema(name: str, part: str) -> Draft202012Validator:
    document = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(document[part])


@pytest.mark.parametrize("name", MINE)
def test_each_schema_file_is_a_description_and_two_valid_schemas(name: str) -> None:
    document = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    assert set(document) == {"description", "input", "output"}
    assert document["description"].strip()
    for part in ("input", "output"):
        Draft202012Validator.check_schema(document[part])


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    init_schema(engine)
    return engine


def check(name: str, given: dict[str, Any], answer: Any) -> None:
    schema(name, "input").validate(given)
    schema(name, "output").validate(answer)


def test_record_activities_inputs_and_outputs_match(engine: sa.Engine) -> None:
    given: dict[str, Any] = {"collection": "c", "key": "k", "body": {"a": 1}, "step": "C", **IDS}
    check(
        "create_record",
        given,
        to_json(
            store.create_record(engine, op_id="1", collection="c", key="k", body={"a": 1}, now=T0)
        ),
    )
    given = {
        "collection": "c",
        "key": "k",
        "merge": {"b": 2},
        "increment": {"n": 1},
        "expectedVersion": 1,
        "step": "U",
        **IDS,
    }
    check(
        "update_record",
        given,
        to_json(
            store.update_record(
                engine,
                op_id="2",
                collection="c",
                key="k",
                merge={"b": 2},
                increment={"n": 1},
                expected_version=1,
                now=T0,
            )
        ),
    )
    check(
        "get_record", {"collection": "c", "key": "k"}, to_json(store.get_record(engine, "c", "k"))
    )
    check(
        "get_record",
        {"collection": "c", "key": "no", "missingOk": True},
        store.get_record(engine, "c", "no"),
    )
    check(
        "revert_record",
        {"step": "U", **IDS},
        to_json(store.revert_operation(engine, op_id="2", now=T0)),
    )
    check(
        "delete_record",
        {"collection": "c", "key": "k", "step": "D", **IDS},
        to_json(store.delete_record(engine, op_id="3", collection="c", key="k", now=T0)),
    )


@pytest.mark.parametrize(
    "given",
    [
        {"collection": "c", "key": "k", "step": "U", **IDS},  # nothing to write
        {"collection": "c", "key": "k", "body": {}, "merge": {}, "step": "U", **IDS},
        {"collection": "c", "key": "k", "body": {}, **IDS},  # no step
        {"collection": "c", "key": "k", "body": {}, "step": "U", "extra": 1, **IDS},
    ],
)
def test_the_update_schema_refuses_what_the_activity_refuses(given: dict[str, Any]) -> None:
    assert list(schema("update_record", "input").iter_errors(given))


def test_device_activities_inputs_and_outputs_match(engine: sa.Engine) -> None:
    event = {
        "eventId": "e1",
        "deviceId": "d",
        "type": "t",
        "occurredAt": "2026-01-05T09:00:00Z",
        "receivedAt": "2026-01-05T09:00:01Z",
        "data": {},
    }
    given = {"deviceId": "d", "batchId": "b", "events": [event], "totals": None, "at": IDS["at"]}
    check(
        "process_device_events",
        given,
        to_json(
            store_events(engine, device_id="d", batch_id="b", events=[event], totals=None, now=T0)
        ),
    )
    check(
        "remove_device_events",
        {"deviceId": "d", "batchId": "b"},
        to_json(remove_batch(engine, device_id="d", batch_id="b")),
    )
    check(
        "open_device_window",
        {"deviceId": "d", "at": "2026-01-05T09:00:00Z"},
        {
            "deviceId": "d",
            "batchSize": 50,
            "awaiting": 49,
            "window": "PT5M",
            "opensAt": "2026-01-05T09:00:00Z",
            "closesAt": "2026-01-05T09:05:00Z",
        },
    )
