"""Families about a connection's whole life: before the peer binds, when it leaves, when it returns.

The other parts check sockets whose peers are there from start to end.
These check what happens around that: messages sent before the peer has
bound, a peer that goes away for good, a bound peer that is closed and
bound again at the same endpoint, and a routing id that a new peer takes
up after the old one left.  Reconnection is libzmq's business, not the
application's; the cases that wait for one set RECONNECT_IVL to 1 ms on the
socket that reconnects (an implementation that does not offer the option
is UNSUPPORTED there), and every wait is for an outcome, with a deadline.
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import CONNECTION_ORIENTED, Family, pairings_named

_SENDING_CONNECTORS = pairings_named(
    "REQ-REP", "REQ-ROUTER", "DEALER-REP", "DEALER-DEALER", "DEALER-ROUTER"
)
_BINDER_SPEAKS_FIRST = pairings_named(
    "DEALER-DEALER",
    "DEALER-ROUTER",
    "REP-REQ",
    "REP-DEALER",
    "ROUTER-REQ",
    "ROUTER-DEALER",
    "ROUTER-ROUTER",
)
_NAMED_PEERS_OF_A_BOUND_ROUTER = pairings_named("REQ-ROUTER", "DEALER-ROUTER", "ROUTER-ROUTER")

_IMMEDIATE_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_IMMEDIATE: "By default queues will fill on outgoing connections '
    'even if the connection has not completed"'
)
_CONNECT_MAN_PAGE = (
    'zmq_connect(3): "for most transports and socket types the order in which a server '
    'socket is bound and a client socket is connected to it does not matter"'
)
_LINGER_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_LINGER: "Positive values specify an upper bound for the linger '
    "period in milliseconds. Pending messages shall not be discarded after a call to "
    'zmq_disconnect() or zmq_close()"'
)
_RECONNECT_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_RECONNECT_IVL: "The reconnection interval is the period 0MQ shall '
    "wait between attempts to reconnect disconnected peers when using connection-oriented "
    'transports"'
)
_MANDATORY_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_ROUTER_MANDATORY: "A value of 1 returns an EHOSTUNREACH error '
    'code if the message cannot be routed"'
)
_RFC28_ROUTER_QUEUES = (
    'RFC 28 "The ROUTER Socket Type": "SHALL create a double queue when a peer connects to '
    "it. If this peer disconnects, the ROUTER SHALL destroy its double queue and SHALL "
    'discard any messages it contains"'
)
_HANDOVER_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_ROUTER_HANDOVER: "If two clients use the same routing id when '
    "connecting to a ROUTER, the results shall depend on the ZMQ_ROUTER_HANDOVER option "
    'setting"'
)

FAMILIES = (
    Family(
        name="connect-before-bind",
        statement=(
            "A REQ or DEALER may connect to an endpoint before its peer binds there, and send "
            "at once (a REQ one request, a DEALER 1 to 3 messages): once the peer binds, they "
            "arrive whole, in the order sent, in their envelopes (a ROUTER sees one routing "
            "id on all of them), and the peer's reply along that envelope reaches the sender."
        ),
        source=f"{_CONNECT_MAN_PAGE}; {_IMMEDIATE_MAN_PAGE}",
        pairings=_SENDING_CONNECTORS,
    ),
    Family(
        name="linger-at-close",
        statement=(
            "A REQ or DEALER closed with a positive LINGER while its messages (a REQ one "
            "request, a DEALER 1 to 3, or 1 to a REP) are still queued, for want of a "
            "connection (it connected before its peer bound) or behind IMMEDIATE, does not "
            "discard them: the peer, bound after the close or before it, receives them whole, "
            "in the order sent, in their envelopes, within the linger. The implementation is "
            "the sender and libzmq the receiver in every peering (RFC 28 lets a receiver "
            "discard what a peer that has gone had sent; libzmq keeps it), so the self case "
            "is the iut-connects one and iut-binds has none (UNSUPPORTED)."
        ),
        source=f"{_LINGER_MAN_PAGE}; {_IMMEDIATE_MAN_PAGE}",
        pairings=_SENDING_CONNECTORS,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="peer-restart",
        statement=(
            "When the bound peer of a connected socket is closed and a new socket is bound at "
            "the same endpoint (once or twice), the connected socket reconnects by itself: "
            "the new peer's first message reaches it (a bound REQ or DEALER waits for the "
            "connection; a ROUTER routes by the connector's explicit routing id once it is "
            "routable) and its answer reaches the new peer. Only pairings where the new peer "
            "can speak first: a message the connector sends before it has seen the old peer "
            "go may be lost with the old connection."
        ),
        source=f"{_RECONNECT_MAN_PAGE}; {_CONNECT_MAN_PAGE}",
        pairings=_BINDER_SPEAKS_FIRST,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="peer-departure",
        statement=(
            "When one of 2 or 3 named peers of a bound ROUTER_MANDATORY ROUTER closes, a "
            "message to its routing id is refused with EHOSTUNREACH within the deadline "
            "(messages before that are lost with the connection), and the ROUTER goes on "
            "serving the peers that remain: it receives each one's next message and routes "
            "a reply to each."
        ),
        source=f"{_RFC28_ROUTER_QUEUES}; {_MANDATORY_MAN_PAGE}",
        pairings=_NAMED_PEERS_OF_A_BOUND_ROUTER,
    ),
    Family(
        name="round-robin-departure",
        statement=(
            "When one of the 3 peers connected to a bound DEALER closes, the DEALER stops "
            "sending to it: once it has seen the departure (at most 3 messages later, each "
            "lost with the connection), every message reaches one of the 2 peers that remain, "
            "in turn. (A DEALER that connects keeps the pipe of a peer that left, queueing for "
            "its return unless IMMEDIATE is set: libzmq behaviour, not checked here.)"
        ),
        source=(
            'RFC 28 "The DEALER Socket Type": "SHALL route outgoing messages to available '
            'peers using a round-robin strategy" and "SHALL destroy its double queue" when a '
            "peer disconnects"
        ),
        pairings=pairings_named("REP-DEALER", "DEALER-DEALER", "ROUTER-DEALER"),
    ),
    Family(
        name="routing-id-reuse",
        statement=(
            "After a peer with an explicit routing id closes, a new peer connecting with the "
            "same id is that id's peer: its message arrives under the id and a message to the "
            "id reaches it. Without ROUTER_HANDOVER the new peer connects once the ROUTER "
            "refuses the id with EHOSTUNREACH and has received nothing more for 300 ms (libzmq "
            "frees the id only once a receive has taken the end of the old connection, and "
            "ignores for good a newcomer that comes before); with ROUTER_HANDOVER it connects "
            "at once."
        ),
        source=f"{_RFC28_ROUTER_QUEUES}; {_HANDOVER_MAN_PAGE}",
        pairings=_NAMED_PEERS_OF_A_BOUND_ROUTER,
    ),
    Family(
        name="unbind-rebind",
        statement=(
            "A bound socket that served a peer, unbinds its endpoint and binds it again "
            "serves a new peer; unbinding the endpoint a second time, while it is not bound, "
            "fails. (A peer still connected at the unbind is not checked: libzmq drops the "
            "socket's pipe to it but not the connection, so that peer loses the next message "
            "it sends and only then reconnects.)"
        ),
        source=(
            'zmq_unbind(3): "shall unbind a socket ... from the endpoint", error "ENOENT The '
            'endpoint supplied was not previously bound"; libzmq behaviour (the peer connected '
            "at the unbind)"
        ),
        pairings=_SENDING_CONNECTORS,
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="maxmsgsize",
        statement=(
            "A socket with MAXMSGSIZE never delivers a message with a frame larger than it "
            "(it drops that peer's connection), delivers one of exactly that size, and goes "
            "on serving the other peers. Checked with a limit of 1,000 bytes."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_MAXMSGSIZE: "Limits the size of the inbound message. If a '
            'peer sends a message larger than ZMQ_MAXMSGSIZE it is disconnected"'
        ),
        pairings=_SENDING_CONNECTORS,
        transports=CONNECTION_ORIENTED,
    ),
)
