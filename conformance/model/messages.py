"""Messages as the model sees them, and the frames each socket type puts around them.

Every message the state machine sends gets a tag frame in front of its
Hypothesis-generated body (``b"#7"``).  With several clients, a server's
fair queue may hand over any client's next message first (RFC 28 fixes the
order only per peer), so an observation is matched to the one message it can
be by its tag, and the model then knows exactly where it stands: each
observation is checked exactly, and cross-peer order is never assumed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.binding import Frames
from conformance.harness.exchange import application_frames
from conformance.harness.strategies import small_frames

bodies = st.lists(small_frames, min_size=1, max_size=3)
"""Bodies for the state machine: a few small frames, empty and NUL ones included.

Sizes are the delivery family's business; here, a long sequence of small
steps is what finds a state-machine bug, and small frames keep each step
cheap over a driver.
"""


@dataclass(eq=False)
class Message:
    """One message the state machine sent: its number (the tag says it), body and sender."""

    number: int
    body: tuple[bytes, ...]
    sender: str
    request: int | None = None
    """For a REQ's request: its number in that REQ's sequence of requests."""

    @property
    def tag(self) -> bytes:
        return f"#{self.number}".encode()

    @property
    def payload(self) -> Frames:
        """What the sending application means: the tag, then the body."""
        return [self.tag, *self.body]

    def __str__(self) -> str:
        return f"{self.sender}'s {self.tag.decode()}"


class Tags:
    """Numbers the messages of one run, so each can be recognised wherever it shows up."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def message(self, body: Sequence[bytes], sender: str) -> Message:
        return Message(next(self._numbers), tuple(body), sender)


def frames(
    type: str,
    payload: Sequence[bytes],
    *,
    delimited: bool,
    route: bytes | None = None,
    envelope: Sequence[bytes] = (),
) -> Frames:
    """The frames a ``type`` application sends or receives to carry ``payload``.

    ``envelope`` is what a REQ with ``REQ_CORRELATE`` puts before the
    delimiter (its request id); only a ROUTER application sees it.
    """
    if type == "ROUTER":
        assert route is not None, "a ROUTER needs the routing id of its peer"
        return [route, *envelope, *application_frames("DEALER", payload, delimited=delimited)]
    return application_frames(type, payload, delimited=delimited)
