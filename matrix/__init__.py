"""The catalogue of conformance cases: the single source of what is checked and why."""

from matrix.catalogue import (
    CASES,
    FAMILIES,
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
    "PAIRINGS",
    "VALID_PAIRINGS",
    "Case",
    "Family",
    "Level",
    "Pairing",
    "cases",
]
