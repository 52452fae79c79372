"""The local document library: a folder tree with the current files and a version store.

``<root>/<path>`` is always the current version, so a person browsing the folder sees the
library as SharePoint shows it; every version (current included) is kept under
``<root>/.versions/<path>/`` with a ``versions.json`` manifest. A removed version stays in the
manifest as a tombstone, so its number is never given out again (as SharePoint never reuses
one): an index row that names a withdrawn version can never point at another document's file.
A lock file per document serialises concurrent filings of the same path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.errors import NotFoundError
from adapters.library import DOCX_CONTENT_TYPE, LibraryVersion, checked_library_path

__all__ = ["FolderDocumentLibrary"]

_VERSIONS = ".versions"


class FolderDocumentLibrary:
    """``DocumentLibrary`` on a local folder; version ids count up like SharePoint's (1.0, 2.0)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def upload(
        self, path: str, content: bytes, *, content_type: str = DOCX_CONTENT_TYPE
    ) -> LibraryVersion:
        """Add ``content`` as the new current version (or return the current one if identical)."""
        del content_type  # a folder keeps no content type; the extension says it
        digest = hashlib.sha256(content).hexdigest()
        with self._locked(path):
            every = self._manifest(path, with_removed=True)
            manifest = _live(every)
            if manifest and manifest[-1]["sha256"] == digest:
                return self._version(path, manifest[-1])
            number = max((int(float(v["id"])) for v in every), default=0) + 1
            entry: dict[str, Any] = {
                "id": f"{number}.0",
                "sha256": digest,
                "size": len(content),
                "filedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            _write_atomically(self._version_file(path, entry["id"]), content)
            _write_atomically(self._current_file(path), content)
            self._save_manifest(path, [*every, entry])
            return self._version(path, entry)

    def versions(self, path: str) -> list[LibraryVersion]:
        """Every version kept, oldest first; empty when the file was never filed."""
        return [self._version(path, entry) for entry in self._manifest(path)]

    def download(self, path: str, version_id: str | None = None) -> bytes:
        manifest = self._manifest(path)
        if not manifest:
            raise NotFoundError(f"library file {path} does not exist")
        entry = manifest[-1] if version_id is None else _find(manifest, path, version_id)
        return self._version_file(path, entry["id"]).read_bytes()

    def remove_version(self, path: str, version_id: str) -> bool:
        """Remove one version; False if it is not there (already removed by an earlier try)."""
        with self._locked(path):
            every = self._manifest(path, with_removed=True)
            if not any(v["id"] == version_id for v in _live(every)):
                return False
            self._version_file(path, version_id).unlink(missing_ok=True)
            every = [{**v, "removed": True} if v["id"] == version_id else v for v in every]
            remaining = _live(every)
            if remaining:
                latest = self._version_file(path, remaining[-1]["id"]).read_bytes()
                _write_atomically(self._current_file(path), latest)
            else:
                self._current_file(path).unlink(missing_ok=True)
            self._save_manifest(path, every)
            return True

    def url(self, path: str) -> str:
        """A ``file://`` URL of the current file (what a person opens locally)."""
        return self._current_file(path).resolve().as_uri()

    def _version(self, path: str, entry: dict[str, Any]) -> LibraryVersion:
        return LibraryVersion(
            path=path, version_id=entry["id"], url=self.url(path), size=entry["size"]
        )

    def _current_file(self, path: str) -> Path:
        return self.root / checked_library_path(path)

    def _version_dir(self, path: str) -> Path:
        return self.root / _VERSIONS / checked_library_path(path)

    def _version_file(self, path: str, version_id: str) -> Path:
        return self._version_dir(path) / f"{version_id}{Path(path).suffix}"

    def _manifest(self, path: str, *, with_removed: bool = False) -> list[dict[str, Any]]:
        """The versions, oldest first: the live ones, or with the removed ones' tombstones."""
        manifest = self._version_dir(path) / "versions.json"
        if not manifest.is_file():
            return []
        entries: list[dict[str, Any]] = json.loads(manifest.read_text("utf-8"))
        return entries if with_removed else _live(entries)

    def _save_manifest(self, path: str, entries: list[dict[str, Any]]) -> None:
        data = json.dumps(entries, indent=2).encode("utf-8")
        _write_atomically(self._version_dir(path) / "versions.json", data)

    @contextlib.contextmanager
    def _locked(self, path: str) -> Iterator[None]:
        directory = self._version_dir(path)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _live(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in entries if not v.get("removed")]


def _find(manifest: list[dict[str, Any]], path: str, version_id: str) -> dict[str, Any]:
    for entry in manifest:
        if entry["id"] == version_id:
            return entry
    raise NotFoundError(f"library file {path} has no version {version_id!r}")


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, target)
