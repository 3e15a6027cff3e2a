"""Fixtures for the tests of the suite itself."""

from __future__ import annotations

import pytest

from benchmarks.suite_runner import ROOT, SuiteRun, run_suite

__all__ = ["ROOT", "SuiteRun", "run_suite"]


@pytest.fixture
def suite():
    """``suite(*args)`` runs ``pytest conformance ARGS`` in a subprocess: a :class:`SuiteRun`."""
    return run_suite
