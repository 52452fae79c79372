"""devhost: run any Python Durable Functions app (v2 programming model) on one machine.

A local stand-in for ``func start`` plus the Durable extension and the storage/Service Bus
emulators: SQLite for state, a real or virtual clock, no Azure, no Core Tools, no Docker. It
imports nothing from the app it hosts.
"""

from .host import Host

__all__ = ["Host"]
