"""App Service authentication headers into a Principal (only when TRUST_EASY_AUTH is on)."""

from __future__ import annotations

import base64
import json

import pytest

from api.identity import caller, principal_from_headers
from services import InvalidInput, Principal


def encoded(principal: object) -> str:
    return base64.b64encode(json.dumps(principal).encode()).decode()


AAD = {
    "auth_typ": "aad",
    "name_typ": "preferred_username",
    "claims": [
        {"typ": "preferred_username", "val": "dev.dba@example.com"},
        {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "1111-oid"},
        {"typ": "name", "val": "Dev Dba"},
    ],
}


def test_the_principal_header_gives_object_id_and_the_name_claim() -> None:
    assert principal_from_headers({"X-MS-CLIENT-PRINCIPAL": encoded(AAD)}) == Principal(
        id="1111-oid", name="dev.dba@example.com"
    )


def test_the_id_and_name_headers_win_over_the_claims() -> None:
    headers = {
        "x-ms-client-principal": encoded(AAD),
        "X-MS-CLIENT-PRINCIPAL-ID": "2222",
        "X-MS-CLIENT-PRINCIPAL-NAME": "other@example.com",
    }
    assert principal_from_headers(headers) == Principal(id="2222", name="other@example.com")


def test_unpadded_base64_is_accepted() -> None:
    assert (
        principal_from_headers({"X-MS-CLIENT-PRINCIPAL": encoded(AAD).rstrip("=")}).id == "1111-oid"
    )


def test_no_headers_is_nobody() -> None:
    assert principal_from_headers({}) == Principal()


@pytest.mark.parametrize(
    "value",
    ["%%%", encoded([1, 2]), encoded({"claims": "x"}), base64.b64encode(b"not json").decode()],
)
def test_a_malformed_principal_header_names_it(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        principal_from_headers({"X-MS-CLIENT-PRINCIPAL": value})
    assert caught.value.field == "X-MS-CLIENT-PRINCIPAL"


def test_without_trust_the_headers_are_ignored_entirely() -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": "%%% would be rejected if read"}
    assert caller(headers, trust_easy_auth=False) is None
    assert caller({"X-MS-CLIENT-PRINCIPAL-NAME": "a@b.c"}, trust_easy_auth=True) == Principal(
        name="a@b.c"
    )
