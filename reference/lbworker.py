"""Workers for the load-balancing broker: the chapter's REQ worker and DEALER worker.

A :class:`Worker` connects to the broker's backend, says READY and answers
each request with ``handler(body)``.  With ``credits=None`` it is a REQ
worker: its socket adds and strips the delimiter in front of the client's
envelope, and it holds one request at a time.  With ``credits=n`` it is a
DEALER worker that announces ``n`` credits (``['', READY, b'n']``), so up to
``n`` requests wait in its socket instead of behind a round trip to the
broker, and it handles the envelope itself::

    REQ worker receives     [client, '', *body]       sends [client, '', *reply]
    DEALER worker receives  ['', client, '', *body]   sends ['', client, '', *reply]

The handler sees the body only and returns the reply frames.  An empty
reply *declines* the request, and so does a handler that raises: the worker
sends the envelope with no body, the broker gives it its credit back, and
the client, as when a worker dies, hears nothing and must time out.  A
request with no envelope (only a broken broker sends one) is dropped; a REQ
worker, whose socket then owes a reply it cannot address, starts over with
a fresh socket (a new routing id, unless ``routing_id`` fixes it) and says
READY again, and so does one whose reply the broker would not take.
"""

from __future__ import annotations

from collections.abc import Callable

import zmq

from reference.envelope import DELIMITER, MalformedEnvelope, join, split
from reference.frames import NOBLOCK
from reference.lbbroker import READY
from reference.service import Service

Handler = Callable[[list[bytes]], list[bytes]]
"""A request body in, a reply body out (one frame or more)."""


def echo(body: list[bytes]) -> list[bytes]:
    """The handler that answers each request with its own body."""
    return body


class Worker(Service):
    """A load-balancing worker: a REQ socket (``credits=None``) or a DEALER with credits."""

    def __init__(
        self,
        backend: str,
        handler: Handler = echo,
        *,
        credits: int | None = None,
        routing_id: bytes | None = None,
        context: zmq.Context | None = None,
        batch: int = 256,
        name: str = "worker",
    ) -> None:
        if credits is not None and credits < 1:
            raise ValueError(f"a DEALER worker needs at least one credit, not {credits}")
        super().__init__(name, context)
        self.backend_endpoint = backend
        self.handler = handler
        self.credits = credits
        self.routing_id = routing_id
        self.batch = 1 if credits is None else batch
        self.handled = 0
        """Requests handled so far (answered or declined)."""
        self.peer: zmq.Socket | None = None

    def setup(self) -> None:
        self._join()

    def _join(self) -> None:
        if self.peer is not None:
            self.close_socket(self.peer)
        dealer = self.credits is not None
        self.peer = self.socket(zmq.DEALER if dealer else zmq.REQ, routing_id=self.routing_id)
        self.peer.connect(self.backend_endpoint)
        # A connecting socket queues this until the connection is up.
        ready = [DELIMITER, READY, str(self.credits).encode()] if dealer else [READY]
        self.peer.send_multipart(ready, NOBLOCK)
        self.reactor.add_reader(self.peer, self._on_request)

    def _on_request(self) -> None:
        peer, dealer = self.peer, self.credits is not None
        for _ in range(self.batch):
            try:
                frames = peer.recv_multipart(NOBLOCK)
            except zmq.Again:
                return
            try:
                if dealer and (not frames or frames.pop(0) != DELIMITER):
                    raise MalformedEnvelope("no delimiter in front of the client's envelope")
                addresses, body = split(frames)
            except MalformedEnvelope as error:
                self.drop(f"request without envelope ({error})", frames)
                if not dealer:
                    self._join()
                    return
                continue
            out = join(addresses, self._answer(body))
            self.handled += 1  # before the reply leaves: whoever sees it sees the count
            try:
                peer.send_multipart([DELIMITER, *out] if dealer else out, NOBLOCK)
            except zmq.Again:
                self.drop("broker not reading", out)
                if not dealer:
                    self._join()
                    return
                continue

    def _answer(self, body: list[bytes]) -> list[bytes]:
        """The handler's reply, or no frames (declined) if it raises."""
        try:
            return list(self.handler(body))
        except Exception:
            self.count("handler failed", f" on {len(body)} frame(s)", exc_info=True)
            return []
