"""Local storage queues on a real SQLite file: visibility, dequeue count, poison queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devhost.messaging._db import connect
from devhost.messaging.errors import SendError
from devhost.messaging.storage_queues import StorageQueues


class StepClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def queues(tmp_path: Path, clock: StepClock) -> StorageQueues:
    return StorageQueues(connect(tmp_path / "broker.sqlite"), clock.now)


def test_get_hides_and_delete_removes(queues: StorageQueues) -> None:
    queues.put("work", [b"a", b"b"])
    [first] = queues.get("work", 1)
    assert (first.body, first.dequeue_count) == (b"a", 1)
    assert queues.counts("work") == {"visible": 1, "invisible": 1, "poison": 0}
    queues.delete(first)
    assert [m.body for m in queues.get("work", 5)] == [b"b"]


def test_failed_message_returns_after_the_visibility_timeout(
    queues: StorageQueues, clock: StepClock
) -> None:
    queues.put("work", [b"x"])
    [got] = queues.get("work", 1)
    assert not queues.release(got, timedelta(seconds=30), max_dequeue_count=5)
    assert queues.get("work", 1) == []
    assert queues.next_visible("work") == clock.now() + timedelta(seconds=30)
    clock.moment += timedelta(seconds=30)
    [again] = queues.get("work", 1)
    assert again.dequeue_count == 2


def test_fifth_failure_moves_the_message_to_the_poison_queue(queues: StorageQueues) -> None:
    queues.put("work", [b"bad"])
    outcomes = []
    for _ in range(5):
        [got] = queues.get("work", 1)
        outcomes.append(queues.release(got, timedelta(0), max_dequeue_count=5))
    assert outcomes == [False, False, False, False, True]
    assert queues.counts("work") == {"visible": 0, "invisible": 0, "poison": 1}
    [poisoned] = queues.get("work-poison", 1)
    assert (poisoned.body, poisoned.dequeue_count) == (b"bad", 1)


def test_recover_returns_messages_held_by_a_dead_host(tmp_path: Path, clock: StepClock) -> None:
    first = StorageQueues(connect(tmp_path / "b.sqlite"), clock.now)
    first.put("work", [b"1", b"2"])
    first.get("work", 2)
    second = StorageQueues(connect(tmp_path / "b.sqlite"), clock.now)
    assert second.recover() == 2
    assert [m.dequeue_count for m in second.get("work", 2)] == [2, 2]


@pytest.mark.parametrize("name", ["UPPER", "ab", "a--b", "-ab", "x" * 64, "with_underscore"])
def test_bad_queue_names_are_refused(queues: StorageQueues, name: str) -> None:
    with pytest.raises(SendError) as caught:
        queues.put(name, [b"x"])
    assert caught.value.field == "queue"
