"""The source databases the app documents: names mapped to SQLAlchemy engines.

Configured by ``SOURCE_DATABASES`` (a JSON object name -> URL). Engines are made on first use
and kept, so reflection reuses connections across activities. Source databases are only read:
SQLite files open read-only and must exist.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from azure.core.credentials import TokenCredential
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.errors import AdapterConfigurationError, UnknownDatabase
from adapters.sql import create_sql_engine

__all__ = ["SourceDatabases"]


class SourceDatabases:
    """Named, read-only source databases; ``engine(name)`` raises ``UnknownDatabase``."""

    def __init__(
        self, urls: Mapping[str, str], *, credential: TokenCredential | None = None
    ) -> None:
        for name, url in urls.items():
            try:
                make_url(url)
            except ArgumentError as error:
                raise AdapterConfigurationError(
                    f"SOURCE_DATABASES[{name!r}] is not a SQLAlchemy URL: {url!r}"
                ) from error
        self._urls = dict(urls)
        self._credential = credential
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_setting(
        cls, value: str | None, *, credential: TokenCredential | None = None
    ) -> SourceDatabases:
        """Parse the ``SOURCE_DATABASES`` setting; unset means no source databases."""
        if not value:
            return cls({}, credential=credential)
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as error:
            raise AdapterConfigurationError(
                f"SOURCE_DATABASES is not JSON ({error.msg}); expected an object like "
                '{"warehouse": "sqlite:///examples/warehouse.sqlite"}'
            ) from error
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise AdapterConfigurationError(
                "SOURCE_DATABASES must be a JSON object of database name -> SQLAlchemy URL"
            )
        return cls(parsed, credential=credential)

    @property
    def names(self) -> list[str]:
        return sorted(self._urls)

    def __contains__(self, name: object) -> bool:
        return name in self._urls

    def engine(self, name: str) -> Engine:
        """The engine of database ``name``, made on first use."""
        if name not in self._urls:
            raise UnknownDatabase(name, list(self._urls))
        with self._lock:
            if name not in self._engines:
                self._engines[name] = create_sql_engine(
                    self._urls[name], credential=self._credential, read_only=True
                )
            return self._engines[name]

    def dispose(self) -> None:
        """Close pooled connections (tests and shutdown)."""
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
