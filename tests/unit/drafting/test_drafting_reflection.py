"""Reflection on the real sample databases, built by examples/build_databases.py in tmp."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters import SourceDatabases
from examples.build_databases import build_databases
from services.drafting import (
    ColumnDescription,
    ForeignKeyDescription,
    IndexDescription,
    ObjectDescription,
    UnknownObject,
    describe_from_dictionary,
    reflect_object,
)
from services.drafting.reflection import local_name, physical_name_of


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourceDatabases]:
    paths = build_databases(tmp_path_factory.mktemp("examples"))
    databases = SourceDatabases({name: f"sqlite:///{path}" for name, path in paths.items()})
    yield databases
    databases.dispose()


@pytest.fixture
def warehouse(sources: SourceDatabases) -> Engine:
    return sources.engine("warehouse")


def test_build_is_idempotent_and_complete(tmp_path: Path) -> None:
    first = build_databases(tmp_path)
    second = build_databases(tmp_path)
    assert (
        first
        == second
        == {"warehouse": tmp_path / "warehouse.sqlite", "finance": tmp_path / "finance.sqlite"}
    )
    with sqlite3.connect(second["warehouse"]) as connection:
        tables = {
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        }
        assert connection.execute("SELECT COUNT(*) FROM _object_kinds").fetchone() == (2,)
    connection.close()
    assert {
        "sales__customers",
        "sales__orders",
        "sales__invoices",
        "sales__products",
        "sales__invoice_number_seq",
        "sales__daily_order_counts",
        "_data_dictionary",
    } <= tables
    assert not list(tmp_path.glob(".*.sqlite"))  # no temporary files left behind


def test_sqlite_maps_schema_dot_name_to_double_underscore(warehouse: Engine) -> None:
    assert local_name(warehouse, "sales.customers") == (None, "sales__customers")
    assert local_name(warehouse, "plain") == (None, "plain")
    assert physical_name_of(warehouse, None, "sales__customers") == "sales.customers"
    assert physical_name_of(warehouse, None, "plain") == "plain"


def test_table_is_reflected_with_keys_indexes_and_descriptions(warehouse: Engine) -> None:
    customers = reflect_object(warehouse, "warehouse", "sales.customers")
    assert customers.kind == "table"
    assert customers.exists is True
    assert customers.description == "People and companies who buy from us, one row per customer."
    assert [c.name for c in customers.columns][:4] == [
        "customer_id",
        "first_name",
        "last_name",
        "email",
    ]
    assert customers.columns[3] == ColumnDescription(
        name="email",
        type="TEXT",
        nullable=False,
        default=None,
        description="E-mail address used for order confirmations.",
    )
    segment = next(c for c in customers.columns if c.name == "segment")
    assert segment.default == "'retail'"
    assert customers.primary_key == ("customer_id",)
    assert (
        IndexDescription("ix_customers_name", ("last_name", "first_name"), False)
        in customers.indexes
    )
    assert IndexDescription(None, ("email",), True) in customers.indexes


def test_foreign_keys_name_the_referred_object_by_its_physical_name(warehouse: Engine) -> None:
    orders = reflect_object(warehouse, "warehouse", "sales.orders")
    assert orders.foreign_keys == (
        ForeignKeyDescription(
            name=None,
            columns=("customer_id",),
            referred_object="sales.customers",
            referred_columns=("customer_id",),
        ),
    )
    described = [c.name for c in orders.columns if c.description]
    assert described == ["order_id", "customer_id", "order_date"]


def test_view_is_reflected_as_a_view(warehouse: Engine) -> None:
    view = reflect_object(warehouse, "warehouse", "sales.daily_order_counts")
    assert view.kind == "view"
    assert [c.name for c in view.columns] == ["order_date", "channel", "order_count"]
    assert view.primary_key == ()


def test_declared_kind_overrides_the_reflected_one(warehouse: Engine) -> None:
    sequence = reflect_object(warehouse, "warehouse", "sales.invoice_number_seq")
    assert sequence.kind == "sequence"


def test_unknown_object_is_a_typed_error(warehouse: Engine) -> None:
    with pytest.raises(UnknownObject, match=r"'sales\.nothing' is not a table or view") as caught:
        reflect_object(warehouse, "warehouse", "sales.nothing")
    assert caught.value.database == "warehouse"


def test_a_dropped_object_is_described_from_the_dictionary(warehouse: Engine) -> None:
    dropped = describe_from_dictionary(warehouse, "warehouse", "sales.promotions_2019")
    assert dropped.exists is False
    assert dropped.kind == "table"
    assert dropped.description == "Promotion codes of the 2019 campaigns, now retired."
    assert [(c.name, c.type) for c in dropped.columns] == [
        ("promo_code", "unknown"),
        ("valid_until", "unknown"),
    ]
    assert "no longer exists in warehouse" in dropped.notes[0]


def test_a_dropped_object_nobody_described_is_still_a_record(warehouse: Engine) -> None:
    dropped = describe_from_dictionary(warehouse, "warehouse", "sales.ghost")
    assert dropped.kind == "unknown"
    assert dropped.columns == ()
    assert "data dictionary has no entry" in dropped.notes[0]


def test_a_database_without_side_tables_reflects_plainly(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE hr__people (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()
    sources = SourceDatabases({"plain": f"sqlite:///{path}"})
    described = reflect_object(sources.engine("plain"), "plain", "hr.people")
    assert described.description is None
    assert [c.description for c in described.columns] == [None, None]
    sources.dispose()


def test_description_round_trips_through_json(warehouse: Engine) -> None:
    orders = reflect_object(warehouse, "warehouse", "sales.orders")
    stored = json.loads(json.dumps(dataclasses.asdict(orders)))  # as the snapshot stores it
    assert ObjectDescription.from_json(stored) == orders
