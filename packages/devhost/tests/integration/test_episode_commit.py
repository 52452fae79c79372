"""Committing episodes: each alone in its savepoint, never twice, and a failing one pauses.

Two ``OrchestrationEngine``s on one store file stand for a host and an episode worker (or a
worker left over from a host killed with kill -9): both may read the same due messages, and
only the first commit may apply them.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devhost.durable import instance_store
from devhost.durable.decision import AppendHistory, Consume, ScheduleWork, SetStatus
from devhost.durable.episode_workers import WorkerSpec, _Loop
from devhost.durable.history import EventType
from devhost.durable.orchestrations import OrchestrationEngine
from devhost.durable.store import Store
from devhost.loader import load_app, unload_app
from devhost.testing import DevHost

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def orchestrators(apps_dir: Path) -> Iterator[dict[str, Any]]:
    app = load_app(apps_dir / "patterns_app")
    yield app.by_trigger("orchestrationTrigger")
    unload_app(app)


def _engine(path: Path, orchestrators: dict[str, Any]) -> OrchestrationEngine:
    return OrchestrationEngine(Store(path), orchestrators)


def _start(engine: OrchestrationEngine, *instance_ids: str) -> None:
    with engine.store.tx() as db:
        for iid in instance_ids:
            engine.create(db, "chain", iid, None, NOW)


def _kinds(engine: OrchestrationEngine, iid: str) -> list[int]:
    return [
        json.loads(text)["EventType"]
        for (text,) in engine.store.conn().execute(
            "SELECT event FROM history WHERE instance_id=? ORDER BY n", (iid,)
        )
    ]


def _count(engine: OrchestrationEngine, table: str, iid: str) -> int:
    row = (
        engine.store.conn()
        .execute(f"SELECT COUNT(*) FROM {table} WHERE instance_id=?", (iid,))
        .fetchone()
    )
    return int(row[0])


def test_an_episode_whose_messages_were_taken_meanwhile_is_not_applied(
    tmp_path: Path,
    orchestrators: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = _engine(tmp_path / "durable.sqlite", orchestrators)
    straggler = _engine(tmp_path / "durable.sqlite", orchestrators)
    _start(host, "twice")
    replay = host.replay

    def replay_after_the_straggler_committed(calls: list[tuple[str, str]]) -> list[Any]:
        straggler.run_episodes(["twice"], NOW)  # reads and commits the same messages first
        return replay(calls)

    monkeypatch.setattr(host, "replay", replay_after_the_straggler_committed)
    with caplog.at_level(logging.WARNING, "devhost.durable"):
        outcome = host.run_episodes(["twice"], NOW)

    assert outcome.failed == []  # not an error: the episode is simply done already
    assert "episode of twice not applied: 1 of its 1 messages were no longer queued" in caplog.text
    kinds = _kinds(host, "twice")
    assert kinds.count(EventType.ExecutionStarted) == 1
    assert kinds.count(EventType.TaskScheduled) == 1
    assert _count(host, "work", "twice") == 1


def test_one_episode_failing_at_commit_is_undone_alone(
    tmp_path: Path, orchestrators: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    engine = _engine(tmp_path / "durable.sqlite", orchestrators)
    _start(engine, "fine", "refused")
    with engine.store.tx() as db:  # a real storage failure, for one instance only
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON work WHEN NEW.instance_id='refused'"
            " BEGIN SELECT RAISE(ABORT, 'the disk says no'); END"
        )

    with caplog.at_level(logging.ERROR, "devhost.durable"):
        outcome = engine.run_episodes(["fine", "refused"], NOW)

    assert outcome.failed == ["refused"]
    assert "the disk says no" in caplog.text
    assert _count(engine, "work", "fine") == 1
    assert _count(engine, "inbox", "fine") == 0
    assert _kinds(engine, "refused") == []  # nothing of it was written...
    assert _count(engine, "inbox", "refused") == 1  # ...and its start is still queued


def _corrupt(store: Store, iid: str) -> None:
    with store.tx() as db:
        db.execute(
            "INSERT INTO inbox (instance_id, kind, event, visible_at)"
            " VALUES (?, 'event', 'not json', '2000-01-01T00:00:00.000000Z')",
            (iid,),
        )


def test_a_failing_episode_in_the_host_is_offered_again_after_a_pause(
    apps_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as host:
        iid = host.start_orchestration("chain")
        assert host.wait_for(iid)["runtimeStatus"] == "Completed"
        assert host.host.engine is not None
        store = host.host.engine.store
        with caplog.at_level(logging.ERROR, "devhost.durable"):
            _corrupt(store, iid)
            host.host.engine.wake()
            threading.Event().wait(1.6)
            attempts = caplog.text.count(f"episode of {iid} failed")
            with store.tx() as db:
                db.execute("DELETE FROM inbox WHERE event='not json'")
        host.wait_idle()
    # Offered at once, then once a second: not thousands of times in a hot loop.
    assert 1 <= attempts <= 3


def test_a_worker_pauses_a_failing_episode_and_reports_each_wake(
    tmp_path: Path, orchestrators: dict[str, Any]
) -> None:
    engine = _engine(tmp_path / "durable.sqlite", orchestrators)
    _start(engine, "broken")
    _corrupt(engine.store, "broken")
    spec = WorkerSpec(
        app_dir=str(tmp_path),
        environ={},
        store_path="",
        default_version=None,
        version_match="None",
        version_failure="Reject",
        virtual_clock=True,
        max_episodes=20,
        log_level=logging.WARNING,
    )
    host_end, worker_end = multiprocessing.Pipe(duplex=True)
    worker = threading.Thread(target=_Loop(worker_end, spec, engine).run, daemon=True)
    worker.start()
    try:
        host_end.send(("wake", 7, NOW))
        assert host_end.recv() == ("ran", False)  # the episode failed: nothing committed
        assert host_end.recv() == ("idle", 7)
        assert not host_end.poll(0.6)  # paused, not retried at once
        assert host_end.poll(1.0)  # ...but offered again after the pause
        assert host_end.recv() == ("ran", False)
        assert host_end.recv() == ("idle", 7)
        with engine.store.tx() as db:
            db.execute("DELETE FROM inbox WHERE event='not json'")
        host_end.send(("wake", 8, NOW))
        assert host_end.recv() == ("idle", 8)  # a wake does not cut a pause short
        assert host_end.poll(1.5)
        assert host_end.recv() == ("ran", False)
        assert host_end.recv() == ("idle", 8)
        assert _count(engine, "work", "broken") == 1  # it ran once the bad message was gone
    finally:
        host_end.send(("stop",))
        worker.join(5)
    assert not worker.is_alive()


def test_an_episode_decides_as_data_and_the_store_applies_it(
    tmp_path: Path, orchestrators: dict[str, Any]
) -> None:
    """The decision is computed without writing: the store is unchanged until ``apply``,
    which records the history and queues the activity in one transaction."""
    engine = _engine(tmp_path / "durable.sqlite", orchestrators)
    _start(engine, "decided")
    plan = engine.run_episode("decided", NOW)
    assert plan is not None
    body = plan.build_context()
    assert body is not None
    [plan.result] = engine.replay([("chain", body)])
    decision = plan.decide()
    assert [type(op) for op in decision.ops] == [Consume, ScheduleWork, AppendHistory, SetStatus]
    assert decision.ops[1].name == "hello"
    assert (
        _count(engine, "inbox", "decided"),
        _count(engine, "history", "decided"),
        _count(engine, "work", "decided"),
    ) == (1, 0, 0)
    with engine.store.tx() as tx:
        instance_store.apply(tx, decision)
    assert (_count(engine, "inbox", "decided"), _count(engine, "work", "decided")) == (0, 1)
    assert _kinds(engine, "decided") == [
        EventType.OrchestratorStarted,
        EventType.ExecutionStarted,
        EventType.TaskScheduled,
        EventType.OrchestratorCompleted,
    ]
    with pytest.raises(instance_store.StaleEpisode), engine.store.tx() as tx:
        instance_store.apply(tx, decision)  # its message is gone: never applied twice
    assert _count(engine, "history", "decided") == 4
