"""ZMTP 2.0 bytes (RFC 15): the greeting of a peer of the older protocol.

A ZMTP 2.0 greeting is the signature of ZMTP 3.x, then a revision octet of
0x01, the socket type as one octet, and the identity as a final frame; what
follows are message frames, framed as ZMTP 3.x frames are (flags MORE and
LONG, no commands), so :mod:`conformance.wire.codec` reads and writes them.
An implementation of ZMTP 3.x that downgrades answers in kind: its
signature, a revision octet of its own (libzmq writes 3, having sent it
before it saw ours), its socket type and its identity frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.wire import codec

REVISION = 0x01
SOCKET_TYPES = {"REQ": 3, "REP": 4, "DEALER": 5, "ROUTER": 6}
"""RFC 15's socket-type octets of the four request-reply types."""

_HEAD = codec.SIGNATURE_SIZE + 2
"""Signature, revision and socket type: what precedes the identity frame."""


@dataclass(frozen=True)
class LegacyGreeting:
    """``signature revision socket-type identity``, as RFC 15 writes it."""

    socket_type: int
    identity: bytes = b""
    revision: int = REVISION

    def encode(self) -> bytes:
        signature = b"\xff" + bytes(7) + b"\x01\x7f"
        head = signature + bytes([self.revision, self.socket_type])
        return head + codec.message_frame(self.identity).encode()

    @classmethod
    def parse(cls, buffer: bytes | bytearray) -> tuple[LegacyGreeting, int] | None:
        """The greeting at the start of ``buffer`` and its length, or None if it is not all there.

        Raises :class:`~conformance.wire.codec.DecodeError` where the octets
        cannot be a ZMTP 2.0 greeting.
        """
        if len(buffer) < _HEAD:
            return None
        if buffer[0] != 0xFF or buffer[codec.SIGNATURE_SIZE - 1] != 0x7F:
            raise codec.DecodeError(f"not a signature: {bytes(buffer[: codec.SIGNATURE_SIZE])!r}")
        split = codec.split_frame(buffer, _HEAD)
        if split is None:
            return None
        identity, end = split
        if identity.more or identity.command:
            raise codec.DecodeError(f"the identity is not one final frame: {identity.describe()}")
        return cls(buffer[_HEAD - 1], identity.body, buffer[_HEAD - 2]), end

    def describe(self) -> str:
        types = {code: name for name, code in SOCKET_TYPES.items()}
        kind = types.get(self.socket_type, f"socket type {self.socket_type}")
        return f"ZMTP 2.0 greeting (revision {self.revision}) {kind} identity {self.identity!r}"
