"""A raw ZMTP peer: our own end of a connection, written byte for byte, over a plain socket.

The implementation under test is driven through the binding interface as
everywhere else; its peer here is a plain tcp (or AF_UNIX, for ipc) socket
that writes and reads the octets of RFC 23/37 through :mod:`.codec`.  Every
read and write is bounded: a read that gets nothing within its timeout, or
meets the end of the stream, raises :class:`WireError` (an
``AssertionError``: what the implementation failed to send is a failure of
the case, and its message is the one line a maintainer needs).

Everything the peer sends and receives is recorded in the test's trace as a
step on the ``wire`` side, with the octets in hex and what they read as, so
a failure report shows the bytes.  Replay cannot play these steps
(:func:`conformance.results.steps.unreplayable` says so).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from conformance.harness.patience import TIMEOUT_MS, Patience
from conformance.harness.trace import Trace
from conformance.results.steps import SHOWN_WIRE_OCTETS, WIRE
from conformance.wire import codec
from conformance.wire.codec import Command, Frame, Greeting
from conformance.wire.zmtp20 import LegacyGreeting

CHUNK = 1 << 20


RECONNECT_S = 0.005
"""How long the raw peer waits before it tries a refused connection again."""


class WireError(AssertionError):
    """The implementation did not send what the raw peer waited for."""


class WireClosed(WireError):
    """The implementation closed the connection."""


class WireTimeout(WireError):
    """Nothing (or not enough) arrived within the timeout."""


def _address(endpoint: str) -> tuple[int, Any]:
    transport, _, rest = endpoint.partition("://")
    if transport == "tcp":
        host, _, port = rest.rpartition(":")
        return socket.AF_INET, (host, 0 if port == "*" else int(port))
    if transport == "ipc":
        return socket.AF_UNIX, rest
    raise ValueError(f"a raw peer speaks tcp or ipc, not {endpoint!r}")


def _endpoint(family: int, address: Any) -> str:
    if family == socket.AF_UNIX:
        return f"ipc://{address}"
    return f"tcp://{address[0]}:{address[1]}"


class _Recorder:
    """Writes the raw peers' steps into a test's trace, and charges its patience."""

    _names = itertools.count(1)

    def __init__(self, trace: Trace | None, patience: Patience | None) -> None:
        self.trace = trace
        self.patience = patience or Patience()
        number = trace.new_handle()[1:] if trace is not None else next(self._names)
        self.name = f"w{number}"

    def record(self, request: dict[str, Any], answer: dict[str, Any]) -> None:
        if self.trace is not None:
            self.trace.record(WIRE, {"op": request.pop("op"), "peer": self.name, **request}, answer)

    def timeout_ms(self, timeout_ms: int | None) -> int:
        return self.patience.timeout_ms(TIMEOUT_MS if timeout_ms is None else timeout_ms)


def octets(data: bytes) -> dict[str, Any]:
    """How a step keeps a run of octets: the first few in hex, and how many there were."""
    return {"bytes": data[:SHOWN_WIRE_OCTETS].hex(), "size": len(data)}


class WirePeer:
    """One raw ZMTP connection."""

    def __init__(self, sock: socket.socket, recorder: _Recorder) -> None:
        self.sock = sock
        self.recorder = recorder
        self._buffer = bytearray()
        self.closed = False

    @classmethod
    def connect(
        cls,
        endpoint: str,
        trace: Trace | None = None,
        patience: Patience | None = None,
        timeout_ms: int | None = None,
    ) -> WirePeer:
        """Connect as a ZeroMQ peer does: a refused connection is tried again until the timeout.

        A bind may complete after the call that asked for it returned (azmq's,
        on asyncio): a libzmq peer would reconnect, and so does the raw peer,
        every :data:`RECONNECT_S`.
        """
        recorder = _Recorder(trace, patience)
        family, address = _address(endpoint)
        wait_s = recorder.timeout_ms(timeout_ms) / 1000
        deadline = time.monotonic() + wait_s
        while True:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(wait_s)
            try:
                sock.connect(address)
                break
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                sock.close()
                if time.monotonic() + RECONNECT_S < deadline:
                    time.sleep(RECONNECT_S)  # sleep-ok: a reconnection interval, as RECONNECT_IVL
                    continue
                failure = exc
            except OSError as exc:
                sock.close()
                failure = exc
            recorder.record({"op": "connect", "endpoint": endpoint}, _error(failure))
            raise WireError(f"the raw peer could not connect to {endpoint}: {failure}") from None
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        recorder.record({"op": "connect", "endpoint": endpoint}, {"ok": True})
        return cls(sock, recorder)

    # -- writing ----------------------------------------------------------------------

    def send(self, data: bytes, what: str, timeout_ms: int | None = None) -> None:
        """Write ``data`` (``what`` says what it is, for the trace)."""
        self.sock.settimeout(self.recorder.timeout_ms(timeout_ms) / 1000)
        request = {"op": "send", "what": what, **octets(data)}
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self.recorder.record(request, _error(exc))
            if isinstance(exc, socket.timeout):
                raise WireTimeout(f"the implementation took no more octets ({what})") from None
            raise WireClosed(f"the implementation closed the connection ({what})") from None
        self.recorder.record(request, {"ok": True})

    def send_greeting(self, greeting: Greeting | None = None) -> None:
        greeting = greeting or Greeting()
        self.send(greeting.encode(), greeting.describe())

    def send_command(self, command: Command) -> None:
        self.send(command.frame().encode(), command.describe())

    def send_message(self, frames: list[bytes]) -> None:
        self.send(codec.encode_message(frames), f"message of {len(frames)} frames")

    # -- reading ----------------------------------------------------------------------

    def _fill(self, size: int, deadline: float, what: str) -> None:
        while len(self._buffer) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireTimeout(f"{what}: nothing more arrived in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(CHUNK)
            except socket.timeout:
                continue
            except OSError as exc:  # ECONNRESET: closed, with unread octets on its side
                raise WireClosed(f"{what}: the implementation closed the connection") from exc
            if not chunk:
                raise WireClosed(f"{what}: the implementation closed the connection")
            self._buffer += chunk

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _read(self, what: str, timeout_ms: int | None, parse):
        """Read until ``parse(buffer)`` returns (value, octets used); record the step."""
        timeout_ms = self.recorder.timeout_ms(timeout_ms)
        start = time.monotonic()
        deadline = start + timeout_ms / 1000
        request = {"op": "recv", "what": what, "timeout_ms": timeout_ms}
        try:
            while True:
                parsed = parse(self._buffer)
                if parsed is not None:
                    value, used = parsed
                    data = self._take(used)
                    describe = getattr(value, "describe", None)
                    shown = describe() if describe else codec.describe(data)
                    self.recorder.record(request, {"ok": True, "what": shown, **octets(data)})
                    return value
                self._fill(len(self._buffer) + 1, deadline, f"waiting for {what}")
        except WireError as exc:
            answer = {"ok": False, "error": "closed" if isinstance(exc, WireClosed) else "timeout"}
            if self._buffer:
                answer.update(octets(bytes(self._buffer)))
            self.recorder.record(request, answer)
            if isinstance(exc, WireTimeout) and timeout_ms >= TIMEOUT_MS:
                self.recorder.patience.charge(time.monotonic() - start)
            raise

    def read_greeting(self, timeout_ms: int | None = None) -> Greeting:
        def parse(buffer):
            if len(buffer) < codec.GREETING_SIZE:
                return None
            return Greeting.decode(bytes(buffer[: codec.GREETING_SIZE])), codec.GREETING_SIZE

        return self._read("the greeting", timeout_ms, parse)

    def read_legacy_greeting(self, timeout_ms: int | None = None) -> LegacyGreeting:
        """The greeting of an implementation that answers a ZMTP 2.0 peer in ZMTP 2.0."""
        return self._read("a ZMTP 2.0 greeting", timeout_ms, LegacyGreeting.parse)

    def read_octets(self, size: int, what: str, timeout_ms: int | None = None) -> bytes:
        """Exactly ``size`` octets, whatever they are (``what`` says what, for the trace)."""

        def parse(buffer):
            return (bytes(buffer[:size]), size) if len(buffer) >= size else None

        return self._read(what, timeout_ms, parse)

    def read_frame(self, timeout_ms: int | None = None) -> Frame:
        return self._read("a frame", timeout_ms, codec.split_frame)

    def read_message(self, timeout_ms: int | None = None) -> list[Frame]:
        """The frames of one message: up to and including the first without MORE."""

        def parse(buffer):
            bounds, at = [], 0
            while (found := codec.frame_bounds(buffer, at)) is not None:
                bounds.append(found)
                flags, _, at = found
                if not flags & codec.MORE or flags & codec.COMMAND:
                    frames = [Frame(f, bytes(buffer[b:end])) for f, b, end in bounds]
                    return _Message(frames), at
            return None

        return list(self._read("a message", timeout_ms, parse))

    def read_command(self, timeout_ms: int | None = None) -> Command:
        return _command(self.read_frame(timeout_ms))

    def handshake(
        self,
        socket_type: str,
        identity: bytes | None = None,
        greeting: Greeting | None = None,
        ready: Command | None = None,
        timeout_ms: int | None = None,
    ) -> Handshake:
        """A full NULL handshake: our greeting and READY out, the implementation's read.

        ``ready`` replaces the READY built from ``socket_type`` and ``identity``.
        """
        self.send_greeting(greeting)
        theirs = self.read_greeting(timeout_ms)
        self.send_command(ready or codec.ready(socket_type.encode(), identity))
        return Handshake(theirs, self.read_frame(timeout_ms))

    def wait_closed(self, timeout_ms: int | None = None) -> list[Frame]:
        """Read until the implementation closes the connection; what it sent before that.

        Raises :class:`WireTimeout` if it is still open after the timeout.
        """
        timeout_ms = self.recorder.timeout_ms(timeout_ms)
        start = time.monotonic()
        deadline = start + timeout_ms / 1000
        request = {"op": "recv", "what": "the end of the connection", "timeout_ms": timeout_ms}
        while True:
            try:
                self._fill(len(self._buffer) + 1, deadline, "waiting for the end")
            except WireClosed:
                frames, _ = codec.decode_frames(bytes(self._buffer))
                data = self._take(len(self._buffer))
                shown = "; ".join(f.describe() for f in frames) or "nothing"
                self.recorder.record(
                    request, {"ok": True, "what": f"closed after {shown}", **octets(data)}
                )
                return frames
            except WireTimeout:
                answer = {"ok": False, "error": "still open", **octets(bytes(self._buffer))}
                self.recorder.record(request, answer)
                if timeout_ms >= TIMEOUT_MS:
                    self.recorder.patience.charge(time.monotonic() - start)
                raise WireTimeout(
                    f"the implementation kept the connection open for {timeout_ms} ms"
                ) from None

    def end_writing(self) -> None:
        """End our side of the connection (a FIN): the implementation reads what we wrote, then
        the end."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        self.recorder.record({"op": "shutdown", "what": "the raw peer's side"}, {"ok": True})

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.sock.close()
            self.recorder.record({"op": "close"}, {"ok": True})

    def __enter__(self) -> WirePeer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Message(list):
    def describe(self) -> str:
        return (
            "message: "
            + "; ".join(f.describe() for f in self[:6])
            + (f"; ... ({len(self)} frames)" if len(self) > 6 else "")
        )


@dataclass(frozen=True)
class Handshake:
    """What the implementation sent in a handshake: its greeting and the frame after it."""

    greeting: Greeting
    frame: Frame

    @property
    def command(self) -> Command:
        """The frame as a command (a :class:`WireError` if it is none)."""
        return _command(self.frame)

    @property
    def properties(self) -> codec.Properties:
        """The metadata of its READY (a :class:`WireError` if it is no well-formed READY)."""
        command = self.command
        if command.name != codec.READY:
            raise WireError(f"the implementation sent {command.describe()} instead of READY")
        try:
            return command.properties
        except codec.DecodeError as exc:
            raise WireError(f"the implementation's READY is malformed: {exc}") from None


def _command(frame: Frame) -> Command:
    if not frame.command:
        raise WireError(f"a command was due, and a message frame came: {frame.describe()}")
    try:
        return codec.decode_command(frame.body)
    except codec.DecodeError as exc:
        raise WireError(f"a command was due: {exc}") from None


class WireListener:
    """A listening plain socket that the implementation connects to."""

    def __init__(
        self, endpoint: str, trace: Trace | None = None, patience: Patience | None = None
    ) -> None:
        self._trace, self._patience = trace, patience
        self.recorder = _Recorder(trace, patience)
        family, address = _address(endpoint)
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.path = address if family == socket.AF_UNIX else None
        self.sock.bind(address)
        self.sock.listen(8)
        self.endpoint = _endpoint(family, self.sock.getsockname())
        self.recorder.record({"op": "listen", "endpoint": self.endpoint}, {"ok": True})

    def accept(self, timeout_ms: int | None = None) -> WirePeer:
        timeout_ms = self.recorder.timeout_ms(timeout_ms)
        self.sock.settimeout(timeout_ms / 1000)
        start = time.monotonic()
        recorder = _Recorder(self._trace, self._patience)
        try:
            sock, _ = self.sock.accept()
        except socket.timeout:
            recorder.record(
                {"op": "accept", "timeout_ms": timeout_ms}, {"ok": False, "error": "timeout"}
            )
            if timeout_ms >= TIMEOUT_MS:
                self.recorder.patience.charge(time.monotonic() - start)
            raise WireTimeout(
                f"the implementation did not connect to {self.endpoint} within {timeout_ms} ms"
            ) from None
        if self.sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        recorder.record({"op": "accept", "timeout_ms": timeout_ms}, {"ok": True})
        return WirePeer(sock, recorder)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.path:
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def __enter__(self) -> WireListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _error(exc: OSError) -> dict[str, Any]:
    return {"ok": False, "error": "timeout" if isinstance(exc, socket.timeout) else str(exc)}
