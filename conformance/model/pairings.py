"""One state machine per pairing, and running it as a test.

:func:`machine_class` puts the shared rules and the server's rules together
with the two rules whose strategies depend on the pairing: ``start`` (the
server and its first clients) and ``join``.  A shrunk counterexample reads::

    state = DealerToRouter()
    (client_0,) = state.start(server={'ROUTER_MANDATORY': True}, clients=[{}])
    state.client_sends(body=[b''], client=client_0)
    request_0 = state.server_receives()
    state.server_replies(body=[b''], request=request_0)
    state.client_receives(client=client_0)
"""

from __future__ import annotations

import functools

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, multiple, precondition, rule, run_state_machine_as_test

from conformance.catalogue import Case, Pairing
from conformance.harness.network import Network, Options
from conformance.model.machine import MAX_CLIENTS, ModelMachine, Peer, clients, ids
from conformance.model.server_rules import SERVER_RULES
from conformance.model.topology import Topology, disconnect_supported

STEPS = 20
"""Steps per example: enough for clients to join, talk and leave; cheap enough for 100
examples per case (each step is a round trip over a driver)."""


def server_options(topology: Topology, supported: frozenset[str]) -> st.SearchStrategy[Options]:
    """The options a server starts with: what the pairing needs, and what the search varies."""
    required: dict[str, st.SearchStrategy] = {}
    if topology.server_type == "ROUTER":
        if "ROUTER_MANDATORY" in supported:
            required["ROUTER_MANDATORY"] = st.booleans()
        if topology.client_type == "ROUTER":
            required["ROUTING_ID"] = ids  # ROUTER clients address it by name
    return st.fixed_dictionaries(required)


def client_options(topology: Topology, supported: frozenset[str]) -> st.SearchStrategy[Options]:
    required: dict[str, st.SearchStrategy] = {}
    optional: dict[str, st.SearchStrategy] = {}
    if topology.client_type == "REQ":
        for option in ("REQ_RELAXED", "REQ_CORRELATE"):
            if option in supported:
                required[option] = st.booleans()
    if topology.client_type == "ROUTER":
        # A ROUTER client learns that the server is reachable by trying (EHOSTUNREACH).
        required["ROUTER_MANDATORY"] = st.just(True)
    if topology.server_type == "ROUTER" and "ROUTING_ID" in supported:
        optional["ROUTING_ID"] = ids
    return st.fixed_dictionaries(required, optional=optional)


@functools.cache
def machine_class(
    pairing: Pairing, supported: frozenset[str], can_disconnect: bool = True
) -> type[ModelMachine]:
    """The state machine of one pairing, using only the options and operations the
    implementation has."""
    topology = Topology.of(pairing)
    joining_options = client_options(topology, supported)

    @initialize(
        target=clients,
        server=server_options(topology, supported),
        clients=st.lists(joining_options, min_size=1, max_size=MAX_CLIENTS),
    )
    def start(self: ModelMachine, server: Options, clients: list[Options]):
        """The server and its first clients: every example has someone to talk to."""
        self.open_server(server)
        return multiple(*(self.open_client(options) for options in clients))

    @precondition(lambda self: len(self.live_peers()) < MAX_CLIENTS)
    @rule(target=clients, options=joining_options)
    def join(self: ModelMachine, options: Options) -> Peer:
        return self.open_client(options)

    name = "".join(word.title() for word in (pairing.connects, "to", pairing.binds))
    namespace = {
        "start": start,
        "join": join,
        "can_disconnect": can_disconnect,
        "__module__": __name__,
    }
    return type(name, (SERVER_RULES[topology.server_type], ModelMachine), namespace)


def run_model(network: Network, case: Case) -> None:
    """Run the state machine of ``case``'s pairing against the implementation."""
    machine = machine_class(
        case.pairing,
        network.iut.capabilities.options,
        disconnect_supported(network, case.pairing, case.transport),
    )

    def factory() -> ModelMachine:
        return machine(network, case)

    # One example database entry per case and peering, not one for all of them.
    factory._hypothesis_internal_add_digest = f"{case.id} {network.peering}".encode()
    run_state_machine_as_test(factory, settings=settings(stateful_step_count=STEPS))
