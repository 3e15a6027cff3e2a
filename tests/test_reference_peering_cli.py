"""A peering cluster across processes, on tcp, and the command that runs one broker.

Each broker is ``python -m reference.peering_cluster NAME --peers-on-stdin``:
it prints its endpoints, learns its peers' on stdin, and serves until stdin
closes, so a test that dies cannot leave a broker behind.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator

import pytest
import zmq

from reference.peering_tasks import Client
from tests.conftest import ROOT

TIMEOUT_S = 10.0
"""Generous: a process start includes importing pyzmq on a loaded machine."""


def start_broker(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "reference.peering_cluster", *args, "--log-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen, timeout_s: float = TIMEOUT_S) -> str:
    """One line of the process's stdout, within ``timeout_s``."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            raise AssertionError(f"no output within {timeout_s} s")
    return process.stdout.readline()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Broker processes, told to stop (stdin closed) and reaped at the end."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.stdin and not process.stdin.closed:
            process.stdin.close()
    for process in started:
        try:
            process.wait(TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(TIMEOUT_S)
            pytest.fail(f"{process.args} did not stop when its stdin closed")
        process.stdout.close()
        process.stderr.close()


def test_three_brokers_in_three_processes_serve_each_other(processes):
    workers = {"A": 0, "B": 1, "C": 1}
    for name, count in workers.items():
        processes.append(start_broker(name, "--peers-on-stdin", "--workers", str(count)))
    endpoints = {name: json.loads(read_line(p)) for name, p in zip(workers, processes)}
    for name, process in zip(workers, processes):
        for peer, peer_endpoints in endpoints.items():
            if peer != name:
                cloudfe, statebe = peer_endpoints["cloudfe"], peer_endpoints["statebe"]
                process.stdin.write(f"peer {peer} {cloudfe} {statebe}\n")
        process.stdin.write("start\n")
        process.stdin.flush()

    context = zmq.Context()
    try:
        a = endpoints["A"]
        with Client(a["localfe"], context=context) as client:
            for number in range(4):  # A has no worker: B's and C's serve it
                assert client.request([b"%d" % number], int(TIMEOUT_S * 1000)) == [b"%d" % number]
    finally:
        context.destroy(linger=0)

    for process in processes:
        process.stdin.close()
    for process in processes:
        assert process.wait(TIMEOUT_S) == 0, process.stderr.read()


@pytest.mark.parametrize(
    "args, message",
    [
        (["A", "--localfe", "tcp://no-such-host-or-port"], "peering_cluster: "),
        (["A", "--peer", "B=tcp://127.0.0.1:1"], "expected NAME=CLOUDFE,STATEBE"),
        (["A", "--workers", "-1"], "--workers must not be negative"),
    ],
)
def test_bad_arguments_give_one_line_and_a_non_zero_exit(processes, args, message):
    process = start_broker(*args)
    processes.append(process)
    process.stdin.close()
    assert process.wait(TIMEOUT_S) == 2
    error = process.stderr.read()
    assert message in error, error
    assert "Traceback" not in error, error


def test_a_bad_control_line_gives_one_line_and_a_non_zero_exit(processes):
    process = start_broker("A", "--peers-on-stdin")
    processes.append(process)
    json.loads(read_line(process))
    process.stdin.write("peer B\n")
    process.stdin.close()
    assert process.wait(TIMEOUT_S) == 2
    error = process.stderr.read()
    assert error.startswith("peering_cluster: expected 'peer NAME CLOUDFE STATEBE'"), error
    assert error.count("\n") == 1, error
