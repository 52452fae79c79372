"""Fixtures for the orchestration tests: ``bench`` builds a simulated app per test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from wf_harness import Bench


@pytest.fixture
def bench(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Bench]:
    def make(
        definitions: list[dict[str, Any]],
        activities: dict[str, Any] | None = None,
        blueprints: tuple[Any, ...] = (),
    ) -> Bench:
        return Bench(
            tmp_path / "workflows", monkeypatch.setenv, definitions, activities or {}, blueprints
        )

    return make
