"""The asynchronous client/server: DEALER clients, a ROUTER frontend, DEALER workers.

Clients talk to the server whenever they like and get 0..N replies per
request, whenever the server likes.  The :class:`AsyncServer` is the
chapter's ``asyncsrv`` broker: a ROUTER frontend for the clients and a
DEALER backend that deals requests round-robin to the connected
:class:`AsyncWorker` s::

    client  -> frontend   [*body]                 (the client's DEALER sends the body)
    server  -> worker     [client, *body]          (the ROUTER put the client's id in front)
    worker  -> server     [client, *reply]         (once per reply, 0..N times)
    server  -> client     [*reply]                 (the ROUTER routes on the first frame)

The client's id is the whole envelope: a worker keeps it and puts it in
front of every reply, and the frontend ROUTER, which has ROUTER_MANDATORY
set, delivers the reply to that client or raises, so a reply never reaches
another client.  A reply to a client that has gone, or that does not read,
is dropped and counted.

Requests are read only while the backend can take them: when no worker is
connected, or every worker's queue is full, the frontend is paused and the
requests already read wait (in order) until the backend is writable.
Malformed messages (a reply with no client id or no body, anything over
``limits``) are logged, counted in :attr:`~reference.service.Service.counters`
and dropped; the server goes on.  Each socket is drained in batches, and
frames are forwarded as received (``zmq.Frame``, no copy).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import zmq

from reference.envelope import Frames
from reference.frames import DEFAULT_LIMITS, NOBLOCK, Limits, drain, send_frames
from reference.service import Service
from reference.sockets import ANY_TCP, bind

AsyncHandler = Callable[[list[bytes]], Iterable[list[bytes]]]
"""A request body in, any number of reply bodies out (each one frame or more)."""


def echo_once(body: list[bytes]) -> Iterable[list[bytes]]:
    """The handler that answers each request once, with its own body."""
    return (body,)


class AsyncServer(Service):
    """A ROUTER frontend for DEALER clients, a DEALER backend for workers, forwarding both ways."""

    def __init__(
        self,
        frontend: str = ANY_TCP,
        backend: str = ANY_TCP,
        *,
        context: zmq.Context | None = None,
        limits: Limits = DEFAULT_LIMITS,
        batch: int = 256,
        name: str = "asyncsrv",
    ) -> None:
        super().__init__(name, context)
        self.frontend_endpoint = frontend
        self.backend_endpoint = backend
        self.limits = limits
        self.batch = batch
        self._pending: deque[Frames] = deque()  # requests read that the backend would not take yet

    def setup(self) -> None:
        self.frontend = self.socket(zmq.ROUTER)
        self.backend = self.socket(zmq.DEALER)
        self.frontend_endpoint = bind(self.frontend, self.frontend_endpoint)
        self.backend_endpoint = bind(self.backend, self.backend_endpoint)
        self.reactor.add_reader(self.frontend, self._on_frontend)
        self.reactor.add_reader(self.backend, self._on_backend)

    # -- requests -------------------------------------------------------------

    def _on_frontend(self) -> None:
        limits, pending = self.limits, self._pending
        for frames in drain(self.frontend, self.batch):  # [client, *body]
            problem = limits.violation(frames)
            if problem is None:
                pending.append(frames)
            else:
                self.drop(problem, frames)
        self._flush()

    def _flush(self) -> None:
        """Send the pending requests to the workers, until the backend will take no more."""
        backend, pending = self.backend, self._pending
        while pending:
            try:
                send_frames(backend, pending[0])
            except zmq.Again:
                # No worker, or every worker's queue is full: wait until one has room.
                self.reactor.pause(self.frontend)
                self.reactor.add_writer(backend, self._flush)
                return
            pending.popleft()
        self.reactor.remove_writer(backend)
        self.reactor.resume(self.frontend)

    # -- replies --------------------------------------------------------------

    def _on_backend(self) -> None:
        limits = self.limits
        for frames in drain(self.backend, self.batch):  # [client, *reply]
            if len(frames) < 2:
                problem: str | None = "reply without client id or body"
            elif not len(frames[0]):
                problem = "empty client id"
            else:
                problem = limits.violation(frames)
            if problem is None:
                self._reply(frames)
            else:
                self.drop(problem, frames)

    def _reply(self, frames: Frames) -> None:
        """Send ``[client, *reply]`` to the client, or drop it if the client cannot take it."""
        self.send_or_drop(self.frontend, frames)


class AsyncWorker(Service):
    """A DEALER worker for :class:`AsyncServer`; ``handler(body)`` gives 0..N replies."""

    def __init__(
        self,
        backend: str,
        handler: AsyncHandler = echo_once,
        *,
        context: zmq.Context | None = None,
        batch: int = 256,
        name: str = "asyncworker",
    ) -> None:
        super().__init__(name, context)
        self.backend_endpoint = backend
        self.handler = handler
        self.batch = batch
        self.handled = 0
        """Requests handled so far."""
        self.replies = 0
        """Replies sent so far."""

    def setup(self) -> None:
        self.peer = self.socket(zmq.DEALER)
        self.peer.connect(self.backend_endpoint)
        self.reactor.add_reader(self.peer, self._on_request)

    def _on_request(self) -> None:
        peer = self.peer
        for _ in range(self.batch):
            try:
                frames = peer.recv_multipart(NOBLOCK)
            except zmq.Again:
                return
            if len(frames) < 2:
                self.drop("request without client id or body", frames)
                continue
            client, body = frames[0], frames[1:]
            try:
                replies = [list(reply) for reply in self.handler(body)]
                if not all(replies):
                    raise ValueError("the handler returned a reply with no frames")
            except Exception:
                self.count("handler failed", f" on {len(body)} frame(s)", exc_info=True)
                continue
            self.handled += 1  # before the replies leave: whoever sees one sees the count
            for reply in replies:
                self.replies += 1
                try:
                    peer.send_multipart([client, *reply], NOBLOCK)
                except zmq.Again:
                    self.drop("server not reading", [client, *reply])
