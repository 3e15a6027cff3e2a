"""``python -m conformance``: tools around the suite's results.

python -m conformance replay RESULTS.json [--case ID]
                             [--zmq-driver CMD | --zmq-binding MODULE:FACTORY]
python -m conformance report RESULTS.json [--case ID]

``replay`` re-runs a failure's reproduction (the driver-protocol requests
recorded in the results file) against an implementation, the built-in
libzmq binding by default, and shows step by step where the answers differ
from the recorded ones.  Exit status: 1 if the failure reproduces (or the
implementation broke), 0 if the implementation now answers differently,
2 if the replay could not run (a bad file, an unknown case, a driver that
does not start).

``report`` prints a failure (FAIL, BROKEN or KNOWN) as a Markdown issue body
for the implementation's own tracker; without ``--case`` it lists the cases
it can report.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from conformance.binding import Binding, BindingBroken
from conformance.bindings.driver import DriverBinding
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.replay import Replay, render
from conformance.results import CaseResult, ResultsError, RunResults
from conformance.tracker import reportable, tracker_report


class UsageError(Exception):
    """Something the user can fix; the message is one line."""


def pick_case(run: RunResults, wanted: str | None, where: str) -> CaseResult:
    """The case to replay: ``wanted`` (with or without its peering), or the only failure."""
    replayable = [c for c in run.cases if c.failure is not None and c.failure.reproduction]
    if wanted is None:
        if len(replayable) == 1:
            return replayable[0]
        if not replayable:
            raise UsageError(f"{where}: no case has a reproduction to replay")
        ids = ", ".join(c.id for c in replayable[:5])
        more = f" and {len(replayable) - 5} more" if len(replayable) > 5 else ""
        raise UsageError(
            f"{where}: {len(replayable)} cases have a reproduction; choose one with --case: "
            f"{ids}{more}"
        )
    matches = [c for c in run.cases if wanted in (c.id, c.case)]
    if not matches:
        raise UsageError(f"{where}: no case {wanted!r} in these results")
    with_steps = [c for c in matches if c in replayable]
    if len(with_steps) > 1:
        ids = ", ".join(c.id for c in with_steps)
        raise UsageError(f"{where}: {wanted!r} ran in several peerings; choose one of {ids}")
    if not with_steps:
        case = matches[0]
        if case.failure is None:
            raise UsageError(f"{where}: {case.id} is {case.verdict}: there is no failure to replay")
        raise UsageError(f"{where}: {case.id} ({case.verdict}) has no recorded reproduction")
    return with_steps[0]


def make_binding(args: argparse.Namespace) -> Binding:
    if args.driver and args.binding:
        raise UsageError("--zmq-driver and --zmq-binding are exclusive: choose one")
    if args.driver:
        try:
            binding = DriverBinding(args.driver, grace_s=args.driver_grace, startup_s=args.startup)
        except ValueError as exc:
            raise UsageError(f"--zmq-driver {args.driver!r}: {exc}") from None
        if not binding.argv:
            raise UsageError("--zmq-driver needs a command")
        try:
            binding.start()
        except BindingBroken as exc:
            raise UsageError(exc.summary) from None
        return binding
    if args.binding:
        module_name, _, attribute = args.binding.partition(":")
        if not module_name or not attribute:
            raise UsageError(f"--zmq-binding takes MODULE:FACTORY, not {args.binding!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise UsageError(f"--zmq-binding {args.binding!r}: cannot import: {exc}") from None
        factory = getattr(module, attribute, None)
        binding = factory() if callable(factory) else None
        if not isinstance(binding, Binding):
            raise UsageError(f"--zmq-binding {args.binding!r}: no factory of a Binding")
        return binding
    return PyzmqBinding()


def replay(args: argparse.Namespace) -> int:
    run = RunResults.load(args.results)
    case = pick_case(run, args.case, args.results)
    failure = case.failure
    assert failure is not None
    iut = make_binding(args)
    libzmq = PyzmqBinding()
    try:
        print(f"replay of {case.id} from {args.results}")
        print(f"  recorded: {run.implementation}: {run.version} -> {case.verdict}")
        print(f"  failure:  {failure.message}")
        if failure.expected or failure.observed:
            print(f"  expected: {failure.expected}")
            print(f"  observed: {failure.observed}")
        print(f"  now:      iut = {iut.name}: {iut.version}; libzmq = {libzmq.version}")
        result = Replay({"iut": iut, "libzmq": libzmq}, failure).run()
    finally:
        iut.close()
        libzmq.close()
    print(render(result))
    return 1 if result.reproduced or result.broke else 0


def report(args: argparse.Namespace) -> int:
    run = RunResults.load(args.results)
    cases = reportable(run)
    if args.case is None:
        if not cases:
            raise UsageError(f"{args.results}: no FAIL, BROKEN or KNOWN case to report")
        for case in cases:
            print(f"{case.id}  {case.verdict}")
        return 0
    matches = [c for c in run.cases if args.case in (c.id, c.case)]
    if not matches:
        raise UsageError(f"{args.results}: no case {args.case!r} in these results")
    chosen = [c for c in matches if c in cases]
    if not chosen:
        raise UsageError(f"{args.results}: {args.case} is {matches[0].verdict}: nothing to report")
    if len(chosen) > 1:
        ids = ", ".join(c.id for c in chosen)
        raise UsageError(
            f"{args.results}: {args.case!r} ran in several peerings; choose one of {ids}"
        )
    print(tracker_report(run, chosen[0], args.results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    again = commands.add_parser(
        "replay",
        help="re-run a failure's reproduction and show where the answers differ",
        description="Re-run a failure's recorded driver-protocol requests against an "
        "implementation (the built-in libzmq binding by default) and compare each answer "
        "with the recorded one. Exit status: 1 reproduced, 0 not reproduced, 2 cannot run.",
    )
    again.add_argument(
        "results", metavar="RESULTS.json", help="a results file (--zmq-results PATH)"
    )
    again.add_argument("--case", metavar="ID", help="the case, e.g. delivery/REQ-REP/tcp-self")
    # The suite's option names, and the shorter ones of earlier releases: replay is
    # our own command, where no other plugin can own a name.
    again.add_argument(
        "--zmq-driver", "--driver", dest="driver", metavar="CMD", help="replay against this driver"
    )
    again.add_argument(
        "--zmq-binding",
        "--binding",
        dest="binding",
        metavar="MODULE:FACTORY",
        help="replay against an in-process binding",
    )
    again.add_argument(
        "--zmq-driver-grace",
        "--driver-grace",
        dest="driver_grace",
        type=float,
        default=2.0,
        metavar="SECONDS",
    )
    again.add_argument(
        "--zmq-driver-startup",
        "--driver-startup",
        dest="startup",
        type=float,
        default=10.0,
        metavar="SECONDS",
    )
    again.set_defaults(run=replay)
    tell = commands.add_parser(
        "report",
        help="print a failure as a Markdown issue for the implementation's tracker",
        description="Print a FAIL, BROKEN or KNOWN case of a results file as a Markdown issue "
        "body: the statement and its source, what happened, the requests that show it, and "
        "the command that replays them. Without --case, list the cases it can report.",
    )
    tell.add_argument("results", metavar="RESULTS.json", help="a results file (--zmq-results PATH)")
    tell.add_argument("--case", metavar="ID", help="the case, e.g. delivery/REQ-REP/tcp-self")
    tell.set_defaults(run=report)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ResultsError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader stopped early (| head): end quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
