"""A message as one object: a list of frames that is sent and received whole.

This is the ``zmsg`` of the chapter's high-level API.  ZeroMQ delivers the
frames of a multipart message atomically, so an application should never see
half of one; :meth:`Message.recv` and :meth:`Message.send` deal in whole
messages only, and :meth:`Message.recv` takes a timeout because nothing in
this package waits without a deadline.

Frames are ``bytes``.  Brokers on a hot path use plain lists of ``zmq.Frame``
instead (see :mod:`reference.envelope`); this class is for code where
readability matters more than a microsecond per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import zmq

from reference import envelope


class Message:
    """A multipart message: an ordered list of ``bytes`` frames."""

    __slots__ = ("frames",)

    def __init__(self, frames: Iterable[bytes] = ()) -> None:
        self.frames: list[bytes] = [bytes(frame) for frame in frames]

    # -- sending and receiving ------------------------------------------------

    @classmethod
    def recv(cls, socket: zmq.Socket, timeout_ms: int = 0) -> Message | None:
        """Receive one whole message, or ``None`` if none came within ``timeout_ms``."""
        if timeout_ms and not socket.poll(timeout_ms, zmq.POLLIN):
            return None
        try:
            return cls(socket.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            # POLLIN does not promise a message: REQ and REP sockets signal
            # before they drop a malformed one.
            return None

    def send(self, socket: zmq.Socket, flags: int = zmq.NOBLOCK) -> None:
        """Send the whole message; by default without blocking (raises zmq.Again)."""
        if not self.frames:
            raise ValueError("cannot send a message with no frames")
        socket.send_multipart(self.frames, flags)

    # -- envelope -------------------------------------------------------------

    def push(self, frame: bytes) -> None:
        """Put ``frame`` in front."""
        envelope.push(self.frames, frame)

    def pop(self) -> bytes:
        """Take the first frame off."""
        return envelope.pop(self.frames)

    def append(self, frame: bytes) -> None:
        """Add ``frame`` at the end."""
        self.frames.append(frame)

    def wrap(self, address: bytes) -> None:
        """Put ``address`` and an empty delimiter in front."""
        envelope.wrap(self.frames, address)

    def unwrap(self) -> bytes:
        """Take the first address and the delimiter behind it off, and return the address."""
        return envelope.unwrap(self.frames)

    def split(self) -> tuple[list[bytes], list[bytes]]:
        """``(addresses, body)`` at the first empty frame (raises MalformedEnvelope)."""
        return envelope.split(self.frames)

    # -- inspection -----------------------------------------------------------

    @property
    def size(self) -> int:
        """Total number of bytes in all frames."""
        return sum(len(frame) for frame in self.frames)

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.frames)

    def __getitem__(self, index: int) -> bytes:
        return self.frames[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.frames == other.frames
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Message({describe(self.frames)})"


def describe(frames: Iterable[object], limit: int = 8, width: int = 24) -> str:
    """A short, log-safe rendering of frames: at most ``limit`` frames, each cut to ``width``."""
    shown = []
    count = 0
    for count, frame in enumerate(frames, 1):
        if count > limit:
            continue
        data = bytes(frame)  # type: ignore[call-overload]
        text = repr(data[:width])
        if len(data) > width:
            text += f"...({len(data)}B)"
        shown.append(text)
    if count > limit:
        shown.append(f"... {count - limit} more")
    return "[" + ", ".join(shown) + "]"
