"""The model of a REQ client: idle, or waiting for the reply to its last request.

RFC 28: a REQ sends one request, then receives one reply, in strict
alternation; anything else is EFSM, and the state is unchanged by the error.
Two libzmq options loosen it:

* ``REQ_RELAXED``: a waiting REQ may send a new request; the old one is
  abandoned.
* ``REQ_CORRELATE``: each request carries an id, and a reply carrying another
  id (a stale one) is dropped.

What the model must not predict (SEMANTICS.md rules 20-21): when a REQ
sends, it discards the replies that have already *arrived*, and, without
CORRELATE, takes any later one as the reply.  Whether a reply in flight has
arrived is a matter of timing, so without CORRELATE a REQ only sends when no
reply is on its way to it, and a ROUTER server only sends to it when it
waits and nothing else is on its way.  With CORRELATE every stale reply is
dropped whatever its timing, so everything is allowed.
"""

from __future__ import annotations

from conformance.binding import ErrorCode
from conformance.model.clients import Client, Delivery
from conformance.model.messages import Message
from conformance.model.server import Server


class ReqClient(Client):
    def __init__(
        self,
        name: str,
        server: Server,
        routing_id: bytes | None,
        *,
        relaxed: bool,
        correlate: bool,
    ) -> None:
        super().__init__(name, "REQ", server, routing_id)
        self.relaxed = relaxed
        self.correlate = correlate
        self.waiting = False
        self.requests = 0
        """How many requests it has sent: the number of the current one."""

    def __str__(self) -> str:
        options = [o for o, on in (("RELAXED", self.relaxed), ("CORRELATE", self.correlate)) if on]
        return f"{self.name} (REQ{' ' + '+'.join(options) if options else ''})"

    def refusal_to_send(self) -> ErrorCode | None:
        return ErrorCode.EFSM if self.waiting and not self.relaxed else None

    def send_is_predictable(self) -> bool:
        if not super().send_is_predictable():
            return False
        return self.correlate or self.refusal_to_send() is not None or not self.inbound

    def sent(self, message: Message) -> None:
        self.requests += 1
        message.request = self.requests
        self.waiting = True
        super().sent(message)

    def expected_receive(self) -> Delivery | ErrorCode:
        if not self.waiting:
            return ErrorCode.EFSM
        return next((d for d in self.inbound if self.accepts(d)), ErrorCode.EAGAIN)

    def accepts(self, delivery: Delivery) -> bool:
        """Whether it takes ``delivery`` as its reply (else it is dropped as stale)."""
        return not self.correlate or delivery.answers == self.requests

    def received(self, delivery: Delivery) -> None:
        super().received(delivery)
        self.waiting = False

    def takes_message_predictably(self) -> bool:
        return self.correlate or (self.waiting and not self.inbound)

    def refusal_after_leaving(self) -> ErrorCode:
        return self.refusal_to_send() or ErrorCode.EAGAIN
