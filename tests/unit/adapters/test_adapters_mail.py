"""Mail adapters: the .eml outbox on a temporary folder, SendGrid against a recording server."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.parser import BytesParser
from pathlib import Path

import pytest

from adapters import (
    AdapterConfigurationError,
    MailMessage,
    OutboxMailSender,
    RemoteServiceError,
    SendGridMailSender,
    message_id_for,
    read_outbox,
)
from tests.support.recording_server import RecordingServer, Reply

MESSAGE = MailMessage(
    to=("dana.steward@example.com", "dev.dba@example.com"),
    subject="Approval needed: sales.orders",
    text="Please review: http://127.0.0.1:7071/api/approvals/abc",
    html="<p>Please <a href='http://127.0.0.1:7071/api/approvals/abc'>review</a></p>",
)


def test_outbox_writes_one_rfc5322_file_per_message(tmp_path: Path) -> None:
    sender = OutboxMailSender(tmp_path / "outbox", "workflows@example.com")
    sent = sender.send(MESSAGE, idempotency_key="doc-1/notify/dana")

    files = list((tmp_path / "outbox").glob("*.eml"))
    assert [str(f) for f in files] == [sent.location]
    parsed = BytesParser(policy=email.policy.default).parse(files[0].open("rb"))
    assert parsed["From"] == "workflows@example.com"
    assert parsed["To"] == "dana.steward@example.com, dev.dba@example.com"
    assert parsed["Subject"] == "Approval needed: sales.orders"
    assert (
        parsed["Message-ID"]
        == sent.message_id
        == message_id_for("doc-1/notify/dana", "workflows@example.com")
    )
    assert parsed["X-Idempotency-Key"] == "doc-1/notify/dana"
    assert parsed["Date"]
    assert "api/approvals/abc" in parsed.get_body(("plain",)).get_content()
    assert "<a href=" in parsed.get_body(("html",)).get_content()
    assert sent.duplicate is False


def test_outbox_send_with_the_same_key_is_a_duplicate_and_writes_nothing(tmp_path: Path) -> None:
    sender = OutboxMailSender(tmp_path, "workflows@example.com")
    first = sender.send(MESSAGE, idempotency_key="k1")
    before = Path(first.location).read_bytes()
    again = sender.send(MailMessage(("x@example.com",), "changed", "changed"), idempotency_key="k1")
    other = sender.send(MESSAGE, idempotency_key="k2")

    assert again.duplicate is True
    assert again.message_id == first.message_id
    assert Path(first.location).read_bytes() == before
    assert other.message_id != first.message_id
    assert [m["X-Idempotency-Key"] for m in sender.messages()] == ["k1", "k2"]
    assert not list(tmp_path.glob("*.tmp"))


def test_read_outbox_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "never-created") == []


@pytest.mark.parametrize(
    ("to", "subject", "field"),
    [
        (("not-an-address",), "s", "'to'"),
        ((), "s", "'to'"),
        ("a@example.com", "s", "'to'"),
        (("a@example.com",), "two\nlines", "'subject'"),
    ],
)
def test_bad_messages_are_refused_naming_the_field(
    to: tuple[str, ...], subject: str, field: str
) -> None:
    with pytest.raises(AdapterConfigurationError, match=field):
        MailMessage(to=to, subject=subject, text="body")


def test_sender_address_and_key_are_checked(tmp_path: Path) -> None:
    with pytest.raises(AdapterConfigurationError, match="MAIL_FROM"):
        OutboxMailSender(tmp_path, "workflows")
    with pytest.raises(AdapterConfigurationError, match="idempotency_key"):
        OutboxMailSender(tmp_path, "w@example.com").send(MESSAGE, idempotency_key="")


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


def test_sendgrid_posts_the_v3_mail_send_request(server: RecordingServer) -> None:
    server.reply("POST", "/v3/mail/send", Reply(202, headers={"X-Message-Id": "sg-123"}))
    sender = SendGridMailSender("SG.test-key", "workflows@example.com", base_url=server.url)

    sent = sender.send(MESSAGE, idempotency_key="doc-1/notify/dana")

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.header("Authorization") == "Bearer SG.test-key"
    assert request.header("Content-Type") == "application/json"
    body = request.json()
    assert body["from"] == {"email": "workflows@example.com"}
    assert body["subject"] == "Approval needed: sales.orders"
    assert body["personalizations"][0]["to"] == [
        {"email": "dana.steward@example.com"},
        {"email": "dev.dba@example.com"},
    ]
    assert body["content"] == [
        {"type": "text/plain", "value": MESSAGE.text},
        {"type": "text/html", "value": MESSAGE.html},
    ]
    expected_id = message_id_for("doc-1/notify/dana", "workflows@example.com")
    assert body["headers"] == {"Message-ID": expected_id}
    assert body["custom_args"] == {"idempotency_key": "doc-1/notify/dana"}
    assert sent.message_id == expected_id
    assert sent.location == "sendgrid:sg-123"


def test_sendgrid_refusal_becomes_a_remote_service_error(server: RecordingServer) -> None:
    server.reply("POST", "/v3/mail/send", Reply.json({"errors": [{"message": "bad key"}]}, 401))
    sender = SendGridMailSender("SG.wrong", "workflows@example.com", base_url=server.url)
    with pytest.raises(RemoteServiceError, match="401") as caught:
        sender.send(MESSAGE, idempotency_key="k")
    assert caught.value.status == 401
    assert "bad key" in caught.value.body


def test_sendgrid_needs_a_key() -> None:
    with pytest.raises(AdapterConfigurationError, match="SENDGRID_API_KEY"):
        SendGridMailSender("", "workflows@example.com")
