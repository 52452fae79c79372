"""Build the sample source databases the demo documents: ``warehouse`` and ``finance``.

    python -m examples.build_databases [FOLDER]     (default: examples/)

Each run rebuilds both files from scratch into a temporary file and swaps it in, so the
result is the same every time and a reader never sees half a database. SQLite has no
schemas: ``sales.customers`` is the table ``sales__customers`` (see
``services/drafting/reflection.py``). Descriptions live in ``_data_dictionary`` (SQLite
cannot store comments) and kinds SQLite cannot represent in ``_object_kinds``.

What the objects are for (see ``examples/messages``):

- warehouse ``sales.orders``          table, half documented -> tier 2, every role (two)
- warehouse ``sales.products``        table, fully documented -> tier 2, single approver
- warehouse ``sales.daily_order_counts`` view               -> tier 2
- warehouse ``sales.customers``       personal data          -> tier 3
- warehouse ``sales.invoices``        financial data         -> tier 3
- warehouse ``sales.invoice_number_seq`` a sequence (a one-row table in SQLite, declared
  kind ``sequence``), fully documented, nothing sensitive   -> tier 1, auto-approved
- warehouse ``sales.promotions_2019`` only in the dictionary: the sample of a drop
- finance ``ledger.journal_entries``, ``ledger.accounts``: the critical database -> tier 4
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

__all__ = ["DATABASES", "build_databases"]

_DICTIONARY_DDL = """
CREATE TABLE _data_dictionary (
    object_name TEXT NOT NULL,      -- physical name, schema.name
    column_name TEXT,               -- NULL: the description of the object itself
    description TEXT NOT NULL,
    UNIQUE (object_name, column_name)
);
CREATE TABLE _object_kinds (
    object_name TEXT PRIMARY KEY,   -- physical name, schema.name
    kind TEXT NOT NULL              -- a kind SQLite cannot represent (sequence, synonym, ...)
);
"""

_WAREHOUSE_DDL = """
CREATE TABLE sales__customers (
    customer_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT,
    street_address TEXT,
    city TEXT,
    postal_code TEXT,
    date_of_birth DATE,
    segment TEXT NOT NULL DEFAULT 'retail',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_customers_name ON sales__customers (last_name, first_name);

CREATE TABLE sales__products (
    product_id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_of_measure TEXT NOT NULL DEFAULT 'each',
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE sales__orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES sales__customers (customer_id),
    order_date DATE NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    channel TEXT NOT NULL,
    shipped_at TIMESTAMP,
    notes TEXT
);
CREATE INDEX ix_orders_customer ON sales__orders (customer_id);
CREATE INDEX ix_orders_date ON sales__orders (order_date);

CREATE TABLE sales__invoices (
    invoice_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES sales__orders (order_id),
    invoice_number TEXT NOT NULL UNIQUE,
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    net_amount NUMERIC(12, 2) NOT NULL,
    tax_amount NUMERIC(12, 2) NOT NULL,
    total_amount NUMERIC(12, 2) NOT NULL,
    currency TEXT NOT NULL DEFAULT 'EUR',
    payer_iban TEXT
);

CREATE TABLE sales__invoice_number_seq (
    next_value INTEGER NOT NULL,
    increment_by INTEGER NOT NULL DEFAULT 1
);
INSERT INTO sales__invoice_number_seq (next_value, increment_by) VALUES (1001, 1);

CREATE VIEW sales__daily_order_counts AS
    SELECT order_date, channel, COUNT(*) AS order_count
    FROM sales__orders GROUP BY order_date, channel;
"""

_WAREHOUSE_DICTIONARY: tuple[tuple[str, str | None, str], ...] = (
    ("sales.customers", None, "People and companies who buy from us, one row per customer."),
    ("sales.customers", "customer_id", "Surrogate key of the customer."),
    ("sales.customers", "first_name", "Given name of the customer."),
    ("sales.customers", "last_name", "Family name of the customer."),
    ("sales.customers", "email", "E-mail address used for order confirmations."),
    ("sales.customers", "phone", "Phone number for delivery questions."),
    ("sales.customers", "street_address", "Street and house number of the billing address."),
    ("sales.customers", "city", "City of the billing address."),
    ("sales.customers", "postal_code", "Postal code of the billing address."),
    ("sales.customers", "date_of_birth", "Birth date, used for age checks on some products."),
    ("sales.customers", "segment", "Marketing segment: retail, business or wholesale."),
    ("sales.customers", "created_at", "When the customer record was created (UTC)."),
    ("sales.products", None, "The catalogue: every product we sell, active or not."),
    ("sales.products", "product_id", "Surrogate key of the product."),
    ("sales.products", "sku", "Stock keeping unit printed on the label."),
    ("sales.products", "name", "Product name as shown in the shop."),
    ("sales.products", "category", "Catalogue category the product is listed under."),
    ("sales.products", "unit_of_measure", "Unit the product is sold in (each, kg, box)."),
    ("sales.products", "active", "Whether the product can be ordered today."),
    ("sales.orders", None, "Customer orders, one row per order."),
    ("sales.orders", "order_id", "Surrogate key of the order."),
    ("sales.orders", "customer_id", "The customer who placed the order."),
    ("sales.orders", "order_date", "Day the order was placed (shop time zone)."),
    ("sales.daily_order_counts", None, "Orders per day and sales channel, for the dashboard."),
    ("sales.daily_order_counts", "order_date", "Day the orders were placed."),
    ("sales.invoices", None, "Invoices sent for orders; amounts in the invoice currency."),
    ("sales.invoices", "invoice_id", "Surrogate key of the invoice."),
    ("sales.invoices", "order_id", "The order this invoice bills."),
    ("sales.invoices", "invoice_number", "Number printed on the invoice, from the sequence."),
    ("sales.invoices", "issued_on", "Day the invoice was issued."),
    ("sales.invoices", "due_on", "Day payment is due."),
    ("sales.invoices", "net_amount", "Amount before tax."),
    ("sales.invoices", "tax_amount", "Value added tax charged."),
    ("sales.invoices", "total_amount", "Amount due: net plus tax."),
    ("sales.invoices", "currency", "ISO 4217 currency code of the amounts."),
    ("sales.invoices", "payer_iban", "IBAN the payer's direct debit is drawn from."),
    (
        "sales.invoice_number_seq",
        None,
        "Sequence that hands out invoice numbers; emulated by a one-row table in SQLite.",
    ),
    ("sales.invoice_number_seq", "next_value", "The next invoice number to hand out."),
    ("sales.invoice_number_seq", "increment_by", "Step added after each number handed out."),
    ("sales.promotions_2019", None, "Promotion codes of the 2019 campaigns, now retired."),
    ("sales.promotions_2019", "promo_code", "Code the shopper typed at checkout."),
    ("sales.promotions_2019", "valid_until", "Last day the code was accepted."),
)
_WAREHOUSE_KINDS = (("sales.invoice_number_seq", "sequence"), ("sales.promotions_2019", "table"))

_FINANCE_DDL = """
CREATE TABLE ledger__accounts (
    account_code TEXT PRIMARY KEY,
    account_name TEXT NOT NULL,
    account_type TEXT NOT NULL,
    parent_code TEXT REFERENCES ledger__accounts (account_code)
);
CREATE TABLE ledger__journal_entries (
    entry_id INTEGER PRIMARY KEY,
    posted_on DATE NOT NULL,
    account_code TEXT NOT NULL REFERENCES ledger__accounts (account_code),
    debit_amount NUMERIC(14, 2) NOT NULL DEFAULT 0,
    credit_amount NUMERIC(14, 2) NOT NULL DEFAULT 0,
    memo TEXT,
    posted_by TEXT NOT NULL
);
CREATE INDEX ix_journal_account_date ON ledger__journal_entries (account_code, posted_on);
"""

_FINANCE_DICTIONARY: tuple[tuple[str, str | None, str], ...] = (
    ("ledger.accounts", None, "Chart of accounts of the general ledger."),
    ("ledger.accounts", "account_code", "Code of the account in the chart of accounts."),
    ("ledger.accounts", "account_name", "Name of the account as printed in reports."),
    ("ledger.accounts", "account_type", "Asset, liability, equity, income or expense."),
    ("ledger.accounts", "parent_code", "The account this one rolls up into."),
    ("ledger.journal_entries", None, "Postings to the general ledger, one row per line."),
    ("ledger.journal_entries", "entry_id", "Surrogate key of the posting."),
    ("ledger.journal_entries", "posted_on", "Accounting date of the posting."),
    ("ledger.journal_entries", "account_code", "The account posted to."),
    ("ledger.journal_entries", "debit_amount", "Amount debited, in euros."),
    ("ledger.journal_entries", "credit_amount", "Amount credited, in euros."),
    ("ledger.journal_entries", "memo", "Free text explaining the posting."),
    ("ledger.journal_entries", "posted_by", "Login of the accountant who posted it."),
)

# name -> (schema DDL, data dictionary rows, declared kinds)
DATABASES: dict[
    str, tuple[str, tuple[tuple[str, str | None, str], ...], tuple[tuple[str, str], ...]]
] = {
    "warehouse": (_WAREHOUSE_DDL, _WAREHOUSE_DICTIONARY, _WAREHOUSE_KINDS),
    "finance": (_FINANCE_DDL, _FINANCE_DICTIONARY, ()),
}


def build_databases(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """(Re)build every sample database as ``<folder>/<name>.sqlite``; returns the paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    return {name: _build(target / f"{name}.sqlite", *spec) for name, spec in DATABASES.items()}


def _build(
    path: Path,
    ddl: str,
    dictionary: tuple[tuple[str, str | None, str], ...],
    kinds: tuple[tuple[str, str], ...],
) -> Path:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".sqlite")
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                connection.executescript(_DICTIONARY_DDL + ddl)
                connection.executemany("INSERT INTO _data_dictionary VALUES (?, ?, ?)", dictionary)
                connection.executemany("INSERT INTO _object_kinds VALUES (?, ?)", kinds)
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent
    for name, path in build_databases(folder).items():
        print(f"built {name:<10} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
