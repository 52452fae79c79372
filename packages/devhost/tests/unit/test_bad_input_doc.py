"""docs/bad-input.md stays a catalogue of tests: every row names a test that exists, says an
answer the tests can check, and no two rows are the same case."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from helpers.bad_input import DOC, Row, all_rows

ROOT = DOC.parents[1]
ROWS = all_rows()


def functions_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_catalogue_has_rows() -> None:
    assert len(ROWS) > 20


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_row_names_a_test_that_exists_and_a_checkable_answer(row: Row) -> None:
    assert (ROOT / row.path).is_file(), f"{row}: no file {row.path}"
    assert row.function in functions_in(row.path), f"{row}: no {row.function} in {row.path}"
    if row.case is not None:  # a case of a test that checks the answer this row states
        assert (row.status is None) != (row.exit_code is None), \
            f"{row}: the answer must start with a status code or 'exit N', not {row.answer!r}"
    if row.dead_letter_reason is not None:  # a test of its own must check that reason
        assert row.dead_letter_reason in (ROOT / row.path).read_text(encoding="utf-8"), row


def test_no_two_rows_are_the_same_test() -> None:
    repeated = [t for t, n in Counter(r.test for r in ROWS).items() if n > 1]
    assert not repeated


def test_the_sections_the_team_fills_are_there() -> None:
    assert any(r.section.startswith("devhost") for r in ROWS)
    assert Path(DOC).read_text(encoding="utf-8").startswith("# Bad input")
