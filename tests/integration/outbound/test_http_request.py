"""Acceptance: the ``http_request`` activity in a workflow on devhost, against servers bound to
127.0.0.1 only: a 503 retried after its Retry-After on the virtual clock, and every refused
destination failing at once with ``Http.DestinationNotAllowed`` (no retry, no traffic)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import runtime
from tests.support.activity_schemas import assert_matches
from tests.support.app_host import ProductHost, product_host
from tests.support.recording_server import RecordedRequest, RecordingServer, Reply

CALL = {
    "name": "call-api",
    "version": "1.0.0",
    "startAt": "Call",
    "states": {
        "Call": {
            "type": "task",
            "activity": "http_request",
            "input": {
                "instanceId.$": "$.system.instanceId",
                "step": "Call",
                "method": "POST",
                "url.$": "$.input.url",
                "body": {"hello": "world"},
            },
            # "*" retries everything that may be retried: a refusal never is.
            "retry": {"maxAttempts": 4, "interval": "PT1S", "backoffRate": 2.0, "errors": ["*"]},
            "catch": [{"errors": ["*"], "next": "Refused", "resultPath": "$.state.error"}],
            "resultPath": "$.state.answer",
            "end": True,
        },
        "Refused": {"type": "succeed", "output": {"error.$": "$.state.error"}},
    },
}


@pytest.fixture(scope="module")
def running_servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    with RecordingServer() as allowed, RecordingServer() as other:
        yield allowed, other


@pytest.fixture
def servers(
    running_servers: tuple[RecordingServer, RecordingServer],
) -> tuple[RecordingServer, RecordingServer]:
    """The module's two servers, with what earlier tests sent them forgotten."""
    for server in running_servers:
        server.requests.clear()
    return running_servers


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    running_servers: tuple[RecordingServer, RecordingServer],
) -> Iterator[ProductHost]:
    allowed, _ = running_servers
    port = allowed.url.rsplit(":", 1)[1]
    with product_host(
        tmp_path_factory.mktemp("outbound"),
        SCHEDULES_FILE="",
        OUTBOUND_HTTP_ALLOWED_HOSTS=f"127.0.0.1:{port}",
    ) as running:
        runtime().adapters.blobs.put(
            "workflow-definitions", "call-api/1.0.0.json", json.dumps(CALL).encode()
        )
        yield running


def _call(app: ProductHost, url: str) -> str:
    return app.host.start_orchestration("workflow", {"workflow": "call-api", "input": {"url": url}})


def _attempts(app: ProductHost, instance_id: str) -> int:
    return sum(
        1
        for e in app.host.history(instance_id)
        if e["EventType"] == 4 and e.get("Name") == "http_request"
    )  # TaskScheduled


def test_a_503_is_retried_after_its_retry_after_then_succeeds(
    app: ProductHost, servers: tuple[RecordingServer, RecordingServer]
) -> None:
    allowed, _ = servers
    answers = [Reply(503, b"busy", {"Retry-After": "5"}), Reply.json({"accepted": 42}, 201)]

    def respond(request: RecordedRequest, match: Any) -> Reply:
        return answers.pop(0)

    allowed.reply("POST", "/orders", respond)
    iid = _call(app, f"{allowed.url}/orders")
    app.host.wait_idle()
    assert len(allowed.requests) == 1
    app.host.advance(seconds=4)  # the policy would wait 1 s; the server asked for 5
    assert len(allowed.requests) == 1
    app.host.advance(seconds=1)
    status = app.host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    answer = status["output"]["answer"]
    assert answer["status"] == 201 and answer["body"] == {"accepted": 42}
    assert_matches("http_request", "output", answer)
    first, second = allowed.requests
    assert first.json() == second.json() == {"hello": "world"}
    key = first.header("idempotency-key")
    assert key and second.header("idempotency-key") == key  # one key for every attempt


@pytest.mark.parametrize(
    "target",
    [
        "other-loopback-port",
        "http://169.254.169.254/latest/",
        "http://10.0.0.1/",
        "file:///etc/passwd",
        "redirect-to-other",
    ],
)
def test_refused_destinations_fail_at_once_and_are_never_contacted(
    app: ProductHost, servers: tuple[RecordingServer, RecordingServer], target: str
) -> None:
    allowed, other = servers
    other.reply("POST", ".*", Reply.json({"stolen": True}))
    allowed.reply("POST", "/redirect", Reply(307, headers={"Location": f"{other.url}/in"}))
    url = {
        "other-loopback-port": f"{other.url}/in",
        "redirect-to-other": f"{allowed.url}/redirect",
    }.get(target, target)
    iid = _call(app, url)
    status = app.host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"]["error"]["error"] == "Http.DestinationNotAllowed"
    assert _attempts(app, iid) == 1
    assert other.requests == []
    assert [r.path for r in allowed.requests] == (
        ["/redirect"] if target == "redirect-to-other" else []
    )
