"""How fast the gate is: the whole default suite, in-process and through our driver.

    python -m benchmarks.suite              every run, two xdist workers
    python -m benchmarks.suite --workers 1

It runs ``pytest conformance -n WORKERS`` as a user would: against the
built-in binding, then through ``python -m conformance.drivers.pyzmq`` with
the same cases (``--zmq-peer self``: the driver protocol's overhead), with
the interop cases too (``--zmq-peer both``, a driver's default), and that
last run again with our driver held to protocol version 1
(``ZC_DRIVER_PROTOCOL=1``, in the libzmq peer's driver too), as a driver
written before version 2 is spoken to.  It prints the load average before
and after each run: wall time depends on it.  For each it reports the wall time,
the examples executed (from the results file), examples per second, and the
cost of one example in worker time relative to the unit a test cannot do
without: a fresh REQ/REP pair on a shared context, one round trip, and
closing both, measured with bare pyzmq in the same process just before.
It also checks what the issue asks of every property test: at least 100
examples in the default profile.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import inspect
import os
import sys
import time
from pathlib import Path

import zmq
from hypothesis import is_hypothesis_test
from tabulate import tabulate

from benchmarks.breakdown import PROTOCOL_ENV, load_average
from benchmarks.workload import SuiteMeasurement, run_whole_suite
from conformance.results import Verdict

BARE_ROUND_TRIPS = 1000
MIN_PROPERTY_EXAMPLES = 100
DRIVER = ("--zmq-driver", f"{sys.executable} -m conformance.drivers.pyzmq")
NEEDS_VERSION_3 = ("linger-at-close/",)
"""Families whose cases a driver of version 1 answers UNSUPPORTED: not a difference."""


def bare_round_trip_s(count: int = BARE_ROUND_TRIPS) -> float:
    """Seconds for a fresh tcp REQ/REP pair, one round trip and close, with bare pyzmq."""
    context = zmq.Context()
    start = time.perf_counter()
    for _ in range(count):
        rep = context.socket(zmq.REP)
        rep.linger = 0
        rep.bind("tcp://127.0.0.1:*")
        req = context.socket(zmq.REQ)
        req.linger = 0
        req.rcvtimeo = rep.rcvtimeo = 2000
        req.connect(rep.last_endpoint)
        req.send(b"ping")
        rep.send(rep.recv())
        req.recv()
        req.close()
        rep.close()
    elapsed = time.perf_counter() - start
    context.term()
    return elapsed / count


def property_families() -> dict[str, int]:
    """The catalogue families whose test is a Hypothesis property, with its ``max_examples``."""
    families = {}
    for path in sorted((Path(__file__).parent.parent / "conformance" / "checks").glob("test_*.py")):
        module = importlib.import_module(f"conformance.checks.{path.stem}")
        for _, function in inspect.getmembers(module, inspect.isfunction):
            if not is_hypothesis_test(function):
                continue
            configured = function._hypothesis_internal_use_settings.max_examples
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "zmq_family":
                    families.update(dict.fromkeys(mark.args, configured))
    return families


def describe(name: str, measured: SuiteMeasurement, workers: int, unit_s: float) -> list:
    wall = measured.run.seconds
    examples = measured.examples
    per_example = wall * workers / examples if examples else float("nan")
    verdicts = "exit 0" if measured.run.returncode == 0 else f"EXIT {measured.run.returncode}"
    return [
        name,
        f"{wall:.1f}",
        len(measured.outcomes()),
        examples,
        f"{examples / wall:.0f}",
        f"{per_example * 1000:.2f}",
        f"{per_example / unit_s:.1f}x",
        verdicts,
    ]


def thin_properties(measured: SuiteMeasurement) -> list[tuple[str, bool]]:
    """Property families whose passing cases ran fewer than MIN_PROPERTY_EXAMPLES examples.

    One line per family (its cases differ only in pairing, transport and
    peering), saying why: the test asks for fewer (its examples are costly),
    or Hypothesis ran every distinct input there is, which is as good as
    any number.  A case that failed or deviated stopped at its first failing
    example, which says nothing about what the profile gives it.
    """
    if measured.results is None:
        return []
    properties = property_families()
    thin: dict[str, list[int]] = {}
    for case in measured.results.cases:
        if (
            case.family in properties
            and case.verdict is Verdict.PASS
            and case.examples < MIN_PROPERTY_EXAMPLES
        ):
            thin.setdefault(case.family, []).append(case.examples)
    lines = []
    for family, counts in sorted(thin.items()):
        spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
        configured = properties[family]
        short = configured < MIN_PROPERTY_EXAMPLES
        why = (
            f"the test asks for {configured}"
            if short
            else "every distinct input ran (the space is exhausted)"
        )
        lines.append((f"{family}: {len(counts)} cases, {spread} examples: {why}", short))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.suite", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=2, help="xdist workers (default 2)")
    parser.add_argument("--skip-driver", action="store_true", help="only the built-in binding")
    parser.add_argument(
        "-k",
        dest="select",
        metavar="EXPR",
        help="only the cases pytest -k EXPR selects (a sample, e.g. 'tcp-', on a busy machine)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    unit_s = bare_round_trip_s()
    print(f"bare pyzmq: fresh tcp REQ/REP pair + round trip + close = {unit_s * 1000:.3f} ms")
    plan = [("built-in pyzmq binding", (), None)]
    if not args.skip_driver:
        # The same cases as the built-in run (peer self) measure the driver
        # protocol's overhead; peer both adds the interop cases a driver's
        # maintainers run by default; held to version 1, what version 2 saves
        # (version 3 adds only a close with a linger: no speed).
        plan += [
            ("pyzmq driver (v3), --zmq-peer self", (*DRIVER, "--zmq-peer", "self"), None),
            ("pyzmq driver (v3), --zmq-peer both", (*DRIVER, "--zmq-peer", "both"), None),
            ("pyzmq driver held to v1, --zmq-peer both", (*DRIVER, "--zmq-peer", "both"), "1"),
        ]
    runs = []
    for name, extra, protocol in plan:
        if protocol is None:
            os.environ.pop(PROTOCOL_ENV, None)
        else:
            os.environ[PROTOCOL_ENV] = protocol
        before = load_average()
        selected = ("-k", args.select) if args.select else ()
        measured = run_whole_suite(*extra, *selected, workers=args.workers)
        print(f"{name}: {measured.run.seconds:.1f} s; {before} before, {load_average()} after")
        if measured.results is not None:
            verdicts = collections.Counter(c.verdict.value for c in measured.results.cases)
            print("  verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
        runs.append((name, measured))
    os.environ.pop(PROTOCOL_ENV, None)

    headers = [
        "run",
        "wall s",
        "cases",
        "examples",
        "examples/s",
        "ms/example",
        "vs bare",
        "outcome",
    ]
    rows = [describe(name, measured, args.workers, unit_s) for name, measured in runs]
    print(tabulate(rows, headers=headers))
    if len(runs) > 1:
        (_, default), (_, driver) = runs[:2]
        wall = driver.run.seconds / default.run.seconds
        per_example = (driver.run.seconds / driver.examples) / (
            default.run.seconds / default.examples
        )
        print(
            f"\ndriver (peer self) / built-in: {wall:.2f}x wall time, "
            f"{per_example:.2f}x per example"
        )
    if len(runs) > 3:
        (_, v3), (_, v1) = runs[2:4]
        print(f"driver, peer both, v1 / v3: {v1.run.seconds / v3.run.seconds:.2f}x wall time")
        newer, older = v3.outcomes(), v1.outcomes()
        differ = sorted(
            k for k in older if older[k] != newer.get(k) and not k.startswith(NEEDS_VERSION_3)
        )
        if differ:
            print(f"verdicts differ between v1 and v3 in {len(differ)}: {', '.join(differ[:10])}")
    status = 0
    for name, measured in runs:
        thin = thin_properties(measured)
        if thin:
            print(f"\n{name}: property cases under {MIN_PROPERTY_EXAMPLES} examples:")
            print("\n".join(f"  {line}" for line, _ in thin))
            if any(short for _, short in thin):
                status = 1
        if measured.run.returncode != 0:
            status = 1
            print(f"\n{name}: the suite failed:\n{measured.run.output[-3000:]}")
    return status


if __name__ == "__main__":
    sys.exit(main())
