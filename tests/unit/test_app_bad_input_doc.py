"""docs/bad-input.md stays a catalogue of tests: every row names a test that exists, says an
answer the tests can check, and no two rows are the same case."""

from __future__ import annotations

from tests.support.bad_input import CATALOGUE

test_each_row_is_a_test, test_no_two_rows_are_one_test = CATALOGUE.page_tests()


def test_the_catalogue_has_the_apps_sections() -> None:
    sections = {r.section.split(" (")[0] for r in CATALOGUE.all_rows()}
    assert {
        "Schema-change ingress",
        "Approval links",
        "Documents and the management API",
    } <= sections
    assert len(CATALOGUE.all_rows()) > 40
