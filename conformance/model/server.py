"""What every server model shares: its clients, and the messages on their way to it."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from conformance.binding import ErrorCode, Frames
from conformance.model.clients import Client
from conformance.model.messages import Message


class Fate(enum.Enum):
    """What becomes of a message the server sends successfully."""

    DELIVERED = "delivered"
    DROPPED = "dropped"


Arrival = tuple[Client, Message]


class Server:
    """A server with its clients, in the order they joined.

    RFC 28 has every server fair-queue its incoming messages: per peer in
    order, across peers in any order.  So what the server may receive next
    is the oldest unreceived message of each client, and nothing else.
    """

    type: str = ""
    routing_id: bytes | None = None
    """The server's own ROUTING_ID, which ROUTER clients address it by."""

    def __init__(self) -> None:
        self.clients: list[Client] = []

    def joined(self, client: Client) -> None:
        self.clients.append(client)

    def left(self, client: Client) -> None:
        """``client`` disconnected (its queues were empty: the machine makes sure)."""

    def arrivals(self) -> list[Arrival]:
        """The messages that may be received next: each client's oldest one."""
        return [(c, c.to_server[0]) for c in self.clients if c.live and c.to_server]

    def expected_receive(self) -> list[Arrival] | ErrorCode:
        """What a receive must give: one of these arrivals, or this error at once."""
        return self.arrivals() or ErrorCode.EAGAIN

    def view(self, client: Client, message: Message, observed: Sequence[bytes]) -> Frames:
        """The frames the server application receives for ``message`` from ``client``.

        ``observed`` supplies what the model cannot know in advance (a
        routing id the implementation chose), and nothing else.
        """
        return list(message.payload)

    def problem(self, client: Client, observed: Sequence[bytes]) -> str | None:
        """What is wrong with ``observed``, matched to ``client``'s message, beyond its frames."""
        return None

    def received(self, client: Client, message: Message, observed: Sequence[bytes]):
        client.to_server.popleft()

    def busy_with_another(self, client: Client) -> bool:
        """Whether a client other than ``client`` has messages on their way to the server.

        The fair queue may then hand over either client's message first.
        The model could follow either, but what the machine may do next
        would then depend on the order, which Hypothesis needs to be the
        same whenever it replays a sequence of steps: so one client at a
        time has messages on their way to the server, and every receive
        has exactly one right answer.
        """
        return any(c is not client and c.live and c.to_server for c in self.clients)
