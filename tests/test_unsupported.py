"""A case that needs what the implementation lacks is UNSUPPORTED at once, never shrunk or failed.

ENOTSUP inside a property test used to reach the verdict only after
Hypothesis had shrunk it like a failure, every example asking again; through
a slow driver that cost minutes a case.  And a family that needs an option
must not FAIL an implementation that says it has none.
"""

from __future__ import annotations

from benchmarks.suite_runner import run_suite
from conformance.results import RunResults, Verdict

NEEDS_MANDATORY = ("router-mandatory/", "peer-departure/", "routing-id-reuse/")


def test_cases_needing_a_missing_option_are_unsupported_after_one_example(tmp_path):
    results = tmp_path / "results.json"
    run = run_suite(
        "--zmq-binding",
        "tests.unsupported_binding:binding",
        "-k",
        " or ".join(NEEDS_MANDATORY),
        "--zmq-results",
        str(results),
    )
    assert run.returncode == 0, run.output[-3000:]
    cases = RunResults.load(results).cases
    assert cases, run.output[-3000:]
    for case in cases:
        assert case.verdict == Verdict.UNSUPPORTED, f"{case.id}: {case.verdict} {case.reason}"
        assert case.examples <= 1, f"{case.id} ran {case.examples} examples"
        assert "ROUTER_MANDATORY" in case.reason, case.reason
