"""Our pyzmq driver over a ``zmq`` module without the newer names, spoken to over the protocol.

pyzmq 16 and 17 (libzmq 4.1, 4.2) name the routing-id option ``IDENTITY``;
a driver that asks for ``zmq.ROUTING_ID`` there died on its first routing-id
request, after a ``hello`` that offered it.  ``tests/drivers/old_zmq.py``
runs the driver file over the real ``zmq`` with ``ROUTING_ID`` and
``REQ_CORRELATE`` hidden and ipc missing, and optionally with a socket
method that raises or one that prints on stdout (as libzmq 4.1 does): the
driver must offer only what it has, still set routing ids (through
``IDENTITY``), and answer every request, an unexpected exception included,
without dying and with nothing but responses on its stdout.

These tests speak the protocol themselves (no suite run), so they check the
driver file as a binding maintainer runs it.
"""

from __future__ import annotations

import base64
import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import zmq

from tests.drivers import old_zmq

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "conformance" / "drivers" / "pyzmq.py"
OLD_ZMQ = ROOT / "tests" / "drivers" / "old_zmq.py"
ANSWER_S = 10.0
"""How long one answer may take: a bound for a hang, generous for a loaded machine."""
EXCHANGE_MS = 5000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class DriverProcess:
    """One driver process, asked one request at a time; every wait is bounded."""

    def __init__(self, argv: list[str], stderr_path: Path):
        self.stderr_path = stderr_path
        with stderr_path.open("wb") as stderr:
            self.popen = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
            )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def died(self, what: str) -> str:
        try:
            code = self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = "still running"
        stderr = self.stderr_path.read_text(errors="replace")[-2000:]
        return f"the driver {what} (exit status {code}); its stderr:\n{stderr}"

    def send_line(self, data: bytes) -> dict:
        """Write one raw line and return the one response it gets."""
        assert self.popen.stdin is not None
        try:
            self.popen.stdin.write(data)
            self.popen.stdin.flush()
        except BrokenPipeError:
            pytest.fail(self.died(f"was gone before {data[:60]!r}"))
        try:
            line = self.lines.get(timeout=ANSWER_S)
        except queue.Empty:
            pytest.fail(self.died(f"did not answer {data[:60]!r} within {ANSWER_S} s"))
        if line is None:
            pytest.fail(self.died(f"exited instead of answering {data[:60]!r}"))
        return json.loads(line)

    def request(self, op: str, **args) -> dict:
        self.next_id += 1
        response = self.send_line(
            json.dumps({"id": self.next_id, "op": op, **args}).encode() + b"\n"
        )
        assert response.get("id") == self.next_id, response
        return response

    def ok(self, op: str, **args) -> dict:
        response = self.request(op, **args)
        assert response["ok"] is True, (op, args, response)
        return response

    def refused(self, op: str, **args) -> dict:
        response = self.request(op, **args)
        assert response["ok"] is False, (op, args, response)
        return response

    def stop(self) -> None:
        """Say bye and check the exit; a driver already gone failed its test already."""
        if self.popen.poll() is not None:
            return
        try:
            self.ok("bye")
            self.popen.wait(timeout=ANSWER_S)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait(timeout=ANSWER_S)
        assert self.popen.returncode == 0, self.died("did not exit 0 after bye")


def start(tmp_path: Path, *shim_args: str) -> DriverProcess:
    argv = [sys.executable, str(OLD_ZMQ), *shim_args, str(DRIVER)]
    return DriverProcess(argv, tmp_path / "driver-stderr.txt")


@pytest.fixture
def driver(tmp_path):
    process = start(tmp_path)
    yield process
    process.stop()


@pytest.fixture
def faulty_driver(tmp_path):
    process = start(tmp_path, "--faulty-disconnect")
    yield process
    process.stop()


def test_the_shim_hides_the_newer_names_as_old_pyzmq_does():
    """The premise: IDENTITY is the number ROUTING_ID is, and the shim has only IDENTITY."""
    shim = old_zmq.old_zmq()
    assert not hasattr(shim, "ROUTING_ID")
    assert not hasattr(shim, "REQ_CORRELATE")
    assert shim.IDENTITY == zmq.ROUTING_ID
    assert not shim.has("ipc")


def test_hello_lists_only_what_the_zmq_module_has(driver):
    hello = driver.ok("hello", protocol=1)
    assert "ROUTING_ID" in hello["options"], "IDENTITY is the same option: it must be offered"
    assert "REQ_CORRELATE" not in hello["options"]
    assert "ipc" not in hello["transports"]
    assert {"tcp", "inproc"} <= set(hello["transports"])
    assert set(hello["socket_types"]) == {"REQ", "REP", "DEALER", "ROUTER"}


def test_an_option_the_module_lacks_is_refused_enotsup(driver):
    driver.ok("hello", protocol=1)
    req = driver.ok("socket", type="REQ")["socket"]
    refusal = driver.refused("set", socket=req, option="REQ_CORRELATE", value=True)
    assert refusal["error"] == "ENOTSUP", refusal
    driver.ok("set", socket=req, option="REQ_RELAXED", value=True)


def exchange_with_routing_id(driver: DriverProcess, transport: str) -> None:
    """A DEALER's routing id, set through the protocol, reaches the ROUTER and routes its reply."""
    router = driver.ok("socket", type="ROUTER")["socket"]
    driver.ok("set", socket=router, option="ROUTER_MANDATORY", value=True)
    wildcard = "tcp://127.0.0.1:*" if transport == "tcp" else f"inproc://compat-{router}"
    endpoint = driver.ok("bind", socket=router, endpoint=wildcard)["endpoint"]
    dealer = driver.ok("socket", type="DEALER")["socket"]
    driver.ok("set", socket=dealer, option="ROUTING_ID", value=b64(b"dealer-16"))
    driver.ok("connect", socket=dealer, endpoint=endpoint)
    driver.ok("send", socket=dealer, frames=[b64(b"ping")], timeout_ms=EXCHANGE_MS)
    received = driver.ok("recv", socket=router, timeout_ms=EXCHANGE_MS)["frames"]
    assert received == [b64(b"dealer-16"), b64(b"ping")]
    driver.ok(
        "send", socket=router, frames=[b64(b"dealer-16"), b64(b"pong")], timeout_ms=EXCHANGE_MS
    )
    assert driver.ok("recv", socket=dealer, timeout_ms=EXCHANGE_MS)["frames"] == [b64(b"pong")]


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
def test_a_routing_id_set_through_identity_reaches_the_router(driver, transport):
    driver.ok("hello", protocol=1)
    exchange_with_routing_id(driver, transport)


def test_an_exception_inside_a_request_is_an_eother_response(faulty_driver):
    """The shim's disconnect raises RuntimeError: an answer, and the driver goes on."""
    faulty_driver.ok("hello", protocol=1)
    dealer = faulty_driver.ok("socket", type="DEALER")["socket"]
    faulty_driver.ok("connect", socket=dealer, endpoint="tcp://127.0.0.1:5")
    refusal = faulty_driver.refused("disconnect", socket=dealer, endpoint="tcp://127.0.0.1:5")
    assert refusal["error"] == "EOTHER", refusal
    assert old_zmq.INJECTED in refusal["message"], refusal
    # The next requests are answered, and the sockets still work.
    faulty_driver.ok("close", socket=dealer)
    exchange_with_routing_id(faulty_driver, "tcp")


def test_what_the_library_prints_on_stdout_does_not_reach_the_responses(tmp_path):
    """libzmq 4.1 puts "NULL I: ..." on stdout: that must go to stderr, not among the responses."""
    chatty = start(tmp_path, "--chatty-connect")
    try:
        chatty.ok("hello", protocol=1)
        dealer = chatty.ok("socket", type="DEALER")["socket"]
        chatty.ok("connect", socket=dealer, endpoint="tcp://127.0.0.1:5")
        chatty.ok("close", socket=dealer)
    finally:
        chatty.stop()
    assert old_zmq.CHATTER.decode() in chatty.stderr_path.read_text()


def test_a_line_that_is_not_utf8_is_refused_and_the_driver_goes_on(driver):
    refusal = driver.send_line(b"\xff\xfe not UTF-8\n")
    assert refusal["ok"] is False and refusal["error"] == "EPROTO", refusal
    assert refusal["id"] is None, refusal
    driver.ok("hello", protocol=1)
