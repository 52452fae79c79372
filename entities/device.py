"""The durable entity ``device`` (key = device id): one device's bounded, de-duplicated log.

Operations (see ``device_log`` for the rules):

=================  =============================  ===============================================
operation          input                          result
=================  =============================  ===============================================
``record_event``   the event, with ``receivedAt``  ``{"recorded", "duplicate", "held"}``
``record_events``  a list of such events           ``{"recorded", "duplicates", "held"}``
``get_events``     ``null`` or ``{"limit": n}``    the held events, oldest first
``get_state``      none                           the state (events and counters)
``clear``          ``null`` or ``{"upTo": id}``    ``{"cleared", "remaining"}``
``delete``         none                           ``null``; the entity no longer exists
=================  =============================  ===============================================

An operation that fails raises with a message that starts with its error name
(``Device.InputInvalid``, ``Device.UnknownOperation``), because that message is all a
workflow's entity call receives; the state is left as it was.
"""

from __future__ import annotations

import azure.durable_functions as df

import settings
from entities import device_log
from entities._blueprint import blueprint
from services.records.devices import device_settings

__all__ = ["OPERATIONS", "device"]

OPERATIONS = ("record_event", "record_events", "get_events", "get_state", "clear", "delete")


class UnknownOperation(ValueError):
    def __init__(self, operation: str | None) -> None:
        super().__init__(
            f"Device.UnknownOperation: {operation!r} is not an operation of the "
            f"device entity; expected one of {', '.join(OPERATIONS)}"
        )


@blueprint.entity_trigger(context_name="context", entity_name="device")
def device(context: df.DurableEntityContext) -> None:
    """Dispatch one operation on the device's log (see the table in the module docstring)."""
    operation = context.operation_name
    if operation == "delete":
        context.destruct_on_exit()
        return
    if operation not in OPERATIONS:
        raise UnknownOperation(operation)
    state = context.get_state() or device_log.new_state(context.entity_key)
    value = context.get_input()
    if operation == "record_event":
        limit = device_settings(settings.load()).events_limit
        recorded = device_log.record_event(state, value, limit)
        context.set_state(recorded.state)
        context.set_result(
            {
                "recorded": not recorded.duplicate,
                "duplicate": recorded.duplicate,
                "held": len(recorded.state["events"]),
            }
        )
    elif operation == "record_events":
        # Several events of one session that arrived together: record_event for each, in
        # order, in one operation (the state is copied once, not once per event).
        limit = device_settings(settings.load()).events_limit
        if not isinstance(value, list):
            raise device_log.DeviceInputInvalid(
                "record_events", "(input)", "expected a list of events"
            )
        batch = device_log.record_events(state, value, limit)
        context.set_state(batch.state)
        context.set_result(
            {
                "recorded": batch.recorded,
                "duplicates": batch.duplicates,
                "held": len(batch.state["events"]),
            }
        )
    elif operation == "get_events":
        context.set_result(device_log.events(state, value))
    elif operation == "get_state":
        context.set_result(device_log.public_state(state))
    else:
        limit = device_settings(settings.load()).events_limit
        cleared, count = device_log.clear(state, value, limit)
        context.set_state(cleared)
        context.set_result({"cleared": count, "remaining": len(cleared["events"])})
