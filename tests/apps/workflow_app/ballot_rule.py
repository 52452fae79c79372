"""The test app's ballot rule: any rejection rejects, every role approving approves.

Plain code (no SDK) so the unit tests' simulated host uses the same rule as the app."""

from __future__ import annotations

from typing import Any


def tally(ballot: dict[str, Any], vote: dict[str, Any]) -> dict[str, Any]:
    """The ballot after ``vote`` (``{"role", "decision"}``) is counted."""
    decided = {**ballot["decided"], vote["role"]: vote["decision"]}
    if "rejected" in decided.values():
        decision = "rejected"
    elif set(decided) == set(ballot["roles"]):
        decision = "approved"
    else:
        decision = "pending"
    return {**ballot, "decided": decided, "decision": decision}
