"""The management app on devhost and what its tests do to it, over HTTP like a client."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.testing import DevHost, Response

import runtime
from tests.support.metrics import metric

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "tests" / "apps" / "mgmt_app"


@dataclass
class MgmtApp:
    host: DevHost
    folder: Path

    def call(self, method: str, path: str, **kwargs: Any) -> Response:
        return self.host.http(method, "/api/" + path.lstrip("/"), **kwargs)

    def start(self, workflow: str, body: Any = None, **params: str) -> str:
        answer = self.call(
            "POST", f"workflows/{workflow}/instances", json=body, params=params or None
        )
        assert answer.status == 202, answer.text
        return str(answer.json()["instanceId"])

    def instance(self, instance_id: str) -> dict[str, Any]:
        answer = self.call("GET", f"instances/{instance_id}")
        assert answer.status == 200, answer.text
        return dict(answer.json())

    def metric(self, name: str, **labels: str) -> float:
        """The value of one Prometheus series (0 when it has not appeared yet)."""
        return metric(self.host, name, **labels)


def header(answer: Response, name: str) -> str:
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), "")


def new_id(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def running_mgmt_app(
    folder: Path, *, worker_processes: int | str | None = "default", **overrides: str
) -> Iterator[MgmtApp]:
    examples = ROOT / "examples"
    settings = {
        "DATABASE_URL": f"sqlite:///{folder / 'app.sqlite'}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "DOCUMENT_LIBRARY_DIR": str(folder / "library"),
        "APPROVAL_POLICY_FILE": str(examples / "approval-policy.json"),
        "SOURCE_DATABASES": '{"warehouse": "sqlite:///%s"}' % (examples / "warehouse.sqlite"),
        "WORKFLOW_DEFINITIONS_CONTAINER": f"defs-{uuid.uuid4().hex[:8]}",
        **overrides,
    }
    runtime.reset()
    try:
        with DevHost(
            APP,
            clock="virtual",
            data_dir=folder / "devhost",
            settings=settings,
            worker_processes=worker_processes,
        ) as host:
            yield MgmtApp(host, folder)
    finally:
        runtime.reset()
