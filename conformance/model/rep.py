"""The model of a REP server: idle, or owing a reply to the request it received last.

RFC 28: a REP receives a request, then sends one reply, which goes back
along the request's envelope to whoever sent it; receiving again before
replying, or replying first, is EFSM.  A reply to a client that has left
is accepted and dropped, and the REP goes on serving (SEMANTICS.md rule 22).
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.binding import ErrorCode
from conformance.model.clients import Client
from conformance.model.messages import Message
from conformance.model.server import Arrival, Server


class RepServer(Server):
    type = "REP"

    def __init__(self) -> None:
        super().__init__()
        self.owed: Arrival | None = None
        """The client and request it must answer before it may receive again."""

    def expected_receive(self) -> list[Arrival] | ErrorCode:
        return ErrorCode.EFSM if self.owed else super().expected_receive()

    def received(self, client: Client, message: Message, observed: Sequence[bytes]) -> None:
        super().received(client, message, observed)
        self.owed = (client, message)

    def refusal_to_reply(self) -> ErrorCode | None:
        return None if self.owed else ErrorCode.EFSM

    def replied(self, reply: Message) -> None:
        assert self.owed is not None
        (client, request), self.owed = self.owed, None
        if client.live:
            client.deliver(reply, answers=request.request)
