"""reference.workerqueue: least recently used first, credits, and workers that go."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from reference.workerqueue import WorkerQueue


class MostRecentlyUsed(WorkerQueue):
    """The guide's lbbroker2 bug: the worker that became ready last goes first."""

    def take(self) -> bytes:
        self._ready.rotate(1)
        return super().take()


def order_of_service(queue: WorkerQueue) -> list[bytes]:
    """Workers a, b, c get ready in turn; c answers first, then a: who gets the next five?"""
    for worker in (b"a", b"b", b"c"):
        queue.ready(worker)
    given = [queue.take() for _ in range(3)]
    queue.done(b"c")
    queue.done(b"a")
    return [*given, queue.take(), queue.take()]


def test_the_worker_that_waited_longest_goes_first():
    assert order_of_service(WorkerQueue()) == [b"a", b"b", b"c", b"c", b"a"]


def test_the_order_check_catches_a_most_recently_used_queue():
    assert order_of_service(MostRecentlyUsed()) != order_of_service(WorkerQueue())


def test_credits_spread_a_burst_over_the_workers():
    queue = WorkerQueue()
    queue.ready(b"a", 3)
    queue.ready(b"b", 3)
    assert queue.capacity == 6
    assert [queue.take() for _ in range(6)] == [b"a", b"b"] * 3
    assert not queue
    assert queue.capacity == 0


def test_a_worker_never_holds_more_than_max_credits():
    queue = WorkerQueue(max_credits=4)
    assert queue.ready(b"a", 3) == 3
    queue.take()
    assert queue.ready(b"a", 5) == 1  # 2 unused + 1 in flight + 1 = 4
    assert queue.ready(b"a") == 0
    assert queue.capacity == 3


def test_a_reply_from_a_worker_that_owes_none_is_refused():
    queue = WorkerQueue()
    assert not queue.done(b"stranger")
    queue.ready(b"a")
    assert not queue.done(b"a")
    queue.take()
    assert queue.done(b"a")
    assert not queue.done(b"a")


def test_a_removed_worker_is_forgotten_but_its_late_replies_count():
    queue = WorkerQueue()
    queue.ready(b"a", 3)
    queue.take()
    queue.take()
    assert queue.remove(b"a") == 2
    assert b"a" not in queue
    assert (queue.capacity, bool(queue), queue.workers) == (0, False, 0)
    assert queue.done(b"a")
    assert queue.done(b"a")
    assert not queue.done(b"a")
    assert queue.capacity == 0  # a removed worker's replies give no credit back


def test_a_stalled_worker_gets_nothing_until_it_answers():
    queue = WorkerQueue()
    queue.ready(b"a", 3)
    queue.ready(b"b", 1)
    assert queue.take() == b"a"
    assert queue.take() == b"b"
    assert queue.take() == b"a"
    queue.stall(b"a")  # that last request could not be sent
    assert (queue.capacity, queue.in_flight(b"a")) == (0, 1)
    assert queue.done(b"a")
    assert queue.take() == b"a"


@settings(max_examples=50, stateful_step_count=30, deadline=None)
class WorkerQueueInvariants(RuleBasedStateMachine):
    """Any sequence of calls keeps capacity, ready workers and in-flight counts consistent."""

    names = st.sampled_from([b"a", b"b", b"c", b"d"])

    def __init__(self) -> None:
        super().__init__()
        self.queue = WorkerQueue(max_credits=5)
        self.owed: Counter[bytes] = Counter()  # what the queue should think is in flight

    @rule(worker=names, credits=st.integers(1, 7))
    def ready(self, worker, credits):
        before = self.queue.capacity
        accepted = self.queue.ready(worker, credits)
        assert 0 <= accepted <= credits
        assert self.queue.capacity == before + accepted

    @precondition(lambda self: bool(self.queue))
    @rule()
    def take(self):
        worker = self.queue.take()
        self.owed[worker] += 1

    @rule(worker=names)
    def done(self, worker):
        assert self.queue.done(worker) == (self.owed[worker] > 0)
        if self.owed[worker]:
            self.owed[worker] -= 1

    @rule(worker=names)
    def remove(self, worker):
        assert self.queue.remove(worker) == self.owed[worker]
        assert worker not in self.queue

    @invariant()
    def consistent(self):
        queue = self.queue
        ready = list(queue._ready)
        assert len(ready) == len(set(ready))
        assert set(ready) == {w for w, unused in queue._credits.items() if unused}
        assert queue.capacity == sum(queue._credits.values())
        assert bool(queue) == (queue.capacity > 0)
        for worker, unused in queue._credits.items():
            assert unused + queue.in_flight(worker) <= queue.max_credits
        for worker in (b"a", b"b", b"c", b"d"):
            assert queue.in_flight(worker) == self.owed[worker]


test_worker_queue_invariants = WorkerQueueInvariants.TestCase


@pytest.mark.parametrize("credits", [1, 3])
def test_take_on_an_empty_queue_raises(credits):
    queue = WorkerQueue()
    queue.ready(b"a", credits)
    for _ in range(credits):
        queue.take()
    with pytest.raises(IndexError):
        queue.take()
