"""A data dir written by an older devhost (history without the ``replayed`` flag) still runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from devhost.durable.history import EventType
from devhost.durable.orchestrations import OrchestrationEngine
from devhost.durable.store import Store


def test_the_engine_flags_the_events_a_replay_reads_in_an_old_store(tmp_path: Path) -> None:
    path = tmp_path / "durable.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE history (instance_id TEXT NOT NULL, n INTEGER NOT NULL,"
        " event TEXT NOT NULL, PRIMARY KEY (instance_id, n)) WITHOUT ROWID"
    )
    kinds = [
        EventType.OrchestratorStarted,
        EventType.ExecutionStarted,
        EventType.TaskScheduled,
        EventType.OrchestratorCompleted,
        EventType.TaskCompleted,
    ]
    old.executemany(
        "INSERT INTO history VALUES ('old', ?, ?)",
        [(n, json.dumps({"EventType": int(k)})) for n, k in enumerate(kinds)],
    )
    old.commit()
    old.close()

    store = Store(path)
    OrchestrationEngine(store, {})
    OrchestrationEngine(store, {})  # a second start finds the store current

    flags = [
        row[0]
        for row in store.conn().execute(
            "SELECT replayed FROM history WHERE instance_id='old' ORDER BY n"
        )
    ]
    assert flags == [1, 1, 0, 0, 1]
    store.close()
