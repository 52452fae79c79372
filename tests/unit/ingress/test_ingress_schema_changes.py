"""Schema-change messages against the JSON Schema: every problem names its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingress.schema_changes import (
    SCHEMA_FILE,
    BadMessage,
    SchemaChange,
    parse_schema_change,
)

MESSAGES = Path(__file__).resolve().parents[3] / "examples" / "messages"
VALID = {
    "documentId": "2a9c3f0e-5b1d-4c7e-9a21-000000000002",
    "physicalName": "sales.orders",
    "databaseName": "warehouse",
    "changeType": "Altered",
    "requestedBy": "rita.requester@example.com",
}


def errors_of(body: Any) -> list[dict[str, str]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(BadMessage) as caught:
        parse_schema_change(data)
    assert caught.value.reason == "schema-invalid"
    return list(caught.value.details["errors"])


def test_a_valid_message_parses_with_a_lower_case_document_id() -> None:
    change = parse_schema_change(
        json.dumps({**VALID, "documentId": VALID["documentId"].upper()}).encode()
    )
    assert change == SchemaChange(
        "2a9c3f0e-5b1d-4c7e-9a21-000000000002",
        "sales.orders",
        "warehouse",
        "Altered",
        "rita.requester@example.com",
    )
    assert change.to_json() == VALID


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in MESSAGES.glob("*.json") if p.stem != "malformed")
)
def test_every_example_message_but_the_malformed_one_is_valid(name: str) -> None:
    parse_schema_change((MESSAGES / f"{name}.json").read_bytes())


def test_the_malformed_example_reports_each_of_its_problems() -> None:
    errors = errors_of((MESSAGES / "malformed.json").read_bytes())
    assert [e["field"] for e in errors] == ["changeType", "databaseName", "documentId"]
    assert 'expected one of Created, Altered, Dropped, got "Renamed"' in errors[0]["message"]
    assert errors[1]["message"].startswith("databaseName: is required")
    assert "expected a UUID" in errors[2]["message"]


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"physicalName": "orders"}, "physicalName", "schema.name"),
        ({"physicalName": "a.b.c"}, "physicalName", "schema.name"),
        ({"physicalName": 5}, "physicalName", "got 5"),
        ({"databaseName": ""}, "databaseName", "configured source database"),
        ({"databaseName": "   "}, "databaseName", "configured source database"),
        ({"requestedBy": "ab"}, "requestedBy", "3 to 254 characters"),
        ({"changeType": "altered"}, "changeType", "Created, Altered, Dropped"),
        ({"documentId": "2a9c3f0e5b1d4c7e9a21000000000002x"}, "documentId", "UUID"),
        ({"Database": "warehouse"}, "Database", "not a field of a schema-change message"),
    ],
)
def test_each_bad_field_is_named_with_what_was_expected(
    change: dict[str, Any], field: str, says: str
) -> None:
    errors = errors_of({**VALID, **change})
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"].startswith(f"{field}: ")
    assert says in errors[0]["message"]


def test_every_missing_and_every_unknown_field_is_named_once() -> None:
    body = {k: v for k, v in VALID.items() if k not in ("databaseName", "requestedBy")}
    errors = errors_of({**body, "db": "warehouse", "by": "rita"})
    assert [e["field"] for e in errors] == ["by", "databaseName", "db", "requestedBy"]


def test_a_message_that_is_not_an_object_is_schema_invalid() -> None:
    assert errors_of([VALID]) == [
        {"field": "(message)", "message": "(message): expected a JSON object"}
    ]


@pytest.mark.parametrize(
    ("body", "says"), [(b"{", "not JSON"), (b"\xff\xfe{}", "not UTF-8"), (b"", "not JSON")]
)
def test_bodies_that_are_not_json_are_not_json(body: bytes, says: str) -> None:
    with pytest.raises(BadMessage) as caught:
        parse_schema_change(body)
    assert caught.value.reason == "not-json"
    assert says in caught.value.details["error"]


def test_the_schema_file_refuses_unknown_fields_and_requires_all_five() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == sorted(VALID)
