"""Faulty bindings: a correct binding with one seeded, realistic bug.

A conformance suite is only as good as the bugs it catches.  Each
:class:`Fault` here is a bug a real binding could ship; the suite must fail
against every one of them and pass against the correct binding.  Run one by
hand with::

    pytest conformance --binding tests.faults:drop_empty_frames

Every name in :data:`FAULTS` (and ``correct``) is a factory for ``--binding``.
A fault transforms what one socket sends or what it receives, never both, so
that in a self-paired run it cannot cancel itself out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.binding import Binding, Frames, OptionValue, Socket
from conformance.bindings.pyzmq import PyzmqBinding

Transform = Callable[[list[bytes]], list[bytes]]


def _unchanged(frames: list[bytes]) -> list[bytes]:
    return frames


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    on_send: Transform = _unchanged
    on_recv: Transform = _unchanged


def _swap_first_two(frames: list[bytes]) -> list[bytes]:
    return [frames[1], frames[0], *frames[2:]] if len(frames) > 1 else frames


TRUNCATE_AT = 64 * 1024

FAULTS = {
    fault.name: fault
    for fault in (
        Fault(
            "drop_empty_frames",
            "empty frames are skipped when a message is sent",
            on_send=lambda frames: [f for f in frames if f] or [b"?"],
        ),
        Fault(
            "swap_frame_order",
            "the first two frames of a message are sent in the wrong order",
            on_send=_swap_first_two,
        ),
        Fault(
            "truncate_large_frames",
            f"frames over {TRUNCATE_AT} bytes are cut to {TRUNCATE_AT} on receive",
            on_recv=lambda frames: [f[:TRUNCATE_AT] for f in frames],
        ),
    )
}


class FaultySocket:
    def __init__(self, inner: Socket, fault: Fault) -> None:
        self._inner = inner
        self._fault = fault
        self.type = inner.type

    def set(self, option: str, value: OptionValue) -> None:
        self._inner.set(option, value)

    def bind(self, endpoint: str) -> str:
        return self._inner.bind(endpoint)

    def connect(self, endpoint: str) -> None:
        self._inner.connect(endpoint)

    def disconnect(self, endpoint: str) -> None:
        self._inner.disconnect(endpoint)

    def unbind(self, endpoint: str) -> None:
        self._inner.unbind(endpoint)

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        self._inner.send(self._fault.on_send(list(frames)), timeout_ms)

    def recv(self, timeout_ms: int) -> Frames:
        return self._fault.on_recv(self._inner.recv(timeout_ms))

    def close(self) -> None:
        self._inner.close()


class FaultyBinding:
    def __init__(self, inner: Binding, fault: Fault) -> None:
        self._inner = inner
        self._fault = fault
        self.name = f"{inner.name} with fault {fault.name}"
        self.version = inner.version
        self.capabilities = inner.capabilities

    def socket(self, type: str) -> FaultySocket:
        return FaultySocket(self._inner.socket(type), self._fault)

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
