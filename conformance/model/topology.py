"""Who is the model's server, and who binds: one server, clients that come and go.

The server is the end of the pairing that can serve several peers
predictably: a REP (it answers whoever asked) or a ROUTER (it addresses
each peer by routing id); for DEALER-DEALER, the connecting DEALER, whose
round robin follows the order of its connects.  The clients bind or connect
as the pairing says: in REQ-REP the REQ clients connect to the bound REP; in
REP-REQ the REP server connects to each bound REQ.  A client leaves by a
``disconnect`` from whichever end connected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.binding import ErrorCode, Socket, ZmqError
from conformance.catalogue import Pairing
from conformance.harness.exchange import is_delimited
from conformance.harness.network import Network, Options


@dataclass(frozen=True)
class Topology:
    server_type: str
    client_type: str
    server_binds: bool

    @classmethod
    def of(cls, pairing: Pairing) -> Topology:
        if pairing.binds in ("REP", "ROUTER"):
            return cls(pairing.binds, pairing.connects, server_binds=True)
        return cls(pairing.connects, pairing.binds, server_binds=False)

    @property
    def delimited(self) -> bool:
        """Whether messages between server and clients carry an empty delimiter."""
        return is_delimited(self.server_type, self.client_type)


@dataclass
class Wiring:
    """Opens the server and its clients on the sides the test's peering gives them."""

    network: Network
    transport: str
    topology: Topology
    server: Socket | None = None
    server_endpoint: str = ""
    _sides: tuple[str, str] = field(init=False)

    def __post_init__(self) -> None:
        peering = self.network.peering
        binder, connector = peering.binder, peering.connector
        self._sides = (binder, connector) if self.topology.server_binds else (connector, binder)

    def open_server(self, options: Options) -> Socket:
        self.server = self.network.socket(self._sides[0], self.topology.server_type, options)
        if self.topology.server_binds:
            self.server_endpoint = self.server.bind(self.network.endpoints.new(self.transport))
        return self.server

    def open_client(self, options: Options) -> tuple[Socket, str]:
        """A new client, connected: its socket and the endpoint that joins it to the server."""
        assert self.server is not None
        client = self.network.socket(self._sides[1], self.topology.client_type, options)
        if self.topology.server_binds:
            client.connect(self.server_endpoint)
            return client, self.server_endpoint
        endpoint = client.bind(self.network.endpoints.new(self.transport))
        self.server.connect(endpoint)
        return client, endpoint

    def disconnect(self, client: Socket, endpoint: str) -> bool:
        """Cut one client off; True if the server made the call (it connected)."""
        assert self.server is not None
        if self.topology.server_binds:
            client.disconnect(endpoint)
            return False
        self.server.disconnect(endpoint)
        return True


def disconnect_supported(network: Network, pairing: Pairing, transport: str) -> bool:
    """Whether the connecting side, the one that disconnects, implements ``disconnect``.

    The driver protocol makes it optional.  Without it the model still runs,
    with clients that never leave, rather than the whole case being
    UNSUPPORTED.  Asked once per test, so every example has the same rules.
    """
    side = network.peering.connector
    if network.binding(side) is network.libzmq:
        return True
    with network.sockets():
        probe = network.socket(side, pairing.connects)
        try:
            probe.disconnect(network.endpoints.new(transport))
        except ZmqError as exc:
            return exc.code != ErrorCode.ENOTSUP
    return True
