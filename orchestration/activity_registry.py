"""The activity registry: what each activity takes and returns, from its schema file.

Every activity has ``activities/schemas/<name>.json``:
``{"description": "...", "input": <JSON Schema>, "output": <JSON Schema>}``. The registry is
read by the validator (unknown activities, constant inputs that break the schema), the upload
route and ``GET /api/activities``; and :class:`CheckedBlueprint` checks every input against it
when the activity runs, so a caller's mistake fails at once, named, instead of deep inside a
service (:mod:`.checked_blueprint`). The failure is :class:`ActivityInputInvalid`, whose error
name in a workflow is ``Activity.InputInvalid``; it is never retried (see :mod:`.retry`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ACTIVITY_INPUT_INVALID

__all__ = [
    "SCHEMAS_PATH",
    "ActivityInputInvalid",
    "ActivityRegistry",
    "ActivitySchema",
    "RegistryError",
    "default_registry",
    "schema_errors",
]

log = logging.getLogger(__name__)

SCHEMAS_PATH = Path(__file__).resolve().parent.parent / "activities" / "schemas"
_KEYS = ("description", "input", "output")


class ActivityInputInvalid(Exception):
    """An activity's input breaks its schema; the message names every field at fault."""

    def __init__(self, activity: str, errors: list[tuple[str, str]]) -> None:
        described = "; ".join(f"{field}: {message}" for field, message in errors)
        super().__init__(f"input of activity {activity!r} does not match its schema: {described}")
        self.activity = activity
        self.errors = errors


# The host reports a failure as "<type name>: <message>" and the workflow's error name is that
# type name (orchestration.errors.error_from_failure): this one's is "Activity.InputInvalid".
ActivityInputInvalid.__name__ = ACTIVITY_INPUT_INVALID


class RegistryError(ValueError):
    """A schema file that is not ``{"description", "input", "output"}`` with valid schemas."""


@dataclass(frozen=True)
class ActivitySchema:
    """One activity's entry: its description and the JSON Schemas of its input and output."""

    name: str
    description: str
    input: Any
    output: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input": self.input,
            "output": self.output,
        }

    @functools.cached_property
    def input_validator(self) -> Any:
        return jsonschema.Draft202012Validator(self.input)

    def input_errors(self, value: Any) -> list[tuple[str, str]]:
        """Every way ``value`` breaks the input schema, as ``(field, message)``."""
        return schema_errors(self.input_validator, value)


def schema_errors(validator: Any, value: Any) -> list[tuple[str, str]]:
    """``(field, message)`` for each error of ``value``; a missing property is its own field.

    The field is a JSON-pointer-like path without the leading slash (``ballot/decision``), or
    ``(input)`` for the value itself.
    """
    found: list[tuple[str, str]] = []
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
    except RecursionError:
        return [("(input)", "nested too deeply to check")]
    for error in errors:
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            # jsonschema reports one error per missing name, each listing all of them.
            missing = [
                name
                for name in error.validator_value
                if isinstance(error.instance, dict) and name not in error.instance
            ]
            for name in missing:
                found.append(("/".join([*path, name]), "is required"))
            continue
        found.append(("/".join(path) or "(input)", _short(error.message)))
    return list(dict.fromkeys(found))


def _short(message: str, limit: int = 200) -> str:
    """jsonschema quotes the whole instance; a huge input must not make a huge error."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


class ActivityRegistry:
    """The schema files of one folder, by activity name (read once, at construction)."""

    def __init__(self, entries: Mapping[str, ActivitySchema]) -> None:
        self._entries = dict(sorted(entries.items()))

    @classmethod
    def from_folder(cls, folder: str | Path) -> ActivityRegistry:
        """Read every ``<name>.json``; a malformed file raises :class:`RegistryError`."""
        entries = {}
        for path in sorted(Path(folder).glob("*.json")):
            entries[path.stem] = _read_entry(path)
        return cls(entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[ActivitySchema]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._entries)

    def get(self, name: str) -> ActivitySchema | None:
        return self._entries.get(name)

    def check_input(self, name: str, value: Any) -> None:
        """Raise :class:`ActivityInputInvalid` when ``value`` breaks ``name``'s input schema.

        An activity without a schema file is not checked (a test holds every registered
        activity to having one).
        """
        entry = self._entries.get(name)
        if entry is None:
            return
        errors = entry.input_errors(value)
        if errors:
            raise ActivityInputInvalid(name, errors)


def _read_entry(path: Path) -> ActivitySchema:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path}: not readable JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) != set(_KEYS):
        raise RegistryError(f"{path}: expected exactly the keys {', '.join(_KEYS)}")
    if not isinstance(data["description"], str) or not data["description"].strip():
        raise RegistryError(f"{path}: 'description' must be a non-empty string")
    for key in ("input", "output"):
        try:
            jsonschema.Draft202012Validator.check_schema(data[key])
        except jsonschema.SchemaError as exc:
            raise RegistryError(
                f"{path}: '{key}' is not a valid JSON Schema: {exc.message}"
            ) from None
    return ActivitySchema(path.stem, data["description"], data["input"], data["output"])


@functools.cache
def default_registry() -> ActivityRegistry:
    """The app's registry, ``activities/schemas`` (read once per process)."""
    return ActivityRegistry.from_folder(SCHEMAS_PATH)
