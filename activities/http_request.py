"""``http_request``: one guarded outbound HTTP call (``adapters.outbound_http``).

The input is checked field by field here too (the registry's schema is the first check), so
a bad field fails at once with ``InvalidInput`` naming it. POST and PATCH carry an
``Idempotency-Key`` header derived from the instance id and the step, so a receiver that
honours it applies a retried call once.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from adapters.outbound_guard import AllowList
from adapters.outbound_http import FORBIDDEN_HEADERS, OutboundHttp, OutboundRequest
from runtime import runtime
from services.errors import InvalidInput

from ._blueprint import blueprint
from ._keys import step_key

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_TIMEOUT_SECONDS = 120
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@functools.cache
def _client(allowed: str, max_bytes: str) -> OutboundHttp:
    if not max_bytes.isdigit() or int(max_bytes) < 1:
        raise InvalidInput(
            "OUTBOUND_HTTP_MAX_RESPONSE_BYTES", "expected a whole number of bytes, 1 or more"
        )
    return OutboundHttp(AllowList.parse(allowed), max_response_bytes=int(max_bytes))


def parse_request(data: Any) -> tuple[OutboundRequest, str]:
    """The request and its idempotency key, or ``InvalidInput`` naming the field."""
    key = step_key(data, "http_request")
    method = data.get("method", "GET")
    if method not in METHODS:  # methods are case-sensitive (RFC 9110)
        raise InvalidInput("method", f"expected one of {', '.join(METHODS)}")
    url = data.get("url")
    if not isinstance(url, str) or not 0 < len(url) <= 8192:
        raise InvalidInput("url", "expected an http(s) URL of at most 8192 characters")
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or len(headers) > 50:
        raise InvalidInput("headers", "expected an object of at most 50 name: value strings")
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise InvalidInput(f"headers.{name[:40]!r}", "expected a header name (a token)")
        if name.lower() in FORBIDDEN_HEADERS:
            raise InvalidInput(f"headers.{name}", "is set by the client and may not be given")
        if not isinstance(value, str) or len(value) > 8192 or _BAD_VALUE.search(value):
            raise InvalidInput(
                f"headers.{name}",
                "expected one line of text (no control characters), at most 8192 characters",
            )
    expected = data.get("expectedStatuses", list(range(200, 300)))
    if (
        not isinstance(expected, list)
        or not 0 < len(expected) <= 100
        or not all(
            isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in expected
        )
    ):
        raise InvalidInput("expectedStatuses", "expected a list of 1-100 HTTP status codes")
    timeout = data.get("timeoutSeconds", 30)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT_SECONDS
    ):
        raise InvalidInput(
            "timeoutSeconds",
            f"expected a number of seconds, more than 0 and at most {MAX_TIMEOUT_SECONDS}",
        )
    max_bytes = data.get("maxResponseBytes")
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1
    ):
        raise InvalidInput("maxResponseBytes", "expected a whole number of bytes, 1 or more")
    follow = data.get("followRedirects", True)
    if not isinstance(follow, bool):
        raise InvalidInput("followRedirects", "expected true or false")
    sent = dict(headers)
    if method in ("POST", "PATCH") and not any(k.lower() == "idempotency-key" for k in sent):
        sent["Idempotency-Key"] = key
    return OutboundRequest(
        method=method,
        url=url,
        headers=sent,
        body=data.get("body"),
        has_body="body" in data,
        expected=tuple(expected),
        timeout=float(timeout),
        max_bytes=max_bytes,
        follow_redirects=follow,
    ), key


@blueprint.activity_trigger(input_name="call")
def http_request(call: Any) -> dict[str, Any]:
    """Make one HTTP call to an allowed destination and return status, headers and body."""
    request, _ = parse_request(call)
    settings = runtime().settings
    client = _client(
        settings.get("OUTBOUND_HTTP_ALLOWED_HOSTS") or "",
        settings.get("OUTBOUND_HTTP_MAX_RESPONSE_BYTES") or "1048576",
    )
    return client.send(request)
