"""``python -m benchmarks.brokers``: the load-balancing brokers side by side, in one run.

See the package docstring (``benchmarks/brokers/__init__.py``) for the method.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import NoReturn

from tabulate import tabulate

from benchmarks.brokers import load
from benchmarks.brokers.run import SETUPS, Measurement, MeasurementFailed, measure

CLIENT_KINDS = {"req": "REQ", "dealer": "DEALER, pipelined"}
NAIVE, PROXY = SETUPS[2].label, SETUPS[3].label


class OneLineParser(argparse.ArgumentParser):
    """Bad input gets one line and exit status 2, not the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.brokers", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured time per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per row (median kept)")
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
    args = parser.parse_args(argv)
    if min(args.seconds, args.rounds, args.clients, args.workers, args.window, args.credits) <= 0:
        parser.error("every number must be positive")

    began = time.monotonic()
    runs: dict[tuple[str, str], list[Measurement]] = {}
    for _ in range(args.rounds):
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
            for setup in SETUPS:
                try:
                    measurement = measure(setup, work)
                except MeasurementFailed as error:
                    print(f"{setup.label}, {client_kind} clients: {error}", file=sys.stderr)
                    continue
                runs.setdefault((client_kind, setup.label), []).append(measurement)
    print(render(runs))
    load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{time.monotonic() - began:.0f} s; load average now {load_average}")
    return 0


def render(runs: dict[tuple[str, str], list[Measurement]]) -> str:
    """The table: one row per client kind and broker, medians over the rounds."""

    def median(client_kind: str, label: str, value: Callable[[Measurement], float]) -> float:
        found = runs.get((client_kind, label))
        return statistics.median(value(m) for m in found) if found else float("nan")

    rows = []
    for client_kind, client_label in CLIENT_KINDS.items():
        naive = median(client_kind, NAIVE, lambda m: m.sample.rate)
        proxy = median(client_kind, PROXY, lambda m: m.sample.rate)
        for setup in SETUPS:
            label = setup.label
            if (client_kind, label) not in runs:
                continue
            rate = median(client_kind, label, lambda m: m.sample.rate)
            rows.append(
                [
                    client_label,
                    label,
                    f"{rate:,.0f}",
                    f"{median(client_kind, label, lambda m: m.sample.p50_us):,.0f}",
                    f"{median(client_kind, label, lambda m: m.sample.p99_us):,.0f}",
                    f"{median(client_kind, label, lambda m: m.broker_cpu_us):.1f}",
                    f"{median(client_kind, label, lambda m: m.load_cpu_us):.1f}",
                    f"{rate / naive:.2f}",
                    f"{rate / proxy:.2f}",
                ]
            )
    headers = ["clients", "broker", "req/s", "p50 us", "p99 us"]
    headers += ["broker CPU us/req", "load CPU us/req", "x naive", "x proxy"]
    return tabulate(rows, headers=headers, disable_numparse=True)


if __name__ == "__main__":
    sys.exit(main())
