"""A component that runs a reactor on its own thread, and stops cleanly.

Every pattern in this package (brokers, servers, workers) is a
:class:`Service`: it binds its sockets in :meth:`Service.start`, in the caller's
thread, so that the endpoints it really got (``tcp://127.0.0.1:*`` becomes a
port number) are known as soon as ``start()`` returns; then a thread runs the
reactor until :meth:`Service.stop`.  The sockets are closed by that thread,
the only one that used them, when the reactor returns.  ``stop()`` waits for
the thread with a deadline and raises if it is missed, so a hung component
cannot go unnoticed.

A service also counts what it dropped, by reason, in :attr:`Service.counters`:
a malformed message is logged and counted, never allowed to stop the loop.
The log is rate-limited per reason (the 1st, 2nd, 4th, 8th... drop), so a
peer that sends garbage in a loop cannot flood it; the counters stay exact.
"""

from __future__ import annotations

import collections
import errno
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import zmq

from reference.frames import send_frames
from reference.message import describe
from reference.reactor import Reactor
from reference.sockets import new_socket

STOP_TIMEOUT_S = 5.0

S = TypeVar("S", bound="Service")


class _Watch:
    """A condition a thread awaits in :meth:`Service.wait_for`."""

    __slots__ = ("error", "held", "predicate", "settled")

    def __init__(self, predicate: Callable[[], bool]) -> None:
        self.predicate = predicate
        self.held = False
        self.error: Exception | None = None
        self.settled = threading.Event()


class Service:
    """Base class: owns a reactor, a thread and the sockets made with :meth:`socket`.

    Subclasses override :meth:`setup` to make, bind and register their sockets.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.  A
    service runs once; make a new one to run again.
    """

    def __init__(self, name: str, context: zmq.Context | None = None) -> None:
        self.name = name
        self.context = context if context is not None else zmq.Context.instance()
        self.counters: collections.Counter[str] = collections.Counter()
        """Dropped messages (and other mishaps) by reason; exact, unlike the log."""
        self.reactor = Reactor()
        self.reactor.after_round = self._after_round
        self._watches: list[_Watch] = []
        self._watches_lock = threading.Lock()
        self._finished = False
        self._sockets: list[zmq.Socket] = []
        self._thread: threading.Thread | None = None
        self._set_up = False
        self._closed = False
        self.log = logging.getLogger(type(self).__module__)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- for subclasses -------------------------------------------------------

    def setup(self) -> None:
        """Make and bind sockets and register their handlers (runs in the caller's thread)."""

    def socket(self, kind: int, **options: Any) -> zmq.Socket:
        """A socket from :func:`reference.sockets.new_socket` that this service will close."""
        socket = new_socket(self.context, kind, **options)
        self._sockets.append(socket)
        return socket

    def close_socket(self, socket: zmq.Socket) -> None:
        """Close one of this service's sockets before the service ends (and forget it)."""
        self.reactor.remove_reader(socket)
        self.reactor.remove_writer(socket)
        self._sockets.remove(socket)
        socket.close(linger=0)

    def count(self, reason: str, detail: str = "", exc_info: bool = False) -> None:
        """Count an event by reason, log it (rate-limited), and carry on.

        ``exc_info`` adds the exception being handled, with its traceback.
        """
        counters = self.counters
        counters[reason] += 1
        count = counters[reason]
        if count & (count - 1) == 0:  # the 1st, 2nd, 4th, 8th... time
            self.log.warning(
                "%s: %s (%d so far)%s", self.name, reason, count, detail, exc_info=exc_info
            )

    def drop(self, reason: str, frames: Sequence[object] = ()) -> None:
        """Count and log (rate-limited) a message that is dropped, and carry on."""
        self.count(reason, f"; dropped {describe(frames)}")

    def send_or_drop(self, socket: zmq.Socket, frames: Sequence[Any], peer: str = "client") -> bool:
        """Send ``frames`` through a ROUTER_MANDATORY socket without blocking; True if sent.

        If the peer the first frame names has gone (EHOSTUNREACH) or does not
        read (EAGAIN: its queue is full), the message is dropped and counted
        as "<peer> gone" or "<peer> not reading"; any other error is raised.
        """
        try:
            send_frames(socket, frames)
            return True
        except zmq.ZMQError as error:
            if error.errno == errno.EHOSTUNREACH:
                self.drop(f"{peer} gone", frames)
            elif error.errno == errno.EAGAIN:
                self.drop(f"{peer} not reading", frames)
            else:
                raise
            return False

    # -- watching it from outside ---------------------------------------------

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float) -> None:
        """Wait until ``predicate()`` holds; raise TimeoutError if it does not in time.

        For tests and supervisors.  While the service runs, the predicate is
        evaluated on the service's own thread, between two rounds of its
        reactor, so it sees a consistent state and never one half-way through
        a handler (keep it to reading).  When the service is not running, or
        stops while it is awaited, the predicate is evaluated here, once.
        """
        watch = _Watch(predicate)
        with self._watches_lock:
            running = self._thread is not None and not self._finished
            if running:
                self._watches.append(watch)
        if running:
            self.reactor.wake()  # a round now, in case the condition already holds
            if not watch.settled.wait(timeout_s):
                with self._watches_lock:
                    if watch in self._watches:
                        self._watches.remove(watch)
                raise TimeoutError(f"{self!r}: the condition did not hold within {timeout_s} s")
            if watch.error is not None:
                raise watch.error
            if watch.held:
                return
        if not predicate():
            raise TimeoutError(f"{self!r} is not running, and the condition does not hold")

    def _after_round(self) -> None:
        if not self._watches:
            return
        with self._watches_lock:
            for watch in list(self._watches):
                try:
                    watch.held = bool(watch.predicate())
                except Exception as error:
                    watch.error = error
                if watch.held or watch.error is not None:
                    self._watches.remove(watch)
                    watch.settled.set()

    # -- life cycle -----------------------------------------------------------

    def bind(self: S) -> S:
        """Run :meth:`setup` once, so that the endpoints are known before :meth:`start`."""
        if self._closed:
            raise RuntimeError(f"{self!r} is closed; make a new one")
        if not self._set_up:
            self._set_up = True
            try:
                self.setup()
            except BaseException:
                self._close()
                raise
        return self

    def start(self: S) -> S:
        """Bind (if not done yet) and start the reactor thread."""
        if self._thread is not None:
            raise RuntimeError(f"{self!r} was already started")
        self.bind()
        self._thread = threading.Thread(target=self._run, name=repr(self), daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the reactor and wait for the thread; raise TimeoutError if it does not end.

        Safe to call more than once, before :meth:`start` (it then just closes
        what :meth:`setup` made) and from a handler (it then does not wait).
        """
        thread = self._thread
        if thread is None:
            self._close()
            return
        self.reactor.stop()
        if thread is threading.current_thread():
            return
        thread.join(timeout_s)
        if thread.is_alive():
            raise TimeoutError(f"{self!r} did not stop within {timeout_s} s")

    @property
    def running(self) -> bool:
        """Whether the reactor thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def closed(self) -> bool:
        """Whether every socket this service made is closed (it has stopped for good)."""
        return self._closed

    @property
    def sockets(self) -> tuple[zmq.Socket, ...]:
        """The sockets this service made and has not closed yet."""
        return tuple(self._sockets)

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------

    def _run(self) -> None:
        self.log.debug("%s running", self.name)
        try:
            self.reactor.run()
        except Exception:
            self.log.exception("%s failed", self.name)
        finally:
            self._close()
            self.log.debug("%s stopped", self.name)
            with self._watches_lock:
                self._finished = True
                for watch in self._watches:
                    watch.settled.set()  # not held: the waiter checks once more itself
                self._watches.clear()

    def _close(self) -> None:
        if self._closed:
            return
        for socket in self._sockets:
            socket.close(linger=0)
        self._sockets.clear()
        self.reactor.close()
        self._closed = True
