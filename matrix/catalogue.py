"""The catalogue: every family, and from them every case, in a fixed order.

Each part of the catalogue lives in a module of :mod:`matrix.families`;
this module puts them in order.  The order is fixed by the tuple below and
by each family's own tables, so every xdist worker collects the same cases
in the same order.
"""

from __future__ import annotations

from matrix.families import messages, model, patterns, sockets
from matrix.model import Case, Family

FAMILIES: tuple[Family, ...] = (
    *messages.FAMILIES,
    *sockets.FAMILIES,
    *model.FAMILIES,
    *patterns.FAMILIES,
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
