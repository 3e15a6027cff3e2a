"""A binding without ROUTER_MANDATORY, as zmq4's: the cases that need it are UNSUPPORTED.

Used by ``tests/test_unsupported.py``: such a case must end on its first
example, since Hypothesis would otherwise shrink the ENOTSUP like a failure,
asking the implementation again in every example for what it lacks.
"""

from __future__ import annotations

from conformance.binding import Binding, ErrorCode, ZmqError
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults.harness import Fault, FaultyBinding, FaultySocket


class WithoutRouterMandatory(FaultySocket):
    """ROUTER_MANDATORY is answered ENOTSUP; everything else is libzmq's."""

    def set(self, option, value):
        if option == "ROUTER_MANDATORY":
            raise ZmqError(ErrorCode.ENOTSUP, "no ROUTER_MANDATORY here")
        super().set(option, value)


def binding() -> Binding:
    change = Fault("without_router_mandatory", WithoutRouterMandatory, (), ("ROUTER",))
    return FaultyBinding(PyzmqBinding(), change)
