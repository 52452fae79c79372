"""How the CLI commands talk to a running host: which one, and one clear line when it fails.

Every client command (``clock``, ``idle``, ``send``, ``queues``) takes ``--url``, ``--port``
and ``--data-dir`` (see ``address`` for the order they are tried in) and calls the host
through ``call``. Whatever goes wrong (no host answers, a timeout, a refused request, a file
that cannot be read) ends as a ``CliError`` whose message is the one line ``main`` prints:
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from typing import Any

from .address import DEFAULT_DATA_DIR, ENV_URL, resolve_url

__all__ = ["CliError", "add_target_options", "call", "exchange", "refused", "target"]


class CliError(Exception):
    """A command failed; ``str()`` is the one line to show."""


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help=f"the running devhost (default: ${ENV_URL}, else the one"
        f" recorded in --data-dir, else http://127.0.0.1:7071)",
    )
    parser.add_argument("--port", type=int, help="the running devhost's port on 127.0.0.1")
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"where to look for a running host's record (default ./{DEFAULT_DATA_DIR})",
    )


def target(args: argparse.Namespace) -> str:
    """The base URL of the host the command talks to."""
    try:
        return resolve_url(args.url, args.port, args.data_dir)
    except ValueError as error:
        raise CliError(str(error)) from None


def call(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, Any]:
    """``(status, parsed JSON body)`` of a request; an answer that is not JSON comes back as
    ``{"detail": text}``. No answer at all raises ``CliError``."""
    try:
        status, _headers, content = exchange(method, url, body, headers, timeout)
        return status, _parsed(content)
    except urllib.error.URLError as error:
        raise CliError(_unreachable(url, error.reason)) from None
    except (TimeoutError, OSError) as error:  # a host that accepted and then went silent
        raise CliError(_unreachable(url, error)) from None
    except ValueError as error:  # urllib's "unknown url type" and friends
        raise CliError(f"cannot call {url}: {error}") from None


def exchange(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: ``(status, headers, body)``, an error status included (urllib raises
    those). No answer raises urllib's ``URLError`` or ``OSError``: the CLI (``call``) and the
    test client (``devhost.testing.RemoteHost``) each say that in their own way."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def refused(status: int, answer: Any) -> CliError:
    """The one line for a request the host answered with an error status."""
    if isinstance(answer, dict):
        title = answer.get("title") or ""
        detail = str(answer.get("detail") or json.dumps(answer))
        field = answer.get("field")
        if isinstance(field, str) and field and not detail.startswith(field):
            detail = f"{field}: {detail}"
    else:
        title, detail = "", json.dumps(answer)
    line = " ".join(str(detail).split())  # a detail with newlines stays one line
    return CliError(f"{status}{' ' + title if title else ''}: {line}")


def _parsed(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return {"detail": text.strip()[:500]}


def _unreachable(url: str, reason: object) -> str:
    base = url.split("/admin/", 1)[0]
    return (
        f"no devhost answers at {base} ({reason}); start one with `make run` or"
        f" `python -m devhost start`, or point --url, --port or {ENV_URL} at it"
    )
