"""What each socket type adds to and strips from a message, and moving one across a pair.

RFC 28 fixes the envelope in one rule per type, and this module is that
rule written once:

* on the wire between two peers, a message carries an empty delimiter frame
  before its body exactly when one of the peers is a REQ or a REP;
* a REQ or REP application sees only the body;
* a DEALER application sees the wire frames unchanged;
* a ROUTER application sees one routing-id frame, then the wire frames.

So the frames an application sends and the frames its peer's application
receives both follow from :func:`application_frames`, and every pairing's
test is the same few lines.

Readiness lives here too, so that every test gets it the same way and it
works over the driver protocol, which has no monitor events: the side that
speaks first sends with a bounded timeout, and its send is retried while its
peer is not yet there (:func:`send_when_routable`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from conformance.binding import ErrorCode, Frames, Socket, ZmqError
from conformance.harness.assertions import assert_message, receive
from conformance.harness.network import TIMEOUT_MS, Pair

DELIMITER = b""


def is_delimited(*types: str) -> bool:
    """Whether messages between peers of these types carry an empty delimiter."""
    return any(t in ("REQ", "REP") for t in types)


def application_frames(
    type: str, body: Sequence[bytes], *, delimited: bool, route: bytes | None = None
) -> Frames:
    """The frames a ``type`` application sends, or receives, to carry ``body``."""
    if type in ("REQ", "REP"):
        return list(body)
    wire = [DELIMITER, *body] if delimited else list(body)
    if type == "ROUTER":
        assert route is not None, "a ROUTER needs the routing id of its peer"
        return [route, *wire]
    return wire


def first_speakers(pair_types: tuple[str, str]) -> tuple[int, ...]:
    """Which ends (0: connector, 1: binder) may send the first message."""
    if "REQ" in pair_types:
        return (pair_types.index("REQ"),)
    if "DEALER" in pair_types and pair_types != ("DEALER", "DEALER"):
        return (pair_types.index("DEALER"),)
    return (0, 1)  # DEALER-DEALER, ROUTER-ROUTER


def send_when_routable(sock: Socket, frames: Frames, timeout_ms: int = TIMEOUT_MS) -> None:
    """Send ``frames``; from a ROUTER (with ROUTER_MANDATORY), once its peer is routable.

    Right after ``connect`` the peer's routing id is not known until the
    handshake ends; libzmq answers EHOSTUNREACH for a few milliseconds.
    Each try is a real send, so this waits on the condition itself.  The
    wait is the test's, like any other: once the test has spent its
    patience (it is failing), a peer that never becomes routable costs
    little more, on every example Hypothesis shrinks through.  (A REQ or
    DEALER that refuses at once for want of a peer is retried by every
    send: :meth:`~conformance.harness.trace.TracedSocket.send`.)
    """
    if sock.type != "ROUTER":
        sock.send(frames, timeout_ms)
        return
    patience = getattr(sock, "patience", None)
    if patience is not None:
        timeout_ms = patience.timeout_ms(timeout_ms)
    start = time.monotonic()
    deadline = start + timeout_ms / 1000
    while True:
        left_ms = max(0, round((deadline - time.monotonic()) * 1000))
        try:
            sock.send(frames, left_ms)
            return
        except ZmqError as exc:
            if exc.code != ErrorCode.EHOSTUNREACH or time.monotonic() >= deadline:
                if patience is not None and exc.code == ErrorCode.EHOSTUNREACH:
                    patience.charge(time.monotonic() - start)
                raise


POLL_SLICE_MS = 5
NOTHING_TO_RECEIVE = (ErrorCode.EAGAIN, ErrorCode.EFSM)


def receive_from_any(
    socks: Sequence[Socket], timeout_ms: int = TIMEOUT_MS
) -> tuple[int, Frames] | None:
    """The first message any of ``socks`` receives: (index, frames), or None.

    Where the binding can poll (:class:`~conformance.binding.PollableSocket`:
    the built-in binding, a driver of protocol 2) this waits on all of them
    at once and receives from the one that has a message; otherwise it takes
    turns with short bounded receives until the deadline.  A lone socket gets
    one receive with the whole timeout, so that a reproduction says "nothing
    arrived within 2000 ms" in one step rather than in hundreds of short
    polls.  ``EFSM`` counts as nothing to receive (a REQ that has not sent
    cannot receive).
    """
    patience = getattr(socks[0], "patience", None)
    if patience is not None:
        timeout_ms = patience.timeout_ms(timeout_ms)
    if len(socks) == 1:
        try:
            return 0, socks[0].recv(timeout_ms)
        except ZmqError as exc:
            if exc.code not in NOTHING_TO_RECEIVE:
                raise
            return None
    start = time.monotonic()
    deadline = start + timeout_ms / 1000
    arrival = _poll_then_receive(socks, deadline)
    if arrival is _CANNOT_POLL:
        arrival = _receive_in_turns(socks, deadline)
    if arrival is None and patience is not None and timeout_ms >= TIMEOUT_MS:
        patience.charge(time.monotonic() - start)
    return arrival


_CANNOT_POLL = object()


def try_receive(sock: Socket, timeout_ms: int) -> Frames | None:
    """What ``sock`` receives within ``timeout_ms``, or None (EAGAIN, or EFSM: nothing to take)."""
    try:
        return sock.recv(timeout_ms)
    except ZmqError as exc:
        if exc.code not in NOTHING_TO_RECEIVE:
            raise
    return None


def _poll_then_receive(socks: Sequence[Socket], deadline: float):
    """Wait on all of ``socks`` in one poll, then receive where a message is; _CANNOT_POLL."""
    inner = [getattr(sock, "inner", sock) for sock in socks]  # below the trace
    poll = getattr(inner[0], "poll", None)
    if poll is None:
        return _CANNOT_POLL
    first = True
    while True:
        remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
        try:
            ready = poll(inner[1:], remaining_ms)
        except ZmqError as exc:
            if first and exc.code == ErrorCode.ENOTSUP:
                return _CANNOT_POLL
            raise
        first = False
        if ready is None:
            break
        # A short bounded receive, as the polling by turns does: a socket can
        # show a message that its receive then discards (a faulty binding).
        frames = try_receive(socks[ready], POLL_SLICE_MS)
        if frames is not None:
            return ready, frames
        if time.monotonic() > deadline:
            break
    # Nothing within the deadline: one last look at each, which the
    # reproduction shows as one empty receive per socket.
    for index, sock in enumerate(socks):
        frames = try_receive(sock, 0)
        if frames is not None:
            return index, frames
    return None


def _receive_in_turns(socks: Sequence[Socket], deadline: float) -> tuple[int, Frames] | None:
    """Short bounded receives on each socket in turn until one gives a message or time is up."""
    wait_ms = 0  # first a non-blocking look at every socket, then short waits
    while True:
        for index, sock in enumerate(socks):
            frames = try_receive(sock, wait_ms)
            if frames is not None:
                return index, frames
        if time.monotonic() > deadline:
            return None
        wait_ms = POLL_SLICE_MS


def open_pair(network, case, **options):
    """A pair for ``case``; ROUTER-ROUTER pairs get explicit ids so either end can speak."""
    pairing = case.pairing
    if pairing.connects == pairing.binds == "ROUTER" and not options:
        connector, binder = router_router_options()
        options = {"connector_options": connector, "binder_options": binder}
    return network.pair(pairing.connects, pairing.binds, case.transport, **options)


def make_misrouting_visible(router: Socket) -> None:
    """Set ROUTER_MANDATORY where supported, so a bad route fails at once.

    Without it a misrouted message is dropped silently and the test can
    only notice by waiting for it in vain.
    """
    try:
        router.set("ROUTER_MANDATORY", True)
    except ZmqError as exc:
        if exc.code != ErrorCode.ENOTSUP:
            raise


ROUTER_IDS = (b"connector", b"binder")
"""Explicit routing ids a ROUTER-ROUTER pair uses, so either end can speak first."""


def router_router_options() -> tuple[dict, dict]:
    """Options for the connector and binder of a ROUTER-ROUTER pair."""
    return tuple({"ROUTING_ID": rid, "ROUTER_MANDATORY": True} for rid in ROUTER_IDS)


class Exchange:
    """Moves bodies across one pair in application terms, checking every arrival."""

    def __init__(self, pair: Pair) -> None:
        self.ends = (pair.connector, pair.binder)
        self.delimited = is_delimited(pair.connector.type, pair.binder.type)
        self._routes: dict[int, bytes] = {}
        if pair.connector.type == pair.binder.type == "ROUTER":
            self._routes = {0: ROUTER_IDS[1], 1: ROUTER_IDS[0]}
        for sock in self.ends:
            if sock.type == "ROUTER":
                make_misrouting_visible(sock)

    def send(self, end: int, body: Sequence[bytes]) -> None:
        """Send ``body`` from end ``end`` (0: connector, 1: binder) to the other."""
        sock = self.ends[end]
        frames = application_frames(
            sock.type, body, delimited=self.delimited, route=self._routes.get(end)
        )
        send_when_routable(sock, frames)

    def receive(self, end: int, body: Sequence[bytes]) -> None:
        """Receive at end ``end``; it must be exactly ``body`` in its envelope."""
        sock = self.ends[end]
        where = f"{sock.type} ({_END_NAMES[end]})"
        got = receive(sock, where)
        route = None
        if sock.type == "ROUTER":
            route = got[0] if got else None
            self.learn_route(end, route)
        expected = application_frames(sock.type, body, delimited=self.delimited, route=route)
        assert_message(got, expected, f"{where} received")

    def learn_route(self, end: int, route: bytes) -> None:
        """Tell a ROUTER end which routing id reaches its peer."""
        self._routes.setdefault(end, route)

    def transfer(self, sender: int, body: Sequence[bytes]) -> None:
        """Send ``body`` from ``sender`` and check that the other end gets it."""
        self.send(sender, body)
        self.receive(1 - sender, body)


_END_NAMES = ("connector", "binder")
