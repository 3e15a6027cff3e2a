"""Pairings x transports x semantic families, from a small declarative table.

Every case has a stable id (``delivery/DEALER-ROUTER/tcp``), the normative
statement it checks, and a level: a MUST failure fails the run, a SHOULD
deviation is reported as NON-STRICT.  The order is fixed by the tables
below, so every xdist worker collects the same cases in the same order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conformance.binding import SOCKET_TYPES, TRANSPORTS


class Level(str, enum.Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Pairing:
    """An ordered pairing: a socket of type ``connects`` connects to one of type ``binds``."""

    connects: str
    binds: str

    @property
    def valid(self) -> bool:
        return (self.connects, self.binds) in _VALID

    @property
    def name(self) -> str:
        return f"{self.connects}-{self.binds}"

    def __str__(self) -> str:
        return self.name


# RFC 28 and RFC 23 section "Socket types": the combinations a peer accepts.
_VALID = {
    ("REQ", "REP"),
    ("REQ", "ROUTER"),
    ("REP", "REQ"),
    ("REP", "DEALER"),
    ("DEALER", "REP"),
    ("DEALER", "DEALER"),
    ("DEALER", "ROUTER"),
    ("ROUTER", "REQ"),
    ("ROUTER", "DEALER"),
    ("ROUTER", "ROUTER"),
}

PAIRINGS = tuple(Pairing(c, b) for c in SOCKET_TYPES for b in SOCKET_TYPES)
VALID_PAIRINGS = tuple(p for p in PAIRINGS if p.valid)
INVALID_PAIRINGS = tuple(p for p in PAIRINGS if not p.valid)


@dataclass(frozen=True)
class Family:
    """A semantic checked for a set of pairings on a set of transports."""

    name: str
    statement: str
    source: str
    level: Level = Level.MUST
    pairings: tuple[Pairing, ...] = VALID_PAIRINGS
    transports: tuple[str, ...] = TRANSPORTS


@dataclass(frozen=True)
class Case:
    family: Family
    pairing: Pairing
    transport: str

    @property
    def id(self) -> str:
        return f"{self.family.name}/{self.pairing}/{self.transport}"

    @property
    def level(self) -> Level:
        return self.family.level

    @property
    def statement(self) -> str:
        return self.family.statement

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"<case {self.id}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def _pairings(*names: str) -> tuple[Pairing, ...]:
    return tuple(Pairing(*name.split("-")) for name in names)


FAMILIES = (
    Family(
        name="reqrep",
        statement=(
            "A REQ request reaches the REP application as sent, frame for frame, "
            "and the REP reply reaches the REQ application as sent."
        ),
        source='RFC 28 "The REQ Socket Type", "The REP Socket Type"',
        pairings=_pairings("REQ-REP", "REP-REQ"),
    ),
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
