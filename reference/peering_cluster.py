"""A peering cluster: brokers that are all each other's peers, in one process or in many.

In one process, :class:`Cluster` makes the brokers, wires every one to every
other over one transport (inproc, ipc or tcp, on endpoints it picks so that
two runs never collide), starts them with their local workers, and stops
everything, workers first::

    with Cluster([b"A", b"B", b"C"], transport="ipc", workers={b"B": 2}) as cluster:
        cluster.wait_until_settled(timeout_s=5)
        with Client(cluster[b"A"].endpoints.localfe) as client:
            client.request([b"hello"])  # A has no worker: B serves it

Across processes (tcp), each process runs one broker::

    python -m reference.peering_cluster A --workers 2 --peers-on-stdin

It binds, prints its endpoints as one JSON line on stdout, reads lines
``peer NAME CLOUDFE STATEBE`` on stdin up to a line ``start``, then serves
until stdin closes, so it never outlives the process that started it.
Without ``--peers-on-stdin`` the peers are ``--peer NAME=CLOUDFE,STATEBE``
options and it serves until SIGINT or SIGTERM.  Endpoints default to free
loopback ports; pass ``--localfe tcp://*:5555`` and the like to fix them.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

import zmq

from reference.peering import PEER_TIMEOUT_S, STATE_INTERVAL_S, PeeringBroker
from reference.peering_tasks import Handler, Worker, echo
from reference.service import Service
from reference.sockets import ANY_TCP, IpcDirectory, inproc_endpoint

TRANSPORTS = ("inproc", "ipc", "tcp")


def connect_all(brokers: Sequence[PeeringBroker]) -> None:
    """Make every broker a peer of every other (they must not be started yet)."""
    for broker in brokers:
        broker.bind()
    for broker in brokers:
        for other in brokers:
            if other is not broker and other.endpoints is not None:
                endpoints = other.endpoints
                broker.connect_peer(other.name_bytes, endpoints.cloudfe, endpoints.statebe)


class Cluster:
    """N peering brokers in this process, each with its own local workers."""

    def __init__(
        self,
        names: Sequence[bytes],
        *,
        transport: str = "tcp",
        workers: Mapping[bytes, int] | None = None,
        handler: Handler = echo,
        context: zmq.Context | None = None,
        state_interval_s: float = STATE_INTERVAL_S,
        peer_timeout_s: float = PEER_TIMEOUT_S,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport is one of {', '.join(TRANSPORTS)}, not {transport!r}")
        if len(set(names)) != len(names):
            raise ValueError(f"broker names must be unique: {names!r}")
        self.transport = transport
        self.context = context if context is not None else zmq.Context.instance()
        self._ipc = IpcDirectory() if transport == "ipc" else None
        self.brokers = {
            name: PeeringBroker(
                name,
                localfe=self._endpoint("localfe"),
                localbe=self._endpoint("localbe"),
                cloudfe=self._endpoint("cloudfe"),
                statebe=self._endpoint("statebe"),
                monitor=self._endpoint("monitor"),
                context=self.context,
                state_interval_s=state_interval_s,
                peer_timeout_s=peer_timeout_s,
            )
            for name in names
        }
        self._worker_counts = dict(workers or {})
        self._handler = handler
        self.workers: list[Worker] = []

    def _endpoint(self, role: str) -> str:
        if self._ipc is not None:
            return self._ipc.endpoint(role)
        if self.transport == "inproc":
            return inproc_endpoint(role)
        return ANY_TCP

    def __getitem__(self, name: bytes) -> PeeringBroker:
        return self.brokers[name]

    def __iter__(self) -> Iterator[PeeringBroker]:
        return iter(self.brokers.values())

    def start(self) -> Cluster:
        """Wire the brokers together, start them, then start their workers."""
        try:
            connect_all(list(self))
            for broker in self:
                broker.start()
            for name, count in self._worker_counts.items():
                for number in range(count):
                    self.add_worker(name, f"worker {name.decode('utf-8', 'replace')}{number}")
        except BaseException:
            self.stop()
            raise
        return self

    def add_worker(self, broker: bytes, label: str = "worker") -> Worker:
        """Start one more worker on ``broker``'s local backend."""
        endpoints = self.brokers[broker].endpoints
        assert endpoints is not None, "start the cluster first"
        worker = Worker(
            endpoints.localbe,
            self._handler,
            name=label,
            context=self.context,
            monitor=endpoints.monitor,
        )
        self.workers.append(worker)
        return worker.start()

    def stop(self) -> None:
        """Stop workers, then brokers, each with a deadline; raise the first failure after all."""
        failures: list[BaseException] = []
        services: list[Service] = [*self.workers, *self.brokers.values()]
        for service in services:
            try:
                service.stop()
            except Exception as error:
                failures.append(error)
        self.workers.clear()
        if self._ipc is not None:
            self._ipc.remove()
        if failures:
            raise failures[0]

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def settled(self) -> bool:
        """Whether every broker believes every other alive, with the capacity it really has."""
        brokers = list(self)
        return all(
            broker.view.peers.get(other.name_bytes) == other.view.local
            for broker in brokers
            for other in brokers
            if other is not broker
        )

    def wait_until_settled(self, timeout_s: float) -> None:
        """Wait until :meth:`settled`; TimeoutError if the state flow does not get there.

        A capacity may change while we wait on another broker (a worker that
        was starting says READY): then every broker is waited on again.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            for broker in self:
                others = [other for other in self if other is not broker]
                broker.wait_until(
                    lambda view, others=others: all(
                        view.peers.get(other.name_bytes) == other.view.local for other in others
                    ),
                    max(0.0, deadline - time.monotonic()),
                )
            if self.settled():
                return
            if time.monotonic() >= deadline:
                raise TimeoutError("the cluster's capacities kept changing")


# -- one broker per process ----------------------------------------------------


def _parse_peer(text: str) -> tuple[bytes, str, str]:
    name, _, endpoints = text.partition("=")
    cloudfe, _, statebe = endpoints.partition(",")
    if not name or not cloudfe or not statebe:
        raise argparse.ArgumentTypeError(f"expected NAME=CLOUDFE,STATEBE, not {text!r}")
    return name.encode(), cloudfe, statebe


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference.peering_cluster",
        description="Run one peering broker (and its local workers) in this process.",
    )
    parser.add_argument("name", help="the broker's name, unique in the cluster")
    for role in ("localfe", "localbe", "cloudfe", "statebe", "monitor"):
        parser.add_argument(f"--{role}", default=ANY_TCP, metavar="ENDPOINT")
    parser.add_argument("--peer", type=_parse_peer, action="append", default=[])
    parser.add_argument("--peers-on-stdin", action="store_true")
    parser.add_argument("--workers", type=int, default=0, help="local echo workers to run")
    parser.add_argument("--state-interval", type=float, default=STATE_INTERVAL_S)
    parser.add_argument("--peer-timeout", type=float, default=PEER_TIMEOUT_S)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.workers < 0 or args.state_interval <= 0 or args.peer_timeout <= 0:
        parser.error("--workers must not be negative, intervals must be positive")
    if not args.name:
        parser.error("the name must not be empty")
    if not isinstance(logging.getLevelName(args.log_level.upper()), int):
        parser.error(f"--log-level: no level {args.log_level!r}")
    return args


def _read_peers(stdin: TextIO) -> Iterator[tuple[bytes, str, str]]:
    """``peer NAME CLOUDFE STATEBE`` lines up to ``start``; ValueError on anything else."""
    for line in stdin:
        words = line.split()
        if words == ["start"]:
            return
        if len(words) != 4 or words[0] != "peer":
            raise ValueError(f"expected 'peer NAME CLOUDFE STATEBE' or 'start', not {line!r}")
        yield words[1].encode(), words[2], words[3]
    raise ValueError("stdin closed before 'start'")


def main(argv: Sequence[str] | None = None, stdin: TextIO = sys.stdin) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(message)s")
    broker = PeeringBroker(
        args.name.encode(),
        localfe=args.localfe,
        localbe=args.localbe,
        cloudfe=args.cloudfe,
        statebe=args.statebe,
        monitor=args.monitor,
        state_interval_s=args.state_interval,
        peer_timeout_s=args.peer_timeout,
    )
    workers: list[Worker] = []
    try:
        broker.bind()
        endpoints = broker.endpoints
        assert endpoints is not None
        print(json.dumps({"name": args.name, **endpoints.__dict__}), flush=True)
        peers = list(args.peer)
        if args.peers_on_stdin:
            peers += _read_peers(stdin)
        for name, cloudfe, statebe in peers:
            broker.connect_peer(name, cloudfe, statebe)
        broker.start()
        for number in range(args.workers):
            worker = Worker(endpoints.localbe, name=f"worker {args.name}{number}")
            workers.append(worker.start())
        _serve_until_told(stdin if args.peers_on_stdin else None)
    except (zmq.ZMQError, ValueError) as error:
        print(f"peering_cluster: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        for service in (*workers, broker):
            service.stop()
    return 0


def _serve_until_told(stdin: TextIO | None) -> None:
    """Return when stdin closes (if given), or on SIGINT or SIGTERM."""
    stop = threading.Event()

    def on_signal(number: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if stdin is not None:
        reader = threading.Thread(target=lambda: (stdin.read(), stop.set()), daemon=True)
        reader.start()
    while not stop.wait(1.0):  # wakes now and then, so signals are handled promptly
        pass


if __name__ == "__main__":
    sys.exit(main())
