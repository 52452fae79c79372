"""App roles of the management API behind App Service authentication ("Easy Auth").

With ``TRUST_EASY_AUTH=true`` App Service signs the caller in and sends the principal in
``X-MS-CLIENT-PRINCIPAL`` (base64 JSON with ``claims``; client-sent copies are replaced), whose
role claims carry the app roles granted in Entra ID. Reads need ``Workflows.Reader`` or
``Workflows.Operator``; writes need ``Workflows.Operator``. Without it (locally, and in Azure
until Easy Auth is on) the function key is the only gate, as with ``func start``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.identity import decode_principal
from management.errors import RoleRequired, Unauthorized

__all__ = ["OPERATOR", "READER", "principal_roles", "require_role"]

READER = "Workflows.Reader"
OPERATOR = "Workflows.Operator"
_ROLE_CLAIMS = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
_ALLOWED = {"read": {READER, OPERATOR}, "write": {OPERATOR}}


def principal_roles(encoded: str) -> set[str]:
    """The app roles in an ``X-MS-CLIENT-PRINCIPAL`` value."""
    principal = decode_principal(encoded.strip())
    role_types = {*_ROLE_CLAIMS, principal.get("role_typ")}
    claims: list[Any] = principal.get("claims", [])
    return {
        str(c["val"])
        for c in claims
        if isinstance(c, dict) and c.get("typ") in role_types and isinstance(c.get("val"), str)
    }


def require_role(headers: Mapping[str, str], access: str) -> None:
    """Refuse (401/403) a caller without the role ``access`` needs, when Easy Auth is trusted."""
    import settings

    if not settings.load().flag("TRUST_EASY_AUTH"):
        return
    lowered = {k.lower(): v for k, v in headers.items()}
    encoded = lowered.get("x-ms-client-principal")
    if not encoded:
        raise Unauthorized(
            "sign in: this route needs the app role " + " or ".join(sorted(_ALLOWED[access]))
        )
    if not principal_roles(encoded) & _ALLOWED[access]:
        raise RoleRequired(f"this route needs the app role {' or '.join(sorted(_ALLOWED[access]))}")
