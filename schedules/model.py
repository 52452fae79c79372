"""Schedule entries and the sync items the timer makes of them, with the checks that name each
bad field.

A schedules document is ``{"schedules": [entry, ...]}``; an entry is ``{"id", "name",
"schedule", "workflow", "version"?, "input"?, "enabled"?}``. A bad entry is rejected with every
field at fault named and the good ones still run, so one typo never stops every schedule. The
same field rules check a sync item read back from the queue, where the item is untrusted text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from schedules.cron import Cron, CronError, parse_cron

__all__ = [
    "ENTRY_FIELDS",
    "INSTANCE_DATE_FORMAT",
    "MAX_INPUT_BYTES",
    "BadSyncItem",
    "Rejection",
    "Schedule",
    "SyncItem",
    "parse_entry",
    "parse_schedules_document",
    "parse_sync_item",
]

ENTRY_FIELDS = ("id", "name", "schedule", "workflow", "version", "input", "enabled")
ITEM_FIELDS = ("id", "syncName", "triggerDateUtc", "workflow", "version", "input")
# id and name become part of an instance id: letters, digits and . _ - (no / \ # ? or spaces).
_KEY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$")
_KEY_RULE = "1-64 letters, digits, '.', '_' or '-', starting and ending with a letter or digit"
_WORKFLOW = re.compile(r"^[a-z][a-z0-9-]{0,99}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
# A storage queue message holds 64 KiB; the item's input must leave room for the rest.
MAX_INPUT_BYTES = 32 * 1024
# A schedules document is read on every tick; a huge one is refused, not parsed.
MAX_DOCUMENT_BYTES = 1024 * 1024
# The instance id's date: ISO 8601 basic format, UTC, to the second (sortable, URL-safe).
INSTANCE_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Rejection:
    """Why an entry (or a whole source, ``index`` None) was not loaded."""

    source: str
    index: int | None
    schedule_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.index is None else f"{self.source} schedules[{self.index}]"
        named = f" (id {self.schedule_id!r})" if self.schedule_id else ""
        return f"{where}{named}: {self.field}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "index": self.index,
            "id": self.schedule_id,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True)
class Schedule:
    """One valid schedule entry."""

    id: str
    name: str
    cron: Cron
    workflow: str
    version: str | None
    input: Mapping[str, Any]
    enabled: bool
    source: str = ""
    index: int | None = None  # position in its source document

    def item_at(self, trigger: datetime) -> SyncItem:
        """The sync item of the occurrence at ``trigger``."""
        return SyncItem(self.id, self.name, trigger, self.workflow, self.version, dict(self.input))


@dataclass(frozen=True)
class SyncItem:
    """What the timer enqueues to ``output-queue`` and the queue trigger starts."""

    id: str
    sync_name: str
    trigger: datetime
    workflow: str
    version: str | None
    input: dict[str, Any] = field(default_factory=dict)

    @property
    def instance_id(self) -> str:
        """``Workflow-{Id}-{SyncName}-{Date}``, the date as ``20260601T080015Z``."""
        return (
            f"Workflow-{self.id}-{self.sync_name}-"
            f"{self.trigger.astimezone(UTC).strftime(INSTANCE_DATE_FORMAT)}"
        )

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.id,
            "syncName": self.sync_name,
            "triggerDateUtc": self.trigger.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "workflow": self.workflow,
            "input": self.input,
        }
        if self.version is not None:
            item["version"] = self.version
        return item

    def orchestrator_input(self) -> dict[str, Any]:
        """The generic orchestrator's input: the workflow to run and the schedule's input."""
        started: dict[str, Any] = {"workflow": self.workflow, "input": self.input}
        if self.version is not None:
            started["version"] = self.version
        return started


class _Problems:
    """Collects ``(field, message)`` pairs so every bad field is reported at once."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, name: str, message: str) -> None:
        self.found.append((name, message))

    def key(self, data: Mapping[str, Any], name: str) -> str:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)  # "id": 1 reads as the seed writes it
        if not isinstance(value, str) or not _KEY.match(value):
            self.add(name, f"expected {_KEY_RULE}, got {_shown(value)}")
            return ""
        return value

    def workflow(self, data: Mapping[str, Any]) -> str:
        value = data.get("workflow")
        if not isinstance(value, str) or not _WORKFLOW.match(value):
            self.add("workflow", f"expected a workflow name ([a-z][a-z0-9-]*), got {_shown(value)}")
            return ""
        return value

    def version(self, data: Mapping[str, Any]) -> str | None:
        value = data.get("version")
        if value is None or value == "latest":
            return None
        if not isinstance(value, str) or not _SEMVER.match(value):
            self.add(
                "version",
                f"expected 'latest' or a semantic version such as '1.0.0', got {_shown(value)}",
            )
        return value if isinstance(value, str) else None

    def input(self, data: Mapping[str, Any]) -> dict[str, Any]:
        value = data.get("input", {})
        if not isinstance(value, dict):
            self.add("input", f"expected a JSON object (the workflow's input), got {_shown(value)}")
            return {}
        try:
            size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        except (ValueError, RecursionError):  # lone surrogates, cycles, depth
            self.add("input", "expected JSON text that can be sent on a queue")
            return {}
        if size > MAX_INPUT_BYTES:
            self.add("input", f"is {size} bytes; at most {MAX_INPUT_BYTES} fit a queue message")
        return value

    def unknown(self, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for name in sorted(set(data) - set(known), key=str):
            self.add(_label(name), f"is not a field here; expected only {', '.join(known)}")


def parse_entry(data: Any) -> tuple[Schedule | None, list[tuple[str, str]]]:
    """One entry: the schedule, or None and every ``(field, message)`` wrong with it."""
    if not isinstance(data, dict):
        return None, [("(entry)", f"expected a JSON object, got {_shown(data)}")]
    problems = _Problems()
    problems.unknown(data, ENTRY_FIELDS)
    schedule_id = problems.key(data, "id")
    name = problems.key(data, "name")
    cron = None
    try:
        cron = parse_cron(data.get("schedule"))
    except CronError as error:
        problems.add("schedule", str(error))
    workflow = problems.workflow(data)
    version = problems.version(data)
    workflow_input = problems.input(data)
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add("enabled", f"expected true or false, got {_shown(enabled)}")
    if problems.found or cron is None:
        return None, problems.found
    return Schedule(schedule_id, name, cron, workflow, version, workflow_input, bool(enabled)), []


def parse_schedules_document(
    text: str | bytes,
    source: str,
) -> tuple[list[Schedule], list[Rejection]]:
    """Every entry of one schedules document: the good ones and a rejection per bad field."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        return [], [
            Rejection(
                source,
                None,
                None,
                "(document)",
                f"is {size} bytes; at most {MAX_DOCUMENT_BYTES} are read",
            )
        ]
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return [], [Rejection(source, None, None, "(document)", f"not JSON text: {error}")]
    entries = document.get("schedules") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [], [
            Rejection(source, None, None, "schedules", 'expected a document {"schedules": [ ... ]}')
        ]
    extra = sorted(set(document) - {"schedules", "$schema"})
    if extra:
        return [], [
            Rejection(
                source,
                None,
                None,
                _label(extra[0]),
                'is not a field of a schedules document; expected only "schedules" (and "$schema")',
            )
        ]
    schedules: list[Schedule] = []
    rejections: list[Rejection] = []
    for index, entry in enumerate(entries):
        schedule, problems = parse_entry(entry)
        if schedule is not None:
            schedules.append(replace(schedule, source=source, index=index))
            continue
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        shown_id = str(raw_id)[:64] if isinstance(raw_id, str | int) else None
        rejections.extend(
            Rejection(source, index, shown_id, name, message) for name, message in problems
        )
    return schedules, rejections


class BadSyncItem(ValueError):
    """A queue message that is not a sync item: ``reason`` is the quarantine code."""

    def __init__(self, reason: str, details: dict[str, Any]) -> None:
        super().__init__(f"{reason}: {details}")
        self.reason = reason
        self.details = details


def parse_sync_item(body: bytes) -> SyncItem:
    """Read a queue message as a sync item, or raise :class:`BadSyncItem` naming every field."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise BadSyncItem(
            "not-json",
            {"error": f"the body is not UTF-8 text ({error.reason} at byte {error.start})"},
        ) from None
    except (ValueError, RecursionError) as error:
        raise BadSyncItem("not-json", {"error": f"the body is not JSON: {error}"}) from None
    if not isinstance(data, dict):
        raise BadSyncItem(
            "schema-invalid",
            {"errors": [{"field": "(message)", "message": "(message): expected a JSON object"}]},
        )
    problems = _Problems()
    problems.unknown(data, ITEM_FIELDS)
    item_id = problems.key(data, "id")
    sync_name = problems.key(data, "syncName")
    trigger = _trigger(data.get("triggerDateUtc"), problems)
    workflow = problems.workflow(data)
    version = problems.version(data)
    workflow_input = problems.input(data)
    if problems.found or trigger is None:
        raise BadSyncItem(
            "schema-invalid",
            {
                "errors": [
                    {"field": name, "message": f"{name}: {message}"}
                    for name, message in problems.found
                ]
            },
        )
    return SyncItem(item_id, sync_name, trigger, workflow, version, workflow_input)


def _trigger(value: Any, problems: _Problems) -> datetime | None:
    expected = "expected an ISO 8601 UTC timestamp such as '2026-06-01T08:00:15Z'"
    if not isinstance(value, str) or len(value) > 40:
        problems.add("triggerDateUtc", f"{expected}, got {_shown(value)}")
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.add("triggerDateUtc", f"{expected}, got {_shown(value)}")
        return None
    if moment.utcoffset() is None:
        problems.add("triggerDateUtc", f"{expected} (with a zone), got {_shown(value)}")
        return None
    return moment.astimezone(UTC)


_PLAIN_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.-]{0,63}$")


def _label(name: str) -> str:
    """A field name fit to print: as is when plain, else quoted (empty, spaces, control
    characters, very long)."""
    return name if _PLAIN_NAME.match(name) else _shown(name)


def _shown(value: Any) -> str:
    """A value for an error message: JSON, cut short (hostile input stays one short line)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."
