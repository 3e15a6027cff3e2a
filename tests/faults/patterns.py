"""Faults that show only, or first, when the sockets work inside a broker's network.

A pair of sockets forgives a lot: one peer cannot tell that every socket of
a binding has the same routing id, a reply's envelope has only one address
when nothing proxied the request, and a worker that mixes up its replies
needs two clients to show it.  These are the bugs that the
pattern families (:mod:`conformance.catalogue.patterns`) exist for: clients and
workers of the implementation around the reference brokers.
"""

from __future__ import annotations

import contextlib
import os
import time

from conformance.binding import ErrorCode, ZmqError
from tests.faults.harness import Fault, FaultySocket

_PATTERNS = ("lb-broker", "peering", "async-server")


class ReqStripsReplyAddress(FaultySocket):
    """A REQ that strips a leading address from what it sends, taking it for a stale envelope.

    A worker's reply is ``[client, '', *reply]``: sent without the client's
    address, the broker cannot route it, and the client waits for ever.
    """

    def send(self, frames, timeout_ms):
        if len(frames) > 2 and frames[0] and frames[1] == b"":
            frames = frames[1:]
        super().send(frames, timeout_ms)


class SharedRoutingId(FaultySocket):
    """Every REQ and DEALER of the binding announces one routing id, made once per process.

    One peer cannot tell; a ROUTER with two of them connected keeps the first
    and ignores the second, so a broker never hears from its second client.
    """

    ROUTING_ID = b"binding-%d" % os.getpid()

    def __init__(self, inner, type):
        super().__init__(inner, type)
        inner.set("ROUTING_ID", self.ROUTING_ID)


class ReqDropsProxiedRequests(FaultySocket):
    """A REQ that takes a message with two addresses before an inner delimiter for garbage.

    Its check of what it receives allows at most one address in front of
    an empty frame: a worker behind two brokers, whose requests carry the
    sending broker's name and the client's address, never gets one.
    """

    def recv(self, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            frames = super().recv(max(0, int((deadline - time.monotonic()) * 1000)))
            if b"" not in frames or frames.index(b"") < 2:
                return frames


class DealerResendsOnTimeout(FaultySocket):
    """A DEALER that resends its last message once when a receive times out (a built-in retry).

    The first copy was not lost, only slow: the request is served twice, and
    its client gets two replies.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.last = None

    def send(self, frames, timeout_ms):
        super().send(frames, timeout_ms)
        self.last = list(frames)

    def recv(self, timeout_ms):
        try:
            return super().recv(timeout_ms)
        except ZmqError as exc:
            if exc.code == ErrorCode.EAGAIN and self.last is not None:
                last, self.last = self.last, None
                with contextlib.suppress(ZmqError):
                    self.inner.send(last, 0)
            raise


class DealerStaleFirstFrame(FaultySocket):
    """A DEALER that reuses the first frame of a message for the next one sent right after it.

    A header buffer kept between sends and not refilled: when two messages
    leave with no receive in between, the second goes out with the first's
    leading frame.  A worker answering two clients back to back sends both
    replies to the first client.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.header = None

    def send(self, frames, timeout_ms):
        frames = list(frames)
        if self.header is not None and len(frames) > 1:
            frames[0] = self.header
        super().send(frames, timeout_ms)
        self.header = frames[0]

    def recv(self, timeout_ms):
        self.header = None
        return super().recv(timeout_ms)


FAULTS = (
    Fault("req_strips_reply_address", ReqStripsReplyAddress, ("lb-broker", "peering"), ("REQ",)),
    Fault("shared_routing_id", SharedRoutingId, _PATTERNS, ("REQ", "DEALER")),
    Fault("req_drops_proxied_requests", ReqDropsProxiedRequests, ("peering",), ("REQ",)),
    Fault(
        "dealer_resends_on_timeout",
        DealerResendsOnTimeout,
        ("lb-broker", "async-server"),
        ("DEALER",),
    ),
    Fault("dealer_stale_first_frame", DealerStaleFirstFrame, ("async-server",), ("DEALER",)),
)
