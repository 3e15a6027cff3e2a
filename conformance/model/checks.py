"""Comparing one observation with what the model allows, in one-line failure messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, TypeVar

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, receive
from conformance.model.messages import Message

T = TypeVar("T")


def must_fail(code: ErrorCode, where: str, operation: Callable, *args) -> None:
    """``operation`` must fail with ``code``, at once."""
    __tracebackhide__ = True
    try:
        result = operation(*args)
    except ZmqError as exc:
        if exc.code == code:
            return
        if exc.code == ErrorCode.ENOTSUP:
            raise
        raise AssertionError(f"{where}: expected {code}, got {exc.code}") from None
    got = f" and gave {result!r}" if result is not None else ""
    raise AssertionError(f"{where}: expected {code}, but it succeeded{got}")


def must_succeed(where: str, operation: Callable, *args) -> None:
    """``operation`` must succeed; an error other than ENOTSUP is a failure, with context."""
    __tracebackhide__ = True
    try:
        operation(*args)
    except ZmqError as exc:
        if exc.code == ErrorCode.ENOTSUP:
            raise
        raise AssertionError(f"{where}: expected success, got {exc.code}") from None


def must_arrive(sock: Socket, where: str) -> Frames:
    """A message the model says is on its way; its absence is a failure."""
    __tracebackhide__ = True
    try:
        return receive(sock, where)
    except ZmqError as exc:
        if exc.code == ErrorCode.ENOTSUP:
            raise
        raise AssertionError(f"{where}: expected a message, got {exc.code}") from None


def match_arrival(
    observed: Sequence[bytes], candidates: Sequence[tuple[T, Message, Frames]], where: str
) -> T:
    """The candidate ``observed`` is: each candidate is (item, message, expected frames).

    Every message carries its own tag, so at most one candidate can match.
    When none does, the one whose tag ``observed`` carries is compared frame
    by frame, so the failure says what went wrong with it.
    """
    __tracebackhide__ = True
    observed = list(observed)
    for item, _, expected in candidates:
        if observed == expected:
            return item
    for _, message, expected in candidates:
        if message.tag in observed:
            assert_message(observed, expected, f"{where} ({message})")
    possible = "; ".join(f"{message} {expected!r}" for _, message, expected in candidates)
    raise AssertionError(
        f"{where}: {observed!r} is none of the messages that may arrive next: {possible}"
    )
