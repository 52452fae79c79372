"""Instance ids the Durable extension allows (any character but ``/ \\ # ?`` and control
characters) work through the SDK's client on devhost: start, status, event, purge."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devhost.testing import DevHost

# Left out: "%", since the SDK puts ids in its URLs unencoded, so "%41" would arrive as "A"
# (the extension decodes the path the same way); "." and "..", which every HTTP client drops
# from a path as dot segments before the request leaves.
ODD_IDS = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\#?%"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s.strip() and s not in (".", ".."))


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("ids")) as running:
        yield running


def _client(host: DevHost, op: str, iid: str, json: object = None) -> dict:
    answer = host.http("POST", f"/api/client/{op}/{urllib.parse.quote(iid, safe='')}", json=json)
    assert answer.status == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("iid", ["{braces}", "a{b}c", '{"json": 1}', "ümlaut ✓", "a b+c"])
def test_an_id_with_braces_or_other_allowed_characters_works_through_the_sdk(host, iid):
    answer = host.http("POST", f"/api/start/approval/{urllib.parse.quote(iid, safe='')}")
    assert answer.status == 202, answer.text
    assert answer.json()["id"] == iid
    host.wait_idle()
    assert _client(host, "status", iid)["runtimeStatus"] == "Running"
    assert _client(host, "event", iid, {"ok": True}) == {"raised": True}
    assert host.wait_for(iid)["output"] == {"decision": {"ok": True}}
    assert _client(host, "purge", iid) == {"deleted": 1}
    assert host.status(iid) is None


def test_a_start_with_an_empty_id_gets_a_new_one_as_in_the_extension(host):
    # What the SDK's start_new(name, ".") becomes once the client drops the dot segment.
    answer = host.http("POST", "/runtime/webhooks/durabletask/orchestrators/chain/")
    assert answer.status == 202, answer.text
    assert len(answer.json()["id"]) == 32


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(iid=ODD_IDS)
def test_any_allowed_id_starts_and_is_found_again(host, iid):
    answer = host.http("POST", f"/api/start/chain/{urllib.parse.quote(iid, safe='')}")
    assert answer.status == 202, answer.text
    assert host.wait_for(iid)["output"] == ["Hello Tokyo!", "Hello Seattle!"]
    assert _client(host, "status", iid)["runtimeStatus"] == "Completed"
