"""``python -m devhost send|queues``: the messaging admin routes from a shell.

Both talk HTTP to a running devhost (``--url``, default http://127.0.0.1:7071)::

    python -m devhost send schema-changes --body '{"table": "dbo.Orders"}' \\
        --content-type application/json --message-id 42 --property source=warehouse
    python -m devhost send device-events --file event.json --session-id dev-7
    python -m devhost send events --topic --body hello --scheduled 2026-01-01T09:00:00Z
    python -m devhost send output-queue --storage --body '{"Id": 1}'
    python -m devhost queues                       # every queue and subscription, with counts
    python -m devhost queues schema-changes --deadletter
    python -m devhost queues schema-changes --resubmit 42
    python -m devhost queues --storage

Each command's parser carries ``handler`` (``args -> exit code``) in its defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "queues_command", "send_command"]

DEFAULT_URL = "http://127.0.0.1:7071"


def _call(method: str, url: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except json.JSONDecodeError:
            return error.code, {"detail": text.decode("utf-8", "replace")}


def _fail(status: int, answer: Any) -> int:
    detail = answer.get("detail") if isinstance(answer, dict) else answer
    print(f"error {status}: {detail}", file=sys.stderr)
    return 1


def _properties(pairs: list[str]) -> dict[str, Any]:
    """``name=value`` pairs; a value that parses as JSON (42, true) keeps its type."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--property {pair!r}: expected name=value")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def send_command(args: argparse.Namespace) -> int:
    body = Path(args.file).read_bytes() if args.file else (args.body or "").encode("utf-8")
    base = args.url.rstrip("/") + "/admin/devhost"
    name = urllib.parse.quote(args.name, safe="")
    if args.storage:
        url = f"{base}/storage-queues/{name}/messages"
        headers: dict[str, str] = {"Content-Type": args.content_type or "text/plain"}
    else:
        query = {key: value for key, value in (
            ("sessionId", args.session_id), ("messageId", args.message_id),
            ("correlationId", args.correlation_id), ("scheduledEnqueueTime", args.scheduled),
            ("subject", args.subject)) if value is not None}
        kind = "topics" if args.topic else "queues"
        url = f"{base}/{kind}/{name}/messages"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {}
        if args.content_type:
            headers["Content-Type"] = args.content_type
        if args.property:
            headers["X-Application-Properties"] = json.dumps(_properties(args.property))
    status, answer = _call("POST", url, body, headers)
    if status != 201:
        return _fail(status, answer)
    print(json.dumps(answer))
    return 0


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = [max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True))
              for r in rows]
    return "\n".join(lines)


def queues_command(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/") + "/admin/devhost"
    kind = "storage-queues" if args.storage else "queues"
    if args.name is None:
        status, answer = _call("GET", f"{base}/{kind}")
        if status != 200:
            return _fail(status, answer)
        if args.storage:
            print(_table(answer["queues"], ["name", "visible", "invisible", "poison"]))
        else:
            print(_table(answer["entities"], ["name", "active", "locked", "scheduled",
                                              "deadLetter", "requiresSession"]))
        return 0
    # Subscriptions are named topic/Subscriptions/sub, as Service Bus does.
    topic, _, sub = args.name.partition("/Subscriptions/")
    path = (f"topics/{urllib.parse.quote(topic, safe='')}/subscriptions/"
            f"{urllib.parse.quote(sub, safe='')}") if sub else \
        f"{kind}/{urllib.parse.quote(args.name, safe='')}"
    if args.resubmit:
        status, answer = _call(
            "POST", f"{base}/{path}/deadletter/{urllib.parse.quote(args.resubmit, safe='')}"
                    "/resubmit")
    elif args.deadletter:
        status, answer = _call("GET", f"{base}/{path}/deadletter")
        if status == 200:
            print(_table(answer["messages"], ["sequenceNumber", "messageId", "sessionId",
                                              "deliveryCount", "deadLetterReason",
                                              "deadLetterErrorDescription"]))
            return 0
    else:
        status, answer = _call("GET", f"{base}/{path}")
    if status != 200:
        return _fail(status, answer)
    print(json.dumps(answer, indent=2))
    return 0


def add_commands(subparsers: Any) -> None:
    """Add ``send`` and ``queues`` to the ``python -m devhost`` argument parser."""
    send = subparsers.add_parser("send", help="send a message to a queue or topic")
    send.add_argument("name", help="queue or topic name")
    source = send.add_mutually_exclusive_group(required=True)
    source.add_argument("--body", help="the message body as text")
    source.add_argument("--file", help="read the message body from this file")
    send.add_argument("--topic", action="store_true", help="NAME is a Service Bus topic")
    send.add_argument("--storage", action="store_true", help="NAME is a storage queue")
    send.add_argument("--session-id")
    send.add_argument("--message-id")
    send.add_argument("--correlation-id")
    send.add_argument("--subject")
    send.add_argument("--content-type")
    send.add_argument("--scheduled", help="scheduled enqueue time, ISO 8601 with offset")
    send.add_argument("--property", action="append", default=[], metavar="NAME=VALUE",
                      help="application property (repeatable)")
    send.add_argument("--url", default=DEFAULT_URL, help="the running devhost")
    send.set_defaults(handler=send_command)

    queues = subparsers.add_parser("queues", help="message counts, dead-letters, resubmit")
    queues.add_argument("name", nargs="?", help="a queue, or topic/Subscriptions/sub")
    queues.add_argument("--storage", action="store_true", help="storage queues")
    queues.add_argument("--deadletter", action="store_true", help="list dead-lettered messages")
    queues.add_argument("--resubmit", metavar="MESSAGE_ID",
                        help="move a dead-lettered message back to its queue")
    queues.add_argument("--url", default=DEFAULT_URL, help="the running devhost")
    queues.set_defaults(handler=queues_command)
