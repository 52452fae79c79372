"""The Durable HTTP API's filters, paging, purge by filter and create-and-wait, as the
extension answers them."""

from __future__ import annotations

import pytest

from devhost.testing import DevHost

API = "/runtime/webhooks/durabletask"


@pytest.fixture
def host(apps_dir, tmp_path):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path) as running:
        yield running


def ids(answer) -> list[str]:
    assert answer.status == 200, answer.text
    return [row["instanceId"] for row in answer.json()]


def test_purge_by_filter_takes_finished_instances_created_in_range_only(host):
    old = host.start_orchestration("chain", instance_id="old")
    host.wait_for(old)
    host.advance(duration="PT1H")
    since = host.now().isoformat()
    done = host.start_orchestration("chain", instance_id="done")
    waiting = host.start_orchestration("approval", instance_id="waiting")
    host.wait_for(done)
    answer = host.http("DELETE", f"{API}/instances", params={"createdTimeFrom": since})
    assert answer.status == 200, answer.text
    assert answer.json() == {"instancesDeleted": 1}  # "done"; "waiting" runs, "old" is older
    assert host.status("done") is None
    assert host.status(waiting)["runtimeStatus"] == "Running"
    assert host.status(old)["runtimeStatus"] == "Completed"


def test_purge_by_filter_and_status_spares_the_other_statuses(host):
    ok = host.start_orchestration("chain", instance_id="ok")
    failed = host.start_orchestration("failing", instance_id="failed")
    host.wait_for(ok), host.wait_for(failed)
    answer = host.http(
        "DELETE",
        f"{API}/instances",
        params={"createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "failed"},
    )
    assert answer.json() == {"instancesDeleted": 1}
    assert host.status("failed") is None and host.status("ok") is not None


def test_paging_with_top_and_the_continuation_token(host):
    for n in range(5):
        host.start_orchestration("chain", instance_id=f"page-{n}")
    host.wait_idle()
    seen, token = [], None
    while True:
        headers = {"x-ms-continuation-token": token} if token else {}
        answer = host.http("GET", f"{API}/instances", params={"top": "2"}, headers=headers)
        page = ids(answer)
        assert len(page) <= 2
        seen += page
        token = answer.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert seen == [f"page-{n}" for n in range(5)]


def test_status_names_are_case_insensitive(host):
    host.wait_for(host.start_orchestration("chain", instance_id="c"))
    assert ids(host.http("GET", f"{API}/instances", params={"runtimeStatus": "COMPLETED"})) == ["c"]


def test_entities_are_listed_in_pages_too(host):
    for key in ("a", "b", "c"):
        assert (
            host.http("POST", f"{API}/entities/counter/{key}", params={"op": "add"}, json=1).status
            == 202
        )
    host.wait_idle()
    first = host.http("GET", f"{API}/entities/counter", params={"top": "2"})
    assert [e["entityId"]["key"] for e in first.json()] == ["a", "b"]
    rest = host.http(
        "GET",
        f"{API}/entities/counter",
        params={"top": "2"},
        headers={"x-ms-continuation-token": first.headers["x-ms-continuation-token"]},
    )
    assert [e["entityId"]["key"] for e in rest.json()] == ["c"]
    assert "x-ms-continuation-token" not in rest.headers


def test_create_and_wait_returns_the_output_or_the_links(host):
    done = host.http(
        "POST", f"{API}/orchestrators/chain", params={"timeout": "30", "pollingInterval": "0.05"}
    )
    assert done.status == 200, done.text
    assert done.json() == ["Hello Tokyo!", "Hello Seattle!"]
    failed = host.http(
        "POST", f"{API}/orchestrators/failing", params={"timeout": "30", "pollingInterval": "0.05"}
    )
    assert failed.status == 200
    assert failed.json()["runtimeStatus"] == "Failed"
    waiting = host.http(
        "POST",
        f"{API}/orchestrators/approval",
        params={"timeout": "0.2", "pollingInterval": "0.05"},
    )
    assert waiting.status == 202
    assert waiting.json()["statusQueryGetUri"].endswith(waiting.json()["id"])
