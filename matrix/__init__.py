"""The catalogue of conformance cases: the single source of what is checked and why."""

from matrix.catalogue import CASES, FAMILIES, cases
from matrix.model import (
    CONNECTION_ORIENTED,
    INVALID_PAIRINGS,
    PAIRINGS,
    VALID_PAIRINGS,
    Case,
    Family,
    Level,
    Pairing,
    pairings_named,
)

__all__ = [
    "CASES",
    "CONNECTION_ORIENTED",
    "FAMILIES",
    "INVALID_PAIRINGS",
    "PAIRINGS",
    "VALID_PAIRINGS",
    "Case",
    "Family",
    "Level",
    "Pairing",
    "cases",
    "pairings_named",
]
