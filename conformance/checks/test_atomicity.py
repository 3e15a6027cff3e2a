"""A multipart message goes whole to one peer: never split, merged or interleaved."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness.assertions import receive
from conformance.harness.exchange import application_frames, is_delimited, receive_from_any
from conformance.harness.network import TIMEOUT_MS
from conformance.harness.strategies import frames

multipart = st.lists(frames, min_size=2, max_size=8)
PEERS = 2


@pytest.mark.zmq_family("atomicity")
@given(bodies=st.lists(multipart, min_size=2, max_size=8))
def test_each_message_goes_whole_to_one_peer(network, case, bodies):
    client_type, server_type = case.pairing.connects, case.pairing.binds
    delimited = is_delimited(client_type, server_type)
    with network.sockets():
        servers = []
        client = network.socket(network.peering.connector, client_type)
        for _ in range(PEERS):
            server = network.socket(network.peering.binder, server_type)
            client.connect(server.bind(network.endpoints.new(case.transport)))
            servers.append(server)

        received: list[list[tuple]] = [[] for _ in servers]
        pending = len(bodies)
        for body in bodies:
            client.send(body if client_type == "REQ" else _wire(body, delimited), TIMEOUT_MS)
            if client_type == "REQ":  # one request at a time: take it and answer it
                pending -= _take_one(servers, received, delimited)
                receive(client, f"{client_type} client")
        while pending:
            pending -= _take_one(servers, received, delimited)

        sent = Counter(tuple(b) for b in bodies)
        got = Counter(m for per_server in received for m in per_server)
        assert got == sent, f"whole messages sent {dict(sent)}, received {dict(got)}"
        for index, per_server in enumerate(received):
            assert _is_subsequence(per_server, [tuple(b) for b in bodies]), (
                f"peer {index} received messages out of the order they were sent"
            )


def _is_subsequence(items, sequence) -> bool:
    remaining = iter(sequence)
    return all(any(item == candidate for candidate in remaining) for item in items)


def _wire(body, delimited):
    return [b"", *body] if delimited else list(body)


def _take_one(servers, received, delimited) -> int:
    """Receive one message at whichever server has it, answer it, record its body."""
    arrival = receive_from_any(servers, TIMEOUT_MS)
    assert arrival is not None, "a sent message reached no peer"
    index, got = arrival
    server = servers[index]
    route = got[0] if server.type == "ROUTER" else None
    head = len(application_frames(server.type, [], delimited=delimited, route=route))
    envelope, body = got[:head], got[head:]
    assert envelope == application_frames(server.type, [], delimited=delimited, route=route), (
        f"peer {index} ({server.type}) received a message without its envelope: {got!r}"
    )
    server.send([*envelope, b"ack"] if server.type != "REP" else [b"ack"], TIMEOUT_MS)
    received[index].append(tuple(body))
    return 1
