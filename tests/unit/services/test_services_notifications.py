"""The approval mails: a plain-text part and its HTML twin, every value escaped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.approval.notifications import outcome_message, request_message
from tests.support.approval_samples import approval_request, document_record

HOSTILE = "<img src=x onerror=alert(1)>\u0007\r\nBcc: x@evil.test"


def test_the_request_mail_names_the_requester_and_the_deadline_in_words() -> None:
    mail = request_message(
        approval_request(), document_record(), "https://approvals.example.test/", tier=2
    )
    assert mail.subject == "Approval requested: warehouse.sales.products (tier 2)"
    assert "rita.requester@example.com asks you to approve" in mail.text
    assert "Decide by Saturday 5 December 2026, 11:22 UTC." in mail.text
    assert "https://approvals.example.test/api/approvals/tok.en" in mail.text
    assert mail.html is not None
    assert ">Review and decide</a>" in mail.html  # a short button, the link behind it
    assert 'href="https://approvals.example.test/api/approvals/tok.en"' in mail.html
    assert "Saturday 5 December 2026, 11:22 UTC" in mail.html


@given(st.text(min_size=1, max_size=60) | st.just(HOSTILE))
def test_no_value_opens_a_tag_in_the_html_or_a_line_in_a_header(value: str) -> None:
    mail = request_message(
        approval_request(approver={"name": value, "email": "a@example.com"}),
        document_record(physical_name=value, requested_by=value),
        "http://h",
    )
    assert mail.html is not None
    assert "<img" not in mail.html and "<script" not in mail.html.lower()
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "\u0007" not in mail.text


def test_the_outcome_mail_links_the_filed_document_and_the_trail_on_the_app() -> None:
    approved = outcome_message(
        document_record(status="approved"),
        "Approved",
        "Approved and filed in the document library.",
        "rita.requester@example.com",
        "https://app.example.test",
        3,
    )
    doc = "2a9c3f0e-5b1d-4c7e-9a21-000000000012"
    assert f"https://app.example.test/api/documents/{doc}/file?revision=3" in approved.text
    assert f"https://app.example.test/api/dashboard/documents/{doc}" in approved.text
    assert "file://" not in approved.text
    assert approved.html is not None and "Open the filed document</a>" in approved.html

    rejected = outcome_message(
        document_record(status="rejected"),
        "Rejected",
        "wrong owner",
        "rita.requester@example.com",
        "https://app.example.test",
        3,
    )
    assert "/file" not in rejected.text  # nothing was filed
    assert f"/api/dashboard/documents/{doc}" in rejected.text
