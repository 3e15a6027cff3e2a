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

from conformance.binding import ErrorCode, OptionValue, ZmqError
from tests.faults.harness import Fault, FaultySocket


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
            frames = self.inner.recv(_remaining_ms(deadline))
            if b"" in frames[1:]:
                delimiter = frames.index(b"", 1)
                self.envelope = self.keep(frames[: delimiter + 1])
                return frames[delimiter + 1 :]

    def keep(self, envelope: list[bytes]) -> list[bytes]:
        return envelope

    def send(self, frames, timeout_ms):
        if self.envelope is None:
            raise ZmqError(ErrorCode.EFSM, "no request to reply to")
        envelope, self.envelope = self.envelope, None
        self.inner.send([*envelope, *frames], timeout_ms)


class RepReusingFirstEnvelope(RepOnRouter):
    """A REP that stores the first request's envelope and sends every reply back along it."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.first: list[bytes] | None = None

    def keep(self, envelope):
        if self.first is None:
            self.first = envelope
        return self.first


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
)
