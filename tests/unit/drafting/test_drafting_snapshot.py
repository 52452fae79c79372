"""The draft's snapshot: version 1 reads back what it stored, and its hash does not move.

``snapshot-v1.json`` was written by the code before the services returned dataclasses (the
``to_json`` methods of the model types); reading it and writing it again must give the same
bytes, and the content hash of the same facts must stay the one it recorded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.drafting import (
    ColumnDescription,
    DocumentContent,
    DraftRequest,
    ForeignKeyDescription,
    IndexDescription,
    InvalidDraftRequest,
    ObjectDescription,
    classify,
    score_documentation,
)
from services.drafting.snapshot import Snapshot, content_hash, decode_snapshot, encode_snapshot

STORED = Path(__file__).resolve().parents[2] / "fixtures" / "drafting" / "snapshot-v1.json"
REQUEST = DraftRequest.from_json(
    {
        "documentId": "9E0B2C1A-0000-4000-8000-00000000000A",
        "physicalName": "sales.customers",
        "databaseName": "warehouse",
        "changeType": "Altered",
        "requestedBy": "dev.dba@example.com",
        "revision": 2,
    }
)
DESCRIPTION = ObjectDescription(
    database="warehouse",
    physical_name="sales.customers",
    kind="table",
    exists=True,
    description="Customers who buy from us, one row each.",
    columns=(
        ColumnDescription(
            "id", "INTEGER", False, autoincrement=True, description="Surrogate key of the row."
        ),
        ColumnDescription(
            "email", "NVARCHAR(254)", True, description="Address for order mail (personal data)."
        ),
        ColumnDescription("credit_limit", "MONEY", True, default="0"),
        ColumnDescription(
            "région", "NVARCHAR(40)", True, description='Zone de vente \u2013 "EU" ou <autre>.'
        ),
    ),
    primary_key=("id",),
    foreign_keys=(ForeignKeyDescription("fk_region", ("région",), "sales.regions", ("code",)),),
    indexes=(
        IndexDescription("ix_email", ("email",), True),
        IndexDescription(None, ("région", "id"), False),
    ),
    notes=("A note.",),
)
CONTENT = DocumentContent(
    REQUEST, DESCRIPTION, classify(DESCRIPTION), score_documentation(DESCRIPTION)
)
AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_a_stored_version_one_snapshot_reads_back_and_writes_the_same_bytes() -> None:
    stored = STORED.read_bytes()
    snapshot = decode_snapshot(stored, REQUEST.document_id)
    assert snapshot == Snapshot(CONTENT, AT, "0" * 64, content_hash(CONTENT))
    assert encode_snapshot(snapshot) == stored


def test_the_content_hash_of_the_same_facts_does_not_move() -> None:
    recorded = json.loads(STORED.read_text(encoding="utf-8"))["contentHash"]
    assert (
        content_hash(CONTENT)
        == recorded
        == ("a6d6bf77ad6cc5527e4adbf9f2bca239d8a237e33a27bd25d3c74ba552accfe1")
    )


def test_another_snapshot_version_is_refused_naming_both() -> None:
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    with pytest.raises(InvalidDraftRequest, match=r"version 2; expected 1"):
        decode_snapshot(json.dumps({**stored, "snapshotVersion": 2}).encode(), "doc")


# Any text a data dictionary may hold (but lone surrogates, which are not Unicode text).
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_NAMES = st.lists(_TEXT, max_size=3).map(tuple)


@given(
    description=st.builds(
        ObjectDescription,
        database=_TEXT,
        physical_name=_TEXT,
        kind=_TEXT,
        exists=st.booleans(),
        description=st.none() | _TEXT,
        columns=st.lists(
            st.builds(
                ColumnDescription,
                name=_TEXT,
                type=_TEXT,
                nullable=st.booleans(),
                default=st.none() | _TEXT,
                description=st.none() | _TEXT,
                autoincrement=st.booleans(),
            ),
            max_size=4,
        ).map(tuple),
        primary_key=_NAMES,
        foreign_keys=st.lists(
            st.builds(
                ForeignKeyDescription,
                name=st.none() | _TEXT,
                columns=_NAMES,
                referred_object=_TEXT,
                referred_columns=_NAMES,
            ),
            max_size=2,
        ).map(tuple),
        indexes=st.lists(
            st.builds(
                IndexDescription, name=st.none() | _TEXT, columns=_NAMES, unique=st.booleans()
            ),
            max_size=2,
        ).map(tuple),
        notes=_NAMES,
    )
)
def test_any_description_round_trips_with_its_hash(description: ObjectDescription) -> None:
    content = DocumentContent(
        REQUEST, description, classify(description), score_documentation(description)
    )
    snapshot = Snapshot(content, AT, "f" * 64, content_hash(content))
    again = decode_snapshot(encode_snapshot(snapshot), REQUEST.document_id)
    assert again == snapshot
    assert content_hash(again.content) == snapshot.content_hash
