"""Test seam for the services: a fresh app database on a SQLite file, seeded with a policy.

Real SQLite files rather than mocks, one per test, as the project's tests do everywhere.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services import initialize

__all__ = ["EXAMPLE_POLICY_FILE", "fresh_database", "sqlite_engine"]

EXAMPLE_POLICY_FILE = Path(__file__).resolve().parent.parent / "examples" / "approval-policy.json"


def sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file ``path`` (created on first use)."""
    return sa.create_engine(f"sqlite:///{path}")


def fresh_database(path: Path, policy_file: Path = EXAMPLE_POLICY_FILE) -> Engine:
    """An initialised app database at ``path``: tables created and the policy seeded."""
    engine = sqlite_engine(path)
    initialize(engine, policy_file)
    return engine
