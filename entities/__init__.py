"""Durable entities: ``device`` (key = device id), a bounded, de-duplicated, ordered log of
one device's events with counters. ``blueprint`` holds them for ``DFApp``
(``app.register_functions(entities.blueprint)``)."""

from entities import device
from entities._blueprint import blueprint

__all__ = ["blueprint", "device"]
