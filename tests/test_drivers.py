"""The drivers of real implementations in drivers/: each one speaks and interoperates.

Per driver, cheaply: it answers ``hello`` naming the implementation it
drives, and one round trip passes with libzmq (pyzmq) at the other end, the
driver's socket connecting in one direction and binding in the other.  A
driver whose implementation is not installed here (``drivers/NAME/install
--check`` says so) is skipped with the command that installs it; the full
runs are ``drivers/run-all``'s job.  Every known-deviations registry must
parse and name only cases that exist, or it would silently excuse nothing.
"""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

import pytest

from conformance.binding import SOCKET_TYPES
from conformance.bindings.driver import DriverBinding
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.catalogue import CASES
from conformance.harness.network import TIMEOUT_MS
from conformance.plugin.known import KnownDeviations

DRIVERS_DIR = Path(__file__).resolve().parent.parent / "drivers"
DRIVERS = sorted(p.name for p in DRIVERS_DIR.iterdir() if (p / "driver").is_file())

IMPLEMENTATIONS = {
    "azmq": "azmq 1.0.6",
    "jeromq": "JeroMQ 0.6.0",
    "jeromq-debian": "JeroMQ 0.3.6",
    "perl-zmq-ffi": "libzmq 4.3.4",
    "php-zmq": "libzmq 4.3.4",
    "pyomq": "pyomq 0.27.3",
    "pyzmq": "libzmq 4.3.5",
    "pyzmq-debian": "libzmq 4.3.4",
    "ruby-ffi-rzmq": "libzmq 4.3.4",
    "zeromqjs": "zeromq.js 6.8.0",
    "zmq4-go": "go-zeromq/zmq4 v0.17.0",
    "zmqrs": "zmq.rs 0.7.0",
}
"""What each driver's ``hello`` must name: the implementation and version the row claims."""

STARTUP_S = 30.0  # a JVM or a Node addon on a loaded 2-core machine


def test_every_driver_has_its_files_and_a_row():
    for name in DRIVERS:
        folder = DRIVERS_DIR / name
        for needed in ("install", "driver", "README.md", "known.toml"):
            assert (folder / needed).is_file(), f"drivers/{name} has no {needed}"
        assert name in IMPLEMENTATIONS, f"drivers/{name}: say what its hello must name"


@pytest.mark.parametrize("name", DRIVERS)
def test_known_deviations_parse_and_name_real_cases(name):
    registry = KnownDeviations.load(DRIVERS_DIR / name / "known.toml")
    case_ids = [case.id for case in CASES]
    for deviation in registry.deviations:
        assert deviation.reason.strip(), f"{name}: {deviation.case} has no reason"
        assert deviation.peering in ("*", "self", "iut-connects", "iut-binds"), deviation
        assert fnmatch.filter(case_ids, deviation.case), (
            f"drivers/{name}/known.toml: {deviation.case!r} matches no case of the catalogue"
        )


@pytest.fixture(params=DRIVERS)
def driver(request):
    """A started driver binding for one installed implementation."""
    name = request.param
    folder = DRIVERS_DIR / name
    check = subprocess.run(
        [str(folder / "install"), "--check"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )
    if check.returncode != 0:
        pytest.skip(f"{name} is not installed here: run drivers/{name}/install")
    binding = DriverBinding(str(folder / "driver"), startup_s=STARTUP_S)
    binding.start()
    yield name, binding
    binding.close()


@pytest.fixture(scope="module")
def libzmq():
    binding = PyzmqBinding()
    yield binding
    binding.close()


def test_hello_names_the_implementation(driver):
    name, binding = driver
    assert IMPLEMENTATIONS[name] in binding.name, binding.name
    assert set(SOCKET_TYPES) <= binding.capabilities.socket_types
    assert "tcp" in binding.capabilities.transports


def round_trip(client, server, endpoint: str) -> None:
    """REQ ``client`` asks, REP ``server`` answers, each frame checked.

    No empty frame in the request: zmq4's REP takes the last empty frame of a
    request for the delimiter, a bug the suite reports (envelope); this check
    is of the driver path, not of that.
    """
    request, reply = [b"\x00request", b"\xff" * 300], [b"reply", b""]
    client.connect(endpoint)
    client.send(request, TIMEOUT_MS)
    assert server.recv(TIMEOUT_MS) == request
    server.send(reply, TIMEOUT_MS)
    assert client.recv(TIMEOUT_MS) == reply


@pytest.mark.parametrize("driver_binds", [False, True], ids=["driver-connects", "driver-binds"])
def test_a_round_trip_with_libzmq(driver, libzmq, driver_binds):
    _, binding = driver
    server_side, client_side = (binding, libzmq) if driver_binds else (libzmq, binding)
    server = server_side.socket("REP")
    client = client_side.socket("REQ")
    try:
        endpoint = server.bind("tcp://127.0.0.1:*")
        round_trip(client, server, endpoint)
    finally:
        client.close()
        server.close()
