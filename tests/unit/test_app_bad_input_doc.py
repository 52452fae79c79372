"""docs/bad-input.md stays a catalogue of tests: every row names a test that exists, says an
answer the tests can check, and no two rows are the same case."""

from __future__ import annotations

import pytest
from devhost.testing.catalogue import Row

from tests.support.bad_input import CATALOGUE

ROWS = CATALOGUE.all_rows()


def test_the_catalogue_has_the_apps_sections() -> None:
    sections = {r.section.split(" (")[0] for r in ROWS}
    assert {
        "Schema-change ingress",
        "Approval links",
        "Documents and the management API",
    } <= sections
    assert len(ROWS) > 40
    assert CATALOGUE.page.read_text(encoding="utf-8").startswith("# Bad input")


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_row_names_a_test_that_exists_and_a_checkable_answer(row: Row) -> None:
    CATALOGUE.check_row(row)


def test_no_two_rows_are_the_same_test() -> None:
    assert not CATALOGUE.repeated_tests()
