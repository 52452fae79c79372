"""SQLAlchemy engines: SQLite locally (WAL, folder created), Azure SQL with an Entra token.

A SQLite file opened for writing gets ``adapters.sqlite_transactions``: reads in
``engine.connect()`` never take the write lock, and writes in ``engine.begin()`` queue for
it without sleeping, across threads and processes. For ``mssql+pyodbc`` the access token is
injected at each connect as the ODBC pre-connect attribute ``SQL_COPT_SS_ACCESS_TOKEN``
(1256), the pattern Microsoft documents for pyodbc; the URL then carries no user or password.
pyodbc is imported by SQLAlchemy only for such URLs.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from adapters.errors import AdapterConfigurationError, NotFoundError
from adapters.sqlite_transactions import configure_transactions, connection_factory

__all__ = [
    "AZURE_SQL_SCOPE",
    "SQL_COPT_SS_ACCESS_TOKEN",
    "access_token_struct",
    "create_sql_engine",
    "token_connect_params",
]

SQL_COPT_SS_ACCESS_TOKEN = 1256
AZURE_SQL_SCOPE = "https://database.windows.net/.default"


def create_sql_engine(
    url: str,
    *,
    credential: TokenCredential | None = None,
    read_only: bool = False,
    lock_timeout: float = 30.0,
    **engine_options: Any,
) -> Engine:
    """An engine for ``url``; ``credential`` is required for ``mssql+pyodbc`` (Entra token).

    ``read_only`` opens a SQLite file read-only and requires it to exist, so a mistyped source
    database path fails clearly instead of silently creating an empty database.
    ``lock_timeout`` is how long a SQLite writer waits for its turn before "database is
    locked".
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise AdapterConfigurationError(
            f"database URL {url!r} is not a SQLAlchemy URL: {error}"
        ) from error
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(
            parsed, read_only=read_only, lock_timeout=lock_timeout, **engine_options
        )
    if parsed.get_backend_name() == "mssql":
        if credential is None:
            raise AdapterConfigurationError(
                "an mssql database URL needs a credential for its Entra access token"
            )
        engine = create_engine(parsed, pool_pre_ping=True, **engine_options)
        _inject_access_token(engine, credential)
        return engine
    return create_engine(parsed, **engine_options)


def access_token_struct(token: str) -> bytes:
    """The token as the ODBC driver wants it: little-endian length, then UTF-16-LE bytes."""
    encoded = token.encode("utf-16-le")
    return struct.pack(f"<I{len(encoded)}s", len(encoded), encoded)


def token_connect_params(credential: TokenCredential) -> dict[int, bytes]:
    """The ``attrs_before`` of one pyodbc connect: a current token (azure-identity caches)."""
    token = credential.get_token(AZURE_SQL_SCOPE).token
    return {SQL_COPT_SS_ACCESS_TOKEN: access_token_struct(token)}


def _inject_access_token(engine: Engine, credential: TokenCredential) -> None:
    @event.listens_for(engine, "do_connect")
    def _provide_token(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["attrs_before"] = token_connect_params(credential)


def _sqlite_engine(
    url: URL, *, read_only: bool, lock_timeout: float, **engine_options: Any
) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or database.startswith("file::memory:")
    if in_memory:
        return create_engine(url, **engine_options)
    path = Path(database.removeprefix("file:").split("?", 1)[0])
    if read_only:
        if not path.is_file():
            raise NotFoundError(f"SQLite database file {path} does not exist")
        # A read-only URI connection: sqlite refuses writes and never creates the file.
        url = url.set(database=f"file:{path}", query={**url.query, "mode": "ro", "uri": "true"})
        engine = create_engine(url, **engine_options)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        connect_args = {**engine_options.pop("connect_args", {}), "factory": connection_factory()}
        engine = create_engine(url, connect_args=connect_args, **engine_options)
        configure_transactions(engine, path, lock_timeout)
    _configure_sqlite(engine, read_only=read_only, busy_timeout=lock_timeout)
    return engine


def _configure_sqlite(engine: Engine, *, read_only: bool, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # Writers of this engine queue before they reach SQLite (sqlite_transactions);
            # the busy timeout is for the rest: other programs, and checkpoints.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                # WAL: readers go on beside the one writer.
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()
        if not read_only:
            # SQLAlchemy, not pysqlite, begins transactions (sqlite_transactions).
            dbapi_connection.isolation_level = None
