"""Admin routes: the Functions host's status route and devhost's own clock and idle routes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web

from ..clock import Clock, parse_duration
from ..loader import FunctionInfo
from .params import parse_json, seconds
from .problems import problem


class AdminHost(Protocol):
    """What the admin routes read and drive of the host (``devhost.host.Host``)."""

    running: bool
    clock: Clock
    functions: list[FunctionInfo]

    def uptime_ms(self) -> int: ...

    async def wait_idle(self, timeout: float = ...) -> bool: ...

    async def advance(self, delta: timedelta, settle_timeout: float = ...) -> datetime: ...


__all__ = ["MAX_IDLE_WAIT", "admin_routes"]

MAX_IDLE_WAIT = 24 * 3600.0  # a day: longer is a mistake, not a wait


class _BadField(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _advance_by(body: dict[str, object], now: datetime) -> timedelta:
    """The step of ``{"seconds": N}`` or ``{"duration": "PT24H"}``, checked to stay in range."""
    if ("seconds" in body) == ("duration" in body):
        raise _BadField(
            "seconds", 'expected "seconds" (a number) or "duration" (ISO 8601), exactly one of them'
        )
    if "duration" in body:
        field = "duration"
        try:
            delta = parse_duration(str(body["duration"]))
        except ValueError as exc:
            raise _BadField(field, str(exc)) from None
    else:
        field, seconds = "seconds", body["seconds"]
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
        ):
            raise _BadField(field, f"expected a finite number of seconds, got {seconds!r}")
        if seconds < 0:
            raise _BadField(field, "the clock cannot go backwards")
        try:
            delta = timedelta(seconds=seconds)
        except OverflowError:
            raise _BadField(field, f"{seconds!r} seconds is too far") from None
    try:
        now + delta
    except OverflowError:
        raise _BadField(field, "that would move the clock past the year 9999") from None
    return delta


def admin_routes(host: AdminHost) -> list[web.RouteDef]:
    async def status(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "id": "devhost",
                "state": "Running" if host.running else "Initialized",
                "version": "devhost",
                "processUptime": host.uptime_ms(),
                "functions": [f.name for f in host.functions],
            }
        )

    async def clock(_: web.Request) -> web.Response:
        return web.json_response(
            {"now": host.clock.now().isoformat(), "virtual": host.clock.is_virtual}
        )

    async def advance(request: web.Request) -> web.Response:
        if not host.clock.is_virtual:
            return problem(
                409, "the clock is real; start devhost with --clock virtual to advance it"
            )
        body, error = parse_json(await request.text() or "{}", "body")
        if error is not None:
            return problem(
                400, f'{error}; send JSON such as {{"seconds": 60}} or {{"duration": "PT24H"}}'
            )
        if not isinstance(body, dict):
            return problem(400, "body: expected a JSON object")
        try:
            delta = _advance_by(body, host.clock.now())
        except _BadField as exc:
            return problem(400, exc.message, field=exc.field)
        now = await host.advance(delta)
        return web.json_response({"now": now.isoformat(), "virtual": True})

    async def idle(request: web.Request) -> web.Response:
        timeout = seconds(request.query, "timeout", high=MAX_IDLE_WAIT, default=30.0)
        assert timeout is not None
        if await host.wait_idle(timeout):
            return web.json_response({"idle": True})
        return problem(408, f"still busy after {timeout} s", idle=False)

    return [
        web.get("/admin/host/status", status),
        web.get("/admin/devhost/clock", clock),
        web.post("/admin/devhost/clock/advance", advance),
        web.post("/admin/devhost/idle", idle),
    ]
