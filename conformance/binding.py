"""The one interface every conformance test is written against.

A *binding* is whatever makes ZeroMQ sockets: pyzmq in this process, or a
driver program speaking the driver protocol (``DRIVER-PROTOCOL.md``) for a
Java, Go, Rust, Node or C# implementation.  The tests never see which: they
ask a :class:`Binding` for a :class:`Socket` and use the eight operations
below, which are exactly the operations of the driver protocol.  Keeping the
in-process API and the wire protocol the same shape is what lets every test
run unchanged over either.

Failures are :class:`ZmqError` carrying one of the protocol's error codes, so
a test asserts ``EFSM`` the same way whether libzmq's errno or a Java
exception was behind it.  A binding that hangs, dies or speaks garbage raises
:class:`BindingBroken` instead, which is deliberately *not* an ``Exception``:
it must abort a Hypothesis search at once rather than be shrunk.
"""

from __future__ import annotations

import enum
import unittest
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, Union, runtime_checkable

SOCKET_TYPES = ("REQ", "REP", "DEALER", "ROUTER")
TRANSPORTS = ("tcp", "ipc", "inproc")
BOOL_OPTIONS = (
    "ROUTER_MANDATORY",
    "ROUTER_HANDOVER",
    "REQ_RELAXED",
    "REQ_CORRELATE",
    "PROBE_ROUTER",
    "IMMEDIATE",
)
INT_OPTIONS = ("SNDHWM", "RCVHWM", "LINGER", "MAXMSGSIZE", "RECONNECT_IVL")
BYTES_OPTIONS = ("ROUTING_ID",)
OPTIONS = BYTES_OPTIONS + BOOL_OPTIONS + INT_OPTIONS

OptionValue = Union[bytes, bool, int]
Frames = list[bytes]


class ErrorCode(str, enum.Enum):
    """The error codes of the driver protocol, version 3 (the same as in versions 1 and 2)."""

    EAGAIN = "EAGAIN"
    EFSM = "EFSM"
    EHOSTUNREACH = "EHOSTUNREACH"
    EINVAL = "EINVAL"
    ENOTSUP = "ENOTSUP"
    EPROTO = "EPROTO"
    EOTHER = "EOTHER"

    def __str__(self) -> str:
        return self.value


class ZmqError(Exception):
    """An operation failed the way ZeroMQ operations fail: with an error code."""

    def __init__(self, code: ErrorCode | str, message: str = "") -> None:
        self.code = ErrorCode(code)
        self.message = message
        super().__init__(f"{self.code}: {message}" if message else str(self.code))


class Unsupported(ZmqError, unittest.SkipTest):
    """ENOTSUP: the implementation lacks what the case needs, so the case is UNSUPPORTED.

    A ``ZmqError`` with code ENOTSUP to the code that catches those, and a
    ``unittest.SkipTest`` to the test runners: Hypothesis re-raises a skip at
    once, where it would shrink any other error, asking again in every
    example of the shrink for what the implementation has said it lacks.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(ErrorCode.ENOTSUP, message)


class BindingBroken(BaseException):
    """The binding itself failed: it hung, exited, or broke the protocol.

    A ``BaseException`` so that neither Hypothesis nor a test's ``except
    Exception`` swallows it: the test ends at once and is reported as broken,
    with ``detail`` (the driver's stderr tail, for example) attached.
    """

    def __init__(self, summary: str, detail: str = "") -> None:
        self.summary = summary
        self.detail = detail
        super().__init__(f"{summary}\n{detail}" if detail else summary)


class BindingUnavailable(Exception):
    """The binding broke before this test and could not be made ready for it.

    An ``Exception`` (unlike :class:`BindingBroken`) because it is raised in
    fixture setup, where pytest expects one.
    """


@dataclass(frozen=True)
class Capabilities:
    """What an implementation says it supports; anything else is UNSUPPORTED."""

    socket_types: frozenset[str] = field(default_factory=lambda: frozenset(SOCKET_TYPES))
    transports: frozenset[str] = field(default_factory=lambda: frozenset(TRANSPORTS))
    options: frozenset[str] = field(default_factory=lambda: frozenset(OPTIONS))


@runtime_checkable
class Socket(Protocol):
    """One ZeroMQ socket of type REQ, REP, DEALER or ROUTER.

    Every blocking operation takes ``timeout_ms``: 0 for a non-blocking try,
    otherwise a positive bound.  There is no unbounded wait, on purpose.
    """

    type: str

    def set(self, option: str, value: OptionValue) -> None:
        """Set one of :data:`OPTIONS` (``ROUTING_ID`` is bytes)."""

    def bind(self, endpoint: str) -> str:
        """Bind, and return the concrete endpoint (a wildcard port resolved)."""

    def connect(self, endpoint: str) -> None: ...

    def disconnect(self, endpoint: str) -> None:
        """May raise ``ENOTSUP``: disconnect is optional in the protocol."""

    def unbind(self, endpoint: str) -> None:
        """May raise ``ENOTSUP``: unbind is optional in the protocol."""

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        """Send one multipart message atomically; ``EAGAIN`` if not within the timeout."""

    def recv(self, timeout_ms: int) -> Frames:
        """Receive one whole multipart message; ``EAGAIN`` if none within the timeout."""

    def close(self) -> None:
        """Close with zero linger. Closing twice is harmless."""


@runtime_checkable
class PollableSocket(Socket, Protocol):
    """A socket that can also wait on several sockets at once: optional.

    A socket without ``poll`` (or one that raises ``ENOTSUP``) is waited on
    by taking turns with short receives, as with a driver of protocol 1.
    """

    def poll(self, others: Sequence[Socket], timeout_ms: int) -> int | None:
        """Which of this socket and ``others`` (sockets of the same binding) has a message.

        The index in ``[self, *others]`` of one with a whole message to
        receive, waiting up to ``timeout_ms``; None if none has one by then.
        ``ENOTSUP`` if these sockets cannot be waited on together.
        """


@runtime_checkable
class LingeringSocket(Socket, Protocol):
    """A socket that can also be closed with a linger: optional.

    ``close`` is always zero linger (the suite must never wait on a socket it
    is done with); the cases about ZMQ_LINGER itself need a close that keeps
    what is queued going.  A socket without ``close_lingering`` makes those
    cases UNSUPPORTED, as does a driver of protocol 1 or 2.
    """

    def close_lingering(self, linger_ms: int) -> None:
        """Close, leaving the messages still queued up to ``linger_ms`` to reach their peer.

        As ``zmq_close`` with ZMQ_LINGER set to ``linger_ms`` (> 0): it returns
        at once, and the implementation goes on sending in the background.
        """


@runtime_checkable
class Binding(Protocol):
    """A factory of sockets for one implementation under test.

    This is the extension point a third party plugs into, in the way
    ``trio.testing``'s stream checkers take a stream factory: give the suite
    ``--zmq-binding package.module:factory`` where ``factory()`` returns a
    Binding, or ``--zmq-driver CMD`` for an implementation in another language.
    """

    name: str
    version: str
    capabilities: Capabilities

    def socket(self, type: str) -> Socket:
        """A new socket of ``type`` (one of :data:`SOCKET_TYPES`), linger 0."""

    def close(self) -> None:
        """Release every socket and resource; the binding is unusable after."""
