"""End-to-end tests of the app: ``python -m devhost start`` as a separate process, HTTP only.

They start the host with ``devhost.testing.DevhostProcess`` / ``run_devhost`` (which a test can
kill -9 and restart); devhost's plugin also offers the module-scoped ``devhost_process`` for a
module that sets ``DEVHOST_APP``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parents[2]
