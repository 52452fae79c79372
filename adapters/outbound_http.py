"""Outbound HTTP for workflows: one request, guarded, bounded, with errors a retry policy can
name.

Every hop (the first request and each redirect) is vetted by :mod:`adapters.outbound_guard`
and sent to the address that was checked, with the original host in ``Host`` and in TLS SNI, so
the certificate is still verified for the name. Connections are never pooled: a pooled TLS
connection to one address could otherwise carry a request for another name. The response body
is read up to a byte limit (counted after decompression). Errors, whose names a workflow's
``retry`` and ``catch`` list:

    Http.DestinationNotAllowed   the URL or a redirect's target is refused (never retried)
    Http.TooManyRequests         429; the message ends "[retry-after Ns]" when the server said
    Http.ServerError             5xx; idem
    Http.UnexpectedStatus        any other status outside ``expectedStatuses``
    Http.Timeout                 no complete answer within the timeout
    Http.ConnectionFailed        DNS, TCP or TLS failure
    Http.ResponseTooLarge        the body is larger than the limit
    Http.TooManyRedirects        more than 5 redirects
"""

from __future__ import annotations

import email.utils
import json
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.outbound_guard import (
    AllowList,
    DestinationNotAllowed,
    Resolver,
    Vetted,
    system_resolver,
    vet_destination,
)

__all__ = [
    "FORBIDDEN_HEADERS",
    "ConnectionFailed",
    "DestinationNotAllowed",
    "HttpFailure",
    "HttpTimeout",
    "OutboundHttp",
    "OutboundRequest",
    "ResponseTooLarge",
    "ServerError",
    "TooManyRedirects",
    "TooManyRequests",
    "UnexpectedStatus",
    "parse_retry_after",
]

MAX_REDIRECTS = 5
MAX_RETRY_AFTER_SECONDS = 24 * 3600
_REDIRECTS = {301, 302, 303, 307, 308}
# Sent by the client itself, or meaningful only to one connection: a caller may not set them.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
    }
)
# Credentials that must not follow a redirect to another origin (as browsers and httpx do).
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


class HttpFailure(Exception):
    """Base of the named failures; ``name`` is the workflow's error name."""

    name = "Http.Failed"


def _failure(name: str) -> type[HttpFailure]:
    cls = type(name, (HttpFailure,), {"name": name, "__doc__": f"The error ``{name}``."})
    cls.__qualname__ = name
    return cls


TooManyRequests = _failure("Http.TooManyRequests")
ServerError = _failure("Http.ServerError")
UnexpectedStatus = _failure("Http.UnexpectedStatus")
HttpTimeout = _failure("Http.Timeout")
ConnectionFailed = _failure("Http.ConnectionFailed")
ResponseTooLarge = _failure("Http.ResponseTooLarge")
TooManyRedirects = _failure("Http.TooManyRedirects")


@dataclass(frozen=True)
class OutboundRequest:
    """One call as the ``http_request`` activity asks for it (already type-checked)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    expected: Sequence[int] = tuple(range(200, 300))
    timeout: float = 30.0
    max_bytes: int | None = None
    follow_redirects: bool = True


class OutboundHttp:
    """The guarded client. ``resolve`` is the DNS lookup and ``verify`` the TLS trust (the
    system's CA bundle by default); tests pass their own of both."""

    def __init__(
        self,
        allow: AllowList,
        *,
        max_response_bytes: int,
        resolve: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.allow = allow
        self.max_response_bytes = max_response_bytes
        self.resolve = resolve
        self.verify = verify

    def send(self, request: OutboundRequest) -> dict[str, Any]:
        """Make the call, following redirects; the answer as workflow data."""
        limit = min(request.max_bytes or self.max_response_bytes, self.max_response_bytes)
        deadline = time.monotonic() + request.timeout
        method, headers = request.method.upper(), dict(request.headers)
        content = (
            json.dumps(request.body, ensure_ascii=False).encode("utf-8")
            if request.has_body
            else None
        )
        if content is not None:
            headers.setdefault("Content-Type", "application/json")
        url = httpx.URL(request.url) if _is_url(request.url) else request.url
        with httpx.Client(
            trust_env=False,
            follow_redirects=False,
            verify=self.verify,
            limits=httpx.Limits(max_keepalive_connections=0),
            timeout=httpx.Timeout(request.timeout, connect=min(request.timeout, 10.0)),
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target = vet_destination(url, self.allow, self.resolve)
                status, answer_headers, body = self._hop(
                    client, target, method, headers, content, limit, deadline
                )
                location = answer_headers.get("location")
                if not (request.follow_redirects and status in _REDIRECTS and location):
                    return self._result(request, target, status, answer_headers, body)
                following = target.url.join(location)
                if _origin(following) != _origin(target.url):
                    headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIALS}
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, content = ("GET" if method != "HEAD" else "HEAD"), None
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                url = following
        raise TooManyRedirects(f"{request.url}: more than {MAX_REDIRECTS} redirects")

    def _hop(
        self,
        client: httpx.Client,
        target: Vetted,
        method: str,
        headers: Mapping[str, str],
        content: bytes | None,
        limit: int,
        deadline: float,
    ) -> tuple[int, dict[str, str], bytes]:
        address = f"[{target.address}]" if target.address.version == 6 else str(target.address)
        pinned = target.url.copy_with(host=address, port=target.port)
        default = {"http": 80, "https": 443}[target.url.scheme]
        host_header = target.host if target.port == default else f"{target.host}:{target.port}"
        outgoing = client.build_request(
            method,
            pinned,
            headers={**headers, "Host": host_header},
            content=content,
            extensions={"sni_hostname": target.host},
        )
        try:
            response = client.send(outgoing, stream=True)
        except httpx.TimeoutException:
            raise HttpTimeout(f"{_where(target)}: no answer in time") from None
        except httpx.HTTPError as error:
            raise ConnectionFailed(
                f"{_where(target)}: {type(error).__name__}: {_one_line(str(error))}"
            ) from None
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(
                    f"{_where(target)}: the response declares {declared} "
                    f"bytes; at most {limit} are read"
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(
                        f"{_where(target)}: the response is larger than {limit} bytes"
                    )
                if time.monotonic() > deadline:
                    raise HttpTimeout(f"{_where(target)}: the response did not end in time")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise HttpTimeout(f"{_where(target)}: the response did not end in time") from None
        except httpx.HTTPError as error:
            raise ConnectionFailed(
                f"{_where(target)}: {type(error).__name__} while reading the response"
            ) from None
        finally:
            response.close()
        received: dict[str, str] = {}
        for name, value in response.headers.multi_items():  # repeated headers joined
            key = name.lower()
            received[key] = f"{received[key]}, {value}" if key in received else value
        return response.status_code, received, b"".join(chunks)

    @staticmethod
    def _result(
        request: OutboundRequest, target: Vetted, status: int, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        decoded = _decode(headers.get("content-type", ""), body)
        if status not in request.expected:
            where = f"{request.method.upper()} {_where(target)}"
            wait = parse_retry_after(headers.get("retry-after"), datetime.now(UTC))
            hint = f" [retry-after {wait}s]" if wait is not None else ""
            if status == 429:
                raise TooManyRequests(f"{where} answered 429{hint}")
            if status >= 500:
                raise ServerError(f"{where} answered {status}{hint}")
            raise UnexpectedStatus(
                f"{where} answered {status}, expected one of {_statuses(request.expected)}"
            )
        return {"status": status, "headers": headers, "body": decoded, "url": str(target.url)}


def parse_retry_after(value: str | None, now: datetime) -> int | None:
    """Seconds a ``Retry-After`` asks for (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = int(text[:12])
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max(0, int((when - now).total_seconds() + 0.999))
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def _decode(content_type: str, body: bytes) -> Any:
    """JSON when the type says so and it parses; else text (undecodable bytes replaced)."""
    if not body:
        return None
    mime, _, params = content_type.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    mime = mime.strip().lower()
    if mime == "application/json" or mime.endswith("+json"):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return text


def _is_url(text: str) -> bool:
    try:
        httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    return True


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    return url.scheme, url.raw_host.lower(), url.port


def _where(target: Vetted) -> str:
    """The destination for a message: no query string, which may carry a key."""
    return f"{target.url.scheme}://{target.host}:{target.port}{target.url.path}"[:300]


def _statuses(expected: Sequence[int]) -> str:
    values = sorted(set(expected))
    if values == list(range(200, 300)):
        return "2xx"
    return ", ".join(map(str, values[:20])) + (" ..." if len(values) > 20 else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
