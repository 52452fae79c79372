"""Assessment: highest applicable tier, accumulated roles, routing by quality score."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from services.approval.assessment import DraftSummary, assess, assess_draft
from services.approval.policy import ApprovalPolicy, load_policy, read_policy_file, seed_policy
from services.errors import InvalidInput
from services.testing import EXAMPLE_POLICY_FILE, fresh_database
from wire import to_json

ALL_ROLES = ["Data Steward", "DBA", "Compliance", "Governance Lead"]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> ApprovalPolicy:
    return load_policy(fresh_database(tmp_path_factory.mktemp("policy") / "app.sqlite"))


def summary(
    kind: str = "table", database: str = "warehouse", score: float = 0.5, sensitive: Any = ()
) -> DraftSummary:
    return DraftSummary.from_json(
        {
            "databaseName": database,
            "objectKind": kind,
            "qualityScore": score,
            "sensitiveData": list(sensitive),
            "physicalName": "sales.customers",
        }
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (("table", "finance", ()), (4, 120)),
        (("function", "finance", ()), (4, 120)),
        (("table", "FINANCE", ("personal",)), (4, 120)),
        (("table", "warehouse", ("personal",)), (3, 72)),
        (("function", "warehouse", ("financial",)), (3, 72)),
        (("view", "warehouse", ("personal", "financial")), (3, 72)),
        (("table", "warehouse", ()), (2, 48)),
        (("view", "warehouse", ()), (2, 48)),
        (("procedure", "warehouse", ()), (2, 48)),
        (("Table", "warehouse", ()), (2, 48)),
        (("function", "warehouse", ()), (1, 24)),
        (("sequence", "warehouse", ()), (1, 24)),
        (("function", "warehouse", ("health",)), (1, 24)),  # not a tier-3 category in the policy
    ],
)
def test_the_highest_applicable_tier_wins(
    policy: ApprovalPolicy, case: tuple[str, str, Any], expected: tuple[int, int]
) -> None:
    kind, database, sensitive = case
    result = assess(policy, summary(kind, database, 0.1, sensitive))
    assert (result.tier, result.sla_hours) == expected
    assert result.route == "all"  # a low score asks every role of the tier
    assert result.required_roles == tuple(ALL_ROLES[: expected[0]])
    assert result.tier_roles == tuple(ALL_ROLES[: expected[0]])


@pytest.mark.parametrize(
    ("case", "route", "roles"),
    [
        (("function", (), 0.95), "auto", []),
        (("function", (), 1.0), "auto", []),
        (("function", (), 0.9499), "single", ["Data Steward"]),
        (("function", ("health",), 0.99), "single", ["Data Steward"]),  # sensitive: never auto
        (("function", (), 0.80), "single", ["Data Steward"]),
        (("function", (), 0.7999), "all", ["Data Steward"]),
        (("table", (), 0.99), "single", ["Data Steward"]),  # auto is for tier 1 only
        (("table", (), 0.80), "single", ["Data Steward"]),
        (("table", (), 0.79), "all", ["Data Steward", "DBA"]),
        (("table", ("personal",), 1.0), "all", ["Data Steward", "DBA", "Compliance"]),
    ],
)
def test_routing_by_quality_score(
    policy: ApprovalPolicy, case: tuple[str, Any, float], route: str, roles: list[str]
) -> None:
    kind, sensitive, score = case
    result = assess(policy, summary(kind, "warehouse", score, sensitive))
    assert result.route == route
    assert result.required_roles == tuple(roles)
    assert [a.role for a in result.approvers] == roles
    assert result.score == score


def test_critical_database_at_full_score_still_asks_every_role(policy: ApprovalPolicy) -> None:
    result = assess(policy, summary("table", "finance", 1.0))
    assert result.route == "all"
    assert result.required_roles == tuple(ALL_ROLES)
    assert result.reason == "critical database 'finance'"


def test_the_output_carries_approvers_and_escalation_contacts(policy: ApprovalPolicy) -> None:
    result = assess(policy, summary("table", "warehouse", 0.5, ["personal"]))
    assert to_json(result) == {
        "tier": 3,
        "tierName": "Personal or financial data",
        "reason": "personal data",
        "slaHours": 72,
        "route": "all",
        "requiredRoles": ["Data Steward", "DBA", "Compliance"],
        "tierRoles": ["Data Steward", "DBA", "Compliance"],
        "approvers": [
            {
                "role": "Data Steward",
                "members": [
                    {
                        "name": "Dana Steward",
                        "email": "dana.steward@example.com",
                        "principalId": "dana.steward@example.com",
                    }
                ],
            },
            {
                "role": "DBA",
                "members": [
                    {
                        "name": "Dev Dba",
                        "email": "dev.dba@example.com",
                        "principalId": "dev.dba@example.com",
                    }
                ],
            },
            {
                "role": "Compliance",
                "members": [
                    {
                        "name": "Casey Compliance",
                        "email": "casey.compliance@example.com",
                        "principalId": "casey.compliance@example.com",
                    }
                ],
            },
        ],
        "escalationContacts": [
            {
                "name": "Erin Escalation",
                "email": "erin.escalation@example.com",
                "principalId": "erin.escalation@example.com",
            }
        ],
        "score": 0.5,
        "sensitiveData": ["personal"],
        "databaseName": "warehouse",
        "objectKind": "table",
        "physicalName": "sales.customers",
    }


def test_sensitive_flags_may_be_an_object_of_booleans(policy: ApprovalPolicy) -> None:
    flagged = DraftSummary.from_json(
        {
            "databaseName": "warehouse",
            "objectKind": "table",
            "qualityScore": 0.9,
            "sensitiveData": {"personal": False, "Financial": True},
        }
    )
    assert flagged.sensitive_data == ("financial",)
    assert assess(policy, flagged).tier == 3
    clean = DraftSummary.from_json(
        {
            "databaseName": "warehouse",
            "objectKind": "table",
            "qualityScore": 0.9,
            "sensitiveData": {"personal": False},
        }
    )
    assert assess(policy, clean).tier == 2


def test_rules_and_thresholds_are_data(tmp_path: Path) -> None:
    engine = fresh_database(tmp_path / "app.sqlite")
    document = copy.deepcopy(read_policy_file(EXAMPLE_POLICY_FILE))
    document["criticalDatabases"].append("warehouse")
    document["routing"][1]["minScore"] = 0.5
    document["tiers"][0]["slaHours"] = 8
    seed_policy(engine, document)
    changed = load_policy(engine)
    assert assess(changed, summary("table", "warehouse", 0.9)).tier == 4
    assert assess(changed, summary("function", "elsewhere", 0.6)).route == "single"
    assert assess(changed, summary("function", "elsewhere", 0.6)).sla_hours == 8


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not an object", "summary"),
        ({"objectKind": "table", "qualityScore": 0.5}, "summary.databaseName"),
        ({"databaseName": " ", "objectKind": "table", "qualityScore": 0.5}, "summary.databaseName"),
        ({"databaseName": "w", "qualityScore": 0.5}, "summary.objectKind"),
        ({"databaseName": "w", "objectKind": "table"}, "summary.qualityScore"),
        (
            {"databaseName": "w", "objectKind": "table", "qualityScore": 1.01},
            "summary.qualityScore",
        ),
        (
            {"databaseName": "w", "objectKind": "table", "qualityScore": True},
            "summary.qualityScore",
        ),
        (
            {"databaseName": "w", "objectKind": "table", "qualityScore": "0.9"},
            "summary.qualityScore",
        ),
        (
            {"databaseName": "w", "objectKind": "table", "qualityScore": float("nan")},
            "summary.qualityScore",
        ),
        (
            {
                "databaseName": "w",
                "objectKind": "table",
                "qualityScore": 0.5,
                "sensitiveData": "pii",
            },
            "summary.sensitiveData",
        ),
        (
            {
                "databaseName": "w",
                "objectKind": "table",
                "qualityScore": 0.5,
                "sensitiveData": {"personal": "yes"},
            },
            "summary.sensitiveData",
        ),
        (
            {"databaseName": "w", "objectKind": "table", "qualityScore": 0.5, "physicalName": 3},
            "summary.physicalName",
        ),
    ],
)
def test_a_bad_summary_names_the_field(data: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        DraftSummary.from_json(data)
    assert info.value.field == field
    assert info.value.status == 400


def test_assess_draft_reads_the_policy_tables(tmp_path: Path) -> None:
    engine = fresh_database(tmp_path / "app.sqlite")
    drafted = {
        "documentId": "d",
        "databaseName": "finance",
        "physicalName": "gl.entries",
        "objectKind": "table",
        "sensitiveData": [],
        "qualityScore": 1.0,
        "columnCount": 7,
    }  # the drafting step's output carries more than we read
    result = assess_draft(engine, drafted)
    assert (result.tier, result.sla_hours, result.route) == (4, 120, "all")
    assert to_json(result)["physicalName"] == "gl.entries"
    with pytest.raises(InvalidInput):
        assess_draft(engine, {**drafted, "qualityScore": None})
