"""The whole suite passes through our own pyzmq driver, in every peer mode.

This is the driver path end to end: subprocess, JSON lines, base64 frames,
deadlines, and pairs whose ends live in two different processes.  It
proves the plumbing, so it runs every case on the ``smoke`` profile's few
examples; the search in depth is the default run's job.
"""

import sys

WHOLE_SUITE_LIMIT_S = 600
"""A bound for a hang, not a speed check: every case runs here, in one process."""


def test_suite_passes_through_the_pyzmq_driver(suite):
    run = suite(
        "--zmq-driver",
        f"{sys.executable} -m conformance.drivers.pyzmq",
        "--zmq-peer",
        "both",
        "--hypothesis-profile",
        "smoke",
        timeout=WHOLE_SUITE_LIMIT_S,
    )
    assert run.returncode == 0, run.output
    for peering in ("-self]", "-iut-connects]", "-iut-binds]"):
        assert peering in run.output, f"no {peering} case ran"
