"""Faults of message shape and envelope handling (the message families)."""

from __future__ import annotations

import random
import time

from conformance.binding import ErrorCode, ZmqError
from tests.faults.harness import Fault, FaultySocket, RepOnRouter

LONG = 50
"""A message of more frames than this is 'long' for the faults that need one."""


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


class FirstLongFrameLosesAByte(FaultySocket):
    """A frame of exactly 256 bytes, the first long frame, is sent without its last byte.

    The off-by-one of an encoder that tests ``size <= 256`` where ZMTP's
    short frames end at 255.
    """

    def send(self, frames, timeout_ms):
        super().send([f[:255] if len(f) == 256 else f for f in frames], timeout_ms)


class LargeFrameChunksReordered(FaultySocket):
    """A frame over 16 KiB arrives with its first two 4 KiB chunks swapped (a reassembly bug)."""

    CHUNK = 4096

    def recv(self, timeout_ms):
        c = self.CHUNK
        return [
            f[c : 2 * c] + f[:c] + f[2 * c :] if len(f) > 4 * c else f
            for f in super().recv(timeout_ms)
        ]


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


class RepRestoringOneHop(RepOnRouter):
    """A REP written on a ROUTER that keeps only the nearest hop of the envelope.

    The sender's routing id is kept (so replies still route), but any
    further addresses a proxy chain put in front of the delimiter are lost.
    """

    def keep(self, envelope):
        return [envelope[0], b""]


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
            if frames[0] == b"" and len(frames) > 1:  # a reply is a delimiter and a body
                self.waiting = False
                return frames[1:]


class ReqAnnouncingDealerAtRandom(ReqAnnouncingDealer):
    """A REQ that announces DEALER on the wire in about half of its sockets: a race.

    As one whose handshake reads the socket type while another thread is
    still setting it up, and loses that race about half of the time.  A
    check that tries its scenario once misses it in half of its runs.
    """

    @classmethod
    def create(cls, binding, type):
        if random.random() < 0.5:
            return binding.socket(type)
        return super().create(binding, type)


class ReqTakingAnyPeersReply(ReqAnnouncingDealer):
    """A REQ on a DEALER: the first delimited message from any peer is its reply."""


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


class StallsAfterItsCredit(FaultySocket):
    """After its 256th message a socket receives nothing more: a credit never given back.

    The bug class of flow control done by counting: the sender may write so
    many messages before the reader acknowledges, and an acknowledgement
    that is lost (or a counter that wraps) stops the pipe for good.
    """

    CREDIT = 256

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.received = 0

    def recv(self, timeout_ms):
        if self.received >= self.CREDIT:
            raise ZmqError(ErrorCode.EAGAIN, f"nothing within {timeout_ms} ms")
        frames = super().recv(timeout_ms)
        self.received += 1
        return frames


FAULTS = (
    Fault("drop_trailing_empty_frame", DropTrailingEmptyFrame, ("delivery",)),
    Fault("drop_empty_frames", DropEmptyFrames, ("delivery",)),
    Fault("swap_first_two_frames", SwapFirstTwoFrames, ("delivery",)),
    Fault("rotate_long_messages", RotateLongMessages, ("delivery",)),
    Fault("truncate_large_frames", TruncateLargeFrames, ("delivery",)),
    Fault("first_long_frame_loses_a_byte", FirstLongFrameLosesAByte, ("frame-sizes",)),
    Fault("stalls_after_its_credit", StallsAfterItsCredit, ("sustained-exchange",)),
    Fault("large_frame_chunks_reordered", LargeFrameChunksReordered, ("frame-sizes", "delivery")),
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
    Fault("req_announcing_dealer_at_random", ReqAnnouncingDealerAtRandom, ("rejection",), ("REQ",)),
    Fault(
        "rep_passing_undelimited_requests",
        RepPassingUndelimitedRequests,
        ("malformed-request",),
        ("REP",),
    ),
    Fault("req_taking_any_peers_reply", ReqTakingAnyPeersReply, ("req-reply-source",), ("REQ",)),
    Fault(
        "req_passing_undelimited_replies",
        ReqPassingUndelimitedReplies,
        ("malformed-reply",),
        ("REQ",),
    ),
)
