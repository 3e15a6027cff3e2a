"""The broker the guide's ``lbbroker`` example is: the baseline the reference must beat.

Written the way the chapter writes it, on purpose: one message per poll from
each readable socket, ``recv_multipart``/``send_multipart`` with bytes copies,
the ready workers in a list popped from the front, the frontend registered
with the poller only while a worker is ready, and no checks.  The only
changes are the ones a benchmark needs to end: endpoints are parameters and
the poll has a timeout so that :func:`serve` notices ``stop``.
"""

from __future__ import annotations

import threading

import zmq

READY = b"READY"


def serve(frontend: zmq.Socket, backend: zmq.Socket, stop: threading.Event) -> None:
    """Balance requests from ``frontend`` over REQ workers on ``backend`` until ``stop``."""
    workers: list[bytes] = []
    poller = zmq.Poller()
    poller.register(backend, zmq.POLLIN)
    polling_frontend = False
    while not stop.is_set():
        sockets = dict(poller.poll(100))
        if backend in sockets:
            message = backend.recv_multipart()
            worker, _, client = message[:3]
            workers.append(worker)
            if not polling_frontend:
                poller.register(frontend, zmq.POLLIN)
                polling_frontend = True
            if client != READY and len(message) > 3:
                frontend.send_multipart([client, b"", *message[4:]])
        if frontend in sockets:
            client, _, *request = frontend.recv_multipart()
            worker = workers.pop(0)
            backend.send_multipart([worker, b"", client, b"", *request])
            if not workers:
                poller.unregister(frontend)
                polling_frontend = False
