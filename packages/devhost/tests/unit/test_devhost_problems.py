"""The problem middleware: whatever fails inside a handler, or before one is found, answers
``application/problem+json``."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from devhost.web.problems import problem_middleware


async def _boom(_: web.Request) -> web.Response:
    raise OverflowError("Python int too large to convert to SQLite INTEGER")


async def _small(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="ok")


async def _ask(method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    app = web.Application(middlewares=[problem_middleware], client_max_size=10)
    app.add_routes([web.get("/boom", _boom), web.post("/small", _small)])
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answer = await client.request(method, path, **kwargs)
        return answer.status, dict(answer.headers), await answer.json(content_type=None)


def test_an_unexpected_error_is_a_500_problem_naming_it() -> None:
    status, headers, body = asyncio.run(_ask("GET", "/boom"))
    assert status == 500
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["status"] == 500
    assert "OverflowError" in body["detail"] and "/boom" in body["detail"]


def test_a_body_over_the_limit_is_a_413_problem() -> None:
    status, headers, body = asyncio.run(_ask("POST", "/small", data=b"x" * 100))
    assert status == 413
    assert headers["Content-Type"].startswith("application/problem+json")
    assert "Maximum request body size" in body["detail"]


def test_a_wrong_method_is_a_405_problem_with_allow() -> None:
    status, headers, body = asyncio.run(_ask("DELETE", "/small"))
    assert status == 405
    assert headers["Allow"] == "POST"
    assert body["allow"] == ["POST"]
