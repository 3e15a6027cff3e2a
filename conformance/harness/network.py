"""Sockets wired into pairs for one test: who provides each end, and cleanup.

A :class:`Peering` says which implementation provides the connecting and the
binding end: both the implementation under test (``self``), or one of them
libzmq through pyzmq (``iut-connects``, ``iut-binds``).  A :class:`Network`
builds pairs for a case under that peering and closes every socket it made
when the example or the test ends, so nothing leaks into the next one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import SkipTest

from hypothesis.errors import UnsatisfiedAssumption

from conformance.binding import Binding, ErrorCode, OptionValue, Socket, Unsupported, ZmqError
from conformance.catalogue.vocabulary import (
    IUT,
    IUT_BINDS,
    IUT_CONNECTS,
    LIBZMQ,
    SELF,
    Peering,
    peerings,
)
from conformance.harness.endpoints import Endpoints
from conformance.harness.patience import ABSENCE_MS, TIMEOUT_MS, Patience
from conformance.harness.trace import Trace, TracedSocket
from conformance.results.steps import REFERENCE

__all__ = [
    "ABSENCE_MS",
    "IUT",
    "IUT_BINDS",
    "IUT_CONNECTS",
    "LIBZMQ",
    "SELF",
    "TIMEOUT_MS",
    "Network",
    "Pair",
    "Peering",
    "peerings",
]

Options = dict[str, OptionValue]


@dataclass
class Pair:
    """Two connected sockets: ``connector`` connected to ``binder`` at ``endpoint``."""

    connector: Socket
    binder: Socket
    endpoint: str

    def __getitem__(self, type: str) -> Socket:
        """The socket of ``type``; for same-type pairs use connector/binder."""
        matches = [s for s in (self.connector, self.binder) if s.type == type]
        if len(matches) != 1:
            raise KeyError(f"{type} is not exactly one end of this pair")
        return matches[0]


class Network:
    """Makes sockets from the two bindings of a test and cleans up after them."""

    def __init__(
        self, iut: Binding, libzmq: Binding, peering: Peering, endpoints: Endpoints
    ) -> None:
        self.iut = iut
        self.libzmq = libzmq
        self.peering = peering
        self.endpoints = endpoints
        self._open: list[Socket] = []
        self.patience = Patience()
        self.trace = Trace()
        self.examples = 0
        self.observations: list[str] = []
        self._depth = 0

    def __repr__(self) -> str:
        return f"<network {self.peering}: {self.iut.name} / {self.libzmq.name}>"

    def observe(self, observation: str) -> None:
        """Record what an INFORMATIONAL case saw (a routing-id format, say).

        It becomes the case's reason in the results; the same observation
        made in several examples is recorded once.
        """
        if observation not in self.observations:
            self.observations.append(observation)

    def binding(self, side: str) -> Binding:
        return self.iut if side == IUT else self.libzmq

    def reference_started(self, pattern: str, **endpoints: str) -> None:
        """Record that a reference ``pattern`` serves at ``endpoints``, for replay to start one.

        Call it inside the example's :meth:`sockets` block, before the first
        socket connects to the pattern.
        """
        self.trace.record(REFERENCE, {"op": "start", "pattern": pattern, **endpoints}, {"ok": True})

    def socket(self, side: str, type: str, options: Options | None = None) -> Socket:
        try:
            made = self.binding(side).socket(type)
        except ZmqError as exc:
            if exc.code == ErrorCode.ENOTSUP:
                raise Unsupported(exc.message) from None
            raise
        sock = TracedSocket(
            made,
            side,
            self.trace,
            self.patience,
            self.trace.new_handle(),
        )
        self._open.append(sock)
        for option, value in (options or {}).items():
            sock.set(option, value)
        return sock

    @contextlib.contextmanager
    def pair(
        self,
        connects: str,
        binds: str,
        transport: str,
        *,
        connector_options: Options | None = None,
        binder_options: Options | None = None,
    ) -> Iterator[Pair]:
        """A fresh connected pair for one example, closed when the block ends.

        Options are set before ``bind`` and ``connect``.
        """
        with self.sockets():
            binder = self.socket(self.peering.binder, binds, binder_options)
            endpoint = binder.bind(self.endpoints.new(transport))
            connector = self.socket(self.peering.connector, connects, connector_options)
            connector.connect(endpoint)
            yield Pair(connector, binder, endpoint)

    @contextlib.contextmanager
    def sockets(self) -> Iterator[None]:
        """Every socket opened inside the block is closed when it ends.

        The outermost block is one example: it restarts the trace.
        """
        if self._depth == 0:
            self.examples += 1
            self.trace.restart()
        self._depth += 1
        mark = len(self._open)
        try:
            yield
        except Exception as exc:  # not Hypothesis's own StopTest, nor a BindingBroken
            if self._depth == 1 and not isinstance(exc, (SkipTest, UnsatisfiedAssumption)):
                self.patience.example_failed()
            raise
        finally:
            self._depth -= 1
            self.close(mark)

    def close(self, mark: int = 0) -> None:
        """Close every socket opened since ``mark`` (all of them by default)."""
        while len(self._open) > mark:
            sock = self._open.pop()
            with contextlib.suppress(ZmqError):
                sock.close()
