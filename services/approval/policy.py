"""The approval policy: tier rules, SLAs, roles and members, routing thresholds, escalation.

The policy is data. A JSON file (setting ``APPROVAL_POLICY_FILE``) seeds the ``policy_*`` tables
on start; ``load_policy`` reads the tables back into an ``ApprovalPolicy`` that assessment uses.
Seeding is idempotent: the file's fingerprint is stored, so an unchanged file writes nothing and a
changed one replaces the policy in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._canonical import canonical_json, sha256_hex
from services.approval import tables
from services.errors import PolicyInvalid

__all__ = [
    "CONDITIONS",
    "ROUTES",
    "ApprovalPolicy",
    "Person",
    "Role",
    "RouteRule",
    "TierRule",
    "load_policy",
    "read_policy_file",
    "seed_policy",
    "validate_policy",
]

CONDITIONS = ("criticalDatabase", "sensitiveData", "objectKind", "always")
ROUTES = ("auto", "single", "all")

_PERSON = {
    "type": "object",
    "required": ["name", "email", "principalId"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$", "maxLength": 254},
        "principalId": {"type": "string", "minLength": 1, "maxLength": 254},
    },
}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["tiers", "roles", "routing", "escalation", "criticalDatabases"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "tiers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tier", "name", "slaHours", "when"],
                "additionalProperties": False,
                "properties": {
                    "tier": {"type": "integer", "minimum": 1},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "slaHours": {"type": "integer", "minimum": 1},
                    "when": {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["criticalDatabase"],
                                "additionalProperties": False,
                                "properties": {"criticalDatabase": {"const": True}},
                            },
                            {
                                "type": "object",
                                "required": ["sensitiveData"],
                                "additionalProperties": False,
                                "properties": {"sensitiveData": _NAMES},
                            },
                            {
                                "type": "object",
                                "required": ["objectKind"],
                                "additionalProperties": False,
                                "properties": {"objectKind": _NAMES},
                            },
                            {
                                "type": "object",
                                "required": ["always"],
                                "additionalProperties": False,
                                "properties": {"always": {"const": True}},
                            },
                        ]
                    },
                },
            },
        },
        "roles": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "fromTier", "members"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "fromTier": {"type": "integer", "minimum": 1},
                    "members": {"type": "array", "minItems": 1, "items": _PERSON},
                },
            },
        },
        "routing": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["route"],
                "additionalProperties": False,
                "properties": {
                    "route": {"enum": list(ROUTES)},
                    "maxTier": {"type": "integer", "minimum": 1},
                    "minScore": {"type": "number", "minimum": 0, "maximum": 1},
                    "noSensitiveData": {"type": "boolean"},
                },
            },
        },
        "escalation": {
            "type": "object",
            "required": ["extensionHours", "maxEscalations", "contacts"],
            "additionalProperties": False,
            "properties": {
                "extensionHours": {"type": "integer", "minimum": 1},
                "maxEscalations": {"type": "integer", "minimum": 0},
                "contacts": {"type": "array", "minItems": 1, "items": _PERSON},
            },
        },
        "criticalDatabases": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 128},
        },
    },
}


@dataclass(frozen=True)
class Person:
    """Someone who can decide: a role member or an escalation contact."""

    name: str
    email: str
    principal_id: str  # Entra object id or UPN, matched against the signed-in principal


@dataclass(frozen=True)
class TierRule:
    """Tier ``tier`` applies when ``condition`` holds for the document (see ``CONDITIONS``)."""

    tier: int
    name: str
    sla_hours: int
    condition: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    """An approver role, required from tier ``from_tier`` up; ``position`` orders the roles."""

    name: str
    position: int
    from_tier: int
    members: tuple[Person, ...]


@dataclass(frozen=True)
class RouteRule:
    """The first rule whose limits all hold chooses the route; an absent limit always holds."""

    route: str
    max_tier: int | None
    min_score: float | None
    no_sensitive_data: bool

    def matches(self, tier: int, score: float, sensitive: bool) -> bool:
        return (
            (self.max_tier is None or tier <= self.max_tier)
            and (self.min_score is None or score >= self.min_score)
            and not (self.no_sensitive_data and sensitive)
        )


@dataclass(frozen=True)
class ApprovalPolicy:
    tiers: tuple[TierRule, ...]  # highest tier first: the first that applies wins
    roles: tuple[Role, ...]  # in order (Data Steward first)
    routes: tuple[RouteRule, ...]
    escalation_contacts: tuple[Person, ...]
    critical_databases: frozenset[str]  # lower-cased
    extension_hours: int
    max_escalations: int

    def roles_for_tier(self, tier: int) -> tuple[Role, ...]:
        """Roles accumulate: every role that starts at this tier or a lower one."""
        return tuple(r for r in self.roles if r.from_tier <= tier)

    def tier_rule(self, tier: int) -> TierRule:
        for rule in self.tiers:
            if rule.tier == tier:
                return rule
        raise PolicyInvalid(f"approval policy has no tier {tier}")


def validate_policy(document: Any) -> None:
    """Raise ``PolicyInvalid`` listing every problem in a policy document, each with its path."""
    validator = jsonschema.Draft202012Validator(POLICY_SCHEMA)
    problems = [
        f"{_pointer(e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        problems = _semantic_problems(document)
    if problems:
        raise PolicyInvalid("approval policy invalid: " + "; ".join(problems))


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def _semantic_problems(document: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    tiers = [t["tier"] for t in document["tiers"]]
    for i, tier in enumerate(tiers):
        if tier in tiers[:i]:
            problems.append(f"/tiers/{i}/tier: tier {tier} is defined twice")
    if not any("always" in t["when"] for t in document["tiers"]):
        problems.append(
            '/tiers: expected one tier with {"always": true} so every document gets a tier'
        )
    # Names and addresses are keys; SQL Server compares them case-insensitively, so do we.
    names = [r["name"].lower() for r in document["roles"]]
    for i, role in enumerate(document["roles"]):
        if names[i] in names[:i]:
            problems.append(f"/roles/{i}/name: role {role['name']!r} is defined twice")
        if role["fromTier"] not in tiers:
            problems.append(f"/roles/{i}/fromTier: expected one of the tiers {sorted(tiers)}")
        problems.extend(_twice(role["members"], f"/roles/{i}/members"))
    problems.extend(_twice(document["escalation"]["contacts"], "/escalation/contacts"))
    if tiers and not any(r["fromTier"] <= min(tiers) for r in document["roles"]):
        problems.append(f"/roles: expected a role required from the lowest tier {min(tiers)}")
    last = document["routing"][-1]
    if set(last) != {"route"}:
        problems.append(
            f"/routing/{len(document['routing']) - 1}: expected the last rule to be "
            'unconditional (only "route") so every document gets a route'
        )
    return problems


def _twice(people: list[dict[str, str]], pointer: str) -> list[str]:
    emails = [p["email"].lower() for p in people]
    return [
        f"{pointer}/{i}/email: {people[i]['email']} is listed twice"
        for i in range(len(emails))
        if emails[i] in emails[:i]
    ]


def read_policy_file(path: Path) -> dict[str, Any]:
    """Read and validate a policy file; errors name the file and the field.

    The result is the policy document itself, as its author wrote it (camelCase keys of the
    file's schema), and stays a plain dict: it is input, checked against ``POLICY_SCHEMA``
    and handed to ``seed_policy``; ``load_policy`` gives the typed ``ApprovalPolicy``.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyInvalid(f"approval policy file {path}: cannot read it ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise PolicyInvalid(f"approval policy file {path}: not JSON ({exc})") from exc
    try:
        validate_policy(document)
    except PolicyInvalid as exc:
        raise PolicyInvalid(f"{path}: {exc.detail}") from None
    return dict(document)


_POLICY_TABLES = (
    tables.policy_role_members,
    tables.policy_roles,
    tables.policy_tiers,
    tables.policy_escalation_contacts,
    tables.policy_critical_databases,
    tables.policy_routes,
    tables.policy_settings,
)


def seed_policy(engine: Engine, document: Mapping[str, Any]) -> bool:
    """Make the policy tables hold ``document``; returns False when they already did."""
    validate_policy(document)
    fingerprint = sha256_hex(canonical_json(document))
    if _stored_fingerprint(engine) == fingerprint:
        return False
    try:
        with engine.begin() as conn:
            if _stored_fingerprint(conn) == fingerprint:
                return False
            for table in _POLICY_TABLES:
                conn.execute(sa.delete(table))
            _insert_policy(conn, document, fingerprint)
    except IntegrityError:
        # A second worker seeded the same file at the same moment: fine if it was this file.
        if _stored_fingerprint(engine) == fingerprint:
            return False
        raise
    return True


def _stored_fingerprint(bind: Engine | Connection) -> str | None:
    query = sa.select(tables.policy_settings.c.value).where(
        tables.policy_settings.c.name == "fingerprint"
    )
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return conn.execute(query).scalar_one_or_none()
    return bind.execute(query).scalar_one_or_none()


def _people(people: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {"email": p["email"], "name": p["name"], "principal_id": p["principalId"], "position": i}
        for i, p in enumerate(people)
    ]


def _insert_policy(conn: Connection, document: Mapping[str, Any], fingerprint: str) -> None:
    conn.execute(
        sa.insert(tables.policy_tiers),
        [
            {
                "tier": t["tier"],
                "name": t["name"],
                "sla_hours": t["slaHours"],
                "condition": next(iter(t["when"])),
                "condition_values": _condition_values(t["when"]),
            }
            for t in document["tiers"]
        ],
    )
    conn.execute(
        sa.insert(tables.policy_roles),
        [
            {"name": r["name"], "position": i, "from_tier": r["fromTier"]}
            for i, r in enumerate(document["roles"])
        ],
    )
    conn.execute(
        sa.insert(tables.policy_role_members),
        [
            {"role": r["name"], **person}
            for r in document["roles"]
            for person in _people(r["members"])
        ],
    )
    escalation = document["escalation"]
    conn.execute(sa.insert(tables.policy_escalation_contacts), _people(escalation["contacts"]))
    if document["criticalDatabases"]:
        conn.execute(
            sa.insert(tables.policy_critical_databases),
            [
                {"database_name": name.lower()}
                for name in dict.fromkeys(n.lower() for n in document["criticalDatabases"])
            ],
        )
    conn.execute(
        sa.insert(tables.policy_routes),
        [
            {
                "position": i,
                "route": r["route"],
                "max_tier": r.get("maxTier"),
                "min_score": r.get("minScore"),
                "no_sensitive_data": r.get("noSensitiveData", False),
            }
            for i, r in enumerate(document["routing"])
        ],
    )
    conn.execute(
        sa.insert(tables.policy_settings),
        [
            {"name": "fingerprint", "value": fingerprint},
            {"name": "extensionHours", "value": str(escalation["extensionHours"])},
            {"name": "maxEscalations", "value": str(escalation["maxEscalations"])},
        ],
    )


def _condition_values(when: Mapping[str, Any]) -> list[str]:
    (value,) = when.values()
    return [v.lower() for v in value] if isinstance(value, list) else []


def load_policy(engine: Engine) -> ApprovalPolicy:
    """Read the policy from its tables (one consistent snapshot)."""
    with engine.connect() as conn:
        tiers = (
            conn.execute(sa.select(tables.policy_tiers).order_by(tables.policy_tiers.c.tier.desc()))
            .mappings()
            .all()
        )
        if not tiers:
            raise PolicyInvalid(
                "the approval policy tables are empty: seed them from "
                "APPROVAL_POLICY_FILE at start (services.initialize)"
            )
        roles = (
            conn.execute(sa.select(tables.policy_roles).order_by(tables.policy_roles.c.position))
            .mappings()
            .all()
        )
        members = (
            conn.execute(
                sa.select(tables.policy_role_members).order_by(
                    tables.policy_role_members.c.role, tables.policy_role_members.c.position
                )
            )
            .mappings()
            .all()
        )
        contacts = (
            conn.execute(
                sa.select(tables.policy_escalation_contacts).order_by(
                    tables.policy_escalation_contacts.c.position
                )
            )
            .mappings()
            .all()
        )
        critical = conn.execute(
            sa.select(tables.policy_critical_databases.c.database_name)
        ).scalars()
        routes = (
            conn.execute(sa.select(tables.policy_routes).order_by(tables.policy_routes.c.position))
            .mappings()
            .all()
        )
        settings = {
            row.name: row.value
            for row in conn.execute(
                sa.select(tables.policy_settings.c.name, tables.policy_settings.c.value)
            )
        }
        critical_names = frozenset(critical)

    def person(row: RowMapping) -> Person:
        return Person(row["name"], row["email"], row["principal_id"])

    return ApprovalPolicy(
        tiers=tuple(
            TierRule(
                t["tier"], t["name"], t["sla_hours"], t["condition"], tuple(t["condition_values"])
            )
            for t in tiers
        ),
        roles=tuple(
            Role(
                r["name"],
                r["position"],
                r["from_tier"],
                tuple(person(m) for m in members if m["role"] == r["name"]),
            )
            for r in roles
        ),
        routes=tuple(
            RouteRule(r["route"], r["max_tier"], r["min_score"], bool(r["no_sensitive_data"]))
            for r in routes
        ),
        escalation_contacts=tuple(person(c) for c in contacts),
        critical_databases=critical_names,
        extension_hours=int(settings["extensionHours"]),
        max_escalations=int(settings["maxEscalations"]),
    )
