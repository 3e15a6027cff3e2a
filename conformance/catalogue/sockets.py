"""Families about socket behaviour: identities, the REQ/REP state machine, queues, distribution.

The message families prove that messages arrive; these prove that the
sockets behave: who a message is from and where its reply goes, what is
refused and with which error, what a full queue does, and how work is
spread over several peers.  Each family lists only the pairings and
transports on which its test really observes the semantic.
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import CONNECTION_ORIENTED, Family, Level, pairings_named

_PEERS_OF_A_BOUND_ROUTER = pairings_named("REQ-ROUTER", "DEALER-ROUTER")
_ROUTER_WITH_A_CLIENT = pairings_named("REQ-ROUTER", "DEALER-ROUTER", "ROUTER-REQ", "ROUTER-DEALER")
_ROUTER_WITH_ANY_PEER = (*_ROUTER_WITH_A_CLIENT, *pairings_named("ROUTER-ROUTER"))
_NAMED_CONNECTOR_TO_ROUTER = pairings_named("REQ-ROUTER", "DEALER-ROUTER", "ROUTER-ROUTER")
_CLIENTS_TO_A_SERVER = pairings_named("REQ-REP", "DEALER-REP", "REQ-ROUTER", "DEALER-ROUTER")
_CLIENTS_OF_MANY_PEERS = pairings_named(
    "REQ-REP", "REQ-ROUTER", "DEALER-REP", "DEALER-DEALER", "DEALER-ROUTER"
)
_REQ_WITH_ANY_PEER = pairings_named("REQ-REP", "REQ-ROUTER", "REP-REQ", "ROUTER-REQ")
_REP_WITH_ANY_PEER = pairings_named("REQ-REP", "DEALER-REP", "REP-REQ", "REP-DEALER")
_REQ_WITH_ROUTER = pairings_named("REQ-ROUTER", "ROUTER-REQ")
_BOUND_REQ_OR_DEALER = pairings_named(
    "REP-REQ", "ROUTER-REQ", "REP-DEALER", "DEALER-DEALER", "ROUTER-DEALER"
)
_ROUTER_TO_A_QUEUEING_PEER = pairings_named("DEALER-ROUTER", "ROUTER-DEALER", "ROUTER-ROUTER")
_DEALER_TO_A_QUEUEING_PEER = pairings_named("DEALER-ROUTER", "DEALER-DEALER", "ROUTER-DEALER")
_REP_WITH_DEALER = pairings_named("DEALER-REP", "REP-DEALER")
_DEALER_TO_MANY_PEERS = pairings_named("DEALER-REP", "DEALER-DEALER", "DEALER-ROUTER")

_ROUTING_ID_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_ROUTING_ID: "A routing id must be at least one byte and at most '
    "255 bytes long. Identities starting with a zero byte are reserved for use by the 0MQ "
    'infrastructure."'
)
_HANDOVER_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_ROUTER_HANDOVER: "If that is not set (or set to the default of '
    "zero), the ROUTER socket shall reject clients trying to connect with an already-used "
    "routing id. If that option is set to 1, the ROUTER socket shall hand-over the connection "
    'to the new client and disconnect the existing one."'
)
_MANDATORY_MAN_PAGE = (
    'zmq_setsockopt(3) ZMQ_ROUTER_MANDATORY: "A value of 0 is the default and discards the '
    "message silently when it cannot be routed or the peers SNDHWM is reached. A value of 1 "
    "returns an EHOSTUNREACH error code if the message cannot be routed or EAGAIN error code "
    'if the SNDHWM is reached and ZMQ_DONTWAIT was used."'
)
_RFC28_ROUTER_SEND = (
    'RFC 28 "The ROUTER Socket Type": "SHALL either silently drop the message, or return an '
    'error, depending on configuration, if the queue does not exist, or is full" and "SHALL '
    'NOT block on sending"'
)
_RFC28_DEALER_SEND = (
    'RFC 28 "The DEALER Socket Type": "SHALL consider a peer as available only when it has a '
    'outgoing queue that is not full", "SHALL route outgoing messages to available peers '
    'using a round-robin strategy", "SHALL NOT discard messages that it cannot queue"'
)
_WHOLE_MESSAGES_ONLY = (
    " The binding interface sends and receives whole messages, so the EFSM cases in the "
    "middle of a multipart message cannot be expressed and are not checked."
)

IDENTITY = (
    Family(
        name="auto-routing-id",
        statement=(
            "A ROUTER gives each peer that sets no ROUTING_ID its own routing id: distinct "
            "from every other peer's, the same on every message of the connection, and a "
            "message sent to it reaches that peer and no other. Checked with 2 to 4 peers, "
            "the ROUTER bound or connecting."
        ),
        source=(
            'RFC 28 "The ROUTER Socket Type": "SHALL identify each double queue using a '
            'unique identity binary string" and "SHALL prefix each incoming message with a '
            'frame containing the identity of the originating double queue"'
        ),
        pairings=_ROUTER_WITH_A_CLIENT,
    ),
    Family(
        name="auto-routing-id-format",
        level=Level.INFORMATIONAL,
        statement=(
            "What the automatic routing ids of the implementation's ROUTER look like (length, "
            "leading byte, counter or not), for three peers. Implementations differ; libzmq "
            "uses 5 bytes, 0x00 then a big-endian uint32 counter starting at a random value."
        ),
        source="libzmq behaviour; RFC 28 leaves the form of an identity open",
        pairings=pairings_named("DEALER-ROUTER", "ROUTER-DEALER"),
    ),
    Family(
        name="explicit-routing-id",
        statement=(
            "A ROUTING_ID of 1 to 255 bytes not starting with 0x00, set before connecting or "
            "binding, is the routing id the ROUTER peer sees, byte for byte, and the one it "
            "routes replies by. ROUTER-ROUTER: both ends have explicit ids, and each sees the "
            "other's."
        ),
        source=(
            f'{_ROUTING_ID_MAN_PAGE}; RFC 28 ROUTER: "SHOULD allow the peer to specify its '
            'identity explicitly through the Identity metadata property"'
        ),
        pairings=_ROUTER_WITH_ANY_PEER,
    ),
    Family(
        name="invalid-routing-id",
        statement=(
            "Setting an empty ROUTING_ID, or one longer than 255 bytes, fails with EINVAL and "
            "leaves the socket's routing id as it was: the ROUTER then sees the valid id set "
            "before."
        ),
        source=_ROUTING_ID_MAN_PAGE,
        pairings=_NAMED_CONNECTOR_TO_ROUTER,
    ),
    Family(
        name="zero-led-routing-id",
        level=Level.SHOULD,
        statement=(
            "Setting a ROUTING_ID that starts with a zero byte (reserved for automatic ids) "
            "fails with EINVAL. libzmq accepts it and announces it verbatim: NON-STRICT."
        ),
        source=(
            f'{_ROUTING_ID_MAN_PAGE}; RFC 37 "The Identity Property": "The first octet of the '
            'Identity SHALL NOT be zero"'
        ),
        pairings=_NAMED_CONNECTOR_TO_ROUTER,
    ),
    Family(
        name="reply-routing",
        statement=(
            "With 2 to 4 clients of distinct ROUTING_IDs sending requests in any interleaving, "
            "and the server answering in any order (a ROUTER) or in the order it serves them "
            "(a REP), every reply reaches exactly the client that sent the request, in the "
            "order the server sent that client's replies."
        ),
        source=(
            'RFC 28 "The REP Socket Type": "SHALL deliver this message back to the originating '
            'peer"; "The ROUTER Socket Type": "SHALL route the message to the outgoing queue '
            'if that queue exists"'
        ),
        pairings=_CLIENTS_TO_A_SERVER,
    ),
    Family(
        name="duplicate-routing-id",
        statement=(
            "Without ROUTER_HANDOVER, a second peer that connects with a routing id already in "
            "use is refused: its messages are not delivered, and messages to that id still "
            "reach the first peer. libzmq keeps the duplicate connected but ignores it."
        ),
        source=_HANDOVER_MAN_PAGE,
        pairings=_PEERS_OF_A_BOUND_ROUTER,
    ),
    Family(
        name="router-handover",
        statement=(
            "With ROUTER_HANDOVER, a second peer that connects with a routing id already in "
            "use takes it over: its messages arrive under that id and messages to that id "
            "reach it, not the first peer. (libzmq does not disconnect the first peer on tcp "
            "and ipc; that part of the man page is not checked.)"
        ),
        source=_HANDOVER_MAN_PAGE,
        pairings=_PEERS_OF_A_BOUND_ROUTER,
    ),
    Family(
        name="probe-router",
        statement=(
            "A REQ, DEALER or ROUTER with PROBE_ROUTER that connects to a ROUTER, or a bound "
            "REQ or DEALER with it that a ROUTER connects to, makes that ROUTER receive "
            "[routing id, empty frame] before anything else, and the ROUTER can route to that "
            "id at once."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_PROBE_ROUTER: "the socket will automatically send an empty '
            "message when a new connection is made or accepted. You may set this on REQ, "
            'DEALER, or ROUTER sockets connected to a ROUTER socket."'
        ),
        pairings=(*_NAMED_CONNECTOR_TO_ROUTER, *pairings_named("ROUTER-REQ", "ROUTER-DEALER")),
    ),
)
"""Who a message is from, and where a reply goes."""

STATE_MACHINE = (
    Family(
        name="req-efsm",
        statement=(
            "A REQ refuses with EFSM (never EAGAIN) to receive before it has sent, and to send "
            "again before it has received the reply; after each refusal its state is "
            "unchanged: the refused request never reaches the peer, and the pending exchange "
            "completes." + _WHOLE_MESSAGES_ONLY
        ),
        source=(
            'RFC 28 "The REQ Socket Type": "SHALL send and then receive exactly one message at '
            'a time"; zmq_socket(3) EFSM'
        ),
        pairings=_REQ_WITH_ANY_PEER,
    ),
    Family(
        name="rep-efsm",
        statement=(
            "A REP refuses with EFSM (never EAGAIN) to send before it has received a request, "
            "and to receive again before it has replied (with a DEALER client, even with "
            "another request waiting); "
            "after each refusal its state is unchanged: the refused reply never reaches a "
            "client, and the pending request is answered." + _WHOLE_MESSAGES_ONLY
        ),
        source=(
            'RFC 28 "The REP Socket Type": "SHALL receive and then send exactly one message at '
            'a time"; zmq_socket(3) EFSM'
        ),
        pairings=_REP_WITH_ANY_PEER,
    ),
    Family(
        name="req-relaxed",
        statement=(
            "With REQ_RELAXED a REQ may send a new request before the reply to the previous "
            "one; both reach the peer, the reply to the new one is delivered, and receiving "
            "before any send is still EFSM."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_REQ_RELAXED: "When set to 1, sending another message is '
            'allowed and previous replies will be discarded if any."'
        ),
        pairings=_REQ_WITH_ROUTER,
    ),
    Family(
        name="req-stale-reply",
        level=Level.INFORMATIONAL,
        statement=(
            "What a REQ_RELAXED REQ without REQ_CORRELATE does with a late reply to the request "
            "it superseded: the man page warns it 'can be reported as the reply to the "
            "superseding request', and libzmq does so."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_REQ_RELAXED: "Otherwise a late reply to an aborted request '
            'can be reported as the reply to the superseding request."'
        ),
        pairings=_REQ_WITH_ROUTER,
    ),
    Family(
        name="req-correlate",
        statement=(
            "With REQ_RELAXED and REQ_CORRELATE, a late reply to a superseded request is "
            "dropped: the REQ returns the reply to its latest request, and the next exchange "
            "gets its own reply."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_REQ_CORRELATE: "The REQ socket will discard all incoming '
            'messages that don\'t begin with these two frames"; ZMQ_REQ_RELAXED: "also enable '
            'ZMQ_REQ_CORRELATE to ensure correct matching of requests and replies"'
        ),
        pairings=_REQ_WITH_ROUTER,
    ),
    Family(
        name="req-reply-source",
        statement=(
            "A REQ connected to two ROUTERs takes the reply to its request only from the "
            "ROUTER the request went to: a message the other ROUTER sends it meanwhile, "
            "envelope and all, is discarded, never returned as the reply."
        ),
        source=(
            'RFC 28 "The REQ Socket Type": "SHALL accept an incoming message only from the '
            'last peer that it sent a request to" and "SHALL discard silently any messages '
            'received from other peers"'
        ),
        pairings=pairings_named("REQ-ROUTER"),
    ),
    Family(
        name="no-peer-eagain",
        statement=(
            "A bound REQ or DEALER with no peer refuses a send with EAGAIN, at once without a "
            "timeout and after it with one, and keeps nothing of the refused message: once a "
            "peer connects, the next message sent is the first it receives."
        ),
        source=(
            'RFC 28 "The REQ Socket Type" and "The DEALER Socket Type": "SHALL block on '
            'sending, or return a suitable error, when it has no connected peers" / "no '
            'available peers"'
        ),
        pairings=_BOUND_REQ_OR_DEALER,
    ),
    Family(
        name="router-mandatory",
        statement=(
            "A ROUTER with ROUTER_MANDATORY refuses a message for an unknown routing id with "
            "EHOSTUNREACH, at once even with a timeout, delivers it nowhere, and goes on "
            "routing to its known peers."
        ),
        source=_MANDATORY_MAN_PAGE,
        pairings=_ROUTER_WITH_ANY_PEER,
    ),
    Family(
        name="router-unroutable-drop",
        statement=(
            "A ROUTER without ROUTER_MANDATORY accepts a message for an unknown routing id "
            "without error or blocking, and delivers it nowhere: the known peer's next "
            "message is the one sent to it afterwards."
        ),
        source=f"{_RFC28_ROUTER_SEND}; {_MANDATORY_MAN_PAGE}",
        pairings=_ROUTER_WITH_ANY_PEER,
    ),
)
"""What is refused, with which error, and what the socket's state is after."""

QUEUEING = (
    Family(
        name="router-mandatory-hwm",
        statement=(
            "A ROUTER with ROUTER_MANDATORY sending to a peer that does not read refuses with "
            "EAGAIN once the queue is full (small SNDHWM and RCVHWM), and delivers every "
            "message it accepted, in order, and none it refused. On inproc the queue holds "
            "exactly SNDHWM + RCVHWM messages and a send with a timeout is refused too."
        ),
        source=_MANDATORY_MAN_PAGE,
        pairings=_ROUTER_TO_A_QUEUEING_PEER,
    ),
    Family(
        name="router-hwm-drop",
        statement=(
            "A ROUTER whose queue to a peer is full (found with ROUTER_MANDATORY, which is then "
            "turned off) neither blocks nor fails: sends with and without a timeout succeed, "
            "and what the peer finally receives is every message accepted before, then an "
            "in-order selection of the later ones. On inproc, where nothing drains the queue, "
            "exactly the later ones are dropped."
        ),
        source=f"{_RFC28_ROUTER_SEND}; {_MANDATORY_MAN_PAGE}",
        pairings=_ROUTER_TO_A_QUEUEING_PEER,
    ),
    Family(
        name="dealer-hwm",
        statement=(
            "A DEALER sending to a peer that does not read reports EAGAIN on a non-blocking "
            "send once its queue is full (small SNDHWM and RCVHWM), and loses nothing: the "
            "peer receives every accepted message, in order, and no refused one. On inproc the "
            "queue holds exactly SNDHWM + RCVHWM messages and a send with a timeout is refused "
            "too."
        ),
        source=f'{_RFC28_DEALER_SEND}; RFC 28 DEALER: "SHALL not accept further messages when '
        'it has no available peers"',
        pairings=_DEALER_TO_A_QUEUEING_PEER,
    ),
    Family(
        name="hwm-after-connect",
        statement=(
            "A SNDHWM set on a DEALER once it is connected (after its connect, or, bound, once "
            "its peer's first message has arrived) holds for that connection: over "
            "inproc, to a peer that does not read, its queue takes exactly the new SNDHWM plus "
            "the peer's RCVHWM, and the peer receives every message it took, in order."
        ),
        source=(
            'zmq_setsockopt(3): "All options, with the exception of [...] ZMQ_SNDHWM and '
            'ZMQ_RCVHWM, only take effect for subsequent socket bind/connects"'
        ),
        pairings=_DEALER_TO_A_QUEUEING_PEER,
        transports=("inproc",),
    ),
    Family(
        name="rep-never-blocks",
        statement=(
            "A REP replying to a client that does not read never blocks or fails: each reply "
            "sent without a timeout succeeds, the client receives an in-order selection of "
            "them, and the REP goes on serving. On inproc exactly the first SNDHWM + RCVHWM "
            "replies are delivered."
        ),
        source='RFC 28 "The REP Socket Type": "SHALL not block on sending"',
        pairings=_REP_WITH_DEALER,
    ),
    Family(
        name="immediate",
        statement=(
            "A REQ or DEALER with IMMEDIATE queues messages only to completed connections: "
            "connected only to an endpoint nobody listens on, it refuses a send with EAGAIN; "
            "connected to that endpoint and then to a live peer, every message reaches the "
            "live peer. Only tcp and ipc: the man page limits IMMEDIATE to connection-oriented "
            "transports, and libzmq ignores it on inproc."
        ),
        source=(
            'zmq_setsockopt(3) ZMQ_IMMEDIATE: "If this option is set to 1, messages shall be '
            'queued only to completed connections."'
        ),
        pairings=_CLIENTS_OF_MANY_PEERS,
        transports=CONNECTION_ORIENTED,
    ),
)
"""What a full queue does: drop, refuse or never block, per socket type."""

DISTRIBUTION = (
    Family(
        name="round-robin",
        statement=(
            "A REQ or DEALER connected to N bound peers (2 to 4) spreads k x N messages "
            "round-robin: each peer gets exactly k, and messages i and i + N go to the same "
            "peer. (libzmq visits the peers in connect() order; the order is not checked.)"
        ),
        source=(
            'RFC 28 "The REQ Socket Type" and "The DEALER Socket Type": "SHALL route outgoing '
            'messages to connected peers using a round-robin strategy"'
        ),
        pairings=_CLIENTS_OF_MANY_PEERS,
    ),
    Family(
        name="fair-queue",
        statement=(
            "A bound REP, ROUTER or DEALER receiving from 2 to 4 senders receives every "
            "message of every sender, each sender's in the order sent; the order across "
            "senders is not checked (libzmq does not guarantee it). A ROUTER gives each "
            "sender one routing id."
        ),
        source=(
            'RFC 28 REP, DEALER and ROUTER: "SHALL receive incoming messages from its peers '
            'using a fair-queuing strategy"'
        ),
        pairings=_CLIENTS_OF_MANY_PEERS,
    ),
    Family(
        name="dealer-skips-full-pipe",
        statement=(
            "A DEALER connected first to an endpoint nobody listens on and then to a live "
            "peer never blocks: once the dead peer's queue is full (SNDHWM, at most that many "
            "messages) it is skipped, every later message reaches the live peer, and the live "
            "peer receives its messages in order."
        ),
        source=_RFC28_DEALER_SEND,
        pairings=_DEALER_TO_MANY_PEERS,
    ),
)
"""How work is spread over several peers and gathered from them."""

FAMILIES = (*IDENTITY, *STATE_MACHINE, *QUEUEING, *DISTRIBUTION)
