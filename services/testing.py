"""Test seam for the services: a fresh app database on a SQLite file, seeded with a policy.

Real SQLite files rather than mocks, one per test, as the project's tests do everywhere. The
schema and policy are built once per process into a template file and copied for each test,
because creating a dozen tables costs far more than copying a small file.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from adapters.sql import create_sql_engine
from services import initialize

__all__ = ["EXAMPLE_POLICY_FILE", "fresh_database", "sqlite_engine"]

EXAMPLE_POLICY_FILE = Path(__file__).resolve().parent.parent / "examples" / "approval-policy.json"

_templates: dict[Path, Path] = {}


def sqlite_engine(path: Path) -> Engine:
    """The app's own engine on the SQLite file ``path`` (created on first use): WAL, foreign
    keys, reads that never wait, writers queued for up to 30 s (``adapters.sql``). Commits
    skip fsync, since a test database need not survive a power cut."""
    engine = create_sql_engine(f"sqlite:///{path}")
    sa.event.listen(engine, "connect", _configure)
    return engine


def _configure(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def _template(policy_file: Path) -> Path:
    key = policy_file.resolve()
    if key not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="services-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "app.sqlite"
        engine = sqlite_engine(template)
        initialize(engine, key)
        engine.dispose()
        _templates[key] = template
    return _templates[key]


def fresh_database(path: Path, policy_file: Path = EXAMPLE_POLICY_FILE) -> Engine:
    """An initialised app database at ``path``: tables created and the policy seeded."""
    shutil.copyfile(_template(policy_file), path)
    return sqlite_engine(path)
