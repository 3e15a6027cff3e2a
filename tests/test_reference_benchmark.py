"""benchmarks/brokers: each broker and the load run end to end (briefly), and the verdicts.

The benchmark's processes are run as threads here, with a fraction of a
second of load each: enough to show that every broker serves the load and
stops when told, not to measure anything.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading

import pytest

from benchmarks.brokers import brokers, load
from benchmarks.brokers.__main__ import CREDIT_WORKERS, NAIVE, PROXY, REQ_WORKERS, Row, verdicts
from benchmarks.brokers.run import FLOOR_SETUPS, SETUPS

TIMEOUT_S = 10.0
TINY = {"warmup_s": 0.05, "measure_s": 0.1, "min_replies": 10, "clients": 3, "workers": 2}


@pytest.fixture(autouse=True)
def reference_log_level():
    """The reference broker's runner quiets the "reference" logger; put it back."""
    logger = logging.getLogger("reference")
    level = logger.level
    yield
    logger.setLevel(level)


def started(target, *args):
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=target, args=(*args, theirs), daemon=True)
    thread.start()
    return ours, thread


def received(connection, what: str):
    assert connection.poll(TIMEOUT_S), f"no {what} within {TIMEOUT_S} s"
    return connection.recv()


@pytest.mark.parametrize("client_kind", ["req", "dealer"])
@pytest.mark.parametrize("setup", SETUPS + FLOOR_SETUPS, ids=lambda setup: setup.label)
def test_every_broker_serves_the_load_and_stops(setup, client_kind):
    work = load.Load(client_kind=client_kind, **TINY)
    broker, broker_thread = started(brokers.RUNNERS[setup.broker])
    frontend, backend = received(broker, "endpoints")
    workers, workers_thread = started(load.run_workers, backend, setup.workers, work)
    assert received(workers, "workers' readiness") == "ready"
    clients, clients_thread = started(load.run_clients, frontend, work)
    assert received(clients, "start") == "measuring"
    assert received(clients, "end") == "done"
    sample = received(clients, "sample")
    assert sample.replies >= 10
    assert 0 < sample.p50_us <= sample.p99_us
    for control, thread in ((workers, workers_thread), (broker, broker_thread)):
        control.send("stop")
        thread.join(TIMEOUT_S)
        assert not thread.is_alive()
    clients_thread.join(TIMEOUT_S)
    assert not clients_thread.is_alive()


def rows(req_workers: float, credit_workers: float, naive: float, proxy: float):
    rates = {REQ_WORKERS: req_workers, CREDIT_WORKERS: credit_workers, NAIVE: naive, PROXY: proxy}
    return {
        (kind, label): Row(rate, 1.0, 2.0, 3.0, 4.0)
        for kind in ("req", "dealer")
        for label, rate in rates.items()
    }


def test_verdicts_compare_each_reference_variant_with_its_targets():
    lines = verdicts(rows(req_workers=95, credit_workers=40, naive=20, proxy=100))
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "met",  # pipelined, credit / naive = 2.0
        "met",  # pipelined, credit / proxy = 0.4
        "met",  # REQ clients, REQ workers / proxy = 0.95
        "NOT met",  # REQ clients, credit / proxy = 0.4
    ]
    assert "= 2.00 (target >= 1.5)" in lines[0]


def test_verdicts_skip_what_was_not_measured():
    measured = rows(1, 1, 1, 1)
    del measured[("dealer", NAIVE)]
    assert len(verdicts(measured)) == 3
