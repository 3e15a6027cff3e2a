"""Assertions whose failure message is the one line a binding maintainer needs."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.patience import TIMEOUT_MS


def _describe(frames: Sequence[bytes]) -> str:
    shown = ", ".join(repr(f) if len(f) <= 40 else f"<{len(f)} bytes>" for f in frames[:6])
    more = f", ... ({len(frames)} frames)" if len(frames) > 6 else ""
    return f"[{shown}{more}]"


def assert_message(observed: Sequence[bytes], expected: Sequence[bytes], where: str) -> None:
    """``observed`` must equal ``expected`` frame for frame."""
    __tracebackhide__ = True
    observed, expected = list(observed), list(expected)
    if observed == expected:
        return
    if len(observed) != len(expected):
        detail = f"{len(observed)} frames instead of {len(expected)}"
    else:
        i = next(i for i, (o, e) in enumerate(zip(observed, expected)) if o != e)
        detail = f"frame {i} differs"
        if len(observed[i]) != len(expected[i]):
            detail += f" ({len(observed[i])} bytes instead of {len(expected[i])})"
    raise AssertionError(
        f"{where}: {detail}\n  expected: {_describe(expected)}\n  observed: {_describe(observed)}"
    )


def receive(sock: Socket, where: str, timeout_ms: int = TIMEOUT_MS) -> Frames:
    """A message that must arrive at ``sock``; its absence is a failure, not an error."""
    __tracebackhide__ = True
    try:
        return sock.recv(timeout_ms)
    except ZmqError as exc:
        if exc.code != ErrorCode.EAGAIN:
            raise
    raise AssertionError(f"{where}: nothing arrived within {timeout_ms} ms")


def expect_error(code: ErrorCode, operation, *args, **kwargs) -> ZmqError:
    """Run ``operation``, which must raise a ZmqError with ``code``; return it."""
    __tracebackhide__ = True
    try:
        result = operation(*args, **kwargs)
    except ZmqError as exc:
        if exc.code != code:
            raise AssertionError(f"expected {code}, got {exc.code}: {exc.message}") from None
        return exc
    raise AssertionError(f"expected {code}, but the call succeeded and returned {result!r}")
