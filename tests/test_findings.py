"""docs/findings.md cites only cases that show its findings in the published results.

Each finding names a case and the results file that holds it, so that
``python -m conformance report`` can print the issue for it.  When a row is
re-run and a cited case passes, or is gone, the page must change with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.results import RunResults
from conformance.tracker import REPORTED

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = ROOT / "docs" / "findings.md"
CITATION = re.compile(
    r"`([a-z0-9-]+/[A-Z]+-[A-Z]+/[a-z]+-[a-z-]+)`\s+in\s+`([A-Za-z0-9.-]+\.json)`"
)


def citations() -> list[tuple[str, str]]:
    text = " ".join(FINDINGS.read_text().split())  # a citation may wrap across lines
    return CITATION.findall(text)


def test_the_page_cites_cases():
    assert len(citations()) >= 20


@pytest.mark.parametrize(("case_id", "file"), citations())
def test_a_cited_case_shows_a_deviation_in_its_results_file(case_id, file):
    run = RunResults.load(ROOT / "matrix" / "results" / file)
    verdicts = {case.id: case.verdict for case in run.cases}
    assert case_id in verdicts, f"{file} has no case {case_id}"
    assert verdicts[case_id] in REPORTED, f"{case_id} is {verdicts[case_id]} in {file}"
