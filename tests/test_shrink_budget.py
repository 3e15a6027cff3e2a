"""A failing case stops shrinking once its budget is spent, and still reports its failure truly.

Counted in examples run, not timed: with a budget of 0 s, Hypothesis runs
the failing example once more as its shrinking starts, stops there, and
replays it for the report.  With a budget it shrinks as usual.  If a
Hypothesis release stops honouring the bound, the first test fails.  Which
budget a case gets is decided by its first failing example.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine

from benchmarks.suite_runner import run_suite
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.catalogue.vocabulary import SELF
from conformance.harness import shrinking
from conformance.harness.endpoints import Endpoints
from conformance.harness.network import Network
from conformance.plugin import profiles
from conformance.results import RunResults, Verdict

LONG = 3


@pytest.fixture(autouse=True)
def _engine_bound_restored(monkeypatch):
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", engine.MAX_SHRINKING_SECONDS)


def _run_failing_test() -> tuple[list[list[bytes]], list[str]]:
    """Run a test that fails on messages of LONG frames or more: every example, every report."""
    ran: list[list[bytes]] = []
    reported: list[str] = []

    @settings(
        database=None,
        derandomize=True,
        max_examples=100,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.binary(), min_size=1))
    def check(frames):
        ran.append(frames)
        assert len(frames) < LONG

    with (
        profiles.with_reporter(reported.append),
        profiles.quiet_about_slow_shrinking(),
        pytest.raises(AssertionError),
    ):
        check()
    return ran, reported


def test_shrinking_stops_when_its_budget_is_spent():
    shrinking.allow(0.0)
    ran, reported = _run_failing_test()
    first_failure = next(i for i, frames in enumerate(ran) if len(frames) >= LONG)
    assert len(ran) == first_failure + 3, "examples ran after the budget was spent"
    assert ran[-1] == ran[first_failure], "the report is not the failing example found"
    assert not any("five minutes" in text for text in reported), reported


def test_within_the_budget_the_failure_is_shrunk():
    shrinking.allow(shrinking.ANSWERING_S)
    ran, _ = _run_failing_test()
    assert ran[-1] == [b""] * LONG


@pytest.mark.parametrize(
    ("waited_out", "budget"), [(False, shrinking.ANSWERING_S), (True, shrinking.WAITING_S)]
)
def test_the_first_failing_example_sets_the_budget(waited_out, budget):
    """A failure shown by a wait that ran out shrinks briefly; one shown by an answer, longer."""
    binding = PyzmqBinding()
    network = Network(binding, binding, SELF, Endpoints())
    shrinking.allow(-1.0)
    try:
        if waited_out:
            network.patience.exhaust()
        with pytest.raises(AssertionError), network.sockets():
            raise AssertionError("the example failed")
        assert budget == engine.MAX_SHRINKING_SECONDS
        shrinking.allow(-1.0)
        with pytest.raises(AssertionError), network.sockets():
            raise AssertionError("a later example failed too")
        assert engine.MAX_SHRINKING_SECONDS == -1.0, "set again by a later failure"
    finally:
        binding.close()


def test_a_failure_shown_with_a_wait_cut_short_says_a_full_wait_decided_it(tmp_path):
    """The shrunk example's waits are cut to 100 ms; its message must not read as the verdict's.

    A peer that is never cut off fails after a full wait; the example shown
    at the end waited 100 ms, and a maintainer reading only "kept the
    connection open for 100 ms" would think the suite impatient.
    """
    results = tmp_path / "results.json"
    run_suite(
        "--zmq-binding",
        "tests.faults:accepts_malformed_metadata",
        "-k",
        "wire-refuse-malformed/REP-REQ/tcp",
        "--zmq-results",
        str(results),
    )
    (case,) = RunResults.load(results).cases
    assert case.verdict == Verdict.FAIL, case
    message = case.failure.message
    assert "for 100 ms" in message and "a full 2000 ms wait ran out first" in message, message
