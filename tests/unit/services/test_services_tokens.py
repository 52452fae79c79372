"""Signed approval tokens: round trip, tamper evidence, key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.approval.tokens import SigningKeys, TokenClaims, sign_token, verify_token
from services.errors import InvalidInput, TokenInvalid

DEADLINE = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEYS = SigningKeys.parse("current")
CLAIMS = TokenClaims("req-1", "dana.steward@example.com", "Data Steward", "doc-1", DEADLINE)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_and_determinism() -> None:
    keys = SigningKeys.parse("current")
    token = sign_token(keys, CLAIMS)
    assert verify_token(keys, token) == CLAIMS
    assert sign_token(keys, CLAIMS) == token  # a retried notification mails the same link
    assert all(c.isalnum() or c in "-_." for c in token)  # safe in a URL path


def test_expiry_is_signed_in_whole_seconds() -> None:
    claims = TokenClaims("r", "a@example.com", "DBA", "d", DEADLINE + timedelta(microseconds=9))
    assert (
        verify_token(SigningKeys.parse("k"), sign_token(SigningKeys.parse("k"), claims)).expires_at
        == DEADLINE
    )


def test_rotation_signs_with_the_newest_and_accepts_any() -> None:
    old_token = sign_token(SigningKeys.parse("old"), CLAIMS)
    rotated = SigningKeys.parse("new, old")
    assert verify_token(rotated, old_token) == CLAIMS
    new_token = sign_token(rotated, CLAIMS)
    assert new_token != old_token
    assert verify_token(SigningKeys.parse("new"), new_token) == CLAIMS
    with pytest.raises(TokenInvalid):
        verify_token(SigningKeys.parse("old"), new_token)
    with pytest.raises(TokenInvalid, match="unknown key"):
        verify_token(SigningKeys.parse("new"), old_token)  # the old key was rotated out


def test_any_changed_character_is_detected() -> None:
    keys = SigningKeys.parse("k")
    token = sign_token(keys, CLAIMS)
    for i, char in enumerate(token):
        if char == ".":
            continue
        swapped = "A" if char != "A" else "B"
        tampered = token[:i] + swapped + token[i + 1 :]
        with pytest.raises(TokenInvalid):
            verify_token(keys, tampered)


def test_a_forged_payload_with_the_old_signature_is_refused() -> None:
    keys = SigningKeys.parse("k")
    payload, signature = sign_token(keys, CLAIMS).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["e"] += 86400  # extend my own deadline
    with pytest.raises(TokenInvalid, match="altered"):
        verify_token(keys, f"{_b64(json.dumps(claims).encode())}.{signature}")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "!!!.???",
        "x" * 5000,
        "eyJ9.",
        "%%.%%",
    ],
)
def test_garbage_is_invalid(garbage: str) -> None:
    with pytest.raises(TokenInvalid):
        verify_token(SigningKeys.parse("k"), garbage)


def test_a_signed_but_malformed_payload_is_invalid() -> None:
    for payload in (
        b"[]",
        b'{"v":1}',
        b"not json",
        b'{"v":2,"r":"x","a":"a","o":"o","d":"d","e":1}',
        b'{"v":1,"r":"","a":"a","o":"o","d":"d","e":1}',
    ):
        mac = hmac.new(b"k", payload, hashlib.sha256).digest()
        with pytest.raises(TokenInvalid):
            verify_token(SigningKeys.parse("k"), f"{_b64(payload)}.{_b64(mac)}")


@pytest.mark.parametrize("setting", [None, "", " , ,"])
def test_keys_are_required(setting: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        SigningKeys.parse(setting)
    assert info.value.field == "APPROVAL_SIGNING_KEYS"


def _variants(token: str) -> list[str]:
    """Strings a lenient base64 decoder reads as the same bytes as ``token``'s parts."""
    payload, mac = token.split(".")
    out = []
    for part, rebuild in ((payload, lambda p: f"{p}.{mac}"), (mac, lambda m: f"{payload}.{m}")):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(part[-1])
        unused_bits = {2: 4, 3: 2}.get(len(part) % 4, 0)
        for flip in range(1, 2**unused_bits):  # the last character's unused low bits
            out.append(rebuild(part[:-1] + alphabet[last ^ flip]))
        out.append(rebuild(part + "=" * (-len(part) % 4 or 4)))  # padding added
        out.append(rebuild(part[:3] + "!" + part[3:]))  # a character the decoder skips
        out.append(rebuild(part[:5] + "\n" + part[5:]))
    return out


def test_only_the_canonical_encoding_verifies() -> None:
    token = sign_token(KEYS, CLAIMS)
    variants = _variants(token)
    assert len(variants) >= 6
    for variant in variants:
        assert variant != token
        with pytest.raises(TokenInvalid):
            verify_token(KEYS, variant)
    assert verify_token(KEYS, token) == CLAIMS
