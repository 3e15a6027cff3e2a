"""Moving whole messages as lists of ``zmq.Frame``, cheaply, within size limits.

A broker forwards most frames without looking at them.  Receiving them as
``zmq.Frame`` (``copy=False``) and sending the same objects on means no bytes
object is made for a body the broker never reads, and each frame's "more"
flag comes with the frame instead of costing a ``getsockopt(RCVMORE)``;
measured on pyzmq 27, that halves the cost of a broker hop compared with
``recv_multipart``/``send_multipart``.  The frames go through the methods
of ``zmq.backend.Socket`` that ``zmq.Socket.send`` and ``recv`` end in:
pyzmq's Python layer on top only handles the DRAFT ``routing_id`` and
``group`` arguments, which nothing here uses, and skipping it saves another
15% of the broker's time (so these functions want plain ``zmq.Socket`` s,
not gevent's cooperative ones).

:class:`Limits` is the other job here: what a component accepts.  ZeroMQ
delivers a multipart message whole, so it is already in memory when the
limits are checked; checking still keeps an oversized or absurdly long message
from being forwarded, queued or logged in full.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import zmq
import zmq.backend

from reference.envelope import Frame, Frames

# Plain ints: combining pyzmq's enum flags on every frame costs more than the send.
NOBLOCK = int(zmq.NOBLOCK)
MORE_NOBLOCK = int(zmq.SNDMORE | zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)
_send = zmq.backend.Socket.send
_recv = zmq.backend.Socket.recv
_get = zmq.backend.Socket.get
_POLLIN = int(zmq.POLLIN)


@dataclass(frozen=True)
class Limits:
    """The largest message a component accepts: frames per message and total bytes."""

    max_frames: int = 2048
    max_bytes: int = 64 * 1024 * 1024

    def violation(self, frames: Sequence[Frame]) -> str | None:
        """Why ``frames`` break the limits ("too many frames", "oversized"), or None."""
        if len(frames) > self.max_frames:
            return "too many frames"
        if sum(map(len, frames)) > self.max_bytes:
            return "oversized"
        return None


DEFAULT_LIMITS = Limits()


def recv_frames(socket: zmq.Socket) -> Frames:
    """Receive the rest of a message (or a whole one) as ``zmq.Frame`` objects.

    It never blocks: it raises ``zmq.Again`` if no message is waiting.  Once
    the first frame is in, the rest are too (ZeroMQ delivers messages whole).
    """
    frame = _recv(socket, NOBLOCK, False)
    frames: Frames = [frame]
    while frame.more:
        frame = _recv(socket, NOBLOCK, False)
        frames.append(frame)
    return frames


def drain(socket: zmq.Socket, limit: int) -> Iterator[Frames]:
    """Receive up to ``limit`` whole messages that are waiting, without blocking.

    Call it when a poll said ``socket`` is readable.  Knowing that a socket
    is drained costs a system call either way; a failed ``recv`` costs about
    three times a ``getsockopt(EVENTS)``, so after the first message EVENTS
    is asked (a lone message, the common case at low load, ends there), and
    a longer batch then runs until ``recv`` says ``zmq.Again``.  With a
    limit of one nothing is asked, since no more may be taken anyway: a
    REQ socket, or a broker with one free credit, reads one message at a
    time, and would otherwise pay for a ``getsockopt`` per message for
    nothing.
    """
    for count in range(limit):
        try:
            yield recv_frames(socket)
        except zmq.Again:
            return
        if not count and limit > 1 and not _get(socket, _EVENTS) & _POLLIN:
            return


def send_frames(socket: zmq.Socket, frames: Sequence[Frame], prefix: Sequence[Frame] = ()) -> None:
    """Send ``prefix + frames`` as one message, without blocking.

    On a ROUTER_MANDATORY socket an unknown peer (EHOSTUNREACH) or a full
    queue (EAGAIN) raises on the first frame, before anything was sent, so the
    caller may try again elsewhere.  ``frames`` must not be empty.
    """
    for frame in prefix:
        _send(socket, frame, MORE_NOBLOCK, False)
    last = len(frames) - 1
    for index in range(last):
        _send(socket, frames[index], MORE_NOBLOCK, False)
    _send(socket, frames[last], NOBLOCK, False)
