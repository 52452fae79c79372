"""The claims domain's table: payments, one per approved claim, reversible."""

from __future__ import annotations

import sqlalchemy as sa

from services._schema import EMAIL_LEN, ID_LEN, INSTANCE_LEN, UtcDateTime, metadata

__all__ = ["payments"]

# --- claim payments: one per approved claim, reversible (services.claims.payments) ----------------

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("payment_id", sa.Unicode(ID_LEN), primary_key=True),  # derived from the step's key
    sa.Column("claim_id", sa.Unicode(ID_LEN), nullable=False),
    sa.Column("instance_id", sa.Unicode(INSTANCE_LEN), nullable=False),
    sa.Column("payee", sa.Unicode(EMAIL_LEN), nullable=False),
    # Minor units (cents) as an integer: exact on every backend, unlike SQLite's NUMERIC.
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Unicode(3), nullable=False),
    sa.Column("status", sa.Unicode(10), nullable=False),  # recorded | reversed
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("reversed_at", UtcDateTime, nullable=True),
    sa.Column("reversal_reason", sa.UnicodeText, nullable=True),
    # At most one live payment per claim, whichever instance records it (a filtered index on
    # both backends).
    sa.Index(
        "uq_payments_recorded_claim",
        "claim_id",
        unique=True,
        sqlite_where=sa.text("status = 'recorded'"),
        mssql_where=sa.text("status = 'recorded'"),
    ),
)
