"""Faults of socket behaviour: identities, the REQ/REP state machine, queues, distribution.

Each is a bug a binding could ship: an option accepted and ignored, a
refusal reported as success, a queue that blocks where it should drop, a
load balancer that does not balance.  Most wrap one correct libzmq socket;
the REQ and REP faults emulate the type on a DEALER or ROUTER, and the
distribution faults emulate a DEALER on one libzmq DEALER per connection,
so that the fault can choose the peer.
"""

from __future__ import annotations

import time

import zmq
from zmq.utils.monitor import recv_monitor_message

from conformance.binding import ErrorCode, OptionValue, ZmqError
from conformance.bindings.pyzmq import PyzmqSocket
from tests.faults.harness import Fault, FaultySocket, RepOnRouter


def _remaining_ms(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000))


class IgnoresOption(FaultySocket):
    """Accepts one option and does nothing with it (subclasses name the option)."""

    ignored: str = ""

    def set(self, option: str, value: OptionValue) -> None:
        if option != self.ignored:
            super().set(option, value)


# -- identities ---------------------------------------------------------------------


class RoutingIdIgnored(IgnoresOption):
    """ROUTING_ID is accepted and never announced: the ROUTER sees an automatic id."""

    ignored = "ROUTING_ID"


class SameRoutingIdForAll(FaultySocket):
    """Every socket announces the same routing id (made from the host name) unless told one."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("ROUTING_ID", b"host")


class LongRoutingIdTruncated(FaultySocket):
    """A ROUTING_ID over 255 bytes is cut to 255 instead of refused."""

    def set(self, option, value):
        if option == "ROUTING_ID" and isinstance(value, bytes) and len(value) > 255:
            value = value[:255]
        super().set(option, value)


class HandoverIgnored(IgnoresOption):
    """ROUTER_HANDOVER is accepted and ignored: a newcomer with a used id is ignored."""

    ignored = "ROUTER_HANDOVER"


class DuplicateIdTakesOver(FaultySocket):
    """A ROUTER always hands an id over to the newcomer, even without ROUTER_HANDOVER."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("ROUTER_HANDOVER", True)

    def set(self, option, value):
        if option != "ROUTER_HANDOVER":
            super().set(option, value)


class ProbeRouterIgnored(IgnoresOption):
    """PROBE_ROUTER is accepted and ignored: no empty message announces the connection."""

    ignored = "PROBE_ROUTER"


class RouterRepliesToLastSender(FaultySocket):
    """A ROUTER that sends every message to the peer it last received from.

    The routing frame is consumed but not looked up: a cached 'current peer',
    as a REP keeps, stands in for the routing table.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.last_sender: bytes | None = None

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        self.last_sender = frames[0]
        return frames

    def send(self, frames, timeout_ms):
        if self.last_sender is not None and len(frames) > 1:
            frames = [self.last_sender, *frames[1:]]
        super().send(frames, timeout_ms)


class RepReusingFirstEnvelope(RepOnRouter):
    """A REP that stores the first request's envelope and sends every reply back along it."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.first: list[bytes] | None = None

    def keep(self, envelope):
        if self.first is None:
            self.first = envelope
        return self.first


# -- the REQ/REP state machine and its errors -----------------------------------------


class ReqSilentlyRelaxed(FaultySocket):
    """A REQ that lets a second request go out before the reply, as if REQ_RELAXED were set."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("REQ_RELAXED", True)

    def set(self, option, value):
        if option != "REQ_RELAXED":
            super().set(option, value)


class ReqRelaxedIgnored(IgnoresOption):
    """REQ_RELAXED is accepted and ignored: a second request is still refused with EFSM."""

    ignored = "REQ_RELAXED"


class ReqCorrelateIgnored(IgnoresOption):
    """REQ_CORRELATE is accepted and ignored: a late reply to an old request gets through."""

    ignored = "REQ_CORRELATE"


class RepSendFirstSwallowed(FaultySocket):
    """A REP's reply sent before any request is silently dropped instead of refused."""

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EFSM:
                raise


class RepForgettingAnUnansweredRequest(RepOnRouter):
    """A REP that, asked to receive while it owes a reply, drops it and serves the next request."""

    def recv(self, timeout_ms):
        self.envelope = None
        return super().recv(timeout_ms)


class MandatoryFailureReportedAsSuccess(FaultySocket):
    """A ROUTER_MANDATORY ROUTER that reports success for a message to an unknown id."""

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EHOSTUNREACH:
                raise


class UnroutableToLastPeer(FaultySocket):
    """A ROUTER without ROUTER_MANDATORY sends a message for an unknown id to its newest peer."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.mandatory = False
        self.known: list[bytes] = []

    def set(self, option, value):
        if option == "ROUTER_MANDATORY":
            self.mandatory = bool(value)
        super().set(option, value)

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        if frames[0] not in self.known:
            self.known.append(frames[0])
        return frames

    def send(self, frames, timeout_ms):
        if not self.mandatory and self.known and frames[0] not in self.known:
            frames = [self.known[-1], *frames[1:]]
        super().send(frames, timeout_ms)


class WouldBlockReportedAsSuccess(FaultySocket):
    """A non-blocking send that could not queue its message reports success (and drops it)."""

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN or timeout_ms > 0:
                raise


# -- queues and high-water marks -------------------------------------------------------


class DealerDroppingAtHwm(FaultySocket):
    """A DEALER at its high-water mark drops a message instead of refusing it, as a ROUTER does."""

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN:
                raise


class MandatoryFullQueueReportedAsSuccess(FaultySocket):
    """A ROUTER_MANDATORY ROUTER reports success for a message its full queue cannot take."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.mandatory = False

    def set(self, option, value):
        if option == "ROUTER_MANDATORY":
            self.mandatory = bool(value)
        super().set(option, value)

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EAGAIN or not self.mandatory:
                raise


class RouterBlockingAtHwm(FaultySocket):
    """A ROUTER that waits for room in a full queue (then fails) instead of dropping.

    Underneath, ROUTER_MANDATORY is always on; what the application asked
    for only decides whether an unknown id is an error or a silent drop.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("ROUTER_MANDATORY", True)
        self.mandatory = False

    def set(self, option, value):
        if option == "ROUTER_MANDATORY":
            self.mandatory = bool(value)
        else:
            super().set(option, value)

    def send(self, frames, timeout_ms):
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code != ErrorCode.EHOSTUNREACH or self.mandatory:
                raise


class RepBlockingAtHwm(RepOnRouter):
    """A REP that waits for room in its client's full queue (then fails) instead of dropping."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("ROUTER_MANDATORY", True)

    def send(self, frames, timeout_ms):
        envelope = self.envelope
        try:
            super().send(frames, timeout_ms)
        except ZmqError as exc:
            if exc.code == ErrorCode.EAGAIN:
                self.envelope = envelope  # the reply is still owed
            raise


class ImmediateIgnored(IgnoresOption):
    """IMMEDIATE is accepted and ignored: messages queue to connections not yet made."""

    ignored = "IMMEDIATE"


class HwmFixedAtConnect(FaultySocket):
    """SNDHWM is read when a connection is made: set later, it changes nothing for it."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.connected = False

    def set(self, option, value):
        if not (option == "SNDHWM" and self.connected):
            super().set(option, value)

    def bind(self, endpoint):
        self.connected = True
        return super().bind(endpoint)

    def connect(self, endpoint):
        self.connected = True
        super().connect(endpoint)


# -- distribution and order ----------------------------------------------------------


class OnlyFirstConnectHonoured(FaultySocket):
    """Every connect() after the first returns success and does nothing."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.connected = False

    def connect(self, endpoint):
        if not self.connected:
            self.connected = True
            super().connect(endpoint)


class DealerOnePipePerConnection(FaultySocket):
    """A DEALER emulated on one libzmq DEALER per connect(), so the fault can choose the peer.

    Options are replayed on each new one; binds stay on the first.  It
    receives from all of them; subclasses choose where a message goes.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.pipes: list[PyzmqSocket] = []
        self.options: list[tuple[str, OptionValue]] = []
        self.sent = 0

    def set(self, option, value):
        self.options.append((option, value))
        for sock in (self.inner, *self.pipes):
            sock.set(option, value)

    def connect(self, endpoint):
        sock = PyzmqSocket(self.inner._sock.context.socket(zmq.DEALER), "DEALER")
        sock._sock.setsockopt(zmq.LINGER, 0)
        for option, value in self.options:
            sock.set(option, value)
        sock.connect(endpoint)
        self.pipes.append(sock)

    def choose(self) -> PyzmqSocket:
        raise NotImplementedError

    def send(self, frames, timeout_ms):
        pipe = self.choose() if self.pipes else self.inner
        pipe.send(frames, timeout_ms)
        self.sent += 1

    def recv(self, timeout_ms):
        poller = zmq.Poller()
        socks = {sock._sock: sock for sock in (self.inner, *self.pipes)}
        for raw in socks:
            poller.register(raw, zmq.POLLIN)
        ready = poller.poll(timeout_ms)
        if not ready:
            raise ZmqError(ErrorCode.EAGAIN, "nothing to receive")
        return socks[ready[0][0]].recv(0)

    def close(self):
        for sock in self.pipes:
            sock.close()
        super().close()


class DealerAlwaysSamePeer(DealerOnePipePerConnection):
    """A DEALER that sends every message to the peer it connected to first."""

    def choose(self):
        return self.pipes[0]


class DealerWaitingForItsTurn(DealerOnePipePerConnection):
    """A DEALER with a strict rotation: it waits for a full peer instead of skipping it."""

    def choose(self):
        return self.pipes[self.sent % len(self.pipes)]


class DealerKeepingDepartedPeers(FaultySocket):
    """A bound DEALER that keeps a peer that closed in its rotation: every Nth message is lost.

    A libzmq DEALER underneath; its monitor tells the fault how many peers
    came and went, and once one has gone, the turn that would have been the
    departed peer's drops the message, as a rotation that never leaves a
    peer out would.  (tcp and ipc only: libzmq reports no handshake on inproc.)
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.monitor = None
        self.joined = self.departed = self.sent = 0

    def bind(self, endpoint):
        if self.monitor is None:
            events = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
            self.monitor = self.inner._sock.get_monitor_socket(events)
        return super().bind(endpoint)

    def send(self, frames, timeout_ms):
        while self.monitor is not None and self.monitor.poll(0):
            event = recv_monitor_message(self.monitor)["event"]
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.joined += 1
            else:
                self.departed += 1
        self.sent += 1
        if self.departed and self.sent % self.joined == 0:
            return  # the departed peer's turn
        super().send(frames, timeout_ms)

    def close(self):
        if self.monitor is not None:
            self.inner._sock.disable_monitor()
            self.monitor.close(linger=0)
        super().close()


class NewestFirst(FaultySocket):
    """Messages waiting together are handed over newest first (a stack, not a queue)."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.waiting: list = []

    def recv(self, timeout_ms):
        if not self.waiting:
            self.waiting.append(super().recv(timeout_ms))
            while True:
                try:
                    self.waiting.append(super().recv(0))
                except ZmqError:
                    break
        return self.waiting.pop()


FAULTS = (
    Fault(
        "routing_id_ignored",
        RoutingIdIgnored,
        ("explicit-routing-id", "invalid-routing-id"),
        ("REQ", "DEALER", "ROUTER"),
    ),
    Fault("same_routing_id_for_all", SameRoutingIdForAll, ("auto-routing-id",), ("REQ", "DEALER")),
    Fault("long_routing_id_truncated", LongRoutingIdTruncated, ("invalid-routing-id",)),
    Fault("handover_ignored", HandoverIgnored, ("router-handover",), ("ROUTER",)),
    Fault("duplicate_id_takes_over", DuplicateIdTakesOver, ("duplicate-routing-id",), ("ROUTER",)),
    Fault(
        "probe_router_ignored",
        ProbeRouterIgnored,
        ("probe-router",),
        ("REQ", "DEALER", "ROUTER"),
    ),
    Fault(
        "router_replies_to_last_sender",
        RouterRepliesToLastSender,
        ("reply-routing", "auto-routing-id"),
        ("ROUTER",),
    ),
    Fault("rep_reusing_first_envelope", RepReusingFirstEnvelope, ("reply-routing",), ("REP",)),
    Fault("req_silently_relaxed", ReqSilentlyRelaxed, ("req-efsm",), ("REQ",)),
    Fault("req_relaxed_ignored", ReqRelaxedIgnored, ("req-relaxed",), ("REQ",)),
    Fault("req_correlate_ignored", ReqCorrelateIgnored, ("req-correlate",), ("REQ",)),
    Fault("rep_send_first_swallowed", RepSendFirstSwallowed, ("rep-efsm",), ("REP",)),
    Fault(
        "rep_forgetting_an_unanswered_request",
        RepForgettingAnUnansweredRequest,
        ("rep-efsm",),
        ("REP",),
    ),
    Fault(
        "mandatory_failure_reported_as_success",
        MandatoryFailureReportedAsSuccess,
        ("router-mandatory",),
        ("ROUTER",),
    ),
    Fault(
        "unroutable_to_last_peer", UnroutableToLastPeer, ("router-unroutable-drop",), ("ROUTER",)
    ),
    Fault(
        "would_block_reported_as_success",
        WouldBlockReportedAsSuccess,
        ("no-peer-eagain",),
        ("REQ", "DEALER"),
    ),
    Fault("dealer_dropping_at_hwm", DealerDroppingAtHwm, ("dealer-hwm",), ("DEALER",)),
    Fault(
        "mandatory_full_queue_reported_as_success",
        MandatoryFullQueueReportedAsSuccess,
        ("router-mandatory-hwm",),
        ("ROUTER",),
    ),
    Fault("router_blocking_at_hwm", RouterBlockingAtHwm, ("router-hwm-drop",), ("ROUTER",)),
    Fault("rep_blocking_at_hwm", RepBlockingAtHwm, ("rep-never-blocks",), ("REP",)),
    Fault("immediate_ignored", ImmediateIgnored, ("immediate",), ("REQ", "DEALER")),
    Fault("hwm_fixed_at_connect", HwmFixedAtConnect, ("hwm-after-connect",), ("DEALER",)),
    Fault(
        "only_first_connect_honoured",
        OnlyFirstConnectHonoured,
        ("round-robin",),
        ("REQ", "DEALER", "ROUTER"),
    ),
    Fault(
        "dealer_always_same_peer",
        DealerAlwaysSamePeer,
        ("round-robin", "dealer-skips-full-pipe"),
        ("DEALER",),
    ),
    Fault(
        "dealer_keeping_departed_peers",
        DealerKeepingDepartedPeers,
        ("round-robin-departure",),
        ("DEALER",),
    ),
    Fault(
        "dealer_waiting_for_its_turn",
        DealerWaitingForItsTurn,
        ("dealer-skips-full-pipe",),
        ("DEALER",),
    ),
    Fault("newest_first", NewestFirst, ("fair-queue",), ("DEALER", "ROUTER")),
)
