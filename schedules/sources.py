"""Where schedules are kept: the file ``SCHEDULES_FILE`` and the blob container
``SCHEDULES_CONTAINER`` (every ``*.json`` in it), both in the same document format.

Read on every tick, so an edited file or an uploaded blob applies from the next tick without a
restart. A source that cannot be read is reported and skipped; the others still run. An id
defined twice keeps its first definition (the file first, then blobs in name order) and the
second is rejected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from schedules.model import Rejection, Schedule, parse_schedules_document

__all__ = ["BlobReader", "LoadedSchedules", "load_schedules"]

log = logging.getLogger(__name__)


class BlobReader(Protocol):
    """The two blob reads used here (``adapters.BlobStore`` has them)."""

    def list_names(self, container: str, prefix: str = "") -> list[str]: ...

    def get(self, container: str, name: str) -> Any: ...


@dataclass(frozen=True)
class LoadedSchedules:
    """The schedules that run and every rejection, each naming its source and field."""

    schedules: list[Schedule] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def load_schedules(
    *, file: Path | None, blobs: BlobReader | None = None, container: str | None = None
) -> LoadedSchedules:
    """Read the file (a missing one has no schedules) and the container, then merge."""
    documents: list[tuple[str, bytes | None, str | None]] = []
    if file is not None:
        documents.append(_read_file(file))
    if blobs is not None and container:
        documents.extend(_read_container(blobs, container))
    schedules: list[Schedule] = []
    rejections: list[Rejection] = []
    for source, content, unreadable in documents:
        if unreadable is not None:
            rejections.append(Rejection(source, None, None, "(source)", unreadable))
            continue
        if content is None:
            continue
        good, bad = parse_schedules_document(content, source)
        rejections.extend(bad)
        schedules.extend(good)
    return _without_duplicates(schedules, rejections)


def _read_file(path: Path) -> tuple[str, bytes | None, str | None]:
    try:
        return str(path), path.read_bytes(), None
    except FileNotFoundError:
        return str(path), None, None
    except OSError as error:
        return str(path), None, f"cannot be read: {error.strerror or error}"


def _read_container(
    blobs: BlobReader,
    container: str,
) -> Iterable[tuple[str, bytes | None, str | None]]:
    where = f"blob container {container}"
    try:
        names = sorted(n for n in blobs.list_names(container) if n.endswith(".json"))
    except LookupError:
        return []
    except Exception as error:  # an unreachable store must not stop the file's schedules
        log.warning("schedules: %s cannot be listed: %s", where, error)
        return [(where, None, f"cannot be listed: {type(error).__name__}")]
    found: list[tuple[str, bytes | None, str | None]] = []
    for name in names:
        # A blob name is anyone's text: keep control characters out of the logs.
        source = f"{where}/{name if name.isprintable() else json.dumps(name)}"
        try:
            found.append((source, bytes(blobs.get(container, name).content), None))
        except LookupError:
            continue  # deleted between list and get
        except Exception as error:
            log.warning("schedules: %s cannot be read: %s", source, error)
            found.append((source, None, f"cannot be read: {type(error).__name__}"))
    return found


def _without_duplicates(schedules: list[Schedule], rejections: list[Rejection]) -> LoadedSchedules:
    kept: dict[str, Schedule] = {}
    for schedule in schedules:
        first = kept.get(schedule.id)
        if first is None:
            kept[schedule.id] = schedule
            continue
        rejections.append(
            Rejection(
                schedule.source,
                schedule.index,
                schedule.id,
                "id",
                f"{schedule.id!r} is already defined in {first.source}",
            )
        )
    return LoadedSchedules(list(kept.values()), rejections)
