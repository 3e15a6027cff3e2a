"""The server's rules, one class per server type: what a REP, a ROUTER or a DEALER server may do.

Each is mixed into :class:`~conformance.model.machine.ModelMachine` by
:mod:`conformance.model.pairings`.
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis.stateful import multiple, precondition, rule

from conformance.binding import ErrorCode
from conformance.model.dealer import DealerServer
from conformance.model.machine import ModelMachine, ids, requests
from conformance.model.messages import bodies, frames
from conformance.model.rep import RepServer
from conformance.model.router import Request, RouterServer
from conformance.model.server import Fate


class RepServerRules:
    """A REP server: receive a request, then reply to it."""

    @precondition(ModelMachine.server_receive_worth_trying)
    @rule()
    def server_receives(self: ModelMachine) -> None:
        self.server_receive()

    @rule(body=bodies)
    def server_replies(self: ModelMachine, body: list[bytes]) -> None:
        assert isinstance(self.server, RepServer)
        message = self.tags.message(body, "server")
        refusal = self.server.refusal_to_reply()
        self.server_send(message, message.payload, refusal)
        if refusal is None:
            self.server.replied(message)


class RouterServerRules:
    """A ROUTER server: receive from anyone, send to any routing id, known or not."""

    @precondition(ModelMachine.server_receive_worth_trying)
    @rule(target=requests)
    def server_receives(self: ModelMachine):
        request = self.server_receive()
        if request is None:
            return multiple()
        self.requests_received.append(request)
        return request

    @precondition(lambda self: any(r.fate() is not None for r in self.requests_received))
    @rule(request=requests.filter(lambda r: r.fate() is not None), body=bodies)
    def server_replies(self: ModelMachine, request: Request, body: list[bytes]) -> None:
        message = self.tags.message(body, "server")
        sent = frames(
            "ROUTER",
            message.payload,
            delimited=self.topology.delimited,
            route=request.route,
            envelope=request.envelope,
        )
        fate = request.fate()
        self.server_send(message, sent, fate if isinstance(fate, ErrorCode) else None)
        if fate is Fate.DELIVERED:
            request.client.deliver(message, answers=request.message.request)

    @precondition(lambda self: not self.unknown_id_tried)
    @rule(routing_id=ids, body=bodies)
    def server_sends_to_unknown_id(self: ModelMachine, routing_id: bytes, body: list[bytes]):
        assert isinstance(self.server, RouterServer)
        assume(not self.server.knows(routing_id))
        message = self.tags.message(body, "server")
        sent = frames(
            "ROUTER", message.payload, delimited=self.topology.delimited, route=routing_id
        )
        fate = self.server.unknown_id_fate()
        self.server_send(message, sent, fate if isinstance(fate, ErrorCode) else None)
        self.unknown_id_tried = True


class DealerServerRules:
    """A DEALER server: receive from anyone, send to the next client in its rotation."""

    @precondition(ModelMachine.server_receive_worth_trying)
    @rule()
    def server_receives(self: ModelMachine) -> None:
        self.server_receive()

    @precondition(lambda self: self.server.send_is_predictable())
    @rule(body=bodies)
    def server_sends(self: ModelMachine, body: list[bytes]) -> None:
        assert isinstance(self.server, DealerServer)
        message = self.tags.message(body, "server")
        refusal = self.server.refusal_to_send()
        self.server_send(message, message.payload, refusal)
        if refusal is None:
            self.server.sent(message)


SERVER_RULES = {"REP": RepServerRules, "ROUTER": RouterServerRules, "DEALER": DealerServerRules}
