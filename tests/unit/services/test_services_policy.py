"""Approval policy: validation names the field, seeding is idempotent, tables round-trip."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services import db
from services.approval.policy import load_policy, read_policy_file, seed_policy, validate_policy
from services.errors import PolicyInvalid
from services.testing import EXAMPLE_POLICY_FILE, fresh_database, sqlite_engine


@pytest.fixture
def example() -> dict[str, Any]:
    return read_policy_file(EXAMPLE_POLICY_FILE)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
            if t.name.startswith("policy_")
        }


def test_example_policy_loads_with_finance_critical_and_roles_in_order(tmp_path: Path) -> None:
    policy = load_policy(fresh_database(tmp_path / "app.sqlite"))
    assert policy.critical_databases == frozenset({"finance"})
    assert "warehouse" not in policy.critical_databases
    assert [r.name for r in policy.roles] == [
        "Data Steward",
        "DBA",
        "Compliance",
        "Governance Lead",
    ]
    assert [(t.tier, t.sla_hours) for t in policy.tiers] == [(4, 120), (3, 72), (2, 48), (1, 24)]
    assert [r.name for r in policy.roles_for_tier(2)] == ["Data Steward", "DBA"]
    assert [r.name for r in policy.roles_for_tier(4)] == [r.name for r in policy.roles]
    steward = policy.roles[0].members[0]
    assert (steward.name, steward.email) == ("Dana Steward", "dana.steward@example.com")
    assert steward.principal_id == "dana.steward@example.com"
    assert [c.email for c in policy.escalation_contacts] == ["erin.escalation@example.com"]
    assert (policy.extension_hours, policy.max_escalations) == (24, 1)
    assert [(r.route, r.max_tier, r.min_score, r.no_sensitive_data) for r in policy.routes] == [
        ("auto", 1, 0.95, True),
        ("single", 2, 0.80, False),
        ("all", None, None, False),
    ]


def test_seeding_twice_writes_nothing_the_second_time(
    tmp_path: Path, example: dict[str, Any]
) -> None:
    engine = sqlite_engine(tmp_path / "app.sqlite")
    db.init_schema(engine)
    assert seed_policy(engine, example) is True
    before = counts(engine)
    assert seed_policy(engine, example) is False
    db.init_schema(engine)  # idempotent too
    assert counts(engine) == before
    assert before["policy_roles"] == 4
    assert before["policy_tiers"] == 4


def test_a_changed_policy_replaces_the_old_one(tmp_path: Path, example: dict[str, Any]) -> None:
    engine = fresh_database(tmp_path / "app.sqlite")
    changed = copy.deepcopy(example)
    changed["criticalDatabases"] = ["warehouse", "Finance"]
    changed["roles"][1]["members"] = [
        {"name": "New Dba", "email": "new.dba@example.com", "principalId": "0000-1111"}
    ]
    assert seed_policy(engine, changed) is True
    policy = load_policy(engine)
    assert policy.critical_databases == frozenset({"warehouse", "finance"})
    assert [m.email for m in policy.roles[1].members] == ["new.dba@example.com"]
    assert counts(engine)["policy_role_members"] == 4


def test_empty_tables_say_how_to_seed_them(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "app.sqlite")
    db.init_schema(engine)
    with pytest.raises(PolicyInvalid, match="APPROVAL_POLICY_FILE"):
        load_policy(engine)


def _broken(example: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(example)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["tiers", 0, "slaHours"], 0, "/tiers/0/slaHours"),
        (["tiers", 1, "slaHours"], "48", "/tiers/1/slaHours"),
        (["routing", 0, "route"], "sometimes", "/routing/0/route"),
        (["routing", 1, "minScore"], 1.5, "/routing/1/minScore"),
        (["roles", 0, "members"], [], "/roles/0/members"),
        (["roles", 0, "members", 0, "email"], "not-an-address", "/roles/0/members/0/email"),
        (["escalation", "contacts"], [], "/escalation/contacts"),
        (["escalation"], _DELETE, "escalation"),
        (["tiers", 3, "when"], {"criticalDatabase": True, "always": True}, "/tiers/3/when"),
        (["tiers", 1, "tier"], 1, "/tiers/1/tier: tier 1 is defined twice"),
        (["tiers", 0, "when"], {"objectKind": ["function"]}, "/tiers: expected one tier"),
        (["roles", 3, "fromTier"], 9, "/roles/3/fromTier"),
        (["roles", 1, "name"], "Data Steward", "/roles/1/name"),
        (["routing", 2], {"route": "all", "maxTier": 4}, "/routing/2: expected the last rule"),
        (["roles", 2, "name"], "data steward", "/roles/2/name: role 'data steward' is defined"),
        (
            ["roles", 0, "members"],
            [
                {"name": "A", "email": "a@example.com", "principalId": "a"},
                {"name": "B", "email": "A@Example.com", "principalId": "b"},
            ],
            "/roles/0/members/1/email: A@Example.com is listed twice",
        ),
        (
            ["escalation", "contacts"],
            [
                {"name": "A", "email": "a@example.com", "principalId": "a"},
                {"name": "A", "email": "a@example.com", "principalId": "a"},
            ],
            "/escalation/contacts/1/email",
        ),
    ],
)
def test_bad_policies_name_the_field(
    example: dict[str, Any], path: list[str | int], value: Any, message: str
) -> None:
    with pytest.raises(PolicyInvalid) as info:
        validate_policy(_broken(example, path, value))
    assert message in str(info.value)


def test_a_bad_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(PolicyInvalid, match=r"missing\.json: cannot read"):
        read_policy_file(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyInvalid, match=r"broken\.json: not JSON"):
        read_policy_file(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"tiers": []}), encoding="utf-8")
    with pytest.raises(PolicyInvalid, match=r"wrong\.json: .*/tiers"):
        read_policy_file(wrong)


def test_an_invalid_policy_leaves_the_seeded_one_alone(
    tmp_path: Path, example: dict[str, Any]
) -> None:
    engine = fresh_database(tmp_path / "app.sqlite")
    before = counts(engine)
    with pytest.raises(PolicyInvalid):
        seed_policy(engine, _broken(example, ["roles"], []))
    assert counts(engine) == before
    assert load_policy(engine).critical_databases == frozenset({"finance"})
