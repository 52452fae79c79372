"""Who is calling, as App Service authentication ("Easy Auth") tells the app.

Only meaningful with ``TRUST_EASY_AUTH=true``: App Service then authenticates the caller and
replaces any ``X-MS-CLIENT-PRINCIPAL*`` headers the client sent with its own. Without it
anybody can send those headers, so they are ignored and the signed link is the credential.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from services import InvalidInput, Principal
from services.json_input import parse_json

__all__ = ["OBJECT_ID_CLAIMS", "caller", "decode_principal", "principal_from_headers"]

PRINCIPAL_HEADER = "x-ms-client-principal"
ID_HEADER = "x-ms-client-principal-id"
NAME_HEADER = "x-ms-client-principal-name"
PRINCIPAL_FIELD = "X-MS-CLIENT-PRINCIPAL"
# Entra ID's object id claim, in the long form App Service reports and the short form.
OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
_NAME_CLAIMS = (
    "preferred_username",
    "email",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "name",
)


def decode_principal(encoded: str) -> dict[str, Any]:
    """The ``X-MS-CLIENT-PRINCIPAL`` header's JSON, or ``InvalidInput`` naming the header."""
    try:
        value = parse_json(
            base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True), PRINCIPAL_FIELD
        )
    except (binascii.Error, ValueError, InvalidInput):
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("claims", []), list):
        raise InvalidInput(
            PRINCIPAL_FIELD,
            'expected base64-encoded JSON with "claims", as App Service authentication sends it',
        )
    return value


def _claim(principal: Mapping[str, Any], types: tuple[str, ...]) -> str | None:
    claims = [c for c in principal.get("claims", []) if isinstance(c, Mapping)]
    for wanted in types:
        for claim in claims:
            if claim.get("typ") == wanted and isinstance(claim.get("val"), str) and claim["val"]:
                return str(claim["val"])
    return None


def principal_from_headers(headers: Mapping[str, str]) -> Principal:
    """The signed-in principal; ``Principal()`` (matches nobody) when no one is signed in."""
    lowered = {k.lower(): v for k, v in headers.items()}
    principal_id = lowered.get(ID_HEADER) or None
    name = lowered.get(NAME_HEADER) or None
    encoded = lowered.get(PRINCIPAL_HEADER)
    if encoded:
        decoded = decode_principal(encoded.strip())
        name_type = decoded.get("name_typ")
        principal_id = principal_id or _claim(decoded, OBJECT_ID_CLAIMS)
        name = name or _claim(
            decoded, ((name_type,) if isinstance(name_type, str) else ()) + _NAME_CLAIMS
        )
    return Principal(id=principal_id, name=name)


def caller(headers: Mapping[str, str], trust_easy_auth: bool) -> Principal | None:
    """The principal to check tokens against, or None: the signed link alone is the credential."""
    return principal_from_headers(headers) if trust_easy_auth else None
