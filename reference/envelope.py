"""Reply envelopes: the addresses in front of a message, and the body after them.

A request that crosses ROUTER sockets collects one address per hop, and the
REQ socket that sent it put an empty *delimiter* frame between those addresses
and the body.  Everything a broker needs to send a reply back is therefore in
front of the first empty frame, and everything the application cares about is
behind it::

    [client-id, '', b'Hello']          # what a ROUTER receives from a REQ
     ^addresses  ^delimiter ^body

These helpers work on plain lists of frames (``bytes`` or ``zmq.Frame``) so that
brokers can use them on their hot path without wrapping each message in an
object.  They never guess: a message without a delimiter is not an envelope,
and :func:`split` says so with :class:`MalformedEnvelope` instead of treating
the whole message as addresses or as body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import zmq

Frame = Union[bytes, zmq.Frame]
Frames = list[Frame]

DELIMITER = b""


class MalformedEnvelope(ValueError):
    """A message that cannot be split into addresses and body."""


def is_empty(frame: Frame) -> bool:
    """Whether ``frame`` is an empty frame (works for bytes and zmq.Frame)."""
    return len(frame) == 0


def delimiter_index(frames: Sequence[Frame], start: int = 0) -> int:
    """The index of the first empty frame at or after ``start``, or -1."""
    for index in range(start, len(frames)):
        if len(frames[index]) == 0:
            return index
    return -1


def split(frames: Sequence[Frame]) -> tuple[Frames, Frames]:
    """Split a message into ``(addresses, body)`` at its first empty frame.

    The delimiter itself belongs to neither part; :func:`join` puts it back.
    Raises :class:`MalformedEnvelope` if there is no empty frame.
    """
    index = delimiter_index(frames)
    if index < 0:
        raise MalformedEnvelope("no empty delimiter frame")
    return list(frames[:index]), list(frames[index + 1 :])


def join(addresses: Sequence[Frame], body: Sequence[Frame]) -> Frames:
    """The inverse of :func:`split`: ``addresses + [delimiter] + body``."""
    return [*addresses, DELIMITER, *body]


def push(frames: Frames, frame: Frame) -> None:
    """Put ``frame`` in front of the message (CZMQ's ``zmsg_push``)."""
    frames.insert(0, frame)


def pop(frames: Frames) -> Frame:
    """Take the first frame off the message. Raises IndexError if empty."""
    return frames.pop(0)


def wrap(frames: Frames, address: Frame) -> None:
    """Put ``address`` and a delimiter in front of the message.

    This is what a ROUTER hop plus a REQ socket do together, done by hand: the
    result can be sent through a ROUTER to ``address``'s REQ or REP peer.
    """
    frames[0:0] = [address, DELIMITER]


def unwrap(frames: Frames) -> Frame:
    """Take the first address off the message, and the delimiter behind it if any.

    The inverse of :func:`wrap`. Raises IndexError on an empty message.
    """
    address = frames.pop(0)
    if frames and len(frames[0]) == 0:
        frames.pop(0)
    return address


def routing_problem(frames: Sequence[Frame], start: int = 0) -> str | None:
    """Why ``frames[start:]`` is not a routable message, or None if it is.

    Routable means ``[address, ..., '', body, ...]``: at least one non-empty
    address, then the delimiter, then at least one body frame.  A message
    with no body cannot be delivered to a REQ socket (it would take the lone
    delimiter for a malformed reply), so brokers refuse it on the way in.
    """
    count = len(frames)
    if count - start < 3:
        return "too few frames"
    if not len(frames[start]):
        return "empty address"
    index = start + 1 if not len(frames[start + 1]) else delimiter_index(frames, start + 2)
    if index < 0:
        return "no delimiter"
    if index == count - 1:
        return "empty body"
    return None
