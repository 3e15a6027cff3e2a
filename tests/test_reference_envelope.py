"""reference.envelope, reference.message and reference.frames: the pieces under every broker."""

from __future__ import annotations

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness.strategies import messages
from reference import envelope
from reference.envelope import DELIMITER, MalformedEnvelope
from reference.frames import Limits, drain, recv_frames, send_frames
from reference.lbbroker import READY, parse_ready
from reference.message import Message, describe
from reference.sockets import inproc_endpoint, new_socket

addresses = st.lists(st.binary(min_size=1, max_size=8), max_size=4)
"""Reply addresses: never empty, or they would be the delimiter."""


@given(addresses=addresses, body=st.lists(st.binary(max_size=8), max_size=4))
def test_split_is_the_inverse_of_join(addresses, body):
    frames = envelope.join(addresses, body)
    assert envelope.split(frames) == (addresses, body)


@given(frames=st.lists(st.binary(min_size=1, max_size=8), max_size=6))
def test_split_refuses_a_message_without_delimiter(frames):
    with pytest.raises(MalformedEnvelope):
        envelope.split(frames)


def test_split_cuts_at_the_first_empty_frame():
    assert envelope.split([b"a", b"", b"", b"x", b""]) == ([b"a"], [b"", b"x", b""])


@given(frames=messages, address=st.binary(min_size=1, max_size=8))
def test_wrap_and_unwrap_and_push_and_pop_undo_each_other(frames, address):
    original = list(frames)
    envelope.wrap(frames, address)
    assert frames[:2] == [address, DELIMITER]
    assert envelope.unwrap(frames) == address
    assert frames == original
    envelope.push(frames, address)
    assert envelope.pop(frames) == address
    assert frames == original


def test_unwrap_without_delimiter_takes_the_address_only():
    frames = [b"a", b"b"]
    assert envelope.unwrap(frames) == b"a"
    assert frames == [b"b"]


@pytest.mark.parametrize(
    ("frames", "start", "problem"),
    [
        ([b"c", b"", b"x"], 0, None),
        ([b"c1", b"c2", b"", b"x", b""], 0, None),
        ([b"w", b"", b"c", b"", b""], 2, None),
        ([b"c", b""], 0, "too few frames"),
        ([b"", b"", b"x"], 0, "empty address"),
        ([b"c", b"x", b"y"], 0, "no delimiter"),
        ([b"c", b"d", b""], 0, "empty body"),
        ([b"w", b"", b"c", b"x", b"y"], 2, "no delimiter"),
    ],
)
def test_routing_problem_names_what_is_wrong(frames, start, problem):
    assert envelope.routing_problem(frames, start) == problem


@pytest.mark.parametrize(
    ("frames", "credits"),
    [
        ([b"", READY], 1),
        ([b"", READY, b"8"], 8),
        ([b"", READY, b"256"], 256),
        ([b"", READY, b"257"], None),
        ([b"", READY, b"0"], None),
        ([b"", READY, b"-1"], None),
        ([b"", READY, b"\xd9\xa3"], None),  # an Arabic-Indic digit: str.isdigit would take it
        ([b"", READY, b"1" * 40], None),
        ([b"", b"READ"], None),
        ([READY], None),
        ([b"x", READY], None),
        ([b"", READY, b"1", b"1"], None),
    ],
)
def test_parse_ready_takes_only_a_well_formed_ready(frames, credits):
    assert parse_ready(frames, max_credits=256) == credits


def test_limits_name_the_violation():
    limits = Limits(max_frames=3, max_bytes=10)
    assert limits.violation([b"a", b"b", b"c"]) is None
    assert limits.violation([b""] * 4) == "too many frames"
    assert limits.violation([b"x" * 6, b"y" * 5]) == "oversized"


@given(frames=messages, address=st.binary(min_size=1, max_size=8))
def test_message_wraps_the_envelope_helpers(frames, address):
    message = Message(frames)
    message.wrap(address)
    assert message.split() == ([address], list(frames))
    assert message.unwrap() == address
    assert message == Message(frames)
    assert len(message) == len(frames)
    assert message.size == sum(map(len, frames))


def test_describe_is_short_whatever_the_message():
    text = describe([b"x" * 1000] * 100)
    assert len(text) < 400
    assert "92 more" in text
    assert "(1000B)" in text


@pytest.fixture
def pair():
    context = zmq.Context()
    endpoint = inproc_endpoint("pair")
    sender = new_socket(context, zmq.DEALER)
    receiver = new_socket(context, zmq.DEALER)
    receiver.bind(endpoint)
    sender.connect(endpoint)
    yield sender, receiver
    sender.close()
    receiver.close()
    context.term()


@given(frames=messages)
def test_frames_and_messages_cross_a_socket_whole(pair, frames):
    sender, receiver = pair
    send_frames(sender, frames)
    assert receiver.poll(1000)
    assert [frame.bytes for frame in recv_frames(receiver)] == frames
    Message(frames).send(sender)
    assert Message.recv(receiver, timeout_ms=1000) == Message(frames)


def test_message_recv_gives_none_when_nothing_comes(pair):
    assert Message.recv(pair[1], timeout_ms=1) is None
    assert Message.recv(pair[1]) is None


@pytest.mark.parametrize("waiting", [0, 1, 2, 5])
def test_drain_takes_what_waits_and_no_more_than_asked(pair, waiting):
    sender, receiver = pair
    for index in range(waiting):
        sender.send_multipart([b"", b"%d" % index])
    if waiting:
        assert receiver.poll(1000)
    taken = [[frame.bytes for frame in frames] for frames in drain(receiver, limit=3)]
    assert taken == [[b"", b"%d" % index] for index in range(min(waiting, 3))]
    rest = [[frame.bytes for frame in frames] for frames in drain(receiver, limit=10)]
    assert taken + rest == [[b"", b"%d" % index] for index in range(waiting)]
