"""Where one run of the suite spends itself: per request, per case, per process, per worker.

    python -m benchmarks.breakdown                      in process (the default binding)
    python -m benchmarks.breakdown --zmq-peer both      through our pyzmq driver
    python -m benchmarks.breakdown --zmq-peer both --protocol 1     the driver held to v1
    python -m benchmarks.breakdown --profile            + the worker's CPU by package
    python -m benchmarks.breakdown --load DIR           read a kept run again

It runs ``pytest conformance -n WORKERS`` with ``benchmarks.breakdown_plugin``
in every worker, and prints what does not depend on how loaded the machine
is: requests by op and per example, blocking waits for an answer (round
trips), sockets, process starts and contexts, and CPU seconds of each
process (the pytest worker from ``getrusage``, each driver from
``/proc/PID/stat``) split by test phase and by family.  Wall time depends
on the load: it is printed with the load average, and used only for the
balance between xdist workers (how long the last one runs alone).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tabulate import tabulate

from benchmarks.workload import run_whole_suite
from conformance.plugin.testids import parse_case_test_id

DRIVER_COMMAND = f"{sys.executable} -m conformance.drivers.pyzmq"
PROTOCOL_ENV = "ZC_DRIVER_PROTOCOL"
"""Our pyzmq driver's highest protocol version, when set (``--protocol 1``: a v1 driver)."""


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def read_workers(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def family_of(nodeid: str) -> tuple[str, str]:
    """(family, case-peering) of a test id; non-catalogue tests are their function."""
    if "[" not in nodeid:
        return nodeid.rsplit("::", 1)[-1], nodeid
    inside = nodeid[nodeid.index("[") + 1 : -1]
    case, _ = parse_case_test_id(inside)
    if case is None:
        return inside.split("/")[0], inside
    return getattr(case.family, "name", str(case.family)), inside


class Totals:
    """Sums over tests of one kind (the whole run, a family, a case)."""

    def __init__(self) -> None:
        self.tests = 0
        self.examples = 0
        self.ops: collections.Counter[str] = collections.Counter()
        self.waits = 0
        self.any_calls = 0
        self.any_ops = 0
        self.starts = 0
        self.contexts = 0
        self.worker_cpu = collections.Counter()  # by phase
        self.inside_cpu = 0.0
        self.driver_cpu: collections.Counter[str] = collections.Counter()

    def add(self, test: dict) -> None:
        self.tests += 1
        self.examples += test.get("examples", 0)
        for phase, record in test["phases"].items():
            self.ops.update(record["ops"])
            self.waits += record["waits"]
            self.any_calls += record["any_calls"]
            self.any_ops += record["any_ops"]
            self.starts += record["starts"]
            self.contexts += record["contexts"]
            self.worker_cpu[phase] += record["cpu_s"]
            self.inside_cpu += record["request_cpu_s"]
            self.driver_cpu.update(record["driver_cpu_s"])

    @property
    def requests(self) -> int:
        return sum(self.ops.values())

    @property
    def cpu(self) -> float:
        return sum(self.worker_cpu.values()) + sum(self.driver_cpu.values())


def per(value: float, count: int) -> str:
    return f"{value / count:.2f}" if count else "-"


def report(workers: list[dict], label: str) -> str:
    lines = [f"== {label}", ""]
    total = Totals()
    families: dict[str, Totals] = collections.defaultdict(Totals)
    cases: dict[str, Totals] = collections.defaultdict(Totals)
    for worker in workers:
        for test in worker["tests"]:
            family, case = family_of(test["test"])
            for bucket in (total, families[family], cases[case]):
                bucket.add(test)
    examples = total.examples or 1
    before = sum(w["cpu_before_tests_s"] for w in workers)
    worker_total = sum(w["cpu_total_s"] for w in workers)
    driver_total = sum(total.driver_cpu.values())
    in_tests = sum(total.worker_cpu.values())
    lines.append(
        f"{total.tests} tests, {total.examples:,} examples, {len(workers)} workers. "
        "Counts and CPU seconds below do not depend on the load; wall seconds do."
    )
    lines.append("")
    lines.append("Requests (each a call into the binding; through a driver, one JSON line each):")
    rows = [
        [op, f"{n:,}", per(n, examples)]
        for op, n in sorted(total.ops.items(), key=lambda kv: -kv[1])
    ]
    rows.append(["all", f"{total.requests:,}", per(total.requests, examples)])
    lines.append(tabulate(rows, headers=["op", "count", "per example"]))
    lines.append("")
    lines.append(
        f"round trips (blocking waits for a driver's answer): {total.waits:,}, "
        f"{per(total.waits, examples)} per example, "
        f"{per(total.waits, total.requests)} per request"
    )
    lines.append(
        f"receive_from_any: {total.any_calls:,} calls making {total.any_ops:,} requests "
        f"({per(total.any_ops, total.any_calls)} per call, "
        f"{100 * total.any_ops / max(total.requests, 1):.0f}% of all requests)"
    )
    lines.append(
        f"sockets: {total.ops['socket']:,} ({per(total.ops['socket'], examples)} per example); "
        f"driver process starts during tests: {total.starts}; contexts made during tests: "
        f"{total.contexts} (one per driver start, or per in-process binding)"
    )
    procs = collections.Counter(k.split(":")[0] for w in workers for k in w["driver_processes"])
    if procs:
        lines.append(
            "driver processes over the run: "
            + ", ".join(f"{n} {role}" for role, n in sorted(procs.items()))
        )
    lines.append("")
    lines.append("CPU seconds (user + system):")
    rows = [
        ["pytest workers: start, collection, until the first test", f"{before:.1f}"],
        *[
            [f"pytest workers: tests, {phase}", f"{cpu:.1f}"]
            for phase, cpu in sorted(total.worker_cpu.items())
        ],
        ["   of which inside binding calls", f"{total.inside_cpu:.1f}"],
        ["pytest workers: after the last test", f"{worker_total - before - in_tests:.1f}"],
        *[
            [f"driver processes: {role}", f"{cpu:.1f}"]
            for role, cpu in sorted(total.driver_cpu.items())
        ],
        ["all", f"{worker_total + driver_total:.1f}"],
    ]
    lines.append(tabulate(rows, headers=["where", "CPU s"]))
    if total.requests:
        lines.append(
            f"per example: {1000 * (in_tests + driver_total) / examples:.2f} ms CPU in tests "
            f"(worker {1000 * in_tests / examples:.2f}, drivers "
            f"{1000 * driver_total / examples:.2f}); per request: worker inside the call "
            f"{1e6 * total.inside_cpu / total.requests:.0f} us, drivers "
            f"{1e6 * driver_total / total.requests:.0f} us"
        )
    profiles = [w["profile"] for w in workers if "profile" in w]
    if profiles:
        shares: collections.Counter[str] = collections.Counter()
        for profile in profiles:
            shares.update(profile)
        whole = sum(shares.values()) or 1
        lines.append("")
        lines.append("Worker main thread CPU by package (cProfile on thread CPU; shares only):")
        rows = [
            [name, f"{100 * s / whole:.0f}%"]
            for name, s in sorted(shares.items(), key=lambda kv: -kv[1])
        ]
        lines.append(tabulate(rows, headers=["package", "share"]))
        top: collections.Counter[str] = collections.Counter()
        for w in workers:
            top.update(dict(w.get("profile_top", [])))
        rows = [[name, f"{100 * s / whole:.1f}%"] for name, s in top.most_common(15)]
        lines.append(tabulate(rows, headers=["function (own time)", "share"]))
    lines.append("")
    lines.append("Families by CPU (worker in tests + drivers):")
    rows = []
    for name, fam in sorted(families.items(), key=lambda kv: -kv[1].cpu)[:25]:
        ex = fam.examples or 1
        rows.append(
            [
                name,
                fam.tests,
                fam.examples,
                per(fam.requests, ex),
                per(fam.waits, ex),
                f"{1000 * fam.cpu / ex:.2f}",
                f"{fam.cpu:.1f}",
                f"{100 * fam.cpu / max(total.cpu, 1e-9):.0f}%",
            ]
        )
    lines.append(
        tabulate(
            rows,
            headers=[
                "family",
                "tests",
                "examples",
                "req/ex",
                "waits/ex",
                "CPU ms/ex",
                "CPU s",
                "share",
            ],
        )
    )
    lines.append("")
    lines.append("Costliest cases (CPU, worker in tests + drivers):")
    rows = [
        [name, c.examples, c.requests, f"{c.cpu:.2f}"]
        for name, c in sorted(cases.items(), key=lambda kv: -kv[1].cpu)[:12]
    ]
    lines.append(tabulate(rows, headers=["case", "examples", "requests", "CPU s"]))
    lines.append("")
    lines.extend(balance(workers))
    return "\n".join(lines)


def balance(workers: list[dict]) -> list[str]:
    """Each worker's share of the work, and how long the last one runs alone."""
    end = max(w["end_wall"] for w in workers)
    start = min(w["start_wall"] for w in workers)
    rows = []
    for w in workers:
        tests = w["tests"]
        cpu = sum(
            p["cpu_s"] + sum(p["driver_cpu_s"].values())
            for t in tests
            for p in t["phases"].values()
        )
        last = max((t["end"] for t in tests), default=w["end_wall"])
        rows.append(
            [
                w["worker"],
                len(tests),
                f"{cpu:.1f}",
                f"{w['first_test_wall'] - w['start_wall']:.1f}" if w["first_test_wall"] else "-",
                f"{last - start:.1f}",
                f"{end - last:.1f}",
            ]
        )
    cpus = [float(r[2]) for r in rows]
    lines = [
        "xdist balance (CPU is load-independent; wall seconds are not):",
        tabulate(
            rows,
            headers=[
                "worker",
                "tests",
                "CPU s in tests",
                "wall s to first test",
                "wall s to last test",
                "idle tail s",
            ],
        ),
    ]
    if len(cpus) > 1 and max(cpus):
        lines.append(
            f"slowest worker / mean, in CPU: {max(cpus) / (sum(cpus) / len(cpus)):.2f}; "
            f"run wall {end - start:.1f} s"
        )
    # The tail: the costliest tests that ran on the worker finishing last.
    last_worker = max(workers, key=lambda w: max((t["end"] for t in w["tests"]), default=0))
    tail = sorted(last_worker["tests"], key=lambda t: t["end"])[-5:]
    lines.append(f"last tests on {last_worker['worker']}, the last to finish:")
    for t in tail:
        lines.append(f"  {t['end'] - t['start']:6.1f} s wall  {t['test']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.breakdown", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--zmq-peer", choices=("self", "libzmq", "both"), help="run through our pyzmq driver"
    )
    parser.add_argument("--protocol", type=int, help="hold our pyzmq driver to this version")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="attribute worker CPU by package")
    parser.add_argument("--keep", type=Path, help="keep the per-worker records in this folder")
    parser.add_argument("--load", type=Path, help="report on records kept by --keep")
    parser.add_argument(
        "--limit", type=float, default=3600, help="seconds the run may take (default 3600)"
    )
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    if args.load:
        print(report(read_workers(args.load), f"records in {args.load}"))
        return 0
    extra = list(args.pytest_args)
    label = "in process (the built-in pyzmq binding)"
    if args.zmq_peer:
        extra = ["--zmq-driver", DRIVER_COMMAND, "--zmq-peer", args.zmq_peer, *extra]
        label = f"our pyzmq driver, --zmq-peer {args.zmq_peer}"
    if args.protocol:
        os.environ[PROTOCOL_ENV] = str(args.protocol)
        label += f", driver held to protocol {args.protocol}"
    directory = Path(tempfile.mkdtemp(prefix="zc-breakdown-"))
    os.environ["ZC_BREAKDOWN_DIR"] = str(directory)
    if args.profile:
        os.environ["ZC_BREAKDOWN_PROFILE"] = "1"
    load_before = load_average()
    try:
        measured = run_whole_suite(
            "-p", "benchmarks.breakdown_plugin", *extra, workers=args.workers, limit=args.limit
        )
    except subprocess.TimeoutExpired:
        measured = None  # what the workers recorded so far is still reported

    load_after = load_average()
    workers = read_workers(directory)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for path in directory.glob("*.json"):
            shutil.copy(path, args.keep)
    shutil.rmtree(directory, ignore_errors=True)
    if not workers:
        print(measured.run.output[-3000:] if measured else "the run recorded nothing")
        return 1
    print(report(workers, label))
    if measured is None:
        print(f"\nCUT SHORT after {args.limit:.0f} s: the records up to then; {load_after}")
        return 1
    print(
        f"\nwall {measured.run.seconds:.1f} s, exit {measured.run.returncode}; "
        f"{load_before} before, {load_after} after"
    )
    if measured.results is not None:
        verdicts = collections.Counter(case.verdict.value for case in measured.results.cases)
        print("verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
    return 0 if measured.run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
