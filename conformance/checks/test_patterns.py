"""The implementation inside the chapter's patterns, with the reference brokers in the middle.

The brokers are the reference's (``reference/``: libzmq through pyzmq, in
this process, started and stopped per example); the clients and workers
around them are the implementation's, or libzmq's in the roles the peer
mode leaves to it (see :mod:`conformance.catalogue.patterns`).

Every step is proved by a positive observation, never by waiting for
absence: a request is awaited at *every* idle worker at once
(:func:`~conformance.harness.exchange.receive_from_any`), so one that goes to the
wrong worker shows up where it went; a reply is awaited at every client
with a request outstanding, so one that reaches the wrong client is seen
there.  Each request carries a tag frame in front of its generated body, so
a request or reply seen twice, or seen where it does not belong, is named.
And each step of the load-balancing test waits for its effect before the
next one starts, so the order in which the broker sees events is the test's
order and "least recently used" is an exact prediction.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message
from conformance.harness.exchange import receive_from_any
from conformance.harness.network import TIMEOUT_MS
from conformance.harness.strategies import RepeatedBytes, rarely
from reference.asyncsrv import AsyncServer
from reference.lbbroker import READY, LoadBalancer
from reference.peering_cluster import Cluster

BROKERS = zmq.Context.instance()
"""The reference brokers' context: the suite's own, never the implementation's."""

TIMEOUT_S = TIMEOUT_MS / 1000
DELIMITER = b""
MAX_PIPELINED = 3
"""How many requests a DEALER client may have outstanding at once."""

pattern_frames = rarely(
    st.binary(max_size=32),
    st.builds(
        RepeatedBytes,
        pattern=st.binary(min_size=1, max_size=4),
        count=st.integers(min_value=1 << 10, max_value=1 << 14),
    ),
)
"""Frames of requests and replies: small, and now and then up to 64 KiB."""

bodies = st.lists(pattern_frames, max_size=4)
"""A request's or a reply's frames after its tag: modest, since every one crosses a broker."""


# -- the clients and workers, in the implementation's or libzmq's sockets -----------


@dataclass
class Request:
    """One request: who sent it, its tag, its body and the answer its worker will give."""

    client: int
    tag: bytes
    body: Sequence[bytes]
    answer: Sequence[bytes]

    @property
    def frames(self) -> Frames:
        return [self.tag, *self.body]

    @property
    def reply(self) -> Frames:
        return [self.tag, *self.answer]


class Client:
    """A REQ client, or a DEALER client that adds the empty delimiter itself."""

    def __init__(self, index: int, sock: Socket) -> None:
        self.index = index
        self.sock = sock
        self.outstanding: list[Request] = []
        self.name = f"client {index} ({sock.type})"

    def can_send(self) -> bool:
        limit = 1 if self.sock.type == "REQ" else MAX_PIPELINED
        return len(self.outstanding) < limit

    def send(self, request: Request) -> None:
        frames = request.frames if self.sock.type == "REQ" else [DELIMITER, *request.frames]
        self.sock.send(frames, TIMEOUT_MS)
        self.outstanding.append(request)

    def check_reply(self, frames: Frames, request: Request) -> None:
        """``frames`` arrived here: it must be ``request``'s reply, and this its client."""
        __tracebackhide__ = True
        if self.sock.type == "DEALER":
            assert frames[:1] == [DELIMITER], f"{self.name} got a reply without delimiter"
            frames = frames[1:]
        assert request.client == self.index, (
            f"the reply to client {request.client}'s request reached {self.name}"
        )
        assert_message(frames, request.reply, f"{self.name} got back")
        self.outstanding.remove(request)


class Worker:
    """A REQ worker, or a DEALER worker that adds and strips the first delimiter itself."""

    def __init__(self, label: str, sock: Socket) -> None:
        self.sock = sock
        self.name = f"{label} ({sock.type})"

    def announce(self) -> None:
        """Say READY: one request at a time, least recently used first."""
        self.sock.send([READY] if self.sock.type == "REQ" else [DELIMITER, READY], TIMEOUT_MS)

    def take(self, frames: Frames, hops: int, requests: Requests) -> tuple[Frames, Request]:
        """Check a request that arrived here: ``hops`` addresses, the delimiter, a known request.

        Returns the addresses (to send back) and the request.
        """
        __tracebackhide__ = True
        if self.sock.type == "DEALER":
            assert frames[:1] == [DELIMITER], f"{self.name} got a request without delimiter"
            frames = frames[1:]
        addresses, rest = frames[:hops], frames[hops:]
        assert len(addresses) == hops and all(addresses) and rest[:1] == [DELIMITER], (
            f"{self.name} got {frames[: hops + 2]!r}...: expected {hops} address frame(s) "
            "and the empty delimiter in front of the request"
        )
        request = requests.deliver(rest[1:], self.name)
        return addresses, request

    def reply(self, addresses: Frames, request: Request) -> None:
        frames = [*addresses, DELIMITER, *request.reply]
        self.sock.send(frames if self.sock.type == "REQ" else [DELIMITER, *frames], TIMEOUT_MS)


class Requests:
    """Every request of one example by tag, and which of them were delivered to a worker."""

    def __init__(self) -> None:
        self._tags = (b"request %d" % n for n in itertools.count())
        self.by_tag: dict[bytes, Request] = {}
        self.delivered: set[bytes] = set()

    def new(self, client: Client, body: Sequence[bytes], answer: Sequence[bytes]) -> Request:
        request = Request(client.index, next(self._tags), body, answer)
        self.by_tag[request.tag] = request
        return request

    def deliver(self, frames: Frames, where: str) -> Request:
        """The request whose frames arrived at ``where``; it must be known and new there."""
        __tracebackhide__ = True
        request = self.by_tag.get(frames[0]) if frames else None
        assert request is not None, f"{where} got {frames[:2]!r}..., which no client sent"
        assert request.tag not in self.delivered, f"{where} got {request.tag!r} a second time"
        assert_message(frames, request.frames, f"{where} got")
        self.delivered.add(request.tag)
        return request


def workers_of(
    network, side: str, kind: str, endpoint: str, count: int, label: str = ""
) -> list[Worker]:
    """``count`` workers on ``endpoint``, each connected and READY."""
    crew = []
    for n in range(count):
        worker = Worker(f"worker {n}{label}", network.socket(side, kind))
        worker.sock.connect(endpoint)
        worker.announce()
        crew.append(worker)
    return crew


def expect_reply(clients: Sequence[Client], request: Request) -> None:
    """``request``'s reply must reach its client: watched for at every waiting client."""
    __tracebackhide__ = True
    waiting = [client for client in clients if client.outstanding]
    arrival = receive_from_any([client.sock for client in waiting])
    assert arrival is not None, (
        f"the reply to client {request.client}'s {request.tag!r} reached no client "
        f"within {TIMEOUT_MS} ms"
    )
    index, frames = arrival
    waiting[index].check_reply(frames, request)


def reply_arriving(clients: Sequence[Client], requests: Requests, what: str) -> None:
    """Some waiting client's reply, whichever comes first: it must be its own."""
    __tracebackhide__ = True
    waiting = [client for client in clients if client.outstanding]
    arrival = receive_from_any([client.sock for client in waiting])
    assert arrival is not None, f"{what}: no reply reached a client within {TIMEOUT_MS} ms"
    index, frames = arrival
    client = waiting[index]
    body = frames[1:] if client.sock.type == "DEALER" else frames
    request = requests.by_tag.get(body[0]) if body else None
    assert request is not None, f"{client.name} got {frames[:2]!r}..., which is no reply"
    client.check_reply(frames, request)


def assert_nothing_more(clients: Sequence[Client], workers: Sequence[Worker]) -> None:
    """After the last reply, no socket holds a message: nothing came twice.

    A non-blocking look, not a wait: a duplicate sent at once is there by now.
    """
    __tracebackhide__ = True
    for name, sock in [(c.name, c.sock) for c in clients] + [(w.name, w.sock) for w in workers]:
        try:
            extra = sock.recv(0)
        except ZmqError as exc:
            if exc.code not in (ErrorCode.EAGAIN, ErrorCode.EFSM):
                raise
            continue
        raise AssertionError(f"{name} got {extra[:3]!r}... after every request was answered")


# -- the load-balancing broker -------------------------------------------------------


class LoadBalancingRun:
    """Clients and workers driven through the broker step by step, against a model of it.

    The model is the broker's queue of ready workers, least recently used
    first.  Each step waits for its effect before the next starts, so the
    broker's order of events is the test's.  One thing cannot be observed:
    when a worker's first READY reaches the broker.  So a worker that has
    not yet received a request is *fresh*: the next request may go to any
    fresh worker or to the head of the queue, but to no other.  Every later
    place in the queue is exact.
    """

    def __init__(self, clients: list[Client], workers: list[Worker]) -> None:
        self.clients = clients
        self.workers = workers
        self.requests = Requests()
        self.fresh = set(range(len(workers)))
        self.ready: list[int] = []  # idle workers, least recently used first
        self.busy: dict[int, tuple[Frames, Request]] = {}
        self.queued: dict[int, deque[Request]] = {c.index: deque() for c in clients}

    def send(self, client: Client, body: Sequence[bytes], answer: Sequence[bytes]) -> None:
        request = self.requests.new(client, body, answer)
        client.send(request)
        if self.fresh or self.ready:
            allowed = self.fresh | set(self.ready[:1])
            self._expect_request(allowed, lambda got: got is request)
        else:
            self.queued[client.index].append(request)  # every worker is busy

    def reply(self, worker: int) -> None:
        addresses, request = self.busy.pop(worker)
        self.workers[worker].reply(addresses, request)
        expect_reply(self.clients, request)
        self.ready.append(worker)
        heads = {queue[0].tag for queue in self.queued.values() if queue}
        if heads:  # every other worker is busy: the broker hands this one a waiting request
            self._expect_request({worker}, lambda got: got.tag in heads)

    def finish(self) -> None:
        """Let every busy worker reply until every request is answered."""
        while self.busy:
            self.reply(min(self.busy))
        assert not any(self.queued.values()), "requests left waiting with every worker idle"
        assert_nothing_more(self.clients, self.workers)

    def _expect_request(self, allowed: set[int], expected) -> None:
        __tracebackhide__ = True
        idle = sorted(self.fresh | set(self.ready))
        arrival = receive_from_any([self.workers[index].sock for index in idle])
        assert arrival is not None, f"a request reached no worker within {TIMEOUT_MS} ms"
        position, frames = arrival
        worker = idle[position]
        took = self.workers[worker]
        addresses, request = took.take(frames, 1, self.requests)
        assert worker in allowed, (
            f"{took.name} got {request.tag!r}, but the least recently used ready worker was "
            + " or ".join(self.workers[index].name for index in sorted(allowed))
        )
        assert expected(request), (
            f"{took.name} got {request.tag!r} out of turn: a client's requests go out in order"
        )
        queue = self.queued[request.client]
        if queue and queue[0] is request:
            queue.popleft()
        self.fresh.discard(worker)
        if worker in self.ready:
            self.ready.remove(worker)
        self.busy[worker] = (addresses, request)


@pytest.mark.zmq_family("lb-broker")
@given(
    workers=st.integers(min_value=1, max_value=3),
    clients=st.integers(min_value=1, max_value=3),
    steps=st.lists(st.tuples(st.integers(0, 5), bodies, bodies), min_size=1, max_size=10),
)
def test_load_balancing_broker(network, case, workers, clients, steps):
    """``steps``: (choice, body, answer) each; the choice picks among what can happen next.

    What can happen next depends on which fresh worker the broker picked,
    which may differ when Hypothesis runs an example again.  So the steps
    are drawn up front, not while the run goes: Hypothesis must see the
    same draws every time it runs an example, or it gives up on it.
    """
    kind, transport = case.pairing.connects, case.transport
    client_side, worker_side = network.peering.connector, network.peering.binder
    frontend, backend = network.endpoints.new(transport), network.endpoints.new(transport)
    with LoadBalancer(frontend, backend, context=BROKERS) as broker, network.sockets():
        network.reference_started(
            "lbbroker", frontend=broker.frontend_endpoint, backend=broker.backend_endpoint
        )
        crew = workers_of(network, worker_side, kind, broker.backend_endpoint, workers)
        users = [Client(n, network.socket(client_side, kind)) for n in range(clients)]
        for client in users:
            client.sock.connect(broker.frontend_endpoint)

        run = LoadBalancingRun(users, crew)
        for choice, body, answer in steps:
            actions = [("send", c.index) for c in users if c.can_send()]
            actions += [("reply", w) for w in sorted(run.busy)]
            action, who = actions[choice % len(actions)]
            if action == "send":
                run.send(users[who], body, answer)
            else:
                run.reply(who)
        run.finish()


# -- the peering cluster ----------------------------------------------------------------

A, B, C = b"A", b"B", b"C"


class OverflowRun:
    """Clients of broker A whose requests outnumber A's workers, in a cluster of three.

    A's workers hold the requests they get; B's and C's answer each at once.
    So A's clients are served by the cloud until every request beyond A's
    own workers was answered, and only then do A's workers answer theirs.
    """

    def __init__(self, crews: dict[bytes, list[Worker]], clients: list[Client]) -> None:
        self.local = crews[A]
        self.cloud = crews[B] + crews[C]
        self.clients = clients
        self.requests = Requests()
        self.held: dict[Worker, tuple[Frames, Request]] = {}
        self.served_by_cloud: set[bytes] = set()

    def serve_overflow(self, overflow: int) -> None:
        """Until A's workers all hold one request and ``overflow`` others were answered."""
        answered = 0
        while len(self.held) < len(self.local) or answered < overflow:
            idle_local = [w for w in self.local if w not in self.held]
            waiting = [c for c in self.clients if c.outstanding]
            arrival = receive_from_any(
                [w.sock for w in idle_local + self.cloud] + [c.sock for c in waiting]
            )
            assert arrival is not None, (
                f"stuck: {len(self.held)} of A's {len(self.local)} workers busy, {answered} "
                f"of {overflow} other requests answered, nothing arrived in {TIMEOUT_MS} ms"
            )
            position, frames = arrival
            if position < len(idle_local):
                worker = idle_local[position]
                self.held[worker] = worker.take(frames, 1, self.requests)
            elif position < len(idle_local) + len(self.cloud):
                self._serve_in_the_cloud(self.cloud[position - len(idle_local)], frames)
            else:
                client = waiting[position - len(idle_local) - len(self.cloud)]
                request = client.outstanding[0]  # a REQ client has one
                assert request.tag in self.served_by_cloud, (
                    f"{client.name} got {frames[:2]!r}... before its request was answered"
                )
                client.check_reply(frames, request)
                answered += 1

    def _serve_in_the_cloud(self, worker: Worker, frames: Frames) -> None:
        __tracebackhide__ = True
        addresses, request = worker.take(frames, 2, self.requests)
        assert addresses[0] == A, f"{worker.name} got a request from {addresses[0]!r}, not A"
        self.served_by_cloud.add(request.tag)
        worker.reply(addresses, request)

    def release_local(self) -> None:
        """A's workers answer what they held; each reply must reach its client."""
        for worker, (addresses, request) in self.held.items():
            worker.reply(addresses, request)
        for _ in self.held:
            reply_arriving(self.clients, self.requests, "after A's workers answered")
        assert_nothing_more(self.clients, self.local + self.cloud)


@pytest.mark.zmq_family("peering")
@given(
    local=st.integers(min_value=1, max_value=2),
    cloud=st.tuples(st.integers(min_value=0, max_value=2), st.integers(min_value=1, max_value=2)),
    overflow=st.integers(min_value=1, max_value=3),
    data=st.data(),
)
def test_requests_overflow_to_peer_brokers(network, case, local, cloud, overflow, data):
    client_side, worker_side = network.peering.connector, network.peering.binder
    counts = {A: local, B: cloud[0], C: cloud[1]}
    # Drawn before the cluster runs: what a replay draws must not depend on how far it got.
    payloads = [
        (
            data.draw(bodies, label=f"client {n}: body"),
            data.draw(bodies, label=f"client {n}: answer"),
        )
        for n in range(local + overflow)
    ]
    cluster = Cluster(tuple(counts), transport=case.transport, context=BROKERS)
    with cluster, network.sockets():
        network.reference_started("peering cluster", entry=cluster[A].endpoints.localfe)
        crews = {
            name: workers_of(
                network, worker_side, "REQ", cluster[name].endpoints.localbe, count, f" of {name!r}"
            )
            for name, count in counts.items()
        }
        peers = {B: cloud[0], C: cloud[1]}
        cluster[A].wait_until(lambda v: v.local == local and v.peers == peers, TIMEOUT_S)

        users = [Client(n, network.socket(client_side, "REQ")) for n in range(local + overflow)]
        run = OverflowRun(crews, users)
        for client, (body, answer) in zip(users, payloads):
            client.sock.connect(cluster[A].endpoints.localfe)
            client.send(run.requests.new(client, body, answer))
        run.serve_overflow(overflow)
        run.release_local()


# -- the asynchronous server ---------------------------------------------------------


class AsyncRun:
    """DEALER clients and DEALER workers around the asynchronous server.

    A client sends ``[tag, *body]`` and gets each reply as ``[tag, n, *answer]``;
    a worker gets ``[client, tag, *body]`` and sends ``[client, tag, n, *answer]``
    for n = 0, 1, ... as many times as the request asks (0 to 2).  The workers
    hold every request until all have arrived, then answer them back to back,
    so replies to different clients leave a worker one right after another.
    """

    def __init__(self, clients: list[Client], workers: list[Worker]) -> None:
        self.clients = clients
        self.workers = workers
        self.requests = Requests()
        self.replies_wanted: dict[bytes, int] = {}
        self.held: dict[Worker, list[tuple[bytes, Request]]] = {w: [] for w in workers}
        self.client_ids: dict[int, bytes] = {}

    def send(self, client: Client, body, answer, replies: int) -> None:
        request = self.requests.new(client, body, answer)
        self.replies_wanted[request.tag] = replies
        client.sock.send(request.frames, TIMEOUT_MS)  # a DEALER client, no delimiter

    def collect(self) -> None:
        """Every request must reach some worker, once, behind one client id."""
        __tracebackhide__ = True
        for _ in self.requests.by_tag:
            arrival = receive_from_any([w.sock for w in self.workers])
            assert arrival is not None, (
                f"{len(self.requests.delivered)} of {len(self.requests.by_tag)} requests "
                f"reached a worker within {TIMEOUT_MS} ms"
            )
            position, frames = arrival
            worker = self.workers[position]
            assert len(frames) >= 2 and frames[0], f"{worker.name} got {frames[:2]!r}..."
            request = self.requests.deliver(frames[1:], worker.name)
            known = self.client_ids.setdefault(request.client, frames[0])
            assert known == frames[0], (
                f"client {request.client}'s requests came with two ids: {known!r}, {frames[0]!r}"
            )
            self.held[worker].append((frames[0], request))
        ids = list(self.client_ids.values())
        assert len(set(ids)) == len(ids), f"two clients with one id: {ids!r}"

    def answer(self, order: list[int]) -> None:
        """Each worker answers what it holds, in ``order`` (a permutation, cut to size)."""
        for worker, held in self.held.items():
            for position in sorted(range(len(held)), key=lambda p: order[p % len(order)]):
                client_id, request = held[position]
                for n in range(self.replies_wanted[request.tag]):
                    reply = [client_id, request.tag, b"%d" % n, *request.answer]
                    worker.sock.send(reply, TIMEOUT_MS)

    def check_replies(self) -> None:
        """Every reply reaches the client of its request, each exactly once."""
        __tracebackhide__ = True
        expected = {
            (request.client, request.tag, b"%d" % n)
            for request in self.requests.by_tag.values()
            for n in range(self.replies_wanted[request.tag])
        }
        while expected:
            waiting = sorted({client for client, _, _ in expected})
            arrival = receive_from_any([self.clients[index].sock for index in waiting])
            assert arrival is not None, (
                f"{len(expected)} replies reached no client within {TIMEOUT_MS} ms"
            )
            position, frames = arrival
            client = self.clients[waiting[position]]
            request = self.requests.by_tag.get(frames[0]) if frames else None
            assert request is not None, f"{client.name} got {frames[:2]!r}..., which is no reply"
            assert request.client == client.index, (
                f"the reply to client {request.client}'s {request.tag!r} reached {client.name}"
            )
            key = (client.index, request.tag, frames[1] if len(frames) > 1 else b"")
            assert key in expected, f"{client.name} got reply {key[2]!r} to {request.tag!r} twice"
            assert_message(frames[2:], request.answer, f"{client.name} got, after tag and number")
            expected.remove(key)
        assert_nothing_more(self.clients, self.workers)


@pytest.mark.zmq_family("async-server")
@given(
    workers=st.integers(min_value=1, max_value=3),
    requests=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2), bodies, bodies, st.integers(0, 2)),
        min_size=1,
        max_size=6,
    ),
    order=st.permutations(range(6)),
)
def test_async_server(network, case, workers, requests, order):
    """``requests``: (client, body, answer, how many replies) each; clients send in turn."""
    client_side, worker_side = network.peering.connector, network.peering.binder
    frontend, backend = network.endpoints.new(case.transport), network.endpoints.new(case.transport)
    with AsyncServer(frontend, backend, context=BROKERS) as server, network.sockets():
        network.reference_started(
            "asyncsrv", frontend=server.frontend_endpoint, backend=server.backend_endpoint
        )
        crew = [
            Worker(f"worker {n}", network.socket(worker_side, "DEALER")) for n in range(workers)
        ]
        for worker in crew:
            worker.sock.connect(server.backend_endpoint)
        users = [Client(n, network.socket(client_side, "DEALER")) for n in range(3)]
        for client in users:
            client.sock.connect(server.frontend_endpoint)
        run = AsyncRun(users, crew)
        for client, body, answer, replies in requests:
            run.send(users[client], body, answer, replies)
        run.collect()
        run.answer(list(order))
        run.check_replies()
