"""Claims of the claim-approval workflow: what a valid claim is, and which approve by
themselves (``CLAIM_AUTO_APPROVE_LIMIT``).

Amounts are decimals, never floats: ``12.30`` EUR is 1230 minor units, and an amount with more
decimals than its currency has (``0.001`` EUR, ``5.5`` JPY) is refused rather than rounded.
The currency must be shaped like ISO 4217 (three capital letters); its minor units are 2
except for the currencies listed in ``MINOR_UNITS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from services.errors import InvalidInput, PolicyInvalid

__all__ = [
    "MINOR_UNITS",
    "AutoApproveLimit",
    "Claim",
    "ClaimInvalid",
    "format_amount",
    "parse_claim",
]

# ISO 4217 currencies whose minor unit is not the cents of most (0: no decimals).
MINOR_UNITS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
MAX_AMOUNT = Decimal("1000000000000")  # a trillion: fits minor units in a BIGINT everywhere
_CLAIM_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
_FIELDS = ("claimId", "claimant", "amount", "currency", "description")


class ClaimInvalid(InvalidInput):
    """A claim that cannot be decided: the message names the field. A business outcome."""


@dataclass(frozen=True)
class Claim:
    claim_id: str
    claimant: str
    amount: Decimal
    currency: str
    description: str

    @property
    def amount_minor(self) -> int:
        return int(self.amount.scaleb(MINOR_UNITS.get(self.currency, 2)))


def format_amount(amount: Decimal, currency: str) -> str:
    """``12.3`` EUR as ``"12.30"``: the currency's minor units, never an exponent."""
    places = MINOR_UNITS.get(currency, 2)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


def parse_claim(data: Any) -> Claim:
    """A valid claim, or ``ClaimInvalid`` naming the first field at fault."""
    if not isinstance(data, dict):
        raise ClaimInvalid("claim", "expected a JSON object")
    extra = sorted(set(data) - set(_FIELDS), key=str)
    if extra:
        raise ClaimInvalid(
            str(extra[0])[:40], f"is not a field of a claim; expected {', '.join(_FIELDS)}"
        )
    claim_id = data.get("claimId")
    if not isinstance(claim_id, str) or not _CLAIM_ID.match(claim_id):
        raise ClaimInvalid("claimId", "expected 1-64 letters, digits, '.', '_' or '-'")
    claimant = data.get("claimant")
    if not isinstance(claimant, str) or len(claimant) > 254 or not _ADDRESS.match(claimant):
        raise ClaimInvalid("claimant", "expected the claimant's mail address")
    currency = data.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise ClaimInvalid("currency", "expected an ISO 4217 code such as EUR")
    amount = _amount(data.get("amount"), currency)
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        raise ClaimInvalid("description", "expected text of at most 2000 characters")
    return Claim(claim_id, claimant, amount, currency, description.strip())


def _amount(value: Any, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ClaimInvalid("amount", "expected a number such as 120.50")
    try:
        amount = Decimal(str(value).strip())  # str(0.1) is "0.1": the float as written
    except InvalidOperation:
        raise ClaimInvalid(
            "amount", f"expected a number such as 120.50, got {value!r:.40}"
        ) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ClaimInvalid("amount", f"expected more than 0 and at most {MAX_AMOUNT}")
    places = MINOR_UNITS.get(currency, 2)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ClaimInvalid(
            "amount", f"{currency} has {places} decimal place(s); got {format(amount, 'f')}"
        )
    return amount


@dataclass(frozen=True)
class AutoApproveLimit:
    """``CLAIM_AUTO_APPROVE_LIMIT``: ``"1000"`` (any currency) or ``"1000 EUR"``."""

    amount: Decimal
    currency: str | None

    @classmethod
    def parse(cls, text: str | None) -> AutoApproveLimit:
        parts = (text or "").split()
        try:
            if len(parts) not in (1, 2):
                raise InvalidOperation
            amount = Decimal(parts[0])
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise PolicyInvalid(
                f"CLAIM_AUTO_APPROVE_LIMIT is {text!r}: expected an amount, "
                "optionally with a currency: '1000' or '1000 EUR'"
            ) from None
        currency = parts[1] if len(parts) == 2 else None
        if currency is not None and not _CURRENCY.match(currency):
            raise PolicyInvalid(
                f"CLAIM_AUTO_APPROVE_LIMIT currency {currency!r}: expected an "
                "ISO 4217 code such as EUR"
            )
        return cls(amount, currency)

    def approves(self, claim: Claim) -> bool:
        """Up to the limit approves by itself (in the limit's currency, when it names one)."""
        return (self.currency in (None, claim.currency)) and claim.amount <= self.amount

    def __str__(self) -> str:
        return f"{self.amount:f}" + (f" {self.currency}" if self.currency else "")
