"""Which library version a document revision was filed as, read back from its audit trail.

Filing records ``filed`` with the library path and version id; its compensation records
``unfiled`` with the same pair. The revision's filed version is its last ``filed`` event that
no later ``unfiled`` took back, so the requester's link opens exactly what was approved, even
after later revisions added newer versions of the same library file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from services.errors import NotFound
from services.records.audit import list_events

__all__ = ["FiledVersion", "filed_version"]


@dataclass(frozen=True)
class FiledVersion:
    document_id: str
    revision: int
    library_path: str
    version_id: str


def filed_version(engine: Engine, document_id: str, revision: int | None = None) -> FiledVersion:
    """The library version of ``revision`` (None: the newest filed revision); ``NotFound``
    when it was never filed or its filing was undone."""
    live: dict[tuple[str, str], FiledVersion] = {}
    for event in list_events(engine, document_id):
        data = event.data if isinstance(event.data, dict) else {}
        path, version = data.get("libraryPath"), data.get("versionId")
        if not isinstance(path, str) or not isinstance(version, str):
            continue
        if event.type == "filed" and isinstance(data.get("revision"), int):
            live.pop((path, version), None)  # keep file order: the newest filing is last
            live[(path, version)] = FiledVersion(document_id, data["revision"], path, version)
        elif event.type == "unfiled":
            live.pop((path, version), None)
    chosen = [f for f in live.values() if revision is None or f.revision == revision]
    if not chosen:
        which = "any revision" if revision is None else f"revision {revision}"
        raise NotFound(f"document {document_id} has no filed version for {which}")
    return chosen[-1]
