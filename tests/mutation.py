"""The mutation score: how many faulty bindings the suite catches, and which case caught each.

    python -m tests.mutation            every fault against the whole suite
    python -m tests.mutation --fast     every fault against only the families meant to catch it
    python -m tests.mutation --fault swap_first_two_frames --fault drop_empty_frames
    python -m tests.mutation --fast --driver    the same, through a driver

Each fault of :data:`tests.faults.FAULTS` runs the suite in a fresh
interpreter (``--zmq-binding tests.faults:<fault>``), on the ``mutation``
profile: derandomized, no shrinking, since only the verdict counts here.
With ``--driver`` each binding runs behind a driver process instead
(``--zmq-driver "python -m conformance.drivers.binding tests.faults:<fault>"``,
protocol 2), the path every implementation in another language takes.
The case that caught it is read from the run's results file.  The correct
binding runs the same way as the control, and must pass.  The exit status
is 0 exactly when every fault is caught and the control passes.

``tests/test_faults.py`` is the ``--fast`` check, one pytest test per fault.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tabulate import tabulate

from benchmarks.suite_runner import SuiteRun, run_suite
from conformance.results import CaseResult, ResultsError, RunResults, Verdict
from tests.faults import FAULTS

CONTROL = "correct"
FAULT_LIMIT_S = 900
"""A fault caught only by the last families waits for nearly a whole run; a hang is cut off."""


@dataclass
class Outcome:
    """What one binding's run showed: the cases that failed it, if any."""

    binding: str
    returncode: int
    seconds: float
    failed_cases: list[str] = field(default_factory=list)
    output: str = ""
    results: list[CaseResult] = field(default_factory=list)
    """Every case's result, from the results file (empty if the run wrote none)."""

    @property
    def caught(self) -> bool:
        """Failed by a case: not a usage error, a crash or an interrupted run."""
        return self.returncode == 1 and bool(self.failed_cases)

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    @property
    def first_case(self) -> str:
        return self.failed_cases[0] if self.failed_cases else ""


def families_expression(families: tuple[str, ...]) -> str:
    """A ``-k`` expression selecting exactly these families' cases."""
    return " or ".join(f"{family}/" for family in families)


def run_binding(
    binding: str,
    families: tuple[str, ...] = (),
    *,
    stop_at_first: bool = True,
    through_driver: bool = False,
) -> Outcome:
    """Run the suite (or ``families`` of it) against ``tests.faults:<binding>``."""
    with tempfile.TemporaryDirectory(prefix="zc-mutation-") as tmp:
        results = Path(tmp) / "results.json"
        if through_driver:
            served = f"{sys.executable} -m conformance.drivers.binding tests.faults:{binding}"
            args = ["--zmq-driver", served]
        else:
            args = ["--zmq-binding", f"tests.faults:{binding}"]
        args += ["--hypothesis-profile", "mutation"]
        args += ["--zmq-results", str(results)]
        if families:
            args += ["-k", families_expression(families)]
        if stop_at_first:
            args.append("-x")
        run = run_suite(*args, timeout=FAULT_LIMIT_S)
        try:
            cases = RunResults.load(results).cases
        except ResultsError:
            cases = []
        return Outcome(
            binding, run.returncode, run.seconds, _failed_cases(cases, run), run.output, cases
        )


def _failed_cases(cases: list[CaseResult], run: SuiteRun) -> list[str]:
    """The FAIL and BROKEN cases, from the results file, or from pytest's lines without one."""
    if not cases:
        return [
            line.split("[", 1)[-1].rstrip("]")
            for line in run.output.splitlines()
            if line.startswith(("FAILED ", "ERROR "))
        ]
    return [f"{c.case}-{c.peering}" for c in cases if c.verdict in (Verdict.FAIL, Verdict.BROKEN)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="run each fault only against the families meant to catch it",
    )
    parser.add_argument(
        "--fault", action="append", metavar="NAME", help="only this fault (repeatable)"
    )
    parser.add_argument(
        "--driver",
        action="store_true",
        help="run each binding behind a driver process (conformance.drivers.binding)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="runs at once (default 2: one per core)"
    )
    args = parser.parse_args(argv)
    names = args.fault or sorted(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"no fault {', '.join(unknown)} (see tests/faults/)")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    def families_of(name: str) -> tuple[str, ...]:
        if name == CONTROL:
            return (
                tuple(sorted({f for n in names for f in FAULTS[n].caught_by})) if args.fast else ()
            )
        return FAULTS[name].caught_by if args.fast else ()

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        control = pool.submit(
            run_binding,
            CONTROL,
            families_of(CONTROL),
            stop_at_first=False,
            through_driver=args.driver,
        )
        outcomes = list(
            pool.map(lambda n: run_binding(n, families_of(n), through_driver=args.driver), names)
        )
    control_outcome = control.result()

    rows = [
        [
            o.binding,
            "caught" if o.caught else "MISSED",
            o.first_case or "-",
            ", ".join(FAULTS[o.binding].caught_by),
            f"{o.seconds:.1f}",
        ]
        for o in outcomes
    ]
    print(
        tabulate(
            rows, headers=["fault", "verdict", "first case that failed", "meant for", "seconds"]
        )
    )
    for missed in (o for o in outcomes if not o.caught):
        # A miss must be explainable: no failing case at all, or a run that ended otherwise.
        print(f"\n{missed.binding}: exit {missed.returncode}, failed cases: {missed.failed_cases}")
        print(missed.output[-3000:])
    caught = sum(o.caught for o in outcomes)
    print()
    print(
        f"mutation score: {caught}/{len(outcomes)} faults caught "
        f"({100 * caught / len(outcomes):.0f}%) in {time.monotonic() - start:.0f} s"
        f"{' (fast: expected families only)' if args.fast else ''}"
        f"{' through the binding driver' if args.driver else ''}"
    )
    if not control_outcome.passed:
        print(f"CONTROL FAILED: the correct binding failed {control_outcome.first_case}")
        print(control_outcome.output[-3000:])
    else:
        print(f"control: the correct binding passed ({control_outcome.seconds:.0f} s)")
    return 0 if caught == len(outcomes) and control_outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
