"""Bad input over HTTP against `python -m devhost start`: the same checks as the in-process
suite (tests/integration/test_bad_input.py), and the process must survive them all."""

import pytest

from helpers.bad_input import case_id
from helpers.durable_requests import (
    ROWS,
    check_a_waiting_instance_still_works_after_bad_input,
    check_bad_request,
    check_failures_are_reported_in_the_status,
    check_odd_text_comes_back_unchanged,
    prepare,
)

pytestmark = pytest.mark.e2e

DEVHOST_APP = "../apps/patterns_app"


@pytest.fixture(scope="module")
def prepared(devhost):
    prepare(devhost)
    return devhost


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_bad_request(prepared, row):
    check_bad_request(prepared, row)


def test_odd_text_in_an_event_comes_back_unchanged(prepared):
    check_odd_text_comes_back_unchanged(prepared)


def test_failing_activity_and_orchestrator(prepared):
    check_failures_are_reported_in_the_status(prepared)


def test_process_still_serves_and_runs_work(prepared, devhost_process):
    check_a_waiting_instance_still_works_after_bad_input(prepared)
    assert devhost_process.process.poll() is None
