"""The app's metrics (OpenTelemetry instruments) and the functions that record them.

Instruments come from the global meter provider through a proxy, so recording before
``telemetry.configure`` (or in a process that never configures, such as a unit test) is a
no-op. Attribute values are short, closed lists (workflow names, outcomes, reason codes), so
the series stay few. Prometheus names: dots become underscores, counters end in ``_total``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry import metrics

__all__ = [
    "observe",
    "record_activity_failed",
    "record_dead_lettered",
    "record_device_event",
    "record_quarantined",
    "record_workflow_ended",
    "record_workflow_started",
]

_meter = metrics.get_meter("workflow_functions")

workflows_started = _meter.create_counter(
    "workflows.started", unit="{instance}", description="Workflow instances started"
)
workflows_ended = _meter.create_counter(
    "workflows.ended",
    unit="{instance}",
    description="Workflow instances that ended, by workflow and outcome (Completed, Failed)",
)
workflow_duration = _meter.create_histogram(
    "workflows.duration",
    unit="s",
    description="Orchestration time from start to end of a workflow instance",
)
activities_failed = _meter.create_counter(
    "activities.failed", unit="{call}", description="Activity calls that raised, by activity"
)
messages_quarantined = _meter.create_counter(
    "messages.quarantined",
    unit="{message}",
    description="Messages quarantined by ingress, by source and reason code",
)
messages_dead_lettered = _meter.create_counter(
    "messages.dead_lettered",
    unit="{message}",
    description="Dead-lettered messages seen by the dead-letter processor, by queue and reason",
)
device_events_recorded = _meter.create_counter(
    "device_events.recorded",
    unit="{event}",
    description="Device events taken by the ingress, by outcome (started, routed, "
    "already-started, rejected)",
)


def record_workflow_started(workflow: str) -> None:
    """A workflow instance (or sub-workflow) loaded its definition: it started."""
    workflows_started.add(1, {"workflow": workflow})


def record_workflow_ended(workflow: str, outcome: str, seconds: float) -> None:
    """An instance ended: ``outcome`` is ``Completed`` or ``Failed``; ``seconds`` from start."""
    workflows_ended.add(1, {"workflow": workflow, "outcome": outcome})
    workflow_duration.record(max(0.0, seconds), {"workflow": workflow, "outcome": outcome})


def record_activity_failed(activity: str, error: str) -> None:
    activities_failed.add(1, {"activity": activity, "error": error})


def record_quarantined(source: str, reason: str) -> None:
    messages_quarantined.add(1, {"source": source, "reason": reason})


def record_dead_lettered(queue: str, reason: str) -> None:
    """For the dead-letter processor: one dead-lettered message of ``queue`` it has seen."""
    messages_dead_lettered.add(1, {"queue": queue, "reason": reason})


def record_device_event(outcome: str, count: int = 1) -> None:
    """``count`` device events the ingress took: recorded on their entity and ``started`` a
    run, ``routed`` to one or ``already-started`` (a redelivery), or ``rejected``
    (quarantined). Duplicates are the entity's own count (its ``duplicates``)."""
    device_events_recorded.add(count, {"outcome": outcome})


def observe(
    name: str,
    description: str,
    unit: str,
    read: Callable[[], Iterable[tuple[float, dict[str, str]]]],
) -> None:
    """A gauge read at each collection: ``read()`` yields ``(value, attributes)``."""

    def callback(_options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
        try:
            return [metrics.Observation(value, attributes) for value, attributes in read()]
        except Exception:  # a gauge that cannot be read is skipped, never breaks a scrape
            return []

    _meter.create_observable_gauge(name, callbacks=[callback], unit=unit, description=description)
