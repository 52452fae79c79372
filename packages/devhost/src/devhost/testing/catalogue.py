"""A bad-input catalogue (a markdown page such as docs/bad-input.md) as test data: every table
row is a test case, and its answer is checked. devhost's own catalogue and any app's use it:
``Catalogue(page, root)``, ``root`` being the folder the rows' test paths start from.

A section of the document (``## heading``) holds tables ``| input | route | answer | test |``
(under ``### ...`` headings of its own, if it likes).
The ``test`` cell is the pytest node that runs the row, ``path::function[case]``; a test reads
its rows with ``catalogue.rows(heading)`` and parametrises over them (``ids=case_id``), so the
document
and the tests cannot drift apart: a row without a case, or a case without a row, fails.

A row whose test is one case of a catalogue test (``[case]``) has an answer checked
mechanically; it starts with that, then may say more in words:

- a status code (``400``), or ``exit N`` for a command;
- ``field `name``` : the problem's ``field`` member;
- ``Allow `GET, HEAD``` : the ``Allow`` header;
- ``dead-letter `Reason``` : the dead-letter reason a message gets;
- ``quarantine `reason``` : the quarantine reason a message gets (its phrases are looked for
  in the quarantine record's details);
- text in double quotes (``"1-256 characters"``): a phrase the problem's ``detail`` (or the
  command's output) contains.

Every 4xx/5xx answer is also checked to be ``application/problem+json`` with that ``status``.
A row whose test is a function of its own (a message dead-lettered after a restart, say) says
its answer in words, and that test checks it.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Catalogue", "Row", "case_id", "check_problem"]

_CELL = re.compile(r"(?<!\\)\|")
_TEST = re.compile(r"^`(?P<path>tests/[\w/.-]+\.py)::(?P<function>\w+)(?:\[(?P<case>[^\]]+)\])?`$")


class _Response(Protocol):
    status: int
    headers: dict[str, str]

    def json(self) -> Any: ...


@dataclass(frozen=True)
class Row:
    section: str
    input: str
    route: str
    answer: str
    test: str
    line: int
    page: str = "bad-input.md"

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.case or self.function})"

    @property
    def _test(self) -> re.Match[str]:
        found = _TEST.match(self.test)
        if found is None:
            raise ValueError(f"{self}: test cell {self.test!r} is not `tests/...py::name[case]`")
        return found

    @property
    def path(self) -> str:
        return self._test["path"]

    @property
    def function(self) -> str:
        return self._test["function"]

    @property
    def case(self) -> str | None:
        return self._test["case"]

    @property
    def status(self) -> int | None:
        found = re.match(r"^\s*(\d{3})\b", self.answer)
        return int(found[1]) if found else None

    @property
    def exit_code(self) -> int | None:
        found = re.match(r"^\s*exit (\d+)\b", self.answer)
        return int(found[1]) if found else None

    def _named(self, label: str) -> str | None:
        found = re.search(rf"\b{label} `([^`]+)`", self.answer)
        return found[1] if found else None

    @property
    def field(self) -> str | None:
        return self._named("field")

    @property
    def allow(self) -> set[str] | None:
        named = self._named("Allow")
        return None if named is None else {m.strip() for m in named.split(",")}

    @property
    def dead_letter_reason(self) -> str | None:
        return self._named("dead-letter")

    @property
    def quarantine_reason(self) -> str | None:
        return self._named("quarantine")

    @property
    def phrases(self) -> list[str]:
        return [p.replace("\\|", "|") for p in re.findall(r'"([^"]+)"', self.answer)]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL.split(line.strip().strip("|"))]


@dataclass(frozen=True)
class Catalogue:
    """One catalogue page and the folder its rows' test paths are relative to."""

    page: Path
    root: Path

    def all_rows(self) -> list[Row]:
        """Every row of every section's table."""
        found: list[Row] = []
        section = ""
        name = self.page.relative_to(self.root).as_posix()
        for number, line in enumerate(self.page.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("## "):
                section = line[3:].strip()
            elif line.startswith("|") and section:
                cells = _cells(line)
                if cells == ["input", "route", "answer", "test"] or set("".join(cells)) <= set(
                    "-: "
                ):
                    continue
                if len(cells) != 4:
                    raise ValueError(f"{name}:{number}: expected 4 cells, got {cells}")
                given, route, answer, test = cells
                found.append(Row(section, given, route, answer, test, number, name))
        return found

    def rows(self, section_prefix: str, function: str | None = None) -> list[Row]:
        """The rows of the section whose heading starts with ``section_prefix`` (that a test
        ``function`` runs, when given)."""
        selected = [r for r in self.all_rows() if r.section.startswith(section_prefix)]
        if not selected:
            raise ValueError(f"{self.page.name} has no section starting {section_prefix!r}")
        return [r for r in selected if function is None or r.function == function]

    def check_row(self, row: Row) -> None:
        """The row names a test that exists, and (for a catalogue case) an answer the test
        can check: a status code, ``exit N`` or ``quarantine `reason```."""
        path = self.root / row.path
        assert path.is_file(), f"{row}: no file {row.path}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert row.function in functions, f"{row}: no {row.function} in {row.path}"
        if row.case is not None:
            kinds = [
                row.status,
                row.exit_code,
                row.quarantine_reason if row.answer.startswith("quarantine") else None,
            ]
            assert sum(k is not None for k in kinds) == 1, (
                f"{row}: the answer must start with a status code, 'exit N' or 'quarantine "
                f"`reason`', not {row.answer!r}"
            )
        if row.dead_letter_reason is not None:  # a test of its own must check that reason
            assert row.dead_letter_reason in path.read_text(encoding="utf-8"), row

    def repeated_tests(self) -> list[str]:
        """Tests that two rows name (each case must be one row)."""
        return [t for t, n in Counter(r.test for r in self.all_rows()).items() if n > 1]

    def page_tests(self) -> tuple[Callable[..., None], Callable[[], None]]:
        """The two tests that keep the page a catalogue of tests, for a test module to bind:
        ``test_each_row_is_a_test, test_no_two_rows_are_one_test = CATALOGUE.page_tests()``
        (each row names a test that exists and an answer it can check; no repeats)."""
        import pytest  # only where a test module asks for the tests

        @pytest.mark.parametrize("row", self.all_rows(), ids=str)
        def each_row(row: Row) -> None:
            self.check_row(row)

        def no_repeats() -> None:
            assert len(self.all_rows()) > 0, f"{self.page.name} has no rows"
            assert not self.repeated_tests()

        return each_row, no_repeats


def case_id(row: Row) -> str:
    return row.case or row.function


def check_problem(answer: _Response, row: Row) -> None:
    """The HTTP answer is the one the row documents."""
    assert answer.status == row.status, f"{row}: got {answer.status}, documented {row.status}"
    headers = {k.lower(): v for k, v in answer.headers.items()}
    if row.allow is not None:
        got = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
        assert got == row.allow, f"{row}: Allow is {headers.get('allow')!r}"
    if answer.status < 400:
        return
    assert headers.get("content-type", "").startswith("application/problem+json"), (
        f"{row}: content type {headers.get('content-type')!r}"
    )
    body = answer.json()
    assert body["status"] == answer.status, row
    assert isinstance(body["detail"], str), row
    assert body["detail"], row
    if row.field is not None:
        assert body.get("field") == row.field, f"{row}: field is {body.get('field')!r}"
    for phrase in row.phrases:
        assert phrase in body["detail"], f"{row}: {phrase!r} not in {body['detail']!r}"
