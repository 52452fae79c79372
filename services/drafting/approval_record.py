"""The approval record printed in the final document, parsed from the workflow's data.

Shape (what the workflow passes to ``render_final``)::

    {"status": "Approved", "decidedAt": "2026-11-22T10:00:00Z", "tier": 2,
     "autoApproved": false, "reason": "...",            # optional
     "votes": [{"role": "Data Steward", "approver": "ann@example.com",
                "decision": "approve", "decidedAt": "...", "comment": "..."}]}

``votes`` may be empty only for an auto-approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.drafting.errors import InvalidDraftRequest

__all__ = ["ApprovalRecord", "Vote"]


@dataclass(frozen=True)
class Vote:
    role: str
    approver: str
    decision: str
    decided_at: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ApprovalRecord:
    status: str
    decided_at: str | None
    tier: int | None
    auto_approved: bool
    reason: str | None
    votes: tuple[Vote, ...]

    @classmethod
    def from_json(cls, value: Any) -> ApprovalRecord:
        if not isinstance(value, dict):
            raise InvalidDraftRequest("approval must be a JSON object")
        status = _required(value, "status", "approval")
        votes_value = value.get("votes", [])
        if not isinstance(votes_value, list):
            raise InvalidDraftRequest("approval.votes must be a list of votes")
        votes = tuple(_vote(v, i) for i, v in enumerate(votes_value))
        auto = value.get("autoApproved", False)
        if not isinstance(auto, bool):
            raise InvalidDraftRequest("approval.autoApproved must be true or false")
        if not votes and not auto:
            raise InvalidDraftRequest(
                "approval.votes must name at least one vote unless autoApproved is true"
            )
        tier = value.get("tier")
        if tier is not None and (not isinstance(tier, int) or isinstance(tier, bool)):
            raise InvalidDraftRequest("approval.tier must be an integer")
        return cls(
            status=status,
            decided_at=_optional(value, "decidedAt", "approval"),
            tier=tier,
            auto_approved=auto,
            reason=_optional(value, "reason", "approval"),
            votes=votes,
        )


def _vote(value: Any, index: int) -> Vote:
    where = f"approval.votes[{index}]"
    if not isinstance(value, dict):
        raise InvalidDraftRequest(f"{where} must be an object with role, approver, decision")
    return Vote(
        role=_required(value, "role", where),
        approver=_required(value, "approver", where),
        decision=_required(value, "decision", where),
        decided_at=_optional(value, "decidedAt", where),
        comment=_optional(value, "comment", where),
    )


def _required(value: dict[str, Any], name: str, where: str) -> str:
    text = value.get(name)
    if not isinstance(text, str) or not text.strip():
        raise InvalidDraftRequest(f"{where}.{name} is required and must be a non-empty string")
    return text


def _optional(value: dict[str, Any], name: str, where: str) -> str | None:
    text = value.get(name)
    if text is not None and not isinstance(text, str):
        raise InvalidDraftRequest(f"{where}.{name} must be a string when given")
    return text or None
