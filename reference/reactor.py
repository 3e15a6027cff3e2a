"""A reactor: one thread waits on sockets and timers, and calls a handler for each.

Every broker in the chapter is the same loop: poll some sockets, handle what is
readable, do something on a timer, repeat.  The loop is written once here
(CZMQ calls it ``zloop``) so that each pattern shows only its handlers.

Three things the hand-written loops in the guide get wrong are handled here:

- **Stopping.**  :meth:`Reactor.stop` may be called from any thread and wakes
  the poll at once, through a socket pair the reactor also polls; nobody has
  to wait for a timeout to notice a stop flag.
- **Bounded waits.**  The poll never waits longer than ``max_wait_s``, even
  with no timers, so a reactor can never hang for good.
- **A failing handler** is logged and the loop goes on: one bad message must
  not take a broker down.

Handlers should drain their socket without blocking (``zmq.NOBLOCK`` in a loop,
with a cap so that one busy socket cannot starve the others): a poll per
message costs more than the message.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import math
import socket as stdsocket
import time
from collections.abc import Callable
from typing import Union

import zmq

log = logging.getLogger(__name__)

POLLIN = int(zmq.POLLIN)  # plain ints: pyzmq's enum operators cost more than the test
POLLOUT = int(zmq.POLLOUT)

Handler = Callable[[], None]
Pollable = Union[zmq.Socket, int]


class Timer:
    """A callback due at ``when`` (``time.monotonic()``), repeated every ``interval`` if set."""

    __slots__ = ("callback", "cancelled", "interval", "when")

    def __init__(self, when: float, interval: float | None, callback: Handler) -> None:
        self.when = when
        self.interval = interval
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Never run this timer again."""
        self.cancelled = True


class Reactor:
    """Polls registered sockets and runs their handlers, and runs timers when due.

    A reactor belongs to the thread that calls :meth:`run`; only :meth:`stop` may
    be called from another thread.  It runs once: after :meth:`run` returns,
    :meth:`close` it.
    """

    def __init__(self, max_wait_s: float = 1.0) -> None:
        self.max_wait_s = max_wait_s
        self._poller = zmq.Poller()
        self._readers: dict[Pollable, Handler] = {}
        self._writers: dict[Pollable, Handler] = {}
        self._paused: set[Pollable] = set()
        self._timers: list[tuple[float, int, Timer]] = []
        self._serial = itertools.count()
        self._stopping = False
        self.after_round: Handler | None = None
        """Called after each round of handlers and timers (e.g. to notify waiters)."""
        self._wake_receiver, self._wake_sender = stdsocket.socketpair()
        self._wake_receiver.setblocking(False)
        self._wake_sender.setblocking(False)
        self.add_reader(self._wake_receiver.fileno(), self._drain_wakeups)

    # -- registration ---------------------------------------------------------

    def add_reader(self, source: Pollable, handler: Handler) -> None:
        """Call ``handler()`` whenever ``source`` (a socket or a file descriptor) is readable."""
        self._readers[source] = handler
        self._paused.discard(source)
        self._update(source)

    def remove_reader(self, source: Pollable) -> None:
        """Stop watching ``source`` for input."""
        if self._readers.pop(source, None) is not None:
            self._paused.discard(source)
            self._update(source)

    def add_writer(self, source: Pollable, handler: Handler) -> None:
        """Call ``handler()`` whenever ``source`` can take a message (until :meth:`remove_writer`).

        For a socket that is sometimes full: watch it only while something
        is waiting to be sent, or the reactor will spin.
        """
        if self._writers.get(source) != handler:  # bound methods are equal, never identical
            self._writers[source] = handler
            self._update(source)

    def remove_writer(self, source: Pollable) -> None:
        """Stop watching ``source`` for room to send."""
        if self._writers.pop(source, None) is not None:
            self._update(source)

    def pause(self, source: Pollable) -> None:
        """Stop reading ``source`` until :meth:`resume`, keeping its handler.

        A broker pauses its frontend while no worker is ready, so that requests
        wait in the socket's queue instead of in the broker's memory.
        """
        if source in self._readers and source not in self._paused:
            self._paused.add(source)
            self._update(source)

    def resume(self, source: Pollable) -> None:
        """Read ``source`` again after :meth:`pause`."""
        if source in self._paused:
            self._paused.discard(source)
            self._update(source)

    def is_paused(self, source: Pollable) -> bool:
        return source in self._paused

    def _update(self, source: Pollable) -> None:
        events = 0
        if source in self._readers and source not in self._paused:
            events |= POLLIN
        if source in self._writers:
            events |= POLLOUT
        if events:
            self._poller.register(source, events)  # registering again just updates
        elif source in self._poller:
            self._poller.unregister(source)

    def call_later(self, delay_s: float, callback: Handler) -> Timer:
        """Run ``callback()`` once, ``delay_s`` seconds from now."""
        return self._schedule(Timer(time.monotonic() + delay_s, None, callback))

    def call_every(self, interval_s: float, callback: Handler) -> Timer:
        """Run ``callback()`` every ``interval_s`` seconds, first one interval from now."""
        if interval_s <= 0:
            raise ValueError("interval must be positive")
        return self._schedule(Timer(time.monotonic() + interval_s, interval_s, callback))

    def _schedule(self, timer: Timer) -> Timer:
        heapq.heappush(self._timers, (timer.when, next(self._serial), timer))
        return timer

    # -- running --------------------------------------------------------------

    def run(self) -> None:
        """Poll and dispatch until :meth:`stop` is called."""
        poll = self._poller.poll
        readers, writers = self._readers, self._writers
        max_wait_ms = math.ceil(self.max_wait_s * 1000)
        while not self._stopping:
            wait_ms = self._wait_ms() if self._timers else max_wait_ms
            for source, events in poll(wait_ms):
                # A handler may remove another source's handler: look each one up as it comes.
                try:
                    if events & POLLIN and (handler := readers.get(source)) is not None:
                        handler()
                    if events & POLLOUT and (handler := writers.get(source)) is not None:
                        handler()
                except Exception:
                    log.exception("handler for %r failed; going on", source)
            if self._timers:
                self._run_due_timers()
            if self.after_round is not None:
                self.after_round()

    def stop(self) -> None:
        """Make :meth:`run` return soon. Safe to call from any thread, any number of times."""
        self._stopping = True
        self.wake()

    def wake(self) -> None:
        """Make the poll return now, for a round with nothing to handle (from any thread)."""
        # OSError: the buffer is full (a wake-up is pending anyway) or we are closed.
        with contextlib.suppress(OSError):
            self._wake_sender.send(b"\0")

    @property
    def stopping(self) -> bool:
        return self._stopping

    def close(self) -> None:
        """Release the wake-up socket pair. Sockets registered here belong to their owner."""
        self._wake_receiver.close()
        self._wake_sender.close()

    # -- internals ------------------------------------------------------------

    def _wait_ms(self) -> int:
        wait_s = self.max_wait_s
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        if timers:
            wait_s = min(wait_s, max(0.0, timers[0][0] - time.monotonic()))
        return math.ceil(wait_s * 1000)

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, timer = heapq.heappop(timers)
            if timer.cancelled:
                continue
            if timer.interval is not None:
                # Skip missed beats rather than running them back to back.
                timer.when += timer.interval
                if timer.when <= now:
                    timer.when = now + timer.interval
                self._schedule(timer)
            try:
                timer.callback()
            except Exception:
                log.exception("timer %r failed; going on", timer.callback)

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_receiver.recv(4096):
                pass
        except OSError:  # BlockingIOError: drained
            pass
