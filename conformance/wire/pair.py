"""The implementation's socket and our raw peer, connected one way or the other.

A :class:`WirePair` is one socket of the implementation under test (made by
the test's network, so it is traced and closed like any other) and one
:class:`~conformance.wire.peer.WirePeer`.  Its :attr:`role` says who dialled:
``IUT_BINDS``, the raw peer connected to the implementation's bound socket;
``IUT_CONNECTS``, the implementation connected to a raw listener.  Moving a
message across follows RFC 28's envelope rule once, in
:func:`conformance.harness.exchange.application_frames`: the raw peer writes
and reads the wire frames, the implementation's application the frames its
socket type shows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.catalogue.vocabulary import IUT, IUT_BINDS, IUT_CONNECTS, SELF, Peering
from conformance.harness.assertions import assert_message, receive
from conformance.harness.exchange import DELIMITER, application_frames, is_delimited
from conformance.harness.network import TIMEOUT_MS, Network, Options
from conformance.wire.codec import Frame
from conformance.wire.peer import Handshake, WireListener, WirePeer

ROLES = (IUT_CONNECTS, IUT_BINDS)


def roles(network: Network) -> tuple[Peering, ...]:
    """The roles a test plays the implementation in: both in a ``self`` run."""
    return ROLES if network.peering == SELF else (network.peering,)


def role_name(role: Peering) -> str:
    return "the implementation connects" if role == IUT_CONNECTS else "the implementation binds"


@dataclass
class WirePair:
    iut: Socket
    raw: WirePeer
    raw_type: str
    role: Peering
    endpoint: str
    network: Network
    route: bytes | None = None
    """The routing id an implementation's ROUTER received the raw peer's messages under."""

    @property
    def delimited(self) -> bool:
        return is_delimited(self.iut.type, self.raw_type)

    def wire_frames(self, body: Sequence[bytes]) -> list[bytes]:
        return [DELIMITER, *body] if self.delimited else list(body)

    def handshake(self, identity: bytes | None = None) -> Handshake:
        return self.raw.handshake(self.raw_type, identity)

    def raw_sends(self, body: Sequence[bytes]) -> None:
        """The raw peer writes ``body`` in its envelope; the implementation receives it intact."""
        self.raw.send_message(self.wire_frames(body))

    def iut_receives(self, body: Sequence[bytes], where: str = "") -> Frames:
        """What the implementation's application received, checked against ``body``."""
        got = receive(self.iut, f"the implementation's {self.iut.type}{where}")
        if self.iut.type == "ROUTER":
            if self.route is None:
                self.route = got[0] if got else None
            expected = application_frames(
                "ROUTER", body, delimited=self.delimited, route=self.route
            )
        else:
            expected = application_frames(self.iut.type, body, delimited=self.delimited)
        assert_message(got, expected, f"the implementation's {self.iut.type} received{where}")
        return got

    def iut_sends(self, body: Sequence[bytes]) -> None:
        frames = application_frames(
            self.iut.type, body, delimited=self.delimited, route=self.route or b""
        )
        self.iut.send(frames, TIMEOUT_MS)

    def raw_receives(self, body: Sequence[bytes]) -> list[Frame]:
        """The frames the raw peer read for ``body``, whose bodies must be the wire frames."""
        frames = self.raw.read_message()
        assert_message([f.body for f in frames], self.wire_frames(body), "the raw peer received")
        return frames

    @property
    def iut_speaks_first(self) -> bool:
        return self.iut.type in ("REQ", "DEALER") and self.raw_type in ("REP", "ROUTER")

    def round_trip(self, body: Sequence[bytes], answer: Sequence[bytes]) -> None:
        """A request and its reply, from whichever end may speak first."""
        if self.iut_speaks_first:
            self.iut_sends(body)
            self.raw_receives(body)
            self.raw_sends(answer)
            self.iut_receives(answer)
        else:
            self.raw_sends(body)
            self.iut_receives(body)
            self.iut_sends(answer)
            self.raw_receives(answer)

    def nothing_more(self) -> None:
        """The implementation holds no other message (one from a refused peer, say)."""
        try:
            got = self.iut.recv(0)
        except ZmqError as exc:
            if exc.code in (ErrorCode.EAGAIN, ErrorCode.EFSM):
                return
            raise
        raise AssertionError(f"the implementation delivered another message: {got!r}")


@contextlib.contextmanager
def wire_pair(
    network: Network,
    case,
    role: Peering,
    options: Options | None = None,
    listener: WireListener | None = None,
) -> Iterator[WirePair]:
    """The implementation's socket of ``case`` in ``role``, and a raw peer of the other type.

    With ``listener``, the implementation connects to that listener instead of
    a new one (and it is not closed here).  Inside :meth:`Network.sockets`.
    """
    pairing = case.pairing
    trace, patience = network.trace, network.patience
    with contextlib.ExitStack() as stack:
        if role == IUT_BINDS:
            iut = network.socket(IUT, pairing.binds, options)
            endpoint = iut.bind(network.endpoints.new(case.transport))
            raw = stack.enter_context(WirePeer.connect(endpoint, trace, patience))
            yield WirePair(iut, raw, pairing.connects, role, endpoint, network)
            return
        if listener is None:
            listener = stack.enter_context(
                WireListener(network.endpoints.new(case.transport), trace, patience)
            )
        iut = network.socket(IUT, pairing.connects, options)
        iut.connect(listener.endpoint)
        raw = stack.enter_context(listener.accept())
        yield WirePair(iut, raw, pairing.binds, role, listener.endpoint, network)
