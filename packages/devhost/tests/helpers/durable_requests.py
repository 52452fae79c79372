"""The devhost rows of docs/bad-input.md as requests, and the checks on their answers.

``REQUESTS`` says what each ``test_bad_request[case]`` row sends; the checks take any host with
the ``devhost.testing`` operations, so the in-process suite (tests/integration/test_bad_input.py)
and the end-to-end one (tests/e2e/test_devhost_bad_input.py) run the same rows.
"""

from __future__ import annotations

import json
from typing import Any

from devhost.testing import RemoteHost

from .bad_input import Row, case_id, check_problem, rows

API = "/runtime/webhooks/durabletask"
DONE = "bad-input-done"  # a completed instance, made by prepare()
WAITING = "bad-input-waiting"  # an instance waiting for an event, made by prepare()
JSON = {"Content-Type": "application/json"}
ADVANCE = "/admin/devhost/clock/advance"

Request = tuple[str, str, dict[str, Any]]

# What each case of the document's rows sends: one request, or several that all get the answer.
REQUESTS: dict[str, Request | list[Request]] = {
    "unknown-path": ("GET", "/no/such/route", {}),
    "wrong-method-admin": ("PUT", "/admin/devhost/clock", {}),
    "wrong-method-durable": ("GET", f"{API}/orchestrators/chain", {}),
    "wrong-method-http-trigger": ("PUT", "/api/start/chain", {}),
    "unknown-http-function": ("GET", "/api/nothing", {}),
    "unknown-orchestrator": ("POST", f"{API}/orchestrators/no_such_orchestrator", {}),
    "instance-id-with-slash": ("POST", f"{API}/orchestrators/chain/a%2Fb", {}),
    "instance-id-with-question-mark": ("POST", f"{API}/orchestrators/chain/a%3Fb", {}),
    "instance-id-too-long": ("POST", f"{API}/orchestrators/chain/{'x' * 257}", {}),
    "instance-id-with-braces": [
        ("POST", f"{API}/orchestrators/chain/{{braces}}", {}),
        ("POST", f"{API}/orchestrators/chain/%7Bencoded%7D", {}),
    ],
    "instance-id-with-line-feed": ("POST", f"{API}/orchestrators/chain/a%0Ab", {}),
    "odd-id-unknown-instance": [
        (method, f"{API}/instances/{odd}{tail}", {})
        for odd in ("{nobody}", "%7Bnobody%7D", "no%0Abody", "%0A")
        for method, tail in (
            ("GET", ""),
            ("DELETE", ""),
            ("POST", "/raiseEvent/approval"),
            *(
                ("POST", f"/{verb}")
                for verb in ("terminate", "suspend", "resume", "rewind", "restart")
            ),
        )
    ],
    "entity-with-braces": [
        ("GET", f"{API}/entities/counter/{{k}}", {}),
        ("GET", f"{API}/entities/counter/%7Bk%7D", {}),
        ("POST", f"{API}/entities/%7Bcounter%7D/k", {"json": 1}),
    ],
    "instance-id-already-running": ("POST", f"{API}/orchestrators/chain/{WAITING}", {}),
    "start-malformed-json": (
        "POST",
        f"{API}/orchestrators/chain",
        {"data": "{oops", "headers": JSON},
    ),
    "sdk-rpc-start-not-double-encoded": (
        "POST",
        "/durabletask/orchestrators/chain",
        {"json": "{oops"},
    ),
    "body-nested-too-deep": [
        *[
            ("POST", path, {"data": "[" * 100_000 + "]" * 100_000, "headers": JSON})
            for path in (
                f"{API}/orchestrators/chain",
                f"{API}/instances/{WAITING}/raiseEvent/approval",
                f"{API}/entities/counter/deep",
            )
        ],
        ("POST", "/durabletask/orchestrators/chain", {"json": "[" * 65 + "]" * 65}),
    ],
    "body-not-utf-8": (
        "POST",
        f"{API}/orchestrators/chain",
        {"data": b'"\xff\xfe"', "headers": JSON},
    ),
    "raise-event-malformed-json": (
        "POST",
        f"{API}/instances/{WAITING}/raiseEvent/approval",
        {"data": "[1, 2", "headers": JSON},
    ),
    "status-unknown-instance": ("GET", f"{API}/instances/nobody", {}),
    "raise-event-unknown-instance": (
        "POST",
        f"{API}/instances/nobody/raiseEvent/approval",
        {"json": 1},
    ),
    "control-unknown-instance": [
        ("POST", f"{API}/instances/nobody/{verb}", {})
        for verb in ("terminate", "suspend", "resume", "rewind", "restart")
    ],
    "purge-unknown-instance": ("DELETE", f"{API}/instances/nobody", {}),
    "event-to-completed-instance": (
        "POST",
        f"{API}/instances/{DONE}/raiseEvent/approval",
        {"json": 1},
    ),
    "terminate-completed-instance": ("POST", f"{API}/instances/{DONE}/terminate", {}),
    "rewind-completed-instance": ("POST", f"{API}/instances/{DONE}/rewind", {}),
    "signal-unknown-entity": ("POST", f"{API}/entities/no_such_entity/k", {"json": 1}),
    "read-entity-that-does-not-exist": ("GET", f"{API}/entities/counter/never-used", {}),
    "query-top-not-a-number": ("GET", f"{API}/instances", {"params": {"top": "many"}}),
    "query-bad-time": ("GET", f"{API}/instances", {"params": {"createdTimeFrom": "yesterday"}}),
    "query-bad-continuation-token": (
        "GET",
        f"{API}/instances",
        {"headers": {"x-ms-continuation-token": "??"}},
    ),
    "advance-not-json": ("POST", ADVANCE, {"data": "soon"}),
    "advance-not-an-object": ("POST", ADVANCE, {"json": [60]}),
    "advance-neither-field": ("POST", ADVANCE, {"json": {}}),
    "advance-both-fields": ("POST", ADVANCE, {"json": {"seconds": 1, "duration": "PT1S"}}),
    "advance-seconds-as-text": ("POST", ADVANCE, {"json": {"seconds": "60"}}),
    "advance-seconds-as-bool": ("POST", ADVANCE, {"json": {"seconds": True}}),
    "advance-backwards": ("POST", ADVANCE, {"json": {"seconds": -5}}),
    "advance-infinite": ("POST", ADVANCE, {"data": '{"seconds": Infinity}'}),
    "advance-bad-duration": ("POST", ADVANCE, {"json": {"duration": "5 days"}}),
    "advance-nested-too-deep": ("POST", ADVANCE, {"data": "[" * 100_000 + "]" * 100_000}),
    "advance-past-year-9999": ("POST", ADVANCE, {"json": {"duration": "P9999999D"}}),
    "idle-timeout-not-a-number": ("POST", "/admin/devhost/idle", {"params": {"timeout": "soon"}}),
    "idle-timeout-out-of-range": [
        ("POST", "/admin/devhost/idle", {"params": {"timeout": t}})
        for t in ("-1", "1e308", "inf", "nan")
    ],
    "query-top-out-of-range": [
        ("GET", f"{API}/instances", {"params": {"top": top}})
        for top in ("0", "-1", "1.5", "2147483648", "99999999999999999999", "\u0661\u0662")
    ],
    "entities-top-out-of-range": [
        ("GET", path, {"params": {"top": "99999999999999999999"}})
        for path in (f"{API}/entities", f"{API}/entities/counter")
    ],
    **{
        f"query-time-{end}-out-of-range": [
            ("GET", f"{API}/instances", {"params": {key: moment}})
            for moment in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00")
        ]
        for end, key in (("from", "createdTimeFrom"), ("to", "createdTimeTo"))
    },
    "entities-bad-time": (
        "GET",
        f"{API}/entities",
        {"params": {"lastOperationTimeFrom": "yesterday"}},
    ),
    "query-unknown-status": (
        "GET",
        f"{API}/instances",
        {"params": {"runtimeStatus": "Running,Complted"}},
    ),
    "purge-without-filter": [
        ("DELETE", f"{prefix}/instances{slash}", {})
        for prefix in (API, "/durabletask")
        for slash in ("", "/")
    ],
    "purge-unknown-status": (
        "DELETE",
        f"{API}/instances",
        {"params": {"createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "Complted"}},
    ),
    "purge-nothing-matches": (
        "DELETE",
        f"{API}/instances",
        {
            "params": {
                "createdTimeFrom": "2000-01-01T00:00:00Z",
                "createdTimeTo": "2000-01-02T00:00:00Z",
            }
        },
    ),
    "start-wait-bad-timeout": [
        ("POST", f"{API}/orchestrators/chain", {"params": {"timeout": t, "pollingInterval": "1"}})
        for t in ("soon", "1e9")
    ],
    "start-wait-bad-interval": (
        "POST",
        f"{API}/orchestrators/chain",
        {"params": {"timeout": "1", "pollingInterval": "-1"}},
    ),
    "start-wait-interval-over-timeout": (
        "POST",
        f"{API}/orchestrators/chain",
        {"params": {"timeout": "1", "pollingInterval": "5"}},
    ),
}

ROWS = rows("devhost", "test_bad_request")


def prepare(host: RemoteHost) -> None:
    """Make the instances the cases refer to: one completed, one waiting for an event."""
    if host.status(DONE) is None:
        host.wait_for(host.start_orchestration("chain", instance_id=DONE))
    if host.status(WAITING) is None:
        host.start_orchestration("approval", instance_id=WAITING)
        host.wait_idle()


def check_bad_request(host: RemoteHost, row: Row) -> None:
    """Send the row's case and check the answer the row documents."""
    sent = REQUESTS[case_id(row)]
    for method, path, kwargs in sent if isinstance(sent, list) else [sent]:
        check_problem(host.http(method, path, **kwargs), row)
    check_still_serving(host)


def check_still_serving(host: RemoteHost) -> None:
    assert host.http("GET", "/admin/host/status").json()["state"] == "Running"
    assert host.status(DONE)["runtimeStatus"] == "Completed"


def check_failures_are_reported_in_the_status(host: RemoteHost) -> None:
    activity = host.start_orchestration("failing")
    orchestrator = host.start_orchestration("raises_itself")
    failed = host.wait_for(activity)
    assert failed["runtimeStatus"] == "Failed"
    assert "Activity function 'boom' failed" in failed["output"]
    assert "ValueError: activity exploded" in failed["output"]
    failed = host.wait_for(orchestrator)
    assert failed["runtimeStatus"] == "Failed"
    assert failed["output"] == "Orchestrator function 'raises_itself' failed: orchestrator gave up"
    answer = host.http(
        "GET",
        f"{API}/instances/{orchestrator}",
        params={"returnInternalServerErrorOnFailure": "true"},
    )
    assert answer.status == 500
    assert answer.json()["runtimeStatus"] == "Failed"
    check_still_serving(host)


def check_a_waiting_instance_still_works_after_bad_input(host: RemoteHost) -> None:
    assert host.raise_event(WAITING, "approval", {"ok": True}).status == 202
    status = host.wait_for(WAITING)
    assert status["output"] == {"decision": {"ok": True}}


def check_odd_text_comes_back_unchanged(host: RemoteHost) -> None:
    odd = '\ud800 lone, \x00\x0c\u2028 controls, <script>alert(1)</script>, "quotes"'
    iid = host.start_orchestration("approval")
    host.wait_idle()
    body = json.dumps({"text": odd})  # escapes the surrogate: "\\ud800"
    answer = host.http(
        "POST", f"{API}/instances/{iid}/raiseEvent/approval", data=body, headers=JSON
    )
    assert answer.status == 202, answer.text
    assert host.wait_for(iid)["output"] == {"decision": {"text": odd}}
