"""Triggers that start or route into workflows. ``blueprint`` holds them for ``DFApp``:
the Service Bus trigger on ``schema-changes`` (see ``schema_changes``)."""

from ingress.triggers import blueprint

__all__ = ["blueprint"]
