"""What the first week of real use did to the journey: odd requesters, pasted comments, a
second change of a finished document, an object that is not there. Each outcome must hold,
and every end is audited and told to the requester (or the trail says why not)."""

from __future__ import annotations

import json
import uuid
import zipfile
from io import BytesIO
from typing import Any

import sqlalchemy as sa

from services import audit_trail, index_entry

DANA = "dana.steward@example.com"


def send(journey: Any, message: dict[str, Any]) -> str:
    """Through the real Service Bus trigger, as production does; returns the message id."""
    message_id = f"msg-{uuid.uuid4()}"
    answer = journey.host.http(
        "POST",
        "/admin/devhost/queues/schema-changes/messages",
        data=json.dumps(message),
        params={"messageId": message_id},
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 201, answer.text
    journey.host.wait_idle()
    return message_id


def trail_types(journey: Any, document_id: str) -> list[str]:
    trail = audit_trail(journey.db, document_id)
    assert trail.verification.ok is True, trail.verification
    return [e.type for e in trail.events]


def library_versions(journey: Any, physical_name: str) -> list[str]:
    manifest = (
        journey.library
        / ".versions"
        / "Documentation"
        / "warehouse"
        / f"{physical_name}.docx"
        / "versions.json"
    )
    return [v["id"] for v in json.loads(manifest.read_text()) if not v.get("removed")]


def test_a_requester_named_by_user_name_is_mailed_at_the_mail_domain(journey):
    doc = journey.submit(journey.message("tier2-single-approver", requestedBy="rita"))
    journey.vote(doc, DANA)
    status = journey.host.wait_for(doc)
    assert status["output"]["status"] == "Approved"
    assert status["output"]["requesterMailed"] == "rita@example.com"
    assert journey.mail_to("rita@example.com")
    assert trail_types(journey, doc)[-2:] == ["approved", "requester-notified"]


def test_a_requester_nobody_can_mail_never_undoes_the_approved_document(journey):
    for requester in ("rita\r\nBcc: everyone@example.com", "<script>alert(1)</script>"):
        # Straight to the workflow (ingress would refuse these): the workflow must hold too.
        message = journey.message("tier2-single-approver", requestedBy=requester)
        doc = journey.submit(message)
        journey.vote(doc, DANA)
        status = journey.host.wait_for(doc)
        assert status["runtimeStatus"] == "Completed", status
        assert status["output"]["status"] == "Approved"
        assert status["output"]["requesterMailed"] is None
        types = trail_types(journey, doc)
        assert types[-2:] == ["approved", "requester-not-notified"]
        assert "unfiled" not in types and "index-restored" not in types
        entry = index_entry(journey.db, "warehouse", "sales.products")
        assert entry.current is not None
        assert entry.current.document_id == doc


def test_control_characters_in_a_comment_render_into_the_filed_document(journey):
    doc = journey.submit(journey.message("tier2-single-approver"))
    comment = "Looks right.\fPage two of my notes:\x0b\x07 fine \u2028ok\r\nbye"
    answer = journey.decide(doc, DANA, "approve", comment)
    assert answer.status == 200, answer.text
    status = journey.host.wait_for(doc)
    assert status["output"]["status"] == "Approved", status
    filed = journey.library / "Documentation" / "warehouse" / "sales.products.docx"
    with zipfile.ZipFile(BytesIO(filed.read_bytes())) as docx:
        body = docx.read("word/document.xml").decode()
    assert "Looks right. Page two of my notes:" in body and "fine" in body
    stored = answer.json()["vote"]["comment"]
    assert "\f" not in stored and "\x07" not in stored and "\r" not in stored


def test_a_second_change_of_a_finished_document_is_its_next_revision(journey):
    message = journey.message("tier2-single-approver", physicalName="sales.products")
    doc = message["documentId"]
    send(journey, message)
    journey.vote(doc, DANA)
    first = journey.host.wait_for(doc)
    assert first["output"]["status"] == "Approved" and first["output"]["revision"] == 1
    index_before = index_entry(journey.db, "warehouse", "sales.products").current_version

    send(journey, {**message, "changeType": "Altered"})  # the same change, a new message
    assert journey.host.status(doc)["runtimeStatus"] == "Running"
    journey.vote(doc, DANA)  # the revision's own request, own link
    second = journey.host.wait_for(doc)

    assert second["output"]["status"] == "Approved", second
    assert second["output"]["revision"] == 2
    entry = index_entry(journey.db, "warehouse", "sales.products")
    assert index_before is not None
    assert entry.current_version == index_before + 1
    assert [(v.document_id, v.revision) for v in entry.versions][-2:] == [
        (doc, 1),
        (doc, 2),
    ]
    types = trail_types(journey, doc)
    assert types.count("submitted") == 2 and types.count("approved") == 2
    assert "failed" not in types
    view = journey.host.http("GET", f"/api/documents/{doc}").json()
    assert view["revision"] == 2 and view["status"] == "approved"
    assert [(r["revision"], r["status"]) for r in view["revisions"]] == [
        (1, "approved"),
        (2, "approved"),
    ]
    outcome_mails = [
        m
        for m in journey.mail_to(message["requestedBy"])
        if str(m["Subject"]).startswith("Approved") and doc in m.get_body(("plain",)).get_content()
    ]
    assert len(outcome_mails) == 2  # one per revision


def test_an_object_that_is_not_there_fails_cleanly_audited_and_told(journey):
    message = journey.message("tier2-single-approver", physicalName="sales.nothing_here")
    doc = journey.submit(message)
    status = journey.host.wait_for(doc)
    assert status["runtimeStatus"] == "Failed"
    assert "UnknownObject: physicalName 'sales.nothing_here'" in status["output"]
    view = journey.host.http("GET", f"/api/documents/{doc}").json()
    assert view["status"] == "failed"
    assert view["revisions"][0]["endedAt"] is not None
    assert trail_types(journey, doc)[-2:] == ["failed", "requester-notified"]
    told = [
        m
        for m in journey.mail_to(message["requestedBy"])
        if "sales.nothing_here" in str(m["Subject"])
    ]
    assert len(told) == 1 and str(told[0]["Subject"]).startswith("Failed")
    text = told[0].get_body(("plain",)).get_content()
    assert "sales.nothing_here" in text and "Traceback" not in text


def test_a_removed_library_version_number_is_never_filed_again(journey):
    name = "sales.products"
    before = (
        library_versions(journey, name)
        if (journey.library / ".versions" / "Documentation" / "warehouse" / f"{name}.docx").exists()
        else []
    )
    doc = journey.submit(journey.message("tier2-single-approver", physicalName=name))
    # The index step fails (its table is gone for a moment): filing is compensated.
    with journey.db.begin() as conn:
        conn.execute(sa.text("ALTER TABLE master_index RENAME TO master_index_away"))
    try:
        journey.vote(doc, DANA)
        journey.host.advance(seconds=600)
        failed = journey.host.wait_for(doc)
    finally:
        with journey.db.begin() as conn:
            conn.execute(sa.text("ALTER TABLE master_index_away RENAME TO master_index"))
    assert failed["runtimeStatus"] == "Failed"
    assert library_versions(journey, name) == before
    removed = failed["customStatus"]["compensation"]
    assert "unfile_from_library" in [r["activity"] for r in removed]

    again = journey.submit(journey.message("tier2-single-approver", physicalName=name))
    journey.vote(again, DANA)
    assert journey.host.wait_for(again)["output"]["status"] == "Approved"
    versions = library_versions(journey, name)
    current = index_entry(journey.db, "warehouse", name).current
    assert current is not None
    filed = current.entry["libraryVersion"]
    assert filed == versions[-1]
    assert int(float(filed)) == len(before) + 2  # the withdrawn number was skipped
