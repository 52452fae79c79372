"""The management side of the product: definitions, instances, timelines, the stuck-instance
monitor and telemetry, as plain code the HTTP routes (``api/``) and timers call.

Nothing here knows HTTP; the Durable endpoint is reached through :mod:`.durable_http`.
"""
