"""Envelopes: what REP stores and restores, what a malformed envelope gets, and proxy chains."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, ZmqError
from conformance.harness.assertions import assert_message, receive
from conformance.harness.exchange import DELIMITER, open_pair
from conformance.harness.network import ABSENCE_MS, TIMEOUT_MS
from conformance.harness.strategies import messages

address_frames = st.binary(min_size=1, max_size=16)
"""An address in an envelope: never empty, or it would be the delimiter."""


@pytest.mark.zmq_family("envelope")
@given(hops=st.lists(address_frames, max_size=4), body=messages, answer=messages)
def test_rep_restores_the_whole_envelope(network, case, hops, body, answer):
    with open_pair(network, case) as pair:
        dealer, rep = pair["DEALER"], pair["REP"]
        dealer.send([*hops, DELIMITER, *body], TIMEOUT_MS)
        assert_message(receive(rep, "REP"), body, "REP received")
        rep.send(answer, TIMEOUT_MS)
        assert_message(receive(dealer, "DEALER"), [*hops, DELIMITER, *answer], "DEALER got back")


@pytest.mark.zmq_family("malformed-request")
@given(malformed=st.lists(address_frames, min_size=1, max_size=4), body=messages)
def test_rep_drops_a_request_without_delimiter(network, case, malformed, body):
    with open_pair(network, case) as pair:
        dealer, rep = pair["DEALER"], pair["REP"]
        dealer.send(malformed, TIMEOUT_MS)
        dealer.send([DELIMITER, *body], TIMEOUT_MS)
        assert_message(receive(rep, "REP"), body, "REP received (after a malformed request)")
        rep.send(body, TIMEOUT_MS)
        assert_message(receive(dealer, "DEALER"), [DELIMITER, *body], "DEALER got back")


MALFORMED_REPLIES = {
    "no delimiter": [b"reply"],
    "junk before the delimiter": [b"junk!", DELIMITER, b"reply"],
    "a 4-byte frame before the delimiter": [b"\x01\x02\x03\x04", DELIMITER, b"reply"],
    "a delimiter and no body": [DELIMITER],
}


@pytest.mark.zmq_family("malformed-reply")
def test_req_never_delivers_a_malformed_reply(network, case):
    """Every malformed shape at once, each on its own pair, so the waits overlap.

    After the malformed reply the ROUTER sends a good one. libzmq drops the
    connection on tcp and ipc (the good reply is lost: the REQ receives
    nothing) and discards the malformed reply on inproc (the REQ receives
    the good one). Either is conforming; delivering the malformed one is not.
    """
    with contextlib.ExitStack() as stack:
        reqs = {}
        for shape, reply in MALFORMED_REPLIES.items():
            pair = stack.enter_context(open_pair(network, case))
            req, router = pair["REQ"], pair["ROUTER"]
            req.send([b"request"], TIMEOUT_MS)
            rid, *request = receive(router, "ROUTER")
            assert_message(request, [DELIMITER, b"request"], "ROUTER received")
            router.send([rid, *reply], TIMEOUT_MS)
            router.send([rid, DELIMITER, b"good"], TIMEOUT_MS)
            reqs[shape] = req
        for shape, req in reqs.items():
            try:
                got = req.recv(ABSENCE_MS)
            except ZmqError as exc:
                if exc.code != ErrorCode.EAGAIN:
                    raise
                continue
            assert_message(got, [b"good"], f"REQ received, after a reply with {shape}")


@pytest.mark.zmq_family("proxy-chain")
@given(hops=st.integers(min_value=1, max_value=4), body=messages, answer=messages)
def test_reply_unwinds_a_chain_of_proxies(network, case, hops, body, answer):
    """client -> [ROUTER|DEALER] x hops -> server, every hop checked on the way and back."""
    client_type, server_type = case.pairing.connects, case.pairing.binds
    binder, connector = network.peering.binder, network.peering.connector
    with network.sockets():
        server = network.socket(binder, server_type)
        endpoint = server.bind(network.endpoints.new(case.transport))
        chain = []  # (frontend ROUTER, backend DEALER), from the server side outwards
        for _ in range(hops):
            backend = network.socket(connector, "DEALER")
            backend.connect(endpoint)
            frontend = network.socket(binder, "ROUTER")
            endpoint = frontend.bind(network.endpoints.new(case.transport))
            chain.append((frontend, backend))
        client = network.socket(connector, client_type)
        client.connect(endpoint)

        client.send(body if client_type == "REQ" else [DELIMITER, *body], TIMEOUT_MS)
        wire = [DELIMITER, *body]
        arrivals = []
        for depth, (frontend, backend) in enumerate(reversed(chain), start=1):
            got = receive(frontend, f"hop {depth} ROUTER")
            assert_message(got[1:], wire, f"hop {depth} ROUTER received, after its routing id")
            wire = got
            arrivals.append(got)
            backend.send(got, TIMEOUT_MS)
        got = receive(server, f"{server_type} server")
        if server_type == "REP":
            assert_message(got, body, "REP server received")
            server.send(answer, TIMEOUT_MS)
        else:
            assert_message(got[1:], wire, "ROUTER server received, after its routing id")
            server.send([*got[: -len(body)], *answer], TIMEOUT_MS)

        for depth, (frontend, backend) in zip(range(hops, 0, -1), chain):
            envelope = arrivals[depth - 1][: -len(body)]
            reply = receive(backend, f"hop {depth} DEALER")
            assert_message(reply, [*envelope, *answer], f"hop {depth} DEALER got back")
            frontend.send(reply, TIMEOUT_MS)
        expected = answer if client_type == "REQ" else [DELIMITER, *answer]
        assert_message(receive(client, "client"), expected, f"{client_type} client got back")
