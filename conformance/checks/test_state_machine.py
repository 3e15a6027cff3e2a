"""What is refused, with which error, and what the socket's state is afterwards.

A refusal is checked twice: the error code itself, and the state it left
behind, by a positive observation rather than a wait: the refused message
must not be the next thing the peer receives, and the exchange that was
pending must still complete.  The binding interface sends whole messages,
so the EFSM cases in the middle of a multipart message are out of reach.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, expect_error, receive
from conformance.harness.attempts import attempt
from conformance.harness.exchange import (
    application_frames,
    is_delimited,
    make_misrouting_visible,
    open_pair,
    receive_from_any,
    send_when_routable,
)
from conformance.harness.identities import routing_ids
from conformance.harness.network import IUT, TIMEOUT_MS
from conformance.harness.strategies import short_messages

SHORT_TIMEOUT_MS = 1
"""A send timeout that must run out: long enough to be a real wait, short enough to be cheap."""


def _ends(pair, type: str) -> tuple[Socket, Socket]:
    """The end of ``type`` and the other end."""
    sock = pair[type]
    return sock, pair.binder if sock is pair.connector else pair.connector


def _request_at(server: Socket, body: Frames) -> Frames:
    """Receive a request at a REP or ROUTER; the frames to put before its reply.

    For a ROUTER that is everything up to the first empty frame: the routing
    id, a REQ_CORRELATE request id if any, and the delimiter.
    """
    got = receive(server, server.type)
    if server.type == "REP":
        assert_message(got, body, "REP received")
        return []
    assert b"" in got[1:], f"ROUTER received {got!r}, with no delimiter after the routing id"
    delimiter = got.index(b"", 1)
    assert_message(got[delimiter + 1 :], body, "ROUTER received, after the envelope")
    return got[: delimiter + 1]


# -- REQ and REP: EFSM, and the state after it -------------------------------------


@pytest.mark.zmq_family("req-efsm")
@given(request=short_messages, reply=short_messages)
def test_req_refuses_out_of_turn_and_keeps_its_state(network, case, request, reply):
    with open_pair(network, case) as pair:
        req, server = _ends(pair, "REQ")
        if server.type == "ROUTER":
            make_misrouting_visible(server)
        expect_error(ErrorCode.EFSM, req.recv, 0)
        req.send(request, TIMEOUT_MS)
        expect_error(ErrorCode.EFSM, req.send, [b"a second request"], 0)
        envelope = _request_at(server, request)
        server.send([*envelope, *reply], TIMEOUT_MS)
        assert_message(receive(req, "REQ"), reply, "REQ received the reply")
        req.send([b"the next request"], TIMEOUT_MS)
        _request_at(server, [b"the next request"])  # and not the refused one


@pytest.mark.zmq_family("rep-efsm")
@given(requests=st.lists(short_messages, min_size=2, max_size=2), reply=short_messages)
def test_rep_refuses_out_of_turn_and_keeps_its_state(network, case, requests, reply):
    with open_pair(network, case) as pair:
        rep, client = _ends(pair, "REP")
        delimited = is_delimited(client.type, rep.type)
        expect_error(ErrorCode.EFSM, rep.send, [b"a reply nobody asked for"], 0)
        # A DEALER can queue a second request, so the refused recv has one to take.
        pending = requests if client.type == "DEALER" else requests[:1]
        for request in pending:
            client.send(application_frames(client.type, request, delimited=delimited), TIMEOUT_MS)
        for number, request in enumerate(pending):
            assert_message(receive(rep, "REP"), request, f"REP received request {number}")
            expect_error(ErrorCode.EFSM, rep.recv, 0)
            answer = [f"reply {number}".encode(), *reply]
            rep.send(answer, TIMEOUT_MS)
            got = receive(client, client.type)
            expected = application_frames(client.type, answer, delimited=delimited)
            assert_message(got, expected, f"{client.type} received reply {number}")


# -- REQ_RELAXED and REQ_CORRELATE ----------------------------------------------------


def _relaxed_pair(network, case, **req_options):
    """The case's REQ-ROUTER pair, the REQ made with ``req_options``."""
    side = "connector_options" if case.pairing.connects == "REQ" else "binder_options"
    return open_pair(network, case, **{side: req_options})


@pytest.mark.zmq_family("req-relaxed")
@given(first=short_messages, second=short_messages, answer=short_messages)
def test_relaxed_req_may_send_again(network, case, first, second, answer):
    with _relaxed_pair(network, case, REQ_RELAXED=True) as pair:
        req, router = _ends(pair, "REQ")
        make_misrouting_visible(router)
        expect_error(ErrorCode.EFSM, req.recv, 0)
        req.send(first, TIMEOUT_MS)
        _request_at(router, first)
        req.send(second, TIMEOUT_MS)
        envelope = _request_at(router, second)
        router.send([*envelope, *answer], TIMEOUT_MS)
        assert_message(receive(req, "REQ"), answer, "REQ received the reply to its new request")


def _supersede(req: Socket, router: Socket) -> None:
    """Request A, then B before A's reply; the ROUTER answers A late, then B."""
    req.send([b"A"], TIMEOUT_MS)
    stale = _request_at(router, [b"A"])
    req.send([b"B"], TIMEOUT_MS)
    fresh = _request_at(router, [b"B"])
    router.send([*stale, b"reply to A"], TIMEOUT_MS)
    router.send([*fresh, b"reply to B"], TIMEOUT_MS)


@pytest.mark.zmq_family("req-stale-reply")
def test_what_a_relaxed_req_does_with_a_late_reply(network, case):
    side = network.peering.connector if case.pairing.connects == "REQ" else network.peering.binder
    if side != IUT:
        network.observe("not observed in this peering: the REQ is libzmq's")
        return
    with _relaxed_pair(network, case, REQ_RELAXED=True) as pair:
        req, router = _ends(pair, "REQ")
        make_misrouting_visible(router)
        _supersede(req, router)
        got = receive(req, "REQ")
    observations = {
        (b"reply to A",): "a late reply to a superseded request is returned for the new one",
        (b"reply to B",): "a late reply to a superseded request is dropped (as with REQ_CORRELATE)",
    }
    assert tuple(got) in observations, f"REQ returned {got!r}, neither reply"
    network.observe(observations[tuple(got)])


@pytest.mark.zmq_family("req-correlate")
@given(body=short_messages)
def test_correlating_req_drops_a_late_reply(network, case, body):
    with _relaxed_pair(network, case, REQ_RELAXED=True, REQ_CORRELATE=True) as pair:
        req, router = _ends(pair, "REQ")
        make_misrouting_visible(router)
        _supersede(req, router)
        assert_message(
            receive(req, "REQ"), [b"reply to B"], "REQ received (the late reply to A dropped)"
        )
        req.send(body, TIMEOUT_MS)
        envelope = _request_at(router, body)
        router.send([*envelope, b"reply to C"], TIMEOUT_MS)
        assert_message(receive(req, "REQ"), [b"reply to C"], "REQ received its next reply")


# -- a REQ with several peers: the reply comes from the peer asked ------------------

REQ_ID = b"the REQ"
STRAY_WAIT_MS = 20
"""How long the REQ is given to return the stray: it has been there since before the request."""


@pytest.mark.zmq_family("req-reply-source")
def test_req_takes_its_reply_only_from_the_peer_it_asked(network, case):
    """The peer asked first sends a stray message before the second request goes out.

    Round-robin sends the second request to the other ROUTER; before that one
    replies, the REQ receives: the stray is all it could return, and it must
    return nothing.  Whether the stray has crossed its connection by then is
    a matter of timing, so the scenario is attempted several times.
    """
    attempt(network, lambda: _stray_then_reply(network, case))


def _stray_then_reply(network, case) -> None:
    with network.sockets():
        req = network.socket(network.peering.connector, "REQ", {"ROUTING_ID": REQ_ID})
        routers = []
        for _ in range(2):
            router = network.socket(network.peering.binder, "ROUTER", {"ROUTER_MANDATORY": True})
            req.connect(router.bind(network.endpoints.new(case.transport)))
            routers.append(router)
        first = _request(req, routers, b"first")
        _reply(req, routers[first], b"first")
        send_when_routable(routers[first], [REQ_ID, b"", b"from the peer not asked"])
        second = _request(req, routers, b"second")
        if second != first:  # the same peer asked twice is round-robin's concern
            stray = _try_receive(req)
            assert stray is None, f"REQ returned {stray!r} from the peer it did not ask"
        _reply(req, routers[second], b"second")


def _request(req: Socket, routers: list[Socket], name: bytes) -> int:
    """Send a request; which ROUTER received it."""
    req.send([name + b" request"], TIMEOUT_MS)
    arrival = receive_from_any(routers)
    assert arrival is not None, f"neither ROUTER received the {name.decode()} request"
    asked, got = arrival
    assert_message(got, [REQ_ID, b"", name + b" request"], f"ROUTER {asked} received")
    return asked


def _reply(req: Socket, router: Socket, name: bytes) -> None:
    router.send([REQ_ID, b"", name + b" reply"], TIMEOUT_MS)
    assert_message(receive(req, "REQ"), [name + b" reply"], "REQ received")


def _try_receive(req: Socket) -> Frames | None:
    try:
        return req.recv(STRAY_WAIT_MS)
    except ZmqError as exc:
        if exc.code != ErrorCode.EAGAIN:
            raise
        return None


# -- no peer: EAGAIN -------------------------------------------------------------------


@pytest.mark.zmq_family("no-peer-eagain")
@given(body=short_messages)
def test_send_without_a_peer_is_refused_and_forgotten(network, case, body):
    peer_type, lonely_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(peer_type, lonely_type)
    refused = application_frames(lonely_type, [b"sent to nobody"], delimited=delimited)
    with network.sockets():
        lonely = network.socket(network.peering.binder, lonely_type)
        endpoint = lonely.bind(network.endpoints.new(case.transport))
        expect_error(ErrorCode.EAGAIN, lonely.send, refused, 0)
        expect_error(ErrorCode.EAGAIN, lonely.send, refused, SHORT_TIMEOUT_MS)
        peer = network.socket(network.peering.connector, peer_type)
        peer.connect(endpoint)
        lonely.send(application_frames(lonely_type, body, delimited=delimited), TIMEOUT_MS)
        got = receive(peer, peer_type)
        if peer_type == "ROUTER":
            got = got[1:]
        expected = application_frames(
            peer_type if peer_type != "ROUTER" else "DEALER", body, delimited=delimited
        )
        assert_message(got, expected, f"{peer_type} received first, after it connected")


# -- ROUTER_MANDATORY, and dropping without it ---------------------------------------


def _router_and_peer(network, case, mandatory: bool):
    """The ROUTER under test, its peer, and the id it knows the peer by, after a hello.

    ROUTER-ROUTER: the bound ROUTER is under test; the connecting one, with
    ROUTER_MANDATORY, says hello first, to the bound one's explicit id.
    """
    connects, binds = case.pairing.connects, case.pairing.binds
    router_options = {"ROUTER_MANDATORY": mandatory}
    if connects == binds == "ROUTER":
        router_options["ROUTING_ID"] = b"binder"
        options = {
            "binder_options": router_options,
            "connector_options": {"ROUTING_ID": b"connector", "ROUTER_MANDATORY": True},
        }
    else:
        side = "binder_options" if binds == "ROUTER" else "connector_options"
        options = {side: router_options}
    return network.pair(connects, binds, case.transport, **options)


def _hello(router: Socket, peer: Socket, delimited: bool) -> bytes:
    """The peer speaks first; the routing id the ROUTER received it under."""
    if peer.type == "ROUTER":
        send_when_routable(peer, [b"binder", b"hello"])
    else:
        peer.send(application_frames(peer.type, [b"hello"], delimited=delimited), TIMEOUT_MS)
    got = receive(router, "ROUTER")
    return got[0]


def _peer_of(pair) -> tuple[Socket, Socket]:
    """(ROUTER under test, its peer): the bound ROUTER when both ends are ROUTERs."""
    if pair.connector.type == pair.binder.type == "ROUTER":
        return pair.binder, pair.connector
    return _ends(pair, "ROUTER")


def _check_answer(peer: Socket, answer: Frames, delimited: bool) -> None:
    """The peer's next message is ``answer``: nothing sent before it reached this peer."""
    got = receive(peer, peer.type)
    if peer.type == "ROUTER":
        got = got[1:]
        expected = list(answer)
    else:
        expected = application_frames(peer.type, answer, delimited=delimited)
    assert_message(got, expected, f"{peer.type} peer received first")


@pytest.mark.zmq_family("router-mandatory")
@given(unknown=routing_ids, body=short_messages, answer=short_messages)
def test_mandatory_router_refuses_an_unknown_id(network, case, unknown, body, answer):
    delimited = is_delimited(case.pairing.connects, case.pairing.binds)
    with _router_and_peer(network, case, mandatory=True) as pair:
        router, peer = _peer_of(pair)
        rid = _hello(router, peer, delimited)
        assume(unknown != rid)
        unroutable = application_frames("ROUTER", body, delimited=delimited, route=unknown)
        expect_error(ErrorCode.EHOSTUNREACH, router.send, unroutable, TIMEOUT_MS)
        router.send(
            application_frames("ROUTER", answer, delimited=delimited, route=rid), TIMEOUT_MS
        )
        _check_answer(peer, answer, delimited)


@pytest.mark.zmq_family("router-unroutable-drop")
@given(unknown=routing_ids, body=short_messages, answer=short_messages)
def test_router_drops_an_unknown_id_silently(network, case, unknown, body, answer):
    delimited = is_delimited(case.pairing.connects, case.pairing.binds)
    with _router_and_peer(network, case, mandatory=False) as pair:
        router, peer = _peer_of(pair)
        rid = _hello(router, peer, delimited)
        assume(unknown != rid)
        router.send(
            application_frames("ROUTER", body, delimited=delimited, route=unknown), TIMEOUT_MS
        )
        router.send(
            application_frames("ROUTER", answer, delimited=delimited, route=rid), TIMEOUT_MS
        )
        _check_answer(peer, answer, delimited)
