"""Hypothesis profiles: ``dev`` by default, ``ci`` when the CI variable is set.

Deadlines are off in every profile: a ZeroMQ round trip's time depends on
the machine's load, and a timing assertion would make the gate flaky.  Every
wait is bounded by our own timeouts instead.  ``function_scoped_fixture`` is
suppressed because the fixtures shared across examples (the bindings, the
network) are made for it: each example opens and closes its own sockets.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.conjecture import engine
from hypothesis.reporting import current_reporter, with_reporter

SHRINK_BUDGET_S = 1.0
"""How long Hypothesis may shrink one failing case, in every profile.

A maintainer whose commit breaks one rule must get the FAIL about as soon
as a good commit gets its pass.  A failing case's first failure is found in
the time a passing case takes; its shrinking is what can take minutes
(every candidate through the driver, every wait for what a faulty
implementation never delivers).  Shrinking in process makes a few hundred
candidates a second, enough for the usual failure to read minimal; through
a slow driver the reproduction may keep some steps it could lose, and the
verdict is the same.  Hypothesis has no setting for it: its engine stops
shrinking after ``MAX_SHRINKING_SECONDS`` (five minutes), a module constant
that :func:`bound_shrinking` lowers; the warning it prints when it stops is
not shown (:func:`quiet_about_slow_shrinking`).  ``tests/test_shrink_budget.py``
fails if a Hypothesis release stops honouring it.
"""

_SLOW_SHRINKING_WARNING = "WARNING: Hypothesis has spent more than five minutes"

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
    # One minimal reproduction per failing case is what a maintainer can act on.
    report_multiple_bugs=False,
)


def bound_shrinking() -> None:
    engine.MAX_SHRINKING_SECONDS = SHRINK_BUDGET_S


@contextlib.contextmanager
def quiet_about_slow_shrinking() -> Iterator[None]:
    """Hypothesis's reports, without its warning that the shrinking stopped for time.

    It asks to be reported as a Hypothesis bug and says five minutes: here
    the budget is ours, and the stop expected.
    """
    outer = current_reporter()

    def report(value: object) -> None:
        if not str(value).startswith(_SLOW_SHRINKING_WARNING):
            outer(value)

    with with_reporter(report):
        yield


def register() -> None:
    """Register our profiles; only ever called for a session that runs the suite."""
    bound_shrinking()
    settings.register_profile("dev", max_examples=100, **_COMMON)
    settings.register_profile(
        "ci",
        max_examples=100,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        **_COMMON,
    )
    settings.register_profile("thorough", max_examples=2000, **_COMMON)
    # For proving that a faulty binding is caught: the verdict, not the
    # shrunk example, is what counts, so skip the shrinking.
    settings.register_profile(
        "mutation",
        max_examples=100,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        **_COMMON,
    )
    # For proving a path end to end (the driver plumbing, every peering):
    # every case runs, on a handful of examples each.  No explain phase: it
    # replays a failing example many times over to mark the parts that do not
    # matter, and through a slow driver that cost half an hour of a row's run.
    settings.register_profile(
        "smoke",
        max_examples=10,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        **_COMMON,
    )


def default_name() -> str:
    """The profile of a run that asks for none: ``ci`` when the CI variable is set."""
    return "ci" if os.environ.get("CI") else "dev"


def load_default() -> None:
    settings.load_profile(default_name())
