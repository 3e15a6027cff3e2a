"""The ready-worker queue of a load-balancing broker: least recently used first.

A worker tells the broker it is ready by sending READY, optionally with a
number of *credits*: how many requests it accepts at once.  A REQ worker has
one credit (it cannot take a second request before it has replied); a DEALER
worker may announce several, so that its next request is already waiting in
its socket when it finishes the current one.  Each reply gives one credit back.

The queue hands out the worker that has waited longest (LRU).  The guide's
``lbbroker2`` pops from the wrong end of its list and so favours the worker
that became ready *last*, which starves the others; here that is a
``deque`` used strictly first-in first-out.  A worker with several credits
goes back to the *end* of the queue after each request it is given, so a
burst is spread over the workers instead of filling the first one.

The queue also remembers how many requests each worker has in flight, so a
reply from a worker that owes none (an unknown or confused peer) can be told
apart from a real one.  That count outlives :meth:`WorkerQueue.remove`: a
worker that is gone may still have replies on their way, and they are real.
"""

from __future__ import annotations

from collections import deque

Worker = bytes
"""A worker's routing id on the broker's backend ROUTER."""


class WorkerQueue:
    """Ready workers in least-recently-used order, with credits and in-flight counts."""

    def __init__(self, max_credits: int = 256) -> None:
        self.max_credits = max_credits
        self._ready: deque[Worker] = deque()
        self._credits: dict[Worker, int] = {}  # every known worker: its unused credits
        self._in_flight: dict[Worker, int] = {}  # requests given and not answered yet
        self._capacity = 0

    def __bool__(self) -> bool:
        """Whether some worker can take a request now."""
        return bool(self._ready)

    def __contains__(self, worker: object) -> bool:
        """Whether ``worker`` is known (ready or busy, and not removed)."""
        return worker in self._credits

    @property
    def capacity(self) -> int:
        """How many requests the workers can take now (the sum of their credits)."""
        return self._capacity

    @property
    def workers(self) -> int:
        """How many workers are known (ready or busy)."""
        return len(self._credits)

    def in_flight(self, worker: Worker) -> int:
        """How many requests ``worker`` has been given and not answered."""
        return self._in_flight.get(worker, 0)

    def ready(self, worker: Worker, credits: int = 1) -> int:
        """Register ``credits`` more credits for ``worker``; return how many were accepted.

        A worker never holds more than ``max_credits`` (unused plus in
        flight): a larger claim is cut down, so a broken worker cannot make
        the broker queue unboundedly.  0 means nothing was accepted.
        """
        unused = self._credits.get(worker, 0)
        held = unused + self._in_flight.get(worker, 0)
        accepted = max(0, min(credits, self.max_credits - held))
        self._credits[worker] = unused + accepted
        if accepted:
            if not unused:
                self._ready.append(worker)
            self._capacity += accepted
        return accepted

    def take(self) -> Worker:
        """The least recently used ready worker, which now has one request more in flight.

        Raises IndexError if no worker is ready.
        """
        worker = self._ready.popleft()
        left = self._credits[worker] - 1
        self._credits[worker] = left
        if left:
            self._ready.append(worker)
        self._capacity -= 1
        self._in_flight[worker] = self._in_flight.get(worker, 0) + 1
        return worker

    def done(self, worker: Worker) -> bool:
        """``worker`` answered a request: give its credit back. False if it owed none."""
        in_flight = self._in_flight.get(worker, 0)
        if not in_flight:
            return False
        if in_flight == 1 and worker not in self._credits:
            del self._in_flight[worker]  # the last reply of a removed worker
        else:
            self._in_flight[worker] = in_flight - 1
        credits = self._credits.get(worker)
        if credits is not None:
            if not credits:
                self._ready.append(worker)
            self._credits[worker] = credits + 1
            self._capacity += 1
        return True

    def stall(self, worker: Worker) -> None:
        """The request just taken for ``worker`` could not be sent (its queue is full).

        Undo that :meth:`take` and hold back the worker's unused credits, so
        it is given nothing more until it answers: each answer gives one back.
        """
        self._in_flight[worker] -= 1
        unused = self._credits[worker]
        if unused:
            self._ready.remove(worker)
            self._capacity -= unused
        self._credits[worker] = 0

    def remove(self, worker: Worker) -> int:
        """Forget ``worker`` (it has gone); return how many requests it still had.

        Replies it sent before it went are still accepted by :meth:`done`.
        """
        unused = self._credits.pop(worker, 0)
        if unused:
            self._ready.remove(worker)
            self._capacity -= unused
        in_flight = self._in_flight.get(worker, 0)
        if not in_flight:
            self._in_flight.pop(worker, None)
        return in_flight
