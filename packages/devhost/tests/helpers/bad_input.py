"""devhost's bad-input catalogue (docs/bad-input.md of the package), read by its tests."""

from __future__ import annotations

from pathlib import Path

from devhost.testing.catalogue import Catalogue, Row, case_id, check_problem

__all__ = ["CATALOGUE", "Row", "case_id", "check_problem", "rows"]

CATALOGUE = Catalogue(
    Path(__file__).resolve().parents[2] / "docs" / "bad-input.md",
    Path(__file__).resolve().parents[2],
)
rows = CATALOGUE.rows
