"""Master index: versions accumulate, compensation restores the previous one, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.approval.master_index import (
    IndexUpdate,
    index_entry,
    restore_previous,
    update_master_index,
)
from services.errors import IdempotencyMismatch, InvalidInput, NotFound
from services.testing import fresh_database, sqlite_engine
from wire import to_json

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def index(
    engine: sa.Engine, document_id: str, name: str = "sales.customers", minutes: int = 0
) -> IndexUpdate:
    return update_master_index(
        engine,
        document_id=document_id,
        database_name="warehouse",
        physical_name=name,
        entry={
            "libraryUrl": f"https://lib/{document_id}.docx",
            "contentHash": document_id,
            "tier": 2,
            "approvedBy": ["dana.steward@example.com"],
        },
        now=T0 + timedelta(minutes=minutes),
    )


def test_a_second_change_makes_version_two_and_keeps_one(engine: sa.Engine) -> None:
    first = index(engine, "doc-1")
    assert (first.version, first.previous_version) == (1, None)
    second = index(engine, "doc-2", minutes=5)
    assert (second.version, second.previous_version) == (2, 1)
    entry = index_entry(engine, "warehouse", "sales.customers")
    assert entry.current_version == 2
    assert entry.current is not None
    assert entry.current.document_id == "doc-2"
    assert entry.current.entry["libraryUrl"] == "https://lib/doc-2.docx"
    assert [(v.version, v.document_id, v.current) for v in entry.versions] == [
        (1, "doc-1", False),
        (2, "doc-2", True),
    ]


def test_the_update_and_the_entry_keep_their_json_shape(engine: sa.Engine) -> None:
    entry = {"libraryUrl": "u", "approved_by": ["x"]}  # the workflow's keys, never renamed
    update = update_master_index(
        engine,
        document_id="doc-1",
        database_name="warehouse",
        physical_name="sales.customers",
        entry=entry,
        now=T0,
    )
    assert to_json(update) == {
        "databaseName": "warehouse",
        "physicalName": "sales.customers",
        "version": 1,
        "previousVersion": None,
        "documentId": "doc-1",
        "revision": 1,
        "entry": entry,
        "recordedAt": "2026-03-02T09:00:00Z",
    }
    version = {
        "version": 1,
        "documentId": "doc-1",
        "revision": 1,
        "entry": entry,
        "recordedAt": "2026-03-02T09:00:00Z",
        "withdrawnAt": None,
        "withdrawnReason": None,
        "current": True,
    }
    assert to_json(index_entry(engine, "warehouse", "sales.customers")) == {
        "databaseName": "warehouse",
        "physicalName": "sales.customers",
        "currentVersion": 1,
        "current": version,
        "versions": [version],
    }


def test_updating_again_for_the_same_document_changes_nothing(engine: sa.Engine) -> None:
    index(engine, "doc-1")
    second = index(engine, "doc-2")
    assert index(engine, "doc-2", minutes=30) == second
    assert len(index_entry(engine, "warehouse", "sales.customers").versions) == 2
    with pytest.raises(IdempotencyMismatch):
        index(engine, "doc-2", name="sales.orders")


def test_compensation_restores_the_previous_version_once(engine: sa.Engine) -> None:
    index(engine, "doc-1")
    index(engine, "doc-2")
    undone = restore_previous(engine, document_id="doc-2", now=T0 + timedelta(hours=1))
    assert to_json(undone) == {
        "restored": True,
        "documentId": "doc-2",
        "revision": 1,
        "databaseName": "warehouse",
        "physicalName": "sales.customers",
        "withdrawnVersion": 2,
        "currentVersion": 1,
    }
    again = restore_previous(engine, document_id="doc-2", now=T0 + timedelta(hours=2))
    assert to_json(again) == {**to_json(undone), "restored": False}
    entry = index_entry(engine, "warehouse", "sales.customers")
    assert entry.current_version == 1
    assert entry.current is not None
    assert entry.current.document_id == "doc-1"
    withdrawn = to_json(entry)["versions"][1]
    assert withdrawn["withdrawnAt"] == "2026-03-02T10:00:00Z"  # the first run's time, kept
    assert withdrawn["withdrawnReason"] == "compensation"
    # Numbers are never reused: the next change is version 3.
    assert index(engine, "doc-3").version == 3
    assert index(engine, "doc-3").previous_version == 1


def test_undoing_the_first_version_leaves_the_object_unindexed(engine: sa.Engine) -> None:
    index(engine, "doc-1")
    undone = to_json(restore_previous(engine, document_id="doc-1", now=T0))
    assert undone["currentVersion"] is None  # null, not absent: the object is unindexed
    entry = index_entry(engine, "warehouse", "sales.customers")
    assert entry.current is None
    assert to_json(entry)["current"] is None
    assert len(entry.versions) == 1


def test_undoing_an_older_version_keeps_the_newer_one_current(engine: sa.Engine) -> None:
    index(engine, "doc-1")
    index(engine, "doc-2")
    index(engine, "doc-3")
    assert to_json(restore_previous(engine, document_id="doc-2", now=T0))["currentVersion"] == 3
    assert to_json(restore_previous(engine, document_id="doc-3", now=T0))["currentVersion"] == 1


def test_compensating_what_was_never_indexed_does_nothing(engine: sa.Engine) -> None:
    assert to_json(restore_previous(engine, document_id="never", now=T0)) == {
        "restored": False,
        "documentId": "never",
        "revision": 1,
    }


def test_reading_an_unindexed_object(engine: sa.Engine) -> None:
    with pytest.raises(NotFound, match=r"warehouse\.nothing"):
        index_entry(engine, "warehouse", "nothing")


def test_objects_are_keyed_by_database_and_name(engine: sa.Engine) -> None:
    index(engine, "doc-1", name="sales.customers")
    other = update_master_index(
        engine,
        document_id="doc-2",
        database_name="finance",
        physical_name="sales.customers",
        entry={},
        now=T0,
    )
    assert other.version == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("database_name", ""), ("physical_name", " "), ("document_id", ""), ("entry", [1])],
)
def test_bad_input_names_the_field(engine: sa.Engine, field: str, value: object) -> None:
    args: dict[str, object] = {
        "document_id": "d",
        "database_name": "warehouse",
        "physical_name": "sales.customers",
        "entry": {},
        "now": T0,
        field: value,
    }
    with pytest.raises(InvalidInput):
        update_master_index(engine, **args)  # type: ignore[arg-type]


def test_concurrent_changes_to_one_object_get_distinct_versions(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite"
    fresh_database(path).dispose()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def change(n: int) -> None:
        engine = sqlite_engine(path)
        barrier.wait()
        try:
            index(engine, f"doc-{n}")
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entry = index_entry(sqlite_engine(path), "warehouse", "sales.customers")
    assert [v.version for v in entry.versions] == [1, 2, 3, 4]
    assert len({v.document_id for v in entry.versions}) == 4
    assert entry.current_version == 4
