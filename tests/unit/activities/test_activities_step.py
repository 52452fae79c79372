"""``Step.commit``: a document change and the audit event that tells of it commit together, in
one transaction, or neither does; a retried step adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import sqlalchemy as sa

from activities._blueprint import Step
from runtime import Runtime
from services.approval.documents import document_record, register_document, start_revision
from services.errors import InvalidInput
from services.records.audit import list_events, verify_chain
from services.testing import fresh_database

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DOC = "5d1f5a2e-4c1b-4f0e-8a43-1c2d3e4f5a6b"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = fresh_database(tmp_path / "app.sqlite")
    details: dict[str, Any] = {
        "document_id": DOC,
        "instance_id": DOC,
        "database_name": "warehouse",
        "physical_name": "sales.customers",
        "change_type": "Altered",
        "requested_by": "ann@example.com",
    }
    register_document(engine, now=T0, **details)
    start_revision(engine, run_id="run-1", now=T0, **details)
    return engine


def step(engine: sa.Engine) -> Step:
    rt = cast(Runtime, SimpleNamespace(adapters=SimpleNamespace(database=engine)))
    return Step({"documentId": DOC, "revision": 1}, rt, T0)


def types(engine: sa.Engine) -> list[str]:
    return [e.type for e in list_events(engine, DOC)]


def begins(engine: sa.Engine) -> list[int]:
    counted = [0]
    sa.event.listen(engine, "begin", lambda _conn: counted.__setitem__(0, counted[0] + 1))
    return counted


def test_the_change_and_its_event_are_one_transaction(engine: sa.Engine) -> None:
    before = types(engine)
    counted = begins(engine)
    step(engine).commit({"status": "drafted"}, "drafted", {"draft": "d.docx"})
    assert counted[0] == 1
    assert types(engine) == [*before, "drafted"]
    assert document_record(engine, DOC).status == "drafted"
    assert verify_chain(engine, DOC).ok


def test_a_retried_step_records_nothing_more(engine: sa.Engine) -> None:
    step(engine).commit({"status": "drafted"}, "drafted", {"draft": "d.docx"})
    after_first = types(engine)
    step(engine).commit({"status": "drafted"}, "drafted", {"draft": "d.docx"})
    assert types(engine) == after_first


def test_a_change_that_fails_leaves_no_event(engine: sa.Engine) -> None:
    before = types(engine)
    with pytest.raises(InvalidInput, match=r"changes\.status"):
        step(engine).commit({"status": "no-such-status"}, "drafted", {})
    assert types(engine) == before
    assert document_record(engine, DOC).status == "submitted"


def test_another_services_write_that_fails_undoes_the_change_and_the_event(
    engine: sa.Engine,
) -> None:
    before = types(engine)

    def breaks(conn: sa.Connection) -> None:
        conn.execute(sa.text("UPDATE documents SET status = 'failed'"))
        raise RuntimeError("the other write failed")

    with pytest.raises(RuntimeError, match="other write"):
        step(engine).commit({"status": "drafted"}, "drafted", {}, also=breaks)
    assert types(engine) == before
    assert document_record(engine, DOC).status == "submitted"
