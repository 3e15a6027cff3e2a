"""Scenarios whose outcome depends on timing, tried several times in every run.

A check whose messages Hypothesis draws repeats its scenario with every
example.  A check of one fixed scenario (an invalid peer connecting just
before a valid one, say) would run it once: a race that the implementation
loses in most attempts would then show in some runs and not in others, in
another case each time, and a maintainer could not tell a fix from luck.
Such a check runs its scenario :data:`ATTEMPTS` times, and its failure says
in how many attempts it showed, with the steps of the first.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.binding import ErrorCode, ZmqError

ATTEMPTS = 8
"""Enough that a race lost in half of the attempts is missed once in 256 runs.

A correct implementation passes each attempt in milliseconds; once one
attempt has failed, the others wait impatiently (:class:`~conformance.harness.patience.Patience`).
"""


def attempt(network, scenario: Callable[[], None], attempts: int = ATTEMPTS) -> None:
    """Run ``scenario`` ``attempts`` times; fail with the first failure and the count."""
    failures: list[Exception] = []
    first_steps = None
    for _ in range(attempts):
        try:
            scenario()
        except ZmqError as exc:
            if exc.code == ErrorCode.ENOTSUP:
                raise  # UNSUPPORTED, whatever the attempt
            failures.append(exc)
        except Exception as exc:  # a BindingBroken (a BaseException) ends the case at once
            failures.append(exc)
        else:
            continue
        if first_steps is None:
            first_steps = network.trace.saved()
            network.patience.exhaust()  # the case fails: the count need not wait in full
    if not failures:
        return
    network.trace.restore(first_steps)
    first = failures[0]
    what = str(first) if isinstance(first, AssertionError) else f"{type(first).__name__}: {first}"
    counted = AssertionError(f"in {len(failures)} of {attempts} attempts: {what}")
    raise counted.with_traceback(first.__traceback__) from first  # shown where it first failed
