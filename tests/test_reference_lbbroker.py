"""reference.lbbroker and reference.lbworker: load balancing that works, in order, on credit."""

from __future__ import annotations

import pytest
import zmq

from reference import testing
from reference.lbbroker import READY, LoadBalancer
from reference.lbworker import Worker
from reference.sockets import inproc_endpoint
from reference.testing import endpoints, nothing_left_behind
from reference.workerqueue import WorkerQueue
from tests.test_reference_workerqueue import MostRecentlyUsed

TIMEOUT_MS = 5000
"""For what must happen: generous, since it only runs out when a test fails."""
TIMEOUT_S = TIMEOUT_MS / 1000


@pytest.fixture
def context():
    with nothing_left_behind() as context:
        yield context


@pytest.fixture(params=["inproc", "tcp"])
def broker(request, context):
    with LoadBalancer(*endpoints(request.param), context=context) as broker:
        yield broker


def connected(context: zmq.Context, kind: int, endpoint: str, **options) -> zmq.Socket:
    return testing.connected(context, kind, endpoint, timeout_ms=TIMEOUT_MS, **options)


def test_req_clients_are_answered_by_req_workers_in_turn(context, broker):
    def tagged(tag: bytes):
        return lambda body: [tag, *body]

    workers = [
        Worker(broker.backend_endpoint, tagged(b"w%d" % n), context=context).start()
        for n in range(3)
    ]
    clients = [connected(context, zmq.REQ, broker.frontend_endpoint) for _ in range(4)]
    served_by = set()
    for round_ in range(3):
        for n, client in enumerate(clients):
            client.send_multipart([b"c%d" % n, b"r%d" % round_])
        for n, client in enumerate(clients):
            tag, *body = client.recv_multipart()
            assert body == [b"c%d" % n, b"r%d" % round_]
            served_by.add(tag)
    assert served_by == {b"w0", b"w1", b"w2"}
    assert sum(worker.handled for worker in workers) == 12
    for socket in clients:
        socket.close()
    for worker in workers:
        worker.stop()
    assert not broker.counters


def test_dealer_workers_with_credits_answer_pipelined_clients(context, broker):
    workers = [
        Worker(broker.backend_endpoint, credits=4, context=context).start() for _ in range(2)
    ]
    broker.wait_for(lambda: broker.workers.capacity == 8, TIMEOUT_S)
    client = connected(context, zmq.DEALER, broker.frontend_endpoint)
    for n in range(20):
        client.send_multipart([b"", b"%d" % n, b"\x00" * n])
    replies = [client.recv_multipart() for _ in range(20)]
    assert sorted(replies) == sorted([b"", b"%d" % n, b"\x00" * n] for n in range(20))
    assert min(worker.handled for worker in workers) >= 4  # credits spread the burst
    client.close()
    for worker in workers:
        worker.stop()


def test_a_dealer_worker_is_given_as_many_requests_as_it_has_credits(context, broker):
    worker = connected(context, zmq.DEALER, broker.backend_endpoint, routing_id=b"W")
    worker.send_multipart([b"", READY, b"3"])
    broker.wait_for(lambda: broker.workers.capacity == 3, TIMEOUT_S)
    client = connected(context, zmq.DEALER, broker.frontend_endpoint)
    for n in range(5):
        client.send_multipart([b"", b"%d" % n])
    held = [worker.recv_multipart() for _ in range(3)]
    assert [frames[-1] for frames in held] == [b"0", b"1", b"2"]
    broker.wait_for(lambda: broker.workers.in_flight(b"W") == 3, TIMEOUT_S)
    assert broker.workers.capacity == 0
    # Requests 3 and 4 are not read until a credit comes back: they wait in libzmq's queue.
    assert broker.reactor.is_paused(broker.frontend)
    worker.send_multipart(held[0])  # one answer, one credit back: one more request
    assert worker.recv_multipart()[-1] == b"3"
    assert client.recv_multipart() == [b"", b"0"]
    client.close()
    worker.close()


def order_of_service(context: zmq.Context, queue: WorkerQueue) -> list[bytes]:
    """Which worker got each of requests 0..4, when REQ workers a, b, c join in turn,
    take requests 0, 1, 2, and c answers before a; then requests 3 and 4 come."""
    broker = LoadBalancer(inproc_endpoint(), inproc_endpoint(), context=context)
    broker.workers = queue
    with broker:
        workers = {}
        for name in (b"a", b"b", b"c"):
            workers[name] = connected(context, zmq.REQ, broker.backend_endpoint, routing_id=name)
            workers[name].send(READY)
            broker.wait_for(lambda name=name: name in broker.workers, TIMEOUT_S)
        client = connected(context, zmq.DEALER, broker.frontend_endpoint)
        for n in range(3):
            client.send_multipart([b"", b"%d" % n])
        held = {name: worker.recv_multipart() for name, worker in workers.items()}
        served = {request[-1]: name for name, request in held.items()}
        for name in (b"c", b"a"):
            workers[name].send_multipart(held[name])
            broker.wait_for(lambda name=name: broker.workers.in_flight(name) == 0, TIMEOUT_S)
        for n in (3, 4):
            client.send_multipart([b"", b"%d" % n])
        for name in (b"c", b"a"):
            served[workers[name].recv_multipart()[-1]] = name
        for socket in [client, *workers.values()]:
            socket.close()
    return [served[b"%d" % n] for n in range(5)]


def test_the_worker_that_waited_longest_gets_the_next_request(context):
    assert order_of_service(context, WorkerQueue()) == [b"a", b"b", b"c", b"c", b"a"]


def test_the_order_check_catches_a_most_recently_used_broker(context):
    assert order_of_service(context, MostRecentlyUsed()) != [b"a", b"b", b"c", b"c", b"a"]


def test_requests_sent_before_any_worker_wait_for_one(context, broker):
    assert broker.reactor.is_paused(broker.frontend)
    client = connected(context, zmq.REQ, broker.frontend_endpoint)
    client.send(b"early")
    with Worker(broker.backend_endpoint, context=context):
        assert client.recv_multipart() == [b"early"]
    client.close()


@pytest.mark.parametrize("credits", [None, 2])
def test_a_worker_declines_what_its_handler_fails_on_and_serves_on(context, broker, credits):
    def fragile(body: list[bytes]) -> list[bytes]:
        if body == [b"boom"]:
            raise RuntimeError("boom")
        return [] if body == [b"no"] else body

    with Worker(broker.backend_endpoint, fragile, credits=credits, context=context) as worker:
        client = connected(context, zmq.DEALER, broker.frontend_endpoint)
        for body in (b"boom", b"no"):
            client.send_multipart([b"", body])
        broker.wait_for(lambda: broker.counters["declined"] == 2, TIMEOUT_S)
        client.send_multipart([b"", b"fine"])
        assert client.recv_multipart() == [b"", b"fine"]
        assert (worker.handled, worker.counters["handler failed"]) == (3, 1)
    assert set(broker.counters) == {"declined"}
    client.close()


def test_a_malformed_reply_still_gives_the_req_worker_its_credit_back(context, broker):
    worker = connected(context, zmq.REQ, broker.backend_endpoint)
    worker.send(READY)
    client = connected(context, zmq.REQ, broker.frontend_endpoint)
    client.send(b"one")
    worker.recv_multipart()
    worker.send(b"not an envelope")
    broker.wait_for(lambda: broker.counters["malformed reply (too few frames)"] == 1, TIMEOUT_S)
    other = connected(context, zmq.REQ, broker.frontend_endpoint)
    other.send(b"two")
    client_id, delimiter, body = worker.recv_multipart()
    assert (delimiter, body) == (b"", b"two")
    worker.send_multipart([client_id, b"", b"answer"])
    assert other.recv_multipart() == [b"answer"]
    for socket in (worker, client, other):
        socket.close()
