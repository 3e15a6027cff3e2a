"""ZMTP 3.x bytes: the greeting, frames, commands and the NULL mechanism's READY metadata.

Written from RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1), section "Formal
Grammar" and "The NULL Security Mechanism".  Decoding is descriptive: it
keeps every field as it arrived (the padding, the flags octet, the
mechanism's 20 octets), so that a check can judge it; it refuses only what
cannot be read at all (a greeting without the signature's first and last
octets, a metadata list that overruns its command).  Encoding writes what it
is given, so a raw peer can write a wrong thing on purpose.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GREETING_SIZE = 64
SIGNATURE_SIZE = 10
MECHANISM_SIZE = 20
FILLER_SIZE = 31
NULL = b"NULL".ljust(MECHANISM_SIZE, b"\x00")
"""The NULL mechanism as the greeting carries it: the name padded with NUL octets."""

MORE = 0x01
LONG = 0x02
COMMAND = 0x04
RESERVED = 0xF8
"""Bits 7-3 of the flags octet, which "MUST be zero"."""

MAX_SHORT = 255
"""The longest body a short frame (one size octet) can carry."""

READY = b"READY"
ERROR = b"ERROR"
PING = b"PING"
PONG = b"PONG"
SOCKET_TYPE = b"Socket-Type"
IDENTITY = b"Identity"


class DecodeError(ValueError):
    """Bytes that cannot be read as what they should be."""


# -- greeting -----------------------------------------------------------------------


@dataclass(frozen=True)
class Greeting:
    """The 64-octet greeting: ``signature version mechanism as-server filler``."""

    major: int = 3
    minor: int = 1
    mechanism: bytes = NULL
    as_server: int = 0
    padding: bytes = bytes(8)
    filler: bytes = bytes(FILLER_SIZE)
    signature_end: int = 0x7F
    signature_start: int = 0xFF

    def encode(self) -> bytes:
        mechanism = self.mechanism.ljust(MECHANISM_SIZE, b"\x00")[:MECHANISM_SIZE]
        return b"".join(
            (
                bytes([self.signature_start]),
                self.padding.ljust(8, b"\x00")[:8],
                bytes([self.signature_end, self.major, self.minor]),
                mechanism,
                bytes([self.as_server]),
                self.filler.ljust(FILLER_SIZE, b"\x00")[:FILLER_SIZE],
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Greeting:
        if len(data) != GREETING_SIZE:
            raise DecodeError(f"a greeting is {GREETING_SIZE} octets, not {len(data)}")
        return cls(
            signature_start=data[0],
            padding=data[1:9],
            signature_end=data[9],
            major=data[10],
            minor=data[11],
            mechanism=data[12:32],
            as_server=data[32],
            filler=data[33:64],
        )

    @property
    def mechanism_name(self) -> bytes:
        return self.mechanism.rstrip(b"\x00")

    def describe(self) -> str:
        return (
            f"greeting {self.major}.{self.minor} {self.mechanism_name.decode('latin-1')!r} "
            f"as-server={self.as_server}"
        )


# -- frames ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame as it is on the wire: the flags octet and the body.

    The LONG bit of ``flags`` says which size field the frame has; the
    helpers :func:`message_frame` and :func:`command_frame` set it from the
    body's length, as RFC 23 recommends, and a raw peer may set it otherwise.
    """

    flags: int
    body: bytes

    @property
    def more(self) -> bool:
        return bool(self.flags & MORE)

    @property
    def long(self) -> bool:
        return bool(self.flags & LONG)

    @property
    def command(self) -> bool:
        return bool(self.flags & COMMAND)

    def encode(self, size: int | None = None) -> bytes:
        """The frame's bytes; ``size`` writes another length than the body's (a lie)."""
        size = len(self.body) if size is None else size
        field = struct.pack(">Q", size) if self.long else bytes([size])
        return bytes([self.flags]) + field + self.body

    def describe(self) -> str:
        if self.command:
            try:
                return decode_command(self.body).describe()
            except DecodeError:
                return f"command {self.body[:16]!r}"
        kind = "long " if self.long else ""
        more = "+more" if self.more else ""
        body = repr(self.body) if len(self.body) <= 16 else f"<{len(self.body)} bytes>"
        return f"{kind}frame{more} {body}"


def message_frame(body: bytes, more: bool = False) -> Frame:
    return Frame((MORE if more else 0) | (LONG if len(body) > MAX_SHORT else 0), body)


def command_frame(body: bytes) -> Frame:
    return Frame(COMMAND | (LONG if len(body) > MAX_SHORT else 0), body)


def encode_message(frames: Sequence[bytes]) -> bytes:
    """A message: every frame but the last with MORE set."""
    last = len(frames) - 1
    return b"".join(message_frame(f, i < last).encode() for i, f in enumerate(frames))


def frame_bounds(buffer: bytes | bytearray, start: int = 0) -> tuple[int, int, int] | None:
    """Where the frame at ``start`` lies: (flags, body start, end), or None if incomplete."""
    if len(buffer) < start + 2:
        return None
    flags = buffer[start]
    if flags & LONG:
        if len(buffer) < start + 9:
            return None
        (size,) = struct.unpack(">Q", bytes(buffer[start + 1 : start + 9]))
        body = start + 9
    else:
        size, body = buffer[start + 1], start + 2
    if len(buffer) < body + size:
        return None
    return flags, body, body + size


def split_frame(buffer: bytes | bytearray, start: int = 0) -> tuple[Frame, int] | None:
    """The frame at ``start`` in ``buffer`` and the offset just past it, or None if incomplete."""
    bounds = frame_bounds(buffer, start)
    if bounds is None:
        return None
    flags, body, end = bounds
    return Frame(flags, bytes(buffer[body:end])), end


def decode_frames(data: bytes) -> tuple[list[Frame], bytes]:
    """Every whole frame in ``data``, and the octets left over."""
    found, at = [], 0
    while (split := split_frame(data, at)) is not None:
        frame, at = split
        found.append(frame)
    return found, bytes(data[at:])


# -- commands and the NULL mechanism's metadata ------------------------------------------


Properties = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Command:
    """``command-body = command-name command-data``: a name of 1 to 255 letters, then data."""

    name: bytes
    data: bytes = b""

    def encode(self) -> bytes:
        return bytes([len(self.name)]) + self.name + self.data

    def frame(self) -> Frame:
        return command_frame(self.encode())

    @property
    def properties(self) -> Properties:
        """A READY command's metadata (raises DecodeError if it is not well formed)."""
        return decode_metadata(self.data)

    def describe(self) -> str:
        name = self.name.decode("latin-1")
        if self.name != READY:
            return f"{name} {self.data[:32]!r}"
        try:
            shown = ", ".join(f"{n.decode('latin-1')}={v!r}" for n, v in decode_metadata(self.data))
        except DecodeError as exc:
            shown = f"<{exc}>"
        return f"READY {shown}".rstrip()


def decode_command(body: bytes) -> Command:
    if not body or len(body) < 1 + body[0] or body[0] == 0:
        raise DecodeError(f"not a command body: {body[:16]!r}")
    return Command(body[1 : 1 + body[0]], body[1 + body[0] :])


def encode_metadata(properties: Iterable[tuple[bytes, bytes]]) -> bytes:
    """``metadata = *property``: each a 1-octet name size, the name, a 4-octet value size, the
    value."""
    return b"".join(
        bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
        for name, value in properties
    )


def decode_metadata(data: bytes) -> Properties:
    found, at = [], 0
    while at < len(data):
        size = data[at]
        name = data[at + 1 : at + 1 + size]
        at += 1 + size
        if len(name) != size or at + 4 > len(data):
            raise DecodeError(f"a property overruns the metadata at octet {at}")
        (length,) = struct.unpack(">I", data[at : at + 4])
        at += 4
        if at + length > len(data):
            raise DecodeError(f"the value of {name!r} overruns the metadata")
        found.append((name, data[at : at + length]))
        at += length
    return found


def ready(
    socket_type: bytes,
    identity: bytes | None = None,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> Command:
    """A READY command announcing ``socket_type``, and ``identity`` if given."""
    properties = [(SOCKET_TYPE, socket_type)]
    if identity is not None:
        properties.append((IDENTITY, identity))
    return Command(READY, encode_metadata([*properties, *extra]))


def lookup(properties: Properties, name: bytes) -> list[bytes]:
    """The values of every property called ``name``, in any case ("Metadata names SHALL be
    case-insensitive")."""
    return [v for n, v in properties if n.lower() == name.lower()]


def describe(data: bytes) -> str:
    """What a run of ZMTP octets after the greeting reads as, shortly."""
    frames, rest = decode_frames(data)
    words = [f.describe() for f in frames[:6]]
    if len(frames) > 6:
        words.append(f"... ({len(frames)} frames)")
    if rest:
        words.append(f"<{len(rest)} octets of a frame>")
    return "; ".join(words)
