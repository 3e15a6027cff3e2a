"""Faulty bindings: a correct binding with one seeded, realistic bug.

A conformance suite is only as good as the bugs it catches.  Each fault
here is a bug a real binding could ship, written as a socket class that
wraps a correct libzmq socket and gets one thing wrong.  The suite must
fail against every one of them and pass against the correct binding.  Run
one by hand with::

    pytest conformance --zmq-binding tests.faults:drop_trailing_empty_frame

Every name in :data:`FAULTS`, :data:`VARIANTS` and :data:`ALLOWED` (and
``correct``) is a factory for ``--zmq-binding``.
The faults live in one module per part of the catalogue; this package
gathers them.  A fault changes what a socket sends or what it receives, never both, so
that in a self-paired run it cannot cancel itself out.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.binding import Binding
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults import connections, messages, model, patterns, sockets, variants, wire
from tests.faults.harness import Fault, FaultyBinding, FaultySocket
from tests.faults.variants import ALLOWED_DIFFERENCES, AllowedDifference, Variant

__all__ = [
    "ALLOWED",
    "FAULTS",
    "VARIANTS",
    "AllowedDifference",
    "Fault",
    "FaultyBinding",
    "FaultySocket",
    "Variant",
    "correct",
]

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        *messages.FAULTS,
        *sockets.FAULTS,
        *connections.FAULTS,
        *patterns.FAULTS,
        *model.FAULTS,
        *wire.FAULTS,
    )
}

VARIANTS: dict[str, Variant] = {
    variant.name: variant for variant in (*variants.VARIANTS, *wire.VARIANTS)
}
"""Bindings that differ from libzmq where the catalogue allows it (see :mod:`.variants`)."""

ALLOWED: dict[str, AllowedDifference] = {change.name: change for change in ALLOWED_DIFFERENCES}
"""Bindings that differ from libzmq where a MUST family allows it, which must pass."""


def correct() -> Binding:
    """The control: the built-in binding, unchanged, which must pass."""
    return PyzmqBinding()


def __getattr__(name: str) -> Callable[[], Binding]:
    """``tests.faults:<fault or variant name>`` is a factory for ``--zmq-binding``."""
    change = FAULTS.get(name) or VARIANTS.get(name) or ALLOWED.get(name)
    if change is None:
        raise AttributeError(name)
    return lambda: FaultyBinding(PyzmqBinding(), change)
