"""Bindings that die or break mid-case, as one whose native code aborts or whose driver hangs.

Used by the tests of the results file: a case whose process dies must come
out BROKEN, not go missing (a run under xdist replaces the dead worker);
one that answered wrongly before it broke must come out FAIL for the wrong
answer, with the break beside it.
"""

from __future__ import annotations

import os

from conformance.binding import Binding, BindingBroken
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults.harness import Fault, FaultyBinding, FaultySocket


class DiesOnSend(FaultySocket):
    """The process exits on the first send, with no Python exception to catch."""

    def send(self, frames, timeout_ms):
        os._exit(134)


def binding() -> Binding:
    return FaultyBinding(PyzmqBinding(), Fault("dies_on_send", DiesOnSend, ()))


class WrongThenHangs(FaultySocket):
    """Answers a receive wrongly (its last frame lost), then never answers ``close``.

    As a driver does that answers one request wrongly and then hangs: the
    wrong answer must be the case's verdict, the hang said beside it.
    """

    def recv(self, timeout_ms):
        frames = self.inner.recv(timeout_ms)
        return frames[:-1] or [b"wrong"]

    def close(self):
        self.inner.close()
        raise BindingBroken("no answer to close within 2.0 s")


def wrong_then_hangs() -> Binding:
    return FaultyBinding(PyzmqBinding(), Fault("wrong_then_hangs", WrongThenHangs, ()))
