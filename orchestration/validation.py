"""The validator: every problem of a definition at once, each with a code and a JSON pointer.

It never raises: whatever the text, the answer is a list of :class:`Diagnostic`. Schema
checks come first (``workflows/schema/workflow.schema.json``); the semantic checks then run
defensively on whatever shape the document has, so one mistake does not hide the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from .activity_registry import ActivityRegistry, schema_errors
from .conditions import condition_operator
from .definition import parse_semver
from .errors import ExpressionError
from .expressions import compile_expression, template_expressions
from .paths import compile_path, compile_result_path
from .timeutil import parse_timestamp

__all__ = ["CODES", "SCHEMA_PATH", "Diagnostic", "has_errors", "validate_document", "validate_text"]

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent / "workflows" / "schema" / "workflow.schema.json"
)

CODES: dict[str, str] = {
    "json.invalid": "the text is not JSON",
    "json.duplicate-key": "an object has the same key twice (including duplicate state names)",
    "schema.violation": "the document does not match workflow.schema.json",
    "state.missing": "startAt, next, default, timeoutNext or a catch names no existing state",
    "state.unreachable": "no path from startAt leads to this state",
    "workflow.no-end": "no end, succeed or fail state can be reached from startAt",
    "loop.no-wait": "a loop has no task, wait, parallel, map, subworkflow or entity call in it",
    "activity.unknown": "the activity is not registered in the app",
    "activity.input-invalid": "a task's constant input (or its field names) breaks the "
    "activity's input schema",
    "entity.unknown": "the entity is not registered in the app",
    "path.invalid": "a JSONPath or intrinsic expression does not parse",
    "resultPath.outside-state": "a result path does not start with $.state",
    "wait.no-timeout": "(warning) a wait on an event has no timeout",
    "condition.invalid": "a choice condition has no operator or several",
    "regex.invalid": "a 'matches' pattern is not a valid regular expression",
    "timestamp.invalid": "an 'until' value is not an ISO 8601 timestamp",
    "version.invalid": "a subworkflow version is neither 'latest' nor a semantic version",
    "input.schema-invalid": "the 'input' JSON Schema is itself invalid",
    "validator.internal": "the validator itself failed (a bug: please report)",
}

_WORK_TYPES = {"task", "wait", "parallel", "map", "subworkflow"}  # and an entity call
_TERMINAL_TYPES = {"succeed", "fail"}


@dataclass(frozen=True)
class Diagnostic:
    """One finding: ``code`` from :data:`CODES`, RFC 6901 ``pointer``, message for people."""

    code: str
    pointer: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.code} at {self.pointer or '/'}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "pointer": self.pointer,
            "message": self.message,
            "severity": self.severity,
        }


def has_errors(diagnostics: Collection[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _join(pointer: str, *tokens: object) -> str:
    return pointer + "".join("/" + _escape(t) for t in tokens)


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers keys it saw more than once."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def validate_text(
    text: str | bytes,
    *,
    activities: Collection[str] | None = None,
    registry: ActivityRegistry | None = None,
    entities: Collection[str] | None = None,
) -> list[Diagnostic]:
    """Validate a definition given as JSON text (what the ``validate`` command reads).

    ``activities``: the names an activity may have (None: unchecked); ``registry``: schemas
    that constant task inputs are checked against (None: unchecked).
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        try:
            document = json.loads(text, object_pairs_hook=_pairs_hook)
        except (ValueError, RecursionError) as exc:
            return [Diagnostic("json.invalid", "", f"not valid JSON: {exc}")]
        found = list(_duplicates(document, ""))
        return found + validate_document(
            document, activities=activities, entities=entities, registry=registry
        )
    except Exception as exc:  # the contract is "never raises"; this is the last resort
        return [Diagnostic("validator.internal", "", f"{type(exc).__name__}: {exc}")]


def _duplicates(value: Any, pointer: str) -> Iterator[Diagnostic]:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            is_state = pointer.endswith("/states")
            what = f"duplicate state name {key!r}" if is_state else f"duplicate key {key!r}"
            yield Diagnostic(
                "json.duplicate-key", _join(pointer, key), f"{what}: JSON keeps only the last one"
            )
        for key, child in value.items():
            yield from _duplicates(child, _join(pointer, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _duplicates(child, _join(pointer, index))


@lru_cache(maxsize=1)
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_document(
    document: Any,
    *,
    activities: Collection[str] | None = None,
    registry: ActivityRegistry | None = None,
    entities: Collection[str] | None = None,
) -> list[Diagnostic]:
    """Validate a parsed definition. ``activities`` / ``entities``: the names the app
    registers (None: not checked); ``registry``: the activities' schemas for their inputs
    (None: unchecked)."""
    try:
        found = list(_schema_diagnostics(document))
        if isinstance(document, dict):
            checker = _Semantics(activities, registry, entities)
            checker.machine(document, "")
            checker.document_level(document)
            found.extend(checker.found)
        return found
    except Exception as exc:  # pragma: no cover - the fuzz test proves this is unreachable
        return [Diagnostic("validator.internal", "", f"{type(exc).__name__}: {exc}")]


def _schema_diagnostics(document: Any) -> Iterator[Diagnostic]:
    try:
        errors = sorted(
            _schema_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path))
        )
    except RecursionError:
        yield Diagnostic("schema.violation", "", "the document is nested too deeply to check")
        return
    for error in errors:
        path = list(error.absolute_path)
        # result paths get their own, clearer diagnostic from the semantic checks
        if error.validator == "pattern" and path and path[-1] == "resultPath":
            continue
        yield Diagnostic("schema.violation", _join("", *path), _schema_message(error))


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator in ("oneOf", "anyOf") and error.context:
        wanted = sorted({str(e.message) for e in error.context if e.validator == "required"})
        if wanted:
            return "expected exactly one of: " + "; ".join(wanted)
    if error.validator == "not" and isinstance(error.instance, dict):
        return f"{error.message} (these fields cannot be combined here)"
    return str(error.message)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Semantics:
    """Checks beyond the schema, run on each state machine (top level, branches, iterators)."""

    def __init__(
        self,
        activities: Collection[str] | None,
        registry: ActivityRegistry | None = None,
        entities: Collection[str] | None = None,
    ) -> None:
        self.activities = None if activities is None else set(activities)
        self.registry = registry
        # Durable entity names are case-insensitive (the extension lower-cases them).
        self.entities = None if entities is None else {e.lower() for e in entities}
        self.found: list[Diagnostic] = []

    def add(self, code: str, pointer: str, message: str, severity: str = "error") -> None:
        self.found.append(Diagnostic(code, pointer, message, severity))

    # --- structure ----------------------------------------------------------------------

    def machine(self, machine: dict[str, Any], pointer: str) -> None:
        states = _obj(machine.get("states"))
        start = machine.get("startAt")
        names = [n for n in states if isinstance(n, str)]
        edges: dict[str, list[str]] = {}
        for name in names:
            state = _obj(states[name])
            state_pointer = _join(pointer, "states", name)
            edges[name] = self.transitions(state, state_pointer, states)
            self.state(state, state_pointer)
        if not isinstance(start, str) or not states:
            return
        if start not in states:
            self.add(
                "state.missing",
                _join(pointer, "startAt"),
                f"startAt names state {start!r}, which is not in 'states'",
            )
            return
        reachable = _reachable(start, edges)
        for name in names:
            if name not in reachable:
                self.add(
                    "state.unreachable",
                    _join(pointer, "states", name),
                    f"state {name!r} cannot be reached from startAt {start!r}",
                )
        if not any(_is_terminal(_obj(states[n])) for n in reachable):
            self.add(
                "workflow.no-end",
                _join(pointer, "startAt"),
                'no state reachable from startAt ends the workflow ("end": true, succeed or fail)',
            )
        order = {name: index for index, name in enumerate(names)}
        for component in _cycles(reachable, edges):
            if not any(_does_work(_obj(states[n])) for n in component):
                first = min(component, key=order.__getitem__)
                loop = " -> ".join(sorted(component, key=order.__getitem__))
                self.add(
                    "loop.no-wait",
                    _join(pointer, "states", first),
                    f"the loop {loop} has no task, wait, parallel, map, subworkflow or entity "
                    "call: it would spin until the transition limit",
                )

    def transitions(self, state: dict[str, Any], pointer: str, states: dict[str, Any]) -> list[str]:
        targets: list[tuple[str, Any]] = [
            (_join(pointer, "next"), state.get("next")),
            (_join(pointer, "default"), state.get("default")),
            (_join(pointer, "timeoutNext"), state.get("timeoutNext")),
        ]
        for index, choice in enumerate(_list(state.get("choices"))):
            targets.append((_join(pointer, "choices", index, "next"), _obj(choice).get("next")))
        for index, catcher in enumerate(_list(state.get("catch"))):
            targets.append((_join(pointer, "catch", index, "next"), _obj(catcher).get("next")))
        out: list[str] = []
        for target_pointer, target in targets:
            if not isinstance(target, str):
                continue
            if target in states:
                out.append(target)
            else:
                self.add(
                    "state.missing",
                    target_pointer,
                    f"names state {target!r}, which is not in 'states'",
                )
        return out

    # --- one state ----------------------------------------------------------------------

    def state(self, state: dict[str, Any], pointer: str) -> None:
        kind = state.get("type")
        for key in ("resultPath",):
            if key in state:
                self.result_path(state[key], _join(pointer, key))
        for index, catcher in enumerate(_list(state.get("catch"))):
            if "resultPath" in _obj(catcher):
                self.result_path(
                    catcher["resultPath"], _join(pointer, "catch", index, "resultPath")
                )
        for key in ("duration.$", "until.$", "cause.$", "error.$", "count.$"):
            if key in state:
                self.expression(state[key], _join(pointer, key))
        if kind == "task":
            self.activity(state.get("activity"), _join(pointer, "activity"))
            self.template(state.get("input"), _join(pointer, "input"))
            self.activity_input(state.get("activity"), state, _join(pointer, "input"))
            compensate = _obj(state.get("compensate"))
            if compensate:
                self.activity(compensate.get("activity"), _join(pointer, "compensate", "activity"))
                self.template(compensate.get("input"), _join(pointer, "compensate", "input"))
                self.activity_input(
                    compensate.get("activity"), compensate, _join(pointer, "compensate", "input")
                )
        elif kind == "pass":
            self.template(state.get("result"), _join(pointer, "result"))
        elif kind == "succeed":
            self.template(state.get("output"), _join(pointer, "output"))
        elif kind == "subworkflow":
            self.template(state.get("input"), _join(pointer, "input"))
            version = state.get("version")
            if isinstance(version, str) and version != "latest":
                try:
                    parse_semver(version)
                except ValueError as exc:
                    self.add("version.invalid", _join(pointer, "version"), f"{exc} or 'latest'")
        elif kind == "wait":
            self.wait(state, pointer)
        elif kind == "entity":
            self.entity(state.get("entity"), _join(pointer, "entity"))
            self.template(state.get("input"), _join(pointer, "input"))
            if "key.$" in state:
                self.expression(state["key.$"], _join(pointer, "key.$"))
        elif kind == "choice":
            for index, choice in enumerate(_list(state.get("choices"))):
                if "when" in _obj(choice):
                    self.condition(choice["when"], _join(pointer, "choices", index, "when"))
        elif kind == "parallel":
            for index, branch in enumerate(_list(state.get("branches"))):
                if isinstance(branch, dict):
                    self.machine(branch, _join(pointer, "branches", index))
        elif kind == "map":
            if "items" in state:
                self.expression(state["items"], _join(pointer, "items"))
            if isinstance(state.get("iterator"), dict):
                self.machine(state["iterator"], _join(pointer, "iterator"))

    def wait(self, state: dict[str, Any], pointer: str) -> None:
        if isinstance(state.get("until"), str):
            self.timestamp(state["until"], _join(pointer, "until"))
        timeout = _obj(state.get("timeout"))
        for key in ("duration.$", "until.$"):
            if key in timeout:
                self.expression(timeout[key], _join(pointer, "timeout", key))
        if isinstance(timeout.get("until"), str):
            self.timestamp(timeout["until"], _join(pointer, "timeout", "until"))
        if "event" in state and "timeout" not in state:
            self.add(
                "wait.no-timeout",
                _join(pointer, "event"),
                f"waits for event {state['event']!r} with no timeout: it can wait forever",
                severity="warning",
            )

    def condition(self, condition: Any, pointer: str) -> None:
        if not isinstance(condition, dict):
            return
        for combinator in ("and", "or"):
            for index, child in enumerate(_list(condition.get(combinator))):
                self.condition(child, _join(pointer, combinator, index))
        if "not" in condition:
            self.condition(condition["not"], _join(pointer, "not"))
        if any(k in condition for k in ("and", "or", "not")):
            return
        operators = [k for k in condition if k not in ("path", "comment")]
        if len(operators) != 1 or condition_operator(condition) is None:
            self.add(
                "condition.invalid",
                pointer,
                "a condition needs 'path' and exactly one operator such as 'equals' "
                f"or 'equals.$', found {sorted(operators) or 'none'}",
            )
        if "path" in condition:
            self.path(condition["path"], _join(pointer, "path"))
        for key in operators:
            if key.endswith(".$"):
                self.expression(condition[key], _join(pointer, key))
        if isinstance(condition.get("matches"), str):
            try:
                re.compile(condition["matches"])
            except re.error as exc:
                self.add(
                    "regex.invalid",
                    _join(pointer, "matches"),
                    f"the pattern does not compile: {exc}",
                )

    # --- leaves -------------------------------------------------------------------------

    def activity(self, name: Any, pointer: str) -> None:
        if self.activities is None or not isinstance(name, str):
            return
        if name not in self.activities:
            known = ", ".join(sorted(self.activities)) or "none"
            self.add(
                "activity.unknown",
                pointer,
                f"activity {name!r} is not registered in the app (registered: {known})",
            )

    def activity_input(self, name: Any, owner: dict[str, Any], pointer: str) -> None:
        """What can be known of a task's input before it runs, against the activity's schema.

        A constant input is checked whole. An object template is checked field by field: the
        fields it will have (``"x.$"`` gives ``x``) against ``required`` and, with
        ``additionalProperties: false``, against ``properties``; its constant fields against
        their property schemas. Values computed at run time are checked when the task runs.
        """
        entry = self.registry.get(name) if self.registry and isinstance(name, str) else None
        if entry is None:
            return
        template = owner.get("input")
        try:
            dynamic = bool(template_expressions(template, pointer))
        except RecursionError:
            return
        if not dynamic:
            for field, message in entry.input_errors(template):
                self.add(
                    "activity.input-invalid", pointer, f"activity {name!r}: {field}: {message}"
                )
            return
        schema = entry.input
        if not isinstance(template, dict) or not isinstance(schema, dict):
            return
        fields = {key[:-2] if key.endswith(".$") else key: key for key in template}
        for missing in schema.get("required", ()):
            if missing not in fields:
                self.add(
                    "activity.input-invalid", pointer, f"activity {name!r}: {missing}: is required"
                )
        properties = _obj(schema.get("properties"))
        for field, key in fields.items():
            if field not in properties:
                if schema.get("additionalProperties") is False:
                    known = ", ".join(sorted(properties)) or "none"
                    self.add(
                        "activity.input-invalid",
                        _join(pointer, key),
                        f"activity {name!r} takes no field {field!r} (fields: {known})",
                    )
                continue
            if key.endswith(".$") or template_expressions(template[key], "", top_level=False):
                continue
            checker = jsonschema.Draft202012Validator(properties[field])
            for inner, message in schema_errors(checker, template[key]):
                where = field if inner == "(input)" else f"{field}/{inner}"
                self.add(
                    "activity.input-invalid",
                    _join(pointer, key),
                    f"activity {name!r}: {where}: {message}",
                )

    def entity(self, name: Any, pointer: str) -> None:
        if self.entities is None or not isinstance(name, str):
            return
        if name.lower() not in self.entities:
            known = ", ".join(sorted(self.entities)) or "none"
            self.add(
                "entity.unknown",
                pointer,
                f"entity {name!r} is not registered in the app (registered: {known})",
            )

    def template(self, template: Any, pointer: str) -> None:
        try:
            expressions = template_expressions(template, pointer)
        except RecursionError:
            self.add("path.invalid", pointer, "the template is nested too deeply")
            return
        for expression_pointer, text in expressions:
            self.expression(text, expression_pointer)

    def expression(self, text: Any, pointer: str) -> None:
        if not isinstance(text, str):
            self.add(
                "path.invalid",
                pointer,
                f"expected a JSONPath or intrinsic call string, got {text!r}",
            )
            return
        try:
            compile_expression(text)
        except (ExpressionError, RecursionError) as exc:
            self.add("path.invalid", pointer, str(exc))

    def path(self, text: Any, pointer: str) -> None:
        if not isinstance(text, str):
            return
        try:
            compile_path(text)
        except ExpressionError as exc:
            self.add("path.invalid", pointer, str(exc))

    def result_path(self, text: Any, pointer: str) -> None:
        if not isinstance(text, str):
            return
        try:
            compile_result_path(text)
        except ExpressionError as exc:
            self.add("resultPath.outside-state", pointer, str(exc))

    def timestamp(self, text: str, pointer: str) -> None:
        try:
            parse_timestamp(text)
        except ValueError as exc:
            self.add("timestamp.invalid", pointer, str(exc))

    def document_level(self, document: dict[str, Any]) -> None:
        if "output" in document:
            self.template(document["output"], "/output")
        schema = document.get("input")
        if isinstance(schema, dict | bool):
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                self.add(
                    "input.schema-invalid", "/input", f"not a valid JSON Schema: {exc.message}"
                )


def _is_terminal(state: dict[str, Any]) -> bool:
    return state.get("end") is True or _kind(state) in _TERMINAL_TYPES


def _does_work(state: dict[str, Any]) -> bool:
    """The state yields to the platform: a loop through it cannot spin. A signal does not."""
    kind = _kind(state)
    return kind in _WORK_TYPES or (kind == "entity" and state.get("signal") is not True)


def _kind(state: dict[str, Any]) -> str:
    kind = state.get("type")
    return kind if isinstance(kind, str) else ""


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in edges.get(stack.pop(), []):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _cycles(nodes: set[str], edges: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components that contain a cycle (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = [c for c in edges.get(node, []) if c in nodes]
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, []):
                    components.append(component)
    return components
