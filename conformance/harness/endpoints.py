"""Endpoints that never collide, across examples, tests and xdist workers.

tcp binds a wildcard port on loopback and reads the real one back; ipc uses
a private directory per process (short enough for the 107-byte socket path
limit) that is removed at the end; inproc names are unique per process,
which is all inproc can reach anyway.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile


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

    def cleanup(self) -> None:
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None
