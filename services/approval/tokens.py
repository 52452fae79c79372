"""Signed approval tokens: the personal link in each approver's mail.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))`` where the payload is
compact canonical JSON naming the request, approver, role, document and expiry (the deadline).
Keys come from ``APPROVAL_SIGNING_KEYS``, newest first: we sign with the newest and accept any,
so a key can be rotated in without breaking links already mailed, and rotated out later.
Verification here is only about integrity; whether the request is still open is ``approvals``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from services._canonical import canonical_json
from services._time import utc
from services.errors import InvalidInput, TokenInvalid

__all__ = ["SigningKeys", "TokenClaims", "sign_token", "verify_token"]

_VERSION = 1
_MAX_TOKEN_LENGTH = 2048  # far above a real token; refuses garbage before decoding it


@dataclass(frozen=True)
class SigningKeys:
    """HMAC keys, newest first."""

    keys: tuple[bytes, ...]

    @classmethod
    def parse(cls, text: str | None) -> SigningKeys:
        """Parse the setting's comma-separated list (blank entries ignored)."""
        keys = tuple(k.strip().encode("utf-8") for k in (text or "").split(",") if k.strip())
        if not keys:
            raise InvalidInput(
                "APPROVAL_SIGNING_KEYS", "expected at least one key (comma-separated, newest first)"
            )
        return cls(keys)

    @property
    def newest(self) -> bytes:
        return self.keys[0]


@dataclass(frozen=True)
class TokenClaims:
    request_id: str
    approver: str  # the approver's e-mail address
    role: str  # "*" for an escalation contact: every role still open
    document_id: str
    expires_at: datetime  # whole seconds, UTC


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()


def sign_token(keys: SigningKeys, claims: TokenClaims) -> str:
    """The token for ``claims``, signed with the newest key. Deterministic for equal claims."""
    payload = canonical_json(
        {
            "v": _VERSION,
            "r": claims.request_id,
            "a": claims.approver,
            "o": claims.role,
            "d": claims.document_id,
            "e": int(utc(claims.expires_at).timestamp()),
        }
    ).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(keys.newest, payload))}"


def verify_token(keys: SigningKeys, token: str) -> TokenClaims:
    """The claims of a token signed with any of ``keys``; ``TokenInvalid`` if it is not one."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenInvalid("the approval link is not a valid token")
    encoded_payload, encoded_mac = token.split(".")
    try:
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (binascii.Error, ValueError):
        raise TokenInvalid("the approval link is not a valid token") from None
    # The decoder forgives padding, skipped characters and the unused low bits of the last
    # character, so many strings decode to one token. Only the one we issued verifies.
    if _b64(payload) != encoded_payload or _b64(mac) != encoded_mac:
        raise TokenInvalid("the approval link is not a valid token")
    # Compare against every key even after a match, so timing says nothing about which key.
    if not any([hmac.compare_digest(_mac(key, payload), mac) for key in keys.keys]):  # noqa: C419
        raise TokenInvalid("the approval link was altered or signed with an unknown key")
    try:
        data = json.loads(payload)
        if data["v"] != _VERSION:
            raise TokenInvalid(f"token version {data['v']!r} is not supported")
        claims = TokenClaims(
            request_id=_field(data, "r"),
            approver=_field(data, "a"),
            role=_field(data, "o"),
            document_id=_field(data, "d"),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError, OverflowError):
        raise TokenInvalid("the approval token's payload is malformed") from None
    return claims


def _field(data: dict[str, object], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value:
        raise ValueError(name)
    return value
