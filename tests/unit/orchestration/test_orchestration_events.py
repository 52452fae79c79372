"""Event waits: early events, deadlines, the approval vote loop, and definition pinning."""

from __future__ import annotations

from typing import Any

from wf_harness import record_vote, vote_loop, workflow

ROLES = ["Data Steward", "Security"]


ACTIVITIES = {
    "notify": lambda x: {"roles": x["roles"], "decided": {}, "decision": "pending"},
    "record_vote": record_vote,
    "escalate": lambda x: "escalated",
}


def _vote(role: str, decision: str = "approved") -> dict[str, str]:
    return {"role": role, "decision": decision}


def test_votes_loop_until_every_role_decided(bench: Any) -> None:
    b = bench([vote_loop()], ACTIVITIES)
    iid = b.start("vote", {"roles": ROLES, "sla": "PT48H"})
    b.advance(hours=1)
    b.raise_event(iid, "approval", _vote("Data Steward"))
    assert b.status(iid).status == "Running"
    b.raise_event(iid, "approval", _vote("Security"))
    status = b.status(iid)
    assert status.output["outcome"] == "Approved"
    assert status.output["ballot"]["decided"] == {
        "Data Steward": "approved",
        "Security": "approved",
    }


def test_events_that_arrive_before_their_wait_are_kept_in_order(bench: Any) -> None:
    # Both votes arrive while "notify" is still running: neither may be lost or replayed twice.
    b = bench([vote_loop()], ACTIVITIES)
    b.host.latency["notify"] = __import__("datetime").timedelta(minutes=1)
    iid = b.start("vote", {"roles": ROLES, "sla": "PT48H"})
    b.raise_event(iid, "approval", _vote("Security"))
    b.raise_event(iid, "approval", _vote("Data Steward"))
    b.advance(minutes=1)
    status = b.status(iid)
    assert status.output["outcome"] == "Approved"
    votes = [d["vote"]["role"] for _, d in b.calls("record_vote")]
    assert votes == ["Security", "Data Steward"]


def test_deadline_first_takes_timeout_next(bench: Any) -> None:
    b = bench([vote_loop()], ACTIVITIES)
    iid = b.start("vote", {"roles": ROLES, "sla": "PT48H"})
    b.advance(hours=48)
    assert len(b.calls("escalate")) == 1
    assert b.status(iid).custom_status["deadline"] == "2026-01-08T09:00:00Z"  # extended by 24h
    b.advance(hours=24)
    assert b.status(iid).output == {"outcome": "TimedOut"}


def test_deadline_stays_fixed_across_loop_iterations(bench: Any) -> None:
    b = bench([vote_loop()], ACTIVITIES)
    iid = b.start("vote", {"roles": [*ROLES, "Legal"], "sla": "PT48H"})
    b.advance(hours=10)
    b.raise_event(iid, "approval", _vote("Data Steward"))
    b.advance(hours=20)
    b.raise_event(iid, "approval", _vote("Security"))
    # Two iterations later the deadline is still 48h after notification, not 48h after a vote.
    assert b.status(iid).custom_status["deadline"] == "2026-01-07T09:00:00Z"
    b.advance(hours=17, minutes=59)
    assert b.calls("escalate") == []
    b.advance(minutes=1)
    assert len(b.calls("escalate")) == 1
    b.raise_event(iid, "approval", _vote("Legal"))
    assert b.status(iid).output["outcome"] == "Approved"


def test_a_vote_after_a_timed_out_wait_reaches_the_next_wait(bench: Any) -> None:
    # The escalate activity is slow: the vote arrives between the timeout and the next wait.
    b = bench([vote_loop()], ACTIVITIES)
    b.host.latency["escalate"] = __import__("datetime").timedelta(minutes=5)
    iid = b.start("vote", {"roles": ["Security"], "sla": "PT1H"})
    b.advance(hours=1, minutes=1)
    b.raise_event(iid, "approval", _vote("Security"))
    b.advance(minutes=4)
    assert b.status(iid).output["outcome"] == "Approved"


def test_event_wait_without_timeout_and_with_timeout_but_no_timeout_next(bench: Any) -> None:
    definition = workflow(
        "e",
        {
            "Plain": {"type": "wait", "event": "go", "resultPath": "$.state.go", "next": "Bounded"},
            "Bounded": {
                "type": "wait",
                "event": "again",
                "timeout": {"duration": "PT1M"},
                "end": True,
            },
        },
    )
    b = bench([definition])
    iid = b.start("e", {})
    b.advance(hours=5)
    assert b.status(iid).custom_status["waitingFor"] == "go"
    b.raise_event(iid, "go", 1)
    b.advance(minutes=1)
    assert b.status(iid).error.startswith("Task.Timeout: no 'again' event by ")


def test_changed_definition_does_not_change_a_waiting_instance(bench: Any) -> None:
    b = bench([vote_loop()], ACTIVITIES)
    old = b.start("vote", {"roles": ["Security"], "sla": "PT48H"})
    # Edit the file in place (same version, new content) and publish a newer version too.
    b.write(vote_loop(extension="PT1H") | {"description": "edited in place"})
    b.write(vote_loop(version="1.1.0", extension="PT2H"))
    b.advance(hours=48)
    assert b.status(old).custom_status["deadline"] == "2026-01-08T09:00:00Z"  # still +24h
    new = b.start("vote", {"roles": ["Security"], "sla": "PT1H"})
    assert b.status(new).custom_status["version"] == "1.1.0"
    b.advance(hours=1)
    assert b.status(new).custom_status["deadline"] == "2026-01-07T12:00:00Z"  # +2h
    b.raise_event(old, "approval", _vote("Security"))
    assert b.status(old).output["outcome"] == "Approved"
    pinned = next(e for e in b.status(old).history if e["EventType"] == 5)
    assert '"version": "1.0.0"' in pinned["Result"]
    assert "edited in place" not in pinned["Result"]


def test_long_deadlines_on_a_backend_that_splits_long_timers(bench: Any) -> None:
    # The Azure Storage backend caps a timer at 6 days and the SDK then chains shorter ones.
    b = bench([vote_loop()], ACTIVITIES)
    b.host.context_extras.update(
        maximumShortTimerDuration="6.00:00:00", longRunningTimerIntervalDuration="3.00:00:00"
    )
    iid = b.start("vote", {"roles": ["Security"], "sla": "P10D"})
    b.advance(days=9)
    assert b.calls("escalate") == []
    b.advance(days=1)
    assert b.elapsed("escalate") == [10 * 86400]
    b.raise_event(iid, "approval", _vote("Security"))
    assert b.status(iid).output["outcome"] == "Approved"
    timers = [e for e in b.status(iid).history if e["EventType"] == 10]
    assert len(timers) > 2  # the 10-day deadline was split


# --- waiting for several events at once ---------------------------------------------------


def batch(count: Any = 3, **extra: Any) -> dict[str, Any]:
    wait = {
        "type": "wait",
        "event": "reading",
        "resultPath": "$.state.got",
        "next": "Done",
        **({"count.$": count} if isinstance(count, str) else {"count": count}),
        **extra,
    }
    states: dict[str, Any] = {"Collect": wait, "Done": {"type": "succeed"}}
    if "timeoutNext" in extra:
        states["Late"] = {
            "type": "pass",
            "result": "late",
            "resultPath": "$.state.late",
            "next": "Done",
        }
    return workflow("batch", states)


def test_a_count_wait_ends_when_that_many_events_arrived_in_arrival_order(bench: Any) -> None:
    b = bench([batch(5, timeout={"duration": "PT1H"}, timeoutNext="Late")])
    iid = b.start("batch", {})
    b.raise_events(iid, "reading", [1, 2])  # two in one episode
    assert b.status(iid).status == "Running"
    b.raise_events(iid, "reading", [3, 4, 5, 6])  # the sixth is left for a later wait
    status = b.status(iid)
    assert status.output == {"got": [1, 2, 3, 4, 5]}
    # episodes: the start, the definition loaded, then one per batch of events
    assert sum(1 for e in status.history if e["EventType"] == 12) == 4


def test_events_that_arrived_before_a_count_wait_come_first(bench: Any) -> None:
    definition = workflow(
        "early",
        {
            "Slow": {"type": "task", "activity": "slow", "next": "Collect"},
            "Collect": {
                "type": "wait",
                "event": "reading",
                "count": 3,
                "resultPath": "$.state.got",
                "end": True,
            },
        },
    )
    b = bench([definition], {"slow": lambda x: None})
    b.host.latency["slow"] = __import__("datetime").timedelta(minutes=1)
    iid = b.start("early", {})
    b.raise_events(iid, "reading", ["a", "b"])
    b.advance(minutes=1)
    b.raise_events(iid, "reading", ["c"])
    assert b.status(iid).output == {"got": ["a", "b", "c"]}


def test_at_the_deadline_a_count_wait_gives_what_arrived(bench: Any) -> None:
    b = bench([batch("$.input.n", timeout={"duration": "PT5M"}, timeoutNext="Late")])
    iid = b.start("batch", {"n": 10})
    b.raise_events(iid, "reading", ["x", "y"])
    b.advance(minutes=5)
    assert b.status(iid).output == {"got": ["x", "y"], "late": "late"}


def test_a_count_wait_without_timeout_next_goes_on_at_the_deadline(bench: Any) -> None:
    b = bench([batch(2, timeout={"duration": "PT5M"})])
    iid = b.start("batch", {})
    b.advance(minutes=5)
    assert b.status(iid).output == {"got": []}


def test_waits_abandoned_at_the_deadline_do_not_swallow_later_events(bench: Any) -> None:
    definition = workflow(
        "again",
        {
            "First": {
                "type": "wait",
                "event": "reading",
                "count": 3,
                "timeout": {"duration": "PT1M"},
                "resultPath": "$.state.first",
                "next": "Second",
            },
            "Second": {
                "type": "wait",
                "event": "reading",
                "resultPath": "$.state.second",
                "end": True,
            },
        },
    )
    b = bench([definition])
    iid = b.start("again", {})
    b.raise_events(iid, "reading", [1])
    b.advance(minutes=1)
    b.raise_events(iid, "reading", [2])
    assert b.status(iid).output == {"first": [1], "second": 2}


def test_a_count_that_is_not_a_positive_whole_number_fails_the_state(bench: Any) -> None:
    b = bench([batch("$.input.n")])
    for bad in (0, -1, 2.5, "3", True):
        status = b.status(b.start("batch", {"n": bad}))
        assert status.status == "Failed"
        assert "Expression.Failed: state Collect: count must be a whole number" in status.error


def test_count_is_validated_with_its_wait() -> None:
    from orchestration.validation import validate_document

    def codes(wait: dict[str, Any]) -> list[str]:
        document = workflow("v", {"W": {"type": "wait", **wait, "end": True}})
        return [d.code for d in validate_document(document)]

    assert codes({"event": "e", "count": 2, "timeout": {"duration": "PT1M"}}) == []
    assert "schema.violation" in codes({"duration": "PT1M", "count": 2})  # count needs event
    assert "schema.violation" in codes({"event": "e", "count": 2, "count.$": "$.input.n"})
    assert "schema.violation" in codes({"event": "e", "count": 0})
    assert "path.invalid" in codes(
        {"event": "e", "count.$": "$.[", "timeout": {"duration": "PT1M"}}
    )


def test_a_count_beyond_the_waits_open_at_once_still_gets_every_event_in_order(bench: Any) -> None:
    from orchestration.interpreter import WAITS_AT_ONCE

    total = WAITS_AT_ONCE * 2 + 50
    b = bench([batch(total, timeout={"duration": "PT1H"}, timeoutNext="Late")])
    iid = b.start("batch", {})
    b.raise_events(iid, "reading", list(range(0, 150)))
    b.raise_events(iid, "reading", list(range(150, total - 10)))
    assert b.status(iid).status == "Running"
    b.advance(minutes=60)
    assert b.status(iid).output == {"got": list(range(total - 10)), "late": "late"}
