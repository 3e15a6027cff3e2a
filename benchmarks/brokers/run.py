"""One measurement: a broker process, a workers process and a clients process.

Every process is started fresh for each measurement (``spawn``, so nothing
is inherited from the parent but arguments), and every wait on them has a
deadline: a broker that hangs costs one failed row, never the whole run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from benchmarks.brokers import brokers, load

START_TIMEOUT_S = 20.0
"""Long enough for three interpreters to start and import zmq on a loaded machine."""


@dataclass(frozen=True)
class Setup:
    """A row of the table: which broker, and which workers it is fed."""

    label: str
    broker: str  # a key of brokers.RUNNERS
    workers: str  # a kind for load.run_workers


SETUPS = (
    Setup("reference, REQ workers", "reference", "req"),
    Setup("reference, credit DEALER workers", "reference", "credit"),
    Setup("naive (guide lbbroker)", "naive", "req"),
    Setup("zmq.proxy ROUTER/DEALER", "proxy", "dealer"),
)

FLOOR_SETUPS = (
    Setup("floor: no checks, REQ workers", "stripped", "req"),
    Setup("floor: no checks, credit DEALER workers", "stripped", "credit"),
)
"""Rows added by ``--floor``: how fast a Python broker goes when it checks nothing."""


@dataclass(frozen=True)
class Measurement:
    """What one run showed: the clients' sample, and CPU per reply of each process."""

    sample: load.Sample
    broker_cpu_us: float  # broker process (all its threads, libzmq's I/O thread too) per reply
    load_cpu_us: float  # clients and workers processes together, per reply


_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User plus system CPU time of process ``pid``, all threads, from /proc (NaN without)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


class MeasurementFailed(RuntimeError):
    """A process did not start, answer or finish in time."""


def _receive(connection: Connection, timeout_s: float, what: str) -> object:
    if not connection.poll(timeout_s):
        raise MeasurementFailed(f"no {what} within {timeout_s:g} s")
    try:
        return connection.recv()
    except EOFError:
        raise MeasurementFailed(f"the process died before sending {what}") from None


def measure(setup: Setup, work: load.Load) -> Measurement:
    """Run ``work`` against ``setup``'s broker and return what the clients measured."""
    spawn = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    controls: list[Connection] = []

    def start(target: Callable[..., None], *args: object) -> Connection:
        ours, theirs = spawn.Pipe()
        process = spawn.Process(target=target, args=(*args, theirs), daemon=True)
        process.start()
        theirs.close()
        processes.append(process)
        controls.append(ours)
        return ours

    try:
        broker = start(brokers.RUNNERS[setup.broker])
        frontend, backend = _receive(broker, START_TIMEOUT_S, "broker endpoints")
        workers = start(load.run_workers, backend, setup.workers, work)
        _receive(workers, START_TIMEOUT_S, "workers ready")
        clients = start(load.run_clients, frontend, work)
        _receive(clients, START_TIMEOUT_S + work.warmup_s, "the start of the measurement")
        before = [_cpu_s(process.pid) for process in processes]
        _receive(clients, START_TIMEOUT_S + work.measure_s, "the end of the measurement")
        after = [_cpu_s(process.pid) for process in processes]
        sample = _receive(clients, START_TIMEOUT_S, "client results")
        used = [end - begin for begin, end in zip(before, after)]
        replies = max(1, sample.replies)
        return Measurement(sample, used[0] / replies * 1e6, sum(used[1:]) / replies * 1e6)
    finally:
        for control in reversed(controls):
            with contextlib.suppress(OSError):
                control.send("stop")
        for process in reversed(processes):
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        for control in controls:
            control.close()
