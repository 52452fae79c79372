"""Claims (validation, the auto-approve limit) and payments (once per step, one per claim,
reversible)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from services.claims.claims import AutoApproveLimit, ClaimInvalid, format_amount, parse_claim
from services.claims.payments import (
    ClaimAlreadyPaid,
    Payment,
    PaymentReversed,
    get_payment,
    record_payment,
    reverse_payment,
)
from services.errors import IdempotencyMismatch, PolicyInvalid
from services.testing import fresh_database
from wire import to_json

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CLAIM = {
    "claimId": "C-1",
    "claimant": "ana@example.com",
    "amount": 120.5,
    "currency": "EUR",
    "description": " Taxi ",
}


# ---- claims ----------------------------------------------------------------------------------


def test_a_claim_reads_as_exact_minor_units() -> None:
    claim = parse_claim(CLAIM)
    assert (claim.amount, claim.amount_minor, claim.description) == (
        Decimal("120.5"),
        12050,
        "Taxi",
    )
    assert format_amount(claim.amount, claim.currency) == "120.50"
    assert parse_claim({**CLAIM, "amount": 0.1}).amount_minor == 10  # no float error
    yen = parse_claim({**CLAIM, "amount": "7", "currency": "JPY"})
    assert format_amount(yen.amount, yen.currency) == "7"
    assert parse_claim({**CLAIM, "amount": "1.234", "currency": "KWD"}).amount_minor == 1234


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"claimId": "a/b"}, "claimId"),
        ({"claimant": "ana@example.com\r\nBcc: x@y.z"}, "claimant"),
        ({"currency": "eur"}, "currency"),
        ({"amount": True}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 1e13}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"description": "x" * 2001}, "description"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_claim_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ClaimInvalid) as caught:
        parse_claim({**CLAIM, **changes})
    assert caught.value.field == field


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999"), places=2))
def test_any_two_decimal_amount_round_trips_exactly(amount: Decimal) -> None:
    claim = parse_claim({**CLAIM, "amount": str(amount)})
    assert claim.amount_minor == int(amount * 100)
    assert Decimal(format_amount(claim.amount, claim.currency)) == amount


def test_the_limit_approves_up_to_and_including_it_in_its_currency() -> None:
    any_currency = AutoApproveLimit.parse("1000")
    assert any_currency.approves(parse_claim({**CLAIM, "amount": 1000}))
    assert not any_currency.approves(parse_claim({**CLAIM, "amount": "1000.01"}))
    euros = AutoApproveLimit.parse(" 500 EUR ")
    assert euros.approves(parse_claim({**CLAIM, "amount": 500}))
    assert not euros.approves(parse_claim({**CLAIM, "amount": 5, "currency": "USD"}))
    assert str(euros) == "500 EUR" and str(AutoApproveLimit.parse("0")) == "0"


@pytest.mark.parametrize("text", ["", "lots", "-1", "1000 eur", "1 2 3", "Infinity", None])
def test_a_bad_limit_setting_is_named(text: str | None) -> None:
    with pytest.raises(PolicyInvalid, match="CLAIM_AUTO_APPROVE_LIMIT"):
        AutoApproveLimit.parse(text)


# ---- payments --------------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return fresh_database(tmp_path / "app.sqlite")


def pay(
    engine: sa.Engine, payment_id: str = "p-1", claim_id: str = "C-1", amount_minor: int = 12050
) -> Payment:
    return record_payment(
        engine,
        payment_id=payment_id,
        claim_id=claim_id,
        instance_id="i-1",
        payee="ana@example.com",
        amount_minor=amount_minor,
        currency="EUR",
        now=NOW,
    )


def test_a_payment_is_recorded_once_per_key(engine: sa.Engine) -> None:
    first = pay(engine)
    assert (first.amount, first.status, first.duplicate) == ("120.50", "recorded", False)
    assert to_json(first) == {
        "paymentId": "p-1",
        "claimId": "C-1",
        "payee": "ana@example.com",
        "amount": "120.50",
        "amountMinor": 12050,
        "currency": "EUR",
        "status": "recorded",
        "recordedAt": "2026-06-01T09:00:00Z",
        "reversedAt": None,
        "duplicate": False,
    }
    assert pay(engine) == dataclasses.replace(first, duplicate=True)
    with pytest.raises(IdempotencyMismatch):
        pay(engine, amount_minor=99)
    assert get_payment(engine, "p-1") == first


def test_twin_attempts_at_once_record_one_payment(engine: sa.Engine) -> None:
    results: list[Payment] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        barrier.wait()
        results.append(pay(engine))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False] + [True] * 5
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM payments")).scalar_one() == 1


def test_two_workflows_racing_for_one_claim_pay_it_once(engine: sa.Engine) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            pay(engine, payment_id=f"p-{n}")
            outcomes.append("paid")
        except ClaimAlreadyPaid:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid", "refused", "refused", "refused"]


def test_a_reversal_is_idempotent_frees_the_claim_and_is_never_undone(engine: sa.Engine) -> None:
    assert to_json(reverse_payment(engine, payment_id="p-1", reason="x", now=NOW)) == {
        "paymentId": "p-1",
        "status": "absent",
    }
    pay(engine)
    reversed_ = to_json(reverse_payment(engine, payment_id="p-1", reason="compensated", now=NOW))
    assert reversed_["status"] == "reversed" and reversed_["reversedAt"] == "2026-06-01T09:00:00Z"
    assert to_json(reverse_payment(engine, payment_id="p-1", reason="again", now=NOW)) == reversed_
    with pytest.raises(PaymentReversed):
        pay(engine)  # a late duplicate of the step must not pay what was taken back
    assert pay(engine, payment_id="p-2").status == "recorded"  # a new workflow may
