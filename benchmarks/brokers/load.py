"""The load: client and worker processes, the same for every broker measured.

Both are written to cost the broker's competitors as little CPU as possible,
so that what the table compares is the brokers: all clients live in one
process and all workers in another, each a single thread polling its sockets
and draining every readable one before polling again (with
:func:`reference.frames.drain`, which ends a drain at the cheapest system
call, and frames forwarded as received).  A worker echoes each
request as it came (envelope included), which is a correct reply for every
broker here.  A request carries its send time, so a client measures latency
from the reply alone, without a table of requests in flight.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import zmq

from reference.frames import drain, send_frames

READY = b"READY"
_STAMP = struct.Struct("<Q")
_MORE = zmq.SNDMORE


@dataclass(frozen=True)
class Load:
    """What the clients do: how many, which socket, how many requests each keeps in flight."""

    clients: int = 8
    workers: int = 4
    client_kind: str = "dealer"  # "req": one request at a time; "dealer": pipelined
    window: int = 16  # requests in flight per DEALER client
    size: int = 64  # bytes per request body
    credits: int = 32  # READY credits a credit-based DEALER worker announces
    warmup_s: float = 0.5
    measure_s: float = 2.0
    min_replies: int = 0  # measure on past measure_s until this many replies (up to 10 s more)


@dataclass(frozen=True)
class Sample:
    """What the clients measured: replies in the measurement window and their latencies."""

    replies: int
    seconds: float
    p50_us: float
    p99_us: float

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0


def _percentile(ordered: list[int], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1000.0


def run_clients(frontend: str, load: Load, results: Connection) -> None:
    """Send requests to ``frontend`` for warm-up plus measurement time; send a Sample back."""
    context = zmq.Context()
    kind = zmq.REQ if load.client_kind == "req" else zmq.DEALER
    in_flight = 1 if kind == zmq.REQ else load.window
    padding = b"x" * max(0, load.size - _STAMP.size)
    pack, unpack, now = _STAMP.pack, _STAMP.unpack_from, time.perf_counter_ns
    sockets = []
    poller = zmq.Poller()
    for _ in range(load.clients):
        socket = context.socket(kind)
        socket.linger = 0
        socket.sndhwm = socket.rcvhwm = 0
        socket.connect(frontend)
        poller.register(socket, zmq.POLLIN)
        sockets.append(socket)

    def send(socket: zmq.Socket) -> None:
        if kind == zmq.DEALER:
            socket.send(b"", _MORE)
        socket.send(pack(now()) + padding)

    latencies: list[int] = []
    record = latencies.append
    start = time.perf_counter_ns() + int(load.warmup_s * 1e9)
    end = start + int(load.measure_s * 1e9)
    last_chance = end + 10 * 10**9
    for socket in sockets:
        for _ in range(in_flight):
            send(socket)
    replies = 0
    measuring = False
    while (moment := now()) < end or (replies < load.min_replies and moment < last_chance):
        if not measuring and moment >= start:
            measuring = True
            results.send("measuring")
        for socket, _ in poller.poll(100):
            for frames in drain(socket, in_flight):
                received = now()
                sent = unpack(frames[-1].bytes)[0]
                if start <= received:
                    replies += 1
                    record(received - sent)
                send(socket)
    seconds = (now() - start) / 1e9
    results.send("done")
    for socket in sockets:
        socket.close(0)
    context.term()
    latencies.sort()
    results.send(
        Sample(replies, seconds, _percentile(latencies, 0.5), _percentile(latencies, 0.99))
    )


def run_workers(backend: str, kind: str, load: Load, control: Connection) -> None:
    """Echo requests from ``backend`` until ``control`` says stop.

    ``kind`` is ``req`` (a REQ worker that says READY once), ``credit`` (a
    DEALER worker that says READY with ``load.credits`` credits) or ``dealer``
    (a DEALER worker that says nothing: for ``zmq.proxy``'s round robin).
    """
    context = zmq.Context()
    poller = zmq.Poller()
    sockets = []
    for _ in range(load.workers):
        socket = context.socket(zmq.REQ if kind == "req" else zmq.DEALER)
        socket.linger = 0
        socket.sndhwm = socket.rcvhwm = 0
        socket.connect(backend)
        if kind == "req":
            socket.send(READY)
        elif kind == "credit":
            socket.send_multipart([b"", READY, str(load.credits).encode()])
        poller.register(socket, zmq.POLLIN)
        sockets.append(socket)
    poller.register(control.fileno(), zmq.POLLIN)
    control.send("ready")
    running = True
    while running:
        for socket, _ in poller.poll(1000):
            if not isinstance(socket, zmq.Socket):
                running = False
                continue
            for frames in drain(socket, 1 if kind == "req" else load.credits):
                send_frames(socket, frames)
    for socket in sockets:
        socket.close(0)
    context.term()
