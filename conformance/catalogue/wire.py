"""Families about ZMTP on the wire: the implementation against a raw peer of ours.

Everywhere else both ends of a pair are sockets; here one end is our raw
ZMTP peer (:mod:`conformance.wire`), which writes and reads the octets of
RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1) itself, and the implementation under
test is driven through the binding interface as always.

How the cases read:

* the pairing names the connecting and the bound socket type, as elsewhere;
  one of them is the implementation's socket, the other the raw peer;
* the peering says which: ``iut-connects``, the implementation connects to
  the raw peer, which listens; ``iut-binds``, the raw peer connects to the
  implementation; ``self`` runs both (each example of a property test draws
  one), so the default run covers both roles;
* the refusal families use pairings whose connecting type is a REP or a
  ROUTER: a refused connection that the implementation dialled stays in
  its queue until it reconnects, and a REQ or DEALER may rightly queue a
  request there; a bound socket keeps nothing of a refused peer;
* tcp and ipc only: inproc has no ZMTP.
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import CONNECTION_ORIENTED, Family, Level, pairings_named

_ALL_FOUR_TYPES = pairings_named("REQ-REP", "DEALER-ROUTER")
"""Between them, and in both roles, the implementation's socket is each of the four types."""

_SERVERS_DIAL_BOUND_CLIENTS = pairings_named("REP-REQ", "ROUTER-DEALER")
"""The four types again, the connecting end a server: for the refusals (see above)."""

_NULL_GREETING = (
    'RFC 23 and 37 "Formal Grammar": "greeting = signature version mechanism as-server '
    'filler", "signature = %xFF padding %x7F", "version-major = %x03", "mechanism = '
    '20mechanism-char", "filler = 31%x00"; "The NULL Security Mechanism": "When a peer uses '
    'the NULL security mechanism, the as-server field MUST be zero."'
)

FAMILIES = (
    Family(
        name="wire-greeting",
        statement=(
            "The implementation's greeting is 64 octets: %xFF, 8 octets of padding (not "
            "checked), %x7F; major version 3 (any minor); the mechanism NULL padded with 16 "
            "zero octets; as-server 0; 31 zero octets of filler."
        ),
        source=_NULL_GREETING,
        pairings=_ALL_FOUR_TYPES,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-ready",
        statement=(
            "After the greeting the implementation sends a READY command: a command frame "
            "(COMMAND set, MORE clear, reserved bits zero) named READY whose metadata is well "
            "formed and has a Socket-Type property with its own socket type; with no "
            "ROUTING_ID set, any Identity property it sends is empty."
        ),
        source=(
            'RFC 23 "The NULL Security Mechanism": "both peers SHALL send each other a READY '
            'command", "ready = command-size %d5 "READY" metadata"; "Framing": "Bits 7-3 are '
            'reserved for future use and MUST be zero", MORE "SHALL be zero on command frames"; '
            '"Connection Metadata": "The sender SHOULD specify the Socket-Type" (every '
            "implementation we know does)"
        ),
        pairings=_ALL_FOUR_TYPES,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-identity",
        statement=(
            "The Identity property carries a routing id both ways: a REQ or DEALER with "
            "ROUTING_ID set announces exactly that id as the Identity of its READY; a ROUTER "
            "takes the Identity a peer announces as the routing id it receives that peer's "
            "messages under and routes replies by."
        ),
        source=(
            'RFC 23 "The Identity Property": "A REQ, DEALER, or ROUTER peer connecting to a '
            "ROUTER MAY announce its identity, which is used as an addressing mechanism by the "
            'ROUTER socket"; zmq_setsockopt(3) ZMQ_ROUTING_ID'
        ),
        pairings=pairings_named("REQ-ROUTER", "DEALER-ROUTER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-framing",
        statement=(
            "A message the implementation sends is its frames in order, MORE set on every frame "
            "but the last, COMMAND and the reserved bits clear, each size field the body's "
            "length, eight octets (LONG) for a body of 256 octets or more; a REQ's and a REP's "
            "begin with the empty delimiter frame."
        ),
        source=(
            'RFC 23 "Framing": "A short frame has a body of 0 to 255 octets. A long frame has a '
            'body of 0 to 2^63-1 octets", "message = *message-more message-last"; RFC 28 (REQ '
            '"SHALL prefix the outgoing message with an empty delimiter frame")'
        ),
        pairings=_ALL_FOUR_TYPES,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-accept",
        statement=(
            "The implementation completes the handshake with a peer that announces a higher "
            "version (3.x or above), writes property names in any case and adds properties it "
            "does not know, and delivers that peer's messages intact (empty and 0x00 frames "
            "included) and answers them."
        ),
        source=(
            'RFC 23 "Version Negotiation": "A peer MUST accept higher protocol versions as '
            'valid"; "Connection Metadata": "Metadata names SHALL be case-insensitive", "The '
            'implementation MAY provide other metadata properties"'
        ),
        pairings=_ALL_FOUR_TYPES,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-ping",
        statement=(
            "An implementation that greets with ZMTP 3.1 or above answers a PING from a 3.1 "
            "peer with a PONG that echoes the PING's context (0 to 16 octets), and goes on "
            "serving the connection. One that greets with 3.0, which has no PING, is "
            "UNSUPPORTED here."
        ),
        source=(
            'RFC 37 "Connection Heartbeating": "When a peer receives a PING command it SHALL '
            'respond with a PONG command that echoes the ping-context"'
        ),
        pairings=_ALL_FOUR_TYPES,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-property-case",
        level=Level.SHOULD,
        statement=(
            "An Identity property whose name is written in another case (identity, IDENTITY) "
            "is still the peer's routing id at a ROUTER. libzmq compares property names "
            "case-sensitively and ignores it: a deviation is NON-STRICT."
        ),
        source=(
            'RFC 23 "The NULL Security Mechanism": "The case (upper or lower) of names SHALL '
            'NOT be significant"; libzmq behaviour (mechanism_t::parse_metadata)'
        ),
        pairings=pairings_named("ROUTER-ROUTER"),
        transports=("tcp",),
    ),
    Family(
        name="wire-refuse-mechanism",
        statement=(
            "A peer whose greeting names another mechanism than NULL is refused: the "
            "implementation closes the connection, delivers nothing the peer sent, and goes "
            "on serving the well-formed peer that connects next."
        ),
        source=(
            'RFC 23 "Authentication and Confidentiality": "If the mechanism that the peer '
            "received does not exactly match the mechanism it sent, it MUST close the "
            'connection."'
        ),
        pairings=pairings_named("ROUTER-DEALER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-refuse-socket-type",
        statement=(
            "A peer whose READY announces a Socket-Type that may not talk to the "
            "implementation's socket (another pattern's, an invalid pairing's, or no socket "
            "type ZMTP knows) is refused: the connection is closed, nothing it sent is "
            "delivered, and the next well-formed peer is served."
        ),
        source=(
            'RFC 23 "The Socket-Type Property": "The peer SHOULD enforce that the other peer is '
            'using a valid socket type", "SHOULD handle errors by returning an ERROR command, '
            'and then disconnecting the peer"; held as a MUST like the rejection family (libzmq '
            "enforces it, and sends no ERROR)"
        ),
        pairings=_SERVERS_DIAL_BOUND_CLIENTS,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-refuse-command",
        statement=(
            "A peer whose first command is not READY (an ERROR, or a command the NULL "
            "mechanism does not define) is refused: the connection is closed, nothing it "
            "sent is delivered, and the next well-formed peer is served."
        ),
        source=(
            'RFC 23 "The NULL Security Mechanism": "null = ready *message | error"; "Error '
            'Handling": "The peer SHALL treat an incoming ERROR command as fatal, and act by '
            'closing the connection"'
        ),
        pairings=pairings_named("REP-REQ"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-refuse-malformed",
        statement=(
            "A peer whose READY's metadata is malformed (a property name or value whose size "
            "runs past the end of the command) is refused: the connection is closed, nothing "
            "it sent is delivered, and the next well-formed peer is served. (Not checked, "
            "though the RFCs rule them out: a property with an empty name, a command frame "
            "with MORE or a reserved flag bit set; libzmq accepts all three.)"
        ),
        source=(
            'RFC 23 "The NULL Security Mechanism": "name = short-size 1*255name-char", "value '
            '= 4OCTET *OCTET" (each size says what follows); libzmq behaviour (it closes the '
            "connection)"
        ),
        pairings=pairings_named("REP-REQ"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-flawed-ready",
        level=Level.INFORMATIONAL,
        statement=(
            "What the implementation does with a peer whose READY breaks a rule that RFC 23 "
            "leaves the receiver free to check: its command frame has MORE set, or a reserved "
            "flag bit, or one of its properties has an empty name. It accepts that peer "
            "(delivers its message intact and answers it) or refuses it (closes the "
            "connection, delivers nothing it sent); either way the next well-formed peer is "
            "served, and nothing else may happen. libzmq 4.3.5 accepts all three."
        ),
        source=(
            'RFC 23 "Framing": "Bits 7-3 are reserved for future use and MUST be zero", MORE '
            '"SHALL be zero on command frames"; "The NULL Security Mechanism": "Zero-sized names '
            'are not valid", "Both peers SHOULD then parse, and MAY validate the READY command. '
            'Either or both peer MAY then choose to close the connection if validation failed."'
        ),
        pairings=pairings_named("ROUTER-DEALER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-truncated",
        statement=(
            "A peer that ends its connection part way, in its greeting, in its READY or in "
            "the middle of a message (between frames or inside one, short or long), has "
            "nothing of its unfinished message delivered; the next well-formed peer is "
            "served, and its message is the only one delivered."
        ),
        source=(
            'RFC 23 "Messages": "an implementation SHALL always send and deliver messages '
            'atomically, that is, all the frames of a message, or none of them"'
        ),
        pairings=pairings_named("ROUTER-DEALER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-downgrade",
        level=Level.INFORMATIONAL,
        statement=(
            "What the implementation does with a peer that speaks ZMTP 2.0 (RFC 15: revision "
            "1, its socket type as one octet, its identity as a frame, then its message). It "
            "downgrades (greets in ZMTP 2.0 with its own socket type's octet and an identity "
            "frame, delivers the message intact, a ROUTER routing by the peer's identity when "
            "it has one, and answers it) or refuses (closes the connection, delivers nothing "
            "of it, and serves the next ZMTP 3 peer); nothing else passes, and neither outcome "
            "waits out a timeout. libzmq 4.3.5 downgrades."
        ),
        source=(
            'RFC 23 "Version Negotiation": "A peer MAY downgrade its protocol to talk to a '
            'lower protocol peer", "If a peer cannot downgrade its protocol to match its peer, '
            'it MUST close the connection"; "Detecting ZMTP 2.0 Peers": "If the peer version '
            "number is 1 or 2, the peer is using ZMTP 2.0, so send the ZMTP 2.0 socket type and "
            'identity and continue with ZMTP 2.0"; RFC 15 (ZMTP 2.0)'
        ),
        pairings=pairings_named("ROUTER-DEALER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="wire-cut-sending",
        statement=(
            "A multipart message the implementation is writing when its peer hangs up part "
            "way through reading it reaches the next connection whole or not at all: the raw "
            "peer reads some of it, closes, connects (or is dialled) again, and every message "
            "it then reads up to the implementation's next one is that message whole, never "
            "its tail nor a part of it."
        ),
        source=(
            'RFC 23 "Messages": "an implementation SHALL always send and deliver messages '
            'atomically, that is, all the frames of a message, or none of them"; "Socket '
            'Semantics": "A message SHALL be sent or received atomically"'
        ),
        pairings=pairings_named("DEALER-ROUTER"),
        transports=CONNECTION_ORIENTED,
    ),
)
