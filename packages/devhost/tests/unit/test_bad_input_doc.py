"""docs/bad-input.md stays a catalogue of tests: every row names a test that exists, says an
answer the tests can check, and no two rows are the same case."""

from __future__ import annotations

import pytest

from devhost.testing.catalogue import Row
from helpers.bad_input import CATALOGUE

ROWS = CATALOGUE.all_rows()


def test_the_catalogue_has_rows() -> None:
    assert len(ROWS) > 20
    assert any(r.section.startswith("devhost") for r in ROWS)
    assert CATALOGUE.page.read_text(encoding="utf-8").startswith("# Bad input")


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_row_names_a_test_that_exists_and_a_checkable_answer(row: Row) -> None:
    CATALOGUE.check_row(row)


def test_no_two_rows_are_the_same_test() -> None:
    assert not CATALOGUE.repeated_tests()
