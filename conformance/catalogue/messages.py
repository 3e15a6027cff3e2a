"""Families about messages: delivery, envelopes, order, atomicity, and invalid pairings.

What arrives, in which envelope, in which order, and what an invalid
pairing must not deliver.
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import (
    CONNECTION_ORIENTED,
    INVALID_PAIRINGS,
    Family,
    Level,
    pairings_named,
)

_DEALER_OR_ROUTER_BOTH_ENDS = pairings_named(
    "DEALER-DEALER", "DEALER-ROUTER", "ROUTER-DEALER", "ROUTER-ROUTER"
)
_REP_WITH_DEALER = pairings_named("DEALER-REP", "REP-DEALER")
_REQ_WITH_ROUTER = pairings_named("REQ-ROUTER", "ROUTER-REQ")
_TO_TWO_PEERS = pairings_named(
    "REQ-REP", "REQ-ROUTER", "DEALER-REP", "DEALER-DEALER", "DEALER-ROUTER"
)
_CLIENT_SERVER = pairings_named("REQ-REP", "DEALER-REP", "REQ-ROUTER", "DEALER-ROUTER")

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
        name="frame-sizes",
        statement=(
            "A frame of any size arrives whole and unchanged: one message carrying a frame "
            "of each size either side of ZMTP's switch from one-octet to eight-octet sizes "
            "(254 to 257 bytes) and of 8 KiB and 64 KiB, both ways, and the first long frame "
            "and the last short one each alone. The content never repeats, so a lost, "
            "doubled or reordered chunk shows."
        ),
        source=(
            'RFC 23 "Message framing": "a short frame ... size 0 to 255 octets", "a long '
            'frame ... size 0 to 2^63-1 octets"'
        ),
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
        transports=CONNECTION_ORIENTED,
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
    Family(
        name="sustained-exchange",
        statement=(
            "Round trip after round trip, two REQ clients at a time, through a ROUTER-to-"
            "DEALER proxy to two REP workers, with high-water marks of 1 (but for the sends of "
            "the proxy's ROUTER and of the REP workers, which drop what they cannot queue) and "
            "then the default: each "
            "request reaches a worker and each reply its own client, intact, "
            "nothing lost and nothing stalled, for 5 round trips per example of the profile "
            "(500 at the default 100 examples, 10,000 in the thorough profile) at each high-"
            "water mark. The pairing names the client and the proxy's frontend."
        ),
        source=(
            'RFC 28 "The ROUTER Socket Type", "The DEALER Socket Type"; RFC 23 "Socket '
            'Semantics": "A message SHALL NOT be delivered more than once", "All messages '
            'between two immediate peers SHALL be delivered in order"; guide chapter 3 (the '
            "proxy)"
        ),
        pairings=pairings_named("REQ-ROUTER"),
    ),
)
