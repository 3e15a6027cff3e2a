"""Inter-broker routing: load-balancing brokers that lend each other their workers.

This is the worked example that ends chapter 3 of the guide.  Each broker
serves its own clients with its own workers, least recently used first, like
:class:`reference.lbbroker.LoadBalancer`; when all its workers are busy it
passes requests to a *peer* broker that has workers to spare.  Brokers talk to
each other in three flows:

``state``    Each broker publishes its *capacity* (what its ready local workers
             can take now) and subscribes to every peer's, so it knows what each
             peer can take.  The cloud capacity is the **sum** over the peers (the
             guide's example keeps only the last peer's number).  With the
             capacity go the requests the broker has taken from each peer, so
             that a peer can tell which of its own requests the capacity does not
             yet count (below).
``cloud``    Each broker binds a ROUTER for its peers' requests (*cloudfe*) and
             connects a ROUTER to every peer's (*cloudbe*).  Both carry the
             broker's name as routing id, so a broker addresses a peer by its
             name, and a peer's request arrives with the peer's name in front:
             the reply goes back the way it came by the same names.
``monitor``  Clients and workers push one-line reports to a PULL socket; the
             broker logs them (the guide prints them).

The sockets of one broker, by the guide's names::

    localfe  ROUTER  bind      local clients (REQ, or DEALER with a delimiter)
    localbe  ROUTER  bind      local workers (the READY protocol of lbbroker)
    cloudfe  ROUTER  bind      peers' cloudbe connect here          routing id = name
    cloudbe  ROUTER  connect   to every peer's cloudfe              routing id = name
    statebe  XPUB    bind      peers' statefe connect here
    statefe  SUB     connect   to every peer's statebe
    monitor  PULL    bind      clients and workers push reports

Wire formats (``A`` and ``B`` are broker names, ``c`` a client's routing id)::

    state                   [A, b'3', s, B, b'7', C, b'0'] capacity, A's session s, then
                                                           for every peer the requests
                                                           A has taken from it in s
                                                           (ASCII decimal; [A, b'3']
                                                           alone: a peer that counts none)
    worker <-> localbe      as lbbroker: [READY] once, then requests and replies
    A's client request      localfe receives [c, '', *body]
    A to peer B             cloudbe sends [B, c, '', *body]; B's cloudfe receives [A, c, '', *body]
    B to its worker         [wid, '', A, c, '', *body]     the worker echoes [A, c, '']
    B's worker replies      [wid, '', A, c, '', *reply]    A is a peer: B's cloudfe sends it
    A gets the reply        cloudbe receives [B, c, '', *reply]; localfe sends [c, '', *reply]

Routing.  A local client's request goes to a ready local worker if there is
one, else to the peer believed to have the most capacity; a peer's request
only ever goes to a local worker (never on to a third broker, so a request
cannot loop).  A sent request lowers our belief in that peer's capacity by
one, so a burst is spread over the peers instead of flooding the first; and
it stays lowered until a state message of the peer counts it as taken.  The
state and the requests travel on different connections, so a state message
the peer published before our request reached it can arrive after we sent
it: the guide's brokers then believe the peer has room it no longer has,
and send it a request that waits there while another peer's worker idles.
A peer's *session* is a token it draws when it starts: when it changes, the
peer restarted, and what we had sent the old one is lost, not in flight.

A frontend is read only while its requests can go somewhere: the rest wait
in libzmq's queues, not in this process.

What else this does that the guide's ``peering3`` does not:

- names are ``bytes`` everywhere (on Python 3 the guide compares ``str`` to
  ``bytes`` and routes nothing);
- the state socket is an XPUB that publishes at once to a new subscriber, so
  a peer that joins late learns our capacity without waiting for a change,
  plus a heartbeat every ``state_interval_s``; a peer not heard from for
  ``peer_timeout_s`` gets nothing more until it speaks again;
- a peer that cannot be reached (ROUTER_MANDATORY says EHOSTUNREACH) is
  believed to have no capacity, and the request goes elsewhere;
- every malformed message (on any of the seven sockets) is logged, counted
  in :attr:`~reference.service.Service.counters` and dropped, and a local
  client whose routing id is a peer's name is refused, since its replies
  would be sent to that peer;
- it starts, stops and never blocks without a deadline, like every
  :class:`~reference.service.Service`; :meth:`PeeringBroker.wait_until`
  lets a caller wait for the broker's view of the cluster to settle.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import zmq

from reference.envelope import Frames, routing_problem
from reference.frames import DEFAULT_LIMITS, Limits, drain, send_frames
from reference.lbbroker import DECLINED, READY_TAKEN, send_to_worker, take_worker_message
from reference.service import Service
from reference.sockets import ANY_TCP, bind
from reference.workerqueue import WorkerQueue

STATE_INTERVAL_S = 1.0
"""How often a broker publishes its capacity even when it has not changed."""

PEER_TIMEOUT_S = 3.0
"""How long a peer may stay silent on the state flow before it is given nothing."""

MAX_CAPACITY = 1_000_000
"""The largest capacity a state message may claim; anything above is garbage."""

MAX_DIGITS = 20
"""The longest count a state message may carry (a count of requests only grows)."""

_SUBSCRIBE, _UNSUBSCRIBE = 1, 0  # the first byte of what an XPUB receives from a SUB


@dataclass(frozen=True)
class Endpoints:
    """Where a broker's bound sockets really are (wildcard ports resolved)."""

    localfe: str
    localbe: str
    cloudfe: str
    statebe: str
    monitor: str


@dataclass(frozen=True)
class BrokerView:
    """What a broker knows at one moment; read it from any thread."""

    local: int
    """The capacity of the ready local workers."""
    peers: Mapping[bytes, int] = field(default_factory=dict)
    """For every live peer, the capacity we believe it has."""
    reports: tuple[str, ...] = ()
    """The latest monitor reports, oldest first."""
    counters: Mapping[str, int] = field(default_factory=dict)
    """What it dropped or lost so far, by reason (a copy of the broker's counters)."""

    @property
    def cloud(self) -> int:
        """The capacity of all live peers together."""
        return sum(self.peers.values())


@dataclass
class Peer:
    """What one broker knows about one of its peers."""

    name: bytes
    capacity: int = 0
    """What we believe the peer can take now: its last state, less what it had not yet taken."""
    session: bytes | None = None
    """The session token of the peer's last state message."""
    sent: int = 0
    """The requests we sent the peer in that session."""
    heard: float | None = None
    """When (``time.monotonic()``) its last state message came; None: never."""
    up: bool = False
    """Whether it was alive at the last look (to log when that changes)."""

    def alive(self, now: float, timeout_s: float) -> bool:
        return self.heard is not None and now - self.heard <= timeout_s


@dataclass(frozen=True)
class State:
    """A peer's state message: its capacity, and what it took from each of its peers."""

    name: bytes
    capacity: int
    session: bytes | None = None
    """None: a peer that counts nothing (the guide's ``[name, capacity]``)."""
    taken: Mapping[bytes, int] = field(default_factory=dict)

    def in_flight(self, sent: int, to: bytes) -> int:
        """Of ``sent`` requests from broker ``to`` in this session, those not yet taken."""
        return 0 if self.session is None else max(0, sent - self.taken.get(to, 0))


def _count(frame: bytes, limit: int) -> int | None:
    if not frame.isdigit() or len(frame) > MAX_DIGITS or int(frame) > limit:
        return None
    return int(frame)


def parse_state(frames: Frames) -> State | None:
    """The :class:`State` in ``[name, b'12']`` or ``[name, b'12', session, peer, b'3', ...]``.

    None if it is malformed in any way: a peer's garbage never changes our beliefs.
    """
    parts = [frame.bytes for frame in frames]
    if len(parts) < 2 or (len(parts) > 2 and len(parts) % 2 == 0):
        return None
    name, capacity = parts[0], _count(parts[1], MAX_CAPACITY)
    if not name or capacity is None:
        return None
    if len(parts) == 2:
        return State(name, capacity)
    session, pairs = parts[2], parts[3:]
    peers, counts = pairs[0::2], [_count(count, 10**MAX_DIGITS) for count in pairs[1::2]]
    if not session or not all(peers) or None in counts or len(set(peers)) != len(peers):
        return None
    return State(name, capacity, session, dict(zip(peers, counts)))


class PeeringBroker(Service):
    """One broker of a peering cluster: local load balancing, with peers as overflow.

    Make it, :meth:`connect_peer` every other broker (its :attr:`endpoints`),
    then :meth:`start` it; or use it as a context manager after connecting.
    """

    REPORTS_KEPT = 16

    def __init__(
        self,
        name: bytes,
        *,
        localfe: str = ANY_TCP,
        localbe: str = ANY_TCP,
        cloudfe: str = ANY_TCP,
        statebe: str = ANY_TCP,
        monitor: str = ANY_TCP,
        context: zmq.Context | None = None,
        limits: Limits = DEFAULT_LIMITS,
        state_interval_s: float = STATE_INTERVAL_S,
        peer_timeout_s: float = PEER_TIMEOUT_S,
        max_credits: int = 256,
        batch: int = 64,
    ) -> None:
        if not isinstance(name, bytes) or not name:
            raise ValueError(f"a broker's name is non-empty bytes, not {name!r}")
        super().__init__(f"broker {name.decode('utf-8', 'replace')}", context)
        self.name_bytes = name
        self._wanted = Endpoints(localfe, localbe, cloudfe, statebe, monitor)
        self.endpoints: Endpoints | None = None
        self.limits = limits
        self.state_interval_s = state_interval_s
        self.peer_timeout_s = peer_timeout_s
        self.batch = batch
        self.workers = WorkerQueue(max_credits)
        self.peers: dict[bytes, Peer] = {}
        self._for_any: deque[Frames] = deque()  # local clients' requests that could not go yet
        self._for_local: deque[Frames] = deque()  # peers' requests that could not go yet
        self.session = os.urandom(8).hex().encode()
        self.taken: Counter[bytes] = Counter()  # requests each peer sent us this session
        self._published: tuple[int, int] | None = None  # (capacity, taken) peers last heard
        self._reports: deque[str] = deque(maxlen=self.REPORTS_KEPT)
        self._view = BrokerView(0)

    # -- setting up -----------------------------------------------------------

    def setup(self) -> None:
        name, wanted = self.name_bytes, self._wanted
        # Credits stay below the high water mark, so a send to a live worker never hits it.
        hwm = max(1000, 2 * self.workers.max_credits)
        self.localfe = self.socket(zmq.ROUTER, hwm=hwm)
        self.localbe = self.socket(zmq.ROUTER, hwm=hwm)
        self.cloudfe = self.socket(zmq.ROUTER, routing_id=name, hwm=hwm)
        self.cloudbe = self.socket(zmq.ROUTER, routing_id=name, hwm=hwm)
        self.statebe = self.socket(zmq.XPUB)
        self.statebe.xpub_verbose = 1  # every new subscriber, not just the first, is told
        self.statefe = self.socket(zmq.SUB, subscribe=(b"",))
        self.monitor = self.socket(zmq.PULL)
        self.endpoints = Endpoints(
            localfe=bind(self.localfe, wanted.localfe),
            localbe=bind(self.localbe, wanted.localbe),
            cloudfe=bind(self.cloudfe, wanted.cloudfe),
            statebe=bind(self.statebe, wanted.statebe),
            monitor=bind(self.monitor, wanted.monitor),
        )
        reactor = self.reactor
        reactor.add_reader(self.localbe, self._on_localbe)
        reactor.add_reader(self.cloudbe, self._on_cloudbe)
        reactor.add_reader(self.statefe, self._on_statefe)
        reactor.add_reader(self.statebe, self._on_statebe)
        reactor.add_reader(self.monitor, self._on_monitor)
        reactor.add_reader(self.cloudfe, self._on_cloudfe)
        reactor.add_reader(self.localfe, self._on_localfe)
        reactor.pause(self.cloudfe)  # until a worker is ready
        reactor.pause(self.localfe)  # until a worker or a peer is ready
        reactor.call_every(self.state_interval_s, self._on_heartbeat)

    def connect_peer(self, name: bytes, cloudfe: str, statebe: str) -> None:
        """Add a peer broker, by its name and its cloudfe and statebe endpoints.

        Peers are connected before :meth:`start`: the sockets belong to the
        broker's thread once it runs.
        """
        if self.running:
            raise RuntimeError(f"{self!r} is running: connect peers before start()")
        if not isinstance(name, bytes) or not name or name == self.name_bytes:
            raise ValueError(f"a peer's name is non-empty bytes other than ours, not {name!r}")
        if name in self.peers:
            raise ValueError(f"{name!r} is already a peer")
        self.bind()
        self.cloudbe.connect(cloudfe)
        self.statefe.connect(statebe)
        self.peers[name] = Peer(name)

    # -- what it knows --------------------------------------------------------

    @property
    def view(self) -> BrokerView:
        """The broker's latest view of itself and its peers."""
        return self._view

    def wait_until(self, predicate: Callable[[BrokerView], bool], timeout_s: float) -> BrokerView:
        """Wait until ``predicate(view)`` holds and return that view, or raise TimeoutError."""
        seen: list[BrokerView] = []

        def holds() -> bool:
            view = self._view
            if predicate(view):
                seen.append(view)
                return True
            return False

        try:
            self.wait_for(holds, timeout_s)
        except TimeoutError:
            raise TimeoutError(f"{self!r}: still {self._view} after {timeout_s} s") from None
        return seen[-1]

    # -- local clients --------------------------------------------------------

    def _on_localfe(self) -> None:
        limits, peers = self.limits, self.peers
        # Read no more than can be sent on: the rest waits in libzmq's queue.
        room = 0 if self._for_any else self.workers.capacity + self._cloud_capacity()
        for frames in drain(self.localfe, min(self.batch, room)):  # [client, '', *body]
            problem = routing_problem(frames) or limits.violation(frames)
            if problem is not None:
                self.drop(problem, frames)
            elif frames[0].bytes in peers:
                self.drop("a client uses a peer's name", frames)
            elif not self._to_worker(frames) and not self._to_peer(frames):
                self._for_any.append(frames)
        self._after_change()

    # -- peers' requests ------------------------------------------------------

    def _on_cloudfe(self) -> None:
        limits, peers = self.limits, self.peers
        room = 0 if self._for_local else self.workers.capacity
        for frames in drain(self.cloudfe, min(self.batch, room)):  # [peer, client, '', *body]
            problem = routing_problem(frames, 1) or limits.violation(frames)
            if frames[0].bytes not in peers:
                self.drop("a request from an unknown peer", frames)
                continue
            self.taken[frames[0].bytes] += 1  # it counts against its sender's in-flight ones
            if problem is not None:
                self.drop(f"a peer's request: {problem}", frames)
            elif not self._to_worker(frames):
                self._for_local.append(frames)
        self._after_change()

    # -- local workers --------------------------------------------------------

    def _on_localbe(self) -> None:
        """READY, replies and declines from workers: the worker protocol of lbbroker.

        A message from a worker that owes a reply counts as its answer even
        when it is malformed (and is dropped), so a confused worker keeps
        its credit; an envelope with no body is a worker declining.
        """
        limits, workers = self.limits, self.workers
        for frames in drain(self.localbe, self.batch):  # [wid, '', address, ..., '', *reply]
            problem = take_worker_message(frames, workers, limits)
            if problem is None:
                self._reply(frames[2:])
            elif problem == DECLINED:
                self.counters[DECLINED] += 1
            elif problem != READY_TAKEN:
                self.drop(problem, frames)
        self._after_change()

    def _reply(self, frames: Frames) -> None:
        """Send a worker's reply ``[address, ..., '', *reply]`` back where the request came from.

        The first address is a peer's name if a peer sent the request, else
        a local client's id.  A reply that cannot go is dropped and counted
        as lbbroker's are ("client gone", "peer not reading", ...).
        """
        if frames[0].bytes in self.peers:
            self.send_or_drop(self.cloudfe, frames, "peer")
        else:
            self.send_or_drop(self.localfe, frames)

    # -- peers' replies -------------------------------------------------------

    def _on_cloudbe(self) -> None:
        localfe, limits, peers = self.localfe, self.limits, self.peers
        for frames in drain(self.cloudbe, self.batch):  # [peer, client, '', *reply]
            problem = routing_problem(frames, 1) or limits.violation(frames)
            if frames[0].bytes not in peers:
                self.drop("a reply from an unknown peer", frames)
            elif problem is not None:
                self.drop(f"a peer's reply: {problem}", frames)
            else:
                self.send_or_drop(localfe, frames[1:])
        self._after_change()

    # -- state flow -----------------------------------------------------------

    def _on_statefe(self) -> None:
        peers, me = self.peers, self.name_bytes
        for frames in drain(self.statefe, self.batch):  # [name, capacity, session, *counts]
            state = parse_state(frames)
            peer = peers.get(state.name) if state is not None else None
            if state is None:
                self.drop("a state message that is not [name, capacity, ...]", frames)
            elif peer is None:
                self.drop("a state message from an unknown peer", frames)
            else:
                if not peer.up:
                    peer.up = True
                    self.log.info("%s: peer %r is up", self.name, peer.name)
                if state.session != peer.session:  # it restarted: what we sent is lost
                    peer.session, peer.sent = state.session, state.taken.get(me, 0)
                in_flight = state.in_flight(peer.sent, me)
                peer.capacity, peer.heard = max(0, state.capacity - in_flight), time.monotonic()
        self._after_change()

    def _on_statebe(self) -> None:
        """A peer subscribed: tell it our capacity now rather than at the next heartbeat."""
        subscribed = False
        for frames in drain(self.statebe, self.batch):
            kind = frames[0].bytes[0] if len(frames) == 1 and len(frames[0]) else None
            if kind == _SUBSCRIBE:
                subscribed = True
            elif kind != _UNSUBSCRIBE:
                self.drop("a message to the state publisher that is not a subscription", frames)
        if subscribed:
            self._publish_state()
        self._show_view()

    def _publish_state(self) -> None:
        capacity, taken = self.workers.capacity, self.taken
        counts = [part for peer in self.peers for part in (peer, b"%d" % taken[peer])]
        state = [self.name_bytes, b"%d" % capacity, self.session, *counts]
        try:  # an XPUB never blocks: at its high water mark it drops, which a heartbeat mends
            self.statebe.send_multipart(state, zmq.NOBLOCK)
        except zmq.ZMQError as error:
            self.counters[f"state not published ({error.strerror})"] += 1
        self._published = (capacity, sum(taken.values()))

    def _on_heartbeat(self) -> None:
        self._publish_state()
        now = time.monotonic()
        for peer in self.peers.values():
            if peer.up and not peer.alive(now, self.peer_timeout_s):
                peer.up = False
                peer.capacity = 0
                self.log.warning(
                    "%s: peer %r silent for over %s s; sending it nothing",
                    self.name,
                    peer.name,
                    self.peer_timeout_s,
                )
        self._after_change()

    # -- monitor flow ---------------------------------------------------------

    def _on_monitor(self) -> None:
        limits = self.limits
        for frames in drain(self.monitor, self.batch):
            problem = limits.violation(frames)
            if problem is not None:
                self.drop(f"a monitor report: {problem}", frames)
                continue
            text = " ".join(frame.bytes.decode("utf-8", "replace") for frame in frames)
            text = text if len(text) <= 200 else text[:200] + "..."
            self.log.info("%s monitor: %s", self.name, text)
            self._reports.append(text)
        self._after_change()

    # -- routing --------------------------------------------------------------

    def _to_worker(self, frames: Frames) -> bool:
        """Send a request to the least recently used local worker; False if none took it.

        lbbroker's rule (:func:`~reference.lbbroker.send_to_worker`): a
        worker gone or not reading is counted and the next one tried.
        """
        return send_to_worker(self, self.localbe, self.workers, frames)

    def _to_peer(self, frames: Frames) -> bool:
        """Send a local client's request to the live peer with the most capacity."""
        while True:
            peer = self._roomiest_peer()
            if peer is None:
                return False
            try:
                send_frames(self.cloudbe, frames, (peer.name,))
            except zmq.ZMQError as error:
                self.counters["peer unreachable"] += 1
                self.log.warning(
                    "%s: peer %r unreachable (%s)", self.name, peer.name, error.strerror
                )
                peer.capacity = 0  # until it tells us otherwise
                continue
            peer.capacity -= 1
            peer.sent += 1
            return True

    def _roomiest_peer(self) -> Peer | None:
        now, timeout_s = time.monotonic(), self.peer_timeout_s
        best = None
        for peer in self.peers.values():
            roomier = best is None or peer.capacity > best.capacity
            if peer.capacity > 0 and roomier and peer.alive(now, timeout_s):
                best = peer
        return best

    def _cloud_capacity(self) -> int:
        now, timeout_s = time.monotonic(), self.peer_timeout_s
        return sum(p.capacity for p in self.peers.values() if p.alive(now, timeout_s))

    def _can_take_any(self) -> bool:
        return bool(self.workers) or self._roomiest_peer() is not None

    def _after_change(self) -> None:
        """After any event: send what waits, tell peers, read only what can go, show the view."""
        for_local, for_any = self._for_local, self._for_any
        while for_local and self._to_worker(for_local[0]):
            for_local.popleft()
        while for_any and (self._to_worker(for_any[0]) or self._to_peer(for_any[0])):
            for_any.popleft()
        if (self.workers.capacity, sum(self.taken.values())) != self._published:
            self._publish_state()
        reactor = self.reactor
        if self.workers:
            reactor.resume(self.cloudfe)
        else:
            reactor.pause(self.cloudfe)
        if self._can_take_any():
            reactor.resume(self.localfe)
        else:
            reactor.pause(self.localfe)
        self._show_view()

    def _show_view(self) -> None:
        now, timeout_s = time.monotonic(), self.peer_timeout_s
        view = BrokerView(
            local=self.workers.capacity,
            peers={p.name: p.capacity for p in self.peers.values() if p.alive(now, timeout_s)},
            reports=tuple(self._reports),
            counters=dict(self.counters),
        )
        if view != self._view:
            self._view = view  # read by wait_until's callers, in their own threads
