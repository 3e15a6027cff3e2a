"""Identities: who a message is from, and where a reply goes.

Every test here proves routing by a positive observation: a message sent
to an id is received by the one peer that owns it, checked with
:func:`~conformance.harness.exchange.receive_from_any` over every peer, so a
message that went astray shows up where it went instead of as a wait in
vain.  The one exception is the duplicate peer that must be ignored:
nothing it does can be observed, so that test waits ``ABSENCE_MS`` once.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, expect_error, receive
from conformance.harness.exchange import (
    application_frames,
    is_delimited,
    make_misrouting_visible,
    receive_from_any,
    send_when_routable,
)
from conformance.harness.identities import MAX_ROUTING_ID, describe_automatic_ids, routing_ids
from conformance.harness.network import ABSENCE_MS, IUT, TIMEOUT_MS
from conformance.harness.strategies import short_messages

BINDER_ID = b"binder"
"""The id of a bound ROUTER whose connecting ROUTER peer must address it first."""


def _router_and_peers(network, case, count: int, peer_options=None):
    """The ROUTER end of ``case`` and ``count`` peers of the other type, all connected.

    The ROUTER binds and the peers connect, or the peers bind (one endpoint
    each) and the ROUTER connects to every one, as the pairing says.
    """
    connects, binds = case.pairing.connects, case.pairing.binds
    connector, binder = network.peering.connector, network.peering.binder
    if binds == "ROUTER":
        router = network.socket(binder, "ROUTER")
        endpoint = router.bind(network.endpoints.new(case.transport))
        peers = [network.socket(connector, connects, peer_options) for _ in range(count)]
        for peer in peers:
            peer.connect(endpoint)
    else:
        peers = [network.socket(binder, binds, peer_options) for _ in range(count)]
        endpoints = [peer.bind(network.endpoints.new(case.transport)) for peer in peers]
        router = network.socket(connector, "ROUTER")
        for endpoint in endpoints:
            router.connect(endpoint)
    make_misrouting_visible(router)
    return router, peers


def _say(peer: Socket, text: bytes, delimited: bool) -> None:
    """Send one frame of ``text`` from a REQ or DEALER peer, in its envelope."""
    peer.send(application_frames(peer.type, [text], delimited=delimited), TIMEOUT_MS)


def _greet(router: Socket, peers: list[Socket], delimited: bool) -> list[bytes]:
    """Every peer says hello; the routing id the ROUTER saw for each, in peer order."""
    hellos = {f"hello from peer {index}".encode(): index for index in range(len(peers))}
    for text in hellos:
        _say(peers[hellos[text]], text, delimited)
    ids: list[bytes | None] = [None] * len(peers)
    for _ in peers:
        rid, *rest = receive(router, "ROUTER")
        index = hellos.get(rest[-1]) if rest else None
        assert index is not None, f"ROUTER received {[rid, *rest]!r}, which no peer sent"
        assert ids[index] is None, f"ROUTER received peer {index}'s hello twice"
        ids[index] = rid
    return ids


# -- automatic ids ------------------------------------------------------------------


@pytest.mark.zmq_family("auto-routing-id")
@given(peers=st.integers(2, 4), turns=st.lists(st.integers(0, 3), max_size=8))
def test_automatic_ids_are_distinct_stable_and_routable(network, case, peers, turns):
    delimited = is_delimited(case.pairing.connects, case.pairing.binds)
    with network.sockets():
        router, others = _router_and_peers(network, case, peers)
        ids = _greet(router, others, delimited)
        assert len(set(ids)) == peers, f"peers share routing ids: {ids!r}"
        for step, turn in enumerate(turns):
            target = turn % peers
            text = f"to peer {target}, step {step}".encode()
            router.send(
                application_frames("ROUTER", [text], delimited=delimited, route=ids[target]),
                TIMEOUT_MS,
            )
            arrival = receive_from_any(others)
            assert arrival is not None, f"no peer received {text!r}"
            index, got = arrival
            assert index == target, f"peer {index} received {got!r}, sent to peer {target}'s id"
            assert_message(
                got,
                application_frames(others[index].type, [text], delimited=delimited),
                f"peer {index} received",
            )
            answer = f"from peer {target}, step {step}".encode()
            _say(others[target], answer, delimited)
            got = receive(router, "ROUTER")
            expected = application_frames(
                "ROUTER", [answer], delimited=delimited, route=ids[target]
            )
            assert_message(
                got, expected, f"ROUTER received from peer {target} (id {ids[target]!r})"
            )


@pytest.mark.zmq_family("auto-routing-id-format")
def test_what_automatic_ids_look_like(network, case):
    side = network.peering.binder if case.pairing.binds == "ROUTER" else network.peering.connector
    if side != IUT:
        network.observe("not observed in this peering: the ROUTER is libzmq's")
        return
    with network.sockets():
        router, others = _router_and_peers(network, case, 3)
        ids = _greet(router, others, delimited=False)
    network.observe(describe_automatic_ids(ids))


# -- explicit ids ---------------------------------------------------------------------


@pytest.mark.zmq_family("explicit-routing-id")
@given(data=st.data(), rid=routing_ids, body=short_messages, answer=short_messages)
def test_explicit_id_is_what_the_router_sees(network, case, data, rid, body, answer):
    connects, binds = case.pairing.connects, case.pairing.binds
    if connects == binds == "ROUTER":
        binder_id = data.draw(routing_ids.filter(lambda other: other != rid), label="binder id")
        _router_to_router(network, case, rid, binder_id, body, answer)
        return
    delimited = is_delimited(connects, binds)
    named_options = {"ROUTING_ID": rid}
    options = (
        {"connector_options": named_options}
        if binds == "ROUTER"
        else {"binder_options": named_options}
    )
    with network.pair(connects, binds, case.transport, **options) as pair:
        router = pair["ROUTER"]
        named = pair.binder if binds != "ROUTER" else pair.connector
        make_misrouting_visible(router)
        named.send(application_frames(named.type, body, delimited=delimited), TIMEOUT_MS)
        got = receive(router, "ROUTER")
        expected = application_frames("ROUTER", body, delimited=delimited, route=rid)
        assert_message(got, expected, "ROUTER received (routing id first)")
        router.send(
            application_frames("ROUTER", answer, delimited=delimited, route=rid), TIMEOUT_MS
        )
        got = receive(named, named.type)
        assert_message(
            got,
            application_frames(named.type, answer, delimited=delimited),
            f"{named.type} received",
        )


def _router_to_router(network, case, connector_id, binder_id, body, answer):
    with network.pair(
        "ROUTER",
        "ROUTER",
        case.transport,
        connector_options={"ROUTING_ID": connector_id, "ROUTER_MANDATORY": True},
        binder_options={"ROUTING_ID": binder_id, "ROUTER_MANDATORY": True},
    ) as pair:
        send_when_routable(pair.connector, [binder_id, *body])
        assert_message(
            receive(pair.binder, "bound ROUTER"), [connector_id, *body], "bound ROUTER received"
        )
        pair.binder.send([connector_id, *answer], TIMEOUT_MS)
        assert_message(
            receive(pair.connector, "connecting ROUTER"),
            [binder_id, *answer],
            "connecting ROUTER received",
        )


def _named_client(network, case, options):
    """A bound ROUTER and a connecting client made with ``options`` (not yet connected)."""
    router_options = {"ROUTER_MANDATORY": True}
    if case.pairing.connects == "ROUTER":
        router_options["ROUTING_ID"] = BINDER_ID
    router = network.socket(network.peering.binder, "ROUTER", router_options)
    endpoint = router.bind(network.endpoints.new(case.transport))
    client = network.socket(network.peering.connector, case.pairing.connects, options)
    return router, client, endpoint


def _speak_to_router(client: Socket, text: bytes) -> None:
    """The client's first message to the bound ROUTER, whatever the client's type."""
    if client.type == "ROUTER":
        make_misrouting_visible(client)
        send_when_routable(client, [BINDER_ID, text])
    else:
        client.send([text], TIMEOUT_MS)


@pytest.mark.zmq_family("invalid-routing-id")
@given(valid=routing_ids, too_long=st.binary(min_size=MAX_ROUTING_ID + 1, max_size=1024))
def test_invalid_ids_are_refused_and_change_nothing(network, case, valid, too_long):
    with network.sockets():
        router, client, endpoint = _named_client(network, case, {"ROUTING_ID": valid})
        expect_error(ErrorCode.EINVAL, client.set, "ROUTING_ID", b"")
        expect_error(ErrorCode.EINVAL, client.set, "ROUTING_ID", too_long)
        client.connect(endpoint)
        _speak_to_router(client, b"hello")
        rid, *_ = receive(router, "ROUTER")
        assert rid == valid, (
            f"ROUTER saw routing id {rid!r}, not the valid one set before, {valid!r}"
        )


zero_led_ids = (
    st.binary(max_size=MAX_ROUTING_ID - 1)
    # 5 bytes is the form of libzmq's own ids: one equal to the next would abort it.
    .filter(lambda rest: len(rest) != 4)
    .map(lambda rest: b"\x00" + rest)
)


@pytest.mark.zmq_family("zero-led-routing-id")
# libzmq accepts every 0x00-led id: the minimal one first, and no shrinking to pay for
# on every run; a generated id is only reported if that one is refused.
@settings(phases=(Phase.explicit, Phase.generate))
@example(zero_led=b"\x00")
@given(zero_led=zero_led_ids)
def test_zero_led_id_is_refused(network, case, zero_led):
    with network.sockets():
        router, client, endpoint = _named_client(network, case, None)
        try:
            client.set("ROUTING_ID", zero_led)
        except ZmqError as exc:
            if exc.code != ErrorCode.EINVAL:
                raise
            return
        client.connect(endpoint)
        _speak_to_router(client, b"hello")
        rid, *_ = receive(router, "ROUTER")
        seen = "verbatim" if rid == zero_led else f"as {rid!r}"
        raise AssertionError(
            f"ROUTING_ID {zero_led!r}, led by the reserved 0x00, was accepted; "
            f"the ROUTER saw it {seen}"
        )


# -- replies reach their own client ------------------------------------------------


@pytest.mark.zmq_family("reply-routing")
@given(
    data=st.data(),
    ids=st.lists(routing_ids, min_size=2, max_size=4, unique=True),
    script=st.lists(st.integers(0, 3), min_size=1, max_size=10),
)
def test_every_reply_reaches_its_own_client(network, case, data, ids, script):
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    batches = _batches([turn % len(ids) for turn in script], client_type)
    # Drawn before the implementation does anything: what a replay draws never
    # depends on what arrived, or when.
    orders = [
        data.draw(st.permutations(range(len(batch))), label=f"reply order {number}")
        for number, batch in enumerate(batches)
    ]
    with network.sockets():
        server = network.socket(network.peering.binder, server_type)
        endpoint = server.bind(network.endpoints.new(case.transport))
        if server_type == "ROUTER":
            make_misrouting_visible(server)
        clients = []
        for rid in ids:
            client = network.socket(network.peering.connector, client_type, {"ROUTING_ID": rid})
            client.connect(endpoint)
            clients.append(client)
        for batch, order in zip(batches, orders):
            requests = {}
            for number, index in batch:
                text = f"request {number} from client {index}".encode()
                requests[text] = index
                _say(clients[index], text, delimited)
            replies = _serve(server, requests, ids, delimited, order)
            for index, client in enumerate(clients):
                for text in replies.get(index, []):
                    got = receive(client, f"client {index}")
                    expected = application_frames(client_type, [text], delimited=delimited)
                    assert_message(got, expected, f"client {index} (id {ids[index]!r}) received")


def _batches(turns: list[int], client_type: str) -> list[list[tuple[int, int]]]:
    """The script cut where a REQ would send twice: (request number, client) per batch."""
    batches: list[list[tuple[int, int]]] = [[]]
    for number, index in enumerate(turns):
        if client_type == "REQ" and any(index == other for _, other in batches[-1]):
            batches.append([])
        batches[-1].append((number, index))
    return batches


def _serve(server, requests, ids, delimited, order) -> dict[int, list[bytes]]:
    """Answer every request (a ROUTER in ``order``); the replies each client must get."""
    replies: dict[int, list[bytes]] = {}
    if server.type == "REP":
        for _ in requests:
            got = receive(server, "REP")
            index = requests.get(got[-1]) if len(got) == 1 else None
            assert index is not None, f"REP received {got!r}, which no client sent"
            reply = b"reply to " + got[-1]
            server.send([reply], TIMEOUT_MS)
            replies.setdefault(index, []).append(reply)
        return replies
    received = []
    for _ in requests:
        rid, *rest = receive(server, "ROUTER")
        index = requests.get(rest[-1]) if rest else None
        assert index is not None, f"ROUTER received {[rid, *rest]!r}, which no client sent"
        assert rid == ids[index], (
            f"client {index}'s request came with id {rid!r}, not {ids[index]!r}"
        )
        received.append((index, rest[-1]))
    # Permute the requests sorted, not in the order they arrived: the same draw then
    # means the same replies on a replay, however the implementation queued them.
    received.sort()
    for index, text in (received[position] for position in order):
        reply = b"reply to " + text
        server.send(
            application_frames("ROUTER", [reply], delimited=delimited, route=ids[index]), TIMEOUT_MS
        )
        replies.setdefault(index, []).append(reply)
    return replies


# -- duplicate ids --------------------------------------------------------------------

TWIN_ID = b"twin"


@pytest.mark.zmq_family("duplicate-routing-id")
def test_duplicate_id_is_refused_without_handover(network, case):
    client_type = case.pairing.connects
    delimited = is_delimited(client_type, "ROUTER")
    with network.sockets():
        router = network.socket(network.peering.binder, "ROUTER", {"ROUTER_MANDATORY": True})
        endpoint = router.bind(network.endpoints.new(case.transport))
        first = network.socket(network.peering.connector, client_type, {"ROUTING_ID": TWIN_ID})
        first.connect(endpoint)
        _say(first, b"from the first", delimited)
        assert_message(
            receive(router, "ROUTER"),
            application_frames("ROUTER", [b"from the first"], delimited=delimited, route=TWIN_ID),
            "ROUTER received from the first peer",
        )
        twin = network.socket(network.peering.connector, client_type, {"ROUTING_ID": TWIN_ID})
        twin.connect(endpoint)
        _say(twin, b"from the duplicate", delimited)
        try:
            got = router.recv(ABSENCE_MS)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN:
                raise
        else:
            raise AssertionError(f"ROUTER delivered {got!r} from the peer with a duplicate id")
        router.send(
            application_frames("ROUTER", [b"for the first"], delimited=delimited, route=TWIN_ID),
            TIMEOUT_MS,
        )
        arrival = receive_from_any([first, twin])
        assert arrival is not None, "neither peer received the message for their id"
        index, got = arrival
        assert index == 0, f"the duplicate peer received {got!r}, meant for the first one"
        _say(first, b"again from the first", delimited)
        assert_message(
            receive(router, "ROUTER"),
            application_frames(
                "ROUTER", [b"again from the first"], delimited=delimited, route=TWIN_ID
            ),
            "ROUTER received from the first peer, after the duplicate",
        )


@pytest.mark.zmq_family("router-handover")
@given(rid=routing_ids)
def test_newcomer_takes_over_the_id_with_handover(network, case, rid):
    client_type = case.pairing.connects
    delimited = is_delimited(client_type, "ROUTER")
    with network.sockets():
        router = network.socket(
            network.peering.binder, "ROUTER", {"ROUTER_HANDOVER": True, "ROUTER_MANDATORY": True}
        )
        endpoint = router.bind(network.endpoints.new(case.transport))
        peers = []
        for who in (b"the first", b"the newcomer"):
            peer = network.socket(network.peering.connector, client_type, {"ROUTING_ID": rid})
            peer.connect(endpoint)
            peers.append(peer)
            _say(peer, b"from " + who, delimited)
            expected = application_frames(
                "ROUTER", [b"from " + who], delimited=delimited, route=rid
            )
            assert_message(
                receive(router, "ROUTER"), expected, f"ROUTER received from {who.decode()}"
            )
        router.send(
            application_frames("ROUTER", [b"for the owner"], delimited=delimited, route=rid),
            TIMEOUT_MS,
        )
        arrival = receive_from_any(peers)
        assert arrival is not None, "neither peer received the message for their id"
        index, got = arrival
        assert index == 1, f"the first peer received {got!r}: the id was not handed over"


# -- PROBE_ROUTER --------------------------------------------------------------------


@pytest.mark.zmq_family("probe-router")
@given(body=short_messages, answer=short_messages)
def test_probe_makes_the_peer_known_at_once(network, case, body, answer):
    with network.sockets():
        if case.pairing.binds == "ROUTER":
            router, client, endpoint = _named_client(network, case, {"PROBE_ROUTER": True})
            client.connect(endpoint)
        else:
            client = network.socket(
                network.peering.binder, case.pairing.binds, {"PROBE_ROUTER": True}
            )
            endpoint = client.bind(network.endpoints.new(case.transport))
            router = network.socket(network.peering.connector, "ROUTER", {"ROUTER_MANDATORY": True})
            router.connect(endpoint)
        if client.type == "REQ":
            _probe_then_request(router, client, body, answer)
            return
        # Taking turns at receiving on both also gives a prober that acts on a new
        # connection only when it is called (libzmq, for an accepted one) the calls it needs.
        arrival = receive_from_any([router, client])
        assert arrival is not None, "ROUTER received no probe"
        index, probe = arrival
        assert index == 0, f"the {client.type} received {probe!r} first"
        _check_probe(probe)
        rid = probe[0]
        router.send([rid, *answer], TIMEOUT_MS)
        got = receive(client, client.type)
        if client.type == "ROUTER":
            got = got[1:]
        assert_message(got, answer, f"{client.type} received, without having sent anything")


def _check_probe(probe: Frames) -> None:
    assert len(probe) == 2 and probe[1] == b"", (
        f"ROUTER's first message {probe!r} is not a probe [routing id, '']"
    )


def _probe_then_request(router: Socket, req: Socket, body: Frames, answer: Frames) -> None:
    """A REQ cannot receive first: its request follows the probe, under the same id.

    The send is also the call a bound REQ needs before it acts on an accepted connection.
    """
    req.send(body, TIMEOUT_MS)
    probe = receive(router, "ROUTER")
    _check_probe(probe)
    rid = probe[0]
    assert_message(receive(router, "ROUTER"), [rid, b"", *body], "ROUTER received after the probe")
    router.send([rid, b"", *answer], TIMEOUT_MS)
    assert_message(receive(req, "REQ"), answer, "REQ received")
