"""Endpoints that never collide, across examples, tests and xdist workers.

tcp binds a wildcard port on loopback and reads the real one back (an
endpoint bound after something connects to it is ``vacant``); ipc uses
a private directory per process (short enough for the 107-byte socket path
limit) that is removed at the end; inproc names are unique per process,
which is all inproc can reach anyway.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator

LOOPBACK = "127.0.0.1"

FIXED_PORTS = range(20000, 32768)
"""Ports below every usual ephemeral range (Linux 32768-60999, BSD and Windows
49152-65535), for an endpoint bound after something connects to it.

A socket reconnecting to a port nobody listens on takes a new ephemeral
port of its own at each try; if that port is the one it connects to, the
kernel connects the socket to itself (TCP simultaneous open), the port is
then in use and the bind that the case waits for fails.  Another process's
connection may take a released ephemeral port as well.  Neither can happen
to a port outside the ephemeral range.
"""


class Endpoints:
    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._ipc_dir: str | None = None
        self._tag = f"zc{os.getpid()}"

    def new(self, transport: str) -> str:
        """A fresh endpoint to bind on ``transport``."""
        n = next(self._counter)
        if transport == "tcp":
            return "tcp://127.0.0.1:*"
        if transport == "ipc":
            if self._ipc_dir is None:
                self._ipc_dir = tempfile.mkdtemp(prefix="zc-", dir="/tmp")
            return f"ipc://{self._ipc_dir}/{n}"
        if transport == "inproc":
            return f"inproc://{self._tag}-{n}"
        raise ValueError(f"unknown transport {transport!r}")

    @contextlib.contextmanager
    def vacant(self, transport: str) -> Iterator[tuple[str, Callable[[], None]]]:
        """An endpoint to bind later, and a function that frees it for that bind.

        On tcp the port (from ``FIXED_PORTS``) is held, bound but not
        listening, until freed, so that no other bind takes it meanwhile.
        """
        if transport != "tcp":
            yield self.new(transport), lambda: None
            return
        with _held_fixed_port() as held:
            yield f"tcp://{LOOPBACK}:{held.getsockname()[1]}", held.close

    def cleanup(self) -> None:
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None


_PORT_CHOICE = random.Random()
"""Not the global generator, which Hypothesis seeds alike in every worker."""


def _held_fixed_port() -> socket.socket:
    """A socket bound to a free port of ``FIXED_PORTS`` on loopback."""
    for port in _PORT_CHOICE.sample(FIXED_PORTS, 200):
        held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            held.bind((LOOPBACK, port))
        except OSError:
            held.close()
            continue
        return held
    raise RuntimeError(f"no free port among 200 tries in {FIXED_PORTS}")
