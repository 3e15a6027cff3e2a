"""A correct binding that is slow at random: the machine under load, made on purpose.

Each operation waits a random 0 to 3 ms before it runs, as operations do on
a loaded CI machine.  A correct implementation stays correct, so the suite
must pass it: a check whose draws depended on timing would make Hypothesis
report flakiness instead (``tests/test_no_false_alarms.py``).
"""

from __future__ import annotations

import random
import time

from conformance.binding import Binding
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults.harness import Fault, FaultyBinding, FaultySocket

MAX_DELAY_S = 0.003


def _lag() -> None:
    time.sleep(random.uniform(0, MAX_DELAY_S))  # sleep-ok: injected slowness, not synchronisation


class Delayed(FaultySocket):
    def bind(self, endpoint):
        _lag()
        return super().bind(endpoint)

    def connect(self, endpoint):
        _lag()
        super().connect(endpoint)

    def send(self, frames, timeout_ms):
        _lag()
        super().send(frames, timeout_ms)

    def recv(self, timeout_ms):
        _lag()
        return super().recv(timeout_ms)


def binding() -> Binding:
    return FaultyBinding(PyzmqBinding(), Fault("delayed", Delayed, ()))
