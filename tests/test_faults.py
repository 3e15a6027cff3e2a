"""The suite fails against every faulty binding and passes against the correct one."""

import pytest

from tests.faults import FAULTS


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_suite_catches_fault(suite, fault):
    run = suite("--binding", f"tests.faults:{fault}", "-x")
    assert run.returncode == 1, f"fault {fault} was not caught:\n{run.output}"
    assert run.count("FAILED") >= 1, run.output


def test_suite_passes_the_correct_binding(suite):
    run = suite("--binding", "tests.faults:correct")
    assert run.returncode == 0, run.output
