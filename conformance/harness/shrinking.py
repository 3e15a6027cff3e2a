"""How long Hypothesis may shrink a failing case: briefly when each try waits, longer when not.

A maintainer whose commit breaks one rule must get the FAIL about as soon
as a good commit gets its pass.  A case's first failure comes in the time a
passing case takes; its shrinking is what can take minutes, and how long
depends on what each candidate costs:

- a failure shown by a wait that ran out (a message that never came) makes
  every candidate wait too, impatiently (:class:`~conformance.harness.patience.Patience`):
  such a case shrinks for :data:`WAITING_S`;
- a failure shown by a wrong answer costs each candidate what a passing
  example costs: it shrinks for up to :data:`ANSWERING_S`, enough for a
  state machine's counterexample to come down to a few steps on a loaded
  machine.

Hypothesis has no setting for it: its engine stops shrinking after
``MAX_SHRINKING_SECONDS`` (five minutes), a module constant it reads when a
test's shrinking starts, which :func:`allow` sets when the test's first
example fails.  ``tests/test_shrink_budget.py`` fails if a Hypothesis
release stops honouring it.
"""

from __future__ import annotations

from hypothesis.internal.conjecture import engine

WAITING_S = 1.0
ANSWERING_S = 10.0


def allow(seconds: float) -> None:
    """Let the shrinking that starts next take at most ``seconds``."""
    engine.MAX_SHRINKING_SECONDS = seconds
