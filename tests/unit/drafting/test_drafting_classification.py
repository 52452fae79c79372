"""Column classification and the documentation quality score (pure functions)."""

from __future__ import annotations

import pytest

from services.drafting import (
    FINANCIAL,
    PERSONAL,
    ColumnDescription,
    ObjectDescription,
    classify,
    classify_column,
    score_documentation,
)
from services.drafting.classification import words
from services.drafting.quality import is_meaningful
from wire import to_json


def column(name: str, type_: str = "TEXT", description: str | None = None) -> ColumnDescription:
    return ColumnDescription(name=name, type=type_, nullable=True, description=description)


def categories(
    name: str,
    object_name: str = "sales.things",
    type_: str = "TEXT",
    description: str | None = None,
) -> set[str]:
    obj = words(object_name.rpartition(".")[2])
    return {f.category for f in classify_column(column(name, type_, description), obj)}


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("customer_email", ("customer", "email")),
        ("dateOfBirth", ("date", "of", "birth")),
        ("IBANCode", ("iban", "code")),
        ("Phone2", ("phone2",)),
        ("first-name", ("first", "name")),
    ],
)
def test_words_split_identifiers(identifier: str, expected: tuple[str, ...]) -> None:
    assert words(identifier) == expected


@pytest.mark.parametrize(
    "name",
    [
        "first_name",
        "LastName",
        "email",
        "EmailAddress",
        "mobile_phone",
        "street_address",
        "postal_code",
        "date_of_birth",
        "birthdate",
        "ssn",
        "national_id",
        "passport_number",
        "ip_address",
        "gender",
    ],
)
def test_personal_columns(name: str) -> None:
    assert categories(name) == {PERSONAL}


@pytest.mark.parametrize(
    "name",
    [
        "net_amount",
        "unit_price",
        "payer_iban",
        "card_number",
        "salary",
        "account_balance",
        "bank_account_number",
        "discount",
        "credit_limit",
    ],
)
def test_financial_columns(name: str) -> None:
    assert categories(name) == {FINANCIAL}


@pytest.mark.parametrize(
    "name",
    [
        "order_id",
        "status",
        "shipment_date",
        "sku",
        "category",
        "unit_of_measure",
        "description",
        "scorecard",
        "mailbox_count",
        "zipper_color",
    ],
)
def test_plain_columns_are_not_sensitive(name: str) -> None:
    assert categories(name) == set()


def test_a_bare_name_is_personal_only_for_objects_about_people() -> None:
    assert categories("name", "sales.customers") == {PERSONAL}
    assert categories("name", "hr.employees") == {PERSONAL}
    assert categories("name", "sales.products") == set()
    assert categories("contact_name", "sales.suppliers") == {PERSONAL}
    assert categories("product_name", "sales.customers") == set()
    assert categories("account_name", "ledger.accounts") == set()


def test_money_types_and_descriptions_also_classify() -> None:
    assert categories("settled", type_="MONEY") == {FINANCIAL}
    assert categories("settled", type_="SMALLMONEY") == {FINANCIAL}
    assert categories("notes", description="Free text; may hold personal data.") == {PERSONAL}


def test_one_column_can_be_both() -> None:
    finding = classify_column(column("customer_tax_id"))
    assert [(f.category, f.reason) for f in finding] == [
        (PERSONAL, "national identifier"),
        (FINANCIAL, "monetary amount"),
    ]


def describe(description: str | None, *columns: ColumnDescription) -> ObjectDescription:
    return ObjectDescription(
        database="warehouse",
        physical_name="sales.customers",
        kind="table",
        exists=True,
        description=description,
        columns=columns,
    )


def test_classify_collects_categories_in_a_fixed_order() -> None:
    result = classify(describe(None, column("total_amount"), column("email"), column("id")))
    assert result.categories == (PERSONAL, FINANCIAL)
    assert result.personal_data
    assert result.financial_data
    assert [f.column for f in result.of_column("email")] == ["email"]
    assert to_json(result)["findings"] == [
        {"column": "total_amount", "category": "financial", "reason": "monetary amount"},
        {"column": "email", "category": "personal", "reason": "email address"},
    ]


def test_fully_documented_object_scores_one() -> None:
    quality = score_documentation(
        describe(
            "Customers who buy from us.",
            column("id", description="Surrogate key of the row."),
            column("email", description="Address for order mail."),
        )
    )
    assert quality.score == 1.0
    assert quality.undescribed_columns == ()


def test_score_weights_object_a_quarter_and_columns_three_quarters() -> None:
    half = describe(
        "Customers who buy from us.", column("a", description="The a value."), column("b")
    )
    assert score_documentation(half).score == pytest.approx(0.25 + 0.75 / 2)
    no_object = describe(None, column("a", description="The a value."))
    assert score_documentation(no_object).score == 0.75
    nothing = describe(None, column("a"), column("b"))
    assert score_documentation(nothing).score == 0.0
    assert score_documentation(nothing).undescribed_columns == ("a", "b")


def test_object_without_columns_scores_its_description() -> None:
    assert score_documentation(describe("Retired promotion codes.")).score == 1.0
    assert score_documentation(describe(None)).score == 0.0


@pytest.mark.parametrize(
    ("text", "identifier", "meaningful"),
    [
        ("The customer's e-mail address.", "email", True),
        ("TODO", "email", False),
        ("n/a", "email", False),
        ("email", "email", False),
        ("First name", "first_name", False),
        ("  ", "x", False),
        (None, "x", False),
        ("Given name.", "first_name", True),
    ],
)
def test_what_counts_as_a_description(text: str | None, identifier: str, meaningful: bool) -> None:
    assert is_meaningful(text, identifier) is meaningful
