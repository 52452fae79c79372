"""Easy Auth's ``X-MS-CLIENT-PRINCIPAL`` header, as App Service sends it, for tests."""

from __future__ import annotations

import base64
import json

__all__ = ["ROLE_TYPE", "principal"]

ROLE_TYPE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


def principal(*roles: str, role_typ: str = ROLE_TYPE, name: str = "ops@example.com") -> str:
    """The base64 JSON principal of ``name`` with ``roles`` (claims of type ``role_typ``)."""
    claims = [
        {"typ": "preferred_username", "val": name},
        *({"typ": role_typ, "val": r} for r in roles),
    ]
    return base64.b64encode(
        json.dumps({"auth_typ": "aad", "role_typ": role_typ, "claims": claims}).encode()
    ).decode()
