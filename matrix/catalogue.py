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


_DEALER_OR_ROUTER_BOTH_ENDS = _pairings(
    "DEALER-DEALER", "DEALER-ROUTER", "ROUTER-DEALER", "ROUTER-ROUTER"
)
_REP_WITH_DEALER = _pairings("DEALER-REP", "REP-DEALER")
_REQ_WITH_ROUTER = _pairings("REQ-ROUTER", "ROUTER-REQ")
_TO_TWO_PEERS = _pairings("REQ-REP", "REQ-ROUTER", "DEALER-REP", "DEALER-DEALER", "DEALER-ROUTER")
_CLIENT_SERVER = _pairings("REQ-REP", "DEALER-REP", "REQ-ROUTER", "DEALER-ROUTER")
_CONNECTION_ORIENTED = ("tcp", "ipc")

FAMILIES = (
    Family(
        name="delivery",
        statement=(
            "A multipart message arrives intact, frame for frame and in order, in the "
            "envelope of its socket types: REQ adds an empty delimiter that the REQ or REP "
            "peer strips, DEALER passes frames unchanged, ROUTER prepends one routing-id "
            "frame on receive and consumes one on send. Checked both ways, from whichever "
            "end may speak first."
        ),
        source=(
            'RFC 28 "The REQ/REP/DEALER/ROUTER Socket Type" (REQ: "SHALL prefix the outgoing '
            'message with an empty delimiter frame"); RFC 23 "Message framing"'
        ),
    ),
    Family(
        name="empty-message",
        statement=(
            "A message of one empty frame is a message: it is sent, and arrives as one empty "
            "frame in its envelope (a REQ's [''] reaches a ROUTER as [rid, '', ''])."
        ),
        source='RFC 23 "Message framing" (a frame may be empty); libzmq behaviour',
    ),
    Family(
        name="envelope",
        statement=(
            "A REP stores every frame up to and including the first empty frame, gives its "
            "application only the body, and puts the whole stored envelope back in front of "
            "the reply."
        ),
        source=(
            'RFC 28 "The REP Socket Type": "SHALL remove and store the address envelope, '
            'including the delimiter" and "prepend" it to the reply'
        ),
        pairings=_REP_WITH_DEALER,
    ),
    Family(
        name="fifo",
        statement=(
            "Between two peers, a sequence of messages arrives in the order it was sent, "
            "in both directions."
        ),
        source="RFC 28 (fair-queuing and round-robin keep each peer's order); libzmq behaviour",
        pairings=(*_DEALER_OR_ROUTER_BOTH_ENDS, *_REP_WITH_DEALER),
    ),
    Family(
        name="atomicity",
        statement=(
            "A multipart message is delivered whole or not at all: a client connected to two "
            "peers hands each message, all its frames, to one peer, never split or merged."
        ),
        source="RFC 23 message framing (a message is its frames, delivered together); RFC 28",
        pairings=_TO_TWO_PEERS,
    ),
    Family(
        name="malformed-request",
        statement=(
            "A request without an empty delimiter is never delivered to a REP application, "
            "and the REP goes on serving the next well-formed request."
        ),
        source=(
            'RFC 28 "The REP Socket Type" (the envelope is everything up to the delimiter); '
            "libzmq drops such requests"
        ),
        pairings=_REP_WITH_DEALER,
    ),
    Family(
        name="malformed-reply",
        statement=(
            "A reply without a proper empty delimiter is never delivered to a REQ application. "
            "libzmq drops the connection on tcp and ipc and discards the reply on inproc."
        ),
        source="RFC 28 REQ socket type (a reply is a delimiter and a body); libzmq behaviour",
        pairings=_REQ_WITH_ROUTER,
    ),
    Family(
        name="rejection",
        statement=(
            "Peers of an invalid pairing exchange no message in either direction, and the "
            "bound socket goes on serving a valid peer that connects afterwards."
        ),
        source="RFC 23 socket-type validation (only the valid combinations may talk)",
        pairings=INVALID_PAIRINGS,
        transports=_CONNECTION_ORIENTED,
    ),
    Family(
        name="rejection-inproc",
        level=Level.SHOULD,
        statement=(
            "The same over inproc. libzmq does not check socket types on inproc, so there "
            "invalid pairings can exchange messages: a deviation is NON-STRICT."
        ),
        source="RFC 23 socket-type validation; libzmq behaviour (no type check on inproc)",
        pairings=INVALID_PAIRINGS,
        transports=("inproc",),
    ),
    Family(
        name="proxy-chain",
        statement=(
            "Through a chain of 1 to 4 ROUTER-to-DEALER proxy hops, each hop adds exactly one "
            "routing-id frame on the way in, the reply unwinds the stack hop by hop to the "
            "right client, and a REP server sees only the body. The pairing names the client "
            "and the server at the ends of the chain."
        ),
        source='RFC 28 "The ROUTER Socket Type", "The DEALER Socket Type"; guide chapter 3',
        pairings=_CLIENT_SERVER,
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
