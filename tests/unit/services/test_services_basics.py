"""The small pieces every service leans on: errors for HTTP, derived ids, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services import iso, parse_timestamp
from services.errors import (
    ConcurrencyConflict,
    Conflict,
    DecisionConflict,
    Forbidden,
    Gone,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    PolicyInvalid,
    ServiceError,
    TokenInvalid,
)
from services.ids import derive_id


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("vote.decision", "expected approve"), 400),
        (TokenInvalid("bad"), 400),
        (Forbidden("not you"), 403),
        (NotFound("none"), 404),
        (DecisionConflict("other"), 409),
        (ConcurrencyConflict("stale", expected=1, actual=2), 409),
        (IdempotencyMismatch("differs"), 409),
        (Gone("late"), 410),
        (PolicyInvalid("broken"), 500),
    ],
)
def test_every_error_maps_to_a_status_and_a_problem(error: ServiceError, status: int) -> None:
    assert isinstance(error, ServiceError)
    assert error.status == status
    problem = error.to_problem(instance="/api/approvals/x")
    assert problem["status"] == status
    assert problem["type"] == f"urn:problem:{type(error).__name__}"
    assert problem["detail"] == error.detail
    assert problem["instance"] == "/api/approvals/x"
    assert problem["title"]
    assert error.code == type(error).__name__


def test_conflicts_share_a_base() -> None:
    for error in (
        DecisionConflict("x"),
        ConcurrencyConflict("x", expected=0, actual=1),
        IdempotencyMismatch("x"),
    ):
        assert isinstance(error, Conflict)


def test_invalid_input_names_the_field() -> None:
    error = InvalidInput("summary.qualityScore", "expected a number from 0 to 1")
    assert error.field == "summary.qualityScore"
    assert str(error) == "summary.qualityScore: expected a number from 0 to 1"


def test_derived_ids_are_stable_and_distinct() -> None:
    assert derive_id("instance-1", "drafted") == derive_id("instance-1", "drafted")
    assert derive_id("instance-1", "drafted") != derive_id("instance-1", "assessed")
    assert derive_id("a|b") != derive_id("a", "b")
    assert derive_id("a", 1) == derive_id("a", "1")
    assert len(derive_id("x")) == 36
    with pytest.raises(ValueError, match="at least one part"):
        derive_id()


def test_timestamps() -> None:
    moment = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
    assert iso(moment) == "2026-03-02T09:00:00Z"
    assert iso(moment + timedelta(microseconds=5)) == "2026-03-02T09:00:00.000005Z"
    assert iso(moment.astimezone(timezone(timedelta(hours=2)))) == "2026-03-02T09:00:00Z"
    assert parse_timestamp("2026-03-02T09:00:00Z", "now") == moment
    assert parse_timestamp("2026-03-02T11:00:00+02:00", "now") == moment
    for bad in ("2026-03-02T09:00:00", "yesterday", 5):
        with pytest.raises(InvalidInput) as info:
            parse_timestamp(bad, "deadline")
        assert info.value.field == "deadline"
