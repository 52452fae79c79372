"""The built-in HTTP activity behind ``context.call_http``.

Like the extension, it follows the asynchronous 202 pattern: while the answer is 202 with a
Location header, poll it (after Retry-After seconds on the host clock) until a final answer.
Managed-identity token sources cannot be honoured locally; such calls fail with a clear reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from ..clock import Clock

__all__ = ["run_http_request"]

_MAX_POLLS = 1000


async def run_http_request(request: dict[str, Any], clock: Clock) -> dict[str, Any]:
    if request.get("tokenSource"):
        raise RuntimeError(
            "call_http with a managed-identity token source is not available on"
            " devhost; pass an Authorization header instead"
        )
    method = str(request.get("method", "GET")).upper()
    uri = str(request["uri"])
    headers = {
        k: (v[0] if isinstance(v, list) else str(v))
        for k, v in (request.get("headers") or {}).items()
    }
    content = request.get("content")
    async with aiohttp.ClientSession() as session:
        for _ in range(_MAX_POLLS):
            async with session.request(method, uri, data=content, headers=headers) as response:
                body = await response.text()
                result = {
                    "statusCode": response.status,
                    "headers": dict(response.headers.items()),
                    "content": body,
                }
                location = response.headers.get("Location")
                if (
                    response.status != 202
                    or not location
                    or not request.get("asynchronousPatternEnabled", True)
                ):
                    return result
                wait = float(response.headers.get("Retry-After", "1") or 1)
            await clock.sleep_until(clock.now() + timedelta(seconds=wait))
            method, uri, content = "GET", location, None
    return result
