"""Bindings that differ from libzmq where the catalogue allows it: the other side of the faults.

A MUST family is proven by a fault it fails (:data:`tests.faults.FAULTS`).
The other levels cannot be proven that way, because libzmq is not their
yardstick:

- a SHOULD family whose recommendation libzmq does not follow reports
  libzmq NON-STRICT; a test that reported everything NON-STRICT would look
  the same.  Its variant follows the recommendation, and must PASS.
- an INFORMATIONAL family reports what it saw; a test that always printed
  libzmq's behaviour would look the same.  Its variant behaves the other
  way the catalogue names, and the family must say so.

Each variant is a :class:`~tests.faults.harness.FaultySocket` (it wraps a
correct socket and changes one thing) run through ``--zmq-binding
tests.faults:<name>`` like a fault; ``tests/test_faults.py`` runs each
against its family, and libzmq as the control.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

from conformance.binding import SOCKET_TYPES, ErrorCode, ZmqError
from conformance.catalogue.vocabulary import Pairing
from conformance.results import Verdict
from tests.faults.harness import FaultySocket


class RefusesZeroLedRoutingIds(FaultySocket):
    """ROUTING_ID refuses an id led by 0x00 with EINVAL, as zmq_setsockopt(3) reserves them."""

    def set(self, option, value):
        if option == "ROUTING_ID" and isinstance(value, bytes) and value[:1] == b"\x00":
            raise ZmqError(ErrorCode.EINVAL, "routing ids led by 0x00 are reserved")
        super().set(option, value)


class ChecksInprocPeerTypes(FaultySocket):
    """Over inproc, an invalid pairing is never connected, as over tcp and ipc.

    The binding keeps the type bound at each inproc endpoint; a socket that
    may not talk to it connects to an endpoint nobody binds instead, so its
    messages wait for a peer that never comes, as after a refused handshake.
    """

    _bound_types: ClassVar[dict[str, str]] = {}

    def bind(self, endpoint):
        bound = super().bind(endpoint)
        if bound.startswith("inproc://"):
            self._bound_types[bound] = self.type
        return bound

    def connect(self, endpoint):
        peer = self._bound_types.get(endpoint)
        if peer is not None and not Pairing(self.type, peer).valid:
            endpoint += "-refused"
        super().connect(endpoint)


class RouterWithRandomIds(FaultySocket):
    """A ROUTER that names its peers with 16 random bytes (as UUIDs), not 0x00 and a counter."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.outer_ids: dict[bytes, bytes] = {}
        self.inner_ids: dict[bytes, bytes] = {}

    def recv(self, timeout_ms):
        rid, *rest = super().recv(timeout_ms)
        if len(rid) == 5 and rid[0] == 0 and rid not in self.outer_ids:
            outer = os.urandom(16)
            self.outer_ids[rid], self.inner_ids[outer] = outer, rid
        return [self.outer_ids.get(rid, rid), *rest]

    def send(self, frames, timeout_ms):
        rid, *rest = frames
        super().send([self.inner_ids.get(rid, rid), *rest], timeout_ms)


class RefusesInvalidPairingsInConnect(FaultySocket):
    """``connect`` fails for a peer type that may not talk to the bound one (zmq.rs, zmq4).

    Those implementations finish the handshake inside ``connect``, so the
    refusal RFC 23 asks for comes back as its error.  The binding keeps the
    type bound at each endpoint to know the outcome in advance.
    """

    _bound_types: ClassVar[dict[str, str]] = {}

    def bind(self, endpoint):
        bound = super().bind(endpoint)
        self._bound_types[bound] = self.type
        return bound

    def connect(self, endpoint):
        peer = self._bound_types.get(endpoint)
        if peer is not None and not Pairing(self.type, peer).valid:
            raise ZmqError(ErrorCode.EOTHER, f"{self.type} may not talk to {peer}")
        super().connect(endpoint)


class RefusesSendsWithoutPeerAtOnce(FaultySocket):
    """A REQ or DEALER refuses a send at once (EAGAIN) until it has a peer, whatever the timeout.

    RFC 28 allows it ("SHALL block on sending, or return a suitable error,
    when it has no available peers"); zmq.rs and zmq4 do it.  A bound socket
    whose peer has just connected is refused until the handshake is done,
    so a check that expects its first send to wait would fail it.  Until
    the first message goes out or comes in, every send here is tried
    without waiting; after it, sends wait as libzmq's do.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.had_peer = False

    def send(self, frames, timeout_ms):
        super().send(frames, timeout_ms if self.had_peer else 0)
        self.had_peer = True

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        self.had_peer = True
        return frames


class RelaxedReqDroppingLateReplies(FaultySocket):
    """A REQ_RELAXED REQ that always correlates, so a late reply is dropped, never returned."""

    def set(self, option, value):
        super().set(option, value)
        if option == "REQ_RELAXED" and value:
            super().set("REQ_CORRELATE", True)


@dataclass(frozen=True)
class Variant:
    """A binding its family must tell from libzmq: by its verdict, or by what it observed."""

    name: str
    socket_class: type[FaultySocket]
    family: str
    verdict: Verdict
    """What every case of ``family`` must report for it."""
    observed: str = ""
    """For an INFORMATIONAL family: words its observation must contain (libzmq's does not)."""
    types: tuple[str, ...] = SOCKET_TYPES


@dataclass(frozen=True)
class AllowedDifference:
    """A binding that differs from libzmq where a MUST family allows it: the family must pass it.

    libzmq is only one of the behaviours RFC 28 and RFC 23 allow, and the
    independent stacks choose others.  A check that assumed libzmq's choice
    would fail them for the suite's own reasons.
    """

    name: str
    socket_class: type[FaultySocket]
    families: tuple[str, ...]
    types: tuple[str, ...] = SOCKET_TYPES


ALLOWED_DIFFERENCES = (
    AllowedDifference(
        "refuses_invalid_pairings_in_connect", RefusesInvalidPairingsInConnect, ("rejection",)
    ),
    AllowedDifference(
        "refuses_sends_without_peer_at_once",
        RefusesSendsWithoutPeerAtOnce,
        ("delivery", "envelope", "malformed-request", "no-peer-eagain", "dealer-hwm", "rejection"),
        types=("REQ", "DEALER"),
    ),
)


VARIANTS = (
    Variant("refuses_zero_led_ids", RefusesZeroLedRoutingIds, "zero-led-routing-id", Verdict.PASS),
    Variant("checks_inproc_peer_types", ChecksInprocPeerTypes, "rejection-inproc", Verdict.PASS),
    Variant(
        "router_with_random_ids",
        RouterWithRandomIds,
        "auto-routing-id-format",
        Verdict.INFORMATIONAL,
        observed="automatic routing ids of 16 bytes",
        types=("ROUTER",),
    ),
    Variant(
        "relaxed_req_dropping_late_replies",
        RelaxedReqDroppingLateReplies,
        "req-stale-reply",
        Verdict.INFORMATIONAL,
        observed="is dropped",
        types=("REQ",),
    ),
)
