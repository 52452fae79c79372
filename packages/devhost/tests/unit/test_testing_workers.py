"""``DEVHOST_TEST_WORKERS``: how many worker processes ``devhost.testing.DevHost`` starts when a
test does not say, and the error for a value that is not a count."""

from __future__ import annotations

import pytest

from devhost.testing import hosts


@pytest.mark.parametrize(("value", "workers"), [("", 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_the_variable_sets_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str, workers: int
) -> None:
    monkeypatch.setenv(hosts.WORKERS_VARIABLE, value)
    assert hosts._default_workers() == workers


def test_without_the_variable_tests_run_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hosts.WORKERS_VARIABLE, raising=False)
    assert hosts._default_workers() == 0


@pytest.mark.parametrize("value", ["one", "-1", "11", "1.5", "1e3"])
def test_a_value_that_is_not_a_count_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(hosts.WORKERS_VARIABLE, value)
    with pytest.raises(ValueError, match="DEVHOST_TEST_WORKERS: expected a whole number"):
        hosts._default_workers()


def test_a_worker_count_that_is_a_word_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="worker_processes: expected a count or None"):
        hosts.DevHost(tmp_path, worker_processes="many")
