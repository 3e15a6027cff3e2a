"""The model of a ROUTER server: its routing table, and what becomes of what it sends.

RFC 28: a ROUTER prefixes every incoming message with the routing id of
the peer it came from, and sends each outgoing message to the peer its
first frame names.  The model checks that every client has one routing id
(its explicit ``ROUTING_ID`` if it has one) that no other client shares, for
as long as it is connected, and predicts each send:

* to a connected client it has heard from: delivered;
* to an id it never knew: EHOSTUNREACH with ``ROUTER_MANDATORY``, otherwise
  accepted and dropped;
* to a client that has left: accepted and dropped without
  ``ROUTER_MANDATORY``; with it, EHOSTUNREACH if the server itself
  disconnected, and unpredictable otherwise (the server may not have seen
  the peer go yet), so the machine does not try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.binding import ErrorCode, Frames
from conformance.model.clients import Client
from conformance.model.messages import Message, frames
from conformance.model.req import ReqClient
from conformance.model.server import Fate, Server


@dataclass(eq=False)
class Request:
    """A message the ROUTER received: whom it came from, and the envelope to answer it with."""

    client: Client
    message: Message
    route: bytes
    envelope: tuple[bytes, ...]

    def fate(self) -> Fate | ErrorCode | None:
        server = self.client.server
        assert isinstance(server, RouterServer)
        return server.reply_fate(self)


def correlating(client: Client) -> bool:
    return isinstance(client, ReqClient) and client.correlate


class RouterServer(Server):
    type = "ROUTER"

    def __init__(self, *, mandatory: bool, routing_id: bytes | None) -> None:
        super().__init__()
        self.mandatory = mandatory
        self.routing_id = routing_id
        self.routes: dict[bytes, Client] = {}
        """Every routing id it has seen, with the client it belongs to (live or not)."""

    def view(self, client: Client, message: Message, observed: Sequence[bytes]) -> Frames:
        route = client.route or client.routing_id or (observed[0] if observed else b"")
        envelope = self.request_id(observed) if correlating(client) else ()
        delimited = client.type == "REQ"
        return frames(
            "ROUTER", message.payload, delimited=delimited, route=route, envelope=envelope
        )

    @staticmethod
    def request_id(observed: Sequence[bytes]) -> tuple[bytes, ...]:
        """The request id a correlating REQ puts before the delimiter: one non-empty frame.

        Its value is the REQ's own business, so the model takes it from the
        observation; when there is none, a placeholder shows where it belongs.
        """
        if len(observed) > 1 and observed[1]:
            return (observed[1],)
        return (b"<request id>",)

    def problem(self, client: Client, observed: Sequence[bytes]) -> str | None:
        """A routing id must be one client's only: never another client's."""
        route = observed[0]
        owner = self.routes.get(route)
        if owner is not None and owner is not client:
            return f"{client}'s message came with routing id {route!r}, which is {owner.name}'s"
        return None

    def received(self, client: Client, message: Message, observed: Sequence[bytes]) -> Request:
        super().received(client, message, observed)
        route = observed[0]
        client.route = route
        self.routes[route] = client
        envelope = self.request_id(observed) if correlating(client) else ()
        return Request(client, message, route, envelope)

    def knows(self, routing_id: bytes) -> bool:
        """Whether ``routing_id`` is, or may be, a route to one of its clients."""
        return routing_id in self.routes or any(c.routing_id == routing_id for c in self.clients)

    def reply_fate(self, request: Request) -> Fate | ErrorCode | None:
        """What a send answering ``request`` must do, or None if that is unpredictable."""
        client = request.client
        if client.live:
            return Fate.DELIVERED if client.takes_message_predictably() else None
        if not self.mandatory:
            return Fate.DROPPED
        return ErrorCode.EHOSTUNREACH if client.disconnected_by_server else None

    def unknown_id_fate(self) -> Fate | ErrorCode:
        return ErrorCode.EHOSTUNREACH if self.mandatory else Fate.DROPPED
