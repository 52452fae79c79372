"""The interpreter: runs a validated definition inside a Durable orchestrator, deterministically.

Everything it knows about time and identity comes from the orchestration context
(``current_utc_datetime``, ``new_uuid``); everything it does outside itself is a task it yields
(activities, timers, event waits, sub-orchestrations). Each state machine (the workflow, a
parallel branch, a map iteration) is a generator; :mod:`.concurrency` interleaves them.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from azure.durable_functions.models.Task import TaskState
from azure.durable_functions.models.utils.entity_utils import EntityId

from . import events
from .concurrency import run_concurrently
from .errors import (
    INPUT_INVALID,
    MAP_ITEMS,
    NO_CHOICE,
    TASK_TIMEOUT,
    ExpressionError,
    TransitionLimit,
    WorkflowError,
    WorkflowFailed,
    error_from_failure,
)
from .expressions import compile_expression
from .paths import compile_result_path
from .program import Program
from .retry import RetryPolicy
from .timeutil import format_timestamp, parse_duration, parse_timestamp

__all__ = ["EXPRESSION_FAILED", "ORCHESTRATOR_NAME", "Interpreter"]

ORCHESTRATOR_NAME = "workflow"
EXPRESSION_FAILED = "Expression.Failed"
# A wait for ``count`` events opens at most this many event waits at a time (see
# ``wait_for_events``).
WAITS_AT_ONCE = 100

Run = Generator[Any, Any, Any]


class _Step:
    """Where a state handler sends its machine; plain slotted classes, as one is made per
    transition of every replay."""

    __slots__ = ()


class _Next(_Step):
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class _End(_Step):
    __slots__ = ("output",)

    def __init__(self, output: Any) -> None:
        self.output = output


@dataclass
class Compensation:
    """An undo step recorded when a task with ``compensate`` succeeded."""

    state: str
    activity: str
    input: Any
    retry: RetryPolicy | None


class _ContextClock:
    """Intrinsics' view of time and uuids: the orchestration context's replay-safe ones."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def now(self) -> datetime:
        value: datetime = self._context.current_utc_datetime
        return value

    def uuid(self) -> str:
        return str(self._context.new_uuid())


class Interpreter:
    """One run of one definition in one orchestration context."""

    def __init__(self, context: Any, program: Program) -> None:
        self.context = context
        self.program = program
        self.definition = program.definition
        self.document = program.document
        self.clock = _ContextClock(context)
        self.default_retry = program.default_retry
        self.default_timeout = program.default_timeout
        self.limit = program.max_transitions
        self.transitions = 0
        self.compensations: list[Compensation] = []
        self.compensation_report: list[dict[str, Any]] = []
        self.children = 0
        self._now_at: datetime | None = None
        self._now_text = ""
        self.status: dict[str, Any] = {
            "workflow": self.definition.name,
            "version": self.definition.version,
            "state": None,
        }

    # --- the run ------------------------------------------------------------------------

    def run(self, workflow_input: Any) -> Run:
        """Run the workflow to its end; returns its output or raises :class:`WorkflowError`."""
        self.check_input(workflow_input)
        data = {
            "input": workflow_input,
            "state": {},
            "system": {
                "instanceId": self.context.instance_id,
                "executionId": execution_id(self.context),
                "workflow": self.definition.name,
                "version": self.definition.version,
                "startedAt": format_timestamp(self.clock.now()),
                "now": format_timestamp(self.clock.now()),
            },
        }
        try:
            output = yield from self.machine(
                self.document, data, self.document.get("output", "$.state")
            )
        except (WorkflowError, ExpressionError) as failure:
            error = (
                failure
                if isinstance(failure, WorkflowError)
                else WorkflowError(EXPRESSION_FAILED, f"output: {failure}")
            )
            yield from self.compensate()
            self.publish(self.status.get("state"), error=error.name)
            raise error from None
        return output

    def check_input(self, workflow_input: Any) -> None:
        validator = self.program.input_validator
        if validator is None:
            return
        problems = sorted(
            validator.iter_errors(workflow_input), key=lambda e: list(map(str, e.path))
        )
        if problems:
            described = "; ".join(
                f"{'/'.join(map(str, p.absolute_path)) or '(input)'}: {p.message}" for p in problems
            )
            raise WorkflowError(
                INPUT_INVALID, f"the input does not match the workflow's input schema: {described}"
            )

    def machine(self, machine: dict[str, Any], data: dict[str, Any], output: Any) -> Run:
        """Run one state machine from ``startAt`` to an end; returns its output."""
        states: dict[str, Any] = machine["states"]
        name: str = machine["startAt"]
        system = data["system"]
        # The orchestration's time only moves while this generator waits at a yield, so
        # ``$.system.now`` is read again only after a state that may have waited.
        may_have_waited = True
        while True:
            self.transitions += 1
            if self.transitions > self.limit:
                raise TransitionLimit(self.limit)
            state = states[name]
            if may_have_waited:
                system["now"] = self.now_text()
            self.publish(name)
            may_have_waited = True
            try:
                # States that never wait (pass, choice, ...) answer at once, without a generator.
                outcome = self.HANDLERS[state["type"]](self, name, state, data)
                if isinstance(outcome, _Step):
                    step, may_have_waited = outcome, False
                else:
                    step = yield from outcome
            except TransitionLimit:
                raise
            except (WorkflowError, ExpressionError) as failure:
                error = (
                    failure
                    if isinstance(failure, WorkflowError)
                    else WorkflowError(EXPRESSION_FAILED, f"state {name}: {failure}")
                )
                target = self.catch(state, error, data)
                if target is None:
                    raise error from None
                name = target
                continue
            if isinstance(step, _Next):
                name = step.state
                continue
            assert isinstance(step, _End)
            if step.output is _DEFAULT_OUTPUT:
                return self.evaluate(output, data)
            return step.output

    def catch(
        self, state: dict[str, Any], error: WorkflowError, data: dict[str, Any]
    ) -> str | None:
        """The catcher's next state (writing the error to its resultPath), or ``None``."""
        for catcher in state.get("catch") or ():
            names = catcher["errors"]
            if "*" in names or error.name in names:
                data["system"]["error"] = error.to_json()
                if "resultPath" in catcher:
                    compile_result_path(catcher["resultPath"]).write(data, error.to_json())
                target: str = catcher["next"]
                return target
        return None

    def publish(
        self,
        state: str | None,
        waiting_for: str | None = None,
        deadline: str | None = None,
        error: str | None = None,
    ) -> None:
        """Custom status: workflow, version, state, and waitingFor/deadline while waiting.

        It runs on every transition of every replay, hence the plain field-by-field build.
        """
        status: dict[str, Any] = {
            "workflow": self.definition.name,
            "version": self.definition.version,
        }
        if state is not None:
            status["state"] = state
        if waiting_for is not None:
            status["waitingFor"] = waiting_for
        if deadline is not None:
            status["deadline"] = deadline
        if error is not None:
            status["error"] = error
        if self.compensation_report:
            status["compensation"] = self.compensation_report
        self.status = status
        self.context.set_custom_status(status)

    # --- shared mechanics ---------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def now_text(self) -> str:
        """``$.system.now``: formatted once per distinct orchestration time."""
        now = self.clock.now()
        if now != self._now_at:
            self._now_at, self._now_text = now, format_timestamp(now)
        return self._now_text

    def evaluate(self, template: Any, data: dict[str, Any]) -> Any:
        """Evaluate a template of this definition (compiled once per process)."""
        if template is None:
            return None
        return self.program.template(template).evaluate(data, self.clock)

    def given(self, state: dict[str, Any], field: str, data: dict[str, Any]) -> Any:
        """A field written as a literal (``field``) or as an expression (``field.$``)."""
        if field in state:
            return state[field]
        return compile_expression(state[field + ".$"]).evaluate(data, self.clock)

    def write(self, state: dict[str, Any], data: dict[str, Any], value: Any) -> None:
        if "resultPath" in state:
            compile_result_path(state["resultPath"]).write(data, value)

    def after(self, state: dict[str, Any]) -> _Step:
        if state.get("end"):
            return _End(_DEFAULT_OUTPUT)
        return _Next(state["next"])

    def with_retry(
        self, make: Callable[[], Any], retry: RetryPolicy | None, timeout: str | None
    ) -> Run:
        """Attempt ``make()``'s task; retried failures wait on durable timers (the backoff)."""
        attempt = 1
        while True:
            try:
                return (yield from self.attempt(make(), timeout))
            except WorkflowError as error:
                if retry is None or attempt >= retry.max_attempts or not retry.retries(error.name):
                    raise
                yield self.context.create_timer(
                    self.now() + retry.delay(attempt, error.retry_after)
                )
                attempt += 1

    def attempt(self, task: Any, timeout: str | None) -> Run:
        """One attempt; with a timeout, the task races a durable timer (``Task.Timeout``)."""
        if timeout is None:
            try:
                return (yield task)
            except Exception as exc:
                raise error_from_failure(exc) from None
        timer = self.context.create_timer(self.now() + parse_duration(timeout))
        winner = yield self.context.task_any([task, timer])
        if winner is timer:
            raise WorkflowError(TASK_TIMEOUT, f"no result within {timeout}")
        _cancel(timer)
        if task.state is TaskState.FAILED:
            raise error_from_failure(task.result)
        return task.result

    def deadline(self, spec: dict[str, Any], data: dict[str, Any]) -> datetime:
        """A wait's deadline from ``duration``/``until`` (or their ``.$`` forms)."""
        if "duration" in spec:
            return self.now() + parse_duration(spec["duration"])
        if "duration.$" in spec:
            return self.now() + _duration(
                compile_expression(spec["duration.$"]).evaluate(data, self.clock)
            )
        if "until" in spec:
            return parse_timestamp(spec["until"])
        return _timestamp(compile_expression(spec["until.$"]).evaluate(data, self.clock))

    def compensate(self) -> Run:
        """Run recorded compensations newest first; a failure is recorded, the rest still run."""
        report: list[dict[str, Any]] = []
        while self.compensations:
            item = self.compensations.pop()
            entry: dict[str, Any] = {"state": item.state, "activity": item.activity}
            try:
                yield from self.with_retry(
                    lambda item=item: self.context.call_activity(item.activity, item.input),  # type: ignore[misc]
                    item.retry,
                    None,
                )
                entry["status"] = "compensated"
            except WorkflowError as error:
                entry.update(status="failed", error=error.name, cause=error.cause)
            report.append(entry)
            self.compensation_report.append(entry)
        return report

    # --- states -------------------------------------------------------------------------

    def task_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        retry = self.program.retry(state.get("retry")) or self.default_retry
        timeout = state.get("timeout", self.default_timeout)
        activity = state["activity"]
        activity_input = self.evaluate(state.get("input"), data)
        result = yield from self.with_retry(
            lambda: self.context.call_activity(activity, activity_input), retry, timeout
        )
        self.write(state, data, result)
        undo = state.get("compensate")
        if undo:
            self.compensations.append(
                Compensation(
                    state=name,
                    activity=undo["activity"],
                    input=self.evaluate(undo.get("input"), data),
                    retry=self.program.retry(undo.get("retry")) or retry,
                )
            )
        return self.after(state)

    def pass_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> _Step:
        self.write(state, data, self.evaluate(state.get("result"), data))
        return self.after(state)

    def wait_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        if "event" not in state:
            fire_at = self.deadline(state, data)
            self.publish(name, waiting_for="timer", deadline=format_timestamp(fire_at))
            yield self.context.create_timer(fire_at)
            return self.after(state)
        event = state["event"]
        if "count" in state or "count.$" in state:
            return (yield from self.wait_for_events(name, state, data))
        wait = self.context.wait_for_external_event(event)
        if "timeout" not in state:
            self.publish(name, waiting_for=event)
            payload = yield wait
        else:
            deadline = self.deadline(state["timeout"], data)
            self.publish(name, waiting_for=event, deadline=format_timestamp(deadline))
            timer = self.context.create_timer(deadline)
            winner = yield self.context.task_any([wait, timer])
            if winner is timer:
                events.forget_wait(self.context, event, wait)
                self.publish(name)
                if "timeoutNext" in state:
                    return _Next(state["timeoutNext"])
                raise WorkflowError(
                    TASK_TIMEOUT, f"no {event!r} event by {format_timestamp(deadline)}"
                )
            _cancel(timer)
            payload = wait.result
        self.publish(name)
        self.write(state, data, payload)
        return self.after(state)

    def wait_for_events(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        """Wait for ``count`` events of one name, or until the deadline: the result is the list
        of their payloads in arrival order (fewer when the deadline came first).

        Up to ``WAITS_AT_ONCE`` waits are open at a time, so a host can deliver the events
        that have arrived together in one episode instead of one episode per event, while a
        large count does not make every replay open thousands of waits."""
        event = state["event"]
        remaining = self.event_count(name, state, data)
        timer = None
        if "timeout" in state:
            deadline = self.deadline(state["timeout"], data)
            self.publish(name, waiting_for=event, deadline=format_timestamp(deadline))
            timer = self.context.create_timer(deadline)
        else:
            self.publish(name, waiting_for=event)
        payloads: list[Any] = []
        timed_out = False
        while remaining and not timed_out:
            waits = [
                self.context.wait_for_external_event(event)
                for _ in range(min(remaining, WAITS_AT_ONCE))
            ]
            together = self.context.task_all(waits)
            if timer is None:
                yield together
            else:
                timed_out = (yield self.context.task_any([together, timer])) is timer
            for wait in waits:
                if wait.is_completed:
                    payloads.append(wait.result)
                else:
                    events.forget_wait(self.context, event, wait)
            remaining -= len(waits)
        if timer is not None and not timed_out:
            _cancel(timer)
        self.publish(name)
        self.write(state, data, payloads)
        if timed_out and "timeoutNext" in state:
            return _Next(state["timeoutNext"])
        return self.after(state)

    def event_count(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> int:
        count = self.given(state, "count", data)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise WorkflowError(
                EXPRESSION_FAILED,
                f"state {name}: count must be a whole number of at least 1, got {count!r}",
            )
        return count

    def choice_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> _Step:
        for choice in state["choices"]:
            if self.program.condition(choice["when"])(data, self.clock):
                return _Next(choice["next"])
        if "default" in state:
            return _Next(state["default"])
        raise WorkflowError(NO_CHOICE, f"state {name}: no choice matched and there is no default")

    def parallel_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        def branches() -> list[Run]:
            return [
                self.machine(branch, self.branch_data(data, data["input"]), "$.state")
                for branch in state["branches"]
            ]

        results = yield from self.concurrent(state, branches, max_concurrency=0)
        self.write(state, data, results)
        return self.after(state)

    def map_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        items = compile_expression(state["items"]).evaluate(data, self.clock)
        if not isinstance(items, list):
            raise WorkflowError(
                MAP_ITEMS,
                f"state {name}: items {state['items']} is {type(items).__name__}, expected a list",
            )

        def iterations() -> list[Run]:
            return [
                self.machine(state["iterator"], self.branch_data(data, item, index), "$.state")
                for index, item in enumerate(items)
            ]

        results = yield from self.concurrent(
            state, iterations, max_concurrency=int(state.get("maxConcurrency", 0))
        )
        self.write(state, data, results)
        return self.after(state)

    def concurrent(
        self, state: dict[str, Any], make: Callable[[], list[Run]], *, max_concurrency: int
    ) -> Run:
        """``parallel``/``map`` with the state's retry policy: a retry reruns every branch."""
        retry = self.program.retry(state.get("retry"))
        fail_fast = bool(state.get("failFast", True))
        attempt = 1
        while True:
            try:
                return (
                    yield from run_concurrently(
                        self.context, make(), fail_fast=fail_fast, max_concurrency=max_concurrency
                    )
                )
            except TransitionLimit:
                raise
            except WorkflowError as error:
                if retry is None or attempt >= retry.max_attempts or not retry.retries(error.name):
                    raise
                yield self.context.create_timer(
                    self.now() + retry.delay(attempt, error.retry_after)
                )
                attempt += 1

    def branch_data(
        self, data: dict[str, Any], branch_input: Any, iteration: int | None = None
    ) -> dict[str, Any]:
        system = dict(data["system"])
        system.pop("error", None)
        if iteration is not None:
            system["iteration"] = iteration
        return {"input": branch_input, "state": copy.deepcopy(data["state"]), "system": system}

    def subworkflow_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        request = {
            "workflow": state["workflow"],
            "version": state.get("version"),
            "input": self.evaluate(state.get("input"), data),
        }

        def start() -> Any:
            self.children += 1
            child_id = f"{self.context.instance_id}:{name}:{self.children}"
            return self.context.call_sub_orchestrator(ORCHESTRATOR_NAME, request, child_id)

        retry = self.program.retry(state.get("retry"))
        result = yield from self.with_retry(start, retry, None)
        self.write(state, data, result)
        return self.after(state)

    def entity_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run | _Step:
        """Call an entity operation and wait for its result, or signal it and go on.

        Orchestrations talk to entities directly (``call_entity`` / ``signal_entity``): the
        entity's operations are serialised by the platform, which is why a workflow reaches
        an entity this way rather than through an activity."""
        entity = EntityId(state["entity"], self.entity_key(name, state, data))
        operation = state["operation"]
        operation_input = self.evaluate(state.get("input"), data)
        if state.get("signal"):
            self.context.signal_entity(entity, operation, operation_input)
            return self.after(state)
        return self.call_entity(state, entity, operation, operation_input, data)

    def call_entity(
        self,
        state: dict[str, Any],
        entity: EntityId,
        operation: str,
        operation_input: Any,
        data: dict[str, Any],
    ) -> Run:
        result = yield from self.with_retry(
            lambda: self.context.call_entity(entity, operation, operation_input),
            self.program.retry(state.get("retry")),
            state.get("timeout"),
        )
        self.write(state, data, result)
        return self.after(state)

    def entity_key(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> str:
        key = self.given(state, "key", data)
        if not isinstance(key, str) or not key:
            raise WorkflowError(
                EXPRESSION_FAILED,
                f"state {name}: the entity key must be a non-empty string, got "
                f"{type(key).__name__} {str(key)[:40]!r}",
            )
        return key

    def compensate_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> Run:
        report = yield from self.compensate()
        data["system"]["compensation"] = report
        self.write(state, data, report)
        return self.after(state)

    def succeed_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> _Step:
        if "output" in state:
            return _End(self.evaluate(state["output"], data))
        return _End(_DEFAULT_OUTPUT)

    def fail_state(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> _Step:
        error = (
            state["error"]
            if "error" in state
            else compile_expression(state["error.$"]).evaluate(data, self.clock)
        )
        if "cause.$" in state:
            cause = compile_expression(state["cause.$"]).evaluate(data, self.clock)
        else:
            cause = state.get("cause", f"state {name} failed the workflow")
        raise WorkflowFailed(str(error), cause if isinstance(cause, str) else str(cause))

    HANDLERS: ClassVar[
        dict[str, Callable[[Interpreter, str, dict[str, Any], dict[str, Any]], Run | _Step]]
    ] = {
        "task": task_state,
        "pass": pass_state,
        "wait": wait_state,
        "choice": choice_state,
        "parallel": parallel_state,
        "map": map_state,
        "subworkflow": subworkflow_state,
        "entity": entity_state,
        "compensate": compensate_state,
        "succeed": succeed_state,
        "fail": fail_state,
    }


_DEFAULT_OUTPUT = object()


def _cancel(timer: Any) -> None:
    """Cancel a timer that lost its race (keeps the extension from waking us needlessly)."""
    if not timer.is_completed:
        with contextlib.suppress(ValueError, AttributeError):
            timer.cancel()


def _duration(value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise WorkflowError(EXPRESSION_FAILED, str(exc)) from None


def _timestamp(value: Any) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise WorkflowError(EXPRESSION_FAILED, str(exc)) from None


def execution_id(context: Any) -> str | None:
    """The id of this run of the instance, from its ``ExecutionStarted`` history event.

    An instance id is reused when an instance is started again (or restarted); the execution
    id tells the runs apart, so a step can key what a run owns by it. The SDK keeps the
    event's ``OrchestrationInstance`` as sent by the host; hosts that send none give None.
    """
    for event in getattr(context, "histories", None) or ():
        instance = getattr(event, "OrchestrationInstance", None)
        if isinstance(instance, dict) and instance.get("ExecutionId"):
            return str(instance["ExecutionId"])
    return None
