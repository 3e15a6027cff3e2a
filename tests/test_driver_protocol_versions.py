"""Driver protocol versions 2 and 3, spoken by the suite's driver binding and our drivers.

``hello`` negotiates the version: our driver speaks 3, held to 2 or 1 it
speaks that, and a driver written for version 1 (which refuses any
``protocol`` but 1 and knows nothing of ``protocols``) is spoken to exactly
as before.  With version 2 sockets are made and closed without waiting for
the answer, and ``poll`` waits on several sockets at once; one driver
process serves every example of a worker, so what one example leaves
behind (a message, a socket, an option) must not reach the next.  Version 3
closes a socket with a linger when asked to.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from conformance.binding import Capabilities, ErrorCode, ZmqError
from conformance.bindings.driver import MAX_IN_FLIGHT, DriverBinding
from conformance.harness.endpoints import Endpoints
from conformance.harness.exchange import receive_from_any

DRIVER = f"{sys.executable} -m conformance.drivers.pyzmq"
WAIT_MS = 5000
"""What must happen on loopback, bounded generously for a loaded machine."""

V1_DRIVER = '''
"""Our driver as a driver written for version 1 would be: it reads only 'protocol'."""
import sys
from conformance.drivers import pyzmq

def op_hello(self, request):
    if request.get("protocol") != 1:
        raise pyzmq.Failure("ENOTSUP", "this driver speaks protocol 1")
    self.protocol = 1
    return dict(V1_HELLO(self, {"protocols": [1]}), protocol=1)

V1_HELLO = pyzmq.Driver.op_hello
pyzmq.Driver.op_hello = op_hello
sys.exit(pyzmq.main(["--protocol", "1"]))
'''


@pytest.fixture
def endpoints():
    allocator = Endpoints()
    yield allocator
    allocator.cleanup()


def started(command: str) -> DriverBinding:
    binding = DriverBinding(command, startup_s=30.0, grace_s=10.0)
    binding.start()
    return binding


@pytest.fixture
def driver():
    binding = started(DRIVER)
    yield binding
    binding.close()


def pair(binding: DriverBinding, endpoints: Endpoints, transport: str = "tcp"):
    rep = binding.socket("REP")
    endpoint = rep.bind(endpoints.new(transport))
    req = binding.socket("REQ")
    req.connect(endpoint)
    return req, rep, endpoint


def test_our_driver_speaks_3_and_held_to_2_or_1_speaks_that(tmp_path: Path):
    for command, version in [
        (DRIVER, 3),
        (f"{DRIVER} --protocol 2", 2),
        (f"{DRIVER} --protocol 1", 1),
    ]:
        binding = started(command)
        try:
            assert binding.protocol == version, command
        finally:
            binding.close()


def test_a_driver_written_for_version_1_is_spoken_to_in_version_1(tmp_path: Path, endpoints):
    script = tmp_path / "v1_driver.py"
    script.write_text(V1_DRIVER)
    binding = started(f"{sys.executable} {script}")
    try:
        assert binding.protocol == 1
        req, rep, _ = pair(binding, endpoints)
        assert req.handle.startswith("s"), "the handle is the driver's, as in version 1"
        with pytest.raises(ZmqError) as refused:
            req.poll([rep], 0)
        assert refused.value.code == ErrorCode.ENOTSUP
        req.send([b"ping"], WAIT_MS)
        assert receive_from_any([req, rep], WAIT_MS) == (1, [b"ping"])  # by turns, as before
        req.close()
        rep.close()
    finally:
        binding.close()


def test_poll_says_which_socket_has_a_message(driver, endpoints):
    req, rep, _ = pair(driver, endpoints)
    assert req.poll([rep], 0) is None
    req.send([b"ping"], WAIT_MS)
    assert req.poll([rep], WAIT_MS) == 1
    assert rep.recv(0) == [b"ping"]
    rep.send([b"pong"], WAIT_MS)
    assert rep.poll([req], WAIT_MS) == 1
    start = time.monotonic()
    assert rep.poll([], 50) is None  # nothing more: the timeout is waited, once
    assert time.monotonic() - start >= 0.04
    assert receive_from_any([rep, req], WAIT_MS) == (1, [b"pong"])


def test_poll_across_two_driver_processes_is_refused(driver, endpoints):
    other = started(DRIVER)
    try:
        with pytest.raises(ZmqError) as refused:
            driver.socket("DEALER").poll([other.socket("DEALER")], 0)
        assert refused.value.code == ErrorCode.ENOTSUP
    finally:
        other.close()


def test_sockets_made_and_closed_without_waiting_are_made_and_closed(driver, endpoints):
    for _ in range(3 * MAX_IN_FLIGHT):
        driver.socket("DEALER").close()
    req, rep, _ = pair(driver, endpoints)
    req.send([b"after many"], WAIT_MS)
    assert rep.recv(WAIT_MS) == [b"after many"]


def test_a_socket_the_driver_could_not_make_fails_at_its_next_use(driver):
    listed = driver.capabilities
    driver.capabilities = Capabilities(
        socket_types=listed.socket_types | {"PAIR"},
        transports=listed.transports,
        options=listed.options,
    )
    sock = driver.socket("PAIR")  # not waited for: the driver refuses it later
    with pytest.raises(ZmqError) as refused:
        sock.bind("tcp://127.0.0.1:*")
    assert refused.value.code == ErrorCode.ENOTSUP


def test_a_close_not_waited_for_is_done_before_another_driver_is_asked_anything(driver):
    """What a test asks of two drivers happens in the order it asked, as in version 1.

    (libzmq itself releases a closed socket's endpoint a little later, in its
    own thread, so the order is checked on the answers.)
    """
    other = started(DRIVER)
    try:
        driver.socket("REP").close()
        assert driver._pending, "the close was waited for"
        other.socket("REP").bind("tcp://127.0.0.1:*")
        assert not driver._pending, "the other driver was asked first"
    finally:
        other.close()


def test_nothing_an_example_leaves_behind_reaches_the_next(driver, endpoints):
    """One driver process serves example after example: messages, sockets, options stay put.

    The first example leaves a request unanswered and a reply unread, a
    routing id set, and closes its sockets without waiting; the next
    example, on the same endpoints, sees none of it.
    """
    ipc = endpoints.new("ipc")
    # example 1
    router = driver.socket("ROUTER")
    router.bind(ipc)
    dealer = driver.socket("DEALER")
    dealer.set("ROUTING_ID", b"example-1")
    dealer.connect(ipc)
    dealer.send([b"left behind"], WAIT_MS)
    assert router.poll([], WAIT_MS) == 0  # it arrived, and nobody reads it
    router.send([b"example-1", b"unread reply"], WAIT_MS)
    for sock in (dealer, router):
        sock.close()
    # example 2: the same endpoint, fresh sockets
    router = driver.socket("ROUTER")
    assert router.bind(ipc) == ipc
    dealer = driver.socket("DEALER")
    dealer.connect(ipc)
    assert receive_from_any([router, dealer], 300) is None, "a message of example 1 arrived"
    dealer.send([b"fresh"], WAIT_MS)
    got = router.recv(WAIT_MS)
    assert got[1:] == [b"fresh"]
    assert got[0] != b"example-1" and got[0][:1] == b"\x00", "example 1's routing id stayed"
    router.send([got[0], b"to the new dealer"], WAIT_MS)
    assert dealer.recv(WAIT_MS) == [b"to the new dealer"], "example 1's reply came first"


# -- version 3: close with a linger ------------------------------------------------


def queued_then_closed(binding: DriverBinding, endpoint: str, linger_ms: int) -> None:
    """A DEALER of ``binding`` connects to ``endpoint`` (not bound yet), sends, and is closed."""
    dealer = binding.socket("DEALER")
    dealer.set("RECONNECT_IVL", 1)
    dealer.connect(endpoint)
    dealer.send([b"queued"], 0)
    dealer.close_lingering(linger_ms)


@pytest.mark.parametrize(
    "command",
    [
        DRIVER,
        f"{sys.executable} -m conformance.drivers.binding conformance.bindings.pyzmq:PyzmqBinding",
    ],
)
def test_a_close_with_a_linger_keeps_what_is_queued(command, endpoints):
    binding = started(command)
    try:
        assert binding.protocol == 3
        with endpoints.vacant("tcp") as (endpoint, free):
            queued_then_closed(binding, endpoint, WAIT_MS)
            free()
            router = binding.socket("ROUTER")
            router.bind(endpoint)
            assert router.recv(WAIT_MS)[1:] == [b"queued"]
            router.close()
    finally:
        binding.close()


def test_before_version_3_a_close_with_a_linger_is_unsupported(endpoints):
    binding = started(f"{DRIVER} --protocol 2")
    try:
        dealer = binding.socket("DEALER")
        with pytest.raises(ZmqError) as refused:
            dealer.close_lingering(WAIT_MS)
        assert refused.value.code == ErrorCode.ENOTSUP
        dealer.close()
    finally:
        binding.close()


@pytest.mark.parametrize("linger", [-1, "1000", True, 1.5])
def test_a_linger_that_is_not_a_count_of_milliseconds_is_einval(driver, linger):
    dealer = driver.socket("DEALER")
    with pytest.raises(ZmqError) as refused:
        dealer.close_lingering(linger)
    assert refused.value.code == ErrorCode.EINVAL
