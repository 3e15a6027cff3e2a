"""A long exchange through a proxy: what a few messages per socket never reach.

Every other family sends a handful of messages per socket; implementations
that stall after their first few hundred (a credit never returned, a
counter that wraps, a buffer never reclaimed) pass them all.  Here two REQ
clients and two REP workers talk through one ROUTER-to-DEALER proxy for
hundreds of round trips, the suite forwarding between the proxy's two
sockets as ``zmq_proxy`` would.  The proxy is on the binding side of the
peering: in ``iut-binds`` the implementation's, with libzmq's clients and
workers; in ``iut-connects`` the other way round.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from conformance.harness.assertions import assert_message, receive
from conformance.harness.exchange import receive_from_any
from conformance.harness.network import TIMEOUT_MS
from conformance.harness.strategies import NoiseBytes

ROUND_TRIPS_PER_EXAMPLE = 5
"""Round trips per example of the profile, at each high-water mark."""

HIGH_WATER_MARKS = (1, 1000)
CLIENTS = WORKERS = 2


def _request(client: int, number: int) -> list[bytes]:
    """A request that says whose it is; its second frame crosses ZMTP's 255/256 boundary often."""
    return [b"client %d request %d" % (client, number), NoiseBytes(seed=number, size=number % 300)]


@pytest.mark.zmq_family("sustained-exchange")
def test_a_long_exchange_through_a_proxy_loses_nothing(network, case):
    round_trips = ROUND_TRIPS_PER_EXAMPLE * settings().max_examples
    binder, connector = network.peering.binder, network.peering.connector
    for hwm in HIGH_WATER_MARKS:
        options = {"SNDHWM": hwm, "RCVHWM": hwm}
        # A ROUTER drops what it cannot queue, and so does a REP (libzmq's is a
        # ROUTER inside): a reply sent before the credit of the last one is back
        # would be lost by design, so their sends keep the default mark.
        receiving = {"RCVHWM": hwm}
        with network.sockets():
            frontend = network.socket(binder, "ROUTER", receiving)
            backend = network.socket(binder, "DEALER", options)
            front = frontend.bind(network.endpoints.new(case.transport))
            back = backend.bind(network.endpoints.new(case.transport))
            clients = [network.socket(connector, "REQ", options) for _ in range(CLIENTS)]
            workers = [network.socket(connector, "REP", receiving) for _ in range(WORKERS)]
            for client in clients:
                client.connect(front)
            for worker in workers:
                worker.connect(back)
            for first in range(0, round_trips, CLIENTS):
                numbers = range(first, min(first + CLIENTS, round_trips))
                where = f"HWM {hwm}, round trips {first} to {numbers[-1]}"
                for number in numbers:
                    clients[number % CLIENTS].send(_request(number % CLIENTS, number), TIMEOUT_MS)
                for _ in numbers:
                    backend.send(receive(frontend, f"the proxy's frontend ({where})"), TIMEOUT_MS)
                for _ in numbers:
                    arrival = receive_from_any(workers)
                    assert arrival is not None, f"no worker received a request ({where})"
                    index, request = arrival
                    workers[index].send([b"reply to", *request], TIMEOUT_MS)
                for _ in numbers:
                    frontend.send(receive(backend, f"the proxy's backend ({where})"), TIMEOUT_MS)
                for number in numbers:
                    client = number % CLIENTS
                    assert_message(
                        receive(clients[client], f"client {client} ({where})"),
                        [b"reply to", *_request(client, number)],
                        f"client {client} got back, round trip {number} at HWM {hwm},",
                    )
