"""The catalogue of conformance cases: the single source of what is checked and why."""

from matrix.catalogue import (
    CASES,
    FAMILIES,
    INVALID_PAIRINGS,
    PAIRINGS,
    VALID_PAIRINGS,
    Case,
    Family,
    Level,
    Pairing,
    cases,
)

__all__ = [
    "CASES",
    "FAMILIES",
    "INVALID_PAIRINGS",
    "PAIRINGS",
    "VALID_PAIRINGS",
    "Case",
    "Family",
    "Level",
    "Pairing",
    "cases",
]
