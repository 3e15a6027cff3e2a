"""A suite run that outlives its time limit is reported as such, never raised at the caller.

``python -m tests.mutation`` once ended in a TimeoutExpired traceback when
one fault's run took longer than its limit; that run is a MISSED fault with
its reason, and the score goes on.
"""

from benchmarks.suite_runner import TIMED_OUT, run_suite


def test_a_run_past_its_time_limit_is_reported_not_raised():
    run = run_suite("--collect-only", timeout=0.05)
    assert run.returncode == TIMED_OUT
    assert run.output.endswith("[killed at its time limit of 0 s]"), run.output
