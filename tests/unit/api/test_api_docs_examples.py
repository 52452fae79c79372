"""docs/api.md has a curl example for every operation of api/openapi.json, and every curl
example there names an operation that exists (method, path and query parameters).

The examples are read as a shell would split them: ``$B`` (and ``${B}``) stand for
``http://127.0.0.1:7071/api``, the base the docs set; GET may omit ``-X``; a path parameter may
be any concrete value or a shell variable. An example is counted for the most specific
operation it matches, so ``POST $B/instances/terminate`` is the bulk route, not an instance
named "terminate".
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from api.openapi import OPENAPI_FILE

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete", "head")
# The options that take a value, so that value is not taken for the URL.
_VALUED = {
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "-F",
    "--form",
    "-o",
    "--output",
    "-u",
    "--user",
    "-T",
    "--upload-file",
    "-w",
    "--write-out",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-m",
    "--max-time",
}
_SENDS_DATA = {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form"}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # "/instances/{instanceId}", relative to /api
    pattern: re.Pattern[str]
    literal_segments: int
    query: frozenset[str]

    def __str__(self) -> str:
        return f"{self.method} /api{self.template}"


@dataclass(frozen=True)
class Example:
    line: int
    text: str
    method: str
    path: str  # relative to /api, without the query
    query: frozenset[str]


def spec_operations(spec: dict[str, object]) -> list[Operation]:
    found = []
    paths = spec["paths"]
    assert isinstance(paths, dict)
    for template, item in paths.items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in METHODS:
                continue
            params = shared + operation.get("parameters", [])
            pattern = re.compile(
                "".join(
                    "[^/?#]+" if part.startswith("{") else re.escape(part)
                    for part in re.split(r"({\w+})", template)
                )
            )
            found.append(
                Operation(
                    method.upper(),
                    template,
                    pattern,
                    sum(1 for s in template.split("/") if s and "{" not in s),
                    frozenset(p["name"] for p in params if p["in"] == "query"),
                )
            )
    return found


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """The lines of ``text`` with shell continuations (a trailing backslash) joined."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        start, head = pending if pending else (number, "")
        whole = head + line
        if whole.endswith("\\"):
            pending = (start, whole[:-1] + " ")
        else:
            joined.append((start, whole))
            pending = None
    if pending:
        joined.append(pending)
    return joined


def _api_path(url: str) -> str | None:
    """The part of ``url`` after ``/api`` (with its query), or None if it is not an API URL."""
    for base in ("${B}", "$B"):
        if url.startswith(base + "/"):
            return url[len(base) :]
    match = re.search(r"/api(/.*)$", url)
    return match.group(1) if match else None


def parse_example(line: int, command: str) -> Example | None:
    """The method and API path of one curl command line; None when it calls no /api/ URL."""
    words = shlex.split(command, comments=True)
    method = None
    sends_data = False
    urls = []
    index = 1  # words[0] is "curl"
    while index < len(words):
        word = words[index]
        if word in ("|", ";", "&&", "||"):
            break
        if word in _VALUED:
            value = words[index + 1] if index + 1 < len(words) else ""
            if word in ("-X", "--request"):
                method = value.upper()
            sends_data = sends_data or word in _SENDS_DATA
            index += 2
            continue
        if not word.startswith("-"):
            urls.append(word)
        index += 1
    paths = [p for p in map(_api_path, urls) if p is not None]
    if not paths:
        return None
    assert len(paths) == 1, f"docs/api.md:{line}: one URL per curl example: {command}"
    path, _, query = paths[0].partition("?")
    return Example(
        line,
        command.strip(),
        method or ("POST" if sends_data else "GET"),
        path,
        frozenset(name for name, _ in parse_qsl(query, keep_blank_values=True)),
    )


def doc_examples(markdown: str) -> list[Example]:
    """Every curl command in ``markdown`` that calls an /api/ URL, in code blocks or inline."""
    found = []
    for number, line in _logical_lines(markdown):
        for match in re.finditer(r"(?<![\w-])curl\s", line):
            command = line[match.start() :]
            before = line[: match.start()]
            if before.count("`") % 2 == 1:  # an inline code span: it ends at the next backtick
                command = command.split("`", 1)[0]
            example = parse_example(number, command)
            if example is not None:
                found.append(example)
    return found


def operation_of(example: Example, operations: list[Operation]) -> Operation | None:
    """The most specific operation the example calls (literal segments win over parameters)."""
    matching = [
        op
        for op in operations
        if op.method == example.method and op.pattern.fullmatch(example.path)
    ]
    return max(matching, key=lambda op: op.literal_segments, default=None)


OPERATIONS = spec_operations(json.loads(OPENAPI_FILE.read_text(encoding="utf-8")))
EXAMPLES = doc_examples(DOCS.read_text(encoding="utf-8"))


def test_the_docs_and_the_spec_are_read() -> None:
    # Guards the parsers: an empty list on either side would make the tests below vacuous.
    assert len(OPERATIONS) >= 30
    assert len(EXAMPLES) >= len(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_has_a_curl_example(operation: Operation) -> None:
    assert any(operation_of(e, OPERATIONS) == operation for e in EXAMPLES), (
        f"docs/api.md has no curl example of {operation}"
    )


def test_every_curl_example_calls_an_operation_with_its_query_parameters() -> None:
    wrong = []
    for example in EXAMPLES:
        operation = operation_of(example, OPERATIONS)
        if operation is None:
            wrong.append(
                f"docs/api.md:{example.line}: no operation {example.method} "
                f"/api{example.path}: {example.text}"
            )
        elif not example.query <= operation.query:
            wrong.append(
                f"docs/api.md:{example.line}: {operation} has no query parameter "
                f"{sorted(example.query - operation.query)}: {example.text}"
            )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("curl -s $B/instances/doc-42", ("GET", "/instances/doc-42", set())),
        ('curl -s "$B/instances?top=5&status=Running"', ("GET", "/instances", {"top", "status"})),
        (
            "curl -s -d '{}' http://127.0.0.1:7071/api/workflows/validate",
            ("POST", "/workflows/validate", set()),
        ),
        (
            "curl -s -X DELETE ${B}/instances/x -H 'Accept: application/json'  # purge",
            ("DELETE", "/instances/x", set()),
        ),
        ("curl -s http://127.0.0.1:7071/runtime/webhooks/durabletask/instances", None),
    ],
)
def test_a_curl_line_is_read_as_a_shell_would(
    command: str, expected: tuple[str, str, set[str]] | None
) -> None:
    example = parse_example(1, command)
    got = None if example is None else (example.method, example.path, set(example.query))
    assert got == expected


def test_inline_and_continued_examples_are_found_and_the_bulk_route_wins() -> None:
    markdown = (
        "Run `curl $B/activities` first.\n"
        "```bash\n"
        'curl -s -X POST "$B/instances/terminate?workflow=w" \\\n'
        "  -H 'Content-Type: application/json' -d '{\"reason\": \"r\"}'\n"
        "```\n"
    )
    found = doc_examples(markdown)
    assert [(e.line, e.method, e.path) for e in found] == [
        (1, "GET", "/activities"),
        (3, "POST", "/instances/terminate"),
    ]
    bulk = operation_of(found[1], OPERATIONS)
    assert bulk is not None and bulk.template == "/instances/terminate"
