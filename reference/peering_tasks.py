"""The clients and workers of the peering example (the guide's client and worker tasks).

A :class:`Worker` is a REQ socket on a broker's local backend that says
READY once and then answers one request at a time: it receives
``[*addresses, '', *body]`` (one address for a local client, the peer's
name and the client's for a request from another cluster), and sends the
same addresses back in front of the reply.  It never looks at the
addresses, so it serves local and cloud requests alike.

A :class:`Client` is a REQ socket on a broker's local frontend that waits
for each reply with a deadline.  A REQ whose reply is lost can never send
again, so on a timeout the client closes it and opens a fresh one (the
chapter 4 "lazy pirate" move); it does not resend, since the request may
still be served.

Both report to the broker's monitor socket if given one (the monitor flow):
a line per reply or loss from a client, a line when a worker joins or
resets.  A report is sent without blocking and skipped if it cannot go:
the monitor is for people, and must never slow the work down.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

import zmq

from reference.envelope import MalformedEnvelope, join, split
from reference.lbbroker import READY
from reference.service import Service
from reference.sockets import DEFAULT_TIMEOUT_MS, new_socket

Handler = Callable[[list[bytes]], Sequence[bytes]]
"""What a worker does: from a request's body to its reply's body (at least one frame)."""


def echo(body: list[bytes]) -> list[bytes]:
    """The default handler: the reply is the request."""
    return body


def report(push: zmq.Socket | None, text: str) -> None:
    """Send one line to a monitor, or nothing if that would block."""
    if push is not None:
        with contextlib.suppress(zmq.Again):
            push.send_string(text, zmq.NOBLOCK)


class Worker(Service):
    """A REQ worker: READY, then ``handler(body)`` for each request, one at a time."""

    def __init__(
        self,
        backend: str,
        handler: Handler = echo,
        *,
        name: str = "worker",
        context: zmq.Context | None = None,
        monitor: str | None = None,
    ) -> None:
        super().__init__(name, context)
        self.backend = backend
        self.handler = handler
        self.monitor_endpoint = monitor
        self.served = 0

    def setup(self) -> None:
        self.push = None
        if self.monitor_endpoint is not None:
            self.push = self.socket(zmq.PUSH)
            self.push.connect(self.monitor_endpoint)
        self._join()

    def _join(self) -> None:
        """A fresh REQ socket, READY sent (queued until it connects)."""
        self.req = self.socket(zmq.REQ)
        self.req.connect(self.backend)
        self.req.send(READY, zmq.NOBLOCK)
        self.reactor.add_reader(self.req, self._on_request)
        report(self.push, f"{self.name}: ready")

    def _reset(self, why: str) -> None:
        """Start over with a new socket: a REQ that cannot reply can never receive again."""
        self.log.warning("%s: %s; joining again", self.name, why)
        report(self.push, f"{self.name}: {why}; joining again")
        self.reactor.remove_reader(self.req)
        self.req.close(linger=0)
        self._join()

    def _on_request(self) -> None:
        try:
            frames = self.req.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:  # POLLIN does not promise a message to a REQ
            return
        try:
            addresses, body = split(frames)
        except MalformedEnvelope:
            self.drop("a request without delimiter", frames)
            self._reset("got a request without delimiter")
            return
        try:
            reply = list(self.handler(body))
        except Exception:
            self.log.exception("%s: the handler failed", self.name)
            self._reset("the handler failed")
            return
        if not reply:
            self._reset("the handler gave an empty reply")
            return
        self.req.send_multipart(join(addresses, reply), zmq.NOBLOCK)
        self.served += 1


class Client:
    """A REQ client of a broker that waits for each reply with a deadline.

    Used from the caller's thread; close it (or use ``with``) when done.
    """

    def __init__(
        self,
        frontend: str,
        *,
        name: str = "client",
        context: zmq.Context | None = None,
        monitor: str | None = None,
    ) -> None:
        self.frontend = frontend
        self.name = name
        self.context = context if context is not None else zmq.Context.instance()
        self.push: zmq.Socket | None = None
        if monitor is not None:
            self.push = new_socket(self.context, zmq.PUSH)
            self.push.connect(monitor)
        self.req = self._connect()
        self.sent = 0

    def _connect(self) -> zmq.Socket:
        req = new_socket(self.context, zmq.REQ)
        req.connect(self.frontend)
        return req

    def request(
        self, body: Sequence[bytes], timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> list[bytes] | None:
        """Send ``body`` and return the reply, or None if none came within ``timeout_ms``."""
        self.sent += 1
        number, start = self.sent, time.monotonic()
        self.req.send_multipart(list(body), zmq.NOBLOCK)
        if self.req.poll(timeout_ms, zmq.POLLIN):
            try:
                reply = self.req.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                reply = None
            else:
                elapsed_ms = (time.monotonic() - start) * 1000
                report(self.push, f"{self.name}: reply to request {number} in {elapsed_ms:.1f} ms")
                return reply
        report(self.push, f"{self.name}: request {number} lost after {timeout_ms} ms")
        self.req.close(linger=0)
        self.req = self._connect()
        return None

    def close(self) -> None:
        self.req.close(linger=0)
        if self.push is not None:
            self.push.close(linger=0)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
