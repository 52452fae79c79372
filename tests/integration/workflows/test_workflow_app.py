"""Acceptance of the workflow language on devhost (virtual clock), with the second test app.

The app registers only ``orchestration.blueprint`` and its own activities and reads
definitions from its own ``workflows`` folder.
"""

from __future__ import annotations

from devhost.testing import DevHost
from wf_devhost import APP, run, scheduled


def test_app_registers_only_the_blueprint_and_its_activities(host: DevHost) -> None:

    from orchestration.cli import app_activities

    activities, problem = app_activities(APP)
    assert problem is None
    assert activities == {
        "fail_plain",
        "stall",
        "load_workflow_definition",
        "flaky",
        "reject",
        "make",
        "undo",
        "echo",
        "notify",
        "record_vote",
        "escalate",
    }
    iid = run(host, "child", {"n": 2})
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"]["double"] == "22"
    assert status["customStatus"]["workflow"] == "child"


def test_retry_counts_and_backoff_on_the_virtual_clock(host: DevHost) -> None:
    iid = run(host, "retry-backoff", {"failures": 3})
    host.wait_idle()
    assert scheduled(host, iid, "flaky") == [0]
    host.advance(seconds=5)
    assert scheduled(host, iid, "flaky") == [0, 5]
    host.advance(seconds=9)
    assert scheduled(host, iid, "flaky") == [0, 5]  # the second backoff is 10 s
    host.advance(seconds=1)
    host.advance(seconds=20)
    status = host.wait_for(iid)
    assert scheduled(host, iid, "flaky") == [0, 5, 15, 35]
    assert status["output"] == {"result": f"{iid} done after 4 attempts"}


def test_retries_spent_then_catch_with_the_error(host: DevHost) -> None:
    iid = run(host, "retry-backoff", {"failures": 9})
    host.advance(seconds=120)
    status = host.wait_for(iid)
    assert len(scheduled(host, iid, "flaky")) == 4
    assert status["output"]["gaveUp"] == {"error": "Flaky", "cause": f"attempt 4 of {iid} failed"}


def _vote(role: str, decision: str = "approved") -> dict[str, str]:
    return {"role": role, "decision": decision}


def test_vote_loop_until_every_role_decided(host: DevHost) -> None:
    iid = run(host, "approval-vote", {"roles": ["Steward", "Security"], "sla": "PT48H"})
    host.wait_idle()
    status = host.status(iid)
    assert status is not None
    custom = status["customStatus"]
    assert (custom["state"], custom["waitingFor"]) == ("AwaitVote", "approval")
    host.raise_event(iid, "approval", _vote("Steward"))
    host.wait_idle()
    host.raise_event(iid, "approval", _vote("Security"))
    status = host.wait_for(iid)
    assert status["output"] == {
        "outcome": "Approved",
        "decided": {"Steward": "approved", "Security": "approved"},
    }


def test_events_that_arrive_before_their_wait_are_kept(host: DevHost) -> None:
    iid = run(host, "approval-vote", {"roles": ["Steward", "Security"], "sla": "PT48H"})
    # Raised at once, before the instance has even reached its first wait.
    host.raise_event(iid, "approval", _vote("Security"))
    host.raise_event(iid, "approval", _vote("Steward"))
    status = host.wait_for(iid)
    assert status["output"]["outcome"] == "Approved"
    assert len(scheduled(host, iid, "record_vote")) == 2


def test_deadline_first_escalates_extends_24h_then_times_out(host: DevHost) -> None:
    iid = run(host, "approval-vote", {"roles": ["Steward"], "sla": "PT48H"})
    host.wait_idle()
    first = host.status(iid)["customStatus"]["deadline"]  # type: ignore[index]
    host.advance(duration="PT48H")
    assert scheduled(host, iid, "escalate") == [48 * 3600]
    extended = host.status(iid)["customStatus"]["deadline"]  # type: ignore[index]
    assert _hours_between(first, extended) == 24
    host.advance(duration="PT24H")
    assert host.wait_for(iid)["output"] == {"outcome": "TimedOut"}


def test_deadline_stays_fixed_across_loop_iterations(host: DevHost) -> None:
    iid = run(host, "approval-vote", {"roles": ["Steward", "Security", "Legal"], "sla": "PT48H"})
    host.wait_idle()
    deadline = host.status(iid)["customStatus"]["deadline"]  # type: ignore[index]
    host.advance(duration="PT10H")
    host.raise_event(iid, "approval", _vote("Steward"))
    host.advance(duration="PT20H")
    host.raise_event(iid, "approval", _vote("Security"))
    host.wait_idle()
    assert host.status(iid)["customStatus"]["deadline"] == deadline  # type: ignore[index]
    host.advance(duration="PT17H59M")
    assert scheduled(host, iid, "escalate") == []
    host.advance(seconds=60)
    assert scheduled(host, iid, "escalate") == [48 * 3600]
    host.raise_event(iid, "approval", _vote("Legal", "rejected"))
    assert host.wait_for(iid)["output"] == {"outcome": "Rejected"}


def _hours_between(first: str, second: str) -> float:
    from datetime import datetime

    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(second) - parse(first)).total_seconds() / 3600


def test_fail_compensates_newest_first_then_fails(host: DevHost) -> None:
    import workflow_app_activities

    before = len(workflow_app_activities.UNDONE)
    iid = run(host, "saga", {"outcome": "fail", "reason": "the board said no"})
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert status["output"].endswith("Rejected: the board said no")
    undone = [u["what"] for u in workflow_app_activities.UNDONE[before:]]
    assert undone == ["made-third", "made-second", "made-first"]
    compensation = status["customStatus"]["compensation"]
    assert [c["state"] for c in compensation] == ["Third", "Second", "First"]


def test_failing_compensation_is_retried_recorded_and_the_rest_still_run(host: DevHost) -> None:
    import workflow_app_activities

    before = len(workflow_app_activities.UNDONE)
    iid = run(host, "saga", {"outcome": "undo", "failUndo": True})
    host.advance(seconds=60)
    status = host.wait_for(iid)
    undone = [u["what"] for u in workflow_app_activities.UNDONE[before:]]
    assert undone == ["made-third", "made-second", "made-second", "made-first"]  # 2 attempts
    assert scheduled(host, iid, "undo")[1:3] == [0, 10]  # the retry waited its 10 s interval
    report = status["output"]["report"]
    assert [(r["state"], r["status"]) for r in report] == [
        ("Third", "compensated"),
        ("Second", "failed"),
        ("First", "compensated"),
    ]
    assert (report[1]["error"], report[1]["cause"]) == ("UndoFailed", "cannot undo made-second")


def test_unhandled_activity_error_compensates_then_fails_with_its_name(host: DevHost) -> None:
    iid = run(host, "saga", {"outcome": "raise"})
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert status["output"].endswith("ApprovalRejected: the board said no")
    assert len(scheduled(host, iid, "undo")) == 3


def test_parallel_fail_fast_true(host: DevHost) -> None:
    iid = run(host, "fan-fast", {})
    status = host.wait_for(iid)
    assert status["output"]["error"]["error"] == "ApprovalRejected"
    host.advance(duration="PT2H")
    assert scheduled(host, iid, "echo") == []


def test_parallel_fail_fast_false_waits_for_every_branch(host: DevHost) -> None:
    iid = run(host, "fan-patient", {})
    host.wait_idle()
    assert host.status(iid)["runtimeStatus"] == "Running"  # type: ignore[index]
    host.advance(duration="PT1H")
    status = host.wait_for(iid)
    assert scheduled(host, iid, "echo") == [3600]
    assert status["output"]["error"]["error"] == "ApprovalRejected"
    assert status["output"]["error"]["branches"][1] is None


def test_map_with_max_concurrency(host: DevHost) -> None:
    iid = run(host, "map-throttled", {"items": ["a", "b", "c", "d", "e"]})
    host.wait_idle()
    host.advance(seconds=60)
    host.advance(seconds=60)
    host.advance(seconds=60)
    status = host.wait_for(iid)
    assert status["output"] == {"out": [{"item": i} for i in "abcde"]}
    assert scheduled(host, iid, "echo") == [0, 0, 60, 60, 120]


def test_input_rejected_by_the_input_schema_runs_nothing(host: DevHost) -> None:
    iid = run(host, "guarded", {"documentId": ""})
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert (
        "Input.Invalid: the input does not match the workflow's input schema: documentId"
        in status["output"]
    )
    assert [e.get("Name") for e in host.history(iid) if e["EventType"] == 4] == [
        "load_workflow_definition"
    ]


def test_path_not_found_fails_the_instance(host: DevHost) -> None:
    iid = run(host, "guarded", {"documentId": "D-1"})
    status = host.wait_for(iid)
    assert status["output"].endswith("Path.NotFound: path $.input.nope.deep matched nothing")


def test_transition_limit(host: DevHost) -> None:
    iid = run(host, "runaway", {"stop": False})
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert status["output"].endswith("Workflow.TransitionLimit: more than 9 state transitions")


def test_subworkflow_and_child_error_names(host: DevHost) -> None:
    good, bad = run(host, "parent", {"n": 3}), run(host, "parent", {"n": -3})
    assert host.wait_for(good)["output"]["child"]["double"] == "33"
    assert host.wait_for(bad)["output"] == {"caught": "Child.Negative"}


def test_timers_duration_and_until_on_the_virtual_clock(host: DevHost) -> None:
    start = host.now()
    until = (start.replace(microsecond=0) + __import__("datetime").timedelta(hours=3)).isoformat()
    iid = run(host, "timers", {"first": "PT1H", "until": until})
    host.wait_idle()
    assert host.status(iid)["customStatus"]["waitingFor"] == "timer"  # type: ignore[index]
    host.advance(duration="PT1H")
    assert host.status(iid)["customStatus"]["state"] == "Until"  # type: ignore[index]
    host.advance(duration="PT2H")
    status = host.wait_for(iid)
    assert (
        _hours_between(status["output"]["stamp"]["started"], status["output"]["stamp"]["at"]) >= 3
    )


def test_unknown_workflow_fails_clearly(host: DevHost) -> None:
    status = host.wait_for(run(host, "no-such-workflow", {}))
    assert "DefinitionNotFound: no definition named 'no-such-workflow'" in status["output"]


def test_every_condition_operator_intrinsic_and_catch_order(host: DevHost) -> None:
    iid = run(
        host,
        "catalog",
        {
            "n": 3,
            "id": "D-1",
            "tags": ["pii", "finance"],
            "at": "2026-01-05T09:00:00Z",
            "a": {"x": 1, "deep": {"p": 1}},
            "b": {"deep": {"q": 2}},
        },
    )
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed", status["output"]
    calc = status["output"]["calc"]
    assert calc["deadline"] == "2026-01-06T09:00:00Z"
    assert calc["label"] == "D-1 has 2 tags"
    assert calc["size"] == 2
    assert calc["merged"] == {"x": 1, "deep": {"p": 1, "q": 2}}
    assert len(calc["id"]) == 36
    assert calc["now"].endswith("Z")
    # catch order: the named catcher before "*"; a bare Exception has no name: Task.Failed
    assert status["output"]["first"] == {"error": "ApprovalRejected", "cause": "named"}
    assert status["output"]["second"] == {"error": "Task.Failed", "cause": "something broke"}
