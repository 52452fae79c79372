"""Which library version a revision was filed as: the last filing no compensation undid."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.approval.filed_documents import filed_version
from services.errors import NotFound
from services.records.audit import append_next
from services.testing import fresh_database, sqlite_engine

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DOC = "doc-filed"
PATH = "Documentation/warehouse/sales.products.docx"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    fresh_database(tmp_path / "app.sqlite").dispose()
    return sqlite_engine(tmp_path / "app.sqlite")


def record(engine: sa.Engine, kind: str, revision: int, version: str, n: int) -> None:
    append_next(
        engine,
        DOC,
        event_id=f"e{n}",
        event_type=kind,
        now=T0,
        data={"revision": revision, "libraryPath": PATH, "versionId": version},
    )


def test_the_newest_filing_is_chosen_and_a_revision_picks_its_own(engine: sa.Engine) -> None:
    record(engine, "filed", 1, "1.0", 1)
    record(engine, "filed", 2, "2.0", 2)
    assert filed_version(engine, DOC).version_id == "2.0"
    assert filed_version(engine, DOC, 1).version_id == "1.0"
    assert filed_version(engine, DOC, 2).library_path == PATH


def test_an_undone_filing_is_not_offered(engine: sa.Engine) -> None:
    record(engine, "filed", 1, "1.0", 1)
    record(engine, "filed", 2, "2.0", 2)
    record(engine, "unfiled", 2, "2.0", 3)  # the index step failed: filing compensated
    assert filed_version(engine, DOC).version_id == "1.0"
    with pytest.raises(NotFound, match="revision 2"):
        filed_version(engine, DOC, 2)
    with pytest.raises(NotFound, match="any revision"):
        filed_version(engine, "never-filed")
