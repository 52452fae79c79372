"""The product app (the repository root) on devhost for integration tests: a virtual clock,
Azurite, and its own SQLite app database, outbox and library under a test folder.

``runtime()`` is process-wide, so it is reset before and after each host to read that host's
settings. The schedules timer ticks yearly unless a test asks for its real schedule
(``SCHEDULES_TIMER_SCHEDULE=EVERY_15_SECONDS``): at four ticks a virtual minute, a test that
advances days would spend minutes in ticks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from devhost.clock import Clock
from devhost.testing import DevHost

import runtime
from adapters import read_outbox

__all__ = ["EVERY_15_SECONDS", "QUIET_TIMER", "ROOT", "ProductHost", "product_host"]

ROOT = Path(__file__).resolve().parents[2]
EVERY_15_SECONDS = "*/15 * * * * *"  # the product's default (local.settings.json)
QUIET_TIMER = "0 0 0 1 1 *"


@dataclass
class ProductHost:
    """The running app and the folder its state lives in."""

    host: DevHost
    folder: Path

    @property
    def db(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.folder / 'app.sqlite'}")

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    def instances(self, prefix: str) -> list[dict[str, Any]]:
        """Every instance whose id starts with ``prefix``, oldest first."""
        answer = self.host.http(
            "GET",
            "/runtime/webhooks/durabletask/instances",
            params={"instanceIdPrefix": prefix, "top": "1000"},
        )
        assert answer.status == 200, answer.text
        return sorted(answer.json(), key=lambda s: (s["createdTime"], s["instanceId"]))

    def mail(self) -> list[Any]:
        return read_outbox(self.folder / "outbox")


@contextlib.contextmanager
def product_host(
    folder: Path, *, clock: str | Clock = "virtual", **settings: str
) -> Iterator[ProductHost]:
    """Start the app on devhost with its state under ``folder`` (kept across restarts)."""
    values = {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "SCHEDULES_TIMER_SCHEDULE": QUIET_TIMER,
        **settings,
    }
    runtime.reset()
    try:
        with DevHost(
            ROOT,
            clock=clock,
            settings=values,  # type: ignore[arg-type]
            data_dir=folder / "devhost",
        ) as host:
            yield ProductHost(host, folder)
    finally:
        runtime.reset()
