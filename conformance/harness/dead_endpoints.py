"""Endpoints nobody listens on: a peer that never answers, for queueing tests.

A socket that connects to one gets a pipe at once (unless IMMEDIATE is set)
and a connection never.  On ipc and inproc a fresh name that is never bound
is enough.  On tcp a port must be held, or another process could bind it
meanwhile: it is bound without listening, so a connection is refused, and
released when the block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from conformance.harness.endpoints import Endpoints


@contextlib.contextmanager
def dead_endpoint(endpoints: Endpoints, transport: str) -> Iterator[str]:
    """An endpoint on ``transport`` that refuses or ignores every connection."""
    with endpoints.vacant(transport) as (endpoint, _):  # never freed: nothing will bind it
        yield endpoint
