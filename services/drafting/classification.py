"""Classify columns as personal or financial data from their names, types and descriptions.

Rules match whole words of the column name (``customer_email``, ``dateOfBirth`` and
``IBAN`` split into words), so ``shipment`` never matches ``ip``. A bare ``name`` is personal
only where the object or the column is about people (``customers.name``, ``contact_name``),
not in ``products.name``. The tables below are the policy; extend them, not the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.drafting.model import ColumnDescription, ObjectDescription

__all__ = [
    "FINANCIAL",
    "PERSONAL",
    "Classification",
    "ColumnFinding",
    "classify",
    "classify_column",
    "words",
]

PERSONAL = "personal"
FINANCIAL = "financial"

# (category, reason, word sequence that must appear in the column name)
_NAME_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *(
        (PERSONAL, "person name", w)
        for w in (
            ("first", "name"),
            ("last", "name"),
            ("given", "name"),
            ("family", "name"),
            ("full", "name"),
            ("middle", "name"),
            ("maiden", "name"),
            ("surname",),
            ("firstname",),
            ("lastname",),
            ("fullname",),
        )
    ),
    *((PERSONAL, "email address", w) for w in (("email",), ("e", "mail"), ("mail", "address"))),
    *(
        (PERSONAL, "phone number", w)
        for w in (("phone",), ("mobile",), ("telephone",), ("fax",), ("cell", "number"))
    ),
    *(
        (PERSONAL, "postal address", w)
        for w in (
            ("address",),
            ("street",),
            ("postal", "code"),
            ("postcode",),
            ("zip",),
            ("zipcode",),
        )
    ),
    *((PERSONAL, "birth date", w) for w in (("birth",), ("birthdate",), ("birthday",), ("dob",))),
    *(
        (PERSONAL, "national identifier", w)
        for w in (
            ("ssn",),
            ("social", "security"),
            ("national", "id"),
            ("passport",),
            ("driver", "license"),
            ("driving", "licence"),
            ("tax", "id"),
            ("nino",),
        )
    ),
    *(
        (PERSONAL, "special category", w)
        for w in (("gender",), ("nationality",), ("ethnicity",), ("religion",), ("health",))
    ),
    *(
        (FINANCIAL, "monetary amount", w)
        for w in (
            ("amount",),
            ("price",),
            ("cost",),
            ("fee",),
            ("subtotal",),
            ("revenue",),
            ("income",),
            ("payment",),
            ("discount",),
            ("tax",),
            ("debit",),
            ("credit",),
        )
    ),
    *(
        (FINANCIAL, "bank account", w)
        for w in (
            ("iban",),
            ("bic",),
            ("swift",),
            ("account", "number"),
            ("bank",),
            ("routing", "number"),
            ("sort", "code"),
        )
    ),
    *((FINANCIAL, "payment card", w) for w in (("card",), ("cvv",), ("pan",))),
    *(
        (FINANCIAL, "compensation", w)
        for w in (("salary",), ("wage",), ("wages",), ("bonus",), ("payroll",))
    ),
    *((FINANCIAL, "balance", w) for w in (("balance",),)),
)
# Words that make a bare "name" (or "<word>_name") a person's name.
_PEOPLE = frozenset(
    {
        "customer",
        "customers",
        "client",
        "clients",
        "employee",
        "employees",
        "person",
        "people",
        "persons",
        "user",
        "users",
        "contact",
        "contacts",
        "patient",
        "patients",
        "member",
        "members",
        "owner",
        "manager",
        "staff",
        "applicant",
        "recipient",
        "holder",
        "supplier_contact",
        "account_holder",
        "cardholder",
        "beneficiary",
    }
)
# Types that are money whatever the column is called (SQL Server MONEY, SMALLMONEY).
_MONEY_TYPES = re.compile(r"\b(SMALL)?MONEY\b", re.IGNORECASE)
# A description that says so is believed.
_DESCRIBED_PERSONAL = re.compile(r"\b(personal data|PII|GDPR)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnFinding:
    """One column in one category, with the reason a person can check."""

    column: str
    category: str
    reason: str


@dataclass(frozen=True)
class Classification:
    findings: tuple[ColumnFinding, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories found, in a fixed order (personal before financial)."""
        found = {f.category for f in self.findings}
        return tuple(c for c in (PERSONAL, FINANCIAL) if c in found)

    @property
    def personal_data(self) -> bool:
        return PERSONAL in self.categories

    @property
    def financial_data(self) -> bool:
        return FINANCIAL in self.categories

    def of_column(self, column: str) -> tuple[ColumnFinding, ...]:
        return tuple(f for f in self.findings if f.column == column)


def words(identifier: str) -> tuple[str, ...]:
    """``customerEmail_2`` -> ("customer", "email", "2"); ``IBANCode`` -> ("iban", "code")."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return tuple(w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w)


def classify_column(
    column: ColumnDescription,
    object_words: tuple[str, ...] = (),
) -> tuple[ColumnFinding, ...]:
    """The findings for one column, at most one per category (the first rule that matches)."""
    name_words = words(column.name)
    reasons: dict[str, str] = {}
    for category, reason, pattern in _NAME_RULES:
        if category not in reasons and _contains(name_words, pattern):
            reasons[category] = reason
    if PERSONAL not in reasons and _is_person_name(name_words, object_words):
        reasons[PERSONAL] = "person name"
    if (
        PERSONAL not in reasons
        and column.description
        and _DESCRIBED_PERSONAL.search(column.description)
    ):
        reasons[PERSONAL] = "described as personal data"
    if FINANCIAL not in reasons and _MONEY_TYPES.search(column.type):
        reasons[FINANCIAL] = f"money type {column.type}"
    return tuple(
        ColumnFinding(column.name, c, reasons[c]) for c in (PERSONAL, FINANCIAL) if c in reasons
    )


def classify(description: ObjectDescription) -> Classification:
    object_words = words(description.physical_name.rpartition(".")[2])
    return Classification(
        tuple(
            finding
            for column in description.columns
            for finding in classify_column(column, object_words)
        )
    )


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _is_person_name(name_words: tuple[str, ...], object_words: tuple[str, ...]) -> bool:
    if not name_words or name_words[-1] != "name":
        return False
    qualifiers = name_words[:-1]
    if qualifiers:
        return any(w in _PEOPLE for w in qualifiers)
    return any(w in _PEOPLE for w in object_words)
