"""A pinned definition compiled for the interpreter, memoised per process by its pin.

A Durable orchestrator re-runs from the top on every replay, so whatever the interpreter derives
from the definition alone (compiled templates and conditions, retry policies, the input schema's
validator) would be rebuilt on every replay of every instance. The loader pins each instance to
a content hash, and content with that hash never changes: a program compiled from it is a pure
function of the pin, so sharing one across replays and instances is exactly as deterministic as
recompiling it each time, and much cheaper.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import jsonschema

from .conditions import Predicate, compile_condition
from .definition import Definition, content_hash
from .expressions import Expression, compile_template
from .retry import RetryPolicy

__all__ = ["Program", "load_program", "program_for"]

_T = TypeVar("_T")

# Distinct pinned definitions one worker process keeps compiled; a worker rarely runs more.
_CAPACITY = 64
_PROGRAMS: OrderedDict[tuple[str, str, str, str], Program] = OrderedDict()
# Hosts may run orchestrator invocations on several threads; eviction must not race a lookup.
_LOCK = threading.Lock()


class Program:
    """One definition and the compiled forms of its parts, built on first use.

    Parts are looked up by the identity of their JSON object inside the definition's document.
    The program holds the document, so an identity cannot be reused by another object while
    the program lives; each entry also keeps its key object and checks it, so an object from
    outside the document (a default such as ``"$.state"``) is never confused with another.
    """

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.document = definition.document
        defaults = self.document.get("defaults") or {}
        self.default_retry = RetryPolicy.from_json(defaults.get("retry"))
        self.default_timeout: str | None = defaults.get("timeout")
        self.max_transitions = definition.max_transitions
        schema = self.document.get("input")
        self.input_validator: Any = (
            None if schema is None else jsonschema.Draft202012Validator(schema)
        )
        self._templates: dict[int, tuple[Any, Expression]] = {}
        self._conditions: dict[int, tuple[Any, Predicate]] = {}
        self._retries: dict[int, tuple[Any, RetryPolicy | None]] = {}

    def template(self, template: Any) -> Expression:
        """The compiled template (``.$`` keys, expressions, literals)."""
        return _memo(self._templates, template, compile_template)

    def condition(self, condition: dict[str, Any]) -> Predicate:
        """The compiled choice condition."""
        return _memo(self._conditions, condition, compile_condition)

    def retry(self, policy: Any) -> RetryPolicy | None:
        """The retry policy written as ``policy`` (``None`` when there is none)."""
        return _memo(self._retries, policy, RetryPolicy.from_json)


def _memo(cache: dict[int, tuple[Any, _T]], key: Any, build: Callable[[Any], _T]) -> _T:
    entry = cache.get(id(key))
    if entry is None or entry[0] is not key:
        entry = (key, build(key))
        cache[id(key)] = entry
    return entry[1]


def load_program(loaded: Any) -> Program:
    """The program for the loader activity's result; :class:`ValueError` when it is malformed.

    A replay in a process that already runs this pin reads only the pin: the document is
    unpacked once per process.
    """
    program = _cached(Definition.pin_of(loaded))
    return program if program is not None else program_for(Definition.from_json(loaded))


def program_for(definition: Definition) -> Program:
    """The compiled program of a pinned definition, shared by every replay in this process.

    A definition whose content does not hash to its pin (a hand-edited history, a faulty
    loader) still runs, compiled for this replay only: the cache must never hand one
    document's program to another. (Once a pin is cached, a replay presenting it runs the
    content that really has that hash.)
    """
    program = _cached(definition.pin)
    if program is not None:
        return program
    program = Program(definition)
    if content_hash(definition.document) == definition.hash:
        with _LOCK:
            _PROGRAMS[definition.pin] = program
            if len(_PROGRAMS) > _CAPACITY:
                _PROGRAMS.popitem(last=False)
    return program


def _cached(pin: tuple[str, str, str, str]) -> Program | None:
    with _LOCK:
        program = _PROGRAMS.get(pin)
        if program is not None:
            _PROGRAMS.move_to_end(pin)
        return program
