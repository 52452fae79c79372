"""The document library port: a versioned file store (SharePoint in Azure, a folder locally).

Paths are relative and '/'-separated (``Documentation/warehouse/sales.customers.docx``).
Every upload makes a new version unless the current version already holds exactly the same
bytes, which makes a retried filing activity harmless. ``remove_version`` is the compensation
of an upload: the previous version becomes current again, or the file goes when none is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from adapters.errors import AdapterConfigurationError

__all__ = ["DOCX_CONTENT_TYPE", "DocumentLibrary", "LibraryVersion", "checked_library_path"]

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class LibraryVersion:
    """One version of a library file and where people open the file."""

    path: str
    version_id: str
    url: str
    size: int


class DocumentLibrary(Protocol):
    """What filing needs from a document library."""

    def upload(
        self, path: str, content: bytes, *, content_type: str = DOCX_CONTENT_TYPE
    ) -> LibraryVersion: ...

    def versions(self, path: str) -> list[LibraryVersion]: ...

    def download(self, path: str, version_id: str | None = None) -> bytes: ...

    def remove_version(self, path: str, version_id: str) -> bool: ...

    def url(self, path: str) -> str: ...


def checked_library_path(path: str) -> str:
    """``path`` if it is a relative '/'-separated path with no empty, '.' or '..' parts."""
    parts = path.split("/") if isinstance(path, str) else []
    if not path or "\\" in path or any(p in {"", ".", ".."} for p in parts):
        raise AdapterConfigurationError(
            f"library path {path!r} is invalid: expected a relative path like "
            "'Documentation/<database>/<object>.docx'"
        )
    return path
