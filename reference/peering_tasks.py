"""The clients and workers of the peering example (the guide's client and worker tasks).

A broker's workers speak the load balancer's worker protocol, so a
:class:`Worker` is :class:`reference.lbworker.Worker` (a REQ socket that
says READY and answers one request at a time) that also tells the broker's
monitor when it joins.  It never looks at the addresses in front of a
request, so it serves local requests (``[client, '', *body]``) and cloud
requests (``[peer, client, '', *body]``) alike.

A :class:`Client` is a REQ socket on a broker's local frontend that waits
for each reply with a deadline.  A REQ whose reply is lost can never send
again, so on a timeout the client closes it and opens a fresh one (the
chapter 4 "lazy pirate" move); it does not resend, since the request may
still be served.

Both report to the broker's monitor socket if given one (the monitor flow):
a line per reply or loss from a client, a line when a worker joins.  A
report is sent without blocking and skipped if it cannot go: the monitor
is for people, and must never slow the work down.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

import zmq

from reference import lbworker
from reference.lbworker import Handler, echo
from reference.sockets import DEFAULT_TIMEOUT_MS, new_socket

__all__ = ["Client", "Handler", "Worker", "echo", "report"]


def report(push: zmq.Socket | None, text: str) -> None:
    """Send one line to a monitor, or nothing if that would block."""
    if push is not None:
        with contextlib.suppress(zmq.Again):
            push.send_string(text, zmq.NOBLOCK)


class Worker(lbworker.Worker):
    """A REQ worker of a peering broker, which reports to the broker's monitor when it joins."""

    def __init__(
        self, backend: str, handler: Handler = echo, *, monitor: str | None = None, **options: Any
    ) -> None:
        super().__init__(backend, handler, **options)
        self.monitor_endpoint = monitor

    def setup(self) -> None:
        self.push = None
        if self.monitor_endpoint is not None:
            self.push = self.socket(zmq.PUSH)
            self.push.connect(self.monitor_endpoint)
        super().setup()
        report(self.push, f"{self.name}: ready")


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
