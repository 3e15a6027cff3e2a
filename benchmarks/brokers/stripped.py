"""The floor: the reference broker's wire protocol with everything else taken out.

Not a broker to use.  It exists to answer one question the table raises:
how fast can a load-balancing broker written in Python over pyzmq go on this
machine, whatever it gives up?  It speaks the reference broker's worker
protocol (``[wid, '', READY, credits]``, requests wrapped in
``[wid, '']``), keeps a least-recently-used queue of workers with credits,
and does nothing else: no check of any message (a malformed one raises and
ends the loop), no logging, no counters, no ROUTER_MANDATORY, no reactor,
no timers; frames are received and sent with the reference broker's own
helpers (:mod:`reference.frames`, the cheapest pyzmq calls there are), in one
function with everything else in local variables.

Whatever the reference broker costs beyond this is the price of being
correct and readable; whatever this costs beyond ``zmq.proxy`` is the price
of Python and pyzmq.  ``python -m benchmarks.brokers --floor`` adds its rows.
"""

from __future__ import annotations

import threading
from collections import deque

import zmq

from reference.envelope import DELIMITER
from reference.frames import recv_frames, send_frames
from reference.lbbroker import READY


def serve(frontend: zmq.Socket, backend: zmq.Socket, stop: threading.Event) -> None:
    """Balance requests from ``frontend`` over the workers on ``backend`` until ``stop``."""
    ready: deque[bytes] = deque()  # workers with credits, least recently used first
    credits: dict[bytes, int] = {}
    poller = zmq.Poller()
    poller.register(backend, zmq.POLLIN)
    polling_frontend = False
    while not stop.is_set():
        for socket, _ in poller.poll(100):
            if socket is backend:
                while True:  # [wid, '', READY(, n)] or [wid, '', client, '', *reply]
                    try:
                        frames = recv_frames(backend)
                    except zmq.Again:
                        break
                    worker = frames[0].bytes
                    is_ready = len(frames) <= 4 and frames[2].bytes == READY
                    given = (int(frames[3].bytes) if len(frames) == 4 else 1) if is_ready else 1
                    held = credits.get(worker, 0)
                    credits[worker] = held + given
                    if not held:
                        ready.append(worker)
                    if not is_ready:
                        send_frames(frontend, frames[2:])
            else:
                while ready:  # [client, '', *request]
                    try:
                        frames = recv_frames(frontend)
                    except zmq.Again:
                        break
                    worker = ready[0]
                    left = credits[worker] - 1
                    credits[worker] = left
                    if left:
                        ready.rotate(-1)
                    else:
                        ready.popleft()
                    send_frames(backend, frames, (worker, DELIMITER))
        if ready and not polling_frontend:
            poller.register(frontend, zmq.POLLIN)
            polling_frontend = True
        elif not ready and polling_frontend:
            poller.unregister(frontend)
            polling_frontend = False
