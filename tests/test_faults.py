"""The suite fails against every faulty binding and passes against the correct one.

This is the fast form of the mutation score (``python -m tests.mutation
--fast``): each fault runs only the families meant to catch it, without
shrinking, one pytest test per fault.  The full score, every fault against
the whole suite, is ``python -m tests.mutation``.
"""

import pytest

from tests.faults import FAULTS
from tests.mutation import run_binding


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_suite_catches_fault(fault):
    families = FAULTS[fault].caught_by
    outcome = run_binding(fault, families)
    assert outcome.caught, f"fault {fault} was not caught:\n{outcome.output}"
    assert outcome.first_case.split("/")[0] in families, (
        f"fault {fault} was caught by {outcome.first_case}, not by {families}:\n{outcome.output}"
    )


def test_suite_passes_the_correct_binding():
    """The control, through the same --binding path (the whole suite runs it in-process)."""
    outcome = run_binding("correct", ("delivery", "rejection"), stop_at_first=False)
    assert outcome.passed, outcome.output
    assert "passed" in outcome.output, outcome.output
