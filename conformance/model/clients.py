"""The model of a client: what is on its way to and from the server.

A DEALER or ROUTER client is nothing more than a FIFO in each direction
(RFC 28: both send and receive in any order and keep each peer's order);
:class:`Client` is that model.  A REQ adds a state machine on top
(:mod:`conformance.model.req`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.binding import ErrorCode
from conformance.model.messages import Message

if TYPE_CHECKING:
    from conformance.model.server import Server


@dataclass(eq=False)
class Delivery:
    """A message on its way to a client; ``answers`` is the request it replies to."""

    message: Message
    answers: int | None = None


class Client:
    """A DEALER or ROUTER client of ``server``."""

    def __init__(self, name: str, type: str, server: Server, routing_id: bytes | None) -> None:
        self.name = name
        self.type = type
        self.server = server
        self.routing_id = routing_id
        """Its explicit ROUTING_ID, if it was given one."""
        self.route: bytes | None = None
        """The routing id a ROUTER server has seen it under."""
        self.live = True
        self.disconnected_by_server = False
        """Whether the server made the disconnect call, and so knows at once that it is gone."""
        self.to_server: deque[Message] = deque()
        self.inbound: deque[Delivery] = deque()

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    # -- sending ------------------------------------------------------------

    def refusal_to_send(self) -> ErrorCode | None:
        """The error a send must fail with now, or None if it must succeed."""
        return None

    def send_is_predictable(self) -> bool:
        """Whether the model can tell every consequence of a send now."""
        if not self.live:
            return False
        return self.refusal_to_send() is not None or not self.server.busy_with_another(self)

    def sent(self, message: Message) -> None:
        self.to_server.append(message)

    # -- receiving ----------------------------------------------------------

    def expected_receive(self) -> Delivery | ErrorCode:
        """What a receive must give now: this delivery, or this error at once.

        The model holds every message sent to the client and not yet
        received, arrived or still in flight; so when it holds none, nothing
        can arrive and a non-blocking receive must say EAGAIN.
        """
        return self.inbound[0] if self.inbound else ErrorCode.EAGAIN

    def received(self, delivery: Delivery) -> None:
        while self.inbound.popleft() is not delivery:
            pass

    def takes_message_predictably(self) -> bool:
        """Whether the model can tell what becomes of a message the server sends it now."""
        return True

    def deliver(self, message: Message, answers: int | None = None) -> None:
        self.inbound.append(Delivery(message, answers))

    # -- leaving ------------------------------------------------------------

    def may_leave(self) -> bool:
        """Whether it may disconnect with a predictable outcome: nothing in flight.

        A message in flight to or from a vanishing peer may or may not get
        through (libzmq keeps what already arrived), so the model only lets
        a client go when its queues are empty.
        """
        return self.live and not self.to_server and not self.inbound

    def refusal_after_leaving(self) -> ErrorCode:
        """The error its non-blocking send gives once it has disconnected from its only peer."""
        return ErrorCode.EHOSTUNREACH if self.type == "ROUTER" else ErrorCode.EAGAIN
