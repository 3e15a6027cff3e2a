"""The model family: a state machine of RFC 28 that random sequences of steps are checked against.

Where the other families check one semantic each, this one checks how they
compose: a server and up to three clients that join and leave, send and
receive in any order the search picks, with REQ and ROUTER options chosen
per socket.  Every observation must be the one the model predicts
(conformance/model/).
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import Family

FAMILIES = (
    Family(
        name="model",
        statement=(
            "Any sequence of connects, disconnects, sends and receives between a server and its "
            "clients, with REQ_RELAXED, REQ_CORRELATE, ROUTER_MANDATORY and ROUTING_ID chosen "
            "per socket, leaves the sockets where RFC 28 says: a REQ alternates request and "
            "reply (EFSM otherwise; REQ_RELAXED lets it send anew, REQ_CORRELATE drops stale "
            "replies), a REP answers exactly the request it received last (EFSM otherwise), a "
            "ROUTER reaches each connected peer by one routing id of its own (EHOSTUNREACH for "
            "others with ROUTER_MANDATORY, a silent drop without), a connecting DEALER "
            "round-robins in connect order, a socket whose only peer is disconnected cannot "
            "send, messages keep per-peer order and arrive once, and a receive with nothing on "
            "its way gives EAGAIN at once."
        ),
        source=(
            'RFC 28 "The REQ/REP/DEALER/ROUTER Socket Types" (each type\'s states, routing and '
            "queueing rules); libzmq 4.3.5 for REQ_RELAXED, REQ_CORRELATE and ROUTER_MANDATORY"
        ),
        # Every pairing, over tcp (the wire, also between processes) and inproc (no wire):
        # ipc behaves as tcp here and would double the cost over a driver.
        transports=("tcp", "inproc"),
    ),
)
