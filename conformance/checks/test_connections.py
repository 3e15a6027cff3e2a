"""A connection's whole life: before the peer binds, when a peer leaves, when it comes back.

Every wait here is for an outcome, with a deadline, never for time to
pass: the bound peer's first send waits for the reconnection (a bound REQ
or DEALER blocks until it has a peer; a ROUTER retries while the id is
unroutable), and a departure is seen when ROUTER_MANDATORY refuses the
departed id.  The sockets that must reconnect get RECONNECT_IVL of 1 ms,
so that a correct implementation reconnects in about a millisecond instead
of libzmq's default 100 ms.

Only connect-before-bind draws its messages: that family is about what a
queue without a connection keeps.  The others are about the connection
event, and draw only its shape (how many peers, which one leaves, how many
restarts, handover or not), a space small enough that Hypothesis runs all
of it; their messages are numbered texts, so that a stray one says where
it came from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Socket, ZmqError
from conformance.bindings.driver import DriverBinding
from conformance.catalogue.vocabulary import IUT, IUT_BINDS, LIBZMQ, SELF
from conformance.harness.assertions import assert_message, receive
from conformance.harness.exchange import (
    POLL_SLICE_MS,
    Exchange,
    application_frames,
    is_delimited,
    make_misrouting_visible,
    receive_from_any,
    router_router_options,
    send_when_routable,
    try_receive,
)
from conformance.harness.network import ABSENCE_MS, TIMEOUT_MS, Pair
from conformance.harness.strategies import NoiseBytes, messages

FAST_RECONNECT = {"RECONNECT_IVL": 1}
"""On a socket that must reconnect: 1 ms instead of libzmq's default 100 ms."""

BINDER_ID = b"binder"
"""The id of a bound ROUTER whose connecting ROUTER peers must address it."""


def _reconnecting(transport: str, options: dict | None = None) -> dict:
    """``options`` plus a fast reconnection where there is one (not on inproc)."""
    return {**(options or {}), **(FAST_RECONNECT if transport != "inproc" else {})}


# -- connect before bind ------------------------------------------------------------


def _reply(server: Socket, got: list[bytes], answer: list[bytes], delimited: bool) -> None:
    """``server`` answers what it received along its envelope."""
    if server.type == "REP":
        server.send(answer, TIMEOUT_MS)
        return
    route = got[0] if server.type == "ROUTER" else None
    server.send(
        application_frames(server.type, answer, delimited=delimited, route=route), TIMEOUT_MS
    )


def _arriving_in_order(
    server: Socket, bodies: list[list[bytes]], delimited: bool, where: str
) -> Iterator[list[bytes]]:
    """Each of one sender's ``bodies`` as ``server`` receives it: whole, in order, one route.

    ``where`` says when, ``{}`` standing for the message's number.
    """
    routes = set()
    for number, body in enumerate(bodies):
        got = receive(server, f"{server.type}, {where.format(number)}")
        route = got[0] if server.type == "ROUTER" and got else None
        routes.add(route)
        expected = application_frames(server.type, body, delimited=delimited, route=route)
        assert_message(got, expected, f"{server.type} received message {number}")
        assert len(routes) == 1, f"one sender's messages came with routing ids {routes!r}"
        yield got


@pytest.mark.zmq_family("connect-before-bind")
@given(data=st.data(), answer=messages)
def test_what_is_sent_before_the_bind_arrives_after_it(network, case, data, answer):
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    most = 1 if client_type == "REQ" else 3
    bodies = data.draw(st.lists(messages, min_size=1, max_size=most), label="sent before bind")
    with network.endpoints.vacant(case.transport) as (endpoint, free), network.sockets():
        client = network.socket(
            network.peering.connector, client_type, _reconnecting(case.transport)
        )
        client.connect(endpoint)
        for number, body in enumerate(bodies):
            try:
                client.send(application_frames(client_type, body, delimited=delimited), 0)
            except ZmqError as exc:
                raise AssertionError(
                    f"{client_type} connected to an endpoint not yet bound refused message "
                    f"{number} with {exc.code}: it keeps no queue before the connection"
                ) from None
        free()
        server = network.socket(network.peering.binder, server_type)
        server.bind(endpoint)
        arrivals = _arriving_in_order(server, bodies, delimited, "bound after message {} was sent")
        for got in arrivals:
            _reply(server, got, answer, delimited)  # a REP answers each before the next
        expected = application_frames(client_type, answer, delimited=delimited)
        for number in range(len(bodies)):
            assert_message(
                receive(client, client_type),
                expected,
                f"{client_type} received answer {number}",
            )


# -- closed with a linger -----------------------------------------------------------

LINGER_MS = TIMEOUT_MS
"""Long enough for any correct implementation to deliver a few small messages."""


@pytest.mark.zmq_family("linger-at-close")
@given(data=st.data(), bind_first=st.booleans())
def test_a_close_with_a_linger_keeps_what_is_queued(network, case, data, bind_first):
    """Connected before the bind and closed before it, or IMMEDIATE and closed at once.

    With ``bind_first`` the sender has IMMEDIATE set and its peer is there:
    its sends wait for the connection, and it is closed right after them.
    Otherwise its messages wait for a peer that binds only after the close.
    The receiver is libzmq's: when the sender's connection closes, RFC 28
    lets a receiver discard what it had not delivered yet, and libzmq keeps
    it, so only the sender is judged.
    """
    if network.peering == IUT_BINDS:
        pytest.skip("UNSUPPORTED: the implementation is judged as the sender: see iut-connects")
    if network.peering == SELF and isinstance(network.libzmq, DriverBinding):
        # A driver's self run starts no libzmq peer; in process, libzmq is at hand.
        pytest.skip("UNSUPPORTED: the receiver is libzmq's: see iut-connects")
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    most = 1 if client_type == "REQ" or server_type == "REP" else 3  # a REP would have to answer
    bodies = data.draw(st.lists(messages, min_size=1, max_size=most), label="sent, then closed")
    with network.endpoints.vacant(case.transport) as (endpoint, free), network.sockets():
        options = {"IMMEDIATE": True} if bind_first else {}
        if "RECONNECT_IVL" in network.iut.capabilities.options:  # else the default 100 ms
            options = _reconnecting(case.transport, options)
        client = network.socket(IUT, client_type, options)
        server = network.socket(LIBZMQ, server_type)
        if bind_first:
            free()
            server.bind(endpoint)
        client.connect(endpoint)
        for body in bodies:
            client.send(application_frames(client_type, body, delimited=delimited), TIMEOUT_MS)
        client.close_lingering(LINGER_MS)
        if not bind_first:
            free()
            server.bind(endpoint)
        where = f"after the {client_type} closed with a linger (message {{}})"
        list(_arriving_in_order(server, bodies, delimited, where))  # every one, checked


# -- a bound peer restarted ---------------------------------------------------------


def _bind_again(sock: Socket, endpoint: str) -> None:
    """Bind ``sock`` at ``endpoint``, retrying while the closed peer still holds it.

    Closing a socket releases its endpoint in the background (libzmq's
    reaper thread): on tcp the port is in use for a moment after ``close``.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        try:
            sock.bind(endpoint)
            return
        except ZmqError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{endpoint} could not be bound again within {TIMEOUT_MS} ms of closing "
                    f"the socket bound there: {exc}"
                ) from None


def _restart_options(connects: str, binds: str, transport: str) -> tuple[dict, dict]:
    """Options for the connector and the binders: explicit ids where a ROUTER must route first."""
    if connects == binds == "ROUTER":
        connector, binder = router_router_options()
    else:
        connector = {"ROUTING_ID": b"connector"} if binds == "ROUTER" else {}
        binder = {"ROUTING_ID": BINDER_ID} if connects == "ROUTER" else {}
    return _reconnecting(transport, connector), binder


def _binder_first(pair: Pair, body: list[bytes], answer: list[bytes], who: str) -> None:
    """The binder speaks first and the connector answers, over ``pair``."""
    exchange = Exchange(pair)
    if pair.binder.type == "ROUTER" and pair.connector.type != "ROUTER":
        exchange.learn_route(1, b"connector")
    try:
        exchange.send(1, body)
    except ZmqError as exc:
        raise AssertionError(
            f"{who} could not send to the connector within {TIMEOUT_MS} ms ({exc.code}): "
            "the connector did not connect to it"
        ) from None
    exchange.receive(0, body)
    exchange.transfer(0, answer)


@pytest.mark.zmq_family("peer-restart")
@given(restarts=st.integers(min_value=1, max_value=2))
def test_connector_reconnects_to_a_restarted_peer(network, case, restarts):
    connects, binds = case.pairing.connects, case.pairing.binds
    connector_options, binder_options = _restart_options(connects, binds, case.transport)
    with network.endpoints.vacant(case.transport) as (endpoint, free), network.sockets():
        binder = network.socket(network.peering.binder, binds, binder_options)
        free()
        binder.bind(endpoint)
        connector = network.socket(network.peering.connector, connects, connector_options)
        connector.connect(endpoint)
        _binder_first(Pair(connector, binder, endpoint), [b"hello 0"], [b"answer 0"], "the peer")
        for restart in range(1, restarts + 1):
            binder.close()
            binder = network.socket(network.peering.binder, binds, binder_options)
            _bind_again(binder, endpoint)
            _binder_first(
                Pair(connector, binder, endpoint),
                [b"hello %d" % restart],
                [b"answer %d" % restart],
                f"the peer bound again (restart {restart})",
            )


# -- departure and a routing id reused ----------------------------------------------


def _named_peer(network, case, rid: bytes) -> Socket:
    """A peer of the case's connecting type with routing id ``rid`` (not yet connected)."""
    options = {"ROUTING_ID": rid}
    if case.pairing.connects == "ROUTER":
        options["ROUTER_MANDATORY"] = True
    return network.socket(network.peering.connector, case.pairing.connects, options)


def _bound_router(network, case, options: dict) -> tuple[Socket, str]:
    if case.pairing.connects == "ROUTER":
        options = {**options, "ROUTING_ID": BINDER_ID}
    router = network.socket(network.peering.binder, "ROUTER", options)
    make_misrouting_visible(router)
    return router, router.bind(network.endpoints.new(case.transport))


def _say(peer: Socket, text: bytes) -> None:
    """One frame of ``text`` from a peer to the bound ROUTER, in the peer's envelope."""
    if peer.type == "ROUTER":
        send_when_routable(peer, [BINDER_ID, text])
    else:
        peer.send(application_frames(peer.type, [text], delimited=peer.type == "REQ"), TIMEOUT_MS)


def _hear(peer: Socket, text: bytes, who: str) -> None:
    """``peer`` receives one frame of ``text`` from the bound ROUTER."""
    if peer.type == "ROUTER":
        expected = [BINDER_ID, text]
    else:
        expected = application_frames(peer.type, [text], delimited=peer.type == "REQ")
    assert_message(receive(peer, who), expected, f"{who} received")


def _router_frames(peer_type: str, rid: bytes, text: bytes) -> list[bytes]:
    return application_frames("ROUTER", [text], delimited=peer_type == "REQ", route=rid)


def _wait_until_refused(router: Socket, rid: bytes, peer_type: str) -> None:
    """Send to ``rid`` until ROUTER_MANDATORY refuses it: the ROUTER has seen its peer go.

    Between tries the ROUTER receives for a moment: that is where it takes
    the end of the departed peer's connection (libzmq answers EAGAIN, not
    EHOSTUNREACH, for a departed peer whose queue filled up, until then),
    and nothing may arrive meanwhile.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    tries = 0
    while True:
        try:
            router.send(_router_frames(peer_type, rid, b"to the departed %d" % tries), 0)
        except ZmqError as exc:
            if exc.code == ErrorCode.EHOSTUNREACH:
                return
            if exc.code != ErrorCode.EAGAIN:
                raise
        tries += 1
        if time.monotonic() > deadline:
            raise AssertionError(
                f"ROUTER still accepted messages for routing id {rid!r} {TIMEOUT_MS} ms after "
                f"its peer closed ({tries} sends): it never saw the peer go"
            )
        arrival = receive_from_any([router], POLL_SLICE_MS)
        assert arrival is None, (
            f"ROUTER received {arrival[1]!r} while the peer with id {rid!r} was leaving"
        )


def _nothing_more(router: Socket, rid: bytes) -> None:
    """The ROUTER receives nothing for ``ABSENCE_MS``: it has let the departed peer go.

    libzmq frees a departed peer's id only once a receive has taken the end
    of its connection, a moment after it refuses the id; a newcomer with the
    id that connects before that is ignored for good.  Nothing marks that
    moment, so this waits for it, the one wait of the family that runs out.
    """
    try:
        got = router.recv(ABSENCE_MS)
    except ZmqError as exc:
        if exc.code != ErrorCode.EAGAIN:
            raise
        return
    raise AssertionError(f"ROUTER received {got!r} after the peer with id {rid!r} closed")


@pytest.mark.zmq_family("peer-departure")
@given(peers=st.integers(min_value=2, max_value=3), leaver=st.integers(min_value=0, max_value=2))
def test_router_refuses_a_departed_peer_and_serves_the_rest(network, case, peers, leaver):
    leaver %= peers
    peer_type = case.pairing.connects
    with network.sockets():
        router, endpoint = _bound_router(network, case, {"ROUTER_MANDATORY": True})
        ids = [b"peer %d" % index for index in range(peers)]
        sockets = [_named_peer(network, case, rid) for rid in ids]
        for index, peer in enumerate(sockets):
            peer.connect(endpoint)
            _say(peer, b"hello from %d" % index)
        for _ in sockets:
            got = receive(router, "ROUTER")
            assert got and got[0] in ids, f"ROUTER received {got!r}, from no peer"
            index = ids.index(got[0])
            assert_message(
                got, _router_frames(peer_type, ids[index], b"hello from %d" % index), "ROUTER"
            )
            router.send(_router_frames(peer_type, ids[index], b"welcome %d" % index), TIMEOUT_MS)
            _hear(sockets[index], b"welcome %d" % index, f"peer {index}")
        sockets[leaver].close()
        _wait_until_refused(router, ids[leaver], peer_type)
        remaining = [index for index in range(peers) if index != leaver]
        for index in remaining:
            _say(sockets[index], b"still here %d" % index)
        heard = set()
        for _ in remaining:
            got = receive(router, f"ROUTER, after peer {leaver} left")
            index = ids.index(got[0]) if got and got[0] in ids else None
            assert index in remaining and index not in heard, (
                f"ROUTER received {got!r} after peer {leaver} left; expected one message from "
                f"each of peers {remaining}"
            )
            heard.add(index)
            assert_message(
                got, _router_frames(peer_type, ids[index], b"still here %d" % index), "ROUTER"
            )
        for index in remaining:
            router.send(_router_frames(peer_type, ids[index], b"reply %d" % index), TIMEOUT_MS)
            _hear(sockets[index], b"reply %d" % index, f"peer {index}, after peer {leaver} left")


@pytest.mark.zmq_family("routing-id-reuse")
@given(handover=st.booleans())
def test_a_new_peer_takes_up_a_departed_peers_id(network, case, handover):
    peer_type = case.pairing.connects
    rid = b"reused"
    with network.sockets():
        router, endpoint = _bound_router(
            network, case, {"ROUTER_MANDATORY": True, "ROUTER_HANDOVER": handover}
        )
        first = _named_peer(network, case, rid)
        first.connect(endpoint)
        _say(first, b"from the first")
        assert_message(
            receive(router, "ROUTER"),
            _router_frames(peer_type, rid, b"from the first"),
            "ROUTER received from the first peer",
        )
        first.close()
        if not handover:
            _wait_until_refused(router, rid, peer_type)
            _nothing_more(router, rid)
        newcomer = _named_peer(network, case, rid)
        newcomer.connect(endpoint)
        _say(newcomer, b"from the newcomer")
        assert_message(
            receive(router, "ROUTER"),
            _router_frames(peer_type, rid, b"from the newcomer"),
            f"ROUTER received from the newcomer with the departed peer's id {rid!r}",
        )
        router.send(_router_frames(peer_type, rid, b"to the newcomer"), TIMEOUT_MS)
        _hear(newcomer, b"to the newcomer", "the newcomer")


# -- unbind and bind again; MAXMSGSIZE ----------------------------------------------


@pytest.mark.zmq_family("unbind-rebind")
def test_a_socket_unbound_and_bound_again_serves_a_new_peer(network, case):
    """The peer of before has closed: what becomes of one still connected is not checked.

    libzmq 4.3.5 drops the bound socket's pipe to such a peer at ``unbind``,
    or a moment later, but not the connection; that peer loses the next
    message it sends, and only then reconnects.
    """
    with network.endpoints.vacant(case.transport) as (endpoint, free), network.sockets():
        binder = network.socket(network.peering.binder, case.pairing.binds)
        free()
        binder.bind(endpoint)
        for round, when in enumerate(("before", "after")):
            connector = network.socket(network.peering.connector, case.pairing.connects)
            connector.connect(endpoint)
            exchange = Exchange(Pair(connector, binder, endpoint))
            exchange.transfer(0, [b"request %d, %s unbind" % (round, when.encode())])
            exchange.transfer(1, [b"reply %d" % round])
            connector.close()
            if when == "after":
                break
            binder.unbind(endpoint)
            try:
                binder.unbind(endpoint)
            except ZmqError:
                pass
            else:
                raise AssertionError(f"unbinding {endpoint} again succeeded: it was not bound")
            _bind_again(binder, endpoint)


MAXMSGSIZE = 1000


@pytest.mark.zmq_family("maxmsgsize")
def test_a_message_over_maxmsgsize_is_never_delivered(network, case):
    """The peer over the limit sends first; the server must receive the other one's message."""
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    too_large = NoiseBytes(seed=1, size=MAXMSGSIZE + 1)
    at_the_limit = NoiseBytes(seed=2, size=MAXMSGSIZE)
    with network.sockets():
        server = network.socket(network.peering.binder, server_type, {"MAXMSGSIZE": MAXMSGSIZE})
        endpoint = server.bind(network.endpoints.new(case.transport))
        for body in (too_large, at_the_limit):
            client = network.socket(network.peering.connector, client_type)
            client.connect(endpoint)
            client.send(application_frames(client_type, [body], delimited=delimited), TIMEOUT_MS)
        got = receive(server, f"{server_type} with MAXMSGSIZE {MAXMSGSIZE}")
        route = got[0] if server_type == "ROUTER" and got else None
        expected = application_frames(server_type, [at_the_limit], delimited=delimited, route=route)
        assert_message(got, expected, f"{server_type} with MAXMSGSIZE {MAXMSGSIZE} received first")
        late = try_receive(server, ABSENCE_MS)
        assert late is None, f"{server_type} with MAXMSGSIZE {MAXMSGSIZE} delivered {late!r} too"
