"""Is the gate flake-free under load? The whole suite, many times, with both cores busy.

    python -m benchmarks.flaky                  20 runs, 2 workers, cores loaded
    python -m benchmarks.flaky --runs 5 --no-load
    python -m benchmarks.flaky --zmq-driver "python3 -m conformance.drivers.pyzmq"

Each run is ``pytest conformance -n WORKERS --zmq-results FILE``; meanwhile one
busy process per core competes for the CPU, which is what a shared CI
machine does to a suite.  An outcome is the verdict of one case and
peering; every outcome that differs between runs is listed with its
verdicts run by run.  The exit status is 0 exactly when no outcome differed
and no run was missing results.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys

from benchmarks.workload import run_whole_suite


def burn() -> None:
    """Keep one core busy until terminated."""
    while True:
        pass


class CoreLoad:
    """One busy process per core, for as long as the block runs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.processes: list[multiprocessing.Process] = []

    def __enter__(self) -> CoreLoad:
        if self.enabled:
            for _ in range(os.cpu_count() or 1):
                process = multiprocessing.Process(target=burn, daemon=True)
                process.start()
                self.processes.append(process)
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(timeout=5)


def _failure_summary(output: str) -> str:
    """pytest's failure and error sections, and its FAILED/ERROR lines: the why of a run."""
    lines = output.splitlines()
    sections = []
    inside = False
    for line in lines:
        if line.startswith("=") and (" FAILURES " in line or " ERRORS " in line):
            inside = True
        elif line.startswith("=") and "short test summary info" in line:
            inside = False
        if inside:
            sections.append(line)
    verdicts = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return "\n".join(sections[-150:] + verdicts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.flaky", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers (default 2)")
    parser.add_argument("--no-load", action="store_true", help="do not load the cores")
    parser.add_argument(
        "--zmq-driver", "--driver", dest="driver", metavar="CMD", help="run through this driver"
    )
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2 to compare anything")
    extra = ("--zmq-driver", args.driver) if args.driver else ()

    seen: dict[str, list[str]] = {}  # outcome -> its verdict run by run, "-" where missing
    exits: list[int] = []
    incomplete = 0
    with CoreLoad(not args.no_load):
        for number in range(1, args.runs + 1):
            measured = run_whole_suite(*extra, workers=args.workers)
            outcomes = measured.outcomes()
            if not outcomes:
                incomplete += 1
                print(f"run {number}: no results (exit {measured.run.returncode})")
                print(measured.run.output[-2000:])
                continue
            for key in seen.keys() | outcomes.keys():
                # An outcome first seen now was missing from every earlier run.
                seen.setdefault(key, ["-"] * len(exits)).append(outcomes.get(key, "-"))
            exits.append(measured.run.returncode)
            print(
                f"run {number}: {len(outcomes)} outcomes, exit {measured.run.returncode}, "
                f"{measured.run.seconds:.1f} s",
                flush=True,
            )
            if measured.run.returncode != 0:
                # The why is in this run's output only: show it now, the summary has the what.
                print(_failure_summary(measured.run.output), flush=True)

    differing = {key: verdicts for key, verdicts in seen.items() if len(set(verdicts)) > 1}
    print(
        f"\n{args.runs} runs{'' if args.no_load else ' under load'}: "
        f"{len(differing)} of {len(seen)} outcomes differed, {incomplete} runs without results"
    )
    for key, verdicts in sorted(differing.items()):
        print(f"  {key}: {' '.join(verdicts)}")
    if len(set(exits)) > 1:
        print(f"  exit status run by run: {' '.join(map(str, exits))}")
    return 0 if not differing and not incomplete and len(set(exits)) <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
