"""Run several state-machine generators at once inside one orchestrator.

The SDK lets an orchestrator wait on one task at a time, so ``parallel`` and ``map`` drive
their branch generators themselves: each branch yields the task it waits for, and the driver
yields ``task_any`` over all of them, resuming whichever branch's task finished. Branches are
always started and resumed in index order, so a replay makes the same decisions.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from azure.durable_functions.models.Task import TaskState

from .errors import TransitionLimit, WorkflowError

__all__ = ["Branch", "run_concurrently"]

Branch = Generator[Any, Any, Any]


def run_concurrently(
    context: Any,
    branches: list[Branch],
    *,
    fail_fast: bool = True,
    max_concurrency: int = 0,
) -> Generator[Any, Any, list[Any]]:
    """Run ``branches`` (at most ``max_concurrency`` at a time; 0 = all) and return their outputs.

    With ``fail_fast`` the first error stops the other branches and is raised at once;
    otherwise every branch runs to its end and the lowest-index error is raised, carrying
    every branch's error in ``details["branches"]``.
    """
    count = len(branches)
    limit = max_concurrency if max_concurrency > 0 else count
    results: list[Any] = [None] * count
    errors: dict[int, WorkflowError] = {}
    waiting: dict[int, Any] = {}
    next_start = 0

    def step(index: int, value: Any = None, error: BaseException | None = None) -> None:
        branch = branches[index]
        try:
            task = branch.throw(error) if error is not None else branch.send(value)
        except StopIteration as stop:
            results[index] = stop.value
            return
        except WorkflowError as failure:
            errors[index] = failure
            if fail_fast or isinstance(failure, TransitionLimit):
                for other in waiting:
                    branches[other].close()
                for other in range(next_start, count):
                    branches[other].close()
                raise
            return
        waiting[index] = task

    while True:
        while next_start < count and len(waiting) < limit:
            next_start += 1
            step(next_start - 1)
        if not waiting:
            break
        order = sorted(waiting)
        ready = next((i for i in order if waiting[i].is_completed), None)
        if ready is None:
            winner = yield context.task_any([waiting[i] for i in order])
            ready = next(i for i in order if waiting[i] is winner)
        task = waiting.pop(ready)
        if task.state is TaskState.FAILED:
            step(ready, error=task.result)
        else:
            step(ready, value=task.result)

    if errors:
        first = min(errors)
        error = errors[first]
        details = dict(error.details)
        details["branches"] = [errors[i].to_json() if i in errors else None for i in range(count)]
        raise WorkflowError(error.name, error.cause, details)
    return results
