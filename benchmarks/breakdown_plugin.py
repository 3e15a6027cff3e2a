"""A pytest plugin that records where one conformance run spends itself, per test.

Loaded by ``python -m benchmarks.breakdown`` into every xdist worker
(``-p benchmarks.breakdown_plugin``), it writes one JSON file per worker into
``$ZC_BREAKDOWN_DIR``.  It measures what does not depend on how loaded the
machine is: requests per op, blocking waits for an answer (round trips),
sockets, process starts and contexts, and CPU time (``resource.getrusage``
for the worker, ``/proc/PID/stat`` for each driver process), by test phase.
Wall times are recorded too, but only the balance between workers is read
from them.

With ``ZC_BREAKDOWN_PROFILE=1`` the worker's main thread is also profiled
with its own CPU clock (``cProfile`` over ``time.thread_time``) and its time
attributed to Hypothesis, pytest, the suite, pyzmq, JSON/base64 and the
rest; profiling slows Python code, so only the shares are meaningful.
"""

from __future__ import annotations

import collections
import cProfile
import json
import os
import pstats
import resource
import time
from pathlib import Path

import pytest

from conformance.bindings import driver as driver_module
from conformance.bindings import pyzmq as pyzmq_module
from conformance.harness import exchange

CLOCK_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
PYZMQ_OPS = ("set", "bind", "connect", "disconnect", "unbind", "send", "recv", "close", "poll")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU of process ``pid`` so far, from /proc, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * CLOCK_TICK_S


class Counters:
    """What the current test did, reset by the plugin at every test."""

    def __init__(self) -> None:
        self.ops: collections.Counter[str] = collections.Counter()
        self.waits = 0
        """Blocking waits for a driver's answer: round trips."""
        self.request_cpu_s = 0.0
        """The worker's CPU inside binding calls (encoding, pipes, decoding; libzmq in process)."""
        self.starts = 0
        self.contexts = 0
        self.any_calls = 0
        self.any_ops = 0
        """Requests made inside receive_from_any (its polling)."""
        self._inside_any = 0

    def as_dict(self) -> dict:
        return {
            "ops": dict(self.ops),
            "waits": self.waits,
            "request_cpu_s": self.request_cpu_s,
            "starts": self.starts,
            "contexts": self.contexts,
            "any_calls": self.any_calls,
            "any_ops": self.any_ops,
        }


COUNTERS = Counters()
DRIVERS: list = []
"""Every DriverBinding of this worker, with its role."""


def _wrap_driver() -> None:
    binding = driver_module.DriverBinding
    original_init = binding.__init__
    original_start = binding.start
    original_request = binding._request

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        DRIVERS.append(self)

    def start(self):
        COUNTERS.starts += 1
        COUNTERS.contexts += 1
        return original_start(self)

    def _request(self, op, **kwargs):
        COUNTERS.ops[op] += 1
        if COUNTERS._inside_any:
            COUNTERS.any_ops += 1
        before = time.process_time()
        try:
            return original_request(self, op, **kwargs)
        finally:
            COUNTERS.request_cpu_s += time.process_time() - before

    binding.__init__ = __init__
    binding.start = start
    binding._request = _request
    process_class = getattr(driver_module, "_Process", None)
    read_line = getattr(process_class, "read_line", None)
    if read_line is not None:

        def counted_read_line(self, *args, **kwargs):
            if b"\n" not in self._buffer:  # the answer is not here yet: a round trip
                COUNTERS.waits += 1
            return read_line(self, *args, **kwargs)

        process_class.read_line = counted_read_line
    else:  # the suite before protocol 2: every request waits for its answer
        counted = binding._request

        def _request_v1(self, op, **kwargs):
            COUNTERS.waits += 1
            return counted(self, op, **kwargs)

        binding._request = _request_v1
    pipelined = getattr(binding, "send_later", None)
    if pipelined is not None:

        def send_later(self, op, *args, **kwargs):
            COUNTERS.ops[op] += 1
            before = time.process_time()
            try:
                return pipelined(self, op, *args, **kwargs)
            finally:
                COUNTERS.request_cpu_s += time.process_time() - before

        binding.send_later = send_later


def _wrap_pyzmq() -> None:
    socket_class = pyzmq_module.PyzmqSocket
    for op in PYZMQ_OPS:
        original = getattr(socket_class, op, None)
        if original is None:
            continue

        def wrapped(self, *args, _op=op, _original=original, **kwargs):
            COUNTERS.ops[_op] += 1
            if COUNTERS._inside_any:
                COUNTERS.any_ops += 1
            before = time.process_time()
            try:
                return _original(self, *args, **kwargs)
            finally:
                COUNTERS.request_cpu_s += time.process_time() - before

        setattr(socket_class, op, wrapped)
    binding_class = pyzmq_module.PyzmqBinding
    original_init = binding_class.__init__
    original_socket = binding_class.socket

    def __init__(self, *args, **kwargs):
        COUNTERS.contexts += 1
        original_init(self, *args, **kwargs)

    def socket(self, type):
        COUNTERS.ops["socket"] += 1
        return original_socket(self, type)

    binding_class.__init__ = __init__
    binding_class.socket = socket


def _wrap_receive_from_any() -> None:
    original = exchange.receive_from_any

    def receive_from_any(*args, **kwargs):
        COUNTERS.any_calls += 1
        COUNTERS._inside_any += 1
        try:
            return original(*args, **kwargs)
        finally:
            COUNTERS._inside_any -= 1

    exchange.receive_from_any = receive_from_any


_wrap_driver()
_wrap_pyzmq()
_wrap_receive_from_any()


def _driver_cpu() -> dict[str, float]:
    """CPU so far of each running driver process, by role (iut, peer) and pid."""
    found = {}
    for binding in DRIVERS:
        process = binding._process
        if process is None:
            continue
        role = "peer" if "libzmq peer" in binding.label else "iut"
        cpu = process_cpu_s(process.popen.pid)
        if cpu is not None:
            found[f"{role}:{process.popen.pid}"] = cpu
    return found


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """CPU per role between two readings; a process born in between counts from zero."""
    spent: collections.Counter[str] = collections.Counter()
    for key, cpu in after.items():
        spent[key.split(":")[0]] += cpu - before.get(key, 0.0)
    return dict(spent)


class Recorder:
    def __init__(self, directory: Path, profile: bool) -> None:
        self.directory = directory
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.tests: list[dict] = []
        self.start_cpu = own_cpu_s()
        self.start_wall = time.monotonic()
        self.profiler = cProfile.Profile(time.thread_time) if profile else None
        self.first_test_wall: float | None = None
        self.first_test_cpu: float | None = None
        self.driver_total: dict[str, float] = {}
        self.driver_seen: dict[str, float] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if self.first_test_wall is None:
            self.first_test_wall = time.monotonic()
            self.first_test_cpu = own_cpu_s()
        if self.profiler is not None:
            self.profiler.enable()
        self.current = {"test": item.nodeid, "phases": {}, "start": time.monotonic()}
        yield
        if self.profiler is not None:
            self.profiler.disable()
        self.current["end"] = time.monotonic()
        self.tests.append(self.current)
        if len(self.tests) % 10 == 0:  # a run cut short still leaves its records
            self.write()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._phase("setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._phase("call")
        network = item.funcargs.get("network") if hasattr(item, "funcargs") else None
        self.current["examples"] = getattr(network, "examples", 0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield from self._phase("teardown")

    def _phase(self, name: str):
        global COUNTERS
        COUNTERS = Counters()
        drivers_before = _driver_cpu()
        cpu, wall = own_cpu_s(), time.monotonic()
        yield
        drivers_after = _driver_cpu()
        self.driver_seen.update(drivers_after)
        record = COUNTERS.as_dict()
        record["cpu_s"] = own_cpu_s() - cpu
        record["wall_s"] = time.monotonic() - wall
        record["driver_cpu_s"] = _delta(drivers_after, drivers_before)
        self.current["phases"][name] = record

    def pytest_sessionfinish(self, session):
        if self.tests:  # not the xdist controller: it runs no test
            self.write(final=True)

    def write(self, final: bool = False) -> None:
        end_wall, end_cpu = time.monotonic(), own_cpu_s()
        summary = {
            "worker": self.worker,
            "pid": os.getpid(),
            "start_wall": self.start_wall,
            "first_test_wall": self.first_test_wall,
            "end_wall": end_wall,
            "cpu_before_tests_s": (self.first_test_cpu or end_cpu) - self.start_cpu,
            "cpu_total_s": end_cpu - self.start_cpu,
            "driver_processes": self.driver_seen,
            "tests": self.tests,
            "complete": final,
        }
        if self.profiler is not None and final:
            summary["profile"] = attribute_profile(self.profiler)
            summary["profile_top"] = top_functions(self.profiler)
        path = self.directory / f"{self.worker}-{os.getpid()}.json"
        path.write_text(json.dumps(summary))


PACKAGES = (
    ("hypothesis", ("/hypothesis/",)),
    ("pytest+pluggy+xdist", ("/_pytest/", "/pluggy/", "/xdist/", "/execnet/", "/pytest")),
    ("suite: driver binding", ("conformance/bindings/driver.py",)),
    ("suite: checks, harness, model", ("/conformance/",)),
    ("suite: reference patterns", ("/reference/",)),
    ("zmq (pyzmq)", ("/zmq/",)),
    ("json, base64", ("/json/", "base64.py", "_json")),
    ("threads, queues, pipes", ("threading.py", "queue.py", "subprocess.py", "selectors.py")),
)


def classify(filename: str, function: str) -> str:
    if filename == "~":  # a builtin: attribute it by name
        if "json" in function or "b64" in function or "binascii" in function:
            return "json, base64"
        if "zmq" in function:
            return "zmq (pyzmq)"
        if any(w in function for w in ("lock", "acquire", "write", "read", "flush", "select")):
            return "threads, queues, pipes"
        return "builtins, other"
    for name, needles in PACKAGES:
        if any(needle in filename for needle in needles):
            return name
    return "stdlib, other"


def attribute_profile(profiler: cProfile.Profile) -> dict[str, float]:
    """The main thread's own CPU by where it was spent (each function's own time)."""
    stats = pstats.Stats(profiler)
    shares: collections.Counter[str] = collections.Counter()
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        shares[classify(filename, function)] += row[2]
    return dict(shares)


def top_functions(profiler: cProfile.Profile, count: int = 25) -> list[tuple[str, float]]:
    """The functions with the most own CPU, as ``file:line(function)``."""
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:count]  # type: ignore[attr-defined]
    return [(f"{Path(f).name}:{line}({function})", row[2]) for (f, line, function), row in rows]


def pytest_configure(config: pytest.Config) -> None:
    directory = os.environ.get("ZC_BREAKDOWN_DIR")
    if directory:
        profile = os.environ.get("ZC_BREAKDOWN_PROFILE") == "1"
        config.pluginmanager.register(Recorder(Path(directory), profile), "zc-breakdown")
