"""The acceptance journeys of document approval, on devhost with the virtual clock."""

from __future__ import annotations

import sqlalchemy as sa

from services import audit_trail, index_entry

DANA, DEV = "dana.steward@example.com", "dev.dba@example.com"
CASEY, ERIN = "casey.compliance@example.com", "erin.escalation@example.com"
RITA = "rita.requester@example.com"


def test_tier2_table_full_chain(journey):
    msg = journey.message("tier2-table")
    doc = journey.submit(msg)
    status = journey.host.status(doc)
    assert status["customStatus"]["state"] == "AwaitVote"
    assert len(journey.mail_to(DANA)) == 1 and len(journey.mail_to(DEV)) == 1
    assert {r["role"] for r in journey.requests(doc)} == {"Data Steward", "DBA"}
    before = (journey.audit_types(doc), journey.host.http("GET", f"/api/documents/{doc}").json())
    page = journey.host.http("GET", journey.link(doc, DANA))  # what a mail scanner does
    assert page.status == 200 and "sales.orders" in page.text
    journey.host.wait_idle()
    after = (journey.audit_types(doc), journey.host.http("GET", f"/api/documents/{doc}").json())
    assert after == before  # the page changed nothing
    assert journey.decide(doc, DANA).status == 200
    assert journey.host.status(doc)["runtimeStatus"] == "Running"  # one role still open
    assert journey.decide(doc, DEV).status == 200
    out = journey.host.wait_for(doc)["output"]
    assert out["status"] == "Approved" and out["tier"] == 2
    assert {a["email"] for a in out["approvedBy"]} == {DANA, DEV}
    filed = journey.library / "Documentation" / "warehouse" / "sales.orders.docx"
    assert filed.is_file()
    entry = index_entry(journey.db, "warehouse", "sales.orders")
    assert entry.current is not None
    assert entry.current.document_id == doc
    trail = audit_trail(journey.db, doc)
    assert trail.verification.ok is True
    types = [e.type for e in trail.events]
    assert types == [
        "submitted",
        "drafted",
        "assessed",
        "notified",
        "voted",
        "voted",
        "finalized",
        "filed",
        "indexed",
        "approved",
        "requester-notified",
    ]


def test_tier3_personal_data_one_rejection_ends_rejected(journey):
    msg = journey.message("tier3-personal")
    before = (
        journey.db.connect().execute(sa.text("SELECT COUNT(*) FROM master_index_versions")).scalar()
    )
    doc = journey.submit(msg)
    roles = {r["role"] for r in journey.requests(doc)}
    assert "Compliance" in roles
    assert journey.decide(doc, CASEY, "reject", "unmasked e-mail addresses").status == 200
    out = journey.host.wait_for(doc)["output"]
    assert out["status"] == "Rejected"
    assert out["rejectedBy"]["email"] == CASEY
    assert not list(journey.library.rglob(f"{msg['physicalName']}.docx"))
    after = (
        journey.db.connect().execute(sa.text("SELECT COUNT(*) FROM master_index_versions")).scalar()
    )
    assert after == before
    types = journey.audit_types(doc)
    assert "draft-removed" in types and types[-2:] == ["rejected", "requester-notified"]
    told = journey.mail_to(RITA)
    assert any(
        "Rejected" in str(m["Subject"]) and msg["physicalName"] in str(m["Subject"]) for m in told
    )


def test_deadline_escalates_and_an_escalation_contact_decides(journey):
    doc = journey.submit(journey.message("tier2-table"))
    journey.host.advance(duration="PT48H")
    assert journey.mail_to(ERIN), "escalation contact was not mailed"
    assert journey.host.status(doc)["runtimeStatus"] == "Running"
    assert "escalated" in journey.audit_types(doc)
    assert journey.decide(doc, ERIN).status == 200
    out = journey.host.wait_for(doc)["output"]
    assert out["status"] == "Approved"
    assert out["approvedBy"][0]["email"] == ERIN


def test_second_deadline_ends_timed_out(journey):
    msg = journey.message("tier2-table")
    doc = journey.submit(msg)
    journey.host.advance(duration="PT48H")
    assert journey.host.status(doc)["runtimeStatus"] == "Running"
    journey.host.advance(duration="PT24H")
    out = journey.host.wait_for(doc)["output"]
    assert out["status"] == "TimedOut"
    types = journey.audit_types(doc)
    assert types[-4:] == ["deadline-passed", "draft-removed", "timed-out", "requester-notified"]
    assert any("Timed out" in str(m["Subject"]) for m in journey.mail_to(RITA))
    late = journey.host.http("POST", journey.link(doc, ERIN), json={"decision": "approve"})
    assert late.status == 410


def test_auto_approval_mails_no_approver_and_audits_the_score(journey):
    msg = journey.message("tier1-auto")
    before = len(list(journey.outbox.glob("*.eml")))
    doc = journey.submit(msg)
    out = journey.host.wait_for(doc)["output"]
    assert out["status"] == "Approved" and out["route"] == "auto" and out["tier"] == 1
    assert journey.requests(doc) == []
    mailed = list(journey.outbox.glob("*.eml"))
    assert len(mailed) == before + 1  # only the requester's "approved" notice
    trail = audit_trail(journey.db, doc)
    auto = next(e for e in trail.events if e.type == "auto-approved")
    assert auto.data["qualityScore"] >= 0.95


def test_failure_while_filing_compensates_newest_first(journey):
    msg = journey.message("tier2-single-approver")
    doc = journey.submit(msg)
    library = journey.library
    moved = library.with_name("library-away")
    library.mkdir(exist_ok=True)
    library.rename(moved)
    library.write_text("not a folder: the library is unavailable")
    try:
        journey.vote(doc, DANA)
        journey.host.advance(seconds=60)
        status = journey.host.wait_for(doc)
    finally:
        library.unlink()
        moved.rename(library)
    assert status["runtimeStatus"] == "Failed"
    assert "NotADirectoryError" in status["output"] or "FileExistsError" in status["output"]
    types = journey.audit_types(doc)
    assert types[-4:] == ["final-removed", "draft-removed", "failed", "requester-notified"]
    report = status["customStatus"]["compensation"]
    assert [r["activity"] for r in report] == ["remove_final", "remove_draft"]


def test_second_change_makes_version_two_and_a_failed_notice_keeps_the_document(journey):
    first = journey.message("tier2-single-approver")  # sales.products, one approver
    doc1 = journey.submit(first)
    journey.vote(doc1, DANA)
    assert journey.host.wait_for(doc1)["output"]["status"] == "Approved"
    v1 = index_entry(journey.db, "warehouse", "sales.products").current_version

    second = journey.message("tier2-single-approver")
    doc2 = journey.submit(second)
    journey.vote(doc2, DANA)
    out = journey.host.wait_for(doc2)["output"]
    entry = index_entry(journey.db, "warehouse", "sales.products")
    assert v1 is not None
    assert out["indexVersion"] == v1 + 1 == entry.current_version
    assert [v.version for v in entry.versions][-2:] == [v1, v1 + 1]

    third = journey.message("tier2-single-approver")
    doc3 = journey.submit(third)
    outbox = journey.outbox
    moved = outbox.with_name("outbox-away")
    outbox.rename(moved)
    outbox.write_text("mail is down")  # the step after indexing mails the requester
    try:
        journey.vote(doc3, DANA)
        journey.host.advance(seconds=600)  # the notice's retries
        status = journey.host.wait_for(doc3)
    finally:
        outbox.unlink()
        moved.rename(outbox)
    # Telling the requester failed; the approved, filed and indexed document stands.
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["status"] == "Approved"
    assert status["output"]["requesterMailed"] is None
    entry = index_entry(journey.db, "warehouse", "sales.products")
    assert entry.current_version == v1 + 2
    types = journey.audit_types(doc3)
    assert types[-2:] == ["approved", "requester-not-notified"]
    assert "index-restored" not in types and "unfiled" not in types


def test_fifty_documents_in_flight_all_end_correctly(journey):
    docs = []
    for i in range(50):
        msg = journey.message("tier2-single-approver")
        docs.append((msg["documentId"], "reject" if i % 5 == 0 else "approve"))
        journey.host.start_orchestration(
            "workflow",
            {"workflow": "document-approval", "input": msg},
            instance_id=msg["documentId"],
        )
    journey.host.wait_idle(timeout=300)
    for doc, decision in docs:
        request = journey.requests(doc)[0]
        journey.host.raise_event(
            doc, "approval", {"requestId": request["request_id"], "decision": decision}
        )
    journey.host.wait_idle(timeout=300)
    for doc, decision in docs:
        status = journey.host.status(doc)
        assert status["runtimeStatus"] == "Completed", (status["output"], status["customStatus"])
        assert status["output"]["status"] == ("Rejected" if decision == "reject" else "Approved")
