"""One orchestration episode: read the due messages, build the SDK's context, and decide what
the SDK's answer means as data (``decision.Decision``: history events, outgoing work, timers,
messages, the new status); ``instance_store.apply`` applies it. Nothing here touches SQL.

Task ids follow the SDK's own counting: every action but an event wait takes the next id, in
the order the SDK schedules them. Retries are the host's job, as in the extension: a failed
attempt gets a timer and, when it fires, a new attempt, each with the next id. Because the SDK
hands out those ids while it processes the failure, retry bookkeeping messages are delivered
first in an episode, before anything that can make user code schedule new work.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .._sqlite import from_ts, to_ts
from . import decision as d
from . import instance_store
from .history import EventType, event
from .instance_store import StaleEpisode
from .protocol import (
    CALL_ACTIVITY,
    CALL_ACTIVITY_RETRY,
    CALL_ENTITY,
    CALL_HTTP,
    CALL_SUB,
    CALL_SUB_RETRY,
    CONTINUE_AS_NEW,
    CREATE_TIMER,
    HTTP_ACTIVITY,
    REPLAYED,
    SIGNAL_ENTITY,
    TERMINAL,
    WAIT_EVENT,
    flatten_actions,
)
from .rows import InstanceRow, Progress
from .store import Store

__all__ = ["Episode", "EpisodeHost", "Progress", "StaleEpisode"]

log = logging.getLogger("devhost.durable")

_REJECTED_RETRY = timedelta(minutes=1)


class EpisodeHost(Protocol):
    """What an episode needs of the engine that runs it: the store to read, the orchestrators
    and the version settings (``orchestrations.OrchestrationEngine``)."""

    store: Store
    orchestrators: dict[str, Any]
    default_version: str | None
    version_match: str
    version_failure: str


def _retry_delay(options: dict[str, Any], attempt: int) -> timedelta:
    first = float(options.get("firstRetryIntervalInMilliseconds", 0))
    backoff = float(options.get("backoffCoefficient", 1.0))
    delay = first * (backoff ** max(attempt - 1, 0))
    cap = options.get("maxRetryIntervalInMilliseconds")
    if cap:
        delay = min(delay, float(cap))
    return timedelta(milliseconds=delay)


class Episode:
    """One episode of one instance: prepare (read), run user code, commit (write)."""

    def __init__(
        self, engine: EpisodeHost, inst: InstanceRow, rows: list[Any], now: datetime
    ) -> None:
        self.e = engine
        self.inst = inst
        self.rows = rows
        self.now = now
        self.iid: str = inst.id
        self.status: str = inst.status
        self.progress = Progress.load(inst.state)
        self.consumed: list[int] = []
        self.delivered: list[dict[str, Any]] = []
        self.delivered_events: dict[str, int] = {}
        self.prefix: list[dict[str, Any]] = []  # suspend/resume events recorded before running
        self.control: tuple[str, Any] | None = None
        self.should_run = False
        self.result: dict[str, Any] | None = None
        self.sent_to_entities = False  # the engine wakes its entity loop only when needed

    # ------------------------------------------------------------------------------ prepare
    def prepare(self) -> None:
        execution = self.inst.execution_id
        waiting: dict[str, int] = {}
        if any(row["kind"] == "event" for row in self.rows):  # read only when it can matter
            waiting = instance_store.waiting_counts(self.e.store.conn(), self.iid)
        first: list[tuple[int, dict[str, Any]]] = []
        rest: list[tuple[int, dict[str, Any]]] = []
        for row in self.rows:
            kind = row["kind"]
            evt = json.loads(row["event"])
            if self.status in TERMINAL and kind != "start":
                self.consumed.append(row["id"])  # nothing can use it any more
                continue
            if kind in ("terminate", "suspend", "resume"):
                if kind == "terminate":
                    self.control = ("terminate", evt.get("Input"))
                    self.consumed.append(row["id"])
                    return
                self.consumed.append(row["id"])
                self._suspend_or_resume(kind)
                continue
            if self.status == "Suspended":
                continue
            if row["execution_id"] and row["execution_id"] != execution and kind != "event":
                self.consumed.append(row["id"])  # left over from an earlier execution
                continue
            if kind == "event":
                name = row["name"]
                if waiting.get(name, 0) - self.delivered_events.get(name, 0) <= 0:
                    continue  # buffered until the orchestration waits for it
                self.delivered_events[name] = self.delivered_events.get(name, 0) + 1
            target = rest
            if kind == "start" or self._is_retry_bookkeeping(evt):
                target = first
            target.append((row["id"], evt))
        for row_id, evt in first + rest:
            self.consumed.append(row_id)
            self.delivered.append(evt)
        self.should_run = bool(self.delivered) and self.status not in ("Suspended",)

    def _suspend_or_resume(self, kind: str) -> None:
        if kind == "suspend" and self.status in ("Running", "Pending"):
            self.status = "Suspended"
            self.prefix.append(event(EventType.ExecutionSuspended, self.now))
        elif kind == "resume" and self.status == "Suspended":
            self.status = "Running"
            self.prefix.append(event(EventType.ExecutionResumed, self.now))

    def _is_retry_bookkeeping(self, evt: dict[str, Any]) -> bool:
        kind = evt["EventType"]
        if kind in (EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed):
            return str(evt["TaskScheduledId"]) in self.progress.retries
        if kind == EventType.TimerFired:
            task = self.progress.retry_timers.get(str(evt["TimerId"]))
            if task is None:
                return False
            retry = self.progress.retries[task]
            return int(retry["attempt"]) < int(retry["options"].get("maxNumberOfAttempts", 1))
        return False

    # ------------------------------------------------------------------------------ execute
    def build_context(self) -> str | None:
        """The orchestration context JSON for the SDK, or None when the episode cannot run
        (then ``control`` says why and the commit fails the instance)."""
        if self.inst.name not in self.e.orchestrators:
            self.control = (
                "fail",
                f"The function '{self.inst.name}' doesn't exist, is"
                " disabled, or is not an orchestrator function.",
            )
            return None
        if any(e["EventType"] == EventType.ExecutionStarted for e in self.delivered):
            problem = self._version_problem()
            if problem:
                # versionFailureStrategy: Fail ends the instance; Reject leaves it Pending for a
                # worker of the right version (devhost offers it again every minute).
                self.control = ("fail" if self.e.version_failure == "fail" else "defer", problem)
                return None
        past = instance_store.replayed_history(self.e.store.conn(), self.iid)
        self.new_events = [event(EventType.OrchestratorStarted, self.now), *self.delivered]
        history = past + [json.dumps(e) for e in self.new_events if e["EventType"] in REPLAYED]
        rest = json.dumps(
            {
                "instanceId": self.iid,
                "isReplaying": bool(past),
                "parentInstanceId": self.inst.parent_id,
                "input": self.inst.input,
                "upperSchemaVersion": 2,
                "upperSchemaVersionNew": 2,
            }
        )
        # The stored events are already the JSON the SDK reads: splice them in unparsed.
        return '{"history": [' + ", ".join(history) + "], " + rest[1:]

    def _version_problem(self) -> str | None:
        current, wanted = self.e.default_version, self.inst.version
        match = self.e.version_match
        if match == "none" or current is None:
            return None
        ok = (
            (wanted == current)
            if match == "strict"
            else (_version_key(wanted or "") <= _version_key(current))
        )
        if ok:
            return None
        return (
            f"The orchestration version '{wanted}' does not match the worker version"
            f" '{current}' (versionMatchStrategy {match})."
        )

    # ------------------------------------------------------------------------------- decide
    def decide(self) -> d.Decision:
        """What the episode does to the store, as data, in the order it applies."""
        decision = d.Decision(self.inst)
        ops = decision.ops
        if self.control is not None and self.control[0] == "defer":
            log.warning("instance %s: %s; offered again in a minute", self.iid, self.control[1])
            ops.append(d.Defer(tuple(self.consumed), self.now + _REJECTED_RETRY))
            return decision
        if self.consumed:
            ops.append(d.Consume(tuple(self.consumed)))
        if self.prefix:
            ops.append(d.AppendHistory(tuple(self.prefix)))
        if self.delivered_events:
            ops.append(d.DeliverEvents(dict(self.delivered_events)))
        if self.control is not None:
            verb, detail = self.control
            if verb == "terminate":
                if self.status not in TERMINAL:
                    reason = json.dumps(json.loads(detail) if detail else "")
                    ops.append(
                        d.Finish(
                            "Terminated",
                            reason,
                            self.now,
                            (event(EventType.ExecutionTerminated, self.now, Input=reason),),
                        )
                    )
                    self.status = "Terminated"
            else:
                ops.append(
                    d.Finish(
                        "Failed",
                        json.dumps(detail),
                        self.now,
                        (event(EventType.ExecutionFailed, self.now, Reason=detail),),
                    )
                )
                self.status = "Failed"
            return decision
        if self.result is None:
            ops.append(d.SetStatus(self.status, self.now))
            return decision
        self._decide_result(ops, self.result)
        return decision

    def _decide_result(self, ops: list[d.Op], result: dict[str, Any]) -> None:
        now, p = self.now, self.progress
        scheduled: list[dict[str, Any]] = []
        # Retry bookkeeping first: the SDK numbered these ids while processing the messages.
        for evt in self.new_events:
            self._retry_step(ops, evt, scheduled)
        actions = flatten_actions(result.get("actions") or [])
        for index, action in enumerate(actions[: p.actions_seen]):
            if (
                action.get("actionType") == CREATE_TIMER
                and action.get("isCanceled")
                and index < len(p.action_ids)
            ):
                ops.append(d.CancelTimer(p.action_ids[index]))
        continue_input: Any = ...
        for action in actions[p.actions_seen :]:
            kind = int(action.get("actionType", -1))
            if kind == WAIT_EVENT:
                p.action_ids.append(-1)
                ops.append(d.WaitForEvent(action.get("externalEventName")))
                continue
            task_id = p.take_id()
            p.action_ids.append(task_id)
            if kind == CONTINUE_AS_NEW:
                continue_input = action.get("input")
            else:
                self._schedule(ops, kind, action, task_id, scheduled)
        p.actions_seen = len(actions)
        custom = result.get("customStatus")
        custom_json = json.dumps(custom) if custom is not None else None
        history = [*self.new_events, *scheduled]
        error = result.get("error")
        if error is not None and not result.get("isDone"):
            message = f"Orchestrator function '{self.inst.name}' failed: {error}"
            ops.append(d.AppendHistory(tuple(history)))
            ops.append(d.SetState(p.dump()))
            ops.append(
                d.Finish(
                    "Failed",
                    json.dumps(message),
                    now,
                    (
                        event(EventType.ExecutionFailed, now, Reason=message),
                        event(EventType.OrchestratorCompleted, now),
                    ),
                    custom_json,
                )
            )
            self.status = "Failed"
            return
        if result.get("isDone") and continue_input is not ...:
            ops.append(self._continue_as_new(continue_input, custom_json))
            self.status = "Running"
            return
        history.append(event(EventType.OrchestratorCompleted, now))
        ops.append(d.AppendHistory(tuple(history)))
        if result.get("isDone"):
            output = json.dumps(result.get("output"))
            ops.append(d.SetState(p.dump()))
            ops.append(
                d.Finish(
                    "Completed",
                    output,
                    now,
                    (
                        event(
                            EventType.ExecutionCompleted,
                            now,
                            OrchestrationStatus="Completed",
                            Result=output,
                        ),
                    ),
                    custom_json,
                )
            )
            self.status = "Completed"
            return
        if self.status == "Pending":
            self.status = "Running"
        ops.append(d.SetStatus(self.status, now, custom_json, p.dump()))

    def _continue_as_new(self, new_input: Any, custom_json: str | None) -> d.ContinueAsNew:
        """A fresh execution with the new input; buffered events stay in the inbox."""
        execution_id = uuid.uuid4().hex
        started = event(
            EventType.ExecutionStarted,
            self.now,
            Name=self.inst.name,
            Input=new_input,
            Version=self.inst.version,
            OrchestrationInstance={"InstanceId": self.iid, "ExecutionId": execution_id},
            ParentInstance=None,
        )
        return d.ContinueAsNew(new_input, custom_json, self.now, execution_id, started)

    def _retry_step(
        self, ops: list[d.Op], evt: dict[str, Any], scheduled: list[dict[str, Any]]
    ) -> None:
        p, now = self.progress, self.now
        kind = evt["EventType"]
        if kind in (EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed):
            task = str(evt["TaskScheduledId"])
            retry = p.retries.get(task)
            if retry is None:
                return
            timer_id = p.take_id()
            options = retry["options"]
            fire_at = now + _retry_delay(options, int(retry["attempt"]))
            timeout = options.get("retryTimeoutInMilliseconds")
            if timeout and now >= from_ts(retry["started"]) + timedelta(
                milliseconds=float(timeout)
            ):
                fire_at = now
                retry["attempt"] = int(options.get("maxNumberOfAttempts", 1))
            p.retry_timers[str(timer_id)] = task
            self._schedule_timer(ops, timer_id, fire_at, scheduled)
        elif kind == EventType.TimerFired:
            found = p.retry_timers.pop(str(evt["TimerId"]), None)
            if found is None:
                return
            task = found
            retry = p.retries.pop(task)
            if int(retry["attempt"]) >= int(retry["options"].get("maxNumberOfAttempts", 1)):
                return
            new_id = p.take_id()
            retry["attempt"] = int(retry["attempt"]) + 1
            p.retries[str(new_id)] = retry
            if retry["kind"] == "activity":
                self._schedule_activity(ops, retry["name"], retry["input"], new_id, scheduled)
            else:
                self._schedule_sub(ops, retry, new_id, scheduled)

    def _schedule(
        self,
        ops: list[d.Op],
        kind: int,
        action: dict[str, Any],
        task_id: int,
        scheduled: list[dict[str, Any]],
    ) -> None:
        now = self.now
        if kind in (CALL_ACTIVITY, CALL_ACTIVITY_RETRY):
            self._schedule_activity(
                ops, action["functionName"], action.get("input"), task_id, scheduled
            )
            if kind == CALL_ACTIVITY_RETRY:
                self.progress.retries[str(task_id)] = {
                    "kind": "activity",
                    "name": action["functionName"],
                    "input": action.get("input"),
                    "options": action.get("retryOptions", {}),
                    "attempt": 1,
                    "started": to_ts(now),
                }
        elif kind in (CALL_SUB, CALL_SUB_RETRY):
            spec = {
                "kind": "sub",
                "name": action["functionName"],
                "input": action.get("input"),
                "instance_id": action.get("instanceId"),
                "version": action.get("version"),
                "options": action.get("retryOptions", {}),
                "attempt": 1,
                "started": to_ts(now),
            }
            self._schedule_sub(ops, spec, task_id, scheduled)
            if kind == CALL_SUB_RETRY:
                self.progress.retries[str(task_id)] = spec
        elif kind == CREATE_TIMER:
            fire = not action.get("isCanceled")
            self._schedule_timer(ops, task_id, _parse_time(action["fireAt"]), scheduled, fire)
        elif kind in (CALL_ENTITY, SIGNAL_ENTITY):
            target = str(action["instanceId"])
            request_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{self.iid}/{self.inst.execution_id}/{task_id}")
            )
            signal = kind == SIGNAL_ENTITY
            message = {
                "id": request_id,
                "op": action.get("operation"),
                "input": action.get("input"),
                "signal": signal,
                "parent": None if signal else self.iid,
                "parentExecution": self.inst.execution_id,
            }
            scheduled.append(
                event(
                    EventType.EventSent,
                    now,
                    task_id,
                    InstanceId=target,
                    Name="op",
                    Input=json.dumps(message),
                )
            )
            ops.append(d.SendToEntity(target, message, now))
            self.sent_to_entities = True
        elif kind == CALL_HTTP:
            self._schedule_activity(
                ops,
                HTTP_ACTIVITY,
                json.dumps(action.get("httpRequest")),
                task_id,
                scheduled,
                work_kind="http",
            )
        else:
            raise ValueError(f"unsupported action type {kind!r} in {action!r}")

    def _schedule_timer(
        self,
        ops: list[d.Op],
        timer_id: int,
        fire_at: datetime,
        scheduled: list[dict[str, Any]],
        fire: bool = True,
    ) -> None:
        """Record TimerCreated and queue its TimerFired, visible when it is due."""
        scheduled.append(event(EventType.TimerCreated, self.now, timer_id, FireAt=to_ts(fire_at)))
        if fire:
            ops.append(
                d.Post(
                    self.iid,
                    "completion",
                    event(EventType.TimerFired, fire_at, TimerId=timer_id, FireAt=to_ts(fire_at)),
                    fire_at,
                    execution_id=self.inst.execution_id,
                )
            )

    def _schedule_activity(
        self,
        ops: list[d.Op],
        name: str,
        input_json: Any,
        task_id: int,
        scheduled: list[dict[str, Any]],
        work_kind: str = "activity",
    ) -> None:
        scheduled.append(
            event(EventType.TaskScheduled, self.now, task_id, Name=name, Input=input_json)
        )
        ops.append(d.ScheduleWork(self.inst.execution_id, task_id, work_kind, name, input_json))

    def _schedule_sub(
        self,
        ops: list[d.Op],
        spec: dict[str, Any],
        task_id: int,
        scheduled: list[dict[str, Any]],
    ) -> None:
        now = self.now
        child_id = spec.get("instance_id") or f"{self.iid}:{task_id:04d}"
        scheduled.append(
            event(
                EventType.SubOrchestrationInstanceCreated,
                now,
                task_id,
                Name=spec["name"],
                InstanceId=child_id,
                Input=spec.get("input"),
            )
        )
        version = spec.get("version")
        already_running = d.Post(
            self.iid,
            "completion",
            event(
                EventType.SubOrchestrationInstanceFailed,
                now,
                TaskScheduledId=task_id,
                Reason=f"An orchestration with instance ID '{child_id}' already"
                " exists and is running.",
                Details="",
            ),
            now,
            execution_id=self.inst.execution_id,
        )
        ops.append(
            d.StartChild(
                spec["name"],
                child_id,
                spec.get("input"),
                now,
                version if version is not None else self.e.default_version,
                uuid.uuid4().hex,
                (self.iid, task_id, self.inst.name),
                already_running,
            )
        )


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _version_key(text: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for piece in text.replace("-", ".").split("."):
        parts.append((0, int(piece)) if piece.isdigit() else (1, piece))
    return tuple(parts)
