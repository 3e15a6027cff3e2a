"""Running the conformance suite as a user would: ``pytest conformance`` in a subprocess.

The tests of the suite, the mutation score and the benchmarks all need to
see what a user sees (exit status, output, results file), and to survive a
run that hangs: a fresh interpreter with a time limit gives both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_LIMIT_S = 120
TIMED_OUT = -1
"""The returncode of a run killed at its time limit (pytest's own codes are 0 to 5)."""


@dataclass
class SuiteRun:
    returncode: int
    output: str
    seconds: float

    def count(self, word: str) -> int:
        """How many result lines (``-rA``) start with ``word``: PASSED, FAILED, BROKEN..."""
        return sum(1 for line in self.output.splitlines() if line.startswith(word + " "))


def run_suite(*args: str, timeout: float = RUN_LIMIT_S, workers: int = 0) -> SuiteRun:
    """Run ``pytest conformance ARGS`` in a fresh interpreter; ``workers`` > 0 uses xdist."""
    parallel = ["-n", str(workers)] if workers else ["-p", "no:xdist"]
    command = [sys.executable, "-m", "pytest", "conformance", "-q", "-rA", *parallel]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    try:
        done = subprocess.run(
            [*command, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:  # killed; what it wrote so far is bytes
        partial = (exc.stdout or b"").decode(errors="replace")
        said = f"{partial}\n[killed at its time limit of {timeout:.0f} s]"
        return SuiteRun(TIMED_OUT, said, time.monotonic() - start)
    return SuiteRun(done.returncode, done.stdout, time.monotonic() - start)
