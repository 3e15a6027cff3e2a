"""Invalid pairings exchange nothing, and the bound socket still serves a valid peer.

The check needs no waiting for absence: the invalid peer connects (and
speaks, if it can) first; then a valid peer connects, and the bound socket
exchanges a message with it both ways.  Had the bound socket accepted the
invalid peer, the invalid peer would be first in its round-robin and first
in its fair queue, and the exchange with the valid peer would go wrong
visibly: a message from or to the wrong peer, at once.

Whether the bound socket has seen the invalid peer's handshake when the
valid peer's message comes is a matter of timing, so the scenario is
attempted several times (:mod:`conformance.harness.attempts`).
"""

import pytest

from conformance.binding import ErrorCode, ZmqError
from conformance.harness.assertions import assert_message
from conformance.harness.attempts import attempt
from conformance.harness.exchange import Exchange, first_speakers, receive_from_any
from conformance.harness.network import TIMEOUT_MS, Pair

VALID_PEER = {"REQ": "REP", "REP": "REQ", "DEALER": "DEALER", "ROUTER": "DEALER"}
"""For each type of bound socket, a valid peer to connect after the invalid one."""

BINDER_ID = b"binder"
PROBE = [b"", b"from the invalid peer"]


@pytest.mark.zmq_family("rejection", "rejection-inproc")
def test_invalid_peer_gets_nothing_and_valid_peer_is_served(network, case):
    attempt(network, lambda: _invalid_then_valid_peer(network, case))


def _invalid_then_valid_peer(network, case) -> None:
    invalid_type, bound_type = case.pairing.connects, case.pairing.binds
    peering = network.peering
    with network.sockets():
        bound = network.socket(peering.binder, bound_type, {"ROUTING_ID": BINDER_ID})
        endpoint = bound.bind(network.endpoints.new(case.transport))
        invalid = network.socket(peering.connector, invalid_type)
        if _connect_unless_refused(invalid, endpoint):
            _speak_if_possible(invalid)

        valid = network.socket(peering.connector, VALID_PEER[bound_type])
        valid.connect(endpoint)
        exchange = Exchange(Pair(valid, bound, endpoint))
        first = first_speakers((valid.type, bound.type))[-1]  # the bound end if it may
        for sender in (first, 1 - first):
            receiver = exchange.ends[1 - sender]
            exchange.send(sender, [b"for the valid peer"])
            arrival = receive_from_any([receiver, invalid], TIMEOUT_MS)
            assert arrival is not None, f"the valid {receiver.type} peer received nothing"
            index, got = arrival
            assert index == 0, f"the invalid {invalid_type} peer received {got!r}"
            _check_arrival(exchange, 1 - sender, got)


def _connect_unless_refused(invalid, endpoint: str) -> bool:
    """Connect the invalid peer; False if ``connect`` itself refused the pairing.

    libzmq's ``connect`` returns before the handshake and refuses the peer in
    the background.  Where ``connect`` completes the handshake before it
    returns (zmq.rs, zmq4), it may fail with the refusal instead; RFC 23 asks
    only that the two never talk, so that is a refusal like any other.
    ENOTSUP still means the implementation cannot connect at all.
    """
    try:
        invalid.connect(endpoint)
    except ZmqError as exc:
        if exc.code == ErrorCode.ENOTSUP:
            raise
        return False
    return True


def _speak_if_possible(invalid) -> None:
    """Let the invalid peer send first, where its type can; any outcome is fine."""
    frames = {"REQ": PROBE[1:], "DEALER": PROBE, "ROUTER": [BINDER_ID, *PROBE]}.get(invalid.type)
    if frames is None:
        return  # a REP cannot speak first
    try:
        invalid.send(frames, 0)
    except ZmqError as exc:
        if exc.code not in (ErrorCode.EAGAIN, ErrorCode.EHOSTUNREACH):
            raise


def _check_arrival(exchange: Exchange, end: int, got) -> None:
    """What ``end`` received must be the valid peer's message, not the probe."""
    sock = exchange.ends[end]
    if sock.type == "ROUTER":
        exchange.learn_route(end, got[0])
        got = got[1:]
    if sock.type == "DEALER" and exchange.delimited:
        got = got[1:]
    assert_message(got, [b"for the valid peer"], f"the bound {sock.type} received")
