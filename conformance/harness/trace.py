"""What a test did, as driver-protocol requests: the reproduction of a failure.

Every socket a test makes is a :class:`TracedSocket`.  It records each
operation as the driver-protocol request that would perform it, with the
answer the implementation gave, so that a failure can be replayed against
any driver with ``python -m conformance replay`` and read by a maintainer
who has never seen our Python.  The trace restarts with every example, so
at the end of a failing test it holds the shrunk example Hypothesis
replayed last.

The same wrapper charges the test's :class:`~conformance.harness.patience.Patience`
for waits that ran out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from conformance.binding import (
    BindingBroken,
    ErrorCode,
    Frames,
    LingeringSocket,
    OptionValue,
    Socket,
    Unsupported,
    ZmqError,
)
from conformance.harness.patience import TIMEOUT_MS, Patience
from conformance.results.steps import b64

MAX_RECORDED_STEPS = 2000

WAITS_FOR_A_PEER = ("REQ", "DEALER")
"""The types whose send may be refused at once for want of a peer (RFC 28)."""
FIRST_RETRY_PAUSE_S = 0.001
LAST_RETRY_PAUSE_S = 0.05


class Trace:
    """The requests of one example, in order, with their answers.

    Frames are kept as the bytes they are and encoded only when the steps
    are read, which happens for a failure: every passing example would
    otherwise pay for base64 of every frame it sent and received.
    """

    def __init__(self) -> None:
        self._steps: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self._handles = 0

    def restart(self) -> None:
        self._steps = []
        self._handles = 0

    def saved(self) -> tuple[list, int]:
        """The steps so far, to :meth:`restore` when a later example must not replace them."""
        return list(self._steps), self._handles

    def restore(self, saved: tuple[list, int]) -> None:
        self._steps, self._handles = list(saved[0]), saved[1]

    def new_handle(self) -> str:
        self._handles += 1
        return f"s{self._handles}"

    def record(self, side: str, request: dict[str, Any], answer: dict[str, Any]) -> None:
        if len(self._steps) < MAX_RECORDED_STEPS:
            self._steps.append((side, request, answer))

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The steps as driver-protocol requests and answers, frames in base64."""
        return [
            {"side": side, "request": _encoded(request), "answer": _encoded(answer)}
            for side, request, answer in self._steps
        ]


def _encoded(message: dict[str, Any]) -> dict[str, Any]:
    if "frames" not in message:
        return message
    return {**message, "frames": [b64(f) for f in message["frames"]]}


def _option_value(value: OptionValue) -> Any:
    return b64(value) if isinstance(value, bytes) else value


def _cannot_linger() -> None:
    raise ZmqError(ErrorCode.ENOTSUP, "the binding cannot close a socket with a linger")


class TracedSocket:
    """A socket whose every operation is recorded, and whose waits are budgeted."""

    def __init__(
        self, inner: Socket, side: str, trace: Trace, patience: Patience, handle: str
    ) -> None:
        self.inner = inner
        self.type = inner.type
        self.side = side
        self.patience = patience
        self._trace = trace
        self._handle = handle
        trace.record(side, {"op": "socket", "type": inner.type}, {"ok": True, "socket": handle})

    def set(self, option: str, value: OptionValue) -> None:
        self._do("set", self.inner.set, option, value, option=option, value=_option_value(value))

    def bind(self, endpoint: str) -> str:
        return self._do("bind", self.inner.bind, endpoint, endpoint=endpoint)

    def connect(self, endpoint: str) -> None:
        self._do("connect", self.inner.connect, endpoint, endpoint=endpoint)

    def disconnect(self, endpoint: str) -> None:
        self._do("disconnect", self.inner.disconnect, endpoint, endpoint=endpoint)

    def unbind(self, endpoint: str) -> None:
        self._do("unbind", self.inner.unbind, endpoint, endpoint=endpoint)

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        """Send within ``timeout_ms``, retrying a REQ's or DEALER's refusal that came early.

        RFC 28 lets a REQ or DEALER with no peer to send to "block on
        sending, or return a suitable error": libzmq waits for the timeout,
        zmq.rs and zmq4 answer at once, also while a peer that has just
        connected is still in its handshake.  A timeout in the suite means
        "wait that long for a peer", so an EAGAIN that comes before it is
        tried again, after a pause that grows, until the timeout; every
        try is a step of the reproduction.
        """
        timeout_ms = self.patience.timeout_ms(timeout_ms)
        start = time.monotonic()
        deadline = start + timeout_ms / 1000
        pause_s = FIRST_RETRY_PAUSE_S
        while True:
            left_ms = max(0, round((deadline - time.monotonic()) * 1000))
            try:
                self._do(
                    "send",
                    self.inner.send,
                    frames,
                    left_ms,
                    frames=list(frames),
                    timeout_ms=left_ms,
                )
                return
            except ZmqError as exc:
                refused_early = (
                    exc.code == ErrorCode.EAGAIN
                    and self.type in WAITS_FOR_A_PEER
                    and time.monotonic() + pause_s < deadline
                )
                if not refused_early:
                    if exc.code == ErrorCode.EAGAIN and timeout_ms >= TIMEOUT_MS:
                        self.patience.charge(time.monotonic() - start)
                    raise
            time.sleep(pause_s)  # sleep-ok: a retry's pause; the send itself decides
            pause_s = min(pause_s * 2, LAST_RETRY_PAUSE_S)

    def recv(self, timeout_ms: int) -> Frames:
        timeout_ms = self.patience.timeout_ms(timeout_ms)
        return self._do("recv", self.inner.recv, timeout_ms, timeout_ms=timeout_ms)

    def close(self) -> None:
        self._do("close", self.inner.close)

    def close_lingering(self, linger_ms: int) -> None:
        """Close with ``linger_ms``; UNSUPPORTED where the binding cannot (before protocol 3)."""
        inner = self.inner
        if isinstance(inner, LingeringSocket):
            self._do("close", inner.close_lingering, linger_ms, linger=linger_ms)
        else:
            self._do("close", _cannot_linger, linger=linger_ms)

    def _do(self, op: str, operation, *args, **request: Any):
        request = {"op": op, "socket": self._handle, **request}
        start = time.monotonic()
        try:
            result = operation(*args)
        except ZmqError as exc:
            self._trace.record(self.side, request, {"ok": False, "error": exc.code.value})
            if exc.code == ErrorCode.ENOTSUP:
                raise Unsupported(exc.message) from None
            if (
                op == "recv"
                and exc.code == ErrorCode.EAGAIN
                and request["timeout_ms"] >= TIMEOUT_MS
            ):
                self.patience.charge(time.monotonic() - start)
            raise
        except BindingBroken as exc:
            # Not a protocol answer: the step the implementation broke on.
            self._trace.record(self.side, request, {"ok": False, "broken": exc.summary})
            raise
        answer: dict[str, Any] = {"ok": True}
        if op == "bind":
            answer["endpoint"] = result
        elif op == "recv":
            answer["frames"] = result
        self._trace.record(self.side, request, answer)
        return result

    def __repr__(self) -> str:
        return f"<{self.type} socket {self._handle}>"
