"""The harness for faulty bindings: a correct socket with one thing wrong.

A :class:`FaultySocket` passes everything through to a correct libzmq
socket; a subclass overrides the one operation it gets wrong.  A
:class:`Fault` names it, says which catalogue families must catch it, and
which socket types it applies to; a :class:`FaultyBinding` gives faulty
sockets of those types and correct ones of the others.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from conformance.binding import (
    SOCKET_TYPES,
    Binding,
    ErrorCode,
    Frames,
    OptionValue,
    Socket,
    ZmqError,
)


class FaultySocket:
    """Passes everything through to a correct socket; subclasses get one thing wrong."""

    built_on: str | None = None
    """The libzmq socket type underneath, when the fault emulates one type on another."""

    def __init__(self, inner: Socket, type: str) -> None:
        self.inner = inner
        self.type = type

    @classmethod
    def create(cls, binding: Binding, type: str) -> Socket:
        """A socket of ``type`` with this fault, on a correct one of binding's."""
        return cls(binding.socket(cls.built_on or type), type)

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

    def poll(self, others: Sequence[Socket], timeout_ms: int) -> int | None:
        """The correct sockets' poll: a message there may be one ``recv`` gets wrong."""
        inner = [o.inner if isinstance(o, FaultySocket) else o for o in others]
        return self.inner.poll(inner, timeout_ms)

    def close(self) -> None:
        self.inner.close()

    def close_lingering(self, linger_ms: int) -> None:
        self.inner.close_lingering(linger_ms)


class RepOnRouter(FaultySocket):
    """A REP written on a ROUTER: the strict recv/send alternation and the envelope.

    Correct as it stands (up to where it stores the envelope); the REP faults
    subclass it and get one thing wrong.
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
                self.envelope = self.keep(frames[: delimiter + 1])
                return frames[delimiter + 1 :]

    def keep(self, envelope: list[bytes]) -> list[bytes]:
        """The envelope the reply will go back along (a fault may get this wrong)."""
        return envelope

    def send(self, frames, timeout_ms):
        if self.envelope is None:
            raise ZmqError(ErrorCode.EFSM, "no request to reply to")
        envelope, self.envelope = self.envelope, None
        self.inner.send([*envelope, *frames], timeout_ms)


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


class SocketChange(Protocol):
    """What a :class:`FaultyBinding` applies: a fault, or a variant (``tests.faults.variants``)."""

    name: str
    socket_class: type[FaultySocket]
    types: tuple[str, ...]


class FaultyBinding:
    def __init__(self, inner: Binding, fault: SocketChange) -> None:
        self._inner = inner
        self._fault = fault
        self.name = f"{inner.name} with fault {fault.name}"
        self.version = inner.version
        self.capabilities = inner.capabilities

    def socket(self, type: str) -> Socket:
        if type not in self._fault.types:
            return self._inner.socket(type)
        return self._fault.socket_class.create(self._inner, type)

    def close(self) -> None:
        self._inner.close()
