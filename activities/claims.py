"""Activities of the claim-approval workflow (``workflows/claim-approval.json``): check the
claim against the auto-approve limit, record the payment, and reverse it (the compensation)."""

from __future__ import annotations

from typing import Any

from services.claims import payments
from services.claims.claims import AutoApproveLimit, Claim, format_amount, parse_claim
from wire import to_json

from ._blueprint import Step, blueprint
from ._keys import step_key


@blueprint.activity_trigger(input_name="request")
def validate_claim(request: Any) -> dict[str, Any]:
    """The claim, normalised, and whether it approves by itself (``CLAIM_AUTO_APPROVE_LIMIT``).
    A claim that cannot be decided raises ``ClaimInvalid`` naming the field."""
    step = Step.of(request)
    claim = parse_claim(step.data.get("claim"))
    limit = AutoApproveLimit.parse(step.rt.settings.get("CLAIM_AUTO_APPROVE_LIMIT"))
    return {**_claim_json(claim), "autoApprove": limit.approves(claim), "limit": str(limit)}


def _claim_json(claim: Claim) -> dict[str, Any]:
    """The claim as the workflow reads it: the amount as text in the currency's minor units
    ("120.50", never a float or an exponent) beside those units as an integer."""
    return {
        "claimId": claim.claim_id,
        "claimant": claim.claimant,
        "amount": format_amount(claim.amount, claim.currency),
        "currency": claim.currency,
        "amountMinor": claim.amount_minor,
        "description": claim.description,
    }


def _payment_id(step: Step) -> str:
    return step_key(step.data, "payment")


@blueprint.activity_trigger(input_name="payment")
def record_payment(payment: Any) -> dict[str, Any]:
    """Record the payment of an approved claim, once per instance and step."""
    step = Step.of(payment)
    claim = parse_claim(step.data.get("claim"))
    paid = payments.record_payment(
        step.db,
        payment_id=_payment_id(step),
        claim_id=claim.claim_id,
        instance_id=step.text("instanceId"),
        payee=claim.claimant,
        amount_minor=claim.amount_minor,
        currency=claim.currency,
        now=step.at,
    )
    return to_json(paid)


@blueprint.activity_trigger(input_name="payment")
def reverse_payment(payment: Any) -> dict[str, Any]:
    """Compensation of ``record_payment``: reverse the step's payment (again: no change)."""
    step = Step.of(payment)
    reason = step.data.get("reason")
    reversed_ = payments.reverse_payment(
        step.db,
        payment_id=_payment_id(step),
        reason=reason if isinstance(reason, str) else "compensated",
        now=step.at,
    )
    return to_json(reversed_)
