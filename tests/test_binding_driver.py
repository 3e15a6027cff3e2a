"""Any in-process binding behind a driver: ``conformance.drivers.binding``.

``python -m tests.mutation --driver`` rests on it: a fault served this way
must fail where it fails in process, and the correct binding must pass, in
both protocol versions.
"""

import sys

import pytest

FAMILY_LIMIT_S = 300
"""A bound for a hang, not a speed check."""


def _driver(binding: str, *args: str) -> str:
    return " ".join([sys.executable, "-m", "conformance.drivers.binding", binding, *args])


@pytest.mark.parametrize("protocol", [(), ("--protocol", "1")], ids=["v2", "v1"])
def test_the_correct_binding_passes_behind_the_driver(suite, protocol):
    run = suite(
        "--zmq-driver",
        _driver("tests.faults:correct", *protocol),
        "--hypothesis-profile",
        "smoke",
        "-k",
        "fair-queue/ or explicit-routing-id/",
        timeout=FAMILY_LIMIT_S,
    )
    assert run.returncode == 0, run.output


def test_a_fault_behind_the_driver_fails_its_family(suite):
    run = suite(
        "--zmq-driver",
        _driver("tests.faults:routing_id_ignored"),
        "--hypothesis-profile",
        "mutation",
        "-k",
        "explicit-routing-id/",
        timeout=FAMILY_LIMIT_S,
    )
    assert run.returncode == 1, run.output
    assert "explicit-routing-id/" in run.output and "FAIL" in run.output, run.output


def test_a_factory_that_is_not_one_is_a_one_line_error(suite):
    run = suite("--zmq-driver", _driver("tests.faults:no_such_fault"), "-k", "delivery/")
    assert run.returncode != 0
    assert "binding driver: cannot load 'tests.faults:no_such_fault'" in run.output, run.output
    assert "Traceback" not in run.output, run.output
