"""Whatever text arrives in a query parameter, a path segment or a header, devhost answers
below 500, and every error is a problem naming what it could not take (hypothesis)."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devhost.testing import DevHost

API = "/runtime/webhooks/durabletask"

# Text a client can put in a URL: any character but lone surrogates (not encodable as UTF-8),
# with the shapes that break parsers weighted in (huge numbers, signs, exponents, times).
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{0,5})?(e[+-]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(
        [
            "inf",
            "-inf",
            "nan",
            "NaN",
            "1e308",
            "0x10",
            "1_000",
            "\u0661",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+14:00",
            "2026-13-45T25:61:61Z",
            "true",
            "False",
            "",
            " ",
            "%00",
        ]
    ),
)
BODY = st.one_of(
    st.none(),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
    st.integers(60, 3000).map(lambda n: b"[" * n + b"]" * n),
)
SEGMENT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)

# (method, path with {id} for a segment, the query parameters the route reads)
ROUTES = [
    (
        "GET",
        f"{API}/instances",
        [
            "top",
            "createdTimeFrom",
            "createdTimeTo",
            "runtimeStatus",
            "instanceIdPrefix",
            "showInput",
        ],
    ),
    ("DELETE", f"{API}/instances", ["createdTimeFrom", "createdTimeTo", "runtimeStatus"]),
    ("GET", f"{API}/instances/{{id}}", ["showHistory", "showHistoryOutput", "showInput"]),
    ("DELETE", f"{API}/instances/{{id}}", []),
    ("POST", f"{API}/instances/{{id}}/raiseEvent/{{id}}", []),
    ("POST", f"{API}/instances/{{id}}/terminate", ["reason"]),
    ("POST", f"{API}/instances/{{id}}/restart", ["restartWithNewInstanceId"]),
    ("POST", f"{API}/orchestrators/chain/{{id}}", ["version", "timeout", "pollingInterval"]),
    (
        "GET",
        f"{API}/entities/{{id}}",
        ["top", "fetchState", "lastOperationTimeFrom", "lastOperationTimeTo"],
    ),
    ("GET", f"{API}/entities/counter/{{id}}", []),
    ("POST", f"{API}/entities/counter/{{id}}", ["op"]),
    ("POST", "/admin/devhost/idle", ["timeout"]),
    ("GET", "/admin/devhost/queues/{id}", []),
    (
        "POST",
        "/admin/devhost/queues/{id}/messages",
        ["sessionId", "messageId", "timeToLive", "scheduledEnqueueTime", "subject"],
    ),
    ("POST", "/admin/devhost/storage-queues/{id}/messages", ["visibilityTimeout"]),
    ("GET", "/admin/devhost/storage-queues/{id}/messages", []),
]


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("fuzz")) as running:
        yield running


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(ROUTES),
    segment=SEGMENT,
    data=st.data(),
    token=st.one_of(st.none(), TEXT),
    body=BODY,
)
def test_no_input_gets_a_server_error(host: DevHost, route, segment, data, token, body) -> None:
    method, template, names = route
    path = template.replace("{id}", urllib.parse.quote(segment, safe=""))
    params = {
        name: data.draw(TEXT, label=name)
        for name in names
        if data.draw(st.booleans(), label=f"send {name}")
    }
    if "timeout" in params and method == "POST" and "orchestrators" in path:
        params.setdefault("pollingInterval", "0.01")
    headers = (
        {"x-ms-continuation-token": token}
        if token and token.isascii() and token.isprintable()
        else {}
    )
    if method != "POST":
        body = None
    answer = host.http(method, path, params=params, headers=headers, data=body, timeout=120)
    assert answer.status < 500, (method, path, params, answer.text)
    if answer.status >= 400:
        content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
        assert content_type.startswith("application/problem+json"), answer.text
        assert answer.json()["status"] == answer.status
