"""Helpers for testing components: nothing left behind, endpoints, connected sockets.

Every component here promises to stop cleanly.  :func:`nothing_left_behind`
holds them to it: it hands out a fresh ``zmq.Context`` and, at the end,
checks that every thread started meanwhile has ended and that the context
terminates, which libzmq allows only once every socket in it is closed.
Both checks have deadlines, so a leak fails the check instead of hanging it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import zmq

from reference.sockets import ANY_TCP, inproc_endpoint, new_socket

DEADLINE_S = 5.0


class LeftBehind(AssertionError):
    """A thread still runs, or a socket is still open, after the components stopped."""


@contextmanager
def nothing_left_behind(deadline_s: float = DEADLINE_S) -> Iterator[zmq.Context]:
    """A fresh context; on exit, raise :class:`LeftBehind` if a thread or socket outlives it."""
    before = set(threading.enumerate())
    context = zmq.Context()
    try:
        yield context
    finally:
        deadline = time.monotonic() + deadline_s
        for thread in set(threading.enumerate()) - before:
            thread.join(max(0.0, deadline - time.monotonic()))
        running = [thread.name for thread in set(threading.enumerate()) - before]
        terminator = threading.Thread(target=context.term, name="context.term", daemon=True)
        terminator.start()
        terminator.join(max(0.1, deadline - time.monotonic()))
        if terminator.is_alive():
            raise LeftBehind("a socket was left open: the context did not terminate")
        if running:
            raise LeftBehind(f"threads left running: {', '.join(sorted(running))}")


def endpoints(transport: str) -> tuple[str, str]:
    """A frontend and a backend endpoint for a broker to bind: ``inproc`` or ``tcp``.

    inproc names are fresh; tcp ones ask for free loopback ports, so read the
    real ones back from the broker once it is bound.
    """
    if transport == "inproc":
        return inproc_endpoint("frontend"), inproc_endpoint("backend")
    if transport == "tcp":
        return ANY_TCP, ANY_TCP
    raise ValueError(f"no endpoints for transport {transport!r}")


def connected(context: zmq.Context, kind: int, endpoint: str, **options: Any) -> zmq.Socket:
    """A socket from :func:`~reference.sockets.new_socket` (``options`` go there), connected."""
    socket = new_socket(context, kind, **options)
    socket.connect(endpoint)
    return socket
