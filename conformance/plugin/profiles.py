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
from hypothesis.reporting import current_reporter, with_reporter

from conformance.harness import shrinking

_SLOW_SHRINKING_WARNING = "WARNING: Hypothesis has spent more than five minutes"

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
    # One minimal reproduction per failing case is what a maintainer can act on.
    report_multiple_bugs=False,
)


def bound_shrinking() -> None:
    """Before each test: a failure that no network saw shrinks as one shown by an answer."""
    shrinking.allow(shrinking.ANSWERING_S)


@contextlib.contextmanager
def quiet_about_slow_shrinking() -> Iterator[None]:
    """Hypothesis's reports, without its warning that the shrinking stopped for time.

    It asks to be reported as a Hypothesis bug and says five minutes: here
    the budget is ours (:mod:`conformance.harness.shrinking`), and the stop
    expected.
    """
    outer = current_reporter()

    def report(value: object) -> None:
        if not str(value).startswith(_SLOW_SHRINKING_WARNING):
            outer(value)

    with with_reporter(report):
        yield


def register() -> None:
    """Register our profiles; only ever called for a session that runs the suite."""
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
