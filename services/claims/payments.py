"""Payments of approved claims: recorded once per step, reversible, one live payment per claim.

``record_payment`` is keyed by the workflow step that makes it (``derive_id(instance, step)``):
a retried or re-run activity finds its payment and returns it (``duplicate``: true) instead of
paying again; the same key with another amount is refused (``IdempotencyMismatch``). A filtered
unique index allows one recorded payment per claim across instances, so a second workflow for
the same claim fails with ``ClaimAlreadyPaid`` even when both run at once. ``reverse_payment``
is the compensation: idempotent, and a no-op for a payment that was never made. A reversed
payment is never made again under its key (``PaymentReversed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from services._time import utc
from services.claims import tables
from services.claims.claims import MINOR_UNITS
from services.errors import Conflict, IdempotencyMismatch, NotFound

__all__ = [
    "ClaimAlreadyPaid",
    "NoPayment",
    "Payment",
    "PaymentReversed",
    "get_payment",
    "record_payment",
    "reverse_payment",
]


class ClaimAlreadyPaid(Conflict):
    """Another step (another instance) holds the claim's live payment."""

    title = "Claim already paid"


class PaymentReversed(Conflict):
    """This step's payment was reversed; it is never made again under the same key (a late
    duplicate of the step must not pay what the compensation took back)."""

    title = "Payment reversed"


@dataclass(frozen=True, slots=True)
class Payment:
    """A recorded (or reversed) payment of a claim."""

    payment_id: str  # the step's key
    claim_id: str
    payee: str
    amount: str  # decimal text in the currency's minor units ("120.50", "7"), never a float
    amount_minor: int
    currency: str
    status: str  # "recorded" or "reversed"
    recorded_at: datetime
    reversed_at: datetime | None
    duplicate: bool  # True: an earlier run of the step recorded it; nothing was paid again


@dataclass(frozen=True, slots=True)
class NoPayment:
    """``reverse_payment`` of a payment that was never made: nothing to reverse."""

    payment_id: str
    status: str = "absent"


def _payment(row: RowMapping, duplicate: bool = False) -> Payment:
    places = MINOR_UNITS.get(row["currency"], 2)
    amount = Decimal(row["amount_minor"]).scaleb(-places)
    return Payment(
        payment_id=row["payment_id"],
        claim_id=row["claim_id"],
        payee=row["payee"],
        amount=f"{amount:.{places}f}",
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        status=row["status"],
        recorded_at=utc(row["recorded_at"]),
        reversed_at=utc(row["reversed_at"]) if row["reversed_at"] else None,
        duplicate=duplicate,
    )


def _row(conn: Connection, payment_id: str) -> RowMapping | None:
    table = tables.payments
    return conn.execute(sa.select(table).where(table.c.payment_id == payment_id)).mappings().first()


def get_payment(engine: Engine, payment_id: str) -> Payment:
    """The payment under ``payment_id``; ``NotFound`` when there is none."""
    with engine.connect() as conn:
        row = _row(conn, payment_id)
    if row is None:
        raise NotFound(f"no payment {payment_id!r}")
    return _payment(row)


def record_payment(
    engine: Engine,
    *,
    payment_id: str,
    claim_id: str,
    instance_id: str,
    payee: str,
    amount_minor: int,
    currency: str,
    now: datetime,
) -> Payment:
    """Record the payment under ``payment_id`` (the step's key), once."""
    values = {
        "payment_id": payment_id,
        "claim_id": claim_id,
        "instance_id": instance_id,
        "payee": payee,
        "amount_minor": amount_minor,
        "currency": currency,
        "status": "recorded",
        "recorded_at": utc(now),
    }
    try:
        with engine.begin() as conn:
            if _row(conn, payment_id) is None:
                conn.execute(sa.insert(tables.payments).values(**values))
                return _payment(_stored(conn, payment_id))
    except IntegrityError:
        pass  # a twin attempt inserted first, or the claim is paid elsewhere: look below
    with engine.connect() as conn:
        row = _row(conn, payment_id)
        if row is None:
            raise ClaimAlreadyPaid(
                f"claim {claim_id!r} already has a recorded payment from another workflow"
            )
    same = (row["claim_id"], row["payee"], row["amount_minor"], row["currency"]) == (
        claim_id,
        payee,
        amount_minor,
        currency,
    )
    if not same:
        raise IdempotencyMismatch(f"payment {payment_id!r} was recorded with other values")
    if row["status"] != "recorded":
        raise PaymentReversed(
            f"payment {payment_id!r} of claim {claim_id!r} was reversed; "
            "start a new workflow to pay the claim again"
        )
    return _payment(row, duplicate=True)


def _stored(conn: Connection, payment_id: str) -> RowMapping:
    row = _row(conn, payment_id)
    assert row is not None  # just inserted in this transaction
    return row


def reverse_payment(
    engine: Engine, *, payment_id: str, reason: str, now: datetime
) -> Payment | NoPayment:
    """Reverse a recorded payment; again, or for a payment never made, changes nothing."""
    table = tables.payments
    with engine.begin() as conn:
        conn.execute(
            sa.update(table)
            .where(table.c.payment_id == payment_id, table.c.status == "recorded")
            .values(status="reversed", reversed_at=utc(now), reversal_reason=reason[:2000])
        )
        row = _row(conn, payment_id)
    if row is None:
        return NoPayment(payment_id)
    return _payment(row)
