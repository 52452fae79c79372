"""`make infra-check`: every Bicep file parses and checkov finds nothing unjustified.

The Bicep compiler cannot be installed here, so each ``.bicep`` file is parsed with pycep-parser
(the parser checkov itself uses). Then checkov scans the folder offline (``--skip-download``)
and its JSON report is read, because checkov exits 0 when a file fails to parse. The check fails
on any parse error, any failed check, and any skip without a reason beside it.

checkov runs from its own virtualenv (``.venv/infra``, see requirements-infra.txt): its pins
clash with the project's test tools. Usage: ``python -m tools.infra_check [--checkov PATH] DIR``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

__all__ = [
    "CheckResult",
    "InfraReport",
    "check",
    "main",
    "parse_bicep_files",
    "render",
    "run_checkov",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHECKOV = REPO_ROOT / ".venv" / "infra" / "bin" / "checkov"
CHECKOV_TIMEOUT_SECONDS = 110

# checkov's own inline-suppression syntax (checkov.common.comment.enum.COMMENT_REGEX).
_SKIP_COMMENT = re.compile(r"checkov:skip= *([A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)(?::([^\n]*))?")
_NO_REASON = "No comment provided"


@dataclass(frozen=True)
class CheckResult:
    """One checkov finding: PASSED, FAILED or SKIPPED (with the reason written beside it)."""

    status: str
    check_id: str
    resource: str
    location: str
    name: str
    reason: str = ""


@dataclass
class InfraReport:
    """Everything the check found; ``ok`` is the verdict."""

    files: list[Path]
    parse_errors: list[str]
    results: list[CheckResult]

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def unjustified_skips(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "SKIPPED" and not r.reason.strip()]

    @property
    def ok(self) -> bool:
        return not self.parse_errors and self.count("FAILED") == 0 and not self.unjustified_skips


def parse_bicep_files(files: Iterable[Path]) -> list[str]:
    """Parse each file with pycep; return one message per file that does not parse."""
    parser = BicepParser()
    errors = []
    for path in files:
        try:
            parser.parse(text=path.read_text(encoding="utf-8"))
        except Exception as error:  # lark raises several unrelated types; all mean "no parse"
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            errors.append(f"{path}: {type(error).__name__}: {first_line}")
    return errors


def run_checkov(directory: Path, checkov: Path) -> list[dict[str, Any]]:
    """Run checkov (bicep framework, no downloads) and return its JSON reports."""
    if not checkov.exists():
        raise FileNotFoundError(
            f"checkov not found at {checkov}; run `make setup` (it installs "
            "requirements-infra.txt into .venv/infra) or pass --checkov PATH"
        )
    completed = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(directory),
            "--framework",
            "bicep",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=CHECKOV_TIMEOUT_SECONDS,
        check=False,
    )
    # 0: nothing failed, 1: something failed; anything else means checkov itself broke.
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {completed.returncode}: {completed.stderr.strip()}")
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"checkov printed no JSON report ({error.msg}): {completed.stdout[:300]!r} "
            f"{completed.stderr.strip()[:300]!r}"
        ) from error
    # One framework gives one report object; several give a list; nothing to scan gives a
    # summary-only object with no "results".
    reports = report if isinstance(report, list) else [report]
    return [r for r in reports if isinstance(r, dict)]


def _skip_reason_beside(record: dict[str, Any], check_id: str) -> str | None:
    """The reason of a ``checkov:skip=<id>`` comment inside the record's resource, if any.

    checkov's bicep runner honours inline skips for its Python checks but not for its graph
    checks, so those are matched here against the resource's own lines, with the same syntax.
    """
    path = Path(record.get("file_abs_path") or "")
    first, last = (record.get("file_line_range") or [0, 0])[:2]
    if not path.is_file() or not first:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()[first - 1 : last]
    for line in lines:
        match = _SKIP_COMMENT.search(line)
        if match and check_id in match.group(1).split(","):
            return (match.group(2) or "").strip()
    return None


def _result(status: str, record: dict[str, Any], reason: str = "") -> CheckResult:
    first = (record.get("file_line_range") or [0])[0]
    return CheckResult(
        status=status,
        check_id=str(record.get("check_id")),
        resource=str(record.get("resource")),
        location=f"{str(record.get('file_path', '')).lstrip('/')}:{first}",
        name=str(record.get("check_name", "")),
        reason=reason,
    )


def collect_results(reports: Sequence[dict[str, Any]]) -> tuple[list[CheckResult], list[str]]:
    """Turn checkov's JSON reports into results and parse errors."""
    results: list[CheckResult] = []
    parse_errors: list[str] = []
    for report in reports:
        body = report.get("results") or {}
        parse_errors += [
            f"{path}: checkov could not parse it" for path in body.get("parsing_errors") or []
        ]
        results += [_result("PASSED", r) for r in body.get("passed_checks") or []]
        for record in body.get("skipped_checks") or []:
            comment = str((record.get("check_result") or {}).get("suppress_comment") or "")
            results.append(
                _result("SKIPPED", record, "" if comment.strip() == _NO_REASON else comment.strip())
            )
        for record in body.get("failed_checks") or []:
            reason = _skip_reason_beside(record, str(record.get("check_id")))
            results.append(
                _result("FAILED", record) if reason is None else _result("SKIPPED", record, reason)
            )
    return results, parse_errors


def check(directory: Path, checkov: Path = DEFAULT_CHECKOV) -> InfraReport:
    """Parse every Bicep file under ``directory``, then run and read checkov."""
    files = sorted(directory.rglob("*.bicep"))
    if not files:
        raise FileNotFoundError(f"no .bicep files under {directory}: nothing to check")
    parse_errors = parse_bicep_files(files)
    results, checkov_errors = collect_results(run_checkov(directory, checkov))
    return InfraReport(files=files, parse_errors=parse_errors + checkov_errors, results=results)


def format_table(results: Sequence[CheckResult]) -> str:
    """A fixed-width table, failures first; a skip shows its reason, others the check name."""
    order = {"FAILED": 0, "SKIPPED": 1, "PASSED": 2}
    rows = [("RESULT", "CHECK", "RESOURCE", "WHERE", "REASON / CHECK")]
    for r in sorted(results, key=lambda r: (order.get(r.status, 3), r.location, r.check_id)):
        status = "SKIPPED (no reason)" if r.status == "SKIPPED" and not r.reason else r.status
        rows.append(
            (
                status,
                r.check_id,
                r.resource,
                r.location,
                r.reason if r.status == "SKIPPED" else r.name,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    )


def render(report: InfraReport, seconds: float) -> str:
    """The table, then one line per problem, then the verdict on the last line."""
    lines = [format_table(report.results)]
    lines += [f"PARSE ERROR  {message}" for message in report.parse_errors]
    lines += [
        f"UNJUSTIFIED  {skip.check_id} on {skip.resource} ({skip.location}): "
        "write the reason after the id, `// checkov:skip=ID: why`"
        for skip in report.unjustified_skips
    ]
    lines.append(
        f"infra-check: {len(report.files)} Bicep files, {len(report.parse_errors)} parse "
        f"errors, {report.count('PASSED')} passed, {report.count('FAILED')} failed, "
        f"{report.count('SKIPPED')} skipped ({len(report.unjustified_skips)} without a "
        f"reason) in {seconds:.1f}s: {'OK' if report.ok else 'FAILED'}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.infra_check", description=__doc__)
    parser.add_argument("directory", type=Path, help="folder of Bicep files, e.g. infra")
    parser.add_argument(
        "--checkov",
        type=Path,
        default=DEFAULT_CHECKOV,
        help=f"checkov executable (default {DEFAULT_CHECKOV})",
    )
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"directory {args.directory} does not exist")
    started = time.monotonic()
    try:
        report = check(args.directory, args.checkov)
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as error:
        print(f"infra-check: {error}", file=sys.stderr)
        return 2
    print(render(report, time.monotonic() - started))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
