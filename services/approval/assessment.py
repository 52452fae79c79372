"""Assessment: which approval tier a drafted document needs, how long approvers have, and who.

``assess`` is pure: it takes a loaded ``ApprovalPolicy`` and the drafting summary and returns
the decision as data, so the rules live in the policy tables and its tests need no database.
``assess_draft`` is the activity's entry: the summary's JSON in, policy from the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from services._input import required_text
from services.approval.policy import ApprovalPolicy, Person, TierRule, load_policy
from services.errors import InvalidInput, PolicyInvalid

__all__ = ["Assessment", "DraftSummary", "RoleApprovers", "assess", "assess_draft"]


@dataclass(frozen=True)
class DraftSummary:
    """What drafting learned about the object: the facts the tier and route depend on."""

    database_name: str
    object_kind: str
    quality_score: float
    sensitive_data: tuple[str, ...]  # lower-cased categories found, e.g. ("personal",)
    physical_name: str | None = None

    @classmethod
    def from_json(cls, data: object) -> DraftSummary:
        """Parse ``{"databaseName", "objectKind", "qualityScore", "sensitiveData",
        "physicalName"?}``; ``sensitiveData`` is a list of categories or ``{category: bool}``."""
        if not isinstance(data, Mapping):
            raise InvalidInput("summary", "expected a JSON object")
        return cls(
            database_name=_text(data, "databaseName"),
            object_kind=_text(data, "objectKind").lower(),
            quality_score=_score(data.get("qualityScore")),
            sensitive_data=_categories(data.get("sensitiveData", [])),
            physical_name=_text(data, "physicalName") if "physicalName" in data else None,
        )


def _text(data: Mapping[str, Any], field: str) -> str:
    return required_text(data.get(field), f"summary.{field}")


def _score(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise InvalidInput("summary.qualityScore", "expected a number from 0 to 1")
    return float(value)


def _categories(value: object) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) and isinstance(v, bool) for k, v in value.items()):
            raise InvalidInput("summary.sensitiveData", "expected {category: true|false}")
        names = [k for k, flagged in value.items() if flagged]
    elif isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        names = list(value)
    else:
        raise InvalidInput(
            "summary.sensitiveData",
            "expected a list of categories or an object {category: true|false}",
        )
    return tuple(sorted({n.strip().lower() for n in names}))


@dataclass(frozen=True, slots=True)
class RoleApprovers:
    """A required role and the people who may decide for it."""

    role: str
    members: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The tier that applies and why, its SLA, the route, the approvers, and the facts of the
    draft it was decided from (``score`` is the drafting summary's quality score)."""

    tier: int
    tier_name: str
    reason: str
    sla_hours: int
    route: str
    required_roles: tuple[str, ...]
    tier_roles: tuple[str, ...]
    approvers: tuple[RoleApprovers, ...]
    escalation_contacts: tuple[Person, ...]
    score: float
    sensitive_data: tuple[str, ...]
    database_name: str
    object_kind: str
    physical_name: str | None


def _applies(rule: TierRule, policy: ApprovalPolicy, summary: DraftSummary) -> str | None:
    """Why ``rule`` applies to the document, or None when it does not."""
    if rule.condition == "criticalDatabase":
        database = summary.database_name.lower()
        return f"critical database {database!r}" if database in policy.critical_databases else None
    if rule.condition == "sensitiveData":
        found = [c for c in summary.sensitive_data if c in rule.values]
        return f"{' and '.join(found)} data" if found else None
    if rule.condition == "objectKind":
        kind = summary.object_kind
        return f"object kind {kind!r}" if kind in rule.values else None
    if rule.condition == "always":
        return "no higher tier applies"
    raise PolicyInvalid(f"tier {rule.tier}: unknown condition {rule.condition!r}")


def assess(policy: ApprovalPolicy, summary: DraftSummary) -> Assessment:
    """The highest tier that applies, its SLA, the route by quality score, and the approvers."""
    for rule in policy.tiers:
        reason = _applies(rule, policy, summary)
        if reason is not None:
            break
    else:
        raise PolicyInvalid('no tier applies: the policy needs a tier with {"always": true}')
    score, sensitive = summary.quality_score, bool(summary.sensitive_data)
    route = next((r.route for r in policy.routes if r.matches(rule.tier, score, sensitive)), None)
    if route is None:
        raise PolicyInvalid("no routing rule applies: the last rule must be unconditional")
    tier_roles = policy.roles_for_tier(rule.tier)
    if not tier_roles:
        raise PolicyInvalid(f"tier {rule.tier} requires no role: a role must start at tier 1")
    required = {"auto": (), "single": tier_roles[:1]}.get(route, tier_roles)
    return Assessment(
        tier=rule.tier,
        tier_name=rule.name,
        reason=reason,
        sla_hours=rule.sla_hours,
        route=route,
        required_roles=tuple(r.name for r in required),
        tier_roles=tuple(r.name for r in tier_roles),
        approvers=tuple(RoleApprovers(r.name, r.members) for r in required),
        escalation_contacts=policy.escalation_contacts,
        score=summary.quality_score,
        sensitive_data=summary.sensitive_data,
        database_name=summary.database_name,
        object_kind=summary.object_kind,
        physical_name=summary.physical_name,
    )


def assess_draft(engine: Engine, summary: object) -> Assessment:
    """Assess a drafting summary (JSON) against the policy tables."""
    return assess(load_policy(engine), DraftSummary.from_json(summary))
