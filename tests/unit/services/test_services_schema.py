"""The app schema: idempotent creation, and DDL that Azure SQL accepts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateIndex, CreateTable

from services import db, initialize
from services.testing import EXAMPLE_POLICY_FILE, sqlite_engine


def test_initialize_is_idempotent(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "app.sqlite")
    assert initialize(engine, EXAMPLE_POLICY_FILE) is True
    assert initialize(engine, EXAMPLE_POLICY_FILE) is False
    assert initialize(sqlite_engine(tmp_path / "app.sqlite"), EXAMPLE_POLICY_FILE) is False
    names = set(sa.inspect(engine).get_table_names())
    assert names == {t.name for t in db.metadata.sorted_tables}


def test_the_ddl_compiles_for_sql_server() -> None:
    dialect = mssql.dialect()
    for table in db.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))


def test_keys_and_indexes_use_bounded_columns() -> None:
    """SQL Server cannot index NVARCHAR(MAX): every key column needs a length."""
    for table in db.metadata.sorted_tables:
        keyed: set[sa.Column[object]] = set(table.primary_key.columns)
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint | sa.ForeignKeyConstraint):
                keyed.update(constraint.columns)
        for index in table.indexes:
            keyed.update(c for c in index.columns if isinstance(c, sa.Column))
        for column in keyed:
            if isinstance(column.type, sa.String):
                assert column.type.length, f"{table.name}.{column.name} needs a length"
            else:
                assert isinstance(column.type, sa.Integer | db.UtcDateTime), (
                    f"{table.name}.{column.name}: {column.type!r} as a key"
                )


def _key_bytes(columns: list[sa.Column[object]]) -> int:
    """Bytes SQL Server needs for these key columns at their declared sizes."""
    total = 0
    for column in columns:
        kind = column.type
        if isinstance(kind, sa.String):
            total += 2 * (kind.length or 4000)  # NVARCHAR: two bytes a character
        elif isinstance(kind, db.UtcDateTime):
            total += 8
        else:
            total += 4
    return total


def test_keys_fit_sql_server_index_limits() -> None:
    """900 bytes for a clustered primary key, 1700 for other indexes: a longer key makes
    SQL Server warn at CREATE and fail the first insert that uses the room."""
    for table in db.metadata.sorted_tables:
        assert _key_bytes(list(table.primary_key.columns)) <= 900, table.name
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                assert _key_bytes(list(constraint.columns)) <= 1700, constraint.name
        for index in table.indexes:
            columns = [c for c in index.columns if isinstance(c, sa.Column)]
            assert _key_bytes(columns) <= 1700, index.name
