"""Bad input never crashes devhost and gets the answer docs/bad-input.md documents.

The rows of the document's devhost section name ``test_bad_request[case]``;
``helpers.durable_requests`` says what each case sends and checks the answer the row documents,
here in-process and in tests/e2e/test_devhost_bad_input.py against a separate process.
"""

import json

import pytest

from devhost.testing import DevHost
from helpers.bad_input import case_id
from helpers.durable_requests import (
    API,
    JSON,
    REQUESTS,
    ROWS,
    check_a_waiting_instance_still_works_after_bad_input,
    check_bad_request,
    check_failures_are_reported_in_the_status,
    check_odd_text_comes_back_unchanged,
    check_still_serving,
    prepare,
)


def test_every_row_has_a_request_and_every_request_a_row() -> None:
    assert sorted(case_id(r) for r in ROWS) == sorted(REQUESTS)


def test_flag_that_is_not_a_boolean_keeps_its_default(host):
    iid = host.start_orchestration("chain", {"given": 1})
    host.wait_for(iid)
    answer = host.http(
        "GET", f"{API}/instances/{iid}", params={"showInput": "maybe", "showHistory": "1"}
    )
    assert answer.status == 200
    assert answer.json()["input"] == {"given": 1}
    assert "historyEvents" not in answer.json()
    shown = host.http("GET", f"{API}/instances/{iid}", params={"showHistory": " TRUE "})
    assert shown.json()["historyEvents"]


def test_odd_text_in_an_event_comes_back_unchanged(host):
    check_odd_text_comes_back_unchanged(host)


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("bad")) as running:
        prepare(running)
        yield running


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_bad_request(host, row):
    check_bad_request(host, row)


def test_failing_activity_and_orchestrator(host):
    check_failures_are_reported_in_the_status(host)


def test_unknown_orchestrator_through_the_sdk_client_fails_the_http_function(host):
    answer = host.http("POST", "/api/start/no_such_orchestrator")
    assert answer.status == 500
    assert "'no_such_orchestrator' doesn't exist" in answer.json()["detail"]
    check_still_serving(host)


def test_waiting_instance_completes_after_all_the_bad_input(host):
    # Last in the module on purpose: it proves the engine kept working through the cases.
    check_a_waiting_instance_still_works_after_bad_input(host)


def test_advance_with_a_real_clock_is_a_conflict(apps_dir, tmp_path):
    with DevHost(apps_dir / "http_app", clock="real", data_dir=tmp_path) as real:
        answer = real.http("POST", "/admin/devhost/clock/advance", json={"seconds": 60})
        assert answer.status == 409
        assert "--clock virtual" in answer.json()["detail"]
        assert real.http("GET", "/admin/devhost/clock").json()["virtual"] is False
        assert real.http("GET", "/admin/host/status").json()["state"] == "Running"


def test_malformed_json_is_stored_nowhere(host):
    before = host.http("GET", f"{API}/instances").json()
    host.http("POST", f"{API}/orchestrators/chain", data="{oops", headers=JSON)
    after = host.http("GET", f"{API}/instances").json()
    assert json.dumps(sorted(i["instanceId"] for i in after)) == json.dumps(
        sorted(i["instanceId"] for i in before)
    )
