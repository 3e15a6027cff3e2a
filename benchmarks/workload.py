"""Running the whole default suite and reading back what it did, for the benchmarks.

A run is ``pytest conformance -n WORKERS --zmq-results FILE`` in a fresh
interpreter, exactly the command a user runs, with the implementation
chosen by extra arguments (``--zmq-driver ...``).  What it did comes from the
results file: one verdict and one example count per case and peering.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.suite_runner import SuiteRun, run_suite
from conformance.results import ResultsError, RunResults

SUITE_LIMIT_S = 900


@dataclass
class SuiteMeasurement:
    run: SuiteRun
    results: RunResults | None

    @property
    def examples(self) -> int:
        return sum(case.examples for case in self.results.cases) if self.results else 0

    def outcomes(self) -> dict[str, str]:
        """Verdict per ``case-peering``: what must not differ from one run to the next."""
        if self.results is None:
            return {}
        return {f"{c.case}-{c.peering}": c.verdict.value for c in self.results.cases}


def run_whole_suite(*args: str, workers: int = 2, limit: float = SUITE_LIMIT_S) -> SuiteMeasurement:
    """Run every case of the default suite (plus ``args``) and keep its results."""
    with tempfile.TemporaryDirectory(prefix="zc-bench-") as tmp:
        path = Path(tmp) / "results.json"
        run = run_suite(*args, "--zmq-results", str(path), timeout=limit, workers=workers)
        try:
            results = RunResults.load(path)
        except ResultsError:
            results = None
        return SuiteMeasurement(run, results)
