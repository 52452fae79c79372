"""Test bench for the interpreter: the real blueprint and loader on a SimulatedHost.

Definitions are written to a temporary ``WORKFLOWS_PATH`` folder and loaded by the real
``load_workflow_definition`` activity; test activities are plain functions that count calls.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
from devhost.replay import SimulatedHost

import orchestration

__all__ = ["ApprovalRejected", "Bench", "Flaky"]


class ApprovalRejected(Exception):
    """A business error an activity raises; the workflow sees the name ``ApprovalRejected``."""


class Flaky(Exception):
    """A transient error for retry tests."""


def blueprint_app(*blueprints: Any) -> Any:
    app = df.DFApp()
    app.register_functions(orchestration.blueprint)
    for blueprint in blueprints:
        app.register_functions(blueprint)
    return app


class Bench:
    """One simulated app: definitions in a folder, activities, a virtual clock."""

    def __init__(
        self,
        folder: Path,
        setenv: Callable[[str, str], None],
        definitions: list[dict[str, Any]],
        activities: dict[str, Callable[[Any], Any]],
        blueprints: tuple[Any, ...] = (),
    ):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for definition in definitions:
            self.write(definition)
        setenv("WORKFLOWS_PATH", str(folder))
        setenv("AzureWebJobsStorage", "")
        setenv("DOCUMENTS_STORAGE", "")
        self.host = SimulatedHost.from_app(blueprint_app(*blueprints), activities)

    def write(self, definition: dict[str, Any]) -> Path:
        path = self.folder / f"{definition['name']}-{definition['version']}.json"
        path.write_text(json.dumps(definition, indent=2), encoding="utf-8")
        return path

    def start(
        self,
        workflow: str,
        workflow_input: Any = None,
        version: str | None = None,
        instance_id: str | None = None,
    ) -> str:
        request: dict[str, Any] = {"workflow": workflow, "input": workflow_input}
        if version is not None:
            request["version"] = version
        return self.host.start("workflow", request, instance_id)

    def status(self, instance_id: str) -> Any:
        return self.host.status(instance_id)

    def advance(self, **kwargs: float) -> None:
        self.host.advance(timedelta(**kwargs))

    def raise_event(self, instance_id: str, name: str, payload: Any) -> None:
        self.host.raise_event(instance_id, name, payload)

    def raise_events(self, instance_id: str, name: str, payloads: list[Any]) -> None:
        """Several events the instance receives in one episode."""
        self.host.raise_events(instance_id, name, payloads)

    def calls(self, name: str) -> list[tuple[Any, Any]]:
        """(time, input) of every call of activity ``name``, in order."""
        return [(at, data) for at, called, data in self.host.calls if called == name]

    def elapsed(self, name: str) -> list[float]:
        """Seconds since the start of the clock of each call of ``name``."""
        start = self.host.calls[0][0]
        return [(at - start).total_seconds() for at, _ in self.calls(name)]


def workflow(
    name: str,
    states: dict[str, Any],
    start_at: str | None = None,
    version: str = "1.0.0",
    **extra: Any,
) -> dict[str, Any]:
    """A definition document with sensible defaults for tests."""
    return {
        "name": name,
        "version": version,
        "startAt": start_at or next(iter(states)),
        "states": states,
        **extra,
    }


def vote_loop(version: str = "1.0.0", extension: str = "PT24H") -> dict[str, Any]:
    """The approval shape the language must express (see WORKFLOW_LANGUAGE.md's example)."""
    return workflow(
        "vote",
        {
            "Notify": {
                "type": "task",
                "activity": "notify",
                "input": {"roles.$": "$.input.roles"},
                "resultPath": "$.state.ballot",
                "next": "SetDeadline",
            },
            "SetDeadline": {
                "type": "pass",
                "result": {"at.$": "addDuration(now(), $.input.sla)", "escalations": 0},
                "resultPath": "$.state.deadline",
                "next": "AwaitVote",
            },
            "AwaitVote": {
                "type": "wait",
                "event": "approval",
                "timeout": {"until.$": "$.state.deadline.at"},
                "timeoutNext": "CanEscalate",
                "resultPath": "$.state.vote",
                "next": "RecordVote",
            },
            "RecordVote": {
                "type": "task",
                "activity": "record_vote",
                "input": {"ballot.$": "$.state.ballot", "vote.$": "$.state.vote"},
                "resultPath": "$.state.ballot",
                "next": "Tally",
            },
            "Tally": {
                "type": "choice",
                "choices": [
                    {
                        "when": {"path": "$.state.ballot.decision", "equals": "rejected"},
                        "next": "Rejected",
                    },
                    {
                        "when": {"path": "$.state.ballot.decision", "equals": "approved"},
                        "next": "Approved",
                    },
                ],
                "default": "AwaitVote",
            },
            "CanEscalate": {
                "type": "choice",
                "choices": [
                    {
                        "when": {"path": "$.state.deadline.escalations", "lessThan": 1},
                        "next": "Escalate",
                    }
                ],
                "default": "TimedOut",
            },
            "Escalate": {
                "type": "task",
                "activity": "escalate",
                "input": {"ballot.$": "$.state.ballot"},
                "next": "Extend",
            },
            "Extend": {
                "type": "pass",
                "result": {
                    "at.$": f"addDuration($.state.deadline.at, '{extension}')",
                    "escalations": 1,
                },
                "resultPath": "$.state.deadline",
                "next": "AwaitVote",
            },
            "Approved": {
                "type": "succeed",
                "output": {"outcome": "Approved", "ballot.$": "$.state.ballot"},
            },
            "Rejected": {"type": "succeed", "output": {"outcome": "Rejected"}},
            "TimedOut": {"type": "succeed", "output": {"outcome": "TimedOut"}},
        },
        version=version,
    )


def _load_ballot_rule() -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """The workflow test app's own rule, loaded by path (the app folder is not a package)."""
    path = Path(__file__).resolve().parents[2] / "apps" / "workflow_app" / "ballot_rule.py"
    spec = importlib.util.spec_from_file_location("workflow_app_ballot_rule", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tally: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = module.tally
    return tally


_tally = _load_ballot_rule()


def record_vote(data: dict[str, Any]) -> dict[str, Any]:
    return _tally(data["ballot"], data["vote"])
