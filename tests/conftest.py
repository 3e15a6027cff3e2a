"""Helpers for running the conformance suite as a user would: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_LIMIT_S = 120


@dataclass
class SuiteRun:
    returncode: int
    output: str
    seconds: float

    def count(self, word: str) -> int:
        return sum(1 for line in self.output.splitlines() if line.startswith(word + " "))


def run_suite(*args: str, timeout: float = RUN_LIMIT_S) -> SuiteRun:
    """Run ``pytest conformance ARGS`` in a fresh interpreter, as a user would."""
    command = [sys.executable, "-m", "pytest", "conformance", "-q", "-rA", "-p", "no:xdist"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    done = subprocess.run(
        [*command, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    return SuiteRun(done.returncode, done.stdout, time.monotonic() - start)


@pytest.fixture
def suite():
    return run_suite
