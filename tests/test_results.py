"""Failure reports and the results file: what a binding maintainer gets from a failed run.

For a FAIL, pytest's output and the results file must give the case id and
its statement, expected and observed in one line each, the shrunk example
as its generated values only, and the reproduction (the first protocol
steps, and how to replay all of them), without a Python traceback unless
one is asked for.
"""

from __future__ import annotations

import json
import re
import sys
from xml.etree import ElementTree

import pytest

from benchmarks.suite_runner import ROOT, run_suite
from conformance.binding import ErrorCode, ZmqError
from conformance.catalogue import CASES
from conformance.plugin.failures import (
    describe_failure,
    expectation,
    failing_step,
    report_text,
    reproduction_lines,
    shrunk_example,
)
from conformance.results import (
    CaseResult,
    Failure,
    ResultsError,
    RunResults,
    Verdict,
    fingerprint,
)

FIXTURES = {"network", "case", "peering"}
NOTES = """\
Failing test case: test_message_and_answer_arrive_intact(
    network=<network self: libzmq (pyzmq) / libzmq (pyzmq)>,
    case=<case delivery/REQ-REP/tcp>,
    data=data(...),
    body=[b''],  # or any other generated value
    answer=[b'', b'\\x00'],
    bodies=[[b''],
     [b'\\x00']],
)
Draw 1 (first speaker): 'connector'
Draw 2: 3
Explanation:
    These lines were always and only run by failing test cases:
        /work/main/conformance/assertions.py:23

You can reproduce this test case by temporarily adding @reproduce_failure('6.1', b'AA==')"""


def test_the_shrunk_example_is_the_generated_values_only():
    assert shrunk_example([NOTES], FIXTURES).splitlines() == [
        "body=[b''] (any value)",
        "answer=[b'', b'\\x00']",
        "bodies=[[b''], [b'\\x00']]",
        "first speaker='connector'",
        "draw=3",
    ]


def test_the_shrunk_example_of_an_older_hypothesis_and_of_no_hypothesis():
    older = "Falsifying example: test_x(\n    network=<n>,\n    hops=[b'a'],\n)"
    assert shrunk_example([older], FIXTURES) == "hops=[b'a']"
    assert shrunk_example([], FIXTURES) == ""


def test_the_shrunk_example_of_a_state_machine_is_its_steps():
    notes = [
        "Failing test case: <state machine>",
        "state = Sockets()",
        "state.send(body=[b''])",
        "state.teardown()",
        "\nYou can reproduce this test case by temporarily adding @reproduce_failure(...)",
    ]
    assert shrunk_example(notes, FIXTURES) == "state = Sockets()\nstate.send(body=[b''])"


def raised(exc: BaseException) -> pytest.ExceptionInfo:
    with pytest.raises(type(exc)) as info:
        raise exc
    return info


@pytest.mark.parametrize(
    ("exc", "expected", "observed"),
    [
        (
            AssertionError("REQ received: frame 0 differs\n  expected: [b'']\n  observed: [b'?']"),
            "[b'']",
            "[b'?']",
        ),
        (
            AssertionError("expected EFSM, got EAGAIN: Resource unavailable"),
            "EFSM",
            "EAGAIN: Resource unavailable",
        ),
        (
            AssertionError("expected EFSM, but the call succeeded and returned None"),
            "EFSM",
            "the call succeeded and returned None",
        ),
        (
            AssertionError("REP (binder): nothing arrived within 2000 ms"),
            "a message",
            "nothing arrived within 2000 ms",
        ),
        (
            ZmqError(ErrorCode.EHOSTUNREACH, "no route"),
            "the operation succeeds",
            "EHOSTUNREACH: no route",
        ),
        (AssertionError("the invalid REQ peer received [b'x']\nassert 1 == 0"), "", ""),
    ],
)
def test_expected_and_observed_are_one_line_each(exc, expected, observed):
    info = raised(exc)
    assert expectation(str(info.value).splitlines(), info) == (expected, observed)


def step(op: str, answer=None, **request) -> dict:
    return {"side": "iut", "request": {"op": op, **request}, "answer": answer or {"ok": True}}


def test_a_failure_seen_only_once_is_reported_as_itself_and_as_not_always():
    """Hypothesis calls a failure it could not replay flaky; the report shows the failure."""
    from hypothesis.errors import FlakyFailure, FlakyStrategyDefinition

    seen = AssertionError("REQ received: frame 0 differs\n  expected: [b'a']\n  observed: [b'b']")
    with pytest.raises(FlakyFailure) as flaky:
        raise FlakyFailure("Inconsistent results", [seen])
    failure = describe_failure(flaky, [], ())
    assert failure.message == (
        "seen once, not on a replay of the same steps: REQ received: frame 0 differs"
    )
    assert (failure.expected, failure.observed) == ("[b'a']", "[b'b']")
    with pytest.raises(FlakyStrategyDefinition) as diverged:
        raise FlakyStrategyDefinition("Inconsistent data")
    assert describe_failure(diverged, [], ()).message.startswith("nondeterministic: ")


def test_the_failing_step_is_the_last_before_the_cleanup():
    steps = [
        step("socket", type="REQ"),
        step("recv", socket="s1", timeout_ms=5),
        step("close", socket="s1"),
    ]
    assert failing_step(steps) == 2
    assert failing_step([step("close", socket="s1")]) == 0


def test_a_long_reproduction_shows_its_start_and_the_steps_to_the_failure():
    steps = [step("socket", type="DEALER")] + [
        step("send", socket="s1", frames=[f"{n:04d}"], timeout_ms=2000) for n in range(30)
    ]
    steps.append(step("close", socket="s1"))
    result = CaseResult(
        "fifo/DEALER-DEALER/tcp",
        "iut-connects",
        Verdict.FAIL,
        statement="Between two peers, a sequence of messages arrives in order.",
        failure=Failure("out of order", "[b'a']", "[b'b']", "bodies=[[b'a']]", steps, 31),
    )
    text = report_text(result, "out.json", "conformance/test_delivery.py:9 (AssertionError)")
    lines = text.splitlines()
    assert lines[0] == "fifo/DEALER-DEALER/tcp-iut-connects: FAIL (MUST)"
    assert "  expected:  [b'a']" in lines and "  observed:  [b'b']" in lines
    assert "  example:   bodies=[[b'a']]" in lines
    assert any(line.startswith("  >  31 iut") for line in lines)
    assert "       ..." in lines and "        (1 more steps close the sockets)" in lines
    assert sum(1 for line in lines if re.match(r"  [ >] +\d+ iut", line)) == 12
    assert (
        "python -m conformance replay out.json --case fifo/DEALER-DEALER/tcp-iut-connects" in text
    )


# -- the results file -----------------------------------------------------------------


def sample_run() -> RunResults:
    run = RunResults("impl", "1.0", "libzmq", ["tcp"], "0.1.0", "2026-01-01T00:00:00+00:00")
    run.catalogue = fingerprint(CASES)
    failure = Failure("lost", "a message", "nothing", "body=[b'']", [step("socket", type="REQ")], 1)
    run.record(CaseResult("delivery/REQ-REP/tcp", "iut-binds", Verdict.FAIL, failure=failure))
    run.record(CaseResult("delivery/REQ-REP/tcp", "iut-binds", Verdict.PASS))  # the worse stays
    run.record(CaseResult("delivery/REQ-REP/tcp", "iut-connects", Verdict.KNOWN, reason="tracked"))
    return run


def test_a_results_file_reads_back_as_written(tmp_path):
    path = tmp_path / "results.json"
    run = sample_run()
    run.write(path)
    again = RunResults.load(path)
    assert again == run
    assert [c.verdict for c in again.cases] == [Verdict.FAIL, Verdict.KNOWN]  # sorted by id
    assert again.cases[0].failure.failing_step == 1


def test_a_newer_writers_extra_failure_fields_are_ignored(tmp_path):
    data = sample_run().to_json()
    data["cases"][0]["failure"]["screenshot"] = "later"
    assert RunResults.from_json(data).cases[0].failure.message == "lost"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["cases"][0].update(peering="nearby"), "bad peering 'nearby'"),
        (lambda d: d["cases"][0].update(case="delivery"), "bad case id"),
        (
            lambda d: d["cases"][0]["failure"].update(reproduction="steps"),
            "reproduction must be a list",
        ),
        (lambda d: d["cases"][0]["failure"].update(reproduction=[1]), "steps with request"),
        (lambda d: d["cases"][0]["failure"].update(failing_step=7), "failing step 7 of 1"),
        (lambda d: d.pop("implementation"), "malformed results"),
    ],
)
def test_a_malformed_results_file_is_one_clear_error(change, message):
    data = sample_run().to_json()
    change(data)
    with pytest.raises(ResultsError, match=re.escape(message)):
        RunResults.from_json(data, "r.json")


def test_the_catalogue_fingerprint_changes_with_the_catalogue():
    assert fingerprint(CASES) == fingerprint(reversed(CASES))
    assert fingerprint(CASES) != fingerprint(CASES[1:])


# -- a failed run, as a maintainer sees it -----------------------------------------------

FAULTY = ["--zmq-binding", "tests.faults:swap_first_two_frames", "--hypothesis-profile", "ci"]
CASE = "delivery/REQ-REP/tcp"


def test_a_failure_reads_as_a_report_not_a_traceback(tmp_path):
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    run = run_suite(*FAULTY, "-k", CASE, "--zmq-results", str(results), "--junitxml", str(junit))
    assert run.returncode == 1, run.output
    report = run.output.split("_ test_message_and_answer_arrive_intact")[1].split("=====")[0]
    for expected in (
        f"{CASE}-self: FAIL (MUST)",
        "  statement: A multipart message arrives intact",
        '  source:    RFC 28 "The REQ/REP/DEALER/ROUTER Socket Type"',
        "  failure:   ",
        "  expected:  [",
        "  observed:  [",
        "  example:   body=",
        "  reproduction: ",
        f"  replay:    python -m conformance replay {results} --case {CASE}-self",
        "--tb=long shows the Python traceback",
    ):
        assert expected in report, f"{expected!r} not in\n{report}"
    for noise in ("Traceback", "def ", "network=", "reproduce_failure", "\nE "):
        assert noise not in report, f"{noise!r} in\n{report}"
    failure = RunResults.load(results).cases[0].failure
    assert f"  expected:  {failure.expected}\n" in report
    assert f"  observed:  {failure.observed}\n" in report
    assert "network" not in failure.example and "first speaker=" in failure.example
    assert failure.reproduction[failure.failing_step - 1]["request"]["op"] == "recv"
    junit_failure = ElementTree.parse(junit).find(".//failure")
    assert junit_failure.get("message") == failure.message
    assert junit_failure.text.startswith(f"{CASE}-self: FAIL (MUST)\n  statement: ")


def test_an_explicit_traceback_style_keeps_the_traceback_and_adds_the_report():
    run = run_suite(*FAULTY, "-k", CASE, "--tb=short")
    assert run.returncode == 1, run.output
    assert "zmq-conformance failure report" in run.output
    assert "AssertionError" in run.output and f"{CASE}-self: FAIL (MUST)" in run.output


def test_a_driver_that_breaks_leaves_a_reproduction_ending_where_it_broke(tmp_path):
    results = tmp_path / "results.json"
    driver = f"{sys.executable} {ROOT / 'tests' / 'drivers' / 'misbehaving.py'} exit-on-send"
    run = run_suite(
        "--zmq-driver", driver, "--zmq-peer", "self", "-k", CASE, "--zmq-results", str(results)
    )
    assert run.returncode == 1, run.output
    case = RunResults.load(results).cases[0]
    assert case.verdict == Verdict.BROKEN
    broke = case.failure.reproduction[case.failure.failing_step - 1]
    assert broke["request"]["op"] == "send" and "exited with status 5" in broke["answer"]["broken"]
    assert case.failure.message.startswith("broken: driver ")
    assert json.loads(results.read_text())["catalogue"] == fingerprint(CASES)


def test_a_case_whose_process_dies_is_broken_not_missing(tmp_path):
    results = tmp_path / "results.json"
    run = run_suite(
        "--zmq-binding", "tests.dying_binding:binding", "-k", f"{CASE}-self",
        "--zmq-results", str(results), workers=1,
    )  # fmt: skip
    assert run.returncode == 1, run.output
    [case] = RunResults.load(results).cases
    assert (case.case, case.peering, case.verdict) == (CASE, "self", Verdict.BROKEN), run.output
    assert case.failure.message.startswith("the test process died running this case"), case
    assert case.source.startswith("RFC 28")


def test_the_first_deviation_is_the_verdict_and_a_break_after_it_is_said_beside_it(tmp_path):
    results = tmp_path / "results.json"
    run = run_suite(
        "--zmq-binding", "tests.dying_binding:wrong_then_hangs", "-k", f"{CASE}-self",
        "--zmq-results", str(results),
    )  # fmt: skip
    assert run.returncode == 1, run.output
    [case] = RunResults.load(results).cases
    assert case.verdict == Verdict.FAIL, run.output
    assert "then the implementation broke: no answer to close within 2.0 s" in (
        case.failure.message
    ), case.failure
    assert "broken" not in case.failure.message.split(" (then")[0], case.failure
    assert case.failure.reproduction, "the wrong answer's steps are kept"


def test_identical_steps_in_a_row_are_shown_once_with_their_count():
    def step(op, answer):
        return {"side": "iut", "request": {"op": op, "socket": "s1"}, "answer": answer}

    retried = step("send", {"ok": False, "error": "EHOSTUNREACH"})
    steps = [step("socket", {"ok": True}), *[retried] * 400, step("close", {"ok": True})]
    failure = Failure(message="m", reproduction=steps, failing_step=401)
    lines = reproduction_lines(failure)
    assert len(lines) == 4, lines
    assert lines[2].startswith("  >   2 iut") and lines[2].endswith("-> EHOSTUNREACH  (x400)"), (
        lines
    )
