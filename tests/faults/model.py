"""Faults only a sequence of steps shows: a state kept across an error, routes across a disconnect.

Each passes every single-semantic family that does not look at what
happens *after* the step it gets wrong; the model family, which checks
every observation of a whole sequence, must catch them.
"""

from __future__ import annotations

from conformance.binding import Binding, ErrorCode, ZmqError
from conformance.bindings.pyzmq import PyzmqBinding
from tests.faults.harness import Fault, FaultyBinding, FaultySocket, RepOnRouter


class RepLosingEnvelopeOnRefusedRecv(RepOnRouter):
    """A REP that refuses a receive with EFSM while it owes a reply, then forgets what it owed.

    The error is the right one; the bug is on the error path, which resets
    the state instead of leaving it unchanged: the reply it owes is refused.
    """

    def recv(self, timeout_ms):
        if self.envelope is not None:
            self.envelope = None
            raise ZmqError(ErrorCode.EFSM, "a reply is owed")
        return super().recv(timeout_ms)


class RouterForgettingRoutesOnDisconnect(FaultySocket):
    """A ROUTER that, disconnecting from one peer, forgets the routes to all the others.

    It relearns a route when that peer speaks again; until then a message
    to it is treated as one to an unknown id (dropped, or EHOSTUNREACH with
    ROUTER_MANDATORY), as if the routing table were rebuilt from scratch.
    """

    def __init__(self, inner, type):
        super().__init__(inner, type)
        self.mandatory = False
        self.heard_from: set[bytes] = set()
        self.forgotten: set[bytes] = set()

    def set(self, option, value):
        if option == "ROUTER_MANDATORY":
            self.mandatory = bool(value)
        super().set(option, value)

    def recv(self, timeout_ms):
        frames = super().recv(timeout_ms)
        self.heard_from.add(frames[0])
        self.forgotten.discard(frames[0])
        return frames

    def disconnect(self, endpoint):
        super().disconnect(endpoint)
        self.forgotten |= self.heard_from
        self.heard_from = set()

    def send(self, frames, timeout_ms):
        if frames[0] not in self.forgotten:
            super().send(frames, timeout_ms)
        elif self.mandatory:
            raise ZmqError(ErrorCode.EHOSTUNREACH, "no route")


class DisconnectIgnored(FaultySocket):
    """``disconnect`` reports success and leaves the connection up."""

    def disconnect(self, endpoint):
        pass


FAULTS = (
    Fault(
        "rep_losing_envelope_on_refused_recv",
        RepLosingEnvelopeOnRefusedRecv,
        ("model",),
        ("REP",),
    ),
    Fault(
        "router_forgetting_routes_on_disconnect",
        RouterForgettingRoutesOnDisconnect,
        ("model",),
        ("ROUTER",),
    ),
    Fault("disconnect_ignored", DisconnectIgnored, ("model",)),
)


class WithoutDisconnect(FaultySocket):
    """A correct socket of an implementation that does not offer the optional ``disconnect``."""

    def disconnect(self, endpoint):
        raise ZmqError(ErrorCode.ENOTSUP, "disconnect is not implemented")


def without_disconnect() -> Binding:
    """Not a fault: the model must pass it, with clients that never leave (``--zmq-binding``)."""
    return FaultyBinding(PyzmqBinding(), Fault("without_disconnect", WithoutDisconnect, ()))
