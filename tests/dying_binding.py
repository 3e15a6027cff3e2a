"""A binding whose process dies mid-case, as one whose native code aborts does.

Used by the tests of the results file: the case it was running must come
out BROKEN, not go missing (a run under xdist replaces the dead worker).
"""

from __future__ import annotations

import os

from conformance.binding import Binding
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults.harness import Fault, FaultyBinding, FaultySocket


class DiesOnSend(FaultySocket):
    """The process exits on the first send, with no Python exception to catch."""

    def send(self, frames, timeout_ms):
        os._exit(134)


def binding() -> Binding:
    return FaultyBinding(PyzmqBinding(), Fault("dies_on_send", DiesOnSend, ()))
