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
from benchmarks.brokers.__main__ import (
    CREDIT_WORKERS,
    FLOOR_CREDIT_WORKERS,
    FLOOR_REQ_WORKERS,
    NAIVE,
    PROXY,
    REQ_WORKERS,
    Row,
    render,
    verdicts,
)
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


def rows(**rates: float):
    labels = {
        "req_workers": REQ_WORKERS,
        "credit_workers": CREDIT_WORKERS,
        "naive": NAIVE,
        "proxy": PROXY,
        "floor_req_workers": FLOOR_REQ_WORKERS,
        "floor_credit_workers": FLOOR_CREDIT_WORKERS,
    }
    return {
        (kind, labels[name]): Row(rate, 1.0, 2.0, 3.0, 4.0)
        for kind in ("req", "dealer")
        for name, rate in rates.items()
    }


def test_verdicts_compare_each_reference_variant_with_its_targets():
    lines = verdicts(
        rows(
            req_workers=95,
            credit_workers=40,
            naive=20,
            proxy=100,
            floor_req_workers=100,
            floor_credit_workers=50,
        )
    )
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "met",  # pipelined, credit / naive = 2.0
        "met",  # pipelined, credit / proxy = 0.4
        "met",  # REQ clients, REQ workers / floor with REQ workers = 0.95
        "NOT met",  # REQ clients, credit / floor with credit workers = 0.8
    ]
    assert "= 2.00 (target >= 1.5)" in lines[0]
    assert f"{REQ_WORKERS} / {FLOOR_REQ_WORKERS} = 0.95" in lines[2]
    assert f"{CREDIT_WORKERS} / {FLOOR_CREDIT_WORKERS} = 0.80" in lines[3]


def test_verdicts_skip_what_was_not_measured():
    without_floor = rows(req_workers=1, credit_workers=1, naive=1, proxy=1)
    assert len(verdicts(without_floor)) == 2
    del without_floor[("dealer", NAIVE)]
    assert len(verdicts(without_floor)) == 1


def test_the_table_gives_each_row_its_ratio_to_the_floor_with_the_same_workers():
    measured = rows(
        req_workers=90, credit_workers=40, proxy=200, floor_req_workers=100, floor_credit_workers=50
    )
    table = render(measured, SETUPS + FLOOR_SETUPS).splitlines()
    assert table[0].split()[-2:] == ["x", "floor"]

    def req_row(label: str) -> str:
        return next(line for line in table if line.startswith(f"REQ                {label}  "))

    assert req_row(REQ_WORKERS).endswith(" 0.90")
    assert req_row(CREDIT_WORKERS).endswith(" 0.80")
    assert req_row(FLOOR_REQ_WORKERS).endswith(" 1.00")
    assert req_row(PROXY).endswith(" 1.00")  # its x proxy: no floor has its DEALER workers
    assert "x floor" not in render(measured)
