"""Faulty bindings: a correct binding with one seeded, realistic bug.

A conformance suite is only as good as the bugs it catches.  Each fault
here is a bug a real binding could ship, written as a socket class that
wraps a correct libzmq socket and gets one thing wrong.  The suite must
fail against every one of them and pass against the correct binding.  Run
one by hand with::

    pytest conformance --binding tests.faults:drop_trailing_empty_frame

Every name in :data:`FAULTS` (and ``correct``) is a factory for ``--binding``.
A fault changes what a socket sends or what it receives, never both, so
that in a self-paired run it cannot cancel itself out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.binding import (
    SOCKET_TYPES,
    Binding,
    ErrorCode,
    Frames,
    OptionValue,
    Socket,
    ZmqError,
)
from conformance.bindings.pyzmq import PyzmqBinding

LONG = 50
"""A message of more frames than this is 'long' for the faults that need one."""


class FaultySocket:
    """Passes everything through to a correct socket; subclasses get one thing wrong."""

    built_on: str | None = None
    """The libzmq socket type underneath, when the fault emulates one type on another."""

    def __init__(self, inner: Socket, type: str) -> None:
        self.inner = inner
        self.type = type

    def set(self, option: str, value: OptionValue) -> None:
        self.inner.set(option, value)

    def bind(self, endpoint: str) -> str:
        return self.inner.bind(endpoint)

    def connect(self, endpoint: str) -> None:
        self.inner.connect(endpoint)

    def disconnect(self, endpoint: str) -> None:
        self.inner.disconnect(endpoint)

    def unbind(self, endpoint: str) -> None:
        self.inner.unbind(endpoint)

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        self.inner.send(frames, timeout_ms)

    def recv(self, timeout_ms: int) -> Frames:
        return self.inner.recv(timeout_ms)

    def close(self) -> None:
        self.inner.close()


# -- faults of message shape ---------------------------------------------------


class DropTrailingEmptyFrame(FaultySocket):
    """A message ending in an empty frame loses it (a 'strip the terminator' bug)."""

    def send(self, frames, timeout_ms):
        if len(frames) > 1 and frames[-1] == b"":
            frames = frames[:-1]
        super().send(frames, timeout_ms)


class DropEmptyFrames(FaultySocket):
    """Empty frames are skipped when a message is sent."""

    def send(self, frames, timeout_ms):
        super().send([f for f in frames if f] or [b"?"], timeout_ms)


class SwapFirstTwoFrames(FaultySocket):
    """The first two frames of a message go out in the wrong order."""

    def send(self, frames, timeout_ms):
        frames = list(frames)
        if len(frames) > 1:
            frames[0], frames[1] = frames[1], frames[0]
        super().send(frames, timeout_ms)


class RotateLongMessages(FaultySocket):
    """Long messages are reassembled with their first frame moved to the end."""

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        return frames[1:] + frames[:1] if len(frames) > LONG else frames


class TruncateLargeFrames(FaultySocket):
    """Frames over 64 KiB are cut to 64 KiB on receive (a fixed-size buffer)."""

    LIMIT = 64 * 1024

    def recv(self, timeout_ms):
        return [f[: self.LIMIT] for f in super().recv(timeout_ms)]


class SplitLongMessages(FaultySocket):
    """A long message is sent as two messages (a batching bug)."""

    def send(self, frames, timeout_ms):
        if len(frames) > LONG:
            half = len(frames) // 2
            super().send(frames[:half], timeout_ms)
            frames = frames[half:]
        super().send(frames, timeout_ms)


class SkipLoneEmptyFrame(FaultySocket):
    """A message of one empty frame is taken for 'nothing to send' and dropped."""

    def send(self, frames, timeout_ms):
        if list(frames) != [b""]:
            super().send(frames, timeout_ms)


class TextDecodedFrames(FaultySocket):
    """Frames pass through a UTF-8 text decode: invalid bytes become U+FFFD."""

    def recv(self, timeout_ms):
        return [f.decode("utf-8", "replace").encode() for f in super().recv(timeout_ms)]


class RoutingIdSometimesMissing(FaultySocket):
    """Every third message a ROUTER receives comes without its routing-id frame."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.received = 0

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        self.received += 1
        return frames[1:] if self.received % 3 == 0 and len(frames) > 1 else frames


# -- faults of socket semantics, emulated on another libzmq type -----------------


class RepRestoringOneHop(FaultySocket):
    """A REP written on a ROUTER that keeps only the nearest hop of the envelope.

    The sender's routing id is kept (so replies still route), but any
    further addresses a proxy chain put in front of the delimiter are lost.
    """

    built_on = "ROUTER"

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.envelope: list[bytes] | None = None

    def recv(self, timeout_ms):
        if self.envelope is not None:
            raise ZmqError(ErrorCode.EFSM, "a reply is owed")
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            frames = self.inner.recv(max(0, int((deadline - time.monotonic()) * 1000)))
            if b"" in frames[1:]:
                delimiter = frames.index(b"", 1)
                self.envelope = [frames[0], b""]  # the bug: frames[1:delimiter] are lost
                return frames[delimiter + 1 :]

    def send(self, frames, timeout_ms):
        if self.envelope is None:
            raise ZmqError(ErrorCode.EFSM, "no request to reply to")
        envelope, self.envelope = self.envelope, None
        self.inner.send([*envelope, *frames], timeout_ms)


class ReqAnnouncingDealer(FaultySocket):
    """A REQ written on a DEALER: right envelopes, wrong socket type on the wire.

    Its peers see a DEALER, so a bound DEALER or REQ accepts it: an invalid
    pairing that is not rejected.
    """

    built_on = "DEALER"

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.waiting = False

    def send(self, frames, timeout_ms):
        if self.waiting:
            raise ZmqError(ErrorCode.EFSM, "a reply is pending")
        self.inner.send([b"", *frames], timeout_ms)
        self.waiting = True

    def recv(self, timeout_ms):
        if not self.waiting:
            raise ZmqError(ErrorCode.EFSM, "no request sent")
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            frames = self.inner.recv(max(0, int((deadline - time.monotonic()) * 1000)))
            if frames[0] == b"":
                self.waiting = False
                return frames[1:]


class RepPassingUndelimitedRequests(RepRestoringOneHop):
    """A REP on a ROUTER that hands a request without a delimiter to the application.

    Its envelope handling is otherwise right; what it gets wrong is the
    malformed request, which it should drop.
    """

    def recv(self, timeout_ms):
        if self.envelope is not None:
            raise ZmqError(ErrorCode.EFSM, "a reply is owed")
        frames = self.inner.recv(timeout_ms)
        delimiter = frames.index(b"", 1) if b"" in frames[1:] else 0
        self.envelope = [*frames[: delimiter + 1]] if delimiter else [frames[0], b""]
        return frames[delimiter + 1 :]


class ReqPassingUndelimitedReplies(ReqAnnouncingDealer):
    """A REQ on a DEALER that hands a reply without a delimiter to the application."""

    def recv(self, timeout_ms):
        if not self.waiting:
            raise ZmqError(ErrorCode.EFSM, "no request sent")
        frames = self.inner.recv(timeout_ms)
        self.waiting = False
        return frames[1:] if frames[0] == b"" else frames


@dataclass(frozen=True)
class Fault:
    name: str
    socket_class: type[FaultySocket]
    caught_by: tuple[str, ...]
    """The catalogue families expected to catch it (the fast check runs only these)."""
    types: tuple[str, ...] = SOCKET_TYPES

    @property
    def description(self) -> str:
        return (self.socket_class.__doc__ or "").strip().splitlines()[0]


FAULTS = {
    fault.name: fault
    for fault in (
        Fault("drop_trailing_empty_frame", DropTrailingEmptyFrame, ("delivery",)),
        Fault("drop_empty_frames", DropEmptyFrames, ("delivery",)),
        Fault("swap_first_two_frames", SwapFirstTwoFrames, ("delivery",)),
        Fault("rotate_long_messages", RotateLongMessages, ("delivery",)),
        Fault("truncate_large_frames", TruncateLargeFrames, ("delivery",)),
        Fault("split_long_messages", SplitLongMessages, ("delivery", "atomicity")),
        Fault("skip_lone_empty_frame", SkipLoneEmptyFrame, ("empty-message",)),
        Fault("text_decoded_frames", TextDecodedFrames, ("delivery",)),
        Fault(
            "routing_id_sometimes_missing",
            RoutingIdSometimesMissing,
            ("fifo", "proxy-chain"),
            ("ROUTER",),
        ),
        Fault("rep_restoring_one_hop", RepRestoringOneHop, ("envelope", "proxy-chain"), ("REP",)),
        Fault("req_announcing_dealer", ReqAnnouncingDealer, ("rejection",), ("REQ",)),
        Fault(
            "rep_passing_undelimited_requests",
            RepPassingUndelimitedRequests,
            ("malformed-request",),
            ("REP",),
        ),
        Fault(
            "req_passing_undelimited_replies",
            ReqPassingUndelimitedReplies,
            ("malformed-reply",),
            ("REQ",),
        ),
    )
}


class FaultyBinding:
    def __init__(self, inner: Binding, fault: Fault) -> None:
        self._inner = inner
        self._fault = fault
        self.name = f"{inner.name} with fault {fault.name}"
        self.version = inner.version
        self.capabilities = inner.capabilities

    def socket(self, type: str) -> Socket:
        if type not in self._fault.types:
            return self._inner.socket(type)
        cls = self._fault.socket_class
        return cls(self._inner.socket(cls.built_on or type), type)

    def close(self) -> None:
        self._inner.close()


def correct() -> Binding:
    """The control: the built-in binding, unchanged, which must pass."""
    return PyzmqBinding()


def __getattr__(name: str) -> Callable[[], Binding]:
    """``tests.faults:<fault name>`` is a factory for ``--binding``."""
    if name not in FAULTS:
        raise AttributeError(name)
    return lambda: FaultyBinding(PyzmqBinding(), FAULTS[name])
