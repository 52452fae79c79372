"""Sample device events, sent to the session queue ``device-events`` of a running devhost.

    python -m examples.device_events [--url http://127.0.0.1:7071] [--devices 2] [--events 5]

Each device's events go out in order with session id = device id (what the ingress requires);
the devices' events are interleaved. The README's tour uses it; tests and benchmarks use
``device_events`` and ``Sender``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["TYPES", "Sender", "device_events", "main"]

QUEUE = "device-events"
TYPES = ("temperature", "humidity", "door")


def device_events(
    devices: list[str], per_device: int, *, seed: int = 0, start: datetime | None = None
) -> list[dict[str, Any]]:
    """``per_device`` events of each device, interleaved at random (``seed``), each device's
    own in the order they occurred."""
    rng = random.Random(seed)
    start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    queues = {d: [_event(d, n, rng, start) for n in range(per_device)] for d in devices}
    out = []
    while queues:
        device = rng.choice(sorted(queues))
        out.append(queues[device].pop(0))
        if not queues[device]:
            del queues[device]
    return out


def _event(device: str, n: int, rng: random.Random, start: datetime) -> dict[str, Any]:
    kind = TYPES[rng.randrange(len(TYPES))]
    reading: dict[str, Any] = {
        "temperature": {"celsius": round(rng.uniform(15, 30), 1)},
        "humidity": {"percent": rng.randrange(20, 80)},
        "door": {"open": rng.random() < 0.5},
    }[kind]
    occurred = (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "eventId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "deviceId": device,
        "type": kind,
        "occurredAt": occurred,
        "data": reading,
    }


class Sender:
    """Sends messages to devhost's admin route over one kept-alive connection."""

    def __init__(self, base_url: str, queue: str = QUEUE, timeout: float = 60) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.queue = queue
        self._address = (parsed.hostname or "127.0.0.1", parsed.port or 80, timeout)
        self._connection: http.client.HTTPConnection | None = None

    def send(
        self,
        body: Any,
        *,
        session_id: str | None = None,
        message_id: str | None = None,
        scheduled: str | None = None,
    ) -> tuple[int, str]:
        """Send ``body`` (bytes or str as is, else as JSON); for an event the session id is
        its ``deviceId`` unless given; ``scheduled``: an ISO time it becomes receivable at.
        Returns the answer's status and text."""
        if isinstance(body, dict) and session_id is None:
            session_id = body.get("deviceId")
        data = (
            body
            if isinstance(body, bytes)
            else (
                body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
            )
        )
        params = {
            k: v
            for k, v in (
                ("sessionId", session_id),
                ("messageId", message_id),
                ("scheduledEnqueueTime", scheduled),
            )
            if v is not None
        }
        path = f"/admin/devhost/queues/{self.queue}/messages?{urllib.parse.urlencode(params)}"
        connection = self._connect()
        try:
            connection.request(
                "POST", path, body=data, headers={"Content-Type": "application/json"}
            )
            answer = connection.getresponse()
            return answer.status, answer.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()  # the next send opens a new connection
            raise

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port, timeout = self._address
            self._connection = http.client.HTTPConnection(host, port, timeout=timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.device_events")
    parser.add_argument("--url", default="http://127.0.0.1:7071", help="the devhost")
    parser.add_argument("--devices", type=int, default=2, help="how many devices")
    parser.add_argument("--events", type=int, default=5, help="events per device")
    parser.add_argument("--seed", type=int, default=0, help="interleaving and readings")
    args = parser.parse_args(argv)
    devices = [f"device-{n + 1}" for n in range(args.devices)]
    sender = Sender(args.url)
    try:
        # The events occurred over the last seconds, one a second per device.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=args.events)
        for event in device_events(devices, args.events, seed=args.seed, start=start):
            status, text = sender.send(event)
            if status != 201:
                print(f"refused ({status}): {text}")
                return 1
            print(f"{event['deviceId']}  {event['type']:<12} {event['eventId']}")
    finally:
        sender.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
