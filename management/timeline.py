"""A readable timeline of one instance, derived from its Durable history.

The history is the record: activities scheduled and completed or failed (with durations and
error names), timers, external events, sub-workflows, suspensions, the end. It comes in two
shapes, both read here: devhost's (every event, with ``EventId``/``TaskScheduledId``) and the
Durable extension's (``TaskScheduled`` folded into its completion as ``FunctionName`` and
``ScheduledTime``, ids and event payloads removed).

The history does not name states, so they are attributed from the pinned definition (the
loader's result is in the history): an activity belongs to the task state that calls it, a
timer to the task it times or retries or else to a wait state, an event to the wait for it.
When several states could have made an entry, the one nearest (fewest transitions) to the
state before wins; the states between two attributed ones are filled in along that shortest
path and marked ``inferred``. The instance's custom status names the state it is in, which
ends the list. Loops that revisit states show each visit.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from orchestration.definition import Definition
from orchestration.errors import error_from_failure
from orchestration.graph import state_graph
from orchestration.orchestrator import LOADER_ACTIVITY

__all__ = ["timeline"]

_SCHEDULED = ("TaskScheduled", "SubOrchestrationInstanceCreated")
_NAMES = {
    0: "ExecutionStarted",
    1: "ExecutionCompleted",
    2: "ExecutionFailed",
    3: "ExecutionTerminated",
    4: "TaskScheduled",
    5: "TaskCompleted",
    6: "TaskFailed",
    7: "SubOrchestrationInstanceCreated",
    8: "SubOrchestrationInstanceCompleted",
    9: "SubOrchestrationInstanceFailed",
    10: "TimerCreated",
    11: "TimerFired",
    12: "OrchestratorStarted",
    13: "OrchestratorCompleted",
    14: "EventSent",
    15: "EventRaised",
    16: "ContinueAsNew",
    17: "GenericEvent",
    18: "HistoryState",
    19: "ExecutionSuspended",
    20: "ExecutionResumed",
    21: "ExecutionRewound",
}


def _type(event: Mapping[str, Any]) -> str:
    value = event.get("EventType")
    return _NAMES.get(value, str(value)) if isinstance(value, int) else str(value)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ms(start: str | None, end: str | None) -> int | None:
    try:
        begun = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        ended = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return round((ended - begun).total_seconds() * 1000)


def _error(event: Mapping[str, Any]) -> dict[str, str]:
    failure = error_from_failure(
        Exception(f"{event.get('Reason') or ''} \n {event.get('Details') or ''}")
    )
    return {"error": failure.name, "cause": failure.cause}


def entries_of(history: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The history as timeline entries, in order (no state names yet)."""
    scheduled: dict[tuple[str, Any], dict[str, Any]] = {}
    timers: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for index, event in enumerate(history):
        kind, at = _type(event), event.get("Timestamp")
        if kind == "ExecutionStarted":
            entries.append({"kind": "started", "at": at})
        elif kind in _SCHEDULED:
            what = "activity" if kind == "TaskScheduled" else "subworkflow"
            entry: dict[str, Any] = {
                "kind": what,
                "name": event.get("Name"),
                "scheduledAt": at,
                "outcome": "running",
            }
            if kind != "TaskScheduled":
                entry["instanceId"] = event.get("InstanceId")
            scheduled[(what, event.get("EventId"))] = entry
            entries.append(entry)
        elif kind in (
            "TaskCompleted",
            "TaskFailed",
            "SubOrchestrationInstanceCompleted",
            "SubOrchestrationInstanceFailed",
        ):
            what = "activity" if kind.startswith("Task") else "subworkflow"
            done = scheduled.pop((what, event.get("TaskScheduledId")), None)
            if done is not None:
                entry = done
            else:  # the extension's shape: the scheduling event is folded in
                entry = {
                    "kind": what,
                    "name": event.get("FunctionName"),
                    "scheduledAt": event.get("ScheduledTime"),
                }
                entries.append(entry)
            entry["completedAt"] = at
            entry["_ended"] = index  # where in the history: a timer after it is not its timeout
            entry["durationMs"] = _ms(entry["scheduledAt"], at)
            if kind.endswith("Failed"):
                entry |= {"outcome": "failed", **_error(event)}
            else:
                entry["outcome"] = "completed"
                if "Result" in event:
                    entry["result"] = _json(event["Result"])
        elif kind == "TimerCreated":
            timer = {
                "kind": "timer",
                "createdAt": at,
                "fireAt": event.get("FireAt"),
                "fired": False,
                "_created": index,
            }
            timers.append(timer)
            entries.append(timer)
        elif kind == "TimerFired":
            _fired(timers, event.get("FireAt"), at)
        elif kind == "EventRaised":
            entry = {"kind": "event", "name": event.get("Name"), "at": at}
            if "Input" in event:
                entry["data"] = _json(event["Input"])
            entries.append(entry)
        elif kind in ("ExecutionCompleted", "ExecutionFailed"):
            entries.append(_ended(event, at))
        elif kind == "ExecutionTerminated":
            entries.append({"kind": "terminated", "at": at, "reason": _json(event.get("Input"))})
        elif kind in ("ExecutionSuspended", "ExecutionResumed", "ExecutionRewound"):
            entries.append(
                {
                    "kind": kind[len("Execution") :].lower(),
                    "at": at,
                    "reason": _json(event.get("Reason") or event.get("Input")),
                }
            )
    return entries


def _fired(timers: list[dict[str, Any]], fire_at: Any, at: Any) -> None:
    """Mark the timer that fired (matched by its fire time: the extension drops timer ids)."""
    wanted = _normal(fire_at)
    for timer in timers:
        if not timer["fired"] and _normal(timer["fireAt"]) == wanted:
            timer |= {"fired": True, "firedAt": at}
            return


def _ended(event: Mapping[str, Any], at: Any) -> dict[str, Any]:
    status = event.get("OrchestrationStatus")
    if isinstance(status, int):
        status = {0: "Running", 1: "Completed", 2: "ContinuedAsNew", 3: "Failed"}.get(status)
    entry = {"kind": "ended", "at": at, "runtimeStatus": status or "Completed"}
    if status == "Failed":
        entry |= _error(event.get("FailureDetails") or event)
    return entry


def _normal(value: Any) -> str:
    text = str(value or "").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return text


class _Attribution:
    """Which state made each entry (see the module docstring for the rule)."""

    def __init__(self, document: dict[str, Any]) -> None:
        graph = state_graph(document)
        self.nodes = {node["id"]: node for node in graph["nodes"]}
        self.last_work: dict[str, Any] | None = None
        self.start = graph["startAt"]
        self.edges: dict[str, list[str]] = {node: [] for node in self.nodes}
        self.caught: dict[str, list[str]] = {node: [] for node in self.nodes}
        for edge in graph["edges"]:
            # A task leaves by "next" when it succeeded and by "catch" when it failed.
            (self.caught if edge["kind"] == "catch" else self.edges)[edge["from"]].append(
                edge["to"]
            )
        for machine in graph["machines"]:  # into branches and iterators, and back out
            if machine["parent"] is None:
                continue
            self.edges[machine["parent"]].append(machine["startAt"])
            for node in self.nodes.values():
                if node["machine"] == machine["id"] and node["end"]:
                    self.edges[node["id"]].extend(
                        t for t in self.edges[machine["parent"]] if t != machine["startAt"]
                    )

    def path(self, source: str | None, targets: set[str], failed: bool = False) -> list[str] | None:
        """The shortest path from ``source`` (None: before the start) to one of ``targets``,
        ``source`` excluded; ``[]`` when ``source`` is a target. ``failed``: the source's
        work failed, so it left through a ``catch``."""
        if source in targets:
            return []
        if source is None:
            first = [self.start]
        else:
            first = (self.caught if failed else self.edges).get(source, [])
        queue: deque[list[str]] = deque([n] for n in first)
        seen = set(first)
        while queue:
            path = queue.popleft()
            if path[-1] in targets:
                return path
            for nxt in self.edges.get(path[-1], []):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append([*path, nxt])
        return None

    def candidates(self, entry: dict[str, Any], current: str | None) -> tuple[set[str], str]:
        kind = entry["kind"]
        if kind == "activity":
            tasks = {
                n
                for n, node in self.nodes.items()
                if node["type"] == "task" and node.get("activity") == entry["name"]
            }
            undo = {
                n for n, node in self.nodes.items() if node.get("compensation") == entry["name"]
            }
            if undo and (not tasks or self._compensating(current)):
                entry["compensates"] = sorted(self.nodes[n]["name"] for n in undo)
                # Run by a compensate state, or by the failing end (then the state stays).
                here = {current} if current is not None and self._compensating(current) else set()
                compensate = {n for n, node in self.nodes.items() if node["type"] == "compensate"}
                return (here or compensate), "compensation"
            return tasks, "task"
        if kind == "timer":
            # The task's own timer: its timeout (made while the activity runs) or a retry's
            # backoff (made after it failed). A timer after a success is the next wait's.
            work = self.last_work
            if (
                current is not None
                and self.nodes[current]["type"] == "task"
                and work
                and (
                    work.get("outcome") == "failed"
                    or work.get("_ended", 1 << 62) > entry["_created"]
                )
            ):
                return {current}, "retry or timeout"
            return {n for n, node in self.nodes.items() if node["type"] == "wait"}, "wait"
        if kind == "event":
            return {
                n
                for n, node in self.nodes.items()
                if node["type"] == "wait" and node.get("event") == entry["name"]
            }, "wait"
        if kind == "subworkflow":
            return {
                n for n, node in self.nodes.items() if node["type"] == "subworkflow"
            }, "subworkflow"
        return set(), ""

    def _compensating(self, current: str | None) -> bool:
        return current is not None and self.nodes[current]["type"] in ("compensate", "fail")


def _attribute(
    entries: list[dict[str, Any]], document: dict[str, Any], final_state: str | None
) -> list[dict[str, Any]]:
    """Label entries with states; returns the states entered, in order."""
    states = _Attribution(document)
    current: str | None = None
    failed = False
    entered: list[dict[str, Any]] = []

    def enter(path: list[str], at: Any) -> None:
        for index, node in enumerate(path):
            entered.append(
                {
                    "state": states.nodes[node]["name"],
                    "id": node,
                    "type": states.nodes[node]["type"],
                    "at": at,
                    "inferred": index < len(path) - 1,
                }
            )

    for entry in entries:
        if entry["kind"] == "activity" and entry.get("name") == LOADER_ACTIVITY:
            entry["role"] = "load definition"
            continue
        targets, role = states.candidates(entry, current)
        path = states.path(current, targets, failed) if targets else None
        if path is None:
            if role == "compensation":
                entry["role"] = role
            continue
        at = entry.get("scheduledAt") or entry.get("createdAt") or entry.get("at")
        enter(path, at)
        current = path[-1] if path else current
        if entry["kind"] in ("activity", "subworkflow") and role == "task":
            failed = entry.get("outcome") == "failed"
            states.last_work = entry
        elif path:
            failed = False
        if current is not None:
            entry |= {"state": states.nodes[current]["name"], "role": role}
    if final_state is not None:
        final = {n for n, node in states.nodes.items() if node["name"] == final_state}
        path = states.path(current, final, failed) if final else None
        if path:
            enter(path, None)
    return entered


def definition_in(entries: list[dict[str, Any]]) -> Definition | None:
    """The definition the instance pinned: the loader activity's result in its history."""
    for entry in entries:
        if (
            entry["kind"] == "activity"
            and entry.get("name") == LOADER_ACTIVITY
            and entry.get("outcome") == "completed"
        ):
            try:
                return Definition.from_json(entry.get("result"))
            except ValueError:
                return None
    return None


def timeline(status: Mapping[str, Any]) -> dict[str, Any]:
    """``{"instanceId", "workflow", "version", "runtimeStatus", "states", "entries"}``."""
    entries = entries_of(status.get("historyEvents") or [])
    definition = definition_in(entries)
    custom = status.get("customStatus")
    custom = custom if isinstance(custom, dict) else {}
    states: list[dict[str, Any]] = []
    if definition is not None:
        states = _attribute(entries, definition.document, custom.get("state"))
    for entry in entries:
        for private in ("result", "_ended", "_created"):  # results can be large: see /instances
            entry.pop(private, None)
    return {
        "instanceId": status.get("instanceId"),
        "workflow": definition.name if definition else custom.get("workflow"),
        "version": definition.version if definition else custom.get("version"),
        "runtimeStatus": status.get("runtimeStatus"),
        "states": states,
        "entries": entries,
    }
