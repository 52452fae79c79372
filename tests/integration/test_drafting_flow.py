"""Drafting end to end: sample databases -> reflect -> render -> real Azurite -> read back."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from adapters import AzureBlobStore, FolderDocumentLibrary, SourceDatabases, UnknownDatabase
from examples.build_databases import build_databases
from services.drafting import (
    DOCUMENTS_CONTAINER,
    DraftNotFound,
    DraftRequest,
    InvalidDraftRequest,
    UnknownObject,
    delete_draft,
    delete_final,
    draft_document,
    file_document,
    render_final,
    unfile_document,
)
from tests.support.azurite import run_azurite
from wire import to_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "messages"
AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def blobs() -> Iterator[AzureBlobStore]:
    with run_azurite() as azurite:
        yield AzureBlobStore.from_connection_string(azurite.connection_string)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SourceDatabases]:
    paths = build_databases(tmp_path_factory.mktemp("examples"))
    databases = SourceDatabases({name: f"sqlite:///{path}" for name, path in paths.items()})
    yield databases
    databases.dispose()


def message(name: str) -> DraftRequest:
    return DraftRequest.from_json(json.loads((EXAMPLES / f"{name}.json").read_text()))


def docx_text(data: bytes) -> str:
    document: Any = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(c.text for c in row.cells) for row in table.rows]
    return "\n".join(parts)


def test_draft_is_stored_and_summarised(blobs: AzureBlobStore, sources: SourceDatabases) -> None:
    request = message("tier3-personal")
    draft = draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    summary = to_json(draft)

    stored = blobs.get(DOCUMENTS_CONTAINER, f"{request.document_id}/1/draft.docx")
    assert hashlib.sha256(stored.content).hexdigest() == summary["sha256"]
    assert stored.content_type.endswith("wordprocessingml.document")
    assert stored.metadata == {
        "documentId": request.document_id,
        "stage": "draft",
        "sha256": summary["sha256"],
    }
    assert "sales.customers (warehouse)" in docx_text(stored.content)
    assert summary["objectKind"] == "table"
    assert summary["columnCount"] == 11
    assert summary["sensitiveData"] == ["personal"]
    assert summary["personalData"] is True
    assert summary["financialData"] is False
    assert summary["qualityScore"] == 1.0
    assert summary["blobName"] == f"{request.document_id}/1/draft.docx"
    assert summary["libraryPath"] == "Documentation/warehouse/sales.customers.docx"
    assert summary["draftUrl"].endswith(f"/documents/{request.document_id}/1/draft.docx")
    assert json.loads(json.dumps(summary)) == summary  # what the workflow stores
    assert summary == {
        "documentId": request.document_id,
        "physicalName": "sales.customers",
        "databaseName": "warehouse",
        "changeType": request.change_type,
        "requestedBy": request.requested_by,
        "revision": 1,
        "objectKind": "table",
        "exists": True,
        "retired": False,
        "columnCount": 11,
        "sensitiveData": ["personal"],
        "personalData": True,
        "financialData": False,
        "qualityScore": 1.0,
        "quality": {
            "score": 1.0,
            "objectDescribed": True,
            "columnsDescribed": 11,
            "columns": 11,
            "undescribedColumns": [],
        },
        "container": DOCUMENTS_CONTAINER,
        "blobName": draft.blob_name,
        "snapshotBlobName": f"{request.document_id}/1/draft.json",
        "sha256": draft.sha256,
        "size": len(stored.content),
        "contentHash": draft.content_hash,
        "draftUrl": draft.draft_url,
        "libraryPath": "Documentation/warehouse/sales.customers.docx",
    }  # the activity's result, key for key (workflows and recorded histories read it)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tier2-table", ("table", [], 0.5714)),
        ("tier2-single-approver", ("table", [], 1.0)),
        ("tier2-view", ("view", [], 0.5)),
        ("tier3-financial", ("table", ["financial"], 1.0)),
        ("tier1-auto", ("sequence", [], 1.0)),
        ("critical", ("table", ["financial"], 1.0)),
    ],
)
def test_every_sample_message_drafts_what_its_name_promises(
    blobs: AzureBlobStore,
    sources: SourceDatabases,
    name: str,
    expected: tuple[str, list[str], float],
) -> None:
    summary = to_json(draft_document(message(name), sources=sources, blobs=blobs, generated_at=AT))
    assert (summary["objectKind"], summary["sensitiveData"], summary["qualityScore"]) == expected


def test_a_retried_draft_overwrites_the_same_blob_with_the_same_bytes(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    request = message("tier2-table")
    first = draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    second = draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    assert first == second
    assert blobs.list_names(DOCUMENTS_CONTAINER, prefix=f"{request.document_id}/") == [
        f"{request.document_id}/1/draft.docx",
        f"{request.document_id}/1/draft.json",
    ]


def test_final_is_rendered_from_the_snapshot_with_the_approval(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    request = message("tier2-single-approver")
    draft = to_json(draft_document(request, sources=sources, blobs=blobs, generated_at=AT))
    approval = {
        "status": "Approved",
        "decidedAt": "2026-11-22T09:00:00+00:00",
        "tier": 2,
        "votes": [
            {
                "role": "Data Steward",
                "approver": "dana@example.com",
                "decision": "approve",
                "decidedAt": "2026-11-22T09:00:00+00:00",
            }
        ],
    }

    final = to_json(
        render_final(request.document_id, approval, blobs=blobs, generated_at=AT.replace(hour=9))
    )

    stored = blobs.get(DOCUMENTS_CONTAINER, final["blobName"])
    assert final["blobName"] == f"{request.document_id}/1/final.docx"
    assert hashlib.sha256(stored.content).hexdigest() == final["sha256"]
    assert final["contentHash"] == draft["contentHash"]
    assert final["draftSha256"] == draft["sha256"]
    assert final["libraryPath"] == "Documentation/warehouse/sales.products.docx"
    assert set(final) == {
        "documentId",
        "databaseName",
        "physicalName",
        "container",
        "blobName",
        "sha256",
        "size",
        "contentHash",
        "draftSha256",
        "libraryPath",
    }
    text = docx_text(stored.content)
    assert "FINAL, approved" in text
    assert "Data Steward | dana@example.com | approve" in text
    assert f"Content hash (SHA-256) | {draft['contentHash']}" in text
    assert f"Approved draft (SHA-256) | {draft['sha256']}" in text

    assert to_json(delete_final(request.document_id, blobs=blobs)) == {
        "documentId": request.document_id,
        "deleted": [final["blobName"]],
    }
    assert delete_final(request.document_id, blobs=blobs).deleted == ()


def test_delete_draft_undoes_the_draft_and_can_be_retried(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    request = message("tier2-view")
    draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    assert to_json(delete_draft(request.document_id, blobs=blobs)) == {
        "documentId": request.document_id,
        "deleted": [f"{request.document_id}/1/draft.docx", f"{request.document_id}/1/draft.json"],
    }
    assert delete_draft(request.document_id, blobs=blobs).deleted == ()
    assert blobs.list_names(DOCUMENTS_CONTAINER, prefix=f"{request.document_id}/") == []
    with pytest.raises(DraftNotFound, match="draft it first"):
        render_final(
            request.document_id,
            {"status": "Approved", "autoApproved": True},
            blobs=blobs,
            generated_at=AT,
        )


def test_a_dropped_object_gets_a_retirement_record(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    request = message("dropped")
    summary = draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    assert summary.exists is False
    assert summary.retired is True
    assert summary.object_kind == "table"
    text = docx_text(blobs.get(DOCUMENTS_CONTAINER, summary.blob_name).content)
    assert "Retirement record - DRAFT" in text
    assert "no longer exists in warehouse" in text


def test_dropping_an_object_that_still_exists_says_so(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    request = DraftRequest.from_json(
        {
            **to_json(message("tier2-table")),
            "documentId": "9e0b2c1a-0000-4000-8000-000000000001",
            "changeType": "Dropped",
        }
    )
    summary = draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    assert summary.exists is True
    text = docx_text(blobs.get(DOCUMENTS_CONTAINER, summary.blob_name).content)
    assert "still existed in warehouse" in text


def test_unknown_database_and_object_are_typed_errors_and_store_nothing(
    blobs: AzureBlobStore, sources: SourceDatabases
) -> None:
    unknown_database = message("unknown-database")
    with pytest.raises(UnknownDatabase, match="'crm'"):
        draft_document(unknown_database, sources=sources, blobs=blobs, generated_at=AT)
    unknown_object = DraftRequest.from_json(
        {
            **to_json(message("tier2-table")),
            "documentId": "9e0b2c1a-0000-4000-8000-0000000000ff",
            "physicalName": "sales.nothing",
        }
    )
    with pytest.raises(UnknownObject, match=r"sales\.nothing"):
        draft_document(unknown_object, sources=sources, blobs=blobs, generated_at=AT)
    for request in (unknown_database, unknown_object):
        assert blobs.list_names(DOCUMENTS_CONTAINER, prefix=f"{request.document_id}/") == []


def test_filing_adds_a_library_version_and_unfiling_removes_it(
    blobs: AzureBlobStore, sources: SourceDatabases, tmp_path: Path
) -> None:
    library = FolderDocumentLibrary(tmp_path / "library")
    first, second = (
        message("tier1-auto"),
        DraftRequest.from_json(
            {
                **to_json(message("tier1-auto")),
                "documentId": "9e0b2c1a-0000-4000-8000-000000000002",
            }
        ),
    )
    approval = {"status": "Approved", "autoApproved": True, "tier": 1}
    filed = []
    for request in (first, second):
        draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
        render_final(request.document_id, approval, blobs=blobs, generated_at=AT)
        filed.append(to_json(file_document(request.document_id, blobs=blobs, library=library)))
    retried = to_json(file_document(second.document_id, blobs=blobs, library=library))

    path = "Documentation/warehouse/sales.invoice_number_seq.docx"
    assert [f["versionId"] for f in filed] == ["1.0", "2.0"]
    assert retried == filed[1]  # a retried filing adds no version
    assert filed[1]["libraryPath"] == path
    assert filed[1]["libraryUrl"] == (tmp_path / "library" / path).resolve().as_uri()
    assert filed[1] == {
        "documentId": second.document_id,
        "libraryPath": path,
        "versionId": "2.0",
        "libraryUrl": filed[1]["libraryUrl"],
        "size": len(library.download(path)),
    }
    assert (
        library.download(path)
        == blobs.get(DOCUMENTS_CONTAINER, f"{second.document_id}/1/final.docx").content
    )

    assert to_json(unfile_document(filed[1], library=library)) == {
        "libraryPath": path,
        "versionId": "2.0",
        "removed": True,
        "currentUrl": filed[0]["libraryUrl"],
    }
    assert unfile_document(filed[1], library=library).removed is False
    with pytest.raises(InvalidDraftRequest, match="libraryPath and versionId"):
        unfile_document({"libraryPath": path}, library=library)
    assert [v.version_id for v in library.versions(path)] == ["1.0"]
    assert (
        library.download(path)
        == blobs.get(DOCUMENTS_CONTAINER, f"{first.document_id}/1/final.docx").content
    )


def test_filing_before_the_final_rendering_is_refused(
    blobs: AzureBlobStore, sources: SourceDatabases, tmp_path: Path
) -> None:
    request = DraftRequest.from_json(
        {**to_json(message("tier2-table")), "documentId": "9e0b2c1a-0000-4000-8000-000000000003"}
    )
    draft_document(request, sources=sources, blobs=blobs, generated_at=AT)
    with pytest.raises(DraftNotFound, match="render it first"):
        file_document(request.document_id, blobs=blobs, library=FolderDocumentLibrary(tmp_path))
