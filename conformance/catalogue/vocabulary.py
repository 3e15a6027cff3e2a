"""The vocabulary of the catalogue: pairings, families, cases and levels.

A :class:`Family` is one semantic, with the normative statement it checks,
where that statement comes from, its level, and the pairings and transports
it applies to; a :class:`Case` is one family on one pairing and transport,
with a stable id (``delivery/DEALER-ROUTER/tcp``) that tools and
known-deviation registries refer to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conformance.binding import SOCKET_TYPES, TRANSPORTS


class Level(str, enum.Enum):
    """How a case counts: a MUST failure fails the run, a SHOULD deviation is
    NON-STRICT, and an INFORMATIONAL case only reports what it observed."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    INFORMATIONAL = "INFORMATIONAL"


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


def pairings_named(*names: str) -> tuple[Pairing, ...]:
    """Pairings from their names: ``pairings_named("REQ-REP", "DEALER-ROUTER")``."""
    return tuple(Pairing(*name.split("-")) for name in names)


CONNECTION_ORIENTED = ("tcp", "ipc")
"""The transports with a handshake: where socket types are checked and IMMEDIATE applies."""


# -- who provides each end of a pair ----------------------------------------------

IUT = "iut"
LIBZMQ = "libzmq"


@dataclass(frozen=True)
class Peering:
    """Which implementation provides the connecting and the binding end of a pair.

    Both the implementation under test (``self``), or one of them libzmq
    through pyzmq (``iut-connects``, ``iut-binds``).  Result files and test
    ids name a peering by its :attr:`id`.
    """

    connector: str
    binder: str

    @property
    def id(self) -> str:
        if self.connector == self.binder == IUT:
            return "self"
        return "iut-connects" if self.connector == IUT else "iut-binds"

    def __str__(self) -> str:
        return self.id


SELF = Peering(IUT, IUT)
IUT_CONNECTS = Peering(IUT, LIBZMQ)
IUT_BINDS = Peering(LIBZMQ, IUT)


def peerings(mode: str) -> tuple[Peering, ...]:
    """The peerings a ``--zmq-peer`` mode runs: self, libzmq, or both."""
    return {
        "self": (SELF,),
        "libzmq": (IUT_CONNECTS, IUT_BINDS),
        "both": (SELF, IUT_CONNECTS, IUT_BINDS),
    }[mode]
