"""The catalogue of conformance cases: the single source of what is checked and why.

Each part of the catalogue lives in a module of its own (``messages``,
``sockets``, ``model``: the families checked against the RFC 28 model,
``patterns``; ``wire``: against a raw ZMTP peer), written in the vocabulary
of :mod:`.vocabulary`; this module puts them in order.  The order is fixed
by the tuple below and by each family's own tables, so every xdist worker
collects the same cases in the same order.
"""

from __future__ import annotations

from conformance.catalogue import connections, messages, model, patterns, sockets, wire
from conformance.catalogue.vocabulary import (
    CONNECTION_ORIENTED,
    INVALID_PAIRINGS,
    IUT_BINDS,
    IUT_CONNECTS,
    PAIRINGS,
    SELF,
    VALID_PAIRINGS,
    Case,
    Family,
    Level,
    Pairing,
    Peering,
    pairings_named,
    peerings,
)

__all__ = [
    "CASES",
    "CONNECTION_ORIENTED",
    "FAMILIES",
    "INVALID_PAIRINGS",
    "IUT_BINDS",
    "IUT_CONNECTS",
    "PAIRINGS",
    "SELF",
    "VALID_PAIRINGS",
    "Case",
    "Family",
    "Level",
    "Pairing",
    "Peering",
    "cases",
    "pairings_named",
    "peerings",
]

FAMILIES: tuple[Family, ...] = (
    *messages.FAMILIES,
    *sockets.FAMILIES,
    *connections.FAMILIES,
    *model.FAMILIES,
    *patterns.FAMILIES,
    *wire.FAMILIES,
)

CASES = tuple(
    Case(family, pairing, transport)
    for family in FAMILIES
    for pairing in family.pairings
    for transport in family.transports
)


def cases(family: str) -> tuple[Case, ...]:
    """The cases of one family, in catalogue order."""
    found = tuple(c for c in CASES if c.family.name == family)
    if not found:
        raise KeyError(f"no family {family!r} in the catalogue")
    return found
