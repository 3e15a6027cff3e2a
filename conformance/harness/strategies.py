"""Hypothesis strategies for ZeroMQ messages.

Frames are arbitrary bytes: empty, NUL, non-UTF-8, and now and then of any
other size class up to 1 MiB (see :data:`frames`); messages have one to a
few frames, and now and then up to 1,000.  The rare shapes are drawn with
:func:`rarely`, so the default run stays fast and every shrink heads back
to the common shape.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

MAX_FRAME_SIZE = 1 << 20
MAX_FRAMES = 1000


class RepeatedBytes(bytes):
    """A large frame that prints as the expression that builds it.

    A shrunk failure must read as a reproduction a maintainer can paste, not
    as a megabyte of escaped bytes.
    """

    pattern: bytes
    count: int

    def __new__(cls, pattern: bytes, count: int) -> RepeatedBytes:
        self = super().__new__(cls, pattern * count)
        self.pattern = pattern
        self.count = count
        return self

    def __repr__(self) -> str:
        return f"{self.pattern!r} * {self.count}"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def rarely(common: st.SearchStrategy, rare: st.SearchStrategy, one_in: int = 20):
    """``rare`` about once in ``one_in`` draws, otherwise ``common``.

    Shrinking moves the roll towards 1, that is towards ``common``, so a
    failure that does not need the rare shape is reported without it.
    """
    return st.integers(1, one_in).flatmap(lambda roll: rare if roll == one_in else common)


class NoiseBytes(bytes):
    """``size`` pseudo-random bytes from ``seed``, printed as the expression that builds it.

    No chunk of it repeats another, so a chunk that a faulty implementation
    drops, duplicates or reorders shows, where a repeated pattern would hide
    it; and a shrunk failure still prints in one short line.  Hypothesis
    draws only the seed and the size (drawing each byte would exceed its
    buffer for a frame over 8 KiB).
    """

    seed: int
    size: int

    def __new__(cls, seed: int, size: int) -> NoiseBytes:
        content = random.Random(seed).getrandbits(8 * size).to_bytes(size, "little")
        self = super().__new__(cls, content)
        self.seed = seed
        self.size = size
        return self

    def __repr__(self) -> str:
        return f"NoiseBytes(seed={self.seed}, size={self.size})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def noise_frames(min_size: int, max_size: int) -> st.SearchStrategy[NoiseBytes]:
    return st.builds(NoiseBytes, seed=st.integers(0, 0xFFFF), size=st.integers(min_size, max_size))


SHORT_FRAME_LIMIT = 255
"""The longest frame ZMTP sends with a one-octet size (RFC 23, "short frame")."""

small_frames = st.binary(max_size=32)
"""Everyday frames: empty, NUL bytes and non-UTF-8 included, as Hypothesis likes."""

short_frames = noise_frames(33, SHORT_FRAME_LIMIT)
"""The rest of the short frames."""

boundary_frames = noise_frames(SHORT_FRAME_LIMIT - 1, SHORT_FRAME_LIMIT + 2)
"""Either side of the switch to long frames (an eight-octet size), 254 to 257 bytes."""

medium_frames = noise_frames(SHORT_FRAME_LIMIT + 1, 1 << 14)
"""Long frames up to 16 KiB: within one socket buffer."""

large_frames = st.one_of(
    noise_frames(1 << 14, MAX_FRAME_SIZE),
    st.builds(
        RepeatedBytes,
        pattern=st.binary(min_size=1, max_size=4),
        count=st.integers(min_value=1 << 14, max_value=MAX_FRAME_SIZE // 4),
    ),
)
"""16 KiB to 1 MiB: beyond every socket buffer, so a truncation shows."""

frames = rarely(small_frames, st.one_of(short_frames, boundary_frames, medium_frames, large_frames))
"""A frame of any size class: mostly small; about one in 20 of another class."""

short_messages = st.lists(frames, min_size=1, max_size=8)


class CyclicMessage(list):
    """A message of ``count`` frames that cycles through ``pattern``.

    Hundreds of frames drawn one by one would make a long message the most
    expensive thing Hypothesis generates, and would print as hundreds of
    lines; cycling through a few drawn frames costs a handful of draws and
    prints as the expression that builds it.  Any pattern that is not one
    frame repeated still shows every reordering, split or loss.
    """

    def __init__(self, pattern: list[bytes], count: int) -> None:
        super().__init__(pattern[i % len(pattern)] for i in range(count))
        self.pattern = pattern
        self.count = count

    def __repr__(self) -> str:
        return f"CyclicMessage(pattern={self.pattern!r}, count={self.count})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


long_messages = st.builds(
    CyclicMessage,
    pattern=st.lists(st.binary(max_size=4), min_size=1, max_size=8),
    count=st.integers(min_value=100, max_value=MAX_FRAMES),
)
"""Hundreds of frames, many empty: where reordering or splitting would show."""

messages = rarely(short_messages, long_messages)
"""A multipart message: at least one frame, as ZeroMQ requires."""
