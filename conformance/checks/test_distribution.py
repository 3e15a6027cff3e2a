"""Distribution: how a client spreads messages over its peers, and how a server gathers them.

Round-robin is checked where it is deterministic: a client that *connects*
to N bound peers has all N pipes from its ``connect()`` calls on, so k x N
messages must give each peer exactly k, message i and i + N to the same
peer.  Fair queuing is checked for what it promises, not for an order:
every sender is served, each sender's messages in the order sent.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, receive
from conformance.harness.dead_endpoints import dead_endpoint
from conformance.harness.exchange import (
    application_frames,
    is_delimited,
    make_misrouting_visible,
    receive_from_any,
)
from conformance.harness.network import ABSENCE_MS, TIMEOUT_MS

TEXT = re.compile(rb"(?:sender (\d+) )?message (\d+)")


def _numbers(frames: Frames, where: str) -> tuple[int, int]:
    """(sender, message number) from a message's last frame; sender 0 when unnamed."""
    match = TEXT.fullmatch(frames[-1]) if frames else None
    assert match, f"{where} received {frames!r}, which was never sent"
    return int(match.group(1) or 0), int(match.group(2))


def _answer(server: Socket, got: Frames) -> None:
    """Reply to what ``server`` received, if it must (a REP) or its client waits (REQ)."""
    if server.type == "REP":
        server.send([b"reply"], TIMEOUT_MS)
    elif server.type == "ROUTER":
        server.send([*got[:-1], b"reply"], TIMEOUT_MS)


# -- round-robin --------------------------------------------------------------------


@pytest.mark.zmq_family("round-robin")
@given(peers=st.integers(min_value=2, max_value=4), rounds=st.integers(min_value=1, max_value=3))
def test_client_spreads_messages_round_robin(network, case, peers, rounds):
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    total = peers * rounds
    with network.sockets():
        servers = [network.socket(network.peering.binder, server_type) for _ in range(peers)]
        endpoints = [server.bind(network.endpoints.new(case.transport)) for server in servers]
        for server in servers:
            if server_type == "ROUTER":
                make_misrouting_visible(server)
        client = network.socket(network.peering.connector, client_type)
        for endpoint in endpoints:
            client.connect(endpoint)
        received: list[list[int]] = [[] for _ in servers]

        def take() -> None:
            arrival = receive_from_any(servers)
            assert arrival is not None, f"peers received {received}, then nothing"
            index, got = arrival
            received[index].append(_numbers(got, f"peer {index}")[1])
            _check_period(received, peers)
            _answer(servers[index], got)

        for number in range(total):
            frames = application_frames(client_type, [b"message %d" % number], delimited=delimited)
            client.send(frames, TIMEOUT_MS)
            if client_type == "REQ":  # one request at a time
                take()
                assert_message(receive(client, "REQ"), [b"reply"], "REQ received its reply")
        if client_type == "DEALER":
            for _ in range(total):
                take()
        counts = [len(numbers) for numbers in received]
        assert counts == [rounds] * peers, f"{total} messages spread as {counts} over {peers} peers"


LOST_TO_THE_LEAVER = 3
"""Messages a DEALER may still send to a peer that has closed, before it has seen it go."""
AFTER_THE_DEPARTURE = 6
"""Messages that must then all reach the peers that remain, in turn."""


@pytest.mark.zmq_family("round-robin-departure")
@given(leaver=st.integers(min_value=0, max_value=2))
def test_dealer_leaves_a_departed_peer_out_of_its_round(network, case, leaver):
    """The DEALER binds, so that a peer that closes is gone for it (no reconnection to wait for)."""
    peer_type = case.pairing.connects
    delimited = is_delimited("DEALER", peer_type)
    with network.sockets():
        dealer = network.socket(network.peering.binder, "DEALER")
        endpoint = dealer.bind(network.endpoints.new(case.transport))
        peers = [network.socket(network.peering.connector, peer_type) for _ in range(3)]
        for peer in peers:
            peer.connect(endpoint)
        sent = 0

        def send_and_take(among: list[int], timeout_ms: int) -> int | None:
            """Send the next message; which of the peers ``among`` received it, if any."""
            nonlocal sent
            frames = application_frames("DEALER", [b"message %d" % sent], delimited=delimited)
            dealer.send(frames, TIMEOUT_MS)
            sent += 1
            arrival = receive_from_any([peers[index] for index in among], timeout_ms)
            if arrival is None:
                return None
            index, got = arrival
            assert _numbers(got, f"peer {among[index]}")[1] == sent - 1, (
                f"peer {among[index]} received {got!r}, not message {sent - 1}"
            )
            _answer(peers[among[index]], got)
            return among[index]

        reached: set[int] = set()
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while len(reached) < 3:  # a bound DEALER has a peer's pipe once its handshake is done
            assert time.monotonic() < deadline, (
                f"only peers {sorted(reached)} of 3 received the {sent} messages of 2 s"
            )
            taker = send_and_take([0, 1, 2], TIMEOUT_MS)
            assert taker is not None, f"message {sent - 1} reached no peer before any left"
            reached.add(taker)
        peers[leaver].close()
        remaining = [index for index in range(3) if index != leaver]
        lost, in_a_row = 0, 0
        while in_a_row < 3:  # a round of 3 without a loss: the departure was seen
            if send_and_take(remaining, ABSENCE_MS) is None:
                lost, in_a_row = lost + 1, 0
                assert lost <= LOST_TO_THE_LEAVER, (
                    f"{lost} messages sent after peer {leaver} closed reached no peer: the "
                    "DEALER goes on sending to the departed peer"
                )
            else:
                in_a_row += 1
        turns = [send_and_take(remaining, TIMEOUT_MS) for _ in range(AFTER_THE_DEPARTURE)]
        assert None not in turns, f"after peer {leaver} left, messages went to peers {turns}"
        assert all(a != b for a, b in zip(turns, turns[1:])), (
            f"after peer {leaver} left, messages went to peers {turns}: not in turn"
        )


def _check_period(received: list[list[int]], peers: int) -> None:
    """Each peer's messages so far are one residue class modulo ``peers``, in order."""
    residues = {}
    for index, numbers in enumerate(received):
        assert numbers == sorted(numbers), f"peer {index} received messages {numbers} out of order"
        classes = {number % peers for number in numbers}
        assert len(classes) <= 1, (
            f"peer {index} received messages {numbers}: not every {peers}th, so not round-robin "
            f"(all peers: {received})"
        )
        for residue in classes:
            assert residue not in residues, (
                f"peers {residues[residue]} and {index} both received messages n with "
                f"n mod {peers} = {residue} (all peers: {received})"
            )
            residues[residue] = index


# -- fair queuing -------------------------------------------------------------------


@pytest.mark.zmq_family("fair-queue")
@given(data=st.data(), counts=st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_every_sender_is_served_in_its_own_order(network, case, data, counts):
    sender_type, receiver_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(sender_type, receiver_type)
    turns = [index for index, count in enumerate(counts) for _ in range(count)]
    order = data.draw(st.permutations(turns), label="sending order")  # before any socket
    with network.sockets():
        receiver = network.socket(network.peering.binder, receiver_type)
        endpoint = receiver.bind(network.endpoints.new(case.transport))
        senders = [network.socket(network.peering.connector, sender_type) for _ in counts]
        for sender in senders:
            sender.connect(endpoint)
        gathered = _Gathered(receiver, len(counts))
        if sender_type == "DEALER":
            sent = [0] * len(counts)
            for index in order:
                text = b"sender %d message %d" % (index, sent[index])
                senders[index].send(
                    application_frames(sender_type, [text], delimited=delimited), TIMEOUT_MS
                )
                sent[index] += 1
            for _ in order:
                gathered.take()
        else:  # a REQ has one request out at a time
            for step in range(max(counts)):
                batch = [index for index, count in enumerate(counts) if count > step]
                for index in batch:
                    senders[index].send([b"sender %d message %d" % (index, step)], TIMEOUT_MS)
                for _ in batch:
                    gathered.take()
                for index in batch:
                    assert_message(
                        receive(senders[index], f"sender {index}"),
                        [b"reply"],
                        f"sender {index} received its reply",
                    )
        assert gathered.numbers == [list(range(count)) for count in counts], (
            f"received per sender: {gathered.numbers}"
        )


class _Gathered:
    """What a receiver got from each sender, checked message by message."""

    def __init__(self, receiver: Socket, senders: int) -> None:
        self.receiver = receiver
        self.numbers: list[list[int]] = [[] for _ in range(senders)]
        self.routes: dict[int, bytes] = {}

    def take(self) -> None:
        got = receive(self.receiver, self.receiver.type)
        sender, number = _numbers(got, self.receiver.type)
        assert sender < len(self.numbers), f"{self.receiver.type} received {got!r}"
        expected = len(self.numbers[sender])
        assert number == expected, (
            f"{self.receiver.type} received message {number} of sender {sender} where "
            f"{expected} was due: a sender's messages out of order or lost"
        )
        self.numbers[sender].append(number)
        if self.receiver.type == "ROUTER":
            route = self.routes.setdefault(sender, got[0])
            assert route == got[0], (
                f"sender {sender} came with routing ids {route!r} and {got[0]!r}"
            )
            others = {s: r for s, r in self.routes.items() if r == route and s != sender}
            assert not others, f"senders {sender} and {list(others)} share routing id {route!r}"
        _answer(self.receiver, got)


# -- skipping a full pipe ----------------------------------------------------------


@pytest.mark.zmq_family("dealer-skips-full-pipe")
@given(sndhwm=st.integers(min_value=1, max_value=4), extra=st.integers(min_value=1, max_value=6))
def test_dealer_skips_a_dead_peer_once_its_queue_is_full(network, case, sndhwm, extra):
    live_type = case.pairing.binds
    delimited = is_delimited("DEALER", live_type)
    total = 2 * sndhwm + extra
    with dead_endpoint(network.endpoints, case.transport) as dead, network.sockets():
        dealer = network.socket(network.peering.connector, "DEALER", {"SNDHWM": sndhwm})
        dealer.connect(dead)
        live = network.socket(network.peering.binder, live_type)
        dealer.connect(live.bind(network.endpoints.new(case.transport)))
        for number in range(total):
            dealer.send(
                application_frames("DEALER", [b"message %d" % number], delimited=delimited),
                TIMEOUT_MS,
            )
        numbers: list[int] = []
        while total - 1 not in numbers:
            try:
                got = live.recv(TIMEOUT_MS)
            except ZmqError as exc:
                if exc.code != ErrorCode.EAGAIN:
                    raise
                raise AssertionError(
                    f"the live peer received messages {numbers} of 0..{total - 1}, then nothing: "
                    "the rest went to the dead peer's full queue"
                ) from None
            numbers.append(_numbers(got, "live peer")[1])
            _answer(live, got)
        assert numbers == sorted(set(numbers)), f"the live peer received {numbers}: out of order"
        missing = sorted(set(range(total)) - set(numbers))
        assert len(missing) <= sndhwm, (
            f"messages {missing} went to the dead peer: more than its SNDHWM of {sndhwm}"
        )
        assert all(number < 2 * sndhwm for number in missing), (
            f"messages {missing} went to the dead peer: some after its queue was full"
        )
