"""The local Service Bus broker on a real SQLite file: peek-lock, sessions, dead-letters."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from devhost.messaging._db import connect
from devhost.messaging.config import EntityProperties, subscription_path
from devhost.messaging.errors import SendError
from devhost.messaging.servicebus import (
    OutgoingMessage,
    ServiceBusBroker,
    dead_letter_path,
    split_dead_letter,
)
from helpers.broker import StepClock, make_config
from helpers.broker_v0 import epoch, sb_row, write_v0


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def broker(tmp_path: Path, clock: StepClock) -> ServiceBusBroker:
    return ServiceBusBroker(connect(tmp_path / "broker.sqlite"), make_config(), clock.now)


def body(text: str, **kwargs: object) -> OutgoingMessage:
    return OutgoingMessage(body=text.encode(), **kwargs)  # type: ignore[arg-type]


def test_receive_locks_and_complete_deletes(broker: ServiceBusBroker) -> None:
    broker.send(
        "orders", [body("a", message_id="m1", correlation_id="c1", application_properties={"k": 1})]
    )
    [got] = broker.receive("orders")
    assert (got.message_id, got.body, got.delivery_count) == ("m1", b"a", 1)
    assert got.properties["correlation_id"] == "c1"
    assert got.application_properties == {"k": 1}
    assert broker.receive("orders") == []  # locked
    assert broker.counts("orders") == {"active": 1, "locked": 1, "scheduled": 0, "deadLetter": 0}
    assert broker.complete([got.lock_token or ""]) == 1
    assert broker.counts("orders")["active"] == 0


def test_abandon_redelivers_then_dead_letters_at_max(broker: ServiceBusBroker) -> None:
    broker.send("orders", [body("poison", message_id="bad"), body("fine", message_id="ok")])
    seen = []
    while True:
        got = broker.receive("orders")
        if not got or got[0].message_id != "bad":
            break
        seen.append(got[0].delivery_count)
        broker.abandon([got[0].lock_token or ""])
    assert seen == [1, 2, 3]
    assert (got[0].message_id, got[0].delivery_count) == ("ok", 1)
    [dead] = broker.dead_letters("orders")
    assert dead.message_id == "bad"
    assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
    assert "3 delivery attempts" in (dead.dead_letter_description or "")


def test_expired_lock_counts_as_a_delivery(broker: ServiceBusBroker, clock: StepClock) -> None:
    broker.send("orders", [body("slow")])
    broker.receive("orders")
    clock.forward(minutes=1, seconds=1)
    [again] = broker.receive("orders")
    assert again.delivery_count == 2


def test_renew_keeps_the_lock(broker: ServiceBusBroker, clock: StepClock) -> None:
    broker.send("orders", [body("long")])
    [got] = broker.receive("orders")
    clock.forward(seconds=50)
    until = broker.renew([got.lock_token or ""], "orders")
    assert until == clock.now() + timedelta(minutes=1)
    clock.forward(seconds=50)
    assert broker.receive("orders") == []
    assert broker.complete([got.lock_token or ""]) == 1


def test_recover_releases_locks_of_a_dead_broker(tmp_path: Path, clock: StepClock) -> None:
    first = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    first.send("orders", [body(str(i)) for i in range(5)])
    first.receive("orders", max_count=3)
    second = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    assert second.recover() == 3
    got = second.receive("orders", max_count=10)
    assert [m.body for m in got] == [b"0", b"1", b"2", b"3", b"4"]
    assert [m.delivery_count for m in got] == [2, 2, 2, 1, 1]
    assert first.complete([m.lock_token or "" for m in got]) == 0  # the old locks are gone


def test_recover_dead_letters_a_message_on_its_last_delivery(
    tmp_path: Path, clock: StepClock
) -> None:
    first = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    first.send("orders", [body("x")])
    for _ in range(2):
        first.abandon([first.receive("orders")[0].lock_token or ""])
    first.receive("orders")  # third and last delivery, then the process dies
    second = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    second.recover()
    assert second.receive("orders") == []
    assert second.counts("orders")["deadLetter"] == 1


def test_sessions_are_fifo_and_exclusive(broker: ServiceBusBroker) -> None:
    for i in range(3):
        broker.send("devices", [body(f"a{i}", session_id="A"), body(f"b{i}", session_id="B")])
    assert broker.next_session("devices", []) == "A"
    assert broker.next_session("devices", ["A"]) == "B"
    assert broker.next_session("devices", ["A", "B"]) is None
    order = []
    while got := broker.receive("devices", 1, "A"):
        order.append(got[0].body)
        broker.complete([got[0].lock_token or ""])
    assert order == [b"a0", b"a1", b"a2"]
    assert broker.has_ready("devices", ["A"])  # B still waits
    assert not broker.has_ready("devices", ["B"])


def test_abandoned_session_message_comes_first_again(broker: ServiceBusBroker) -> None:
    broker.send("devices", [body("1", session_id="S"), body("2", session_id="S")])
    [first] = broker.receive("devices", 1, "S")
    broker.abandon([first.lock_token or ""])
    [again] = broker.receive("devices", 1, "S")
    assert (again.body, again.delivery_count) == (b"1", 2)


def test_duplicate_detection_drops_repeats_within_the_window(
    broker: ServiceBusBroker, clock: StepClock
) -> None:
    assert broker.send("dedup", [body("1", message_id="same")]).duplicates == 0
    result = broker.send("dedup", [body("2", message_id="same")])
    assert (result.sequence_numbers, result.duplicates) == ([], 1)
    clock.forward(minutes=2)
    assert broker.send("dedup", [body("3", message_id="same")]).sequence_numbers
    assert [m.body for m in broker.receive("dedup", 10)] == [b"1", b"3"]
    # Queues without duplicate detection keep both.
    broker.send("orders", [body("1", message_id="same"), body("2", message_id="same")])
    assert len(broker.receive("orders", 10)) == 2


def test_scheduled_messages_wait_for_their_time(broker: ServiceBusBroker, clock: StepClock) -> None:
    at = clock.now() + timedelta(minutes=5)
    broker.send("orders", [body("later", scheduled_enqueue_time=at)])
    assert broker.counts("orders")["scheduled"] == 1
    assert broker.receive("orders") == []
    assert broker.next_visible("orders") == at
    clock.forward(minutes=5)
    [got] = broker.receive("orders")
    assert got.scheduled_at == at


def test_expired_messages_are_dead_lettered_when_configured(
    broker: ServiceBusBroker, clock: StepClock
) -> None:
    broker.send("short", [body("stale")])
    clock.forward(seconds=11)
    assert broker.receive("short") == []
    [dead] = broker.dead_letters("short")
    assert dead.dead_letter_reason == "TTLExpiredException"


def test_topic_copies_to_matching_subscriptions(broker: ServiceBusBroker) -> None:
    broker.send(
        "events",
        [
            body("r", application_properties={"colour": "red"}),
            body("b", application_properties={"colour": "blue"}),
        ],
    )

    def bodies(sub: str) -> list[bytes]:
        return [m.body for m in broker.receive(subscription_path("events", sub), 10)]

    assert bodies("all") == [b"r", b"b"]
    assert bodies("red") == [b"r"]
    assert bodies("nothing") == []


def test_resubmit_moves_a_dead_letter_back(broker: ServiceBusBroker) -> None:
    broker.send("orders", [body("x", message_id="again")])
    for _ in range(3):
        broker.abandon([broker.receive("orders")[0].lock_token or ""])
    assert broker.resubmit("orders", "again") == 1
    assert broker.resubmit("orders", "again") == 0
    [got] = broker.receive("orders")
    assert (got.message_id, got.delivery_count) == ("again", 1)
    assert broker.counts("orders")["deadLetter"] == 0


@pytest.mark.parametrize(
    ("name", "message", "field"),
    [
        ("nowhere", body("x"), "queue"),
        ("orders", body("x", session_id=""), "sessionId"),
        ("orders", body("x", session_id="s" * 129), "sessionId"),
        ("orders", body("x", message_id="bad\nid"), "messageId"),
        ("devices", body("x"), "sessionId"),
    ],
)
def test_bad_sends_are_refused_and_store_nothing(
    broker: ServiceBusBroker, name: str, message: OutgoingMessage, field: str
) -> None:
    broker.send("orders", [body("kept")])
    with pytest.raises(SendError) as caught:
        broker.send(name, [body("first-of-batch"), message])
    assert caught.value.field == field
    assert [m.body for m in broker.receive("orders", 10)] == [b"kept"]
    assert broker.counts("devices")["active"] == 0


# ---- time to live: refused where Service Bus refuses it; no stored message poisons a receive


@pytest.mark.parametrize(
    "ttl",
    [timedelta(0), timedelta(seconds=-1), timedelta(days=10675199, seconds=2 * 3600 + 48 * 60 + 6)],
)
def test_a_time_to_live_service_bus_refuses_is_refused(
    broker: ServiceBusBroker, ttl: timedelta
) -> None:
    # ServiceBusMessage.TimeToLive must be positive and fit a .NET TimeSpan.
    with pytest.raises(SendError) as caught:
        broker.send("orders", [body("x", time_to_live=ttl)])
    assert caught.value.field == "timeToLive"
    assert broker.counts("orders")["active"] == 0


def test_an_expiry_past_the_last_representable_moment_never_expires(
    broker: ServiceBusBroker, clock: StepClock
) -> None:
    # Service Bus caps ExpiresAt at DateTimeOffset.MaxValue: such a message never expires,
    # like one without a time to live (whose expires_at is None here).
    broker.send("orders", [body("forever", time_to_live=timedelta(days=10_000_000)), body("next")])
    got = broker.receive("orders", 10)
    assert [m.body for m in got] == [b"forever", b"next"]
    assert got[0].expires_at is None
    assert got[0].properties["time_to_live"] == timedelta(days=10_000_000).total_seconds()


def test_the_entity_default_caps_a_longer_message_time_to_live(
    broker: ServiceBusBroker, clock: StepClock
) -> None:
    # "short" has DefaultMessageTimeToLive 10 s: Service Bus applies the shorter of the two.
    broker.send("short", [body("capped", time_to_live=timedelta(hours=1))])
    clock.forward(seconds=11)
    assert broker.receive("short") == []
    assert [m.body for m in broker.dead_letters("short")] == [b"capped"]


@pytest.mark.parametrize(
    ("layout", "column", "value", "outcome"),
    [
        # Times an older devhost stored (epoch seconds, upgraded at open) that no datetime holds
        # read as the nearest one, as they did before the upgrade.
        ("v0", "expires_at", 1e15, "delivered"),  # past year 9999: never expires
        ("v0", "expires_at", -1e15, "expired"),
        ("v0", "enqueued_at", 1e300, "delivered"),
        ("v0", "props", "not json", "dead-lettered"),
        ("current", "props", "not json", "dead-lettered"),
        ("current", "props", "[]", "dead-lettered"),
        ("current", "enqueued_at", "2026-01-01", "dead-lettered"),
        ("current", "expires_at", "not a time", "dead-lettered"),
        ("current", "scheduled_at", "2026-01-01T00:00:00+00:00", "dead-lettered"),
    ],
)
def test_a_stored_message_that_cannot_be_read_is_dead_lettered_not_a_poison(
    tmp_path: Path, clock: StepClock, layout: str, column: str, value: object, outcome: str
) -> None:
    # As an older devhost may have stored it, or a hand-edited file holds it.
    path = tmp_path / "broker.sqlite"
    if layout == "v0":
        at = epoch(clock.now())
        write_v0(path, sb=[sb_row(1, "orders", "odd", at), sb_row(2, "orders", "fine", at)])
        db = sqlite3.connect(path)
    else:
        db = connect(path)
        broker = ServiceBusBroker(db, make_config(), clock.now)
        broker.send("orders", [body("odd", message_id="odd"), body("fine", message_id="fine")])
    with db:
        db.execute(f"UPDATE sb_message SET {column} = ? WHERE message_id = 'odd'", (value,))
    for _ in range(2):  # and again after a restart: a new broker on the same file
        broker = ServiceBusBroker(connect(tmp_path / "broker.sqlite"), make_config(), clock.now)
        broker.recover()
        received = broker.receive("orders", 10)
        assert "fine" in {m.message_id for m in received}
        broker.abandon([m.lock_token or "" for m in received])
    delivered = {m.message_id for m in broker.receive("orders", 10)}
    dead = {m.message_id: m.dead_letter_reason for m in broker.dead_letters("orders")}
    assert "fine" in delivered
    found = "delivered" if "odd" in delivered else "dead-lettered" if "odd" in dead else "expired"
    assert found == outcome
    if outcome == "dead-lettered":
        assert dead["odd"] == "UnreadableMessage"
        [listed] = broker.dead_letters("orders")  # and the listing itself can show it
        assert listed.dead_letter_description


# --- the dead-letter sub-queue ----------------------------------------------------------------


def dead_letter(broker: ServiceBusBroker, entity: str, text: str, **kwargs: object) -> None:
    """Send a message and abandon it until it is dead-lettered."""
    broker.send(entity, [body(text, **kwargs)])
    while got := broker.receive(entity, session_id=kwargs.get("session_id")):  # type: ignore[arg-type]
        broker.abandon([got[0].lock_token or ""])


def test_the_dead_letter_queue_receives_with_peek_lock(
    broker: ServiceBusBroker, clock: StepClock
) -> None:
    dead_letter(broker, "orders", "poison", message_id="bad", correlation_id="c-7")
    dlq = dead_letter_path("orders")
    assert broker.has_ready(dlq)
    [got] = broker.receive(dlq)
    assert (got.message_id, got.dead_letter_reason, got.delivery_count) == (
        "bad",
        "MaxDeliveryCountExceeded",
        3,
    )  # the count it was dead-lettered with
    assert got.properties["correlation_id"] == "c-7"
    assert broker.receive(dlq) == []  # locked
    broker.abandon([got.lock_token or ""])  # back in the dead-letter queue, a lock later
    assert broker.receive(dlq) == []
    assert broker.counts("orders")["deadLetter"] == 1
    clock.forward(minutes=1)
    [again] = broker.receive(dlq)
    assert (again.dead_letter_reason, again.delivery_count) == ("MaxDeliveryCountExceeded", 3)
    assert broker.complete([again.lock_token or ""]) == 1
    assert broker.counts("orders")["deadLetter"] == 0
    assert not broker.has_ready(dlq)
    assert broker.receive("orders") == []  # never back in the queue itself


def test_a_session_queue_s_dead_letters_need_no_session(broker: ServiceBusBroker) -> None:
    dead_letter(broker, "devices", "x", session_id="dev-1")
    assert broker.counts("devices")["deadLetter"] == 1
    dlq = dead_letter_path("devices")
    assert broker.properties(dlq).requires_session is False
    assert broker.properties("devices").requires_session is True
    [got] = broker.receive(dlq)
    assert got.session_id == "dev-1"


def test_dead_letters_do_not_expire(broker: ServiceBusBroker, clock: StepClock) -> None:
    config = make_config()
    config.entities["brief"] = EntityProperties(
        default_ttl=timedelta(seconds=10), max_delivery_count=1
    )
    short = ServiceBusBroker(broker.db, config, clock.now)
    dead_letter(short, "brief", "late")
    clock.forward(hours=1)
    assert [m.body for m in short.receive(dead_letter_path("brief"))] == [b"late"]


def test_recover_releases_dead_letter_locks_without_dead_lettering_again(
    tmp_path: Path, clock: StepClock
) -> None:
    first = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    dead_letter(first, "orders", "x")
    first.receive(dead_letter_path("orders"))
    second = ServiceBusBroker(connect(tmp_path / "b.sqlite"), make_config(), clock.now)
    assert second.recover() == 1
    [got] = second.receive(dead_letter_path("orders"))
    assert got.dead_letter_reason == "MaxDeliveryCountExceeded"


def test_dead_letter_paths() -> None:
    assert split_dead_letter("orders/$deadletterqueue") == ("orders", True)
    assert split_dead_letter("orders/$DeadLetterQueue") == ("orders", True)
    assert split_dead_letter("events/Subscriptions/all/$deadletterqueue") == (
        "events/Subscriptions/all",
        True,
    )
    assert split_dead_letter("orders") == ("orders", False)


def test_a_send_to_a_dead_letter_queue_is_refused(broker: ServiceBusBroker) -> None:
    with pytest.raises(SendError):
        broker.send(dead_letter_path("orders"), [body("x")])
