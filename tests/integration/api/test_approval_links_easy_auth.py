"""Approval links behind App Service authentication (TRUST_EASY_AUTH=true): the signed-in
principal, as the X-MS-CLIENT-PRINCIPAL* headers name it, must be the token's approver."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from api_support import ApiApp, easy_auth_principal, header, running_app


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiApp]:
    with running_app(tmp_path_factory.mktemp("api_app_easy_auth"), trust_easy_auth=True) as running:
        yield running


def test_the_approver_signed_in_decides_200(trusted: ApiApp) -> None:
    document_id, tokens = trusted.case()

    answer = trusted.decide(
        tokens["DBA"], headers={"X-MS-CLIENT-PRINCIPAL": easy_auth_principal("dev.dba@example.com")}
    )

    assert answer.status == 200, answer.text
    assert trusted.received(document_id) == [answer.json()["vote"]]


def test_the_principal_name_header_alone_identifies_the_approver(trusted: ApiApp) -> None:
    _, tokens = trusted.case()

    answer = trusted.decide(
        tokens["Data Steward"], headers={"X-MS-CLIENT-PRINCIPAL-NAME": "Dana.Steward@example.com"}
    )

    assert answer.status == 200, answer.text


def test_another_signed_in_person_is_403_and_nothing_is_recorded(trusted: ApiApp) -> None:
    document_id, tokens = trusted.case()
    mallory = {
        "X-MS-CLIENT-PRINCIPAL": easy_auth_principal("mallory@example.com"),
        "X-MS-CLIENT-PRINCIPAL-NAME": "mallory@example.com",
        "X-MS-CLIENT-PRINCIPAL-ID": "00000000-0000-0000-0000-00000000beef",
    }

    answer = trusted.decide(tokens["DBA"], headers=mallory)
    page = trusted.host.http("GET", f"/api/approvals/{tokens['DBA']}", headers=mallory)

    assert answer.status == 403, answer.text
    assert answer.json()["type"] == "urn:problem:Forbidden"
    assert "mallory@example.com" in answer.json()["detail"]
    # Whose link it is stays unsaid, in the problem and on the page.
    assert "dev.dba" not in answer.text and "dev.dba" not in page.text
    assert page.status == 403
    assert header(page, "Content-Type").startswith("text/html")
    assert trusted.votes(document_id) == []
    assert trusted.received(document_id) == []


def test_nobody_signed_in_is_403(trusted: ApiApp) -> None:
    document_id, tokens = trusted.case()

    answer = trusted.decide(tokens["DBA"])

    assert answer.status == 403, answer.text
    assert trusted.votes(document_id) == []


def test_another_approvers_link_is_403_even_for_an_approver(trusted: ApiApp) -> None:
    document_id, tokens = trusted.case()

    answer = trusted.decide(
        tokens["DBA"],
        headers={"X-MS-CLIENT-PRINCIPAL": easy_auth_principal("dana.steward@example.com")},
    )

    assert answer.status == 403, answer.text
    assert trusted.votes(document_id) == []


def test_a_malformed_principal_header_is_400_naming_it(trusted: ApiApp) -> None:
    _, tokens = trusted.case()

    answer = trusted.decide(tokens["DBA"], headers={"X-MS-CLIENT-PRINCIPAL": "%%%not base64"})

    assert answer.status == 400, answer.text
    assert answer.json()["field"] == "X-MS-CLIENT-PRINCIPAL"


def test_a_principal_header_of_hostile_json_is_400_not_500(trusted: ApiApp) -> None:
    _, tokens = trusted.case()
    # Deep enough to break json.loads, small enough for a header (8 KB is the usual cap).
    for payload in (
        b"[" * 2_000 + b"]" * 2_000,
        b'{"claims": [], "x": "\\ud800"}',
        b'{"claims": [{"typ": "name", "val": "\\udfff"}]}',
    ):
        header_value = base64.b64encode(payload).decode()
        answer = trusted.decide(tokens["DBA"], headers={"X-MS-CLIENT-PRINCIPAL": header_value})
        assert answer.status == 400, answer.text
        assert answer.json()["field"] == "X-MS-CLIENT-PRINCIPAL"
