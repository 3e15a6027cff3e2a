"""The driver binding: any program that speaks DRIVER-PROTOCOL.md version 1.

The suite trusts nothing a driver does.  Every request has a deadline (its
``timeout_ms`` plus a grace period); a driver that misses it, exits, or
writes a line that is not a valid response is killed, and the request raises
:class:`~conformance.binding.BindingBroken` with the driver's stderr tail.
The plugin restarts a broken driver before the next test, so one bad answer
costs one test, never the run.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import json
import queue
import shlex
import subprocess
import threading
from collections.abc import Sequence
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

PROTOCOL_VERSION = 1
_EOF = object()


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
        self.lines: queue.Queue = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=self.STDERR_TAIL_LINES)
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        for line in self.popen.stdout:
            self.lines.put(line)
        self.lines.put(_EOF)

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
        self._readers[1].join(timeout=0.5)
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
        self._process: _Process | None = None
        self._next_id = 0

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
        hello = self._request("hello", deadline_s=self.startup_s, protocol=PROTOCOL_VERSION)
        if hello.get("protocol") != PROTOCOL_VERSION:
            self._break(f"speaks protocol {hello.get('protocol')!r}, not {PROTOCOL_VERSION}")
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
        if self._process is not None:
            self._process.kill()
            self._process = None

    # -- the binding interface ---------------------------------------------

    def socket(self, type: str) -> DriverSocket:
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
        if self.broken is not None:
            raise self.broken
        if deadline_s is None:
            deadline_s = self.grace_s
        assert self._process is not None, "DriverBinding.start() was not called"
        self._next_id += 1
        request_id = self._next_id
        line = json.dumps({"id": request_id, "op": op, **args}).encode() + b"\n"
        if not self._process.write(line):
            self._break(f"exited before request {op!r} could be written")
        try:
            raw = self._process.lines.get(timeout=deadline_s)
        except queue.Empty:
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
        self._driver = driver
        self._handle = handle
        self._generation = driver.generation
        self._closed = False

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

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._driver.running and self._driver.generation == self._generation:
            self._driver.request("close", socket=self._handle)

    def _call(self, op: str, timeout_ms: int | None = None, **args: Any) -> dict:
        if self._driver.generation != self._generation:
            raise ZmqError(ErrorCode.EINVAL, "socket of a driver that has since restarted")
        return self._driver.request(op, timeout_ms, socket=self._handle, **args)
