"""A failure written as a bug report for the implementation's own tracker.

The compatibility table says that a case failed; the implementation's
maintainers need more than that before they look: what was expected and on
whose authority, what their code did instead, the exact requests that show
it, and a command that says when it is fixed.  ``python -m conformance
report`` prints that as Markdown from a results file, ready to paste into an
issue, with no knowledge of our Python needed to read it.
"""

from __future__ import annotations

from conformance.plugin.failures import report_text
from conformance.results import CaseResult, RunResults, Verdict

REPORTED = (Verdict.FAIL, Verdict.BROKEN, Verdict.KNOWN)
"""The verdicts worth a report: a deviation, a crash or hang, or a deviation already listed."""

PEERS = {
    "self": "both ends are {iut}",
    "iut-binds": "{iut} binds, libzmq connects",
    "iut-connects": "{iut} connects, libzmq binds",
}


def reportable(run: RunResults) -> list[CaseResult]:
    """The cases of ``run`` a report can be written for, in the file's order."""
    return [case for case in run.cases if case.verdict in REPORTED]


def tracker_report(run: RunResults, case: CaseResult, results_path: str) -> str:
    """``case`` of ``run`` as a Markdown issue body."""
    name = run.implementation.split(" (")[0]
    peers = PEERS.get(case.peering, "{iut} against " + case.peering).format(iut=name)
    what = case.failure.message if case.failure is not None else case.reason
    lines = [
        f"### {name}: {case.case}: {what}",
        "",
        f"Found by zmq-conformance {run.suite_version} in case `{case.id}` ({case.level}; "
        f"{peers}, over {case.transport}), run on {run.started[:10]} with the "
        f"{run.profile or 'default'} profile against {run.implementation} ({run.version}). "
        "Below: what RFC 28/23 or libzmq expect, what happened, and the driver-protocol "
        "requests that show it (`iut` is the implementation, `libzmq` the reference peer; "
        "frames as Python bytes literals).",
        "",
        "```text",
        report_text(case, results_path),
        "```",
    ]
    if case.failure is not None and case.failure.reproduction:
        lines += [
            "",
            "To replay these requests against a build (exit status 1 while it still "
            "deviates, 0 once it answers as libzmq does), from a checkout of zmq-conformance:",
            "",
            f"    python -m conformance replay {results_path} --case {case.id} --zmq-driver DRIVER",
        ]
    return "\n".join(lines)
