"""Faults around the brokers: dead workers, vanished clients, garbage. They serve on.

"Loses nothing it did not have to": a request is lost only when the worker
holding it dies (the chapter's brokers have no heartbeats; the guide's next
chapter adds them), or when it was sent to a dead worker before the broker
could know; a reply is lost only when its client has gone.  Everything else
is answered, and every malformed message is dropped, counted and logged.
"""

from __future__ import annotations

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference import testing
from reference.asyncsrv import AsyncServer, AsyncWorker
from reference.frames import Limits
from reference.lbbroker import READY, LoadBalancer
from reference.lbworker import Worker
from reference.testing import endpoints, nothing_left_behind

TIMEOUT_MS = 5000
TIMEOUT_S = TIMEOUT_MS / 1000
LIMITS = Limits(max_frames=16, max_bytes=1024)

per_example = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def context():
    with nothing_left_behind() as context:
        yield context


def connected(context: zmq.Context, kind: int, endpoint: str, **options) -> zmq.Socket:
    return testing.connected(context, kind, endpoint, timeout_ms=TIMEOUT_MS, **options)


def lb_broker(context: zmq.Context) -> LoadBalancer:
    return LoadBalancer(*endpoints("inproc"), context=context, limits=LIMITS)


def dropped(service) -> int:
    return sum(count for reason, count in service.counters.items() if reason != "declined")


# -- the load-balancing broker ---------------------------------------------------------


def test_a_worker_that_dies_mid_request_loses_that_request_only(context):
    with lb_broker(context) as broker:
        doomed = connected(context, zmq.REQ, broker.backend_endpoint, routing_id=b"doomed")
        doomed.send(READY)
        broker.wait_for(lambda: broker.workers.capacity == 1, TIMEOUT_S)
        first = connected(context, zmq.REQ, broker.frontend_endpoint)
        first.send(b"held by the doomed worker")
        assert doomed.recv_multipart()[-1] == b"held by the doomed worker"
        doomed.close()
        with Worker(broker.backend_endpoint, context=context):
            second = connected(context, zmq.REQ, broker.frontend_endpoint)
            for n in range(3):
                second.send(b"%d" % n)
                assert second.recv_multipart() == [b"%d" % n]
        assert broker.workers.in_flight(b"doomed") == 1  # lost with it; its client times out
        assert dropped(broker) == 0
        first.close()
        second.close()


def test_a_credit_worker_that_dies_loses_at_most_what_it_was_given(context):
    with lb_broker(context) as broker:
        doomed = connected(context, zmq.DEALER, broker.backend_endpoint, routing_id=b"doomed")
        doomed.send_multipart([b"", READY, b"2"])
        broker.wait_for(lambda: broker.workers.capacity == 2, TIMEOUT_S)
        client = connected(context, zmq.DEALER, broker.frontend_endpoint)
        client.send_multipart([b"", b"held"])
        assert doomed.recv_multipart()[-1] == b"held"
        doomed.close()
        with Worker(broker.backend_endpoint, credits=4, context=context):
            broker.wait_for(lambda: broker.workers.capacity == 5, TIMEOUT_S)
            # The doomed worker waited longest and has a credit left: the first of these goes
            # to it, and is either sent on elsewhere (the broker saw it go) or lost with it.
            for n in range(4):
                client.send_multipart([b"", b"%d" % n])
            replies = [client.recv_multipart()[-1] for _ in range(3)]
            if broker.counters["worker gone"]:
                replies.append(client.recv_multipart()[-1])
                assert sorted(replies) == [b"0", b"1", b"2", b"3"]
                assert b"doomed" not in broker.workers
            else:
                assert sorted(replies) == [b"1", b"2", b"3"]
                assert broker.workers.in_flight(b"doomed") == 2
        client.close()


def test_a_client_that_disappears_costs_its_reply_and_nothing_else(context):
    with lb_broker(context) as broker:
        worker = connected(context, zmq.REQ, broker.backend_endpoint, routing_id=b"W")
        worker.send(READY)
        vanishing = connected(context, zmq.REQ, broker.frontend_endpoint)
        vanishing.send(b"gone before the reply")
        request = worker.recv_multipart()
        vanishing.close()
        worker.send_multipart(request)
        broker.wait_for(lambda: broker.workers.in_flight(b"W") == 0, TIMEOUT_S)
        staying = connected(context, zmq.REQ, broker.frontend_endpoint)
        staying.send(b"still served")
        worker.send_multipart(worker.recv_multipart())
        assert staying.recv_multipart() == [b"still served"]
        # The reply was dropped, counted if the broker had seen the client go.
        assert broker.counters["client gone"] <= 1
        assert dropped(broker) == broker.counters["client gone"]
        staying.close()
        worker.close()


nonempty = st.binary(min_size=1, max_size=8)
bad_requests = st.one_of(
    st.lists(nonempty, min_size=1, max_size=4),  # no delimiter
    st.lists(nonempty, max_size=3).map(lambda addresses: [*addresses, b""]),  # no body
    st.lists(st.binary(max_size=2), min_size=17, max_size=40).map(lambda f: [b"", *f]),  # long
    st.integers(1025, 4096).map(lambda size: [b"", b"x" * size]),  # oversized
)
"""What a DEALER client can send that the broker must refuse (it adds the client's id)."""


@per_example
@given(garbage=st.lists(bad_requests, min_size=1, max_size=5))
def test_garbage_from_a_client_is_dropped_and_the_next_request_served(context, garbage):
    with lb_broker(context) as broker, Worker(broker.backend_endpoint, context=context) as worker:
        client = connected(context, zmq.DEALER, broker.frontend_endpoint)
        for frames in garbage:
            client.send_multipart(frames)
        client.send_multipart([b"", b"valid"])
        assert client.recv_multipart() == [b"", b"valid"]
        assert dropped(broker) == len(garbage)
        assert worker.handled == 1
        client.close()


bad_worker_messages = st.one_of(
    st.lists(nonempty, min_size=1, max_size=4),  # no delimiter
    st.lists(st.binary(max_size=8), max_size=4).map(lambda rest: [b"", *rest]),
    st.tuples(nonempty, st.binary(max_size=8)).map(lambda t: [b"", t[0], b"", t[1]]),  # a reply
).filter(lambda frames: frames[1:2] != [READY])
"""What a peer that never said READY can send to the backend: all of it must be dropped."""


@per_example
@given(garbage=st.lists(bad_worker_messages, min_size=1, max_size=5))
def test_garbage_from_a_stranger_on_the_backend_is_dropped(context, garbage):
    with lb_broker(context) as broker, Worker(broker.backend_endpoint, context=context) as worker:
        stranger = connected(context, zmq.DEALER, broker.backend_endpoint)
        for frames in garbage:
            stranger.send_multipart(frames)
        broker.wait_for(lambda: dropped(broker) == len(garbage), TIMEOUT_S)
        client = connected(context, zmq.REQ, broker.frontend_endpoint)
        client.send(b"valid")
        assert client.recv_multipart() == [b"valid"]
        assert worker.handled == 1
        assert b"" not in broker.workers
        stranger.close()
        client.close()


def test_a_fake_reply_never_reaches_the_client_it_names(context):
    with lb_broker(context) as broker:
        worker = connected(context, zmq.REQ, broker.backend_endpoint)
        worker.send(READY)
        client = connected(context, zmq.DEALER, broker.frontend_endpoint, routing_id=b"C")
        client.send_multipart([b"", b"request"])
        request = worker.recv_multipart()
        forger = connected(context, zmq.DEALER, broker.backend_endpoint)
        forger.send_multipart([b"", b"C", b"", b"forged"])
        broker.wait_for(lambda: broker.counters["reply from a worker that owes none"], TIMEOUT_S)
        worker.send_multipart([*request[:-1], b"genuine"])
        assert client.recv_multipart() == [b"", b"genuine"]
        for socket in (worker, client, forger):
            socket.close()


def test_an_oversized_reply_is_dropped_and_the_worker_serves_on(context):
    with lb_broker(context) as broker:
        worker = connected(context, zmq.REQ, broker.backend_endpoint, routing_id=b"W")
        worker.send(READY)
        client = connected(context, zmq.DEALER, broker.frontend_endpoint)
        client.send_multipart([b"", b"1"])
        envelope = worker.recv_multipart()[:-1]
        worker.send_multipart([*envelope, b"x" * 2000])
        client.send_multipart([b"", b"2"])
        envelope = worker.recv_multipart()[:-1]
        worker.send_multipart([*envelope, b"fits"])
        assert client.recv_multipart() == [b"", b"fits"]
        assert broker.counters["malformed reply (oversized)"] == 1
        client.close()
        worker.close()


# -- the asynchronous server -----------------------------------------------------------


def test_the_async_server_drops_what_a_worker_cannot_address_and_serves_on(context):
    server = AsyncServer(*endpoints("inproc"), context=context, limits=LIMITS)
    with server:
        worker = connected(context, zmq.DEALER, server.backend_endpoint)
        client = connected(context, zmq.DEALER, server.frontend_endpoint)
        client.send(b"request")
        client_id, body = worker.recv_multipart()
        garbage = [[b"lonely"], [b"", b"empty id"], [b"nobody", b"unknown client"]]
        for frames in [*garbage, [client_id, b"x" * 2000]]:
            worker.send_multipart(frames)
        worker.send_multipart([client_id, body])
        assert client.recv_multipart() == [b"request"]
        server.wait_for(lambda: dropped(server) == 4, TIMEOUT_S)
        assert server.counters == {
            "reply without client id or body": 1,
            "empty client id": 1,
            "client gone": 1,
            "oversized": 1,
        }
        client.close()
        worker.close()


def test_the_async_server_drops_oversized_requests_and_serves_on(context):
    server = AsyncServer(*endpoints("inproc"), context=context, limits=LIMITS)
    with server, AsyncWorker(server.backend_endpoint, context=context) as worker:
        client = connected(context, zmq.DEALER, server.frontend_endpoint)
        client.send_multipart([b"x" * 2000])
        client.send_multipart([b"y"] * 20)
        client.send(b"fits")
        assert client.recv_multipart() == [b"fits"]
        assert server.counters == {"oversized": 1, "too many frames": 1}
        assert worker.handled == 1
        client.close()


def test_a_vanished_async_client_costs_only_its_replies(context):
    server = AsyncServer(*endpoints("inproc"), context=context)
    with server:
        worker = connected(context, zmq.DEALER, server.backend_endpoint)
        vanishing = connected(context, zmq.DEALER, server.frontend_endpoint)
        vanishing.send(b"gone")
        gone_request = worker.recv_multipart()
        vanishing.close()
        staying = connected(context, zmq.DEALER, server.frontend_endpoint)
        staying.send(b"here")
        here_request = worker.recv_multipart()
        for _ in range(3):
            worker.send_multipart(gone_request)
        worker.send_multipart(here_request)
        assert staying.recv_multipart() == [b"here"]
        assert server.counters["client gone"] <= 3
        staying.close()
        worker.close()
