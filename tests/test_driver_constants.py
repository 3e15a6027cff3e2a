"""The standalone pyzmq driver states the protocol's constants as the suite does.

``conformance/drivers/pyzmq.py`` is a single file that imports only the
standard library and ``zmq`` (so that it runs alone, on Python 3.6), and so
writes out the protocol's socket types, transports, options and error codes
itself instead of importing them from ``conformance/binding.py``.  Two
statements of one list drift apart silently: a driver that stops offering an
option the suite knows makes every test of it UNSUPPORTED, and an error code
the suite does not know breaks the binding.  These tests hold the two equal.

The driver keeps, of each list, what the installed ``zmq`` has; the pyzmq
here has every name, so the driver's lists must be the suite's whole.  It
is loaded from its file, as a binding maintainer runs it, not imported from
the package: it stays at that path however the package around it is laid
out.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from conformance import binding

DRIVER_PATH = Path(__file__).resolve().parent.parent / "conformance" / "drivers" / "pyzmq.py"


@pytest.fixture(scope="module")
def driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("standalone_pyzmq_driver", DRIVER_PATH)
    assert spec is not None and spec.loader is not None, f"cannot load {DRIVER_PATH}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_socket_types_and_transports_are_the_suites(driver):
    assert tuple(driver.SOCKET_TYPES) == binding.SOCKET_TYPES
    assert tuple(driver.TRANSPORTS) == binding.TRANSPORTS


def test_the_options_are_the_suites_with_the_same_value_types(driver):
    assert tuple(driver.BOOL_OPTIONS) == binding.BOOL_OPTIONS
    assert tuple(driver.INT_OPTIONS) == binding.INT_OPTIONS
    assert tuple(driver.OPTIONS) == binding.OPTIONS
    # The driver decodes every option that is neither bool nor int as bytes.
    typed = set(driver.BOOL_OPTIONS) | set(driver.INT_OPTIONS)
    assert tuple(o for o in driver.OPTIONS if o not in typed) == binding.BYTES_OPTIONS


def test_the_numbers_the_driver_sends_are_the_installed_zmqs(driver):
    """Socket types and options go to libzmq as the numbers the driver looked up for them."""
    zmq = driver.zmq
    for names in (driver.SOCKET_TYPES, driver.OPTIONS):
        assert {name: names[name] for name in names} == {name: getattr(zmq, name) for name in names}
    for name, older in driver.OLDER_NAMES.items():
        assert all(getattr(zmq, o, getattr(zmq, name)) == getattr(zmq, name) for o in older), name


def error_codes_in(source: str) -> set[str]:
    """Every string literal in ``source`` that is written like an error code (``EAGAIN``)."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"E[A-Z]+", node.value)
    }


def test_the_error_codes_the_driver_answers_with_are_the_suites(driver):
    """Every code the driver can answer with is one the suite knows, and it uses them all.

    The codes are found in the source (a ``Failure`` raised, the mapping
    from errno, the default for an unknown errno, the reply to an
    unparsable line), so a new one anywhere in the driver is checked.
    """
    protocol = {code.value for code in binding.ErrorCode}
    assert error_codes_in(DRIVER_PATH.read_text()) == protocol
    assert set(driver.ERRNO_CODES.values()) <= protocol


def test_the_driver_speaks_the_protocol_version_the_suite_states(driver):
    stated = re.search(r"version (\d+)", binding.ErrorCode.__doc__ or "")
    assert stated is not None, "binding.ErrorCode no longer says which protocol version"
    assert int(stated.group(1)) == driver.PROTOCOL


def test_the_driver_hello_offers_what_the_suite_assumes_by_default(driver):
    """What a driver announces is the suite's :class:`~conformance.binding.Capabilities`."""
    instance = driver.Driver()
    try:
        hello = instance.op_hello({"protocol": driver.PROTOCOL})
    finally:
        instance.close_all()
    assert hello["protocol"] == driver.PROTOCOL
    defaults = binding.Capabilities()
    assert frozenset(hello["socket_types"]) == defaults.socket_types
    assert frozenset(hello["transports"]) == defaults.transports
    assert frozenset(hello["options"]) == defaults.options
