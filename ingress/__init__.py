"""Triggers that start or route into workflows. ``blueprint`` holds them for ``DFApp``:
the Service Bus triggers on ``schema-changes`` (see ``schema_changes``) and
``device-events`` (see ``device_events``)."""

from ingress.triggers import blueprint

__all__ = ["blueprint"]
