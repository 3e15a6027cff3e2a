"""The model of a DEALER server: round robin out, fair queueing in.

The DEALER server connects to each of its clients (DEALER-DEALER).  A
connecting DEALER round-robins over its peers in the order it connected to
them, the newest last, with no wait (SEMANTICS.md rule 29), so while no
client has left, the model names the client each message goes to.  Once one
has left, the point where the rotation resumes depends on when libzmq
retires the dead pipe; the model then only predicts a send while a single
client is left to receive it.  With no client left, a send gives EAGAIN.
"""

from __future__ import annotations

from conformance.binding import ErrorCode
from conformance.model.clients import Client
from conformance.model.messages import Message
from conformance.model.server import Server


class DealerServer(Server):
    type = "DEALER"

    def __init__(self) -> None:
        super().__init__()
        self.ring: list[Client] = []
        self.next = 0
        self.rotation_known = True

    def joined(self, client: Client) -> None:
        super().joined(client)
        self.ring.append(client)

    def left(self, client: Client) -> None:
        self.rotation_known = False

    def live(self) -> list[Client]:
        return [c for c in self.clients if c.live]

    def send_is_predictable(self) -> bool:
        return self.rotation_known or len(self.live()) <= 1

    def refusal_to_send(self) -> ErrorCode | None:
        return None if self.live() else ErrorCode.EAGAIN

    def sent(self, message: Message) -> None:
        if not self.rotation_known:
            (target,) = self.live()
            target.deliver(message)
            return
        self.ring[self.next].deliver(message)
        self.next = (self.next + 1) % len(self.ring)
