"""A local HTTP server that records every request and answers from a script.

Tests of the Azure adapters point the real client library at it (SendGrid, Microsoft Graph,
...) and then assert on what arrived: method, path, query, headers and body. Replies come
from routes added with ``reply``; an unrouted request gets 404 and is recorded too, so a test
sees the wrong URL instead of a hang.

    with RecordingServer() as server:
        server.reply("POST", "/v3/mail/send", Reply(202))
        ...  # call the adapter with base_url=server.url
        assert server.requests[0].json()["subject"] == "..."
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

__all__ = ["RecordedRequest", "RecordingServer", "Reply", "recording_server"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; ``path`` is percent-decoded, ``raw_path`` is as sent."""

    method: str
    raw_path: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """What the server answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(value).encode("utf-8"),
            {"Content-Type": "application/json", **(headers or {})},
        )


Responder = Reply | Callable[[RecordedRequest, re.Match[str]], Reply]


class RecordingServer:
    """A threaded HTTP server on 127.0.0.1 and a free port, for one test."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """``tls``: serve HTTPS with this server-side context (its certificate and key)."""
        self.requests: list[RecordedRequest] = []
        self._routes: list[tuple[str, re.Pattern[str], Responder]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._scheme = "https" if tls else "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # Keep-alive connections of a client may outlive the test; don't wait for them.
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="recording-server"
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def reply(self, method: str, path_pattern: str, responder: Responder) -> None:
        """Answer ``method`` on a path matching the regex ``path_pattern`` (full match, decoded).

        ``responder`` is a fixed ``Reply`` or a function of the request and the match. The
        route added last wins, so a test can override an earlier answer.
        """
        with self._lock:
            self._routes.insert(0, (method.upper(), re.compile(path_pattern), responder))

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        pattern = re.compile(path_pattern)
        return [
            r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)
        ]

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            routes = list(self._routes)
        for method, pattern, responder in routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                return responder if isinstance(responder, Reply) else responder(request, match)
        return Reply.json({"error": f"no route for {request.method} {request.path}"}, 404)


def _handler_for(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            recorded = RecordedRequest(
                method=self.command,
                raw_path=split.path,
                path=unquote(split.path),
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            reply = server._handle(recorded)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the test asserts on ``requests`` instead of reading a log."""

    return Handler


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    """A started ``RecordingServer``, stopped after the test (also when it fails)."""
    with RecordingServer() as server:
        yield server
