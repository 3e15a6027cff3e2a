"""reference.asyncsrv: DEALER clients get 0..N replies per request, from any worker."""

from __future__ import annotations

from collections import Counter

import pytest
import zmq

from reference import testing
from reference.asyncsrv import AsyncServer, AsyncWorker
from reference.testing import endpoints, nothing_left_behind

TIMEOUT_MS = 5000
TIMEOUT_S = TIMEOUT_MS / 1000


@pytest.fixture
def context():
    with nothing_left_behind() as context:
        yield context


@pytest.fixture(params=["inproc", "tcp"])
def server(request, context):
    with AsyncServer(*endpoints(request.param), context=context) as server:
        yield server


def connected(context: zmq.Context, kind: int, endpoint: str) -> zmq.Socket:
    return testing.connected(context, kind, endpoint, timeout_ms=TIMEOUT_MS)


def as_many_as_asked(body: list[bytes]) -> list[list[bytes]]:
    """Reply ``int(body[1])`` times, numbering the replies."""
    return [[*body, b"%d" % n] for n in range(int(body[1]))]


def test_each_request_gets_the_replies_its_worker_gives_and_no_other(context, server):
    workers = [
        AsyncWorker(server.backend_endpoint, as_many_as_asked, context=context).start()
        for _ in range(2)
    ]
    clients = [connected(context, zmq.DEALER, server.frontend_endpoint) for _ in range(3)]
    expected: dict[int, Counter] = {}
    for n, client in enumerate(clients):
        expected[n] = Counter()
        for count in (0, 1, 3, 2, 0):
            request = [b"c%d" % n, b"%d" % count]
            client.send_multipart(request)
            expected[n].update(tuple([*request, b"%d" % i]) for i in range(count))
    # A request with no reply at all is the last of each client's: the others prove it reached.
    for n, client in enumerate(clients):
        got = Counter(tuple(client.recv_multipart()) for _ in range(sum(expected[n].values())))
        assert got == expected[n]
    assert sum(worker.handled for worker in workers) == 15
    assert sum(worker.replies for worker in workers) == 18
    for socket in clients:
        socket.close()
    for worker in workers:
        worker.stop()
    assert not server.counters


def test_requests_wait_until_a_worker_connects(context, server):
    client = connected(context, zmq.DEALER, server.frontend_endpoint)
    for n in range(3):
        client.send(b"%d" % n)
    server.wait_for(lambda: server.reactor.is_paused(server.frontend), TIMEOUT_S)
    with AsyncWorker(server.backend_endpoint, context=context):
        assert sorted(client.recv() for _ in range(3)) == [b"0", b"1", b"2"]
    server.wait_for(lambda: not server.reactor.is_paused(server.frontend), TIMEOUT_S)
    client.close()


def test_a_failing_handler_costs_its_request_only(context, server):
    def fragile(body: list[bytes]) -> list[list[bytes]]:
        if body == [b"boom"]:
            raise RuntimeError("boom")
        return [body]

    with AsyncWorker(server.backend_endpoint, fragile, context=context) as worker:
        client = connected(context, zmq.DEALER, server.frontend_endpoint)
        client.send(b"boom")
        client.send(b"fine")
        assert client.recv_multipart() == [b"fine"]
        assert worker.counters == {"handler failed": 1}
        client.close()
