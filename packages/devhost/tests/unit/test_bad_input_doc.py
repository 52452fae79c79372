"""docs/bad-input.md stays a catalogue of tests: every row names a test that exists, says an
answer the tests can check, and no two rows are the same case."""

from __future__ import annotations

from helpers.bad_input import CATALOGUE

test_each_row_is_a_test, test_no_two_rows_are_one_test = CATALOGUE.page_tests()


def test_the_catalogue_covers_devhost() -> None:
    rows = CATALOGUE.all_rows()
    assert len(rows) > 20
    assert all(r.section.startswith("devhost") for r in rows)
