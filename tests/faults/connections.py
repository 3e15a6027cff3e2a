"""Faults of a connection's life: before the peer binds, when it leaves, when it comes back.

Each is a bug a binding could ship: a client with no queue until it is
connected, a connection that is never made again once lost, a routing
table that never forgets a peer, or that keeps a departed peer's id from
anyone else.
"""

from __future__ import annotations

import time

from conformance.binding import ErrorCode, ZmqError
from tests.faults.harness import Fault, FaultySocket


class QueuesOnlyWhenConnected(FaultySocket):
    """A connecting REQ or DEALER with no queue until it is connected drops what is sent before.

    It reports success for the message it could not queue, as if it had
    gone out.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("IMMEDIATE", True)

    def set(self, option, value):
        if option != "IMMEDIATE":
            super().set(option, value)

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, 0)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN:
                raise


class NeverReconnects(FaultySocket):
    """A connecting socket whose lost connection is never made again (no reconnection timer)."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("RECONNECT_IVL", -1)

    def set(self, option, value):
        if option != "RECONNECT_IVL":
            super().set(option, value)


class RouterNeverForgetsAPeer(FaultySocket):
    """A ROUTER whose routing table keeps a departed peer: a send to it reports success.

    Its ROUTER_MANDATORY answers EHOSTUNREACH only for ids it never
    received from; a message to a peer that left is dropped in silence.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.known: set[bytes] = set()

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        self.known.add(frames[0])
        return frames

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EHOSTUNREACH or frames[0] not in self.known:
                raise


class RouterRetiresDepartedIds(FaultySocket):
    """A ROUTER that keeps a departed peer's id retired: a newcomer with that id is ignored.

    Once a send to an id is refused with EHOSTUNREACH, the id stays in the
    routing table as a tombstone: messages from a new peer using it are
    dropped, and sends to it are refused.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.retired: set[bytes] = set()

    def recv(self, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            frames = super().recv(max(0, int((deadline - time.monotonic()) * 1000)))
            if frames[0] not in self.retired:
                return frames

    def send(self, frames, timeout_ms):
        if frames[0] in self.retired:
            raise ZmqError(ErrorCode.EHOSTUNREACH, "no peer with that routing id")
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code == ErrorCode.EHOSTUNREACH:
                self.retired.add(frames[0])
            raise


class DiscardsAtClose(FaultySocket):
    """Every close is a zero-linger close: what is still queued is discarded, LINGER or not."""

    def close_lingering(self, linger_ms):
        self.inner.close()


class UnbindIgnored(FaultySocket):
    """unbind() reports success and does nothing: the socket stays bound."""

    def unbind(self, endpoint):
        pass


class MaxmsgsizeIgnored(FaultySocket):
    """MAXMSGSIZE is accepted and ignored: a message of any size is delivered."""

    def set(self, option, value):
        if option != "MAXMSGSIZE":
            super().set(option, value)


FAULTS = (
    Fault(
        "queues_only_when_connected",
        QueuesOnlyWhenConnected,
        ("connect-before-bind",),
        ("REQ", "DEALER"),
    ),
    Fault("never_reconnects", NeverReconnects, ("peer-restart",)),
    Fault("router_never_forgets_a_peer", RouterNeverForgetsAPeer, ("peer-departure",), ("ROUTER",)),
    Fault(
        "router_retires_departed_ids",
        RouterRetiresDepartedIds,
        ("routing-id-reuse",),
        ("ROUTER",),
    ),
    Fault("discards_at_close", DiscardsAtClose, ("linger-at-close",), ("REQ", "DEALER")),
    Fault("unbind_ignored", UnbindIgnored, ("unbind-rebind",)),
    Fault("maxmsgsize_ignored", MaxmsgsizeIgnored, ("maxmsgsize",)),
)
