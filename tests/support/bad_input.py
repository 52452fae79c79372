"""The app's bad-input catalogue (docs/bad-input.md), read by its tests."""

from __future__ import annotations

from pathlib import Path

from devhost.testing.catalogue import Catalogue, Row, case_id, check_problem

__all__ = ["CATALOGUE", "Row", "case_id", "check_problem", "rows"]

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Catalogue(ROOT / "docs" / "bad-input.md", ROOT)
rows = CATALOGUE.rows
