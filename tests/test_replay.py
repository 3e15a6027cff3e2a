"""``python -m conformance replay``: a recorded failure re-runs to the same failure.

The end-to-end test runs the suite against a faulty binding as a user
would, then replays the failure from its results file against the same
fault (it reproduces) and against the correct binding (it shows where the
answers differ).  The in-process tests record real exchanges through
:class:`~conformance.harness.network.Network` and replay them, to pin down what is
translated (handles, endpoints, made-up routing ids), what is not (an id
the test chose), and how timing is forgiven.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import pytest

from benchmarks.suite_runner import ROOT, run_suite
from conformance.__main__ import main
from conformance.binding import BindingBroken
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.harness.endpoints import Endpoints
from conformance.harness.exchange import Exchange
from conformance.harness.network import SELF, Network
from conformance.plugin.failures import report_text
from conformance.replay import (
    DIFFERS,
    EARLY,
    REFERENCE_SERVICES,
    SAME,
    Replay,
    check_steps,
    verdict_line,
)
from conformance.results import CaseResult, Failure, ResultsError, RunResults, Verdict
from conformance.results.steps import REPLAYABLE_REFERENCES
from tests.faults import FAULTS, FaultyBinding


def replay_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "replay", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_faulty_run_records_a_reproduction_that_replays_to_the_same_failure(tmp_path):
    results = tmp_path / "results.json"
    case = "delivery/REQ-REP/tcp-self"
    run = run_suite(
        "--zmq-binding",
        "tests.faults:drop_empty_frames",
        "--hypothesis-profile",
        "ci",
        "-k",
        "delivery/REQ-REP/tcp",
        "--zmq-results",
        str(results),
    )
    assert run.returncode == 1, run.output
    assert f"replay {results} --case {case}" in run.output
    failure = RunResults.load(results).cases[0].failure
    assert failure is not None and failure.reproduction and failure.failing_step

    again = replay_command(str(results), "--zmq-binding", "tests.faults:drop_empty_frames")
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"REPRODUCED: every answer up to step {failure.failing_step}," in again.stdout

    fixed = replay_command(str(results), "--case", case)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "NOT REPRODUCED" in fixed.stdout
    marked = [line for line in fixed.stdout.splitlines() if line.startswith(">!")]
    assert marked and marked[0].split()[1] == str(failure.failing_step), fixed.stdout


# -- recording real exchanges, replaying them in process -------------------------------


@pytest.fixture
def libzmq():
    binding = PyzmqBinding()
    yield binding
    binding.close()


def record(binding, pairing: tuple[str, str], transport: str, bodies, options=None) -> Failure:
    """A failure whose reproduction is one real exchange: ``bodies`` there and back."""
    endpoints = Endpoints()
    network = Network(binding, binding, SELF, endpoints)
    try:
        with network.pair(*pairing, transport, **(options or {})) as pair:
            exchange = Exchange(pair)
            for sender, body in zip((0, 1), bodies):
                exchange.transfer(sender, body)
    finally:
        network.close()
        endpoints.cleanup()
    steps = network.trace.steps
    return Failure(message="recorded", reproduction=steps, failing_step=len(steps) - 2)


def replay(failure: Failure, iut, libzmq):
    return Replay({"iut": iut, "libzmq": libzmq}, failure).run()


def test_a_router_exchange_replays_the_same_with_new_routing_ids(libzmq):
    failure = record(libzmq, ("REQ", "ROUTER"), "tcp", [[b"ping"], [b"pong"]])
    result = replay(failure, libzmq, libzmq)
    assert [o.status for o in result.outcomes] == [SAME] * len(result.outcomes)
    assert result.reproduced
    assert verdict_line(result).startswith("REPRODUCED")


def test_a_fault_in_the_replayed_binding_shows_where_it_differs(libzmq):
    failure = record(libzmq, ("DEALER", "ROUTER"), "ipc", [[b"a", b"b"], [b"c", b"d"]])
    faulty = FaultyBinding(libzmq, FAULTS["swap_first_two_frames"])
    result = replay(failure, faulty, libzmq)
    first = result.differences[0]
    assert first.request["op"] == "recv"
    assert not result.reproduced
    assert re.match(
        rf"NOT REPRODUCED: \d+ answer\(s\) differ from the recording, the first at step "
        rf"{first.number} \(recv ",
        verdict_line(result),
    )


def test_an_identity_the_test_chose_is_never_translated(libzmq):
    """Recorded: the ROUTER saw an auto id although the DEALER set ROUTING_ID (a bug)."""
    failure = record(
        libzmq,
        ("DEALER", "ROUTER"),
        "tcp",
        [[b"x"], [b"y"]],
        {"connector_options": {"ROUTING_ID": b"me"}},
    )
    auto = base64.b64encode(b"\x00\x12\x34\x56\x78").decode()
    chosen = base64.b64encode(b"me").decode()
    for step in failure.reproduction:
        frames = step["answer"].get("frames") or step["request"].get("frames") or []
        frames[:] = [auto if f == chosen else f for f in frames]
    result = replay(failure, libzmq, libzmq)
    differs = result.differences
    assert differs and differs[0].request["op"] == "recv", [o.status for o in result.outcomes]
    assert "b'me'" in str(differs[0].answer) or "bWU=" in str(differs[0].answer)


def test_a_message_found_early_by_a_poll_is_timing_not_a_difference(libzmq):
    """Recorded: a poll found nothing, a later receive got the message; now the poll gets it."""
    failure = record(libzmq, ("DEALER", "DEALER"), "inproc", [[b"1"], [b"2"]])
    steps = failure.reproduction
    recv = next(i for i, s in enumerate(steps) if s["request"]["op"] == "recv")
    poll = {**steps[recv], "request": {**steps[recv]["request"], "timeout_ms": 0}}
    poll["answer"] = {"ok": False, "error": "EAGAIN"}
    steps.insert(recv, poll)
    failure.failing_step += 1
    result = replay(failure, libzmq, libzmq)
    statuses = [o.status for o in result.outcomes]
    assert statuses[recv] == EARLY and statuses.count(DIFFERS) == 0, statuses
    assert "step" in result.outcomes[recv + 1].note
    assert result.reproduced


def test_a_message_where_the_recording_had_an_error_is_a_difference_not_timing(libzmq):
    failure = record(libzmq, ("DEALER", "DEALER"), "inproc", [[b"1"], [b"2"]])
    steps = failure.reproduction
    recv = next(i for i, s in enumerate(steps) if s["request"]["op"] == "recv")
    steps[recv] = {**steps[recv], "request": {**steps[recv]["request"], "timeout_ms": 0}}
    steps[recv]["answer"] = {"ok": False, "error": "EFSM"}
    outcome = replay(failure, libzmq, libzmq).outcomes[recv]
    assert outcome.status == DIFFERS and outcome.recorded_shown == "EFSM"


def test_a_poll_that_finds_a_message_the_recording_never_got_differs(libzmq):
    failure = record(libzmq, ("DEALER", "DEALER"), "inproc", [[b"1"], [b"2"]])
    steps = failure.reproduction
    recv = next(i for i, s in enumerate(steps) if s["request"]["op"] == "recv")
    steps[recv] = {**steps[recv], "request": {**steps[recv]["request"], "timeout_ms": 0}}
    steps[recv]["answer"] = {"ok": False, "error": "EAGAIN"}
    result = replay(failure, libzmq, libzmq)
    assert result.outcomes[recv].status == DIFFERS
    assert "the recording never did" in result.outcomes[recv].note


class BreaksOnSend:
    """A binding whose sockets break the protocol on send, as a crashing driver does."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.version, self.capabilities = "breaks", "0", inner.capabilities

    def socket(self, type):
        sock = self.inner.socket(type)

        def send(frames, timeout_ms):
            raise BindingBroken("driver exited with status 5 while handling 'send'")

        sock.send = send
        return sock

    def close(self) -> None:
        pass


def test_an_implementation_that_breaks_stops_the_replay(libzmq):
    failure = record(libzmq, ("REQ", "REP"), "tcp", [[b"q"], [b"a"]])
    result = replay(failure, BreaksOnSend(libzmq), libzmq)
    assert result.broke is not None and result.broke.request["op"] == "send"
    assert verdict_line(result).startswith("BROKEN: the implementation broke at step")


@pytest.mark.parametrize(
    "steps",
    [
        [],
        [{"side": "iut", "request": {"op": "socket", "type": "REQ"}}],
        [{"side": "elsewhere", "request": {"op": "socket", "type": "REQ"}, "answer": {"ok": True}}],
        [{"side": "iut", "request": {"op": "fly", "socket": "s1"}, "answer": {"ok": True}}],
        [
            {
                "side": "iut",
                "request": {"op": "send", "socket": "s1", "frames": ["%%"], "timeout_ms": 1},
                "answer": {"ok": True},
            }
        ],
        [{"side": "reference", "request": {"op": "start"}, "answer": {"ok": True}}],
        [{"side": "reference", "request": {"op": "stop", "pattern": "x"}, "answer": {"ok": True}}],
        [
            {
                "side": "reference",
                "request": {"op": "start", "pattern": "peering cluster", "entry": "tcp://a:1"},
                "answer": {"ok": True},
            }
        ],
        [
            {
                "side": "reference",
                "request": {"op": "start", "pattern": "lbbroker", "frontend": "tcp://a:1"},
                "answer": {"ok": True},
            }
        ],
    ],
)
def test_a_reproduction_that_is_not_protocol_steps_is_one_clear_error(steps):
    with pytest.raises(ResultsError, match=r"reproduction"):
        check_steps(steps)


def test_a_failure_inside_the_reference_broker_replays_with_the_broker(tmp_path):
    """The broker is not the implementation's: replay starts the reference one where it served."""
    results = tmp_path / "results.json"
    run = run_suite(
        "--zmq-binding",
        "tests.faults:req_strips_reply_address",
        "--hypothesis-profile",
        "mutation",
        "-k",
        "lb-broker/REQ-ROUTER/tcp",
        "--zmq-results",
        str(results),
    )
    assert run.returncode == 1, run.output
    failure = RunResults.load(results).cases[0].failure
    assert failure is not None and failure.reproduction[0]["side"] == "reference"

    again = replay_command(str(results), "--zmq-binding", "tests.faults:req_strips_reply_address")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "REPRODUCED: every answer up to step" in again.stdout
    assert "malformed reply" in again.stderr  # the broker says why it dropped the reply

    fixed = replay_command(str(results))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "NOT REPRODUCED" in fixed.stdout


def test_replay_starts_every_reference_pattern_the_trace_calls_replayable():
    assert set(REFERENCE_SERVICES) == set(REPLAYABLE_REFERENCES)


def test_a_reproduction_inside_a_peering_cluster_says_it_cannot_be_replayed():
    steps = [
        {
            "side": "reference",
            "request": {"op": "start", "pattern": "peering cluster", "entry": "tcp://a:1"},
            "answer": {"ok": True},
        }
    ]
    result = CaseResult(
        "peering/REQ-ROUTER/tcp", "self", Verdict.FAIL, failure=Failure("x", reproduction=steps)
    )
    text = report_text(result, "results.json", "here")
    assert "replay:    not available: it runs the reference peering cluster" in text
    assert "python -m conformance replay" not in text


# -- the command's errors: one line, exit status 2 --------------------------------------


@pytest.fixture
def results_file(tmp_path, libzmq):
    failure = record(libzmq, ("REQ", "REP"), "tcp", [[b"q"], [b"a"]])
    run = RunResults("impl", "1.0", "both", ["tcp"], "0.1.0", "2026-01-01T00:00:00+00:00")
    run.cases = [
        CaseResult("delivery/REQ-REP/tcp", "self", Verdict.FAIL, failure=failure),
        CaseResult("delivery/REQ-REP/tcp", "iut-binds", Verdict.FAIL, failure=failure),
        CaseResult("fifo/DEALER-REP/tcp", "self", Verdict.PASS),
        CaseResult("fifo/DEALER-ROUTER/tcp", "self", Verdict.FAIL, failure=Failure("lost")),
    ]
    path = tmp_path / "results.json"
    run.write(path)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "missing.json: cannot read"),
        (["{file}", "--case", "nope/REQ-REP/tcp"], "no case 'nope/REQ-REP/tcp'"),
        (["{file}", "--case", "fifo/DEALER-REP/tcp-self"], "is PASS: there is no failure"),
        (["{file}", "--case", "fifo/DEALER-ROUTER/tcp"], "has no recorded reproduction"),
        (["{file}", "--case", "delivery/REQ-REP/tcp"], "ran in several peerings"),
        (["{file}"], "2 cases have a reproduction; choose one with --case"),
        (["{file}", "--case", "delivery/REQ-REP/tcp-self", "--zmq-binding", "x"], "MODULE:FACTORY"),
        (["{file}", "--case", "delivery/REQ-REP/tcp-self", "--zmq-driver", "/no/such"], "start"),
    ],
)
def test_replay_errors_are_one_line_and_exit_2(results_file, capsys, args, message):
    status = main(["replay", *(a.format(file=results_file) for a in args)])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ('{"format": "junit"}', "not a zmq-conformance results file"),
        ('{"format": "zmq-conformance-results", "format_version": 9}', "format version 9"),
        ('{"format": "zmq-conformance-results", "format_version": 1}', "malformed results"),
    ],
)
def test_corrupt_or_foreign_files_are_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_wire_reproduction_says_why_it_cannot_be_replayed():
    """A raw ZMTP peer's octets are steps replay cannot make: the reason, not 'corrupt'."""
    steps = [
        {"side": "iut", "request": {"op": "socket", "type": "REQ"}, "answer": {"ok": True}},
        {"side": "wire", "request": {"op": "send", "octets": "ff00"}, "answer": {"ok": True}},
    ]
    with pytest.raises(ResultsError, match="cannot be replayed: a raw ZMTP peer"):
        check_steps(steps)


# -- python -m conformance report: a failure as an issue for the implementation's tracker


def test_report_writes_an_issue_with_the_steps_and_the_replay_command(results_file, capsys):
    assert main(["report", str(results_file), "--case", "delivery/REQ-REP/tcp-iut-binds"]) == 0
    issue = capsys.readouterr().out
    assert issue.startswith("### impl: delivery/REQ-REP/tcp: ")
    assert "impl binds, libzmq connects, over tcp" in issue
    assert "```text\ndelivery/REQ-REP/tcp-iut-binds: FAIL (MUST)" in issue
    assert "reproduction: " in issue and "iut     send s" in issue
    replay = f"python -m conformance replay {results_file} --case delivery/REQ-REP/tcp-iut-binds"
    assert replay in issue


def test_report_without_a_case_lists_what_it_can_report(results_file, capsys):
    assert main(["report", str(results_file)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [
        "delivery/REQ-REP/tcp-iut-binds  FAIL",
        "delivery/REQ-REP/tcp-self  FAIL",
        "fifo/DEALER-ROUTER/tcp-self  FAIL",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{file}", "--case", "fifo/DEALER-REP/tcp-self"], "is PASS: nothing to report"),
        (["{file}", "--case", "delivery/REQ-REP/tcp"], "ran in several peerings"),
        (["{file}", "--case", "nope"], "no case 'nope'"),
    ],
)
def test_report_errors_are_one_line_and_exit_2(results_file, capsys, args, message):
    assert main(["report", *(a.format(file=results_file) for a in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
