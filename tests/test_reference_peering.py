"""The peering brokers: overflow to peers, the state and monitor flows, faults, and shutdown.

Workers here are mostly bare REQ sockets held by the test, so that the test
decides when a worker is busy: a request that reaches a peer's worker while
the local ones hold theirs is the cloud flow at work, seen directly.  Every
test runs in its own context, and the ``context`` fixture checks at the end
that nothing was left open (the context terminates at once) and that no
thread was left running.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.frames import Limits
from reference.lbbroker import READY
from reference.peering import PeeringBroker, State, parse_state
from reference.peering_cluster import Cluster, connect_all
from reference.peering_tasks import Client, Worker
from reference.sockets import IpcDirectory, new_socket
from reference.testing import nothing_left_behind

TIMEOUT_MS = 2000
TIMEOUT_S = TIMEOUT_MS / 1000
A, B, C = b"A", b"B", b"C"


# -- fixtures and helpers ----------------------------------------------------------


@pytest.fixture
def context() -> Iterator[zmq.Context]:
    """A private context; at the end, no thread may still run and no socket be open."""
    with nothing_left_behind() as ctx:
        yield ctx


class Sockets:
    """Sockets a test plays clients, workers and fake peers with; all closed at the end."""

    def __init__(self, context: zmq.Context) -> None:
        self.context = context
        self.open: list[zmq.Socket] = []

    def new(self, kind: int, connect: str | None = None, **options) -> zmq.Socket:
        sock = new_socket(self.context, kind, **options)
        self.open.append(sock)
        if connect is not None:
            sock.connect(connect)
        return sock

    def worker(self, broker: PeeringBroker) -> zmq.Socket:
        """A REQ worker that has said READY to ``broker``."""
        worker = self.new(zmq.REQ, broker.endpoints.localbe)
        worker.send(READY)
        return worker

    def close(self) -> None:
        for sock in self.open:
            sock.close(linger=0)


@pytest.fixture
def sockets(context) -> Iterator[Sockets]:
    made = Sockets(context)
    yield made
    made.close()


@pytest.fixture
def clusters(context) -> Iterator:
    """A factory of started clusters in the test's context, stopped at the end."""
    made: list[Cluster] = []

    def make(names=(A, B, C), transport="ipc", **options) -> Cluster:
        cluster = Cluster(names, transport=transport, context=context, **options)
        made.append(cluster)
        return cluster.start()

    yield make
    for cluster in made:
        cluster.stop()


def receive(sock: zmq.Socket, timeout_ms: int = TIMEOUT_MS) -> list[bytes]:
    if not sock.poll(timeout_ms, zmq.POLLIN):
        raise AssertionError("nothing arrived")
    return sock.recv_multipart(zmq.NOBLOCK)


def receive_any(socks: list[zmq.Socket], timeout_ms: int = TIMEOUT_MS):
    """(socket, message) for the first of ``socks`` to receive something."""
    poller = zmq.Poller()
    for sock in socks:
        poller.register(sock, zmq.POLLIN)
    ready = dict(poller.poll(timeout_ms))
    if not ready:
        raise AssertionError("nothing arrived")
    sock = next(s for s in socks if s in ready)
    return sock, sock.recv_multipart(zmq.NOBLOCK)


def capacities(cluster: Cluster, expected: dict[bytes, int]) -> None:
    """Wait until every broker's local capacity, and every peer's view of it, is ``expected``."""
    for broker in cluster:
        name = broker.name_bytes
        others = {peer: count for peer, count in expected.items() if peer != name}
        broker.wait_until(
            lambda v, name=name, others=others: v.local == expected[name] and v.peers == others,
            TIMEOUT_S,
        )


# -- the local and cloud flows ------------------------------------------------------


@pytest.mark.parametrize("transport", ["inproc", "ipc", "tcp"])
def test_requests_go_to_peers_when_local_workers_are_busy(clusters, sockets, transport):
    cluster = clusters(transport=transport)
    workers = {
        name: [sockets.worker(cluster[name]) for _ in range(count)]
        for name, count in ((A, 1), (B, 2), (C, 1))
    }
    capacities(cluster, {A: 1, B: 2, C: 1})
    assert cluster[A].view.cloud == 3, "the cloud capacity is the sum over the peers"

    clients = [sockets.new(zmq.REQ, cluster[A].endpoints.localfe) for _ in range(4)]
    for number, client in enumerate(clients):
        client.send_multipart([b"request %d" % number])
    holding = {}  # worker socket -> the request it holds, unanswered
    where = Counter()
    for _ in clients:
        free = [w for ws in workers.values() for w in ws if w not in holding]
        worker, request = receive_any(free)
        holding[worker] = request
        broker = next(name for name, ws in workers.items() if worker in ws)
        where[broker] += 1
        envelope = request[:-2] if broker == A else request[1:-2]
        assert len(envelope) == 1 and envelope[0], f"not one client address: {request!r}"
        assert request[-2] == b"", request
        if broker != A:
            assert request[0] == A, f"a cloud request does not name its broker: {request!r}"
    assert where == {A: 1, B: 2, C: 1}

    for worker, request in holding.items():
        worker.send_multipart([*request[:-1], b"reply to " + request[-1]])
    for number, client in enumerate(clients):
        assert receive(client) == [b"reply to request %d" % number]
    for broker in cluster:
        assert not broker.view.counters, broker.view.counters


def test_the_cloud_capacity_is_the_sum_over_all_peers(clusters, sockets):
    """B has the workers, C (the last peer) has none: A must still send to B.

    The guide's example keeps only the last peer's capacity, so its A would
    believe the cloud full and hold these requests for ever.
    """
    cluster = clusters()
    b_workers = [sockets.worker(cluster[B]) for _ in range(2)]
    capacities(cluster, {A: 0, B: 2, C: 0})
    assert cluster[A].view.cloud == 2
    clients = [sockets.new(zmq.REQ, cluster[A].endpoints.localfe) for _ in range(2)]
    for number, client in enumerate(clients):
        client.send(b"%d" % number)
    for _ in clients:
        worker, request = receive_any(b_workers)
        worker.send_multipart(request)
    assert sorted(receive(client) for client in clients) == [[b"0"], [b"1"]]


def test_a_new_peer_hears_our_capacity_without_waiting_for_a_heartbeat(clusters, sockets):
    """No broker's capacity changes after the peers subscribe, and heartbeats are far off.

    Each learns the others' capacity anyway: the state publisher answers a
    new subscription with the capacity at once.
    """
    cluster = clusters(state_interval_s=3600, peer_timeout_s=7200)
    capacities(cluster, {A: 0, B: 0, C: 0})


def test_a_peer_request_is_only_served_locally(context, sockets):
    """A request from peer X waits for B's own worker, though B's peer C has one free.

    Were B to pass it on to C, a request could go round a cluster for ever.
    """
    ipc = IpcDirectory()
    brokers = [PeeringBroker(name, context=context) for name in (B, C)]
    x_cloudbe = sockets.new(zmq.ROUTER, routing_id=b"X")
    x_state = sockets.new(zmq.XPUB)
    x_state.bind(ipc.endpoint("x-state"))
    try:
        connect_all(brokers)
        broker = brokers[0]
        broker.connect_peer(b"X", ipc.endpoint("x-cloud"), x_state.last_endpoint.decode())
        x_cloudbe.connect(broker.endpoints.cloudfe)
        for each in brokers:
            each.start()
        b_worker, c_worker = sockets.worker(brokers[0]), sockets.worker(brokers[1])
        broker.wait_until(lambda v: v.local == 1 and v.peers.get(C) == 1, TIMEOUT_S)
        b_client = sockets.new(zmq.REQ, broker.endpoints.localfe)
        b_client.send(b"B's own")
        b_request = receive(b_worker)  # B's only worker is busy now

        x_request = [B, b"x's client", b"", b"from X"]
        for _ in range(TIMEOUT_MS):  # until the connection is up: EHOSTUNREACH before
            try:
                x_cloudbe.send_multipart(x_request)
                break
            except zmq.ZMQError as error:
                assert error.errno == zmq.EHOSTUNREACH
                x_cloudbe.poll(1)
        b_worker.send_multipart(b_request)
        assert receive(b_client) == [b"B's own"]
        assert receive(b_worker) == [b"X", b"x's client", b"", b"from X"]
        assert not c_worker.poll(0), "B passed a peer's request on to C"
    finally:
        for each in brokers:
            each.stop()
        ipc.remove()


def test_a_peer_that_disappears_gets_nothing_more(clusters, sockets):
    cluster = clusters(state_interval_s=0.05, peer_timeout_s=0.3)
    sockets.worker(cluster[B])
    c_worker = sockets.worker(cluster[C])
    capacities(cluster, {A: 0, B: 1, C: 1})
    cluster[B].stop()
    cluster[A].wait_until(lambda v: B not in v.peers and v.peers.get(C) == 1, TIMEOUT_S)

    clients = [sockets.new(zmq.REQ, cluster[A].endpoints.localfe) for _ in range(2)]
    for number, client in enumerate(clients):
        client.send(b"%d" % number)
    for _ in clients:  # one at a time, both through C's only worker
        c_worker.send_multipart(receive(c_worker))
    assert sorted(receive(client) for client in clients) == [[b"0"], [b"1"]]


def test_an_unreachable_peer_is_given_up_and_the_request_waits(context, sockets):
    """A peer that announces capacity but cannot be reached (ROUTER_MANDATORY says so)."""
    ipc = IpcDirectory()
    state = sockets.new(zmq.XPUB)
    state.bind(ipc.endpoint("x-state"))
    broker = PeeringBroker(A, context=context)
    broker.connect_peer(b"X", ipc.endpoint("nobody-binds-this"), state.last_endpoint.decode())
    try:
        broker.start()
        assert receive(state) == [b"\x01"], "the broker subscribes to its peers' state"
        state.send_multipart([b"X", b"3"])
        broker.wait_until(lambda v: v.peers == {b"X": 3}, TIMEOUT_S)
        client = sockets.new(zmq.REQ, broker.endpoints.localfe)
        client.send(b"help")
        broker.wait_until(lambda v: v.counters.get("peer unreachable") == 1, TIMEOUT_S)
        assert broker.view.peers == {b"X": 0}
        worker = sockets.worker(broker)
        request = receive(worker)
        worker.send_multipart(request)
        assert receive(client) == [b"help"]
    finally:
        broker.stop()
        ipc.remove()


def test_connecting_peers_is_checked(context):
    broker = PeeringBroker(A, context=context)
    try:
        with pytest.raises(ValueError):
            broker.connect_peer(A, "inproc://x", "inproc://y")
        with pytest.raises(ValueError):
            broker.connect_peer("B", "inproc://x", "inproc://y")  # type: ignore[arg-type]
        broker.start()
        with pytest.raises(RuntimeError):
            broker.connect_peer(B, "inproc://x", "inproc://y")
        with pytest.raises(TimeoutError):
            broker.wait_until(lambda v: v.local == 1, 0.01)
    finally:
        broker.stop()
    with pytest.raises(ValueError):
        PeeringBroker("A", context=context)  # type: ignore[arg-type]


def test_state_messages_are_parsed_strictly():
    def parsed(*parts: bytes) -> State | None:
        return parse_state([zmq.Frame(part) for part in parts])

    assert parsed(b"A", b"12") == State(b"A", 12)
    assert parsed(b"A", b"0", b"s", b"B", b"7", b"C", b"0") == State(
        b"A", 0, b"s", {b"B": 7, b"C": 0}
    )
    assert parsed(b"A", b"1", b"s") == State(b"A", 1, b"s")
    for bad in (
        [b"A"],
        [b"A", b"-1"],
        [b"A", b"1e3"],
        [b"", b"1"],
        [b"A", b"99999999"],
        [b"A", b"1", b"s", b"B"],
        [b"A", b"1", b"", b"B", b"1"],
        [b"A", b"1", b"s", b"", b"1"],
        [b"A", b"1", b"s", b"B", b"x"],
        [b"A", b"1", b"s", b"B", b"1", b"B", b"2"],
        [b"A", b"1", b"s", b"B", b"1" * 21],
    ):
        assert parsed(*bad) is None, bad


def test_a_state_published_before_our_requests_arrived_does_not_undo_them(context, sockets):
    """State and requests travel on different connections: a state can be older than a request.

    Peer X announces room for 2 and A sends it two requests.  X's next state
    still counts none of them as taken (X published it before they reached
    it): A must not believe X has room for 3 again, as the guide's broker
    does, but for 1.  A new session of X means X restarted: what A sent the
    old one is gone, and X's capacity is believed as it stands.
    """
    ipc = IpcDirectory()
    peer = FakePeer(sockets, ipc)
    broker = PeeringBroker(A, context=context)
    broker.connect_peer(b"X", peer.cloudfe_endpoint, peer.statebe_endpoint)
    try:
        broker.start()
        assert receive(peer.statebe) == [b"\x01"]
        peer.statebe.send_multipart([b"X", b"2", b"s1", A, b"0"])
        broker.wait_until(lambda v: v.peers == {b"X": 2}, TIMEOUT_S)
        for number in range(2):
            sockets.new(zmq.REQ, broker.endpoints.localfe).send(b"%d" % number)
        assert sorted(receive(peer.cloudfe)[-1] for _ in range(2)) == [b"0", b"1"]

        peer.statebe.send_multipart([b"X", b"3", b"s1", A, b"0"])
        broker.wait_until(lambda v: v.peers == {b"X": 1}, TIMEOUT_S)
        peer.statebe.send_multipart([b"X", b"3", b"s1", A, b"2"])
        broker.wait_until(lambda v: v.peers == {b"X": 3}, TIMEOUT_S)
        peer.statebe.send_multipart([b"X", b"0", b"s1", A, b"2"])
        broker.wait_until(lambda v: v.peers == {b"X": 0}, TIMEOUT_S)
        peer.statebe.send_multipart([b"X", b"2", b"s2", A, b"0"])
        broker.wait_until(lambda v: v.peers == {b"X": 2}, TIMEOUT_S)
        assert not broker.view.counters, broker.view.counters
    finally:
        broker.stop()
        ipc.remove()


def test_a_cluster_stops_cleanly_with_requests_in_flight(context, sockets):
    """Requests held by workers, queued at a broker and on their way: stop() still ends it all.

    The ``context`` fixture then checks that no broker thread runs and no
    broker socket is open.
    """
    cluster = Cluster((A, B), transport="ipc", context=context)
    try:
        cluster.start()
        b_worker = sockets.worker(cluster[B])
        capacities(cluster, {A: 0, B: 1})
        clients = [sockets.new(zmq.REQ, cluster[A].endpoints.localfe) for _ in range(3)]
        for client in clients:
            client.send(b"never answered")
        receive(b_worker)  # one is held by B's worker, the others wait at A
    finally:
        cluster.stop()
    assert all(broker.closed for broker in cluster)


# -- the monitor flow, clients and workers -----------------------------------------


def test_clients_and_workers_report_to_the_monitor(clusters, caplog):
    caplog.set_level(logging.INFO, logger="reference.peering")
    cluster = clusters(workers={B: 1})
    a = cluster[A].endpoints
    with Client(a.localfe, name="client A1", context=cluster.context, monitor=a.monitor) as client:
        assert client.request([b"hi"], TIMEOUT_MS) == [b"hi"]
    view = cluster[A].wait_until(lambda v: len(v.reports) == 1, TIMEOUT_S)
    assert view.reports[0].startswith("client A1: reply to request 1 in ")
    assert cluster[B].wait_until(lambda v: v.reports == ("worker B0: ready",), TIMEOUT_S)
    assert any("client A1: reply to request 1" in r.getMessage() for r in caplog.records)


def test_a_client_gives_up_after_its_deadline_and_goes_on(clusters):
    """B's worker holds the first request past the client's deadline, then answers it.

    The client closes its socket with linger 0 when it gives up, so a request
    still inside it then is never sent: the worker's handler says when the
    request got there, and holds it until the client has given up.  The
    deadline is the bound every wait here has, so the request arrives first.
    """
    arrived, release = threading.Event(), threading.Event()

    def holding(body: list[bytes]) -> list[bytes]:
        if body == [b"held"]:
            arrived.set()
            release.wait(10 * TIMEOUT_S)
        return body

    cluster = clusters(names=(A, B), workers={B: 1}, handler=holding)
    cluster.wait_until_settled(TIMEOUT_S)
    a = cluster[A].endpoints
    try:
        with Client(a.localfe, context=cluster.context, monitor=a.monitor) as client:
            assert client.request([b"held"], TIMEOUT_MS) is None
            assert arrived.is_set(), "the request did not reach B's worker within the deadline"
            cluster[A].wait_until(lambda v: any("lost" in r for r in v.reports), TIMEOUT_S)
            release.set()
            assert client.request([b"now"], TIMEOUT_MS) == [b"now"]
    finally:
        release.set()
    # The held request's reply reached A before this one (B's worker answers in
    # turn, on one connection), and went nowhere: A counts it if its ROUTER had
    # already seen the client go, else libzmq drops it with the client's pipe.
    view = cluster[A].wait_until(lambda v: True, TIMEOUT_S)
    assert view.counters in ({}, {"client gone": 1}), view.counters


def test_a_request_a_worker_declines_costs_it_no_credit(clusters):
    """A peer's worker whose handler fails declines; the peer broker keeps the worker."""

    def fussy(body: list[bytes]) -> list[bytes]:
        if body == [b"boom"]:
            raise RuntimeError("boom")
        return body

    cluster = clusters(names=(A, B), workers={B: 1}, handler=fussy)
    a = cluster[A].endpoints
    with Client(a.localfe, context=cluster.context) as client:
        assert client.request([b"boom"], 100) is None
        cluster[B].wait_until(lambda v: v.counters == {"declined": 1}, TIMEOUT_S)
        assert client.request([b"fine"], TIMEOUT_MS) == [b"fine"]


# -- garbage on every socket ---------------------------------------------------------


class FakePeer:
    """The far side of a broker's peer sockets, played by the test as peer ``X``."""

    def __init__(self, sockets: Sockets, ipc: IpcDirectory) -> None:
        self.cloudfe = sockets.new(zmq.ROUTER, routing_id=b"X")
        self.cloudfe_endpoint = ipc.endpoint("x-cloud")
        self.cloudfe.bind(self.cloudfe_endpoint)
        self.statebe = sockets.new(zmq.XPUB)
        self.statebe_endpoint = ipc.endpoint("x-state")
        self.statebe.bind(self.statebe_endpoint)

    def join(self, broker: PeeringBroker) -> None:
        """Wait for the broker to subscribe, then announce no capacity."""
        assert receive(self.statebe) == [b"\x01"]
        self.statebe.send_multipart([b"X", b"0"])
        broker.wait_until(lambda v: v.peers == {b"X": 0}, TIMEOUT_S)

    def send_to(self, broker: PeeringBroker, frames: list[bytes]) -> None:
        """Send from our cloudfe to the broker's cloudbe, once the connection is up."""
        deadline_polls = TIMEOUT_MS
        while True:
            try:
                self.cloudfe.send_multipart([broker.name_bytes, *frames])
                return
            except zmq.ZMQError as error:
                deadline_polls -= 1
                if error.errno != zmq.EHOSTUNREACH or not deadline_polls:
                    raise
                self.cloudfe.poll(1)  # give the handshake a moment, bounded


SOCKETS = ("localfe", "localbe", "cloudfe", "cloudbe", "statefe", "statebe", "monitor")


def send_garbage(target: str, frames: list[bytes], broker, peer: FakePeer, sockets) -> None:
    """Send ``frames`` to the broker's socket ``target``, from a socket that may talk to it."""
    endpoints = broker.endpoints
    if target == "cloudbe":
        peer.send_to(broker, frames)
    elif target == "statefe":
        peer.statebe.send_multipart(frames)
    elif target == "statebe":
        sockets.new(zmq.XSUB, endpoints.statebe).send_multipart(frames)
    elif target == "monitor":
        sockets.new(zmq.PUSH, endpoints.monitor).send_multipart(frames)
    else:
        sockets.new(zmq.DEALER, getattr(endpoints, target)).send_multipart(frames)


@pytest.fixture
def lone_broker(context, sockets) -> Iterator[tuple[PeeringBroker, FakePeer, Worker]]:
    """Broker A with one echo worker and a fake peer X, small limits, started and settled."""
    ipc = IpcDirectory()
    peer = FakePeer(sockets, ipc)
    broker = PeeringBroker(A, context=context, limits=Limits(max_frames=16, max_bytes=4096))
    broker.connect_peer(b"X", peer.cloudfe_endpoint, peer.statebe_endpoint)
    try:
        broker.start()
        peer.join(broker)
        with Worker(broker.endpoints.localbe, context=context) as worker:
            broker.wait_until(lambda v: v.local == 1, TIMEOUT_S)
            yield broker, peer, worker
    finally:
        broker.stop()
        ipc.remove()


GARBAGE = (
    ("localfe", [b"a", b"b", b"c"], "no delimiter"),
    ("localfe", [b"", b"x"] * 9, "too many frames"),
    ("localbe", [b"junk"], "message from an unknown worker (no delimiter)"),
    ("localbe", [b"", b"NOT READY"], "message from an unknown worker (too few frames)"),
    ("localbe", [b"", b"client", b"", b"reply"], "reply from a worker that owes none"),
    ("cloudfe", [b"client", b"", b"body"], "a request from an unknown peer"),
    ("cloudbe", [b"no delimiter"], "a peer's reply: too few frames"),
    ("cloudbe", [b"client", b"", b"reply"], "client gone"),
    ("statefe", [b"X", b"lots"], "a state message that is not [name, capacity, ...]"),
    ("statefe", [b"Y", b"1"], "a state message from an unknown peer"),
    ("statebe", [b"hello"], "a message to the state publisher that is not a subscription"),
    ("monitor", [b"x" * 5000], "a monitor report: oversized"),
)


def test_garbage_on_every_socket_is_counted_and_dropped(lone_broker, sockets):
    broker, peer, _ = lone_broker
    before = sockets.new(zmq.REQ, broker.endpoints.localfe)
    before.send(b"before")
    for target, frames, _ in GARBAGE:
        send_garbage(target, frames, broker, peer, sockets)
    impostor = sockets.new(zmq.DEALER, broker.endpoints.localfe, routing_id=b"X")
    impostor.send_multipart([b"", b"my replies would go to peer X"])
    expected = Counter(reason for _, _, reason in GARBAGE)
    expected["a client uses a peer's name"] += 1
    broker.wait_until(lambda v: v.counters == expected, TIMEOUT_S)

    after = sockets.new(zmq.REQ, broker.endpoints.localfe)
    after.send(b"after")
    assert receive(before) == [b"before"]
    assert receive(after) == [b"after"]
    assert tuple(dict.fromkeys(target for target, _, _ in GARBAGE)) == SOCKETS


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(SOCKETS),
    garbage=st.lists(st.binary(max_size=8), min_size=1, max_size=20),
)
def test_any_garbage_leaves_the_broker_serving(context, target, garbage):
    # Hypothesis runs the body many times in one test: fixtures are made per example here.
    caught = _HandlerFailures()
    logging.getLogger("reference.reactor").addHandler(caught)
    made = Sockets(context)
    try:
        ipc = IpcDirectory()
        peer = FakePeer(made, ipc)
        broker = PeeringBroker(A, context=context, limits=Limits(max_frames=16, max_bytes=4096))
        broker.connect_peer(b"X", peer.cloudfe_endpoint, peer.statebe_endpoint)
        with broker:
            peer.join(broker)
            with Worker(broker.endpoints.localbe, context=context):
                broker.wait_until(lambda v: v.local == 1, TIMEOUT_S)
                send_garbage(target, garbage, broker, peer, made)
                client = made.new(zmq.REQ, broker.endpoints.localfe)
                client.send(b"still there?")
                assert receive(client) == [b"still there?"]
        ipc.remove()
    finally:
        made.close()
        logging.getLogger("reference.reactor").removeHandler(caught)
    assert not caught.records, caught.records[0].getMessage()


class _HandlerFailures(logging.Handler):
    """Collects the reactor's 'handler failed' reports: garbage must never get that far."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# -- the property: no reply reaches the wrong client ---------------------------------

brokers_and_workers = st.lists(st.integers(0, 2), min_size=2, max_size=3).filter(any)
"""Workers per broker: two or three brokers, at least one worker somewhere."""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    workers=brokers_and_workers,
    clients=st.lists(
        st.tuples(st.integers(0, 2), st.lists(st.binary(max_size=8), min_size=1, max_size=4)),
        min_size=1,
        max_size=4,
    ),
    transport=st.sampled_from(["inproc", "ipc", "tcp"]),
)
def test_every_client_gets_exactly_its_own_replies(context, workers, clients, transport):
    names = [b"P%d" % index for index in range(len(workers))]
    with Cluster(
        names,
        transport=transport,
        context=context,
        workers={name: count for name, count in zip(names, workers)},
    ) as cluster:
        made = Sockets(context)
        try:
            sent = {}
            for number, (at, bodies) in enumerate(clients):
                broker = cluster[names[at % len(names)]]
                dealer = made.new(zmq.DEALER, broker.endpoints.localfe)
                sent[dealer] = [
                    [b"", b"%d.%d" % (number, n), body] for n, body in enumerate(bodies)
                ]
                for request in sent[dealer]:
                    dealer.send_multipart(request)
            for dealer, requests in sent.items():
                got = [receive(dealer) for _ in requests]
                assert sorted(got) == sorted(requests)
                assert not dealer.poll(0), "a reply came twice"
        finally:
            made.close()
