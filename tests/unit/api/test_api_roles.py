"""App roles behind Easy Auth: readers read, operators write, nobody else passes."""

from __future__ import annotations

import pytest

from api.roles import OPERATOR, READER, principal_roles, require_role
from management.errors import InvalidInput, RoleRequired, Unauthorized
from tests.support.principals import principal


@pytest.fixture
def easy_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_EASY_AUTH", "true")


@pytest.mark.usefixtures("easy_auth")
def test_readers_read_operators_do_both_others_are_refused() -> None:
    reader = {"X-MS-CLIENT-PRINCIPAL": principal(READER)}
    operator = {"x-ms-client-principal": principal(OPERATOR, role_typ="roles")}
    require_role(reader, "read")
    require_role(operator, "read")
    require_role(operator, "write")
    with pytest.raises(RoleRequired):
        require_role(reader, "write")
    with pytest.raises(RoleRequired):
        require_role({"X-MS-CLIENT-PRINCIPAL": principal("Something.Else")}, "read")
    with pytest.raises(Unauthorized):
        require_role({}, "read")
    with pytest.raises(InvalidInput):
        require_role({"X-MS-CLIENT-PRINCIPAL": "not base64 json"}, "read")


def test_without_easy_auth_the_headers_are_not_trusted_and_routes_are_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUST_EASY_AUTH", "false")
    require_role({}, "write")
    require_role({"X-MS-CLIENT-PRINCIPAL": principal()}, "write")


def test_role_claims_are_read_from_the_principal_role_type_and_roles() -> None:
    assert principal_roles(principal(READER, OPERATOR)) == {READER, OPERATOR}
    assert principal_roles(principal(READER, role_typ="roles")) == {READER}
