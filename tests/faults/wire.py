"""Faults of ZMTP on the wire (the wire families): libzmq behind a relay that rewrites one thing.

Our built-in binding is libzmq, whose ZMTP is right; a wire bug is made by
putting a tiny relay between the libzmq socket and the world.  A faulty
socket binds (or connects) libzmq to a private endpoint and relays every
connection to the endpoint the test asked for, through a thread that
forwards octets as they come and rewrites one thing on the way: a property
of the READY, a greeting octet, a frame's size field, or a bad peer's bytes
made good before libzmq can refuse them.  Relays stop when their socket
closes: every blocking call in them has a short timeout and checks a stop
flag, and closing joins their threads with a bound.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading

from conformance.results import Verdict
from conformance.wire import codec
from conformance.wire.codec import Command, Frame
from tests.faults.harness import Fault, FaultySocket
from tests.faults.variants import Variant

TICK_S = 0.05
"""How often a relay thread looks at its stop flag."""

PEERS = {"REQ": b"REP", "REP": b"REQ", "DEALER": b"DEALER", "ROUTER": b"DEALER"}
"""A valid peer type for each socket type: what a lenient relay makes a bad peer announce."""


class Rewriter:
    """One direction of a connection: forwards octets as they come, rewriting some.

    The greeting's octets pass one by one through :meth:`greeting_octet` (libzmq
    sends its greeting in three parts and waits between them, so nothing may
    be held back); after it, each whole frame passes through :meth:`frame`.
    """

    def __init__(self, socket_type: str, bound: bool) -> None:
        self.socket_type = socket_type
        self.bound = bound
        self.offset = 0
        self.buffer = bytearray()
        self.handshaken = False
        """Whether the first command (the handshake's) has passed."""
        self.cut_off = False
        """Set to have the relay close the connection after what :meth:`feed` returned."""

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data and self.offset < codec.GREETING_SIZE:
            out.append(self.greeting_octet(self.offset, data[0]))
            self.offset += 1
            data = data[1:]
        self.buffer += data
        while (split := codec.split_frame(self.buffer)) is not None:
            frame, end = split
            del self.buffer[:end]
            out += self.frame(frame)
            if frame.command:
                self.handshaken = True
        return bytes(out)

    def greeting_octet(self, offset: int, value: int) -> int:
        return value

    def frame(self, frame: Frame) -> bytes:
        return frame.encode()

    def end(self) -> bytes:
        """What to write when the sender has ended its side of the connection."""
        return b""

    def hung_up(self) -> None:
        """The sender's side is gone: it ended it (a FIN) or reset it."""


def rewrite_ready(frame: Frame, change) -> bytes:
    """``frame``, with its READY's properties passed through ``change`` if it is one."""
    if frame.command:
        with contextlib.suppress(codec.DecodeError):
            command = codec.decode_command(frame.body)
            if command.name == codec.READY:
                properties = change(command.properties)
                return Command(codec.READY, codec.encode_metadata(properties)).frame().encode()
    return frame.encode()


class Relay:
    """Listens at one endpoint and joins each connection to another, both ways."""

    def __init__(self, listen: str, target, outgoing, incoming, towards_world: bool) -> None:
        """``target()`` is where to dial; ``towards_world``: whether accepted connections come
        from libzmq (the socket connected) rather than from the world (it bound)."""
        self.target = target
        self.outgoing, self.incoming = outgoing, incoming
        self.towards_world = towards_world
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        family, address = _address(listen)
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind(address)
        self.listener.listen(16)
        self.listener.settimeout(TICK_S)
        self.endpoint = _endpoint(family, self.listener.getsockname())
        self._start(self._accept)

    def _start(self, run, *args) -> None:
        thread = threading.Thread(target=run, args=args, daemon=True, name="fault-relay")
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                accepted, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                family, address = _address(self.target())
                dialled = socket.create_connection(address, 2) if family == socket.AF_INET else None
                if dialled is None:
                    dialled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    dialled.connect(address)
            except OSError:
                accepted.close()
                continue
            inner, world = (accepted, dialled) if self.towards_world else (dialled, accepted)
            for sock in (inner, world):
                sock.settimeout(TICK_S)
            self.sockets += [inner, world]
            self._start(self._pump, inner, world, self.outgoing())
            self._start(self._pump, world, inner, self.incoming())

    def _pump(self, source: socket.socket, sink: socket.socket, rewriter: Rewriter) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    data = source.recv(1 << 16)
                except socket.timeout:
                    continue
                if not data:
                    rewriter.hung_up()
                    self._send_all(sink, rewriter.end())
                    break
                self._send_all(sink, rewriter.feed(data))
                if rewriter.cut_off:
                    break
        except OSError:
            rewriter.hung_up()
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _send_all(self, sink: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view and not self.stopping.is_set():
            try:
                view = view[sink.send(view) :]
            except socket.timeout:
                continue

    def close(self) -> None:
        """Stop every thread at once: shutdown wakes a blocked accept or recv; close does not."""
        self.stopping.set()
        for sock in (self.listener, *self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join(timeout=1)
        for sock in (self.listener, *self.sockets):
            sock.close()


def _address(endpoint: str):
    transport, _, rest = endpoint.partition("://")
    if transport == "ipc":
        return socket.AF_UNIX, rest
    host, _, port = rest.rpartition(":")
    return socket.AF_INET, (host, 0 if port == "*" else int(port))


def _endpoint(family, address) -> str:
    return f"ipc://{address}" if family == socket.AF_UNIX else f"tcp://{address[0]}:{address[1]}"


def _private(endpoint: str) -> str:
    if endpoint.startswith("ipc://"):
        return f"ipc://{tempfile.mkdtemp(prefix='zc-relay-')}/s"
    return "tcp://127.0.0.1:*"


class RelayedSocket(FaultySocket):
    """libzmq behind relays: tcp and ipc connections pass through ``rewriter`` both ways."""

    outgoing: type[Rewriter] = Rewriter
    """What rewrites the octets libzmq sends."""
    incoming: type[Rewriter] = Rewriter
    """What rewrites the octets libzmq receives."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.relays: list[Relay] = []

    def _relay(self, listen: str, target, bound: bool) -> Relay:
        relay = Relay(
            listen,
            target,
            lambda: self.outgoing(self.type, bound),
            lambda: self.incoming(self.type, bound),
            towards_world=not bound,
        )
        self.relays.append(relay)
        return relay

    def bind(self, endpoint):
        if endpoint.startswith("inproc://"):
            return super().bind(endpoint)
        inner = super().bind(_private(endpoint))
        return self._relay(endpoint, lambda: inner, bound=True).endpoint

    def connect(self, endpoint):
        if endpoint.startswith("inproc://"):
            return super().connect(endpoint)
        relay = self._relay(_private(endpoint), lambda: endpoint, bound=False)
        super().connect(relay.endpoint)

    def close(self):
        super().close()
        for relay in self.relays:
            relay.close()
            if relay.endpoint.startswith("ipc://"):
                with contextlib.suppress(OSError):
                    os.unlink(relay.endpoint[len("ipc://") :])
        self.relays = []


# -- what the socket sends ----------------------------------------------------------------


def with_socket_type(frame: Frame, socket_type: bytes) -> bytes:
    """``frame``, a READY's Socket-Type made ``socket_type`` if it is one."""
    return rewrite_ready(
        frame,
        lambda props: [(n, socket_type if n == codec.SOCKET_TYPE else v) for n, v in props],
    )


class AnnouncesItsBaseType(Rewriter):
    def frame(self, frame):
        return with_socket_type(frame, {"REQ": b"DEALER", "REP": b"ROUTER"}[self.socket_type])


class AnnouncesWrongSocketType(RelayedSocket):
    """A REQ announces Socket-Type DEALER and a REP ROUTER: the types they are built on."""

    outgoing = AnnouncesItsBaseType


class WithoutIdentity(Rewriter):
    def frame(self, frame):
        return rewrite_ready(frame, lambda props: [p for p in props if p[0] != codec.IDENTITY])


class DropsIdentityProperty(RelayedSocket):
    """The READY leaves out the Identity property: ROUTING_ID never reaches the peer."""

    outgoing = WithoutIdentity


class OneOctetSizes(Rewriter):
    def frame(self, frame):
        if frame.command or not frame.long:
            return frame.encode()
        return bytes([frame.flags & ~codec.LONG, len(frame.body) & 0xFF]) + frame.body


class WritesLongSizesShort(RelayedSocket):
    """A frame of 256 octets or more is written with a one-octet size (its length mod 256)."""

    outgoing = OneOctetSizes


class ServerWhenBound(Rewriter):
    def greeting_octet(self, offset, value):
        return 1 if offset == 32 and self.bound else value


class AsServerWhenBound(RelayedSocket):
    """A bound socket sets as-server to 1 in its NULL greeting ("the server is who binds")."""

    outgoing = ServerWhenBound


class EmptyPongs(Rewriter):
    def frame(self, frame):
        if frame.command and frame.body[:5] == b"\x04PONG":
            return Command(codec.PONG).frame().encode()
        return frame.encode()


class PongWithoutContext(RelayedSocket):
    """A PONG leaves out the PING's context (an answer that cannot be matched to its PING)."""

    outgoing = EmptyPongs


# -- what the socket accepts or refuses ----------------------------------------------------


class OnlyKnownVersions(Rewriter):
    def __init__(self, socket_type, bound):
        super().__init__(socket_type, bound)
        self.unknown = False

    def greeting_octet(self, offset, value):
        if offset in (10, 11):
            self.unknown |= value > (3 if offset == 10 else 1)
        if self.unknown and 12 <= offset < 32:
            return ord("?")  # a mechanism libzmq does not know: it closes the connection
        return value


class RefusesNewerVersions(RelayedSocket):
    """A peer announcing a version above 3.1 is cut off (an 'equal or older' version check)."""

    incoming = OnlyKnownVersions


class AnyMechanismIsNull(Rewriter):
    def greeting_octet(self, offset, value):
        return codec.NULL[offset - 12] if 12 <= offset < 32 else value


class AcceptsAnyMechanism(RelayedSocket):
    """The peer's mechanism is never compared with its own: any greeting is taken for NULL."""

    incoming = AnyMechanismIsNull


class AnySocketTypeIsValid(Rewriter):
    def frame(self, frame):
        return with_socket_type(frame, PEERS[self.socket_type])


class AcceptsAnySocketType(RelayedSocket):
    """The peer's Socket-Type is never checked: any peer may talk to the socket."""

    incoming = AnySocketTypeIsValid


class MetadataReadLeniently(Rewriter):
    def frame(self, frame):
        if frame.command and not self.handshaken:
            with contextlib.suppress(codec.DecodeError):
                command = codec.decode_command(frame.body)
                if command.name == codec.READY:
                    codec.decode_metadata(command.data)  # raises DecodeError if malformed
                    return frame.encode()
            return codec.ready(PEERS[self.socket_type]).frame().encode()
        return frame.encode()


class AcceptsMalformedMetadata(RelayedSocket):
    """A READY whose metadata runs past its end is read as far as it goes and accepted."""

    incoming = MetadataReadLeniently


class AnyFirstCommandIsReady(Rewriter):
    def frame(self, frame):
        if frame.command and not self.handshaken:
            return codec.ready(PEERS[self.socket_type]).frame().encode()
        return frame.encode()


class TakesAnyCommandForReady(RelayedSocket):
    """The handshake takes whatever command comes first for the peer's READY."""

    incoming = AnyFirstCommandIsReady


class IdentityInAnyCase(Rewriter):
    def frame(self, frame):
        return rewrite_ready(
            frame,
            lambda props: [
                (codec.IDENTITY if n.lower() == b"identity" else n, v) for n, v in props
            ],
        )


class HonoursIdentityInAnyCase(RelayedSocket):
    """Property names are compared in any case: 'identity' is the Identity."""

    incoming = IdentityInAnyCase


def _flawed(frame: Frame) -> bool:
    """A READY frame with MORE or a reserved bit set, or a property with an empty name."""
    if frame.more or frame.flags & codec.RESERVED:
        return True
    with contextlib.suppress(codec.DecodeError):
        return any(name == b"" for name, _ in codec.decode_command(frame.body).properties)
    return False


class FlawedReadyRefused(Rewriter):
    def frame(self, frame):
        if frame.command and not self.handshaken and _flawed(frame):
            return codec.ready(b"PUB").frame().encode()  # a peer libzmq refuses
        return frame.encode()


class RefusesFlawedReady(RelayedSocket):
    """A READY with MORE or a reserved bit set, or an empty property name, is refused."""

    incoming = FlawedReadyRefused


REVISION_OFFSET = codec.SIGNATURE_SIZE
"""Where a greeting's version (ZMTP 3) or revision (ZMTP 2.0: 1) octet is."""


class Zmtp20Detected(Rewriter):
    """Passes the signature on, then does what :meth:`legacy` says with a ZMTP 2.0 peer."""

    def __init__(self, socket_type: str, bound: bool) -> None:
        super().__init__(socket_type, bound)
        self.legacy_peer = False

    def feed(self, data):
        if self.legacy_peer:
            return self.legacy(data)
        at = REVISION_OFFSET - self.offset
        if 0 <= at < len(data) and data[at] < 3:
            self.legacy_peer = True
            return bytes(data[:at]) + self.legacy(data[at:])
        return super().feed(data)

    def legacy(self, data: bytes) -> bytes:
        raise NotImplementedError


class Zmtp20Swallowed(Zmtp20Detected):
    def legacy(self, data):
        return b""


class HangsOnZmtp20Peers(RelayedSocket):
    """A ZMTP 2.0 peer is neither served nor refused: its connection stays open, unread."""

    incoming = Zmtp20Swallowed


class Zmtp20CutOff(Zmtp20Detected):
    def legacy(self, data):
        self.cut_off = True
        return b""


class RefusesZmtp20Peers(RelayedSocket):
    """A ZMTP 2.0 peer is cut off at its revision octet (it cannot downgrade)."""

    incoming = Zmtp20CutOff


class CutMessages:
    """What a socket's relays share across its connections: its last multipart message."""

    def __init__(self) -> None:
        self.last: list[Frame] = []
        self.tail: list[Frame] = []
        """The last message's frames after its first, once its reader hung up."""


class KeepsTheTail(Rewriter):
    """libzmq to the world: remembers each message, and writes a kept tail after the READY."""

    def __init__(self, socket_type: str, bound: bool, kept: CutMessages) -> None:
        super().__init__(socket_type, bound)
        self.kept = kept
        self.message: list[Frame] = []

    def frame(self, frame):
        if frame.command:
            tail, self.kept.tail = self.kept.tail, []
            return frame.encode() + b"".join(f.encode() for f in tail)
        self.message.append(frame)
        if not frame.more:
            self.kept.last, self.message = self.message, []
        return frame.encode()


class NoticesTheHangUp(Rewriter):
    """The world to libzmq: when the world hangs up, the last message's tail is kept."""

    def __init__(self, socket_type: str, bound: bool, kept: CutMessages) -> None:
        super().__init__(socket_type, bound)
        self.kept = kept

    def hung_up(self):
        self.kept.tail = self.kept.last[1:]


class CarriesATailOver(RelayedSocket):
    """The frames after the first of a message cut off by a hang-up go to the next connection."""

    def __init__(self, inner, type):
        super().__init__(inner, type)
        kept = CutMessages()
        self.outgoing = lambda socket_type, bound: KeepsTheTail(socket_type, bound, kept)
        self.incoming = lambda socket_type, bound: NoticesTheHangUp(socket_type, bound, kept)


class TruncatedMessageCompleted(Rewriter):
    def __init__(self, socket_type: str, bound: bool) -> None:
        super().__init__(socket_type, bound)
        self.in_message = False

    def frame(self, frame):
        if not frame.command:
            self.in_message = frame.more
        return frame.encode()

    def end(self):
        if not self.handshaken:
            return b""
        if self.buffer:  # a frame cut short: as far as it came, made the last
            head = 9 if self.buffer[0] & codec.LONG else 2
            return codec.message_frame(bytes(self.buffer[head:])).encode()
        return codec.message_frame(b"").encode() if self.in_message else b""


class DeliversTruncatedMessages(RelayedSocket):
    """A peer that hangs up part way through a message has what came of it delivered."""

    incoming = TruncatedMessageCompleted


FAULTS = (
    Fault("announces_wrong_socket_type", AnnouncesWrongSocketType, ("wire-ready",), ("REQ", "REP")),
    Fault(
        "drops_identity_property",
        DropsIdentityProperty,
        ("wire-identity",),
        ("REQ", "DEALER"),
    ),
    Fault("writes_long_sizes_short", WritesLongSizesShort, ("wire-framing",)),
    Fault("as_server_when_bound", AsServerWhenBound, ("wire-greeting",)),
    Fault("pong_without_context", PongWithoutContext, ("wire-ping",)),
    Fault("refuses_newer_versions", RefusesNewerVersions, ("wire-accept",)),
    Fault("accepts_any_mechanism", AcceptsAnyMechanism, ("wire-refuse-mechanism",)),
    Fault("accepts_any_socket_type", AcceptsAnySocketType, ("wire-refuse-socket-type",)),
    Fault("takes_any_command_for_ready", TakesAnyCommandForReady, ("wire-refuse-command",)),
    Fault("accepts_malformed_metadata", AcceptsMalformedMetadata, ("wire-refuse-malformed",)),
    Fault("hangs_on_zmtp20_peers", HangsOnZmtp20Peers, ("wire-downgrade",)),
    Fault("carries_a_tail_over", CarriesATailOver, ("wire-cut-sending",), ("DEALER", "ROUTER")),
    Fault(
        "delivers_truncated_messages",
        DeliversTruncatedMessages,
        ("wire-truncated",),
        ("DEALER", "ROUTER"),
    ),
)

VARIANTS = (
    Variant(
        "refuses_flawed_ready",
        RefusesFlawedReady,
        "wire-flawed-ready",
        Verdict.INFORMATIONAL,
        observed="refused",
        types=("DEALER", "ROUTER"),
    ),
    Variant(
        "refuses_zmtp20_peers",
        RefusesZmtp20Peers,
        "wire-downgrade",
        Verdict.INFORMATIONAL,
        observed="refused",
        types=("DEALER", "ROUTER"),
    ),
    Variant(
        "honours_identity_in_any_case",
        HonoursIdentityInAnyCase,
        "wire-property-case",
        Verdict.PASS,
        types=("ROUTER",),
    ),
)
