"""Service Bus triggers on devhost's broker: delivery counts, dead-letters, sessions, outputs."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import timedelta

from devhost.testing import DevHost
from messaging_support import KeepAliveSender, Ledger, counts, send


def test_a_failing_handler_sees_the_message_max_delivery_count_times(
    messaging_host: DevHost, ledger: Ledger
) -> None:
    send(messaging_host, "fragile", "boom", messageId="bad")
    send(messaging_host, "fragile", "fine", messageId="good")
    messaging_host.wait_idle()
    deliveries = [e["deliveryCount"] for e in ledger.entries("fragile") if e["messageId"] == "bad"]
    assert deliveries == list(range(1, 11))  # fragile is not in the config: default 10
    assert [e["deliveryCount"] for e in ledger.entries("fragile") if e["messageId"] == "good"] == [
        1
    ]
    assert counts(messaging_host, "queues/fragile") == {
        "name": "fragile",
        "active": 0,
        "locked": 0,
        "scheduled": 0,
        "deadLetter": 1,
    }
    [dead] = counts(messaging_host, "queues/fragile/deadletter")["messages"]
    assert dead["messageId"] == "bad"
    assert dead["deadLetterReason"] == "MaxDeliveryCountExceeded"
    assert dead["deadLetterErrorDescription"] == (
        "Message could not be consumed after 10 delivery attempts."
    )
    assert dead["body"] == "boom"


def test_resubmit_from_dead_letter_delivers_again(messaging_host: DevHost, ledger: Ledger) -> None:
    send(messaging_host, "fragile", "boom", messageId="again")
    messaging_host.wait_idle()
    answer = messaging_host.http("POST", "/admin/devhost/queues/fragile/deadletter/again/resubmit")
    assert answer.status == 200, answer.text
    messaging_host.wait_idle()
    assert len(ledger.entries("fragile")) == 20
    assert ledger.entries("fragile")[10]["deliveryCount"] == 1
    missing = messaging_host.http(
        "POST", "/admin/devhost/queues/fragile/deadletter/nothing/resubmit"
    )
    assert missing.status == 404


def test_sessions_are_fifo_exclusive_and_concurrent(
    messaging_host: DevHost, ledger: Ledger
) -> None:
    plan = [(f"device-{s}", n) for s in range(10) for n in range(100)]
    random.Random(7).shuffle(plan)
    sent: dict[str, list[int]] = defaultdict(list)
    # All become visible at one moment, so handling does not just follow the sender's pace.
    when = (messaging_host.now() + timedelta(minutes=1)).isoformat()
    sender = KeepAliveSender(messaging_host)
    for session, _ in plan:
        number = len(sent[session])  # send order within the session
        sent[session].append(number)
        sender.send(
            "device-events", json.dumps({"n": number}), sessionId=session, scheduledEnqueueTime=when
        )
    sender.close()
    messaging_host.advance(seconds=60)
    seen: dict[str, list[int]] = defaultdict(list)
    entries = ledger.entries("session")
    for entry in entries:
        seen[entry["sessionId"]].append(json.loads(entry["body"])["n"])
    assert len(entries) == 1000
    assert seen == sent
    assert not any(e["overlap"] for e in entries)
    assert max(e["concurrent"] for e in entries) >= 2


def test_batches_carry_many_messages(messaging_host: DevHost, ledger: Ledger) -> None:
    for n in range(25):
        send(messaging_host, "bulk", f"item-{n}")
    messaging_host.wait_idle()
    batches = ledger.entries("batch")
    assert sorted(b for e in batches for b in e["bodies"]) == sorted(f"item-{n}" for n in range(25))
    assert sum(e["size"] for e in batches) == 25


def test_metadata_reaches_the_function(messaging_host: DevHost, ledger: Ledger) -> None:
    send(
        messaging_host,
        "fragile",
        "fine",
        messageId="m-1",
        correlationId="corr-9",
        headers={
            "Content-Type": "application/json",
            "X-Application-Properties": '{"source": "warehouse", "rank": 3}',
        },
    )
    messaging_host.wait_idle()
    [entry] = ledger.entries("fragile")
    assert entry["messageId"] == "m-1"
    assert entry["correlationId"] == "corr-9"
    assert entry["contentType"] == "application/json"
    assert entry["properties"] == {"source": "warehouse", "rank": 3}
    assert entry["enqueued"] == messaging_host.now().isoformat()


def test_output_bindings_send_lists_and_storage_messages(
    messaging_host: DevHost, ledger: Ledger
) -> None:
    send(messaging_host, "relay-in", "ping")
    messaging_host.wait_idle()
    assert sorted(e["body"] for e in ledger.entries("relayed")) == ["ping-1", "ping-2"]
    assert [e["body"] for e in ledger.entries("storage")] == ["ping"]


def test_topic_subscriptions_filter_and_copy(messaging_host: DevHost, ledger: Ledger) -> None:
    send(messaging_host, "alerts", "disk full", topic=True, subject="critical")
    send(messaging_host, "alerts", "fyi", topic=True, subject="info")
    messaging_host.wait_idle()
    assert [e["body"] for e in ledger.entries("critical")] == ["disk full"]
    everything = counts(messaging_host, "topics/alerts/subscriptions/all")
    assert everything["active"] == 2  # no trigger reads "all": both copies wait there


def test_scheduled_messages_arrive_at_their_time(messaging_host: DevHost, ledger: Ledger) -> None:
    when = messaging_host.now() + timedelta(seconds=300)
    send(messaging_host, "fragile", "fine", scheduledEnqueueTime=when.isoformat())
    messaging_host.wait_idle()
    assert ledger.entries("fragile") == []
    assert counts(messaging_host, "queues/fragile")["scheduled"] == 1
    messaging_host.advance(seconds=299)
    assert ledger.entries("fragile") == []
    messaging_host.advance(seconds=1)
    [entry] = ledger.entries("fragile")
    assert entry["enqueued"] is not None


def test_duplicate_detection_drops_a_repeated_message_id(messaging_host: DevHost) -> None:
    first = send(messaging_host, "once", "a", messageId="same")
    second = send(messaging_host, "once", "b", messageId="same")
    assert (first["duplicates"], second["duplicates"]) == (0, 1)
    assert counts(messaging_host, "queues/once")["active"] == 1
    messaging_host.advance(seconds=61)
    assert send(messaging_host, "once", "c", messageId="same")["duplicates"] == 0
