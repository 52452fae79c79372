"""Admin routes: the Functions host's status route and devhost's own clock and idle routes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from ..clock import parse_duration
from .problems import problem

if TYPE_CHECKING:
    from ..host import Host

__all__ = ["admin_routes"]


def admin_routes(host: Host) -> list[web.RouteDef]:
    async def status(_: web.Request) -> web.Response:
        return web.json_response({
            "id": "devhost", "state": "Running" if host.running else "Initialized",
            "version": "devhost", "processUptime": host.uptime_ms(),
            "functions": [f.name for f in host.functions]})

    async def clock(_: web.Request) -> web.Response:
        return web.json_response({"now": host.clock.now().isoformat(),
                                  "virtual": host.clock.is_virtual})

    async def advance(request: web.Request) -> web.Response:
        if not host.clock.is_virtual:
            return problem(409, "the clock is real; start devhost with --clock virtual to"
                                " advance it")
        try:
            body = json.loads(await request.text() or "{}")
        except json.JSONDecodeError:
            return problem(400, "body: expected JSON such as {\"seconds\": 60} or"
                                " {\"duration\": \"PT24H\"}")
        if not isinstance(body, dict):
            return problem(400, "body: expected a JSON object")
        try:
            if "duration" in body:
                delta = parse_duration(str(body["duration"]))
            elif "seconds" in body and isinstance(body["seconds"], int | float) \
                    and not isinstance(body["seconds"], bool):
                delta = timedelta(seconds=float(body["seconds"]))
            else:
                return problem(400, "expected \"seconds\" (a number) or \"duration\" (ISO 8601)",
                               field="seconds")
            if delta < timedelta(0):
                return problem(400, "the clock cannot go backwards", field="seconds")
        except ValueError as exc:
            return problem(400, str(exc), field="duration")
        now = await host.advance(delta)
        return web.json_response({"now": now.isoformat(), "virtual": True})

    async def idle(request: web.Request) -> web.Response:
        raw = request.query.get("timeout", "30")
        try:
            timeout = float(raw)
        except ValueError:
            return problem(400, f"timeout: expected seconds as a number, got {raw!r}",
                           field="timeout")
        if await host.wait_idle(timeout):
            return web.json_response({"idle": True})
        return problem(408, f"still busy after {timeout} s", idle=False)

    return [
        web.get("/admin/host/status", status),
        web.get("/admin/devhost/clock", clock),
        web.post("/admin/devhost/clock/advance", advance),
        web.post("/admin/devhost/idle", idle),
    ]
