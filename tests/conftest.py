"""Fixtures for the tests of the suite itself."""

from __future__ import annotations

import pytest

from benchmarks.suite_runner import ROOT, SuiteRun, run_suite
from conformance.plugin import profiles

__all__ = ["ROOT", "SuiteRun", "run_suite"]

# The suite's own tests search as the suite does (its plugin registers these
# profiles only in sessions that run conformance cases); --hypothesis-profile
# still picks another.
profiles.register()
profiles.load_default()


@pytest.fixture
def suite():
    """``suite(*args)`` runs ``pytest conformance ARGS`` in a subprocess: a :class:`SuiteRun`."""
    return run_suite
