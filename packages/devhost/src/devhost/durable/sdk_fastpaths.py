"""Two exact fast paths for hot spots of the SDK's replay, installed by devhost.

Every episode replays the whole history through ``azure-functions-durable``, and two of its
steps cost more than everything else in a replay of a small orchestration:

* ``HistoryEvent`` parses each event's ``Timestamp`` with ``dateutil.parser.parse`` (about two
  thirds of a replay). devhost writes one fixed form (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, see
  ``_sqlite.to_ts``) that ``datetime.fromisoformat`` reads thirty times faster;
  :func:`parse_timestamp` returns the very value dateutil would for that form (same instant,
  and the same zone object: dateutil picks ``tzlocal()`` or ``tzutc()`` for "Z" depending on
  the machine's zone, so the zone is taken from dateutil itself) and hands every other input
  to dateutil unchanged.
* ``TaskOrchestrationExecutor.__init__`` builds a ``namedtuple`` class on every invocation
  (``exec`` of generated source). :func:`namedtuple_once` returns the same class for the same
  name and fields; the SDK only builds two fixed payloads from it.

Both are pure replacements: the SDK computes the same values, only sooner. :func:`install`
applies them when the SDK has the expected module attributes and skips any that it does not
(another SDK version then simply runs at its own speed); ``installed()`` says which are active.
"""

from __future__ import annotations

import collections
import functools
import importlib
from datetime import datetime
from typing import Any

from dateutil.parser import parse as dateutil_parse  # type: ignore[import-untyped]

__all__ = ["install", "installed", "namedtuple_once", "parse_timestamp", "uninstall"]

# The zone dateutil gives a "Z" timestamp in this process (it depends on the local zone only).
_ZONE = dateutil_parse("2000-01-01T00:00:00.000000Z").tzinfo


def parse_timestamp(text: Any, *args: Any, **kwargs: Any) -> datetime:
    if (
        not args
        and not kwargs
        and type(text) is str
        and len(text) == 27
        and text[10] == "T"
        and text[19] == "."
        and text[26] == "Z"
    ):
        try:
            return datetime.fromisoformat(text[:26]).replace(tzinfo=_ZONE)
        except ValueError:
            pass  # not a real date after all; dateutil raises the error the SDK would see
    result: datetime = dateutil_parse(text, *args, **kwargs)
    return result


@functools.lru_cache(maxsize=64)
def _namedtuple(typename: str, field_names: tuple[str, ...]) -> type:
    return collections.namedtuple(typename, field_names)


def namedtuple_once(typename: str, field_names: Any, **kwargs: Any) -> type:
    if kwargs or not isinstance(field_names, tuple):
        return collections.namedtuple(typename, field_names, **kwargs)
    return _namedtuple(typename, field_names)


# (module, global name the SDK calls, the original it must still be, the replacement)
_PATCHES = (
    (
        "azure.durable_functions.models.history.HistoryEvent",
        "dt_parse",
        dateutil_parse,
        parse_timestamp,
    ),
    (
        "azure.durable_functions.models.TaskOrchestrationExecutor",
        "namedtuple",
        collections.namedtuple,
        namedtuple_once,
    ),
)


def install() -> None:
    """Apply the fast paths in this process (idempotent)."""
    for module_name, attribute, original, replacement in _PATCHES:
        module = importlib.import_module(module_name)
        if getattr(module, attribute, None) is original:
            setattr(module, attribute, replacement)


def uninstall() -> None:
    """Put the SDK's own functions back (benchmarks compare both)."""
    for module_name, attribute, original, replacement in _PATCHES:
        module = importlib.import_module(module_name)
        if getattr(module, attribute, None) is replacement:
            setattr(module, attribute, original)


def installed() -> list[str]:
    """``module.attribute`` of each fast path active in this process."""
    return [
        f"{module_name}.{attribute}"
        for module_name, attribute, _, replacement in _PATCHES
        if getattr(importlib.import_module(module_name), attribute, None) is replacement
    ]
