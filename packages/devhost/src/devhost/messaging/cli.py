"""``python -m devhost send|queues``: the messaging admin routes from a shell.

Both talk HTTP to a running devhost (``--url``/``--port``/``$DEVHOST_URL``, else the one
recorded in ``./.devhost``, else http://127.0.0.1:7071; see ``devhost.address``)::

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
import urllib.parse
from pathlib import Path
from typing import Any

from devhost.remote import CliError, add_target_options, call, refused, target

__all__ = ["add_commands", "queues_command", "send_command"]


def _checked(status: int, answer: Any, expected: int) -> Any:
    if status != expected:
        raise refused(status, answer)
    return answer


def _properties(pairs: list[str]) -> dict[str, Any]:
    """``name=value`` pairs; a value that parses as JSON (42, true) keeps its type."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--property {pair!r}: expected name=value")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def send_command(args: argparse.Namespace) -> int:
    try:
        body = Path(args.file).read_bytes() if args.file else (args.body or "").encode("utf-8")
    except OSError as error:
        raise CliError(f"--file {args.file}: {error.strerror or error}") from None
    base = target(args) + "/admin/devhost"
    name = urllib.parse.quote(args.name, safe="")
    if args.storage:
        url = f"{base}/storage-queues/{name}/messages"
        headers: dict[str, str] = {"Content-Type": args.content_type or "text/plain"}
    else:
        query = {
            key: value
            for key, value in (
                ("sessionId", args.session_id),
                ("messageId", args.message_id),
                ("correlationId", args.correlation_id),
                ("scheduledEnqueueTime", args.scheduled),
                ("subject", args.subject),
            )
            if value is not None
        }
        kind = "topics" if args.topic else "queues"
        url = f"{base}/{kind}/{name}/messages"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {}
        if args.content_type:
            headers["Content-Type"] = args.content_type
        if args.property:
            headers["X-Application-Properties"] = json.dumps(_properties(args.property))
    print(json.dumps(_checked(*call("POST", url, body, headers), expected=201)))
    return 0


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = [max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths, strict=True))
        for r in rows
    ]
    return "\n".join(lines)


def queues_command(args: argparse.Namespace) -> int:
    base = target(args) + "/admin/devhost"
    kind = "storage-queues" if args.storage else "queues"
    if args.name is None:
        answer = _checked(*call("GET", f"{base}/{kind}"), expected=200)
        if args.storage:
            print(_table(answer["queues"], ["name", "visible", "invisible", "poison"]))
        else:
            print(
                _table(
                    answer["entities"],
                    ["name", "active", "locked", "scheduled", "deadLetter", "requiresSession"],
                )
            )
        return 0
    # Subscriptions are named topic/Subscriptions/sub, as Service Bus does.
    topic, _, sub = args.name.partition("/Subscriptions/")
    path = (
        (
            f"topics/{urllib.parse.quote(topic, safe='')}/subscriptions/"
            f"{urllib.parse.quote(sub, safe='')}"
        )
        if sub
        else f"{kind}/{urllib.parse.quote(args.name, safe='')}"
    )
    if args.resubmit:
        answer = _checked(
            *call(
                "POST",
                f"{base}/{path}/deadletter/{urllib.parse.quote(args.resubmit, safe='')}/resubmit",
            ),
            expected=200,
        )
    elif args.deadletter:
        answer = _checked(*call("GET", f"{base}/{path}/deadletter"), expected=200)
        print(
            _table(
                answer["messages"],
                [
                    "sequenceNumber",
                    "messageId",
                    "sessionId",
                    "deliveryCount",
                    "deadLetterReason",
                    "deadLetterErrorDescription",
                ],
            )
        )
        return 0
    else:
        answer = _checked(*call("GET", f"{base}/{path}"), expected=200)
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
    send.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="application property (repeatable)",
    )
    add_target_options(send)
    send.set_defaults(handler=send_command)

    queues = subparsers.add_parser("queues", help="message counts, dead-letters, resubmit")
    queues.add_argument("name", nargs="?", help="a queue, or topic/Subscriptions/sub")
    queues.add_argument("--storage", action="store_true", help="storage queues")
    queues.add_argument("--deadletter", action="store_true", help="list dead-lettered messages")
    queues.add_argument(
        "--resubmit", metavar="MESSAGE_ID", help="move a dead-lettered message back to its queue"
    )
    add_target_options(queues)
    queues.set_defaults(handler=queues_command)
