"""The brokers measured, each run in a process of its own until told to stop.

Each one binds a ROUTER frontend for the clients and a backend for the
workers on free loopback tcp ports, sends the two endpoints back to the
parent, serves until the parent says stop, and shuts down.  Sockets keep
libzmq's defaults apart from LINGER 0, as the reference broker's do.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

import zmq

from benchmarks.brokers import naive, stripped
from reference.lbbroker import LoadBalancer

ANY_TCP = "tcp://127.0.0.1:*"


def _bound(context: zmq.Context, kind: int) -> zmq.Socket:
    socket = context.socket(kind)
    socket.linger = 0
    socket.bind(ANY_TCP)
    return socket


def _endpoints(frontend: zmq.Socket, backend: zmq.Socket) -> tuple[str, str]:
    return frontend.last_endpoint.decode(), backend.last_endpoint.decode()


def _wait_for_stop(control: Connection) -> None:
    # The parent sends "stop", or dies and closes the pipe: both end the wait.
    with contextlib.suppress(EOFError):
        control.recv()


def run_reference(control: Connection) -> None:
    """The reference load-balancing broker (``reference.lbbroker``)."""
    # When the clients stop, the replies still on their way find them gone and are
    # dropped: expected here, so only errors are worth printing.
    logging.getLogger("reference").setLevel(logging.ERROR)
    context = zmq.Context()
    with LoadBalancer(ANY_TCP, ANY_TCP, context=context) as broker:
        control.send((broker.frontend_endpoint, broker.backend_endpoint))
        _wait_for_stop(control)
    context.term()


def _run_serve(
    serve: Callable[[zmq.Socket, zmq.Socket, threading.Event], None], control: Connection
) -> None:
    context = zmq.Context()
    frontend, backend = _bound(context, zmq.ROUTER), _bound(context, zmq.ROUTER)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(frontend, backend, stop))
    thread.start()
    control.send(_endpoints(frontend, backend))
    _wait_for_stop(control)
    stop.set()
    thread.join(5)
    context.destroy(0)


def run_naive(control: Connection) -> None:
    """The guide-style broker (``benchmarks.brokers.naive``)."""
    _run_serve(naive.serve, control)


def run_stripped(control: Connection) -> None:
    """The floor: no checks at all (``benchmarks.brokers.stripped``)."""
    _run_serve(stripped.serve, control)


def run_proxy(control: Connection) -> None:
    """libzmq's own ROUTER/DEALER proxy: round robin, no checks, C speed."""
    context = zmq.Context()
    frontend, backend = _bound(context, zmq.ROUTER), _bound(context, zmq.DEALER)
    commands = context.socket(zmq.PAIR)
    commands.bind("inproc://proxy-control")
    listener = context.socket(zmq.PAIR)
    listener.connect("inproc://proxy-control")
    thread = threading.Thread(target=zmq.proxy_steerable, args=(frontend, backend, None, listener))
    thread.start()
    control.send(_endpoints(frontend, backend))
    _wait_for_stop(control)
    commands.send(b"TERMINATE")
    thread.join(5)
    context.destroy(0)


RUNNERS = {
    "reference": run_reference,
    "naive": run_naive,
    "proxy": run_proxy,
    "stripped": run_stripped,
}
