"""How long to wait for what must happen, and when to stop paying for it.

A correct implementation delivers on loopback in milliseconds, so the
suite's generous timeouts cost nothing while it passes.  A faulty one that
never delivers costs a full timeout per attempt, and Hypothesis makes many
attempts while it shrinks: a lost message could turn one failing test into
minutes.  So each test gets a budget for waits of :data:`TIMEOUT_MS` that
ran out: the first one shows that the test fails (a passing test never has
one), and every later wait is cut to :attr:`Patience.IMPATIENT_MS`.  No
passing test is ever made impatient.  The first example that fails also
says how long the shrinking may take (:mod:`conformance.harness.shrinking`).
"""

from __future__ import annotations

from conformance.harness import shrinking

TIMEOUT_MS = 2000
"""How long a test waits for something that must happen."""

ABSENCE_MS = 300
"""How long a test waits to conclude that something did not happen.

Only where nothing positive can be observed instead (a connection that
libzmq drops, for instance): every such wait is a cost of the whole run.
"""


class Patience:
    BUDGET_S = TIMEOUT_MS / 1000
    IMPATIENT_MS = 100

    def __init__(self) -> None:
        self.spent_s = 0.0
        self.failed = False

    @property
    def impatient(self) -> bool:
        """Whether a wait has run out in full: the test is failing."""
        return self.spent_s >= self.BUDGET_S

    def timeout_ms(self, timeout_ms: int) -> int:
        if not self.impatient:
            return timeout_ms
        return min(timeout_ms, self.IMPATIENT_MS)

    def charge(self, seconds: float) -> None:
        self.spent_s += seconds

    def exhaust(self) -> None:
        """Be impatient from now on: the test has failed already."""
        self.spent_s = max(self.spent_s, self.BUDGET_S)

    def example_failed(self) -> None:
        """An example failed: bound the shrinking that follows, once per test."""
        if not self.failed:
            self.failed = True
            shrinking.allow(shrinking.WAITING_S if self.impatient else shrinking.ANSWERING_S)
