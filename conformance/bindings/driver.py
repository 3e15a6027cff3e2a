"""The driver binding: any program that speaks docs/driver-protocol.md, version 1, 2 or 3.

The suite trusts nothing a driver does.  Every request has a deadline (its
``timeout_ms`` plus a grace period); a driver that misses it, exits, or
writes a line that is not a valid response is killed, and the request raises
:class:`~conformance.binding.BindingBroken` with the driver's stderr tail.
The plugin restarts a broken driver before the next test, so one bad answer
costs one test, never the run.

``hello`` offers versions 1 to 3 and the driver picks.  With version 2 the
binding does not wait for the answers it does not need at once: a socket is
made under a handle the suite chose, and a close is not waited for (its
answers are read, in order, before the next answer that is needed), and
:meth:`DriverSocket.poll` waits on several sockets in one request.  Before
any request to a driver, every answer still owed by another driver of this
process is read, so that what happens in two processes happens in the order
the test asked for it (a socket closed in one, then a connect in the other).
Version 3 adds a ``close`` with a linger, for the cases about ZMQ_LINGER.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import json
import os
import select
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from conformance.binding import (
    BYTES_OPTIONS,
    BindingBroken,
    Capabilities,
    ErrorCode,
    Frames,
    OptionValue,
    ZmqError,
)

PROTOCOL_VERSIONS = (1, 2, 3)
"""The driver-protocol versions the suite speaks; ``hello`` offers them all."""
PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]
MAX_IN_FLIGHT = 32
"""Requests written whose answers are not read yet, at the most (a pipe holds 64 KiB)."""
_EOF = object()
_OWING: set[DriverBinding] = set()
"""The driver bindings of this process with answers unread, to keep the order across them."""
READ_SIZE = 1 << 16
"""What one read of a driver's stdout asks for: a pipe holds 64 KiB."""


def _b64(frame: bytes) -> str:
    return base64.b64encode(frame).decode("ascii")


class _Process:
    """One incarnation of the driver: the child, its pipes and their readers."""

    STDERR_TAIL_LINES = 30

    def __init__(self, argv: list[str]) -> None:
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr: collections.deque[str] = collections.deque(maxlen=self.STDERR_TAIL_LINES)
        # stdout is read by the thread that waits for an answer (no reader
        # thread to hand each line over: one wake-up per answer, not two).
        self._stdout = self.popen.stdout.fileno()
        self._buffer = bytearray()
        self._eof = False
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()

    def read_line(self, timeout_s: float):
        """The next line on stdout, ``_EOF`` at its end, or None if none within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            searched = len(self._buffer)
            if self._eof:
                if self._buffer:  # a last line without its newline
                    line = bytes(self._buffer)
                    self._buffer.clear()
                    return line
                return _EOF
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([self._stdout], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._stdout, READ_SIZE)
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True

    def _read_stderr(self) -> None:
        for line in self.popen.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip("\n"))

    def write(self, line: bytes) -> bool:
        try:
            self.popen.stdin.write(line)
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def stderr_tail(self) -> str:
        self._readers[0].join(timeout=0.5)
        if not self.stderr:
            return "(the driver wrote nothing on stderr)"
        return "--- driver stderr (last lines) ---\n" + "\n".join(self.stderr)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        for pipe in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            with contextlib.suppress(OSError):
                pipe.close()


class DriverBinding:
    """A :class:`~conformance.binding.Binding` backed by a driver subprocess."""

    def __init__(
        self,
        command: str,
        *,
        grace_s: float = 2.0,
        startup_s: float = 10.0,
        label: str | None = None,
    ) -> None:
        self.command = command
        self.label = label or f"driver {command!r}"
        """How a report names this process: the implementation's driver, or the libzmq peer."""
        self.argv = shlex.split(command)
        self.grace_s = grace_s
        self.startup_s = startup_s
        self.name = command
        self.version = "unknown"
        self.capabilities = Capabilities()
        self.broken: BindingBroken | None = None
        self.generation = 0
        self.protocol = PROTOCOL_VERSION
        """The version ``hello`` agreed on."""
        self._process: _Process | None = None
        self._next_id = 0
        self._next_handle = 0
        self._pending: collections.deque[tuple[int, str, Callable | None]] = collections.deque()
        """Requests written and not yet answered: (id, op, what to do with a failure)."""

    # -- life cycle ---------------------------------------------------------

    def start(self) -> None:
        """Start (or restart) the driver and greet it; raise BindingBroken if it fails."""
        self._stop_process()
        self.broken = None
        self.generation += 1
        try:
            self._process = _Process(self.argv)
        except OSError as exc:
            self.broken = BindingBroken(f"{self.label} could not start: {exc}")
            raise self.broken from None
        # protocol: the version every driver speaks (a driver of version 1
        # greets exactly as it always has); protocols: every version we speak.
        self.protocol = PROTOCOL_VERSIONS[0]
        hello = self._request(
            "hello",
            deadline_s=self.startup_s,
            protocol=PROTOCOL_VERSIONS[0],
            protocols=list(PROTOCOL_VERSIONS),
        )
        if hello.get("protocol") not in PROTOCOL_VERSIONS:
            speaks = " or ".join(str(v) for v in PROTOCOL_VERSIONS)
            self._break(f"speaks protocol {hello.get('protocol')!r}, not {speaks}")
        self.protocol = hello["protocol"]
        # The implementation names itself (name and version, free text); the
        # command that runs it is how a reader reproduces the run.
        self.name = str(hello.get("implementation", "unknown"))
        self.version = f"driver: {self.command}"
        self.capabilities = Capabilities(
            socket_types=self._names(hello, "socket_types"),
            transports=self._names(hello, "transports"),
            options=self._names(hello, "options"),
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self.broken is None

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(BindingBroken, ZmqError):
                self._request("bye", deadline_s=self.grace_s)
        self._stop_process()

    def _stop_process(self) -> None:
        self._pending.clear()
        _OWING.discard(self)
        if self._process is not None:
            self._process.kill()
            self._process = None

    # -- the binding interface ---------------------------------------------

    def socket(self, type: str) -> DriverSocket:
        if self.protocol >= 2 and type in self.capabilities.socket_types:
            # Version 2: the suite names the socket, and need not wait.
            self._next_handle += 1
            sock = DriverSocket(self, f"c{self._next_handle}", type)
            self.send_later("socket", sock.failed, type=type, socket=sock.handle)
            return sock
        handle = self._request("socket", type=type).get("socket")
        if not isinstance(handle, str):
            self._break(f"answered 'socket' with a handle that is not a string: {handle!r}")
        return DriverSocket(self, handle, type)

    # -- requests -----------------------------------------------------------

    def request(self, op: str, timeout_ms: int | None = None, **args: Any) -> dict:
        """Send one request and return the successful response's fields.

        A failure response raises :class:`ZmqError`; anything that is not a
        valid response within ``timeout_ms`` + the grace period raises
        :class:`BindingBroken`.
        """
        if timeout_ms is not None:
            args["timeout_ms"] = timeout_ms
        deadline_s = (timeout_ms or 0) / 1000 + self.grace_s
        return self._request(op, deadline_s=deadline_s, **args)

    def _request(self, op: str, *, deadline_s: float | None = None, **args: Any) -> dict:
        request_id = self._write(op, args)
        self.settle()
        return self._await_answer(request_id, op, deadline_s or self.grace_s)

    def send_later(self, op: str, on_failure: Callable | None = None, **args: Any) -> None:
        """Version 2: send a request whose answer is read later, before the next one needed.

        A failure answer goes to ``on_failure`` (a :class:`ZmqError`), or is
        dropped; anything that is not an answer breaks the binding then.
        """
        if len(self._pending) >= MAX_IN_FLIGHT:
            self.settle()
        request_id = self._write(op, args)
        self._pending.append((request_id, op, on_failure))
        _OWING.add(self)

    def settle(self) -> None:
        """Read every answer still owed for requests sent with :meth:`send_later`."""
        _OWING.discard(self)
        while self._pending:
            request_id, op, on_failure = self._pending.popleft()
            try:
                self._await_answer(request_id, op, self.grace_s)
            except ZmqError as exc:
                if on_failure is not None:
                    on_failure(exc)

    def _write(self, op: str, args: dict) -> int:
        if self.broken is not None:
            raise self.broken
        assert self._process is not None, "DriverBinding.start() was not called"
        for other in list(_OWING):
            if other is not self:
                # What this test asked of another driver happens first.
                with contextlib.suppress(BindingBroken):
                    other.settle()
        self._next_id += 1
        request_id = self._next_id
        line = json.dumps({"id": request_id, "op": op, **args}).encode() + b"\n"
        if not self._process.write(line):
            self._break(f"exited before request {op!r} could be written")
        return request_id

    def _await_answer(self, request_id: int, op: str, deadline_s: float) -> dict:
        """The answer to request ``request_id``, the next line the driver writes."""
        raw = self._process.read_line(deadline_s)
        if raw is None:
            self._break(f"did not answer {op!r} within {deadline_s:.1f} s")
        if raw is _EOF:
            code = self._process.popen.wait(timeout=5)
            self._break(f"exited with status {code} while handling {op!r}")
        return self._parse(op, request_id, raw)

    def _parse(self, op: str, request_id: int, raw: bytes) -> dict:
        shown = raw[:200].decode("utf-8", "replace").rstrip("\n")
        try:
            response = json.loads(raw)
        except ValueError:
            self._break(f"wrote a line that is not JSON in answer to {op!r}: {shown!r}")
        if not isinstance(response, dict) or not isinstance(response.get("ok"), bool):
            self._break(f"wrote a line that is not a response to {op!r}: {shown!r}")
        if response.get("id") != request_id:
            self._break(f"answered {op!r} with id {response.get('id')!r}, expected {request_id}")
        if response["ok"]:
            return response
        code = response.get("error")
        if code not in ErrorCode.__members__:
            self._break(f"answered {op!r} with an unknown error code {code!r}: {shown!r}")
        raise ZmqError(code, str(response.get("message", "")))

    def _break(self, reason: str):
        process = self._process
        detail = process.stderr_tail() if process is not None else ""
        self.broken = BindingBroken(f"{self.label} {reason}", detail)
        self._stop_process()
        raise self.broken

    def _names(self, hello: dict, key: str) -> frozenset[str]:
        names = hello.get(key)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self._break(f"answered 'hello' without a list of {key}")
        return frozenset(names)

    def decode_frames(self, op: str, frames: Any) -> Frames:
        if not isinstance(frames, list) or not frames:
            self._break(f"answered {op!r} without a non-empty list of frames")
        try:
            return [base64.b64decode(f, validate=True) for f in frames]
        except (binascii.Error, TypeError, ValueError):
            self._break(f"answered {op!r} with a frame that is not base64")


class DriverSocket:
    """A :class:`~conformance.binding.Socket` living inside the driver process."""

    def __init__(self, driver: DriverBinding, handle: str, type: str) -> None:
        self.type = type
        self.handle = handle
        self._driver = driver
        self._generation = driver.generation
        self._closed = False
        self._failure: ZmqError | None = None
        """Why the driver could not make this socket, when it was made without waiting."""

    def failed(self, exc: ZmqError) -> None:
        self._failure = exc

    def set(self, option: str, value: OptionValue) -> None:
        if option in BYTES_OPTIONS and isinstance(value, bytes):
            value = _b64(value)
        self._call("set", option=option, value=value)

    def bind(self, endpoint: str) -> str:
        bound = self._call("bind", endpoint=endpoint).get("endpoint")
        if not isinstance(bound, str):
            self._driver._break(f"answered 'bind' without an endpoint: {bound!r}")
        return bound

    def connect(self, endpoint: str) -> None:
        self._call("connect", endpoint=endpoint)

    def disconnect(self, endpoint: str) -> None:
        self._call("disconnect", endpoint=endpoint)

    def unbind(self, endpoint: str) -> None:
        self._call("unbind", endpoint=endpoint)

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        self._call("send", timeout_ms, frames=[_b64(f) for f in frames])

    def recv(self, timeout_ms: int) -> Frames:
        response = self._call("recv", timeout_ms)
        return self._driver.decode_frames("recv", response.get("frames"))

    def poll(self, others: Sequence[DriverSocket], timeout_ms: int) -> int | None:
        """Version 2: which of this socket and ``others`` first has a message to receive.

        The index in ``[self, *others]``, or None if none has one within
        ``timeout_ms``.  ``ENOTSUP`` with a driver of version 1, or for
        sockets of another driver process: the caller polls by receiving.
        """
        driver = self._driver
        socks = [self, *others]
        if driver.protocol < 2 or not all(
            isinstance(s, DriverSocket) and s._driver is driver for s in socks
        ):
            raise ZmqError(ErrorCode.ENOTSUP, "poll needs protocol 2 and sockets of one driver")
        ready = self._call("poll", timeout_ms, sockets=[s._checked_handle() for s in socks])
        indexes = ready.get("ready")
        if not isinstance(indexes, list) or not all(
            isinstance(i, int) and 0 <= i < len(socks) for i in indexes
        ):
            driver._break(f"answered 'poll' without a list of socket indexes: {indexes!r}")
        return min(indexes) if indexes else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        driver = self._driver
        if driver.running and driver.generation == self._generation:
            if driver.protocol >= 2:
                driver.send_later("close", socket=self.handle)
            else:
                driver.request("close", socket=self.handle)

    def close_lingering(self, linger_ms: int) -> None:
        """Version 3: close with a linger; ``ENOTSUP`` with a driver of version 1 or 2."""
        driver = self._driver
        if driver.protocol < 3:
            raise ZmqError(ErrorCode.ENOTSUP, "closing with a linger needs protocol 3")
        self._checked_handle()
        # The answer is due at once, but an implementation whose close waits out the
        # linger (pyomq's) answers late, not never: that is its verdict, not a break.
        lingering_s = linger_ms / 1000 if isinstance(linger_ms, int) and linger_ms > 0 else 0
        deadline_s = lingering_s + driver.grace_s
        driver._request("close", deadline_s=deadline_s, socket=self.handle, linger=linger_ms)
        self._closed = True

    def _checked_handle(self) -> str:
        if self._driver.generation != self._generation:
            raise ZmqError(ErrorCode.EINVAL, "socket of a driver that has since restarted")
        if self._failure is not None:
            raise self._failure
        return self.handle

    def _call(self, op: str, timeout_ms: int | None = None, **args: Any) -> dict:
        self._checked_handle()
        if "socket" not in args:
            args["socket"] = self.handle
        try:
            return self._driver.request(op, timeout_ms, **args)
        except ZmqError:
            # The answers owed, read before this one, may say the socket was never made.
            if self._failure is not None:
                raise self._failure from None
            raise
