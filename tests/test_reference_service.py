"""reference.reactor, reference.service and reference.testing: loops that always end."""

from __future__ import annotations

import logging
import threading

import pytest
import zmq

from reference.reactor import Reactor
from reference.service import Service
from reference.sockets import ANY_TCP, bind, inproc_endpoint
from reference.testing import LeftBehind, nothing_left_behind

GUARD_S = 10.0
"""Every reactor under test stops by then, whatever goes wrong: no test can hang."""


@pytest.fixture
def reactor():
    reactor = Reactor()
    reactor.call_later(GUARD_S, reactor.stop)
    yield reactor
    reactor.close()


def test_timers_run_in_due_order_and_repeat(reactor):
    ran: list[str] = []
    reactor.call_later(0.003, lambda: ran.append("third"))
    reactor.call_later(0.001, lambda: ran.append("first"))
    reactor.call_later(0.002, lambda: ran.append("second"))
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 3:
            reactor.stop()

    reactor.call_every(0.004, tick)
    reactor.run()
    assert ran == ["first", "second", "third"]
    assert len(ticks) == 3


def test_a_cancelled_timer_never_runs(reactor):
    ran = []
    reactor.call_later(0.001, lambda: ran.append("cancelled")).cancel()
    reactor.call_later(0.002, reactor.stop)
    reactor.run()
    assert ran == []


def test_stop_from_another_thread_wakes_the_poll_at_once():
    reactor = Reactor(max_wait_s=60.0)
    reactor.call_later(GUARD_S, reactor.stop)
    thread = threading.Thread(target=reactor.run)
    thread.start()
    reactor.stop()
    thread.join(5)
    assert not thread.is_alive()
    reactor.close()


def test_a_failing_handler_is_logged_and_the_loop_goes_on(reactor, caplog):
    context = zmq.Context()
    endpoint = inproc_endpoint()
    receiver, sender = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    receiver.bind(endpoint)
    sender.connect(endpoint)
    received = []

    def on_message():
        message = receiver.recv(zmq.NOBLOCK)
        if message == b"bad":
            raise ValueError("a bad message")
        received.append(message)
        reactor.stop()

    reactor.add_reader(receiver, on_message)
    sender.send(b"bad")
    sender.send(b"good")
    with caplog.at_level(logging.ERROR, logger="reference.reactor"):
        reactor.run()
    assert received == [b"good"]
    assert "a bad message" in caplog.text
    receiver.close(0)
    sender.close(0)
    context.term()


def test_a_paused_reader_is_not_called_until_resumed(reactor):
    context = zmq.Context()
    endpoint = inproc_endpoint()
    receiver, sender = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    receiver.bind(endpoint)
    sender.connect(endpoint)
    calls = []

    def on_message():
        calls.append(receiver.recv(zmq.NOBLOCK))
        reactor.stop()

    reactor.add_reader(receiver, on_message)
    reactor.pause(receiver)
    sender.send(b"waits")
    reactor.call_later(0.005, lambda: calls.append("timer"))
    reactor.call_later(0.006, lambda: reactor.resume(receiver))
    reactor.run()
    assert calls == ["timer", b"waits"]
    receiver.close(0)
    sender.close(0)
    context.term()


class Echo(Service):
    """A minimal service: a REP socket that answers each request with itself."""

    def __init__(self, context: zmq.Context, block: threading.Event | None = None) -> None:
        super().__init__("echo", context)
        self.block = block
        self.handled = 0

    def setup(self) -> None:
        self.rep = self.socket(zmq.REP)
        self.endpoint = bind(self.rep, ANY_TCP)
        self.reactor.add_reader(self.rep, self._on_request)

    def _on_request(self) -> None:
        message = self.rep.recv_multipart(zmq.NOBLOCK)
        if self.block is not None:
            self.block.wait(10)
        self.rep.send_multipart(message)
        self.handled += 1


def ask(context: zmq.Context, endpoint: str, body: bytes) -> list[bytes]:
    with context.socket(zmq.REQ) as req:
        req.linger = 0
        req.rcvtimeo = 5000
        req.connect(endpoint)
        req.send(body)
        return req.recv_multipart()


def test_a_service_serves_between_start_and_stop_and_leaves_nothing():
    with nothing_left_behind() as context:
        with Echo(context) as echo:
            assert echo.running
            assert ask(context, echo.endpoint, b"hello") == [b"hello"]
            sockets = echo.sockets
        assert not echo.running
        assert echo.closed
        assert all(socket.closed for socket in sockets)
        echo.stop()  # a second stop is harmless


def test_stop_before_start_closes_what_setup_made():
    with nothing_left_behind() as context:
        echo = Echo(context).bind()
        sockets = echo.sockets
        echo.stop()
        assert all(socket.closed for socket in sockets)
        with pytest.raises(RuntimeError):
            echo.start()


def test_a_service_runs_once():
    with nothing_left_behind() as context, Echo(context) as echo, pytest.raises(RuntimeError):
        echo.start()


def test_stop_raises_when_a_handler_hangs_past_the_deadline():
    block = threading.Event()
    with nothing_left_behind() as context:
        echo = Echo(context, block).start()
        with context.socket(zmq.REQ) as req:
            req.linger = 0
            req.connect(echo.endpoint)
            req.send(b"hang")
            with pytest.raises(TimeoutError):
                echo.wait_for(lambda: echo.handled == 1, timeout_s=0.05)
            with pytest.raises(TimeoutError, match="did not stop"):
                echo.stop(timeout_s=0.05)
            block.set()
            echo.stop()


def test_wait_for_returns_once_the_condition_holds():
    with nothing_left_behind() as context, Echo(context) as echo:
        threading.Thread(target=ask, args=(context, echo.endpoint, b"x")).start()
        echo.wait_for(lambda: echo.handled == 1, timeout_s=5)


def test_wait_for_gives_up_at_once_on_a_stopped_service():
    with nothing_left_behind() as context:
        echo = Echo(context).start()
        echo.stop()
        with pytest.raises(TimeoutError, match="not running"):  # not "within 30 s"
            echo.wait_for(lambda: False, timeout_s=30)
        echo.wait_for(lambda: echo.closed, timeout_s=30)


def test_wait_for_gives_up_when_the_service_stops_meanwhile():
    outcome = []

    def wait(echo: Echo) -> None:
        try:
            echo.wait_for(lambda: False, timeout_s=30)
        except TimeoutError as error:
            outcome.append(str(error))

    with nothing_left_behind() as context:
        echo = Echo(context).start()
        waiter = threading.Thread(target=wait, args=(echo,))
        waiter.start()
        echo.stop()
        waiter.join(10)
    assert len(outcome) == 1
    assert "not running" in outcome[0]


def test_wait_for_passes_on_what_the_predicate_raises():
    def broken() -> bool:
        raise KeyError("no such state")

    with nothing_left_behind() as context, Echo(context) as echo:
        with pytest.raises(KeyError, match="no such state"):
            echo.wait_for(broken, timeout_s=30)
        assert echo.running


def test_drops_are_counted_exactly_and_logged_sparingly(caplog):
    service = Service("counting")
    with caplog.at_level(logging.WARNING, logger="reference.service"):
        for _ in range(20):
            service.drop("junk", [b"x"])
    service.stop()
    assert service.counters["junk"] == 20
    assert [record.getMessage() for record in caplog.records] == [
        f"counting: junk ({count} so far); dropped [b'x']" for count in (1, 2, 4, 8, 16)
    ]


def test_the_leak_check_catches_an_open_socket():
    with pytest.raises(LeftBehind, match="socket"), nothing_left_behind(deadline_s=0.2) as context:
        leaked = context.socket(zmq.DEALER)
    leaked.close(0)


def test_the_leak_check_catches_a_running_thread():
    release = threading.Event()
    leaking = pytest.raises(LeftBehind, match="threads left running: leaky")
    with leaking, nothing_left_behind(deadline_s=0.2):
        threading.Thread(target=release.wait, args=(10,), name="leaky").start()
    release.set()
