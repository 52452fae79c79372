"""Error paths: retries and backoff on durable timers, timeouts, catch, compensation, limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from wf_harness import ApprovalRejected, Flaky, workflow


def _failing(times: int, error: type[Exception] = Flaky) -> Any:
    state = {"left": times}

    def activity(x: Any) -> Any:
        if state["left"] > 0:
            state["left"] -= 1
            raise error(f"attempt failed, {state['left']} more")
        return "done"

    return activity


def test_retry_backoff_waits_on_durable_timers(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "flaky",
                "resultPath": "$.state.r",
                "end": True,
                "retry": {
                    "maxAttempts": 4,
                    "interval": "PT5S",
                    "backoffRate": 2.0,
                    "errors": ["Flaky"],
                },
            }
        },
    )
    b = bench([definition], {"flaky": _failing(3)})
    iid = b.start("r", {})
    b.advance(seconds=14)
    assert b.elapsed("flaky") == [0, 5]  # the third attempt waits 10 more seconds
    b.advance(seconds=30)
    assert b.elapsed("flaky") == [0, 5, 15, 35]
    assert b.status(iid).output == {"r": "done"}
    timers = [e for e in b.status(iid).history if e["EventType"] == 10]
    assert len(timers) == 3


def test_retry_max_interval_caps_the_backoff(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "flaky",
                "end": True,
                "retry": {
                    "maxAttempts": 4,
                    "interval": "PT10S",
                    "backoffRate": 3.0,
                    "maxInterval": "PT20S",
                },
            }
        },
    )
    b = bench([definition], {"flaky": _failing(3)})
    b.start("r", {})
    b.advance(minutes=5)
    assert b.elapsed("flaky") == [0, 10, 30, 50]


def test_retries_spent_then_catch(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "flaky",
                "end": True,
                "retry": {"maxAttempts": 2, "interval": "PT1S"},
                "catch": [{"errors": ["Flaky"], "next": "Handle", "resultPath": "$.state.error"}],
            },
            "Handle": {
                "type": "succeed",
                "output": {"e.$": "$.state.error", "sys.$": "$.system.error.error"},
            },
        },
    )
    b = bench([definition], {"flaky": _failing(5)})
    iid = b.start("r", {})
    b.advance(seconds=5)
    assert len(b.calls("flaky")) == 2
    assert b.status(iid).output == {
        "e": {"error": "Flaky", "cause": "attempt failed, 3 more"},
        "sys": "Flaky",
    }


def test_errors_not_listed_in_retry_are_not_retried(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "reject",
                "end": True,
                "retry": {
                    "maxAttempts": 5,
                    "interval": "PT1S",
                    "errors": ["Flaky", "Task.Timeout"],
                },
            }
        },
    )
    b = bench([definition], {"reject": _failing(9, ApprovalRejected)})
    iid = b.start("r", {})
    b.advance(minutes=1)
    assert len(b.calls("reject")) == 1
    assert b.status(iid).error == "ApprovalRejected: attempt failed, 8 more"


def _conflict() -> type[Exception]:
    error = type("RecordVersionConflict", (Exception,), {})
    error.__name__ = "Record.VersionConflict"  # as services.records.records_store names it
    return error


@pytest.mark.parametrize(("errors", "attempts"), [(["*"], 1), (["*", "Record.VersionConflict"], 3)])
def test_the_wildcard_does_not_retry_a_permanent_error(
    bench: Any, errors: list[str], attempts: int
) -> None:
    definition = workflow(
        "p",
        {
            "Call": {
                "type": "task",
                "activity": "write",
                "end": True,
                "retry": {"maxAttempts": 3, "interval": "PT1S", "errors": errors},
            }
        },
    )
    b = bench([definition], {"write": _failing(9, _conflict())})
    iid = b.start("p", {})
    b.advance(minutes=1)
    assert len(b.calls("write")) == attempts
    assert b.status(iid).error.startswith("Record.VersionConflict: attempt failed")


def test_defaults_retry_applies_to_tasks_without_their_own(bench: Any) -> None:
    definition = workflow(
        "r",
        {"Call": {"type": "task", "activity": "flaky", "end": True}},
        defaults={"retry": {"maxAttempts": 3, "interval": "PT2S", "backoffRate": 1.0}},
    )
    b = bench([definition], {"flaky": _failing(2)})
    iid = b.start("r", {})
    b.advance(seconds=10)
    assert b.elapsed("flaky") == [0, 2, 4]
    assert b.status(iid).status == "Completed"


def test_task_timeout_races_a_durable_timer(bench: Any) -> None:
    definition = workflow(
        "t",
        {
            "Slow": {
                "type": "task",
                "activity": "slow",
                "timeout": "PT30S",
                "end": True,
                "catch": [{"errors": ["Task.Timeout"], "next": "TimedOut"}],
            },
            "TimedOut": {"type": "succeed", "output": "timed out"},
        },
    )
    b = bench([definition], {"slow": lambda x: "late"})
    b.host.latency["slow"] = timedelta(minutes=5)
    iid = b.start("t", {})
    b.advance(seconds=29)
    assert b.status(iid).status == "Running"
    b.advance(seconds=1)
    assert b.status(iid).output == "timed out"


def test_task_result_within_timeout_wins(bench: Any) -> None:
    definition = workflow(
        "t",
        {
            "Slow": {
                "type": "task",
                "activity": "slow",
                "timeout": "PT30S",
                "resultPath": "$.state.r",
                "end": True,
            }
        },
    )
    b = bench([definition], {"slow": lambda x: "in time"})
    b.host.latency["slow"] = timedelta(seconds=10)
    iid = b.start("t", {})
    b.advance(seconds=10)
    assert b.status(iid).output == {"r": "in time"}


def test_timeouts_are_retried_like_other_errors(bench: Any) -> None:
    definition = workflow(
        "t",
        {
            "Slow": {
                "type": "task",
                "activity": "slow",
                "timeout": "PT10S",
                "end": True,
                "retry": {"maxAttempts": 2, "interval": "PT5S"},
            }
        },
    )
    b = bench([definition], {"slow": lambda x: "late"})
    b.host.latency["slow"] = timedelta(minutes=5)
    iid = b.start("t", {})
    b.advance(seconds=60)
    assert b.elapsed("slow") == [0, 15]
    assert b.status(iid).error == "Task.Timeout: no result within PT10S"


@pytest.mark.parametrize(
    ("raised", "expected_next"),
    [
        (ApprovalRejected, "Rejected"),  # first catcher names it
        (Flaky, "Anything"),  # falls through to "*"
    ],
)
def test_catch_order_first_match_wins(
    bench: Any, raised: type[Exception], expected_next: str
) -> None:
    definition = workflow(
        "c",
        {
            "Call": {
                "type": "task",
                "activity": "boom",
                "end": True,
                "catch": [
                    {"errors": ["ApprovalRejected"], "next": "Rejected"},
                    {"errors": ["*"], "next": "Anything"},
                    {"errors": ["Flaky"], "next": "Never"},
                ],
            },
            "Rejected": {"type": "succeed", "output": "Rejected"},
            "Anything": {"type": "succeed", "output": "Anything"},
            "Never": {"type": "succeed", "output": "Never"},
        },
    )
    b = bench([definition], {"boom": _failing(1, raised)})
    iid = b.start("c", {})
    assert b.status(iid).output == expected_next


def test_unnamed_activity_failure_is_task_failed(bench: Any) -> None:
    definition = workflow(
        "c",
        {
            "Call": {
                "type": "task",
                "activity": "missing",
                "end": True,
                "catch": [{"errors": ["Task.Failed"], "next": "X", "resultPath": "$.state.e"}],
            },
            "X": {"type": "succeed", "output": {"e.$": "$.state.e.error"}},
        },
    )
    b = bench([definition])
    iid = b.start("c", {})
    assert b.status(iid).output == {"e": "Task.Failed"}


def test_path_not_found_and_optional_paths(bench: Any) -> None:
    definition = workflow(
        "p",
        {
            "Optional": {
                "type": "pass",
                "result": {"cc.$": "$.input.cc?"},
                "resultPath": "$.state.o",
                "next": "Required",
            },
            "Required": {
                "type": "task",
                "activity": "x",
                "input": {"x.$": "$.input.missing.deep"},
                "end": True,
                "catch": [
                    {"errors": ["Path.NotFound"], "next": "Caught", "resultPath": "$.state.e"}
                ],
            },
            "Caught": {"type": "succeed"},
        },
    )
    b = bench([definition], {"x": lambda v: v})
    iid = b.start("p", {})
    out = b.status(iid).output
    assert b.calls("x") == []
    assert out["o"] == {"cc": None}
    assert out["e"] == {
        "error": "Path.NotFound",
        "cause": "path $.input.missing.deep matched nothing",
    }


def test_uncaught_path_not_found_fails_the_instance(bench: Any) -> None:
    definition = workflow(
        "p",
        {"Go": {"type": "task", "activity": "x", "input": {"a.$": "$.state.nope"}, "end": True}},
    )
    b = bench([definition], {"x": lambda v: v})
    iid = b.start("p", {})
    assert b.status(iid).error == "Path.NotFound: path $.state.nope matched nothing"
    assert b.calls("x") == []


def test_transition_limit_ends_a_runaway_loop_and_cannot_be_caught(bench: Any) -> None:
    definition = workflow(
        "loop",
        {
            "Spin": {
                "type": "task",
                "activity": "noop",
                "next": "Again",
                "catch": [{"errors": ["*"], "next": "Caught"}],
            },
            "Again": {
                "type": "choice",
                "choices": [{"when": {"path": "$.input.stop", "equals": True}, "next": "Caught"}],
                "default": "Spin",
            },
            "Caught": {"type": "succeed"},
        },
        limits={"maxTransitions": 7},
    )
    b = bench([definition], {"noop": lambda x: None})
    iid = b.start("loop", {"stop": False})
    status = b.status(iid)
    assert status.error == "Workflow.TransitionLimit: more than 7 state transitions"
    assert len(b.calls("noop")) == 4


def _saga(extra_states: dict[str, Any], after_second: str) -> dict[str, Any]:
    return workflow(
        "saga",
        {
            "First": {
                "type": "task",
                "activity": "make",
                "input": "first",
                "resultPath": "$.state.first",
                "compensate": {"activity": "undo", "input": {"undo.$": "$.state.first"}},
                "next": "Second",
            },
            "Second": {
                "type": "task",
                "activity": "make",
                "input": "second",
                "resultPath": "$.state.second",
                "retry": {"maxAttempts": 3, "interval": "PT1S", "backoffRate": 1.0},
                "compensate": {"activity": "undo", "input": {"undo.$": "$.state.second"}},
                "next": "Third",
            },
            "Third": {
                "type": "task",
                "activity": "make",
                "input": "third",
                "resultPath": "$.state.third",
                "compensate": {"activity": "undo", "input": {"undo.$": "$.state.third"}},
                "next": after_second,
            },
            **extra_states,
        },
    )


def test_fail_runs_compensations_newest_first_then_fails(bench: Any) -> None:
    definition = _saga(
        {"Stop": {"type": "fail", "error": "Rejected", "cause": "by the board"}}, "Stop"
    )
    b = bench([definition], {"make": lambda x: f"made-{x}", "undo": lambda x: "undone"})
    iid = b.start("saga", {})
    status = b.status(iid)
    assert [d["undo"] for _, d in b.calls("undo")] == ["made-third", "made-second", "made-first"]
    assert status.status == "Failed"
    assert status.error == "Rejected: by the board"
    assert [c["status"] for c in status.custom_status["compensation"]] == ["compensated"] * 3


def test_failing_compensation_is_retried_recorded_and_the_rest_still_run(bench: Any) -> None:
    definition = _saga(
        {
            "Undo": {"type": "compensate", "resultPath": "$.state.report", "next": "Done"},
            "Done": {"type": "succeed", "output": {"report.$": "$.state.report"}},
        },
        "Undo",
    )

    def undo(x: Any) -> Any:
        if x["undo"] == "made-second":
            raise Flaky("cannot undo second")
        return "undone"

    b = bench([definition], {"make": lambda x: f"made-{x}", "undo": undo})
    iid = b.start("saga", {})
    b.advance(seconds=10)
    undone = [d["undo"] for _, d in b.calls("undo")]
    # "second" is retried with Second's policy (3 attempts), then "first" still runs
    assert undone == ["made-third", "made-second", "made-second", "made-second", "made-first"]
    report = b.status(iid).output["report"]
    assert [(r["state"], r["status"]) for r in report] == [
        ("Third", "compensated"),
        ("Second", "failed"),
        ("First", "compensated"),
    ]
    assert report[1]["error"] == "Flaky"


def test_unhandled_error_compensates_then_fails(bench: Any) -> None:
    definition = _saga({}, "Boom")
    definition["states"]["Boom"] = {"type": "task", "activity": "reject", "end": True}
    b = bench(
        [definition],
        {"make": lambda x: x, "undo": lambda x: None, "reject": _failing(1, ApprovalRejected)},
    )
    iid = b.start("saga", {})
    assert len(b.calls("undo")) == 3
    assert b.status(iid).error == "ApprovalRejected: attempt failed, 0 more"


def test_compensations_run_once(bench: Any) -> None:
    definition = _saga(
        {
            "Undo": {"type": "compensate", "next": "Stop"},
            "Stop": {"type": "fail", "error": "Rejected", "cause": "x"},
        },
        "Undo",
    )
    b = bench([definition], {"make": lambda x: x, "undo": lambda x: None})
    b.start("saga", {})
    assert len(b.calls("undo")) == 3


class _Busy(Exception):
    """A 429 as http_request reports it: the message ends with the wait the server asked."""


_Busy.__name__ = "Http.TooManyRequests"


class _Refused(Exception):
    pass


_Refused.__name__ = "Http.DestinationNotAllowed"


def _answers(*failures: Exception) -> Any:
    left = list(failures)

    def activity(x: Any) -> Any:
        if left:
            raise left.pop(0)
        return "done"

    return activity


def test_a_retry_waits_as_long_as_the_error_asks_up_to_max_interval(bench: Any) -> None:
    retry = {
        "maxAttempts": 4,
        "interval": "PT2S",
        "backoffRate": 1.0,
        "maxInterval": "PT1M",
        "errors": ["Http.TooManyRequests"],
    }
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "call",
                "end": True,
                "resultPath": "$.state.r",
                "retry": retry,
            }
        },
    )
    b = bench(
        [definition],
        {
            "call": _answers(
                _Busy("answered 429 [retry-after 30s]"),
                _Busy("answered 429"),
                _Busy("answered 429 [retry-after 3600s]"),
            )
        },
    )
    iid = b.start("r", {})
    b.advance(minutes=5)
    # 30 s as asked (more than the policy's 2 s); then the policy's 2 s; then the hour asked
    # for, capped by maxInterval.
    assert b.elapsed("call") == [0, 30, 32, 92]
    assert b.status(iid).output == {"r": "done"}


def test_a_refused_destination_is_never_retried_even_by_a_star(bench: Any) -> None:
    definition = workflow(
        "r",
        {
            "Call": {
                "type": "task",
                "activity": "call",
                "end": True,
                "retry": {"maxAttempts": 5, "errors": ["*"]},
                "catch": [{"errors": ["Http.DestinationNotAllowed"], "next": "Refused"}],
            },
            "Refused": {"type": "succeed", "output": "refused"},
        },
    )
    b = bench([definition], {"call": _answers(_Refused("10.0.0.1:80 is not allowed"))})
    iid = b.start("r", {})
    b.advance(minutes=5)
    assert b.elapsed("call") == [0]
    assert b.status(iid).output == "refused"
