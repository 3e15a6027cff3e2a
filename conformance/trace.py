"""What a test did, as driver-protocol requests: the reproduction of a failure.

Every socket a test makes is a :class:`TracedSocket`.  It records each
operation as the driver-protocol request that would perform it, with the
answer the implementation gave, so that a failure can be replayed against
any driver with ``python -m conformance replay`` and read by a maintainer
who has never seen our Python.  The trace restarts with every example, so
at the end of a failing test it holds the shrunk example Hypothesis
replayed last.

The same wrapper charges the test's :class:`~conformance.patience.Patience`
for waits that ran out.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from typing import Any

from conformance.binding import (
    BYTES_OPTIONS,
    BindingBroken,
    ErrorCode,
    Frames,
    OptionValue,
    Socket,
    ZmqError,
)
from conformance.patience import TIMEOUT_MS, Patience

MAX_RECORDED_STEPS = 2000

REFERENCE = "reference"
"""The side of a step that started a reference pattern (a broker) the test put the
implementation in: not a protocol request, but replay starts the same pattern in its place."""

REPLAYABLE_REFERENCES = {"lbbroker": ("frontend", "backend"), "asyncsrv": ("frontend", "backend")}
"""The reference patterns replay can start (see ``conformance.replay``), with their endpoints."""


def unreplayable(steps: Sequence[dict[str, Any]]) -> str:
    """Why a reproduction cannot be replayed, or "" if it can."""
    for step in steps:
        pattern = step.get("request", {}).get("pattern")
        if step.get("side") == REFERENCE and pattern not in REPLAYABLE_REFERENCES:
            return f"it runs the reference {pattern}, which replay cannot start"
    return ""


def b64(frame: bytes) -> str:
    return base64.b64encode(frame).decode("ascii")


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
        timeout_ms = self.patience.timeout_ms(timeout_ms)
        self._do(
            "send",
            self.inner.send,
            frames,
            timeout_ms,
            frames=list(frames),
            timeout_ms=timeout_ms,
        )

    def recv(self, timeout_ms: int) -> Frames:
        timeout_ms = self.patience.timeout_ms(timeout_ms)
        return self._do("recv", self.inner.recv, timeout_ms, timeout_ms=timeout_ms)

    def close(self) -> None:
        self._do("close", self.inner.close)

    def _do(self, op: str, operation, *args, **request: Any):
        request = {"op": op, "socket": self._handle, **request}
        start = time.monotonic()
        try:
            result = operation(*args)
        except ZmqError as exc:
            self._trace.record(self.side, request, {"ok": False, "error": exc.code.value})
            if exc.code == ErrorCode.EAGAIN and request.get("timeout_ms", 0) >= TIMEOUT_MS:
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


# -- the steps as a maintainer reads them ---------------------------------------

SHOWN_FRAME_BYTES = 40


def describe_frame(frame: bytes) -> str:
    """A frame as a bytes literal; a long one by its repeated pattern or its size."""
    if len(frame) <= SHOWN_FRAME_BYTES:
        return repr(frame)
    for width in range(1, 5):
        if len(frame) % width == 0 and frame == frame[:width] * (len(frame) // width):
            return f"{frame[:width]!r} * {len(frame) // width}"
    return f"<{len(frame)} bytes: {frame[:16]!r}...>"


def describe_frames(frames: Sequence[bytes], limit: int = 8) -> str:
    shown = ", ".join(describe_frame(f) for f in frames[:limit])
    more = f", ... ({len(frames)} frames)" if len(frames) > limit else ""
    return f"[{shown}{more}]"


def decode_frames(frames: Any) -> Frames:
    """The frames of a recorded request or answer (base64 strings), as bytes.

    Raises ValueError for anything that is not a list of base64 strings.
    """
    if not isinstance(frames, list):
        raise ValueError(f"frames must be a list, not {type(frames).__name__}")
    try:
        return [base64.b64decode(f, validate=True) for f in frames]
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"a frame is not base64: {exc}") from None


def describe_request(request: dict[str, Any]) -> str:
    """One request in a short form: ``send s2 [b'', b'A'] timeout_ms=2000``."""
    words = [str(request.get("op", "?"))]
    for key, value in request.items():
        if key in ("op", "value"):
            continue
        if key in ("socket", "type", "endpoint"):
            words.append(str(value))
        elif key == "option":
            words.append(f"{value}={_describe_option_value(value, request.get('value'))}")
        elif key == "frames":
            try:
                words.append(describe_frames(decode_frames(value)))
            except ValueError:
                words.append(f"frames={value!r}")
        else:
            words.append(f"{key}={json.dumps(value)}")
    return " ".join(words)


def _describe_option_value(option: Any, value: Any) -> str:
    if option in BYTES_OPTIONS and isinstance(value, str):
        try:
            return describe_frame(base64.b64decode(value, validate=True))
        except binascii.Error:
            pass
    return json.dumps(value)


def describe_answer(answer: dict[str, Any]) -> str:
    """One answer in a short form: ``ok``, ``ok [b'A']``, ``EAGAIN``, ``BROKEN: ...``."""
    if "broken" in answer:
        return f"BROKEN: {answer['broken']}"
    if answer.get("ok") is not True:
        return str(answer.get("error", "?"))
    if "frames" in answer:
        try:
            return f"ok {describe_frames(decode_frames(answer['frames']))}"
        except ValueError:
            return f"ok frames={answer['frames']!r}"
    for key in ("socket", "endpoint"):
        if key in answer:
            return f"ok {answer[key]}"
    return "ok"


def describe_step(step: dict[str, Any]) -> str:
    """``iut     send s2 [b''] timeout_ms=2000 -> ok``."""
    request = step.get("request", {})
    answer = step.get("answer", {})
    return f"{step.get('side', '?'):<7} {describe_request(request)} -> {describe_answer(answer)}"


def excerpt(count: int, focus: int, limit: int = 12) -> list[int | None]:
    """Which of ``count`` steps to show (1-based), ``None`` for a gap.

    A long reproduction is shown by its beginning (the sockets being set up)
    and the steps leading to ``focus``, the step where the failure showed.
    """
    last = focus if focus else count
    if last <= limit:
        return list(range(1, last + 1))
    head = 4
    tail = limit - head
    return [*range(1, head + 1), None, *range(last - tail + 1, last + 1)]
