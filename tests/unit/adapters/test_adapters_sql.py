"""SQL engines and source databases: real SQLite files; the Azure SQL token as bytes."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from adapters import (
    AdapterConfigurationError,
    NotFoundError,
    SourceDatabases,
    StaticTokenCredential,
    UnknownDatabase,
    create_sql_engine,
)
from adapters.sql import (
    AZURE_SQL_SCOPE,
    SQL_COPT_SS_ACCESS_TOKEN,
    access_token_struct,
    token_connect_params,
)


def test_sqlite_engine_creates_the_folder_and_uses_wal(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path}/nested/deeper/app.sqlite")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested" / "deeper" / "app.sqlite").is_file()


def test_read_only_sqlite_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "source.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a INTEGER)")
        connection.execute("INSERT INTO t VALUES (7)")
    connection.close()
    engine = create_sql_engine(f"sqlite:///{path}", read_only=True)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT a FROM t")).scalar() == 7
    with pytest.raises(OperationalError, match="readonly"), engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (8)"))


def test_read_only_sqlite_must_exist_and_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        create_sql_engine(f"sqlite:///{tmp_path}/missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_bad_urls_are_named() -> None:
    with pytest.raises(AdapterConfigurationError, match="not a SQLAlchemy URL"):
        create_sql_engine("not a url")
    with pytest.raises(AdapterConfigurationError, match="credential"):
        create_sql_engine(
            "mssql+pyodbc://server.database.windows.net/db?driver=ODBC+Driver+18+for+SQL+Server"
        )


def test_access_token_struct_is_length_prefixed_utf16() -> None:
    packed = access_token_struct("eyJ0")
    (length,) = struct.unpack("<I", packed[:4])
    assert length == 8
    assert packed[4:] == "eyJ0".encode("utf-16-le")


def test_token_connect_params_ask_for_the_azure_sql_scope() -> None:
    credential = StaticTokenCredential("token-value")
    params = token_connect_params(credential)
    assert params == {SQL_COPT_SS_ACCESS_TOKEN: access_token_struct("token-value")}
    assert SQL_COPT_SS_ACCESS_TOKEN == 1256
    assert credential.scopes_requested == [(AZURE_SQL_SCOPE,)]


def test_source_databases_from_setting(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    sqlite3.connect(path).close()
    sources = SourceDatabases.from_setting(f'{{"warehouse": "sqlite:///{path}"}}')
    assert sources.names == ["warehouse"]
    assert "warehouse" in sources
    assert sources.engine("warehouse") is sources.engine("warehouse")
    with pytest.raises(UnknownDatabase, match="'crm' is not a configured") as caught:
        sources.engine("crm")
    assert caught.value.known == ["warehouse"]
    sources.dispose()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not JSON"),
        ('["a"]', "JSON object"),
        ('{"w": 3}', "JSON object"),
        ('{"w": "nonsense url"}', r"SOURCE_DATABASES\['w'\]"),
    ],
)
def test_bad_source_database_settings_are_named(value: str, message: str) -> None:
    with pytest.raises(AdapterConfigurationError, match=message):
        SourceDatabases.from_setting(value)


def test_unset_source_databases_know_nothing() -> None:
    sources = SourceDatabases.from_setting(None)
    assert sources.names == []
    with pytest.raises(UnknownDatabase, match="none: set SOURCE_DATABASES"):
        sources.engine("warehouse")
