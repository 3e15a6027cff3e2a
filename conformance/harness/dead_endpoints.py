"""Endpoints nobody listens on: a peer that never answers, for queueing tests.

A socket that connects to one gets a pipe at once (unless IMMEDIATE is set)
and a connection never.  On ipc and inproc a fresh name that is never bound
is enough.  On tcp a port must be held, or another process could bind it
meanwhile: it is bound without listening, so a connection is refused, and
released when the block ends.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from conformance.harness.endpoints import LOOPBACK, Endpoints


@contextlib.contextmanager
def dead_endpoint(endpoints: Endpoints, transport: str) -> Iterator[str]:
    """An endpoint on ``transport`` that refuses or ignores every connection."""
    if transport != "tcp":
        yield endpoints.new(transport)
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind((LOOPBACK, 0))
        yield f"tcp://{LOOPBACK}:{held.getsockname()[1]}"
