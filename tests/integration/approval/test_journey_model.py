"""The approval journey's state-machine model, bounded for ``make test``.

``make soak`` runs the same model longer (``JOURNEY_MODEL_EXAMPLES``/``_STEPS``).
"""

from __future__ import annotations

import os

import runtime
from tests.integration.approval.journey_model import run


def test_the_journey_model_holds_its_invariants(journey):
    journey.host.wait_idle()
    soak = "JOURNEY_MODEL_EXAMPLES" in os.environ
    seen = run(
        journey,
        runtime.runtime(),
        examples=int(os.environ.get("JOURNEY_MODEL_EXAMPLES", "10")),
        steps=int(os.environ.get("JOURNEY_MODEL_STEPS", "20")),
        derandomize=not soak,
    )  # the bounded run is the same every time
    print("journey model exercised:", dict(sorted(seen.items())))
    # A guard that the run tested something: approvals decided, and documents ended.
    assert seen["decision 200"] > 0 and seen["ended Approved"] > 0, seen
