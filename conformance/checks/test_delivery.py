"""Messages cross every valid pairing intact, in their envelopes, in order."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness.exchange import Exchange, first_speakers, open_pair
from conformance.harness.strategies import SHORT_FRAME_LIMIT, NoiseBytes, messages

END_NAMES = ("connector", "binder")


def draw_first_speaker(data, case) -> int:
    ends = first_speakers((case.pairing.connects, case.pairing.binds))
    name = data.draw(st.sampled_from([END_NAMES[end] for end in ends]), label="first speaker")
    return END_NAMES.index(name)


@pytest.mark.zmq_family("delivery")
@given(data=st.data(), body=messages, answer=messages)
def test_message_and_answer_arrive_intact(network, case, data, body, answer):
    first = draw_first_speaker(data, case)
    with open_pair(network, case) as pair:
        exchange = Exchange(pair)
        exchange.transfer(first, body)
        exchange.transfer(1 - first, answer)


@pytest.mark.zmq_family("empty-message")
def test_single_empty_frame_is_a_message(network, case):
    for first in first_speakers((case.pairing.connects, case.pairing.binds)):
        with open_pair(network, case) as pair:
            exchange = Exchange(pair)
            exchange.transfer(first, [b""])
            exchange.transfer(1 - first, [b""])


@pytest.mark.zmq_family("fifo")
@given(data=st.data(), bodies=st.lists(messages, min_size=2, max_size=8))
def test_sequence_arrives_in_order_both_ways(network, case, data, bodies):
    first = draw_first_speaker(data, case)
    with open_pair(network, case) as pair:
        exchange = Exchange(pair)
        for body in bodies:
            exchange.send(first, body)
        for body in bodies:  # a REP must answer each before it may receive the next
            exchange.receive(1 - first, body)
            exchange.send(1 - first, body)
        for body in bodies:
            exchange.receive(first, body)


FRAME_SIZES = (0, 1, 254, 255, 256, 257, 8191, 8192, 8193, 65535, 65536, 65537)
"""ZMTP's short/long boundary, and the sizes of common read buffers, either side."""


@pytest.mark.zmq_family("frame-sizes")
def test_every_frame_size_arrives_whole(network, case):
    """Deterministic, so that the boundaries are tried in every run, not when a draw hits them.

    The strategies reach every size class too (:mod:`conformance.harness.strategies`);
    this family is where a boundary bug gets its own verdict.
    """
    message = [NoiseBytes(seed=size, size=size) for size in FRAME_SIZES]
    last_short = NoiseBytes(seed=1, size=SHORT_FRAME_LIMIT)
    first_long = NoiseBytes(seed=2, size=SHORT_FRAME_LIMIT + 1)
    first = first_speakers((case.pairing.connects, case.pairing.binds))[0]
    with open_pair(network, case) as pair:
        exchange = Exchange(pair)
        exchange.transfer(first, message)
        exchange.transfer(1 - first, message[::-1])
        for frame in (last_short, first_long):
            exchange.transfer(first, [frame])
            exchange.transfer(1 - first, [frame])
