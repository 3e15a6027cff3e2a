"""Queues: what a socket does when its peer does not read, and when nobody is there yet.

A queue is filled by sending numbered messages without blocking until the
first EAGAIN, with small SNDHWM and RCVHWM so that it fills at once.  On
tcp and ipc the kernel's socket buffers hold more besides, so the messages
are 64 KiB and the counts are checked only for order and loss; on inproc,
where the queue is exactly SNDHWM + RCVHWM deep and nothing else drains
it, the counts are exact.  The end of what a peer receives is marked by a
sentinel sent after the refused or dropped messages: on the same pipe it
arrives after everything sent before it, so nothing has to be waited for
in vain.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, expect_error, receive
from conformance.harness.dead_endpoints import dead_endpoint
from conformance.harness.exchange import (
    POLL_SLICE_MS,
    application_frames,
    is_delimited,
    send_when_routable,
)
from conformance.harness.network import TIMEOUT_MS

MAX_FLOOD = 500
"""Messages sent at most while waiting for a queue to fill: 32 MiB on tcp, beyond any buffer."""

LARGE = 64 * 1024
"""The size of a flood message on tcp and ipc, so that the kernel's buffers fill quickly."""

SHORT_TIMEOUT_MS = 1
"""A send timeout that must run out: long enough to be a real wait, short enough to be cheap."""

SENTINEL = b"sentinel"

hwms = st.integers(min_value=1, max_value=4)


def _filler(transport: str) -> bytes:
    return bytes(LARGE) if transport != "inproc" else b""


def _number(frames: Frames, where: str) -> int:
    """The number a flood message carries in its first frame."""
    assert len(frames) == 2 and frames[0].isdigit(), f"{where} received {frames!r}"
    return int(frames[0])


def _fill(sock: Socket, frames_of: Callable[[int], Frames]) -> int:
    """Send numbered messages without blocking until one is refused; how many were accepted.

    The first one may wait for the connection: a bound socket has no pipe
    until its peer has connected.
    """
    sock.send(frames_of(0), TIMEOUT_MS)
    for number in range(1, MAX_FLOOD):
        try:
            sock.send(frames_of(number), 0)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN:
                raise
            return number
    raise AssertionError(
        f"{sock.type} accepted {MAX_FLOOD} messages for a peer that reads nothing, "
        "without ever refusing one: its queue has no limit, or it drops what does not fit"
    )


def _refuse_or_accept_one_more(sock, frames, accepted: int, transport: str) -> int:
    """A send with a timeout at the full queue: refused on inproc, either on tcp and ipc.

    On tcp and ipc the I/O thread goes on moving messages into the kernel's
    buffers, so a full queue can have room again a moment later.
    """
    if transport == "inproc":
        expect_error(ErrorCode.EAGAIN, sock.send, frames, SHORT_TIMEOUT_MS)
        return accepted
    try:
        sock.send(frames, SHORT_TIMEOUT_MS)
    except ZmqError as exc:
        if exc.code != ErrorCode.EAGAIN:
            raise
        return accepted
    return accepted + 1


def _receive_numbers(sock: Socket, count: int, strip: int) -> None:
    """``sock`` receives messages 0 to ``count`` - 1, in order, after ``strip`` route frames."""
    for expected in range(count):
        got = receive(sock, sock.type)[strip:]
        number = _number(got, sock.type)
        assert number == expected, (
            f"{sock.type} received message {number} where {expected} was due: "
            f"an accepted message was lost or reordered"
        )


def _receive_until_sentinel(sock: Socket, strip: int, resend: Callable[[], None]) -> list[int]:
    """The numbers ``sock`` receives before a sentinel, resending it while it is dropped.

    The sentinel goes to a queue that may still be full, and a socket that
    drops at its high-water mark drops it too: so it is sent again each
    time ``sock`` finds nothing to read, until one gets through.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    numbers = []
    while True:
        try:
            got = sock.recv(POLL_SLICE_MS)[strip:]
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN:
                raise
            assert time.monotonic() < deadline, (
                f"{sock.type} received no sentinel within {TIMEOUT_MS} ms, after {numbers}"
            )
            resend()
            continue
        if got[-1:] == [SENTINEL]:
            return numbers
        numbers.append(_number(got, sock.type))


def _sender_and_receiver(network, case, sender_type: str, sender_options, receiver_options):
    """The case's pair, options given to the end of ``sender_type`` and to the other.

    When both ends have that type the bound one sends: it is the ROUTER
    under test of a ROUTER-ROUTER pair, or the bound DEALER of DEALER-DEALER.
    """
    connects, binds = case.pairing.connects, case.pairing.binds
    if binds == sender_type:
        options = {"binder_options": sender_options, "connector_options": receiver_options}
    else:
        options = {"connector_options": sender_options, "binder_options": receiver_options}
    return network.pair(connects, binds, case.transport, **options)


def _ends(pair, sender_type: str) -> tuple[Socket, Socket]:
    if pair.binder.type == sender_type:
        return pair.binder, pair.connector
    return pair.connector, pair.binder


# -- DEALER ------------------------------------------------------------------------


@pytest.mark.zmq_family("dealer-hwm")
@given(sndhwm=hwms, rcvhwm=hwms)
def test_dealer_at_hwm_refuses_and_loses_nothing(network, case, sndhwm, rcvhwm):
    filler = _filler(case.transport)
    with _sender_and_receiver(
        network, case, "DEALER", {"SNDHWM": sndhwm}, {"RCVHWM": rcvhwm}
    ) as pair:
        dealer, peer = _ends(pair, "DEALER")
        strip = 1 if peer.type == "ROUTER" else 0

        def frames_of(number: int) -> Frames:
            return [b"%d" % number, filler]

        accepted = _fill(dealer, frames_of)
        if case.transport == "inproc":
            assert accepted == sndhwm + rcvhwm, (
                f"the inproc queue took {accepted} messages, not SNDHWM + RCVHWM = "
                f"{sndhwm + rcvhwm}"
            )
        accepted = _refuse_or_accept_one_more(dealer, frames_of(accepted), accepted, case.transport)
        _receive_numbers(peer, accepted, strip)
        dealer.send([SENTINEL], TIMEOUT_MS)
        assert receive(peer, peer.type)[strip:] == [SENTINEL], (
            "a refused message was delivered after all"
        )


@pytest.mark.zmq_family("hwm-after-connect")
@given(sndhwm=hwms, rcvhwm=hwms)
def test_dealer_hwm_lowered_after_connect_holds(network, case, sndhwm, rcvhwm):
    """inproc only, where the queue's size is exact: SNDHWM + RCVHWM messages.

    A bound DEALER takes up the connection when it next looks at its
    commands (libzmq attaches the pipe then), so its peer's hello is
    received first; a connecting DEALER has its pipe from ``connect`` on.
    """
    dealer_options = {"ROUTING_ID": b"dealer"}
    with _sender_and_receiver(network, case, "DEALER", dealer_options, {"RCVHWM": rcvhwm}) as pair:
        dealer, peer = _ends(pair, "DEALER")
        if dealer is pair.binder:
            hello = [b"dealer", b"hello"] if peer.type == "ROUTER" else [b"hello"]
            send_when_routable(peer, hello)
            assert_message(receive(dealer, "the bound DEALER"), [b"hello"], "the DEALER got")
        dealer.set("SNDHWM", sndhwm)
        strip = 1 if peer.type == "ROUTER" else 0
        accepted = _fill(dealer, lambda number: [b"%d" % number, b""])
        assert accepted == sndhwm + rcvhwm, (
            f"with SNDHWM {sndhwm} set after connect and the peer's RCVHWM {rcvhwm}, the inproc "
            f"queue took {accepted} messages, not {sndhwm + rcvhwm}"
        )
        _receive_numbers(peer, accepted, strip)


# -- ROUTER ---------------------------------------------------------------------------


def _router_pair(network, case, sndhwm: int, rcvhwm: int):
    router_options = {"SNDHWM": sndhwm, "ROUTER_MANDATORY": True}
    peer_options = {"RCVHWM": rcvhwm}
    if case.pairing.connects == case.pairing.binds:
        router_options["ROUTING_ID"] = b"binder"
        peer_options.update(ROUTING_ID=b"connector", ROUTER_MANDATORY=True)
    return _sender_and_receiver(network, case, "ROUTER", router_options, peer_options)


def _hello(router: Socket, peer: Socket) -> bytes:
    """The peer speaks first, so that the ROUTER knows its id; that id."""
    if peer.type == "ROUTER":
        send_when_routable(peer, [b"binder", b"hello"])
    else:
        peer.send([b"hello"], TIMEOUT_MS)
    return receive(router, "ROUTER")[0]


@pytest.mark.zmq_family("router-mandatory-hwm")
@given(sndhwm=hwms, rcvhwm=hwms)
def test_mandatory_router_at_hwm_refuses_and_loses_nothing(network, case, sndhwm, rcvhwm):
    filler = _filler(case.transport)
    with _router_pair(network, case, sndhwm, rcvhwm) as pair:
        router, peer = _ends(pair, "ROUTER")
        strip = 1 if peer.type == "ROUTER" else 0
        rid = _hello(router, peer)

        def frames_of(number: int) -> Frames:
            return [rid, b"%d" % number, filler]

        accepted = _fill(router, frames_of)
        if case.transport == "inproc":
            assert accepted == sndhwm + rcvhwm, (
                f"the inproc queue took {accepted} messages, not SNDHWM + RCVHWM = "
                f"{sndhwm + rcvhwm}"
            )
        accepted = _refuse_or_accept_one_more(router, frames_of(accepted), accepted, case.transport)
        _receive_numbers(peer, accepted, strip)
        router.send([rid, SENTINEL], TIMEOUT_MS)
        assert receive(peer, peer.type)[strip:] == [SENTINEL], (
            "a refused message was delivered after all"
        )


@pytest.mark.zmq_family("router-hwm-drop")
@given(sndhwm=hwms, rcvhwm=hwms, later=st.integers(min_value=1, max_value=6))
def test_router_at_hwm_drops_and_never_blocks(network, case, sndhwm, rcvhwm, later):
    filler = _filler(case.transport)
    with _router_pair(network, case, sndhwm, rcvhwm) as pair:
        router, peer = _ends(pair, "ROUTER")
        strip = 1 if peer.type == "ROUTER" else 0
        rid = _hello(router, peer)

        def frames_of(number: int) -> Frames:
            return [rid, b"%d" % number, filler]

        accepted = _fill(router, frames_of)
        router.set("ROUTER_MANDATORY", False)
        total = accepted + later
        for number in range(accepted, total):
            router.send(frames_of(number), 0)
        router.send(frames_of(total), TIMEOUT_MS)  # a blocking ROUTER runs out of time here
        numbers = _receive_until_sentinel(peer, strip, lambda: router.send([rid, SENTINEL], 0))
        assert numbers[:accepted] == list(range(accepted)), (
            f"of the {accepted} messages accepted before the queue was full, "
            f"{peer.type} received {numbers[:accepted]}"
        )
        assert numbers == sorted(set(numbers)) and all(n <= total for n in numbers), (
            f"{peer.type} received {numbers}: out of order, twice, or never sent"
        )
        if case.transport == "inproc":
            assert len(numbers) == accepted, (
                f"{peer.type} received {numbers[accepted:]}, sent when its queue was full"
            )


# -- REP ------------------------------------------------------------------------------


@pytest.mark.zmq_family("rep-never-blocks")
@given(sndhwm=hwms, rcvhwm=hwms)
def test_rep_never_blocks_on_a_client_that_does_not_read(network, case, sndhwm, rcvhwm):
    filler = _filler(case.transport)
    capacity = sndhwm + rcvhwm
    requests = 2 * capacity + 4 if case.transport == "inproc" else 100
    with _sender_and_receiver(network, case, "REP", {"SNDHWM": sndhwm}, {"RCVHWM": rcvhwm}) as pair:
        rep, dealer = _ends(pair, "REP")
        for number in range(requests):
            dealer.send([b"", b"%d" % number], TIMEOUT_MS)
        for number in range(requests):
            assert_message(receive(rep, "REP"), [b"%d" % number], "REP received")
            rep.send([b"%d" % number, filler], 0)

        def final_round() -> None:
            dealer.send([b"", SENTINEL], TIMEOUT_MS)
            assert_message(receive(rep, "REP"), [SENTINEL], "REP received, still serving")
            rep.send([SENTINEL], 0)

        numbers = _receive_until_sentinel(dealer, 1, final_round)
        assert numbers == sorted(set(numbers)) and all(n < requests for n in numbers), (
            f"DEALER received replies {numbers}: out of order, twice, or never sent"
        )
        if case.transport == "inproc":
            assert numbers == list(range(capacity)), (
                f"DEALER received replies {numbers}, not the first SNDHWM + RCVHWM = {capacity}"
            )


# -- IMMEDIATE --------------------------------------------------------------------------


@pytest.mark.zmq_family("immediate")
@given(count=st.integers(min_value=1, max_value=4))
def test_immediate_queues_only_to_completed_connections(network, case, count):
    client_type, live_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, live_type)
    with dead_endpoint(network.endpoints, case.transport) as dead, network.sockets():
        client = network.socket(network.peering.connector, client_type, {"IMMEDIATE": True})
        client.connect(dead)
        nowhere = application_frames(client_type, [b"to nobody"], delimited=delimited)
        expect_error(ErrorCode.EAGAIN, client.send, nowhere, 0)
        live = network.socket(network.peering.binder, live_type)
        client.connect(live.bind(network.endpoints.new(case.transport)))
        for number in range(count):
            text = b"message %d" % number
            client.send(application_frames(client_type, [text], delimited=delimited), TIMEOUT_MS)
            got = receive(live, f"live {live_type}")
            envelope = got[: len(got) - 1]
            assert_message(got[-1:], [text], f"live {live_type} received")
            if "REQ" in (client_type, live_type) or "REP" in (client_type, live_type):
                live.send([*envelope, b"reply"], TIMEOUT_MS)
                expected = application_frames(client_type, [b"reply"], delimited=delimited)
                assert_message(receive(client, client_type), expected, f"{client_type} received")
