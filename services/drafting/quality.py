"""How completely an object is documented, as a score in [0, 1] with its breakdown.

A quarter of the score is the object's own description, three quarters the share of columns
that are described (an object without columns counts its description alone). A description
counts when it says something: at least two words, not the identifier restated, not a
placeholder such as "TODO" or "n/a". The approval route compares the score with thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.drafting.classification import words
from services.drafting.model import ObjectDescription

__all__ = ["OBJECT_WEIGHT", "QualityScore", "is_meaningful", "score_documentation"]

OBJECT_WEIGHT = 0.25
_PLACEHOLDERS = frozenset(
    {
        "todo",
        "tbd",
        "tba",
        "n/a",
        "na",
        "none",
        "null",
        "-",
        "?",
        "description",
        "no description",
        "fixme",
        "xxx",
    }
)


@dataclass(frozen=True)
class QualityScore:
    score: float
    object_described: bool
    columns_described: int
    columns: int
    undescribed_columns: tuple[str, ...]


def is_meaningful(description: str | None, identifier: str) -> bool:
    """True when ``description`` documents something beyond the identifier's own name."""
    if not description:
        return False
    cleaned = description.strip().lower().rstrip(".")
    if cleaned in _PLACEHOLDERS or len(cleaned.split()) < 2:
        return False
    return words(cleaned) != words(identifier)


def score_documentation(description: ObjectDescription) -> QualityScore:
    object_described = is_meaningful(description.description, description.physical_name)
    undescribed = tuple(
        c.name for c in description.columns if not is_meaningful(c.description, c.name)
    )
    total = len(description.columns)
    described = total - len(undescribed)
    if total:
        raw = OBJECT_WEIGHT * object_described + (1 - OBJECT_WEIGHT) * described / total
    else:
        raw = float(object_described)
    return QualityScore(
        score=round(raw, 4),
        object_described=object_described,
        columns_described=described,
        columns=total,
        undescribed_columns=undescribed,
    )
