"""The timeline of a document-approval instance, through the management API."""

from __future__ import annotations

from typing import Any

DANA, DEV = "dana.steward@example.com", "dev.dba@example.com"


def test_the_timeline_shows_the_states_in_order_with_activities_and_approval_events(
    journey: Any,
) -> None:
    doc = journey.submit(journey.message("tier2-table"))
    journey.decide(doc, DANA)
    journey.decide(doc, DEV)
    assert journey.host.wait_for(doc)["runtimeStatus"] == "Completed"

    answer = journey.host.http("GET", f"/api/instances/{doc}/timeline")

    assert answer.status == 200, answer.text
    timeline = answer.json()
    assert (timeline["workflow"], timeline["version"]) == ("document-approval", "1.0.0")
    observed = [s["state"] for s in timeline["states"] if not s["inferred"]]
    assert observed == [
        "Register",
        "Draft",
        "Assess",
        "Notify",
        "AwaitVote",
        "CountVote",
        "AwaitVote",
        "CountVote",
        "Final",
        "File",
        "Index",
        "Complete",
        "TellRequester",
        "Approved",
    ]  # the last from the custom status
    inferred = [s["state"] for s in timeline["states"] if s["inferred"]]
    assert inferred == ["Route", "Tally", "Tally", "Outcome"]  # the choices, from the graph
    entries = timeline["entries"]
    activities = [(e["name"], e.get("state")) for e in entries if e["kind"] == "activity"]
    assert activities[0] == ("load_workflow_definition", None)
    assert ("count_vote", "CountVote") in activities and ("file_to_library", "File") in activities
    assert all(
        e["outcome"] == "completed" and e["durationMs"] >= 0
        for e in entries
        if e["kind"] == "activity"
    )
    events = [e for e in entries if e["kind"] == "event"]
    assert [e["name"] for e in events] == ["approval", "approval"]
    assert all(e["state"] == "AwaitVote" for e in events)
    assert {e["data"]["approver"]["email"] for e in events} == {DANA, DEV}
    timers = [e for e in entries if e["kind"] == "timer"]
    deadlines = [t for t in timers if t["state"] == "AwaitVote"]
    assert len(deadlines) == 2 and not any(t["fired"] for t in deadlines)  # votes came first
    task_timeouts = [t for t in timers if t["state"] != "AwaitVote"]
    assert task_timeouts and all(t["role"] == "retry or timeout" for t in task_timeouts)
    assert entries[-1]["kind"] == "ended" and entries[-1]["runtimeStatus"] == "Completed"


def test_a_rejected_instance_shows_its_compensation(journey: Any) -> None:
    doc = journey.submit(journey.message("tier3-personal"))
    journey.decide(doc, "casey.compliance@example.com", "reject", "no")
    journey.host.wait_for(doc)

    timeline = journey.host.http("GET", f"/api/instances/{doc}/timeline").json()

    undo = [e for e in timeline["entries"] if e.get("role") == "compensation"]
    assert [(e["name"], e["state"], e["compensates"]) for e in undo] == [
        ("remove_draft", "Rejected", ["Draft"])
    ]
    states = [s["state"] for s in timeline["states"]]
    assert states.index("Rejected") < states.index("TellRejected") < states.index("RejectedEnd")
