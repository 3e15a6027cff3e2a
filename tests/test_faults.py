"""The suite fails against every faulty binding and passes against the correct one.

Each fault runs only the families expected to catch it, without shrinking
(the ``mutation`` profile), to keep this fast; the full mutation run over
the whole suite is ``python -m tests.mutation``.
"""

import pytest

from tests.faults import FAULTS


def families_expression(families) -> str:
    return " or ".join(f"{family}/" for family in families)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_suite_catches_fault(suite, fault):
    families = FAULTS[fault].caught_by
    run = suite(
        "--binding",
        f"tests.faults:{fault}",
        "-x",
        "--hypothesis-profile",
        "mutation",
        "-k",
        families_expression(families),
    )
    assert run.returncode == 1, f"fault {fault} was not caught:\n{run.output}"
    failed = [line for line in run.output.splitlines() if line.startswith("FAILED ")]
    assert failed, run.output
    assert any(f"[{family}/" in failed[0] for family in families), failed[0]


def test_suite_passes_the_correct_binding(suite):
    """The control, through the same --binding path (the whole suite runs it in-process)."""
    run = suite("--binding", "tests.faults:correct", "-k", "delivery/ or rejection/")
    assert run.returncode == 0, run.output
    assert run.count("PASSED") > 0, run.output
