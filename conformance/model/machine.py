"""The state machine's shared part: clients join, leave, send and receive; the server's plumbing.

Each rule acts through the binding interface only, so the machine runs
unchanged over a driver, and checks what it observes against the model.
A rule is only offered when the model can tell its outcome exactly
(preconditions and bundle filters say when); every wait is for something
the model says must happen (``TIMEOUT_MS``), and a non-blocking call is
used wherever the model says nothing can be on its way.  The server's own
rules are in :mod:`conformance.model.server_rules`, and
:mod:`conformance.model.pairings` puts together one machine per pairing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, precondition, rule

from conformance.binding import ErrorCode, Frames, Socket
from conformance.catalogue import Case
from conformance.harness.assertions import assert_message
from conformance.harness.exchange import send_when_routable
from conformance.harness.network import TIMEOUT_MS, Network, Options
from conformance.model.checks import match_arrival, must_arrive, must_fail, must_succeed
from conformance.model.clients import Client
from conformance.model.dealer import DealerServer
from conformance.model.messages import Message, Tags, bodies, frames
from conformance.model.rep import RepServer
from conformance.model.req import ReqClient
from conformance.model.router import Request, RouterServer
from conformance.model.server import Server
from conformance.model.topology import Topology, Wiring

MAX_CLIENTS = 3

ids = st.binary(min_size=1, max_size=8).filter(lambda b: b[0] != 0)
"""Explicit routing ids: a 0x00 first byte is reserved for automatic ids."""

clients = Bundle("client")
requests = Bundle("request")


@dataclass(eq=False)
class Peer:
    """A client in the machine: its model, its socket, and the endpoint joining it to the server."""

    model: Client
    socket: Socket
    endpoint: str
    found_empty: bool = False
    """Whether a receive found nothing since the model last changed."""

    def worth_receiving(self) -> bool:
        """Whether a receive can show something new: a message, EFSM, or a first EAGAIN."""
        return not self.found_empty or self.model.expected_receive() != ErrorCode.EAGAIN


class ModelMachine(RuleBasedStateMachine):
    """The rules every pairing shares: clients join, leave, send and receive."""

    can_disconnect = True

    def __init__(self, network: Network, case: Case) -> None:
        super().__init__()
        self.topology = Topology.of(case.pairing)
        self.wiring = Wiring(network, case.transport, self.topology)
        self.tags = Tags()
        self.peers: list[Peer] = []
        self.requests_received: list[Request] = []
        self.server: Server = Server()
        self.server_socket: Socket | None = None
        self.server_found_empty = False
        self.unknown_id_tried = False
        self._example = network.sockets()  # every socket of the example closes at teardown
        self._example.__enter__()

    def teardown(self) -> None:
        # Hypothesis calls teardown in a finally: the exception in flight, if
        # any, is the example's failure, which Network.sockets must see.
        self._example.__exit__(*sys.exc_info())

    # -- opening ----------------------------------------------------------------

    def open_server(self, options: Options) -> None:
        self.server = make_server(self.topology.server_type, options)
        self.server_socket = self.wiring.open_server(options)

    def open_client(self, options: Options) -> Peer:
        routing_id = options.get("ROUTING_ID")
        assume(routing_id is None or not self.routing_id_taken(routing_id))
        # Hypothesis names the values of the client bundle client_0, client_1... in this order.
        name = f"client_{len(self.peers)}"
        model = make_client(self.topology.client_type, name, self.server, options)
        sock, endpoint = self.wiring.open_client(options)
        self.server.joined(model)
        peer = Peer(model, sock, endpoint)
        self.peers.append(peer)
        self.something_happened()
        return peer

    def routing_id_taken(self, routing_id: bytes) -> bool:
        """Whether an id was ever used: reusing a departed client's id is a race in libzmq."""
        return routing_id == self.server.routing_id or any(
            p.model.routing_id == routing_id for p in self.peers
        )

    def something_happened(self) -> None:
        """Something was sent or received: a check that found nothing may find something now.

        Repeating a check that found nothing while nothing happened only
        spends a step, so each such check is offered once in between, and
        the search spends its steps on sequences that go somewhere.
        """
        for peer in self.peers:
            peer.found_empty = False
        self.server_found_empty = False
        self.unknown_id_tried = False

    def live_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.model.live]

    def client_frames(self, model: Client, message: Message) -> Frames:
        """What ``model``'s application sends, or receives, to carry ``message``."""
        return frames(
            model.type,
            message.payload,
            delimited=self.topology.delimited,
            route=self.server.routing_id,
        )

    # -- clients ----------------------------------------------------------------

    @precondition(lambda self: self.can_disconnect and any(p.model.may_leave() for p in self.peers))
    @rule(client=consumes(clients).filter(lambda p: p.model.may_leave()))
    def leave(self, client: Peer) -> None:
        model = client.model
        where = f"{model} disconnect"
        by_server = self.wiring.disconnect(client.socket, client.endpoint)
        model.live = False
        model.disconnected_by_server = by_server
        self.server.left(model)
        self.something_happened()
        if not by_server:
            # Its only peer is gone, at once: the disconnecting socket knows.
            probe = self.tags.message((), model.name)
            must_fail(
                model.refusal_after_leaving(),
                f"{where}, then send",
                client.socket.send,
                self.client_frames(model, probe),
                0,
            )

    @precondition(lambda self: any(p.model.send_is_predictable() for p in self.peers))
    @rule(client=clients.filter(lambda p: p.model.send_is_predictable()), body=bodies)
    def client_sends(self, client: Peer, body: list[bytes]) -> None:
        model = client.model
        message = self.tags.message(body, model.name)
        sent = self.client_frames(model, message)
        where = f"{model} send {message.tag.decode()}"
        refusal = model.refusal_to_send()
        if refusal is not None:
            must_fail(refusal, where, client.socket.send, sent, 0)
        elif model.type == "ROUTER":
            must_succeed(where, send_when_routable, client.socket, sent)
        else:
            must_succeed(where, client.socket.send, sent, TIMEOUT_MS)
        if refusal is None:
            model.sent(message)
            self.something_happened()

    @precondition(lambda self: any(p.worth_receiving() for p in self.live_peers()))
    @rule(client=clients.filter(Peer.worth_receiving))
    def client_receives(self, client: Peer) -> None:
        model = client.model
        where = f"{model} receive"
        expected = model.expected_receive()
        if isinstance(expected, ErrorCode):
            must_fail(expected, where, client.socket.recv, refusal_wait_ms(expected))
            client.found_empty = expected == ErrorCode.EAGAIN
            return
        observed = must_arrive(client.socket, where)
        wanted = self.client_frames(model, expected.message)
        assert_message(observed, wanted, f"{where} ({expected.message})")
        model.received(expected)
        self.something_happened()

    # -- the server, for every type -----------------------------------------------

    def server_receive(self):
        """Receive at the server and check it; what the server model makes of it, or None."""
        assert self.server_socket is not None
        where = f"server ({self.server.type}) receive"
        expected = self.server.expected_receive()
        if isinstance(expected, ErrorCode):
            must_fail(expected, where, self.server_socket.recv, refusal_wait_ms(expected))
            self.server_found_empty = expected == ErrorCode.EAGAIN
            return None
        observed = must_arrive(self.server_socket, where)
        candidates = [((c, m), m, self.server.view(c, m, observed)) for c, m in expected]
        client, message = match_arrival(observed, candidates, where)
        problem = self.server.problem(client, observed)
        assert problem is None, f"{where}: {problem}"
        self.something_happened()
        return self.server.received(client, message, observed)

    def server_receive_worth_trying(self) -> bool:
        return not self.server_found_empty or self.server.expected_receive() != ErrorCode.EAGAIN

    def server_send(self, message: Message, sent: Sequence[bytes], refusal: ErrorCode | None):
        assert self.server_socket is not None
        where = f"server ({self.server.type}) send {message.tag.decode()}"
        if refusal is not None:
            must_fail(refusal, where, self.server_socket.send, sent, 0)
        else:
            must_succeed(where, self.server_socket.send, sent, TIMEOUT_MS)
            self.something_happened()


def refusal_wait_ms(expected: ErrorCode) -> int:
    """How long a receive the model expects to fail with ``expected`` may wait.

    EAGAIN means nothing is on its way, so it must come at once.  Any other
    refusal (EFSM) comes from the socket's state, at once from a correct
    socket whatever the timeout; a socket that wrongly does not refuse gets
    the time for what is on its way to arrive, so that what it shows does
    not depend on the machine's load, and a replay sees the same failure.
    """
    return 0 if expected == ErrorCode.EAGAIN else TIMEOUT_MS


def make_server(type: str, options: Options) -> Server:
    if type == "REP":
        return RepServer()
    if type == "ROUTER":
        return RouterServer(
            mandatory=bool(options.get("ROUTER_MANDATORY", False)),
            routing_id=options.get("ROUTING_ID"),
        )
    return DealerServer()


def make_client(type: str, name: str, server: Server, options: Options) -> Client:
    routing_id = options.get("ROUTING_ID")
    if type == "REQ":
        return ReqClient(
            name,
            server,
            routing_id,
            relaxed=bool(options.get("REQ_RELAXED", False)),
            correlate=bool(options.get("REQ_CORRELATE", False)),
        )
    return Client(name, type, server, routing_id)
