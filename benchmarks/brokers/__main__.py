"""``python -m benchmarks.brokers``: the load-balancing brokers side by side, in one run.

See the package docstring (``benchmarks/brokers/__init__.py``) for the method.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import NoReturn

from tabulate import tabulate

from benchmarks.brokers import load
from benchmarks.brokers.run import (
    FLOOR_SETUPS,
    SETUPS,
    Measurement,
    MeasurementFailed,
    Setup,
    measure,
)

CLIENT_KINDS = {"req": "REQ", "dealer": "DEALER, pipelined"}
REQ_WORKERS, CREDIT_WORKERS = SETUPS[0].label, SETUPS[1].label
NAIVE, PROXY = SETUPS[2].label, SETUPS[3].label
FLOOR_REQ_WORKERS, FLOOR_CREDIT_WORKERS = FLOOR_SETUPS[0].label, FLOOR_SETUPS[1].label
TARGETS = (
    ("dealer", CREDIT_WORKERS, NAIVE, 1.5),
    ("dealer", CREDIT_WORKERS, PROXY, 0.35),
    ("req", REQ_WORKERS, FLOOR_REQ_WORKERS, 0.9),
    ("req", CREDIT_WORKERS, FLOOR_CREDIT_WORKERS, 0.9),
)
"""The targets: (clients, a reference variant, the broker compared with, least ratio).

With pipelined clients the targets are the credit-based variant's: REQ workers
hold one request each, in the reference broker as in the naive one, so both
are bound by the same worker round trips, and credits are the cure.  With REQ
clients each variant is compared with the floor fed the same workers
(``--floor``): what the reference broker's checks may cost is a tenth of the
fastest Python broker, since the gap from there to ``zmq.proxy`` is Python's,
not the checks'."""


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one line and exit status 2, not the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.brokers", description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.5, help="measured time per run")
    parser.add_argument("--rounds", type=int, default=4, help="runs per row (median kept)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--window", type=int, default=16, help="requests in flight per DEALER client"
    )
    parser.add_argument("--size", type=int, default=64, help="request body bytes")
    parser.add_argument(
        "--credits", type=int, default=32, help="READY credits of each credit-based worker"
    )
    parser.add_argument("--only", choices=["req", "dealer"], help="measure one kind of client only")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="add the rows of a broker that checks nothing (benchmarks/brokers/stripped.py)",
    )
    args = parser.parse_args(argv)
    if min(args.seconds, args.rounds, args.clients, args.workers, args.window, args.credits) <= 0:
        parser.error("every number must be positive")

    setups = SETUPS + FLOOR_SETUPS if args.floor else SETUPS
    began = time.monotonic()
    runs: dict[tuple[str, str], list[Measurement]] = {}
    for round_ in range(args.rounds):
        for client_kind in [args.only] if args.only else CLIENT_KINDS:
            work = load.Load(
                clients=args.clients,
                workers=args.workers,
                client_kind=client_kind,
                window=args.window,
                size=args.size,
                credits=args.credits,
                measure_s=args.seconds,
            )
            # Each round starts with another broker, so that none is always first or last.
            for setup in setups[round_ % len(setups) :] + setups[: round_ % len(setups)]:
                try:
                    measurement = measure(setup, work)
                except MeasurementFailed as error:
                    print(f"{setup.label}, {client_kind} clients: {error}", file=sys.stderr)
                    continue
                runs.setdefault((client_kind, setup.label), []).append(measurement)
    rows = summarize(runs)
    print(render(rows, setups))
    print()
    print("\n".join(verdicts(rows)))
    if not args.floor and (not args.only or args.only == "req"):
        print("REQ clients: the targets against the floor need --floor")
    load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{time.monotonic() - began:.0f} s; load average now {load_average}")
    return 0


@dataclass(frozen=True)
class Row:
    """Medians over the rounds of one broker under one kind of client."""

    rate: float
    p50_us: float
    p99_us: float
    broker_cpu_us: float
    load_cpu_us: float


def summarize(runs: dict[tuple[str, str], list[Measurement]]) -> dict[tuple[str, str], Row]:
    """One row per (client kind, broker label) that has measurements: their medians."""
    return {
        key: Row(
            rate=statistics.median(m.sample.rate for m in found),
            p50_us=statistics.median(m.sample.p50_us for m in found),
            p99_us=statistics.median(m.sample.p99_us for m in found),
            broker_cpu_us=statistics.median(m.broker_cpu_us for m in found),
            load_cpu_us=statistics.median(m.load_cpu_us for m in found),
        )
        for key, found in runs.items()
        if found
    }


def ratio(rows: dict[tuple[str, str], Row], client_kind: str, label: str, other: str) -> float:
    """``label``'s rate over ``other``'s, or NaN if either is missing."""
    mine, theirs = rows.get((client_kind, label)), rows.get((client_kind, other))
    if mine is None or theirs is None or not theirs.rate:
        return float("nan")
    return mine.rate / theirs.rate


def floor_of(setup: Setup) -> str | None:
    """The label of the floor row fed the same workers as ``setup``, if there is one."""
    return next((floor.label for floor in FLOOR_SETUPS if floor.workers == setup.workers), None)


def render(rows: dict[tuple[str, str], Row], setups: tuple[Setup, ...] = SETUPS) -> str:
    """The table: one line per client kind and broker.

    With the floor's rows, a last column gives each row's rate over the
    floor's with the same workers (the targets' ratio for the reference).
    """
    with_floor = any(setup in FLOOR_SETUPS for setup in setups)
    lines = []
    for client_kind, client_label in CLIENT_KINDS.items():
        for setup in setups:
            row = rows.get((client_kind, setup.label))
            if row is None:
                continue
            lines.append(
                [
                    client_label,
                    setup.label,
                    f"{row.rate:,.0f}",
                    f"{row.p50_us:,.0f}",
                    f"{row.p99_us:,.0f}",
                    f"{row.broker_cpu_us:.1f}",
                    f"{row.load_cpu_us:.1f}",
                    f"{ratio(rows, client_kind, setup.label, NAIVE):.2f}",
                    f"{ratio(rows, client_kind, setup.label, PROXY):.2f}",
                ]
            )
            if with_floor:
                floor = floor_of(setup)
                measured = ratio(rows, client_kind, setup.label, floor) if floor else float("nan")
                lines[-1].append("" if measured != measured else f"{measured:.2f}")
    headers = ["clients", "broker", "req/s", "p50 us", "p99 us"]
    headers += ["broker CPU us/req", "load CPU us/req", "x naive", "x proxy"]
    headers += ["x floor"] if with_floor else []
    return tabulate(lines, headers=headers, disable_numparse=True)


def verdicts(rows: dict[tuple[str, str], Row]) -> list[str]:
    """One line per target measured: the ratio, and whether it is met."""
    lines = []
    for client_kind, label, other, least in TARGETS:
        measured = ratio(rows, client_kind, label, other)
        if measured != measured:  # NaN: a row is missing
            continue
        verdict = "met" if measured >= least else "NOT met"
        lines.append(
            f"{CLIENT_KINDS[client_kind]} clients: {label} / {other} = {measured:.2f}"
            f" (target >= {least}): {verdict}"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
