"""The load-balancing broker: requests go to the worker that has waited longest.

Clients (REQ, or DEALER sending REQ-style envelopes) connect to the *frontend*
ROUTER; workers connect to the *backend* ROUTER and say READY.  The broker
keeps the ready workers in a least-recently-used queue and polls the frontend
only while that queue is not empty, so a request is read only when it can be
handed on and every other request waits in libzmq's queue.

Wire format, as the backend ROUTER sees it (``wid`` is the worker's routing id)::

    worker -> broker   [wid, '', READY]                  one credit (REQ or DEALER worker)
                       [wid, '', READY, b'8']            eight credits (DEALER worker)
    broker -> worker   [wid, '', client, '', *body]      the frontend message, wrapped
    worker -> broker   [wid, '', client, '', *reply]     wrapped the same way

A REQ worker produces and consumes exactly that (its socket adds and strips
the first delimiter); a DEALER worker does it by hand (the chapter's second
variant), and may announce several credits so that requests queue at the
worker, not behind a round trip to the broker (the credit-based variant).
A READY has no second delimiter and a reply always has one, so the two are
told apart by shape and no client id can be mistaken for READY.

Nothing is parsed that is only forwarded: the broker receives frames as
``zmq.Frame`` and sends the same objects on, and drains each socket in
batches between polls.  A malformed message (no delimiter, no body, too
large, a reply from a worker that owes none) is logged, counted in
:attr:`~reference.service.Service.counters` and dropped.  A worker that has
gone is noticed when a request to it fails (ROUTER_MANDATORY), forgotten, and
the request goes to the next worker.
"""

from __future__ import annotations

from collections import deque

import zmq

from reference.envelope import DELIMITER, Frames, routing_problem
from reference.frames import DEFAULT_LIMITS, Limits, recv_frames, send_frames
from reference.service import Service
from reference.sockets import ANY_TCP, bind
from reference.workerqueue import WorkerQueue

READY = b"READY"
"""The signal a worker sends when it joins, optionally followed by a credit count."""

_EVENTS = zmq.EVENTS
_POLLIN = zmq.POLLIN


def parse_ready(frames: Frames, max_credits: int) -> int | None:
    """The credits a backend message ``['', READY]`` or ``['', READY, n]`` announces, or None."""
    if len(frames) not in (2, 3) or frames[1].bytes != READY:
        return None
    if len(frames) == 2:
        return 1
    try:
        credits = int(frames[2].bytes)
    except ValueError:
        return None
    return credits if 1 <= credits <= max_credits else None


class LoadBalancer(Service):
    """A ROUTER-ROUTER broker with a least-recently-used queue of ready workers."""

    def __init__(
        self,
        frontend: str = ANY_TCP,
        backend: str = ANY_TCP,
        *,
        context: zmq.Context | None = None,
        limits: Limits = DEFAULT_LIMITS,
        max_credits: int = 256,
        batch: int = 64,
        name: str = "lbbroker",
    ) -> None:
        super().__init__(name, context)
        self.frontend_endpoint = frontend
        self.backend_endpoint = backend
        self.limits = limits
        self.batch = batch
        self.workers = WorkerQueue(max_credits)
        self._waiting: deque[Frames] = deque()  # requests whose worker vanished

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
        backend, frontend, workers = self.backend, self.frontend, self.workers
        for _ in range(self.batch):
            if not backend.get(_EVENTS) & _POLLIN:
                break
            worker = backend.recv(zmq.NOBLOCK)
            frames = recv_frames(backend)
            if len(frames[0]):
                self.drop("no delimiter", [worker, *frames])
                continue
            problem = routing_problem(frames, 1) or self.limits.violation(frames)
            if problem is None:
                if not workers.done(worker):
                    self.drop("reply from unknown worker", [worker, *frames])
                    continue
                try:
                    send_frames(frontend, frames[1:])
                except zmq.ZMQError as error:
                    self.drop(f"client unreachable ({error.strerror})", frames[1:])
                continue
            credits = parse_ready(frames, workers.max_credits)
            if credits is None:
                self.drop(problem, [worker, *frames])
            elif not workers.ready(worker, credits):
                self.drop("credits over the limit", [worker, *frames])
        self._dispatch_waiting()
        if workers:
            self.reactor.resume(frontend)

    # -- clients --------------------------------------------------------------

    def _on_frontend(self) -> None:
        frontend, workers, limits = self.frontend, self.workers, self.limits
        for _ in range(self.batch):
            if not workers or not frontend.get(_EVENTS) & _POLLIN:
                break
            frames = recv_frames(frontend)
            problem = routing_problem(frames) or limits.violation(frames)
            if problem is not None:
                self.drop(problem, frames)
            elif not self._dispatch(frames):
                self._waiting.append(frames)
        if not workers:
            self.reactor.pause(frontend)

    def _dispatch(self, frames: Frames) -> bool:
        """Send a request to the least recently used worker; False if no worker took it."""
        workers = self.workers
        while workers:
            worker = workers.take()
            try:
                send_frames(self.backend, frames, (worker, DELIMITER))
                return True
            except zmq.ZMQError as error:
                lost = workers.remove(worker)
                self.counters["workers gone"] += 1
                self.log.warning(
                    "%s: worker %r is gone (%s); %d request(s) lost with it",
                    self.name,
                    worker,
                    error.strerror,
                    lost - 1,
                )
        return False

    def _dispatch_waiting(self) -> None:
        waiting = self._waiting
        while waiting and self._dispatch(waiting[0]):
            waiting.popleft()
