"""A driver that hangs, dies or lies never hangs or aborts the run.

Each misbehaving driver must give a run that ends (the subprocess timeout is
the bound), with every affected test reported BROKEN, naming the driver's
fault and showing its stderr tail, and with no traceback of ours.
"""

import sys

import pytest

from tests.conftest import ROOT

MISBEHAVING = f"{sys.executable} {ROOT / 'tests' / 'drivers' / 'misbehaving.py'}"
ONE_CASE = ["-k", "delivery/REQ-REP/tcp"]
IMPATIENT = ["--zmq-driver-grace", "0.5", "--zmq-driver-startup", "2"]
"""Short deadlines, so that the hanging modes cost little; only for drivers that break."""


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("hang-at-start", "did not answer 'hello'"),
        ("exit-at-once", "exited with status 3"),
        ("garbage", "not JSON"),
        ("hang-on-recv", "did not answer 'recv'"),
        ("exit-on-send", "exited with status 5 while handling 'send'"),
        ("wrong-id", "answered 'send' with id"),
        ("bad-base64", "frame that is not base64"),
    ],
)
def test_misbehaving_driver_is_reported_broken(suite, mode, cause):
    run = suite("--zmq-driver", f"{MISBEHAVING} {mode}", *ONE_CASE, *IMPATIENT)
    assert run.returncode == 1, run.output
    assert run.count("BROKEN") == 3, run.output  # self, iut-connects, iut-binds
    assert cause in run.output
    assert f"misbehaving driver, mode {mode}" in run.output  # the stderr tail
    assert "INTERNALERROR" not in run.output
    assert "Traceback" not in run.output


def test_a_broken_driver_is_restarted_for_the_next_test(suite, tmp_path):
    """With the default deadlines: the restarted driver must pass, on a loaded machine too."""
    marker = tmp_path / "died-once"
    run = suite("--zmq-driver", f"{MISBEHAVING} exit-once {marker}", *ONE_CASE)
    assert run.count("BROKEN") == 1, run.output
    assert run.count("PASSED") == 2, run.output
    assert "exited with status 6" in run.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--zmq-driver", "no-such-driver-program"], "no such program 'no-such-driver-program'"),
        (["--zmq-driver", "'unbalanced"], "No closing quotation"),
        (["--zmq-transport", "tcp,udp"], "--zmq-transport: unknown udp"),
        (["--zmq-peer", "everyone"], "--zmq-peer must be self, libzmq or both"),
        (["--zmq-binding", "nowhere.at.all:factory"], "cannot import nowhere.at.all"),
        (["--zmq-binding", "conformance"], "--zmq-binding takes MODULE:FACTORY"),
        (["--zmq-driver-grace", "0"], "--zmq-driver-grace must be a positive number"),
        (["--zmq-libzmq-peer", "python3"], "--zmq-libzmq-peer goes with --zmq-driver"),
    ],
)
def test_bad_command_line_is_one_line_error(suite, args, message):
    run = suite(*args)
    assert run.returncode == 4, run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and message in errors[0], run.output
    assert "Traceback" not in run.output


def test_a_crashing_libzmq_peer_breaks_only_the_interop_tests(suite):
    """libzmq can abort on a peer that speaks broken ZMTP: that must not end the run.

    With ``--zmq-driver`` the libzmq end of interop pairs lives in a process of
    its own; here a stand-in for it dies the way an aborting libzmq would.
    """
    run = suite(
        "--zmq-driver",
        f"{sys.executable} -m conformance.drivers.pyzmq",
        "--zmq-libzmq-peer",
        f"{MISBEHAVING} exit-on-send",
        *ONE_CASE,
    )
    assert run.returncode == 1, run.output
    assert run.count("PASSED") == 1, run.output  # self: no libzmq peer involved
    assert run.count("BROKEN") == 2, run.output  # iut-connects, iut-binds
    assert "the libzmq peer (our pyzmq driver) exited with status 5" in run.output
    assert "misbehaving driver, mode exit-on-send" in run.output  # its stderr tail
    assert "Traceback" not in run.output
