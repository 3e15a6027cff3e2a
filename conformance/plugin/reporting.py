"""The end of a run: the compatibility summary on the terminal and the results file.

Registered as a plugin of its own, the way pytest's terminal reporter is.
Under xdist it does its work in the controller, which sees every worker's
reports; workers only judge.
"""

from __future__ import annotations

import datetime
import time
from importlib.metadata import PackageNotFoundError, version

import pytest

from conformance.catalogue import CASES
from conformance.plugin import profiles
from conformance.plugin.testids import parse_case_test_id
from conformance.plugin.verdicts import verdict_of
from conformance.results import (
    CaseResult,
    Failure,
    RunResults,
    Verdict,
    case_from_json,
    fingerprint,
)
from conformance.results.summary import render


def suite_version() -> str:
    try:
        return version("zmq-conformance")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
        return "unknown"


class ResultsReporter:
    def __init__(self, config: pytest.Config, settings) -> None:
        self.config = config
        self.settings = settings
        self.started = time.time()
        self.results: RunResults | None = None

    def _run(self) -> RunResults:
        if self.results is None:
            name, impl_version = self.settings.describe()
            self.results = RunResults(
                implementation=name,
                version=impl_version,
                peer=self.settings.peer,
                transports=list(self.settings.transports),
                suite_version=suite_version(),
                started=datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc)
                .replace(microsecond=0)
                .isoformat(),
                catalogue=fingerprint(CASES),
                profile=self.config.getoption("hypothesis_profile", None)
                or profiles.default_name(),
            )
        return self.results

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = verdict_of(report)
        if info is None and report.failed:
            self._record_lost(report)
            return
        if info is None or "verdict" not in info:
            return
        self._run().record(case_from_json(info))

    def _record_lost(self, report: pytest.TestReport) -> None:
        """A case that failed without a verdict: its test process died running it.

        Every phase of a case that runs to its end carries a verdict; only a
        report made for it by someone else, xdist's for a worker that crashed
        (an abort or a segfault in the binding), has none.  The case is
        BROKEN, with what xdist saw, instead of missing from the results.
        """
        case, peering = parse_case_test_id(report.nodeid.rpartition("[")[2].rstrip("]"))
        if case is None:
            return
        seen = (report.longreprtext or "the test process died").strip().splitlines()
        self._run().record(
            CaseResult(
                case=case.id,
                peering=peering,
                verdict=Verdict.BROKEN,
                level=case.level.value,
                statement=case.statement,
                source=case.family.source,
                duration_s=round(report.duration, 4),
                reason="the test process died running this case",
                failure=Failure(message=f"the test process died running this case: {seen[0]}"),
            )
        )

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.results is None:
            return
        cases = self.results.cases
        terminalreporter.write_sep("=", "zmq-conformance compatibility summary")
        terminalreporter.write_line(render(cases, width=terminalreporter._tw.fullwidth))
        for verdict, title in (
            (Verdict.NON_STRICT, "NON-STRICT: deviations from a SHOULD (not failing)"),
            (Verdict.KNOWN, "KNOWN: listed known deviations (not failing)"),
            (Verdict.UNSUPPORTED, "UNSUPPORTED"),
            (Verdict.INFORMATIONAL, "INFORMATIONAL: what the implementation was seen to do"),
        ):
            lines = sorted(
                f"{c.case}-{c.peering}: {c.reason}" for c in cases if c.verdict == verdict
            )
            if lines:
                terminalreporter.write_sep("-", title)
                for line in lines:
                    terminalreporter.write_line(line)
        stale = sorted(
            f"{c.case}-{c.peering}: {c.reason}"
            for c in cases
            if c.verdict == Verdict.PASS and c.reason
        )
        if stale:
            terminalreporter.write_sep(
                "-", "STALE: known deviations that passed; update --zmq-known"
            )
            for line in stale:
                terminalreporter.write_line(line)
        path = self.config.option.zmq_results
        failed = sorted(
            (c for c in cases if c.verdict.fails_the_run and c.failure is not None),
            key=lambda c: c.id,
        )
        if failed:
            where = path or "RESULTS.json"
            terminalreporter.write_sep("-", "FAIL and BROKEN")
            for case in failed:
                terminalreporter.write_line(f"{case.id}: {case.failure.message}")
            terminalreporter.write_line(
                ("" if path else f"rerun with --zmq-results {where}, then ")
                + f"replay one: python -m conformance replay {where} --case ID [--zmq-driver CMD]"
            )
        if path:
            terminalreporter.write_line(f"zmq-conformance: results written to {path}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.config.option.zmq_results
        if not path or hasattr(self.config, "workerinput"):
            return
        run = self._run()
        run.duration_s = round(time.time() - self.started, 3)
        run.write(path)
