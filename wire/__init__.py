"""The app's JSON: how the services' types are written for workflows and for HTTP clients.

Services return frozen dataclasses in the domain's own terms (snake_case fields, ``datetime``
values, tuples); the edges (``activities/``, ``api/``, ``ingress/``, ``entities/``) write them
with :func:`to_json`, so the wire's conventions are decided in one place and not in each
service:

- a dataclass becomes an object whose keys are its field names in camelCase
  (``decided_at`` -> ``decidedAt``), or the name given with ``field(metadata=json_name("self"))``;
- a field marked ``omit_none()`` is left out while it is ``None`` (a key that a reader tests for
  presence, such as a ballot's ``ignoredVote``);
- a field marked ``inline()`` (a mapping, or a dataclass such as the record a receipt carries)
  has its keys merged into the object;
- a ``datetime`` becomes ISO 8601 UTC with ``Z``; a tuple a list; an ``Enum`` its value;
- a mapping keeps its keys as they are: data that came from outside (an event's payload, a
  record) is never renamed.

Activity results written this way land in orchestration histories, so a change of shape here
is a change of what running workflows read: the recorded histories under ``tests/`` replay
against it. Why by hand: cattrs could unstructure with a camelCase rename, but configured with
these switches it is no shorter than this and adds a dependency to what Azure installs.
The switches are declared in ``services._fields`` (a service declares its dataclasses, and
services may not import ``wire``) and re-exported here for the edges.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, overload

from services import iso
from services._fields import INLINE, NAME, OMIT_NONE, inline, json_name, omit_none

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["camel", "inline", "json_name", "omit_none", "to_json"]


def camel(name: str) -> str:
    """``decided_at`` -> ``decidedAt``; a name without underscores is kept."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _plan(cls: type) -> tuple[tuple[str, str, bool, bool], ...]:
    """``(attribute, key, omit when None, inline)`` per field, computed once per class."""
    return tuple(
        (
            f.name,
            f.metadata.get(NAME, camel(f.name)),
            bool(f.metadata.get(OMIT_NONE)),
            bool(f.metadata.get(INLINE)),
        )
        for f in dataclasses.fields(cls)
    )


# What each kind of value becomes, so that an edge which reads a key of a dataclass's JSON, or
# returns it as an activity's object, is checked (the last overload takes what is not known).
@overload
def to_json(value: DataclassInstance | Mapping[str, Any]) -> dict[str, Any]: ...
@overload
def to_json(value: list[Any] | tuple[Any, ...]) -> list[Any]: ...
@overload
def to_json(value: datetime) -> str: ...
@overload
def to_json(value: Any) -> Any: ...
def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data (dicts, lists, str, numbers, bools, None)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for attribute, key, skip_none, merge in _plan(type(value)):
            item = getattr(value, attribute)
            if item is None and skip_none:
                continue
            if merge:
                out.update(to_json(item))
            else:
                out[key] = to_json(item)
        return out
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
