"""The property every broker here keeps: a reply reaches the client that asked, exactly once.

Hypothesis chooses how many clients there are and of which kind (REQ, one
request at a time, or DEALER, all requests at once), how many requests each
sends and how big, how many workers there are and of which kind, and the
transport.  Every request carries its client's name; workers echo it (the
async workers 0..N times).  Each client must get back exactly the replies to
its own requests.  A broker that crosses its wires is shown to fail the same
check, so the check can fail.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.asyncsrv import AsyncServer, AsyncWorker
from reference.envelope import Frames
from reference.lbbroker import LoadBalancer
from reference.lbworker import Worker
from reference.testing import connected, endpoints, nothing_left_behind

DEADLINE_S = 10.0
"""For all replies of one example to arrive; only a failing broker gets near it."""

per_example = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def context():
    with nothing_left_behind() as context:
        yield context


@dataclass
class Client:
    """One client of the traffic: its socket, what it will send and what it got back."""

    name: bytes
    socket: zmq.Socket
    requests: list[list[bytes]]
    prefix: list[bytes]  # what a DEALER puts in front: the delimiter a REQ would add, or nothing
    expected: Counter = field(default_factory=Counter)
    received: list[tuple[bytes, ...]] = field(default_factory=list)

    @property
    def one_at_a_time(self) -> bool:
        return self.socket.type == zmq.REQ

    def send_next(self) -> None:
        if self.requests:
            body = self.requests.pop(0)
            self.socket.send_multipart(body if self.one_at_a_time else [*self.prefix, *body])


def run(clients: list[Client]) -> None:
    """Send every request and collect replies until all expected have come, or the deadline."""
    poller = zmq.Poller()
    for client in clients:
        poller.register(client.socket, zmq.POLLIN)
        client.send_next()
        while not client.one_at_a_time and client.requests:
            client.send_next()
    outstanding = sum(sum(client.expected.values()) for client in clients)
    by_socket = {client.socket: client for client in clients}
    deadline = time.monotonic() + DEADLINE_S
    while outstanding and time.monotonic() < deadline:
        for socket, _ in poller.poll(100):
            client = by_socket[socket]
            frames = socket.recv_multipart(zmq.NOBLOCK)
            if not client.one_at_a_time:
                prefix = len(client.prefix)
                assert frames[:prefix] == client.prefix, f"{client.name!r}: envelope lost"
                frames = frames[prefix:]
            client.received.append(tuple(frames))
            outstanding -= 1
            if client.one_at_a_time:
                client.send_next()


def check(clients: list[Client]) -> None:
    for client in clients:
        strangers = [reply for reply in client.received if reply[0] != client.name]
        assert not strangers, f"{client.name!r} got another client's replies: {strangers[:3]}"
        assert Counter(client.received) == client.expected, f"{client.name!r}: wrong replies"


def make_clients(
    context: zmq.Context,
    frontend: str,
    plan: list[tuple[str, list[int]]],
    replies: Callable[[list[bytes]], list[list[bytes]]],
    prefix: list[bytes],
) -> list[Client]:
    clients = []
    for n, (kind, sizes) in enumerate(plan):
        name = b"client-%d" % n
        socket = connected(context, zmq.REQ if kind == "REQ" else zmq.DEALER, frontend)
        requests = [[name, b"%d" % seq, b"\x00" * size] for seq, size in enumerate(sizes)]
        client = Client(name, socket, list(requests), prefix)
        for request in requests:
            client.expected.update(tuple(reply) for reply in replies(request))
        clients.append(client)
    return clients


client_plans = st.lists(
    st.tuples(
        st.sampled_from(["REQ", "DEALER"]),
        st.lists(st.integers(0, 2048), min_size=1, max_size=6),  # each request's payload size
    ),
    min_size=1,
    max_size=5,
)
worker_credits = st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=1, max_size=4)
"""One entry per load-balancing worker: None for a REQ worker, else a DEALER's credits."""


def lb_traffic(context, broker, plan, credits) -> list[Client]:
    workers = [Worker(broker.backend_endpoint, credits=n, context=context).start() for n in credits]
    clients = make_clients(context, broker.frontend_endpoint, plan, lambda body: [body], [b""])
    try:
        run(clients)
    finally:
        for client in clients:
            client.socket.close()
        for worker in workers:
            worker.stop()
    return clients


@per_example
@given(
    plan=client_plans,
    credits=worker_credits,
    transport=st.sampled_from(["inproc", "tcp"]),
)
def test_the_lb_broker_answers_each_client_exactly_its_own_requests(
    context, plan, credits, transport
):
    with LoadBalancer(*endpoints(transport), context=context) as broker:
        check(lb_traffic(context, broker, plan, credits))
    assert not broker.counters


def numbered_replies(body: list[bytes]) -> list[list[bytes]]:
    """0..3 replies, as many as the request's sequence number says (mod 4), numbered."""
    return [[*body, b"%d" % n] for n in range(int(body[1]) % 4)]


def async_traffic(context, server, plan, workers) -> list[Client]:
    services = [
        AsyncWorker(server.backend_endpoint, numbered_replies, context=context).start()
        for _ in range(workers)
    ]
    clients = make_clients(context, server.frontend_endpoint, plan, numbered_replies, [])
    try:
        run(clients)
    finally:
        for client in clients:
            client.socket.close()
        for service in services:
            service.stop()
    return clients


dealer_plans = client_plans.map(lambda plan: [("DEALER", sizes) for _, sizes in plan])


@per_example
@given(
    plan=dealer_plans,
    workers=st.integers(1, 4),
    transport=st.sampled_from(["inproc", "tcp"]),
)
def test_the_async_server_gives_each_client_exactly_its_own_replies(
    context, plan, workers, transport
):
    with AsyncServer(*endpoints(transport), context=context) as server:
        check(async_traffic(context, server, plan, workers))
    assert not server.counters


# -- the check can fail ---------------------------------------------------------------


class CrossedWires:
    """A broker fault: each reply goes to the client of the reply before it."""

    _previous = None

    def _cross(self, frames: Frames) -> Frames:
        previous, self._previous = self._previous, frames[0]
        return frames if previous is None else [previous, *frames[1:]]


class CrossedLoadBalancer(CrossedWires, LoadBalancer):
    def _reply(self, replies: list[Frames]) -> None:
        super()._reply([self._cross(frames) for frames in replies])


class CrossedAsyncServer(CrossedWires, AsyncServer):
    def _reply(self, frames: Frames) -> None:
        super()._reply(self._cross(frames))


THREE_PIPELINED_CLIENTS = [("DEALER", [8, 16, 32, 64])] * 3


def test_the_check_catches_an_lb_broker_that_crosses_its_wires(context):
    with CrossedLoadBalancer(*endpoints("inproc"), context=context) as broker:
        clients = lb_traffic(context, broker, THREE_PIPELINED_CLIENTS, [2, 2])
    with pytest.raises(AssertionError, match="another client's replies"):
        check(clients)


def test_the_check_catches_an_async_server_that_crosses_its_wires(context):
    with CrossedAsyncServer(*endpoints("inproc"), context=context) as server:
        clients = async_traffic(context, server, THREE_PIPELINED_CLIENTS, 2)
    with pytest.raises(AssertionError, match="another client's replies"):
        check(clients)
