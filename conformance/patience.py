"""How long to wait for what must happen, and when to stop paying for it.

A correct implementation delivers on loopback in milliseconds, so the
suite's generous timeouts cost nothing while it passes.  A faulty one that
never delivers costs a full timeout per attempt, and Hypothesis makes many
attempts while it shrinks: a lost message could turn one failing test into
minutes.  So each test gets a budget for waits of :data:`TIMEOUT_MS` that ran out: once a test
has spent :attr:`Patience.BUDGET_S` on them it is failing anyway, and its
later waits are cut to :attr:`Patience.IMPATIENT_MS`.  A passing test never
spends any of it, so no passing test is ever made impatient.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from conformance.binding import ErrorCode, Frames, OptionValue, Socket, ZmqError

TIMEOUT_MS = 2000
"""How long a test waits for something that must happen."""

ABSENCE_MS = 300
"""How long a test waits to conclude that something did not happen.

Only where nothing positive can be observed instead (a connection that
libzmq drops, for instance): every such wait is a cost of the whole run.
"""


class Patience:
    BUDGET_S = 4.0
    IMPATIENT_MS = 100

    def __init__(self) -> None:
        self.spent_s = 0.0

    def timeout_ms(self, timeout_ms: int) -> int:
        if self.spent_s < self.BUDGET_S:
            return timeout_ms
        return min(timeout_ms, self.IMPATIENT_MS)

    def charge(self, seconds: float) -> None:
        self.spent_s += seconds


class PatientSocket:
    """A socket whose waits are charged to, and cut by, its test's :class:`Patience`."""

    def __init__(self, inner: Socket, patience: Patience) -> None:
        self.inner = inner
        self.patience = patience
        self.type = inner.type

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
        self._wait(self.inner.send, frames, timeout_ms=timeout_ms)

    def recv(self, timeout_ms: int) -> Frames:
        return self._wait(self.inner.recv, timeout_ms=timeout_ms)

    def close(self) -> None:
        self.inner.close()

    def _wait(self, operation, *args, timeout_ms: int):
        timeout_ms = self.patience.timeout_ms(timeout_ms)
        start = time.monotonic()
        try:
            return operation(*args, timeout_ms)
        except ZmqError as exc:
            if exc.code == ErrorCode.EAGAIN and timeout_ms >= TIMEOUT_MS:
                self.patience.charge(time.monotonic() - start)
            raise

    def __repr__(self) -> str:
        return f"<{self.type} socket>"
