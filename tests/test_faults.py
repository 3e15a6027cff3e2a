"""The suite fails against every faulty binding and passes against the correct one.

This is the fast form of the mutation score (``python -m tests.mutation
--fast``): each fault runs only the families meant to catch it, without
shrinking, one pytest test per fault.  The full score, every fault against
the whole suite, is ``python -m tests.mutation``.

The families that libzmq is not the yardstick of (SHOULD, INFORMATIONAL)
are checked against variants instead (``tests/faults/variants.py``): each
family must tell its variant from libzmq.  And where a MUST family allows
another behaviour than libzmq's, a binding with that behaviour must pass.
"""

import pytest

from tests.faults import ALLOWED, FAULTS, VARIANTS
from tests.mutation import Outcome, run_binding


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_suite_catches_fault(fault):
    families = FAULTS[fault].caught_by
    outcome = run_binding(fault, families)
    assert outcome.caught, f"fault {fault} was not caught:\n{outcome.output}"
    assert outcome.first_case.split("/")[0] in families, (
        f"fault {fault} was caught by {outcome.first_case}, not by {families}:\n{outcome.output}"
    )


def test_suite_passes_the_correct_binding():
    """The control, through the same --zmq-binding path (the whole suite runs it in-process)."""
    outcome = run_binding("correct", ("delivery", "rejection"), stop_at_first=False)
    assert outcome.passed, outcome.output
    assert "passed" in outcome.output, outcome.output


@pytest.fixture(scope="module")
def libzmq_in_variant_families() -> Outcome:
    """The correct binding (libzmq) over every family a variant is for: one run for all."""
    families = tuple(sorted({variant.family for variant in VARIANTS.values()}))
    return run_binding("correct", families, stop_at_first=False)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_family_tells_its_variant_from_libzmq(name, libzmq_in_variant_families):
    variant = VARIANTS[name]
    outcome = run_binding(name, (variant.family,), stop_at_first=False)
    assert outcome.results, f"{name}: no results\n{outcome.output}"
    for result in outcome.results:
        assert result.verdict == variant.verdict, f"{result.case}: {result.verdict} {result.reason}"
        assert variant.observed in result.reason, f"{result.case} observed: {result.reason}"
    libzmq = [r for r in libzmq_in_variant_families.results if r.family == variant.family]
    assert libzmq, f"no libzmq results for {variant.family}"
    assert any(
        result.verdict != variant.verdict or variant.observed not in result.reason
        for result in libzmq
    ), f"{variant.family} reports libzmq as it reports {name}: it cannot tell them apart"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_family_passes_an_allowed_difference(name):
    """Where RFC 28 or RFC 23 allows another behaviour than libzmq's, the family passes it."""
    outcome = run_binding(name, ALLOWED[name].families, stop_at_first=False)
    assert outcome.results, f"{name}: no results\n{outcome.output}"
    assert outcome.passed, outcome.output[-4000:]
