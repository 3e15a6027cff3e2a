"""Sockets with the defaults a broker wants, and binding that says where it bound.

libzmq's defaults suit a long-lived process that never closes anything: an
infinite LINGER (``ctx.term()`` waits for every unsent message) and blocking
calls with no timeout.  Everything here closes sockets often and must never
hang, so every socket gets LINGER 0 and send/receive timeouts, and ROUTERs get
ROUTER_MANDATORY so that a reply to a peer that has gone raises
EHOSTUNREACH, which a broker can log, instead of vanishing silently.

Endpoints are always parameters.  Bind to ``tcp://127.0.0.1:*`` and use the
endpoint :func:`bind` returns: the operating system picks a free port, so two
runs never collide.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterable

import zmq

DEFAULT_TIMEOUT_MS = 1000
"""The longest any blocking send or receive on our sockets may wait."""

ANY_TCP = "tcp://127.0.0.1:*"
"""Bind here for a free loopback port; read the real one back from :func:`bind`."""


def new_socket(
    context: zmq.Context,
    kind: int,
    *,
    routing_id: bytes | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    hwm: int | None = None,
    subscribe: Iterable[bytes] = (),
) -> zmq.Socket:
    """A socket of ``kind`` with LINGER 0, bounded waits and ROUTER_MANDATORY.

    ``routing_id`` names the socket to ROUTER peers; ``hwm`` sets both high
    water marks; ``subscribe`` sets SUB filters.
    """
    socket = context.socket(kind)
    try:
        socket.linger = 0
        socket.rcvtimeo = timeout_ms
        socket.sndtimeo = timeout_ms
        if routing_id is not None:
            socket.routing_id = routing_id
        if hwm is not None:
            socket.sndhwm = socket.rcvhwm = hwm
        if kind == zmq.ROUTER:
            socket.router_mandatory = 1
        for prefix in subscribe:
            socket.subscribe(prefix)
    except BaseException:
        socket.close()
        raise
    return socket


def bind(socket: zmq.Socket, endpoint: str) -> str:
    """Bind ``socket`` to ``endpoint`` and return the endpoint it really got.

    For ``tcp://host:*`` that is the port the system chose.
    """
    socket.bind(endpoint)
    bound = socket.last_endpoint
    return bound.decode() if isinstance(bound, bytes) else bound


class IpcDirectory:
    """A private directory for ipc endpoints, removed by :meth:`remove`.

    ipc paths must be short (about 100 bytes) and must not collide with another
    run's, so they live in a fresh ``tempfile.mkdtemp()`` directory.
    """

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="zref-")
        self._count = 0

    def endpoint(self, name: str = "") -> str:
        """A fresh ``ipc://`` endpoint in this directory."""
        self._count += 1
        return f"ipc://{os.path.join(self.path, f'{self._count}{name}')}"

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


_inproc_serial = itertools.count(1)


def inproc_endpoint(name: str = "ep") -> str:
    """A fresh ``inproc://`` endpoint, unique within the process."""
    return f"inproc://reference-{os.getpid()}-{next(_inproc_serial)}-{name}"
