"""Reading the app's Prometheus endpoint (``GET /api/operations/metrics``) as a scraper does."""

from __future__ import annotations

import re
from typing import Any

_LINE = re.compile(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})? ([-+\d.eE]+|NaN)$")


def metric(host: Any, name: str, **labels: str) -> float:
    """The sum of the series of ``name`` whose labels include ``labels`` (0 when none yet).

    ``host`` is a ``devhost.testing.DevHost``. The first scrape also installs the app's meter
    provider, so scrape once before the action whose counts a test compares."""
    answer = host.http("GET", "/api/operations/metrics")
    assert answer.status == 200, answer.text
    total = 0.0
    for line in answer.text.splitlines():
        match = _LINE.match(line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total
