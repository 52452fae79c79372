"""Replaying orchestrator code against Durable histories, in memory, deterministically.

Two tools for any Python Durable app's tests, both speaking the Durable extension's protocol to
the SDK as devhost's engine does (its history events and action types, ``devhost.durable``):

* :func:`check_replay` replays a recorded history and reports every place where the code now
  schedules something else than the history recorded (the extension's non-determinism check,
  made strict: activity names, timer fire times, sub-orchestration ids, entity operations) and
  whether the outcome is still the same. An app keeps the histories devhost recorded
  (``DevHost.history``) and checks them this way in CI, as Temporal's ``Replayer`` does;
  ``python -m devhost replay`` does it from the command line.
* :class:`SimulatedHost` runs orchestrations episode by episode with in-process activities and
  entities, a virtual clock and external events, recording the history as the extension
  would. It is a test bench below devhost, for orchestrator code alone.
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ._sqlite import to_ts as timestamp
from .durable.history import EventType, event
from .durable.protocol import (
    CALL_ACTIVITY,
    CALL_ACTIVITY_RETRY,
    CALL_ENTITY,
    CALL_SUB,
    CALL_SUB_RETRY,
    CREATE_TIMER,
    OUT_OF_PROC_LABEL,
    SIGNAL_ENTITY,
    WAIT_EVENT,
    flatten_actions,
)

__all__ = [
    "EpisodeResult",
    "RecordedHistory",
    "ReplayReport",
    "SimulatedHost",
    "SimulatedInstance",
    "check_replay",
    "flatten_actions",
    "read_history",
    "run_episode",
]

# The history events and action types, as devhost's engine speaks them to the SDK.
EXECUTION_STARTED = EventType.ExecutionStarted
EXECUTION_COMPLETED, EXECUTION_FAILED = EventType.ExecutionCompleted, EventType.ExecutionFailed
TASK_SCHEDULED, TASK_COMPLETED = EventType.TaskScheduled, EventType.TaskCompleted
TASK_FAILED = EventType.TaskFailed
SUB_CREATED = EventType.SubOrchestrationInstanceCreated
SUB_COMPLETED = EventType.SubOrchestrationInstanceCompleted
SUB_FAILED = EventType.SubOrchestrationInstanceFailed
TIMER_CREATED, TIMER_FIRED = EventType.TimerCreated, EventType.TimerFired
ORCHESTRATOR_STARTED = EventType.OrchestratorStarted
ORCHESTRATOR_COMPLETED = EventType.OrchestratorCompleted
EVENT_SENT, EVENT_RAISED = EventType.EventSent, EventType.EventRaised
_SCHEDULING_EVENTS = {TASK_SCHEDULED, TIMER_CREATED, SUB_CREATED, EVENT_SENT}

Handle = Callable[[Any], str]


@dataclass
class EpisodeResult:
    """What one orchestrator invocation returned: all actions so far, and the outcome."""

    actions: list[dict[str, Any]]
    done: bool
    output: Any = None
    error: str | None = None
    custom_status: Any = None


def run_episode(
    handle: Handle,
    history: list[dict[str, Any]],
    instance_input: Any,
    instance_id: str,
    parent_instance_id: str | None = None,
    schema_version: int = 2,
    extras: dict[str, Any] | None = None,
) -> EpisodeResult:
    """Invoke an orchestrator handle the way the extension does, and decode its answer.

    ``schema_version`` is the extension's ``upperSchemaVersion`` (2 = V3, what devhost and
    current extensions send); ``extras`` adds context fields such as the long-timer settings
    ``maximumShortTimerDuration`` and ``longRunningTimerIntervalDuration``.
    """
    context = {
        "history": history,
        "input": json.dumps(instance_input),
        "instanceId": instance_id,
        "isReplaying": any(e.get("IsPlayed") for e in history),
        "parentInstanceId": parent_instance_id,
        "upperSchemaVersion": schema_version,
        **(extras or {}),
    }
    try:
        answer = handle(json.dumps(context))
        error = None
    except Exception as exc:
        text = str(exc)
        if OUT_OF_PROC_LABEL not in text:
            raise
        error, _, answer = text.partition(OUT_OF_PROC_LABEL)
    state = json.loads(answer)
    return EpisodeResult(
        actions=flatten_actions(state.get("actions", [])),
        done=bool(state.get("isDone")) or error is not None,
        output=state.get("output"),
        error=error,
        custom_status=state.get("customStatus"),
    )


# --- determinism ------------------------------------------------------------------------


@dataclass
class ReplayReport:
    """Differences between what a history recorded and what the code does now."""

    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _scheduled(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = sorted(
        (e for e in history if e["EventType"] in _SCHEDULING_EVENTS),
        key=lambda e: int(e["EventId"]),
    )
    out = []
    for item in found:
        if item["EventType"] == TASK_SCHEDULED:
            out.append(("activity", str(item.get("Name"))))
        elif item["EventType"] == TIMER_CREATED:
            out.append(("timer", _normal_time(item.get("FireAt"))))
        elif item["EventType"] == EVENT_SENT:
            message = json.loads(item.get("Input") or "{}")
            out.append(("entity", f"{message.get('op')} {item.get('InstanceId')}"))
        else:
            out.append(("subworkflow", f"{item.get('Name')} {item.get('InstanceId')}"))
    return out


def _acted(actions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for action in actions:
        kind = action.get("actionType")
        if kind in (CALL_ACTIVITY, CALL_ACTIVITY_RETRY):
            out.append(("activity", str(action.get("functionName"))))
        elif kind == CREATE_TIMER:
            out.append(("timer", _normal_time(action.get("fireAt"))))
        elif kind in (CALL_SUB, CALL_SUB_RETRY):
            out.append(("subworkflow", f"{action.get('functionName')} {action.get('instanceId')}"))
        elif kind in (CALL_ENTITY, SIGNAL_ENTITY):
            out.append(("entity", f"{action.get('operation')} {action.get('instanceId')}"))
    return out


def _normal_time(value: Any) -> str:
    if not isinstance(value, str):
        return str(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return timestamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def check_replay(
    handle: Handle,
    history: list[dict[str, Any]],
    instance_id: str,
    parent_instance_id: str | None = None,
) -> ReplayReport:
    """Replay a recorded history; list every scheduling or outcome difference.

    The input is the one ``ExecutionStarted`` recorded. A recorded failure reason may carry
    the host's prefix (``Orchestrator function 'x' failed: ``); the replayed error must end it.
    """
    started = next(e for e in history if e["EventType"] == EXECUTION_STARTED)
    instance_input = json.loads(started["Input"]) if started.get("Input") else None
    played = [{**e, "IsPlayed": True} for e in history]
    report = ReplayReport()
    try:
        result = run_episode(handle, played, instance_input, instance_id, parent_instance_id)
    except Exception as exc:  # the replay itself broke: that is a mismatch too
        report.mismatches.append(f"replay raised {type(exc).__name__}: {exc}")
        return report
    expected, actual = _scheduled(history), _acted(result.actions)
    for index, want in enumerate(expected):
        got = actual[index] if index < len(actual) else None
        if got != want:
            report.mismatches.append(
                f"step {index}: history has {want[0]} {want[1]!r}, "
                f"code now does {got[0] + ' ' + repr(got[1]) if got else 'nothing'}"
            )
    finished = [e for e in history if e["EventType"] in (EXECUTION_COMPLETED, EXECUTION_FAILED)]
    if finished:
        if len(actual) > len(expected):
            report.mismatches.append(
                f"code now schedules {len(actual) - len(expected)} more "
                f"task(s) after the recorded end: {actual[len(expected) :]}"
            )
        last = finished[-1]
        if last["EventType"] == EXECUTION_COMPLETED:
            recorded = json.loads(last["Result"]) if last.get("Result") is not None else None
            if result.error is not None or result.output != recorded:
                report.mismatches.append(
                    f"outcome: history completed with {recorded!r}, code now "
                    f"gives {result.error or result.output!r}"
                )
        elif result.error is None or not str(last.get("Reason")).endswith(result.error):
            report.mismatches.append(
                f"outcome: history failed with {last.get('Reason')!r}, "
                f"code now gives {result.error or result.output!r}"
            )
    return report


@dataclass
class RecordedHistory:
    """A history file: its events, the instance (and parent) they belong to, the orchestrator."""

    events: list[dict[str, Any]]
    instance_id: str
    parent_instance_id: str | None
    orchestrator: str


def read_history(text: str, where: str = "history") -> RecordedHistory:
    """A recorded history as JSON: the event list (``DevHost.history``, the status API's raw
    events) or an object with ``history`` and optionally ``instanceId``. Raises ValueError
    naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    record = data if isinstance(data, dict) else {"history": data}
    events = record.get("history")
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and isinstance(e.get("EventType"), int) for e in events
    ):
        raise ValueError(f"{where}: history: expected a list of events with an EventType")
    started = next((e for e in events if e["EventType"] == EXECUTION_STARTED), None)
    if started is None or not isinstance(started.get("Name"), str):
        raise ValueError(f"{where}: history: expected an ExecutionStarted event with a Name")
    instance = (started.get("OrchestrationInstance") or {}).get("InstanceId")
    instance_id = record.get("instanceId") or instance
    if not isinstance(instance_id, str) or not instance_id:
        raise ValueError(
            f"{where}: instanceId: expected the instance's id (or an"
            " ExecutionStarted that names it)"
        )
    parent = ((started.get("ParentInstance") or {}).get("OrchestrationInstance") or {}).get(
        "InstanceId"
    )
    return RecordedHistory(events, instance_id, parent, started["Name"])


# --- the simulated host -----------------------------------------------------------------


@dataclass
class SimulatedInstance:
    """One orchestration instance on the :class:`SimulatedHost`: its history and outcome."""

    instance_id: str
    name: str
    input: Any
    parent: tuple[str, int] | None
    history: list[dict[str, Any]] = field(default_factory=list)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    seen_actions: int = 0
    sequence: int = 0
    status: str = "Running"
    output: Any = None
    error: str | None = None
    custom_status: Any = None
    timers: dict[int, datetime] = field(default_factory=dict)
    timer_actions: dict[int, int] = field(default_factory=dict)  # action index -> timer id


class SimulatedHost:
    """Runs orchestrations in memory: activities in-process, timers on a virtual clock.

    ``activities`` maps names to plain functions; an exception from one becomes a
    ``TaskFailed`` event whose reason reads like the extension's
    (``Activity function 'x' failed: ApprovalRejected: ...``). ``entities`` maps entity
    names to the SDK's entity handles (what ``entity_trigger`` registers); each operation runs
    as soon as it is sent, one at a time, and a call's result comes back as the extension
    sends it (an ``EventRaised`` named by the request id).
    """

    def __init__(
        self,
        orchestrators: dict[str, Handle],
        activities: dict[str, Callable[[Any], Any]],
        start: datetime | None = None,
        entities: dict[str, Handle] | None = None,
    ) -> None:
        self.orchestrators = orchestrators
        self.activities = activities
        self.entities = {name.lower(): handle for name, handle in (entities or {}).items()}
        # entity id ("@name@key") -> its state as JSON text; absent: the entity does not exist
        self.entity_states: dict[str, str | None] = {}
        self.clock = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        # extra context fields for every episode (e.g. the long-timer settings of a backend)
        self.context_extras: dict[str, Any] = {}
        # activity name -> how long its result takes to arrive (default: at once)
        self.latency: dict[str, timedelta] = {}
        self._late: list[tuple[datetime, int, str, dict[str, Any]]] = []
        self.instances: dict[str, SimulatedInstance] = {}
        self.calls: list[tuple[datetime, str, Any]] = []
        self._queue: list[tuple[str, int, str, Any]] = []
        self._ids = 0

    @classmethod
    def from_app(
        cls,
        app: Any,
        activities: dict[str, Callable[[Any], Any]] | None = None,
        start: datetime | None = None,
    ) -> SimulatedHost:
        """A host for a DFApp's registered orchestrators and activities (plus ``activities``)."""
        orchestrators: dict[str, Handle] = {}
        registered: dict[str, Callable[[Any], Any]] = {}
        entities: dict[str, Handle] = {}
        for function in app.get_functions():
            kinds = {binding.type for binding in function.get_bindings()}
            if "orchestrationTrigger" in kinds:
                orchestrators[function.get_function_name()] = function.get_user_function()
            elif "activityTrigger" in kinds:
                registered[function.get_function_name()] = function.get_user_function()
            elif "entityTrigger" in kinds:
                entities[function.get_function_name()] = function.get_user_function()
        registered.update(activities or {})
        return cls(orchestrators, registered, start, entities)

    # --- driving ---

    def start(
        self,
        name: str,
        instance_input: Any,
        instance_id: str | None = None,
        parent: tuple[str, int] | None = None,
    ) -> str:
        if instance_id is None:
            self._ids += 1
            instance_id = f"instance-{self._ids}"
        instance = SimulatedInstance(instance_id, name, instance_input, parent)
        self.instances[instance_id] = instance
        instance.inbox.append(
            event(
                EXECUTION_STARTED,
                self.clock,
                Name=name,
                Input=json.dumps(instance_input),
                Version="",
            )
        )
        self.run_until_idle()
        return instance_id

    def raise_event(self, instance_id: str, name: str, payload: Any) -> None:
        self.raise_events(instance_id, name, [payload])

    def raise_events(self, instance_id: str, name: str, payloads: list[Any]) -> None:
        """Raise several events that the instance then receives in one episode."""
        instance = self.instances[instance_id]
        for payload in payloads:
            instance.inbox.append(
                event(EVENT_RAISED, self.clock, Name=name, Input=json.dumps(payload))
            )
        self.run_until_idle()

    def advance(self, delta: timedelta) -> None:
        """Move the virtual clock, firing every timer that falls due, in time order."""
        target = self.clock + delta
        while True:
            due = sorted(
                (fire_at, iid, tid)
                for iid, inst in self.instances.items()
                for tid, fire_at in inst.timers.items()
                if fire_at <= target
            )
            late = sorted((at, n) for at, n, _, _ in self._late if at <= target)
            if late and (not due or late[0][0] <= due[0][0]):
                at, number = late[0]
                entry = next(item for item in self._late if item[1] == number)
                self._late.remove(entry)
                self.clock = max(self.clock, at)
                if self.instances[entry[2]].status == "Running":
                    self.instances[entry[2]].inbox.append(
                        {**entry[3], "Timestamp": timestamp(self.clock)}
                    )
                self.run_until_idle()
                continue
            if not due:
                break
            fire_at, iid, tid = due[0]
            self.clock = max(self.clock, fire_at)
            instance = self.instances[iid]
            del instance.timers[tid]
            instance.inbox.append(
                event(TIMER_FIRED, self.clock, TimerId=tid, FireAt=timestamp(fire_at))
            )
            self.run_until_idle()
        self.clock = target

    def run_until_idle(self) -> None:
        while True:
            if self._queue:
                self._run_activity(*self._queue.pop(0))
                continue
            ready = [i for i in self.instances.values() if i.inbox and i.status == "Running"]
            if not ready:
                return
            self._episode(ready[0])

    def status(self, instance_id: str) -> SimulatedInstance:
        return self.instances[instance_id]

    # --- internals ---

    def _run_activity(self, instance_id: str, task_id: int, name: str, raw_input: Any) -> None:
        completion = self._execute(task_id, name, raw_input)
        if name in self.latency:
            # The activity runs now; its result arrives later on the virtual clock.
            self._late.append(
                (self.clock + self.latency[name], len(self.calls), instance_id, completion)
            )
        else:
            self.instances[instance_id].inbox.append(completion)

    def _execute(self, task_id: int, name: str, raw_input: Any) -> dict[str, Any]:
        activity_input = json.loads(raw_input) if isinstance(raw_input, str) else raw_input
        self.calls.append((self.clock, name, activity_input))
        function = self.activities.get(name)
        if function is None:
            return event(
                TASK_FAILED,
                self.clock,
                TaskScheduledId=task_id,
                Reason=f"The function '{name}' doesn't exist.",
                Details="",
            )
        try:
            result = function(activity_input)
        except Exception as exc:
            return event(
                TASK_FAILED,
                self.clock,
                TaskScheduledId=task_id,
                Reason=f"Activity function '{name}' failed: {type(exc).__name__}: {exc}",
                Details="".join(traceback.format_exception_only(type(exc), exc)).strip(),
            )
        return event(TASK_COMPLETED, self.clock, TaskScheduledId=task_id, Result=json.dumps(result))

    def _episode(self, instance: SimulatedInstance) -> None:
        for old in instance.history:
            old["IsPlayed"] = True
        new_events = [event(ORCHESTRATOR_STARTED, self.clock), *instance.inbox]
        instance.inbox = []
        instance.history.extend(new_events)
        result = run_episode(
            self.orchestrators[instance.name],
            list(instance.history),
            instance.input,
            instance.instance_id,
            instance.parent[0] if instance.parent else None,
            extras=self.context_extras,
        )
        instance.custom_status = result.custom_status
        for index, action in enumerate(result.actions):
            if index in instance.timer_actions and action.get("isCanceled"):
                instance.timers.pop(instance.timer_actions[index], None)
        for index, action in enumerate(
            result.actions[instance.seen_actions :], instance.seen_actions
        ):
            self._schedule(instance, index, action)
        instance.seen_actions = len(result.actions)
        instance.history.append(event(ORCHESTRATOR_COMPLETED, self.clock))
        if result.error is not None:
            self._finish(instance, "Failed", None, result.error)
        elif result.done:
            self._finish(instance, "Completed", result.output, None)

    def _schedule(self, instance: SimulatedInstance, index: int, action: dict[str, Any]) -> None:
        kind = action.get("actionType")
        if kind == WAIT_EVENT:
            return
        task_id = instance.sequence
        instance.sequence += 1
        if kind in (CALL_ACTIVITY, CALL_ACTIVITY_RETRY):
            name = action["functionName"]
            instance.history.append(
                event(TASK_SCHEDULED, self.clock, task_id, Name=name, Input=action.get("input"))
            )
            self._queue.append((instance.instance_id, task_id, name, action.get("input")))
        elif kind == CREATE_TIMER:
            fire_at = datetime.fromisoformat(str(action["fireAt"]).replace("Z", "+00:00"))
            instance.history.append(
                event(TIMER_CREATED, self.clock, task_id, FireAt=timestamp(fire_at))
            )
            if not action.get("isCanceled"):
                instance.timers[task_id] = fire_at
                instance.timer_actions[index] = task_id
        elif kind in (CALL_ENTITY, SIGNAL_ENTITY):
            self._send_to_entity(instance, task_id, action, signal=kind == SIGNAL_ENTITY)
        elif kind in (CALL_SUB, CALL_SUB_RETRY):
            child_id = action.get("instanceId") or f"{instance.instance_id}:{task_id}"
            name = action["functionName"]
            instance.history.append(
                event(
                    SUB_CREATED,
                    self.clock,
                    task_id,
                    Name=name,
                    InstanceId=child_id,
                    Input=action.get("input"),
                )
            )
            child_input = json.loads(action["input"]) if action.get("input") else None
            child = SimulatedInstance(child_id, name, child_input, (instance.instance_id, task_id))
            self.instances[child_id] = child
            child.inbox.append(
                event(
                    EXECUTION_STARTED, self.clock, Name=name, Input=action.get("input"), Version=""
                )
            )

    def _send_to_entity(
        self, instance: SimulatedInstance, task_id: int, action: dict[str, Any], *, signal: bool
    ) -> None:
        target = str(action.get("instanceId"))
        request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{instance.instance_id}/{task_id}"))
        message = {
            "id": request_id,
            "op": action.get("operation"),
            "signal": signal,
            "input": action.get("input"),
        }
        instance.history.append(
            event(
                EVENT_SENT,
                self.clock,
                task_id,
                InstanceId=target,
                Name="op",
                Input=json.dumps(message),
            )
        )
        result = self.run_entity_operation(
            target, str(action.get("operation")), action.get("input"), signal=signal
        )
        if not signal:
            instance.inbox.append(
                event(EVENT_RAISED, self.clock, Name=request_id, Input=json.dumps(result))
            )

    def run_entity_operation(
        self, entity_id: str, operation: str, operation_input: str | None, *, signal: bool = True
    ) -> dict[str, Any]:
        """Run one operation on an entity (``@name@key``) as the extension would; returns the
        response message (``{"result"}``, plus ``exceptionType`` when it raised)."""
        name, _, key = entity_id.lstrip("@").partition("@")
        handle = self.entities.get(name.lower())
        if handle is None:
            message = f"The function '{name}' doesn't exist or is not an entity function."
            return {"result": json.dumps(message), "exceptionType": "System.Exception"}
        state = self.entity_states.get(entity_id)
        context = {
            "self": {"name": name, "key": key},
            "state": state,
            "exists": entity_id in self.entity_states,
            "batch": [
                {
                    "name": operation,
                    "input": json.dumps(operation_input or "null"),
                    "isSignal": signal,
                }
            ],
        }
        outcome = json.loads(handle(json.dumps(context)))
        if outcome.get("entityExists"):
            self.entity_states[entity_id] = outcome.get("entityState")
        else:
            self.entity_states.pop(entity_id, None)
        [result] = outcome["results"]
        response: dict[str, Any] = {"result": result.get("result") or "null"}
        if result.get("isError"):
            response["exceptionType"] = "System.Exception"
        return response

    def entity_state(self, name: str, key: str) -> Any:
        """An entity's state (None when it does not exist)."""
        state = self.entity_states.get(f"@{name.lower()}@{key}")
        return None if state is None else json.loads(state)

    def _finish(
        self, instance: SimulatedInstance, status: str, output: Any, error: str | None
    ) -> None:
        instance.status, instance.output, instance.error = status, output, error
        instance.timers.clear()
        if status == "Completed":
            instance.history.append(
                event(
                    EXECUTION_COMPLETED,
                    self.clock,
                    OrchestrationStatus=1,
                    Result=json.dumps(output),
                )
            )
        else:
            instance.history.append(
                event(
                    EXECUTION_FAILED, self.clock, OrchestrationStatus=3, Reason=error, Details=None
                )
            )
        if instance.parent is not None:
            parent = self.instances[instance.parent[0]]
            if status == "Completed":
                parent.inbox.append(
                    event(
                        SUB_COMPLETED,
                        self.clock,
                        TaskScheduledId=instance.parent[1],
                        Result=json.dumps(output),
                    )
                )
            else:
                parent.inbox.append(
                    event(
                        SUB_FAILED,
                        self.clock,
                        TaskScheduledId=instance.parent[1],
                        Reason=error,
                        Details=None,
                    )
                )
