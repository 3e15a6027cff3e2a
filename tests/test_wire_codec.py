"""The raw ZMTP peer's codec and socket: the bytes of RFC 23/37, read back as they were written."""

from __future__ import annotations

import socket
import struct
import time

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from conformance.harness.trace import Trace
from conformance.results.steps import WIRE, describe_step, unreplayable
from conformance.wire import codec, zmtp20
from conformance.wire.codec import Command, Frame, Greeting
from conformance.wire.peer import WireClosed, WireListener, WirePeer, WireTimeout

# The worked example of RFC 23 ("Worked Example"), octet by octet: a DEALER's READY
# with an empty Identity, 41 octets of body.
RFC_DEALER_READY = (
    b"\x04\x29"
    b"\x05READY"
    b"\x0bSocket-Type" + b"\x00\x00\x00\x06DEALER"
    b"\x08Identity" + b"\x00\x00\x00\x00"
)

names = st.binary(min_size=1, max_size=255)
properties = st.lists(st.tuples(names, st.binary(max_size=300)), max_size=4)


def test_the_null_greeting_is_the_rfc_one():
    data = Greeting(minor=0).encode()
    assert len(data) == 64
    assert data[:10] == b"\xff" + bytes(8) + b"\x7f"
    assert data[10:12] == b"\x03\x00"
    assert data[12:32] == b"NULL" + bytes(16)
    assert data[32:] == bytes(32)  # as-server 0, then 31 octets of filler


@given(
    major=st.integers(0, 255),
    minor=st.integers(0, 255),
    mechanism=st.binary(min_size=20, max_size=20),
    padding=st.binary(min_size=8, max_size=8),
)
def test_greeting_round_trip(major, minor, mechanism, padding):
    greeting = Greeting(major=major, minor=minor, mechanism=mechanism, padding=padding)
    assert Greeting.decode(greeting.encode()) == greeting


def test_a_greeting_is_64_octets():
    with pytest.raises(codec.DecodeError):
        Greeting.decode(bytes(63))


def test_the_rfc_ready_example():
    command = codec.ready(b"DEALER", b"")
    assert command.frame().encode() == RFC_DEALER_READY
    frame, end = codec.split_frame(RFC_DEALER_READY)
    assert end == len(RFC_DEALER_READY)
    assert frame.command and not frame.more and not frame.long
    decoded = codec.decode_command(frame.body)
    assert decoded.name == codec.READY
    assert decoded.properties == [(b"Socket-Type", b"DEALER"), (b"Identity", b"")]


@pytest.mark.parametrize(("size", "long"), [(0, False), (255, False), (256, True), (70000, True)])
def test_short_and_long_frames_at_the_boundary(size, long):
    data = codec.message_frame(b"x" * size).encode()
    assert data[0] == (codec.LONG if long else 0)
    header = 9 if long else 2
    assert len(data) == header + size
    if long:
        assert struct.unpack(">Q", data[1:9])[0] == size
    assert codec.split_frame(data) == (Frame(data[0], b"x" * size), len(data))


@given(st.lists(st.binary(max_size=600), min_size=1, max_size=6))
def test_message_round_trip_with_more_flags(frames):
    data = codec.encode_message(frames)
    decoded, rest = codec.decode_frames(data)
    assert rest == b""
    assert [f.body for f in decoded] == frames
    assert [f.more for f in decoded] == [True] * (len(frames) - 1) + [False]
    assert not any(f.command for f in decoded)


@given(st.binary(max_size=600), st.integers(0, 600))
def test_an_incomplete_frame_waits(body, cut):
    data = codec.message_frame(body).encode()
    cut = min(cut, len(data) - 1)
    assert codec.split_frame(data[:cut]) is None
    frames, rest = codec.decode_frames(data[:cut])
    assert frames == []
    assert rest == data[:cut]


@given(properties)
def test_metadata_round_trip(props):
    assert codec.decode_metadata(codec.encode_metadata(props)) == props


@given(properties, st.integers(1, 8))
def test_metadata_that_overruns_is_refused(props, cut):
    data = codec.encode_metadata([*props, (b"Socket-Type", b"REQ")])
    with pytest.raises(codec.DecodeError):
        codec.decode_metadata(data[:-cut])


def test_lookup_ignores_the_case_of_names():
    props = [(b"socket-TYPE", b"REQ"), (b"X-Other", b"1")]
    assert codec.lookup(props, codec.SOCKET_TYPE) == [b"REQ"]
    assert codec.lookup(props, codec.IDENTITY) == []


def test_a_command_with_an_empty_name_is_not_a_command():
    with pytest.raises(codec.DecodeError):
        codec.decode_command(b"\x00READY")
    with pytest.raises(codec.DecodeError):
        codec.decode_command(b"\x09READY")


def test_a_frame_may_lie_about_its_size():
    frame = codec.message_frame(b"x" * 300)
    data = frame.encode(size=255)
    assert struct.unpack(">Q", data[1:9])[0] == 255
    assert len(data) == 9 + 300


def test_descriptions_are_short():
    assert Greeting().describe() == "greeting 3.1 'NULL' as-server=0"
    assert codec.ready(b"REQ", b"A").describe() == "READY Socket-Type=b'REQ', Identity=b'A'"
    assert codec.describe(codec.encode_message([b"", b"x" * 300])) == (
        "frame+more b''; long frame <300 bytes>"
    )
    assert Command(b"PING", b"\x00\x01").describe() == "PING b'\\x00\\x01'"


# -- the peer, against libzmq -------------------------------------------------------------


@pytest.fixture
def context():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_a_raw_dealer_talks_to_a_libzmq_router(context, transport, tmp_path):
    router = context.socket(zmq.ROUTER)
    address = "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{tmp_path}/r"
    router.bind(address)
    trace = Trace()
    with WirePeer.connect(router.last_endpoint.decode(), trace) as peer:
        handshake = peer.handshake("DEALER", identity=b"raw")
        assert handshake.greeting.mechanism == codec.NULL
        assert handshake.command.properties[0] == (b"Socket-Type", b"ROUTER")
        peer.send_message([b"", b"hello"])
        assert router.recv_multipart() == [b"raw", b"", b"hello"]
        router.send_multipart([b"raw", b"", b"x" * 256])
        assert [f.body for f in peer.read_message()] == [b"", b"x" * 256]
    steps = trace.steps
    assert {s["side"] for s in steps} == {WIRE}
    assert "READY Socket-Type=b'ROUTER'" in describe_step(steps[4])
    assert unreplayable(steps) == (
        "a raw ZMTP peer of the suite wrote and read octets, which replay cannot do"
    )


def test_libzmq_connects_to_a_raw_listener(context):
    with WireListener("tcp://127.0.0.1:*") as listener:
        req = context.socket(zmq.REQ)
        req.connect(listener.endpoint)
        req.send(b"ping")
        with listener.accept() as peer:
            assert peer.handshake("REP").command.properties[0] == (b"Socket-Type", b"REQ")
            assert [(f.flags, f.body) for f in peer.read_message()] == [(1, b""), (0, b"ping")]


def test_every_read_is_bounded():
    server = socket.create_server(("127.0.0.1", 0))
    try:
        port = server.getsockname()[1]
        with WirePeer.connect(f"tcp://127.0.0.1:{port}") as peer:
            accepted, _ = server.accept()
            start = time.monotonic()
            with pytest.raises(WireTimeout):
                peer.read_greeting(timeout_ms=50)
            with pytest.raises(WireTimeout):
                peer.wait_closed(timeout_ms=50)
            assert time.monotonic() - start < 1
            accepted.sendall(b"\xff" + bytes(8))
            accepted.close()
            with pytest.raises(WireClosed):
                peer.read_greeting(timeout_ms=1000)
    finally:
        server.close()


def test_an_accept_is_bounded():
    with WireListener("tcp://127.0.0.1:*") as listener, pytest.raises(WireTimeout):
        listener.accept(timeout_ms=50)


# -- ZMTP 2.0 -------------------------------------------------------------------------


def test_a_zmtp20_greeting_is_written_as_rfc15_has_it_and_read_back():
    greeting = zmtp20.LegacyGreeting(zmtp20.SOCKET_TYPES["DEALER"], b"me")
    octets = greeting.encode()
    assert octets[0] == 0xFF and octets[9] == 0x7F and octets[10:12] == b"\x01\x05"
    assert octets[12:] == b"\x00\x02me"  # the identity, one final short frame
    assert zmtp20.LegacyGreeting.parse(octets + b"\x00\x01x") == (greeting, len(octets))


def test_libzmqs_answer_to_a_zmtp20_peer_is_read_with_its_own_revision():
    """libzmq 4.3.5's octets, as sent to a ZMTP 2.0 peer: its revision is the 3 it sent first."""
    octets = b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x06\x00\x00"
    parsed = zmtp20.LegacyGreeting.parse(octets)
    assert parsed == (zmtp20.LegacyGreeting(6, b"", revision=3), len(octets))
    for cut in range(len(octets)):
        assert zmtp20.LegacyGreeting.parse(octets[:cut]) is None, cut


def test_what_cannot_be_a_zmtp20_greeting_is_a_decode_error():
    with pytest.raises(codec.DecodeError):
        zmtp20.LegacyGreeting.parse(b"\x00" * 14)
    with pytest.raises(codec.DecodeError):
        zmtp20.LegacyGreeting.parse(b"\xff" + bytes(8) + b"\x7f\x01\x05\x01\x00")  # MORE set
