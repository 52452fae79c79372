"""schemathesis against /api/openapi.json on the real app: every operation, bounded.

Positive cases (values the document allows): no 5xx, and every answer matches what its
operation documents (status code, content type, body). Negative cases (values it forbids, such
as control characters in a path segment): no 5xx. Only the second are spared the conformance
checks because devhost's router itself answers some of them (a plain-text 404 for a path
segment with a newline) before the app sees the request, as the Functions host does with its
own pages. Runs the whole app on devhost (virtual clock, Azurite, a SQLite app database), a few
generated cases per operation, so it stays well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from devhost.testing import DevHost
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import runtime
from api.openapi import OPENAPI_FILE

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
schema = schemathesis.openapi.from_dict(SPEC)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("schemathesis")
    examples = ROOT / "examples"
    app_settings = {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "APPROVAL_POLICY_FILE": str(examples / "approval-policy.json"),
        "WORKFLOW_DEFINITIONS_CONTAINER": "schemathesis-definitions",
    }
    runtime.reset()
    try:
        with DevHost(
            ROOT, clock="virtual", data_dir=folder / "devhost", settings=app_settings
        ) as host:
            yield host.base_url + "/api"
    finally:
        runtime.reset()


def test_every_operation_is_covered() -> None:
    operations = {
        (path, method)
        for path, item in SPEC["paths"].items()
        for method in item
        if method != "parameters"
    }
    generated = {
        (result.ok().path, result.ok().method.lower()) for result in schema.get_all_operations()
    }
    assert generated == operations


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_answer_matches_its_schema(case: Any, base_url: str) -> None:
    positive = case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE
    case.call_and_validate(base_url=base_url, checks=CHECKS if positive else CHECKS[:1], timeout=30)
