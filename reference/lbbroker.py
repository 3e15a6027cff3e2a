"""The load-balancing broker: requests go to the worker that has waited longest.

Clients (REQ, or DEALER sending REQ-style envelopes) connect to the *frontend*
ROUTER; workers connect to the *backend* ROUTER and say READY.  The broker
keeps the ready workers in a least-recently-used queue
(:class:`~reference.workerqueue.WorkerQueue`) and reads the frontend only
while some worker has a free credit, and never more requests than there are
free credits: a request is read only when it can be handed on, and every
other request waits in libzmq's queue, not in the broker's memory.

Wire format, as the backend ROUTER sees it (``wid`` is the worker's routing id)::

    worker -> broker   [wid, '', READY]                  one credit (REQ or DEALER worker)
                       [wid, '', READY, b'8']            eight credits (DEALER worker)
    broker -> worker   [wid, '', client, '', *body]      the frontend message, wrapped
    worker -> broker   [wid, '', client, '', *reply]     wrapped the same way
                       [wid, '', client, '']             declined: no reply, credit back

A REQ worker produces and consumes exactly that (its socket adds and strips
the first delimiter); a DEALER worker does it by hand (the chapter's second
variant), and may announce several credits so that requests queue at the
worker, not behind a round trip to the broker (the credit-based variant).
A READY has no second delimiter and a reply always has one, so the two are
told apart by shape and no client id can be mistaken for READY.  READY may
come again to add credits; a worker never holds more than ``max_credits``.
A worker that cannot answer (its handler failed) *declines*: it sends the
envelope with no body, and gets its credit back without the client hearing
anything, which is what the client would see if the worker had died.

Why it is fast (see ``benchmarks/brokers``): nothing is parsed that is only
forwarded (frames are received as ``zmq.Frame`` and the same objects sent
on); each readable socket is drained in one go (up to ``batch`` messages)
and only then are the messages sent on, in a tight loop, so that libzmq's
I/O thread finds several messages per wake-up and writes them with one
system call; and there is one poll per batch, not per message.

What it refuses, logged and counted in
:attr:`~reference.service.Service.counters` by reason, while it goes on
serving: a request without delimiter or body, a message over ``limits``, a
worker message that is neither READY nor a reply, a reply from a worker that
owes none.  A message from a worker that owes a reply counts as its answer
even if it is malformed, so a confused worker is not lost for good.  A worker
that has gone is noticed when a request to it fails (ROUTER_MANDATORY),
forgotten, and the request goes to the next worker.  A reply to a client
that has gone, or that does not read its replies, is dropped and counted.

What it cannot do, by design of the chapter's pattern: notice a worker that
dies while it holds requests.  Those requests are lost and their clients
must time out; heartbeats and retries are the next chapter's reliable
patterns.
"""

from __future__ import annotations

import errno
from collections import deque

import zmq

from reference.envelope import DELIMITER, Frames, delimiter_index, routing_problem
from reference.frames import DEFAULT_LIMITS, Limits, drain, send_frames
from reference.service import Service
from reference.sockets import ANY_TCP, bind
from reference.workerqueue import WorkerQueue

READY = b"READY"
"""The signal a worker sends when it joins, optionally followed by a credit count."""


def parse_ready(frames: Frames, max_credits: int) -> int | None:
    """The credits a backend message ``['', READY]`` or ``['', READY, n]`` announces, or None."""
    if len(frames) not in (2, 3) or len(frames[0]) or bytes(frames[1]) != READY:
        return None
    if len(frames) == 2:
        return 1
    digits = bytes(frames[2])
    if not digits.isdigit() or len(digits) > 9:
        return None
    credits = int(digits)
    return credits if 1 <= credits <= max_credits else None


def is_declined(frames: Frames, start: int = 0) -> bool:
    """Whether ``frames[start:]`` is ``[address, ..., '']``: an envelope with no reply.

    A worker that cannot answer a request sends that, so that the broker
    gives its credit back; the client gets nothing, as when a worker dies.
    """
    last = len(frames) - 1
    return last > start and len(frames[start]) > 0 and delimiter_index(frames, start) == last


READY_TAKEN = "ready"
DECLINED = "declined"


def take_worker_message(frames: Frames, workers: WorkerQueue, limits: Limits) -> str | None:
    """Apply a backend message ``[wid, '', ...]`` to ``workers``, and say what it was.

    The worker protocol in one place, for every broker that speaks it.
    Returns None for a reply to send on (``frames[2:]`` is
    ``[client, ..., '', *reply]``; the worker has its credit back),
    :data:`READY_TAKEN` for a READY whose credits were registered,
    :data:`DECLINED` for a worker declining (its credit is back), and
    otherwise why the message must be dropped.  A message from a worker that
    owes a reply counts as its answer even when it is malformed.
    """
    worker = bytes(frames[0])
    if len(frames) < 2 or len(frames[1]):
        problem: str | None = "no delimiter"
    else:
        problem = routing_problem(frames, 2) or limits.violation(frames)
    if problem is None:
        return None if workers.done(worker) else "reply from a worker that owes none"
    credits = parse_ready(frames[1:], workers.max_credits)
    if credits is not None:
        return READY_TAKEN if workers.ready(worker, credits) else "credits over the limit"
    if not workers.done(worker):
        whose = "a worker that owes none" if worker in workers else "an unknown worker"
        return f"message from {whose} ({problem})"
    return DECLINED if is_declined(frames, 2) else f"malformed reply ({problem})"


def send_to_worker(
    broker: Service, backend: zmq.Socket, workers: WorkerQueue, frames: Frames
) -> bool:
    """Send a request to the least recently used worker on ``backend``; False if none took it.

    The other half of the worker protocol, also in one place for every
    broker that speaks it.  The backend is ROUTER_MANDATORY, so a request
    that cannot be delivered raises on its first frame, before anything
    went out, and can go to the next worker instead: a worker that has gone
    (EHOSTUNREACH) is forgotten, and one whose queue is full (EAGAIN: it
    does not read) is given nothing more until it answers.  Both are
    counted on ``broker`` as "worker gone" and "worker not reading", the
    names :meth:`~reference.service.Service.send_or_drop` gives the same
    events on the way back.
    """
    while workers:
        worker = workers.take()
        try:
            send_frames(backend, frames, (worker, DELIMITER))
            return True
        except zmq.ZMQError as error:
            workers.stall(worker)  # the request was not sent
            if error.errno == errno.EAGAIN:
                broker.count("worker not reading", f": held back until it answers ({worker!r})")
            elif error.errno == errno.EHOSTUNREACH:
                lost = workers.remove(worker)
                broker.count("worker gone", f": {worker!r}, {lost} request(s) lost with it")
            else:
                raise
    return False


class LoadBalancer(Service):
    """A ROUTER-ROUTER broker with a least-recently-used queue of ready workers.

    ``frontend`` and ``backend`` are the endpoints to bind (after
    :meth:`bind` or :meth:`start` they hold the endpoints really bound, so a
    ``tcp://127.0.0.1:*`` becomes a port).  ``batch`` caps the messages read
    from one socket before the other gets its turn.
    """

    def __init__(
        self,
        frontend: str = ANY_TCP,
        backend: str = ANY_TCP,
        *,
        context: zmq.Context | None = None,
        limits: Limits = DEFAULT_LIMITS,
        max_credits: int = 256,
        batch: int = 256,
        name: str = "lbbroker",
    ) -> None:
        super().__init__(name, context)
        self.frontend_endpoint = frontend
        self.backend_endpoint = backend
        self.limits = limits
        self.batch = batch
        self.workers = WorkerQueue(max_credits)
        self._waiting: deque[Frames] = deque()  # requests read, whose worker turned out gone

    def setup(self) -> None:
        # Credits stay below the high water mark, so a send to a live worker never hits it.
        hwm = max(1000, 2 * self.workers.max_credits)
        self.frontend = self.socket(zmq.ROUTER, hwm=hwm)
        self.backend = self.socket(zmq.ROUTER, hwm=hwm)
        self.frontend_endpoint = bind(self.frontend, self.frontend_endpoint)
        self.backend_endpoint = bind(self.backend, self.backend_endpoint)
        self.reactor.add_reader(self.backend, self._on_backend)
        self.reactor.add_reader(self.frontend, self._on_frontend)
        self.reactor.pause(self.frontend)  # until a worker is ready

    # -- workers --------------------------------------------------------------

    def _on_backend(self) -> None:
        workers, limits = self.workers, self.limits
        replies: list[Frames] = []
        for frames in drain(self.backend, self.batch):  # [wid, '', client, ..., '', *reply]
            problem = take_worker_message(frames, workers, limits)
            if problem is None:
                replies.append(frames[2:])
            elif problem == DECLINED:
                self.counters[DECLINED] += 1
            elif problem != READY_TAKEN:
                self.drop(problem, frames)
        self._reply(replies)
        if self._waiting:
            self._dispatch_waiting()
        if workers:
            self.reactor.resume(self.frontend)

    def _reply(self, replies: list[Frames]) -> None:
        frontend, send_or_drop = self.frontend, self.send_or_drop
        for frames in replies:
            send_or_drop(frontend, frames)

    # -- clients --------------------------------------------------------------

    def _on_frontend(self) -> None:
        workers, limits = self.workers, self.limits
        requests: list[Frames] = []
        for frames in drain(self.frontend, min(self.batch, workers.capacity)):
            problem = routing_problem(frames) or limits.violation(frames)
            if problem is None:
                requests.append(frames)  # [client, ..., '', *body]
            else:
                self.drop(problem, frames)
        backend = self.backend
        for frames in requests:
            if not send_to_worker(self, backend, workers, frames):
                self._waiting.append(frames)
        if not workers:
            self.reactor.pause(self.frontend)

    def _dispatch_waiting(self) -> None:
        waiting, backend, workers = self._waiting, self.backend, self.workers
        while waiting and send_to_worker(self, backend, workers, waiting[0]):
            waiting.popleft()
