"""Triggers that start or route into workflows. ``blueprint`` holds the Service Bus triggers
on ``schema-changes`` (see ``schema_changes``) and ``device-events`` (see ``device_events``);
``scheduled_blueprint`` the schedules timer and the ``output-queue`` trigger (see
``sync_items``)."""

from ingress.scheduled import blueprint as scheduled_blueprint
from ingress.triggers import blueprint

__all__ = ["blueprint", "scheduled_blueprint"]
