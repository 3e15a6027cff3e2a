"""ZMTP on the wire: the implementation's socket against our raw peer, octet by octet.

The raw peer (``conformance.wire``) reads what the implementation writes and
writes what RFC 23 and 37 say a peer may (or must not) write.  In a ``self``
run every check plays the implementation in both roles, dialling the raw
peer and dialled by it: a property test draws the role per example, a
plain test runs both.

Nothing here waits out a timeout when the implementation is correct: what it
sends is read as it arrives, and a refusal is observed positively, by the
end of the connection, before a well-formed peer is served.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.binding import Frames, Socket, Unsupported
from conformance.catalogue.vocabulary import IUT, IUT_BINDS, IUT_CONNECTS, Pairing
from conformance.harness.assertions import assert_message, receive
from conformance.harness.exchange import (
    POLL_SLICE_MS,
    application_frames,
    try_receive,
)
from conformance.harness.network import TIMEOUT_MS
from conformance.harness.strategies import NoiseBytes, rarely, short_messages
from conformance.harness.strategies import frames as any_frames
from conformance.wire import codec, zmtp20
from conformance.wire.codec import Command, Greeting
from conformance.wire.pair import WirePair, role_name, roles, wire_pair
from conformance.wire.peer import WireClosed, WireListener, WirePeer, WireTimeout

ZMTP_SOCKET_TYPES = (
    *(b"REQ", b"REP", b"DEALER", b"ROUTER", b"PUB", b"XPUB", b"SUB", b"XSUB"),
    *(b"PUSH", b"PULL", b"PAIR", b"CLIENT", b"SERVER", b"RADIO", b"DISH"),
    *(b"SCATTER", b"GATHER", b"PEER", b"CHANNEL"),
)
"""Every socket type RFC 37 names."""

ZMTP_COMMANDS = (b"READY", b"ERROR", b"SUBSCRIBE", b"CANCEL", b"PING", b"PONG", b"JOIN", b"LEAVE")
"""Every command name RFC 37 defines; the others are unknown to a NULL handshake."""


def draw_role(data, network):
    """One role per example: both are drawn in a ``self`` run."""
    names = {role_name(r): r for r in roles(network)}
    return names[data.draw(st.sampled_from(sorted(names)), label="role")]


# -- what the implementation sends --------------------------------------------------------


@pytest.mark.zmq_family("wire-greeting")
def test_greeting_is_null_zmtp3(network, case):
    for role in roles(network):
        with network.sockets(), wire_pair(network, case, role) as pair:
            greeting = pair.handshake().greeting
            where = f"{role_name(role)}: the {pair.iut.type}'s greeting"
            for field, observed, expected in (
                ("signature's first octet", greeting.signature_start, 0xFF),
                ("signature's last octet", greeting.signature_end, 0x7F),
                ("major version", greeting.major, 3),
                ("mechanism", greeting.mechanism, codec.NULL),
                ("as-server", greeting.as_server, 0),
                ("filler", greeting.filler, bytes(codec.FILLER_SIZE)),
            ):
                assert observed == expected, f"{where}: {field} is {observed!r}, not {expected!r}"


@pytest.mark.zmq_family("wire-ready")
def test_ready_announces_the_socket_type(network, case):
    for role in roles(network):
        with network.sockets(), wire_pair(network, case, role) as pair:
            handshake = pair.handshake()
            where = f"{role_name(role)}: the {pair.iut.type}'s first command"
            frame = handshake.frame
            assert frame.command, f"{where} is a message frame: {frame.describe()}"
            assert not frame.more, f"{where} has MORE set (flags {frame.flags:#04x})"
            assert not frame.flags & codec.RESERVED, f"{where} has reserved bits set"
            properties = handshake.properties
            types = codec.lookup(properties, codec.SOCKET_TYPE)
            assert types == [pair.iut.type.encode()], (
                f"{where} announces Socket-Type {types!r}, not [{pair.iut.type.encode()!r}]"
            )
            identities = codec.lookup(properties, codec.IDENTITY)
            assert all(i == b"" for i in identities), (
                f"{where} announces Identity {identities!r} with no ROUTING_ID set"
            )


routing_ids = st.builds(
    lambda first, rest: bytes([first]) + rest,
    st.integers(1, 255),
    st.binary(max_size=254),
)
"""1 to 255 octets, not led by 0x00 (reserved, RFC 37 "The Identity Property")."""


@pytest.mark.zmq_family("wire-identity")
@given(data=st.data(), routing_id=st.none() | routing_ids, body=short_messages)
def test_identity_property_carries_the_routing_id(network, case, data, routing_id, body):
    role = draw_role(data, network)
    with network.sockets():
        if role == IUT_CONNECTS:  # the implementation's REQ or DEALER, a raw ROUTER
            options = {"ROUTING_ID": routing_id} if routing_id is not None else {}
            with wire_pair(network, case, role, options) as pair:
                identities = codec.lookup(pair.handshake().properties, codec.IDENTITY)
                announced = identities == [routing_id] if routing_id else set(identities) <= {b""}
                assert announced, (
                    f"the {pair.iut.type} with ROUTING_ID {routing_id!r} announces "
                    f"Identity {identities!r}"
                )
                pair.iut_sends(body)
                pair.raw_receives(body)
            return
        with wire_pair(network, case, role) as pair:  # the implementation's ROUTER
            pair.handshake(identity=routing_id)
            pair.raw_sends(body)
            pair.iut_receives(body)
            if routing_id is not None:
                assert pair.route == routing_id, (
                    f"the ROUTER received the message under {pair.route!r}, not under the "
                    f"Identity {routing_id!r} the peer announced"
                )
            pair.iut_sends(body)
            pair.raw_receives(body)


boundary_frames = st.binary(min_size=254, max_size=257)
"""Around the largest short frame (255 octets) and the smallest long one (256)."""

wire_messages = st.lists(st.one_of(any_frames, boundary_frames), min_size=1, max_size=6)


@pytest.mark.zmq_family("wire-framing")
@given(data=st.data(), body=wire_messages)
def test_messages_are_framed(network, case, data, body):
    role = draw_role(data, network)
    with network.sockets(), wire_pair(network, case, role) as pair:
        pair.handshake()
        if not pair.iut_speaks_first:
            pair.raw_sends([b"request"])
            pair.iut_receives([b"request"])
        pair.iut_sends(body)
        frames = pair.raw_receives(body)
        last = len(frames) - 1
        for index, frame in enumerate(frames):
            where = f"frame {index} of {len(frames)} ({frame.describe()}, flags {frame.flags:#04x})"
            assert not frame.command, f"{where}: COMMAND set on a message frame"
            assert not frame.flags & codec.RESERVED, f"{where}: reserved bits set"
            assert frame.more == (index < last), f"{where}: MORE {'set' if frame.more else 'clear'}"
            if len(frame.body) > codec.MAX_SHORT:
                assert frame.long, f"{where}: a body of {len(frame.body)} octets in a short frame"


# -- what the implementation must accept -----------------------------------------------------

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+"
KNOWN_NAMES = {b"socket-type", b"identity"}


def any_case(name: bytes) -> st.SearchStrategy[bytes]:
    """``name`` with each letter in either case."""
    return st.tuples(*(st.sampled_from(sorted({c.lower(), c.upper()})) for c in name.decode())).map(
        lambda chars: "".join(chars).encode()
    )


unknown_properties = st.lists(
    st.tuples(
        st.text(NAME_CHARS, min_size=1, max_size=16)
        .map(str.encode)
        .filter(lambda n: n.lower() not in KNOWN_NAMES),
        st.binary(max_size=40),
    ),
    max_size=3,
)
peer_frames = rarely(st.sampled_from([b"", b"\x00"]), any_frames, one_in=3)
"""Mostly empty and 0x00 frames, as a peer writes them."""
peer_messages = st.lists(peer_frames, min_size=1, max_size=6)


@pytest.mark.zmq_family("wire-accept")
@given(
    data=st.data(),
    major=st.integers(3, 255),
    minor=st.integers(0, 255),
    body=peer_messages,
    answer=peer_messages,
)
def test_a_newer_peer_with_any_metadata_is_served(network, case, data, major, minor, body, answer):
    role = draw_role(data, network)
    with network.sockets(), wire_pair(network, case, role) as pair:
        name = data.draw(any_case(codec.SOCKET_TYPE), label="Socket-Type written as")
        extra = data.draw(unknown_properties, label="unknown properties")
        properties = [(name, pair.raw_type.encode()), *extra]
        ready = Command(codec.READY, codec.encode_metadata(properties))
        pair.raw.handshake(pair.raw_type, greeting=Greeting(major=major, minor=minor), ready=ready)
        pair.round_trip(body, answer)


@pytest.mark.zmq_family("wire-ping")
@given(
    data=st.data(),
    ttl=st.sampled_from([0, 600]),
    context=st.binary(max_size=16),
    body=peer_messages,
    answer=peer_messages,
)
def test_ping_is_answered_by_pong_with_its_context(network, case, data, ttl, context, body, answer):
    """A TTL of 0 or 60 s: one that asks the implementation to hang up no sooner than that."""
    role = draw_role(data, network)
    with network.sockets(), wire_pair(network, case, role) as pair:
        greeting = pair.handshake().greeting
        if (greeting.major, greeting.minor) < (3, 1):
            raise Unsupported(f"it greets with ZMTP {greeting.major}.{greeting.minor}")
        pair.raw.send_command(Command(codec.PING, ttl.to_bytes(2, "big") + context))
        pong = pair.raw.read_command()
        where = f"{role_name(role)}: the {pair.iut.type}'s answer to PING {context!r}"
        assert pong.name == codec.PONG, f"{where} is {pong.describe()}, not PONG"
        assert pong.data == context, f"{where} is PONG {pong.data!r}: not the PING's context"
        pair.round_trip(body, answer)


@pytest.mark.zmq_family("wire-property-case")
def test_identity_in_any_case_is_the_routing_id(network, case):
    for role in roles(network):
        for name in (b"identity", b"IDENTITY", b"iDENTITY"):
            routing_id = b"peer-" + name
            with network.sockets(), wire_pair(network, case, role) as pair:
                ready = Command(
                    codec.READY,
                    codec.encode_metadata([(codec.SOCKET_TYPE, b"ROUTER"), (name, routing_id)]),
                )
                pair.raw.handshake("ROUTER", ready=ready)
                pair.raw_sends([b"hello"])
                pair.iut_receives([b"hello"])
                assert pair.route == routing_id, (
                    f"{role_name(role)}: a peer announcing {name.decode()}={routing_id!r} is "
                    f"routed as {pair.route!r}"
                )


# -- what the implementation must refuse ----------------------------------------------------


def refused_then_served(network, case, role, stream: Stream, body, answer) -> None:
    """A raw peer writes ``stream`` and must be cut off; then a well-formed peer is served.

    The refused peer writes its greeting, reads the implementation's, then
    writes the rest (its READY, or what stands for it, and a message); the
    implementation must close the connection, which the raw peer sees (at
    any point: it may not even finish its greeting), and nothing the peer
    wrote may reach the application: the well-formed peer's message is the
    first delivered, and the only one.
    """
    with network.sockets(), contextlib.ExitStack() as stack:
        iut, refused, endpoint = _iut_and_raw_peer(network, case, role, stack)
        _write(refused, stream)
        try:
            refused.wait_closed()
        except WireTimeout as exc:
            raise AssertionError(f"a peer that sent {stream.what} was not cut off: {exc}") from None
        _next_peer_served(network, case, role, stack, iut, endpoint, body, answer)


def _iut_and_raw_peer(network, case, role, stack) -> tuple[Socket, WirePeer, str]:
    """The implementation's socket in ``role``, a raw peer connected to it, and the endpoint."""
    pairing: Pairing = case.pairing
    trace, patience = network.trace, network.patience
    if role == IUT_BINDS:
        iut = network.socket(IUT, pairing.binds)
        endpoint = iut.bind(network.endpoints.new(case.transport))
        return iut, stack.enter_context(WirePeer.connect(endpoint, trace, patience)), endpoint
    listener = stack.enter_context(
        WireListener(network.endpoints.new(case.transport), trace, patience)
    )
    iut = network.socket(IUT, pairing.connects)
    iut.connect(listener.endpoint)
    return iut, stack.enter_context(listener.accept()), listener.endpoint


def _write(peer: WirePeer, stream: Stream) -> None:
    """Greet, read the implementation's greeting, write the rest; the peer may be cut off."""
    with contextlib.suppress(WireClosed):
        peer.send_greeting(stream.greeting)
        peer.read_greeting()
        peer.send(stream.rest, stream.what)


def _next_peer_served(network, case, role, stack, iut, endpoint, body, answer) -> None:
    """A well-formed peer connects next (to a new listener, if the implementation dials) and
    is served; the implementation holds nothing else."""
    trace, patience = network.trace, network.patience
    raw_type = raw_type_of(case, role)
    if role == IUT_BINDS:
        good = stack.enter_context(WirePeer.connect(endpoint, trace, patience))
    else:
        listener = stack.enter_context(
            WireListener(network.endpoints.new(case.transport), trace, patience)
        )
        iut.connect(listener.endpoint)
        good = stack.enter_context(listener.accept())
        endpoint = listener.endpoint
    pair = WirePair(iut, good, raw_type, role, endpoint, network)
    pair.handshake()
    pair.round_trip(body, answer)
    pair.nothing_more()


@dataclass(frozen=True)
class Stream:
    """What a refused peer writes: a greeting, then the rest (``what`` says what is wrong)."""

    greeting: Greeting
    rest: bytes
    what: str


def stream_of(
    raw_type: str, what: str, greeting: Greeting | None = None, command: Command | None = None
) -> Stream:
    """A peer's greeting, and its READY (or ``command``) and a message."""
    command = command or codec.ready(raw_type.encode())
    probe = [b"", b"from a refused peer"] if raw_type in ("REQ", "REP") else [b"refused"]
    rest = command.frame().encode() + codec.encode_message(probe)
    return Stream(greeting or Greeting(), rest, what)


def raw_type_of(case, role) -> str:
    return case.pairing.connects if role == IUT_BINDS else case.pairing.binds


def iut_type_of(case, role) -> str:
    return case.pairing.binds if role == IUT_BINDS else case.pairing.connects


mechanisms = st.one_of(
    st.sampled_from([b"PLAIN", b"CURVE", b"GSSAPI", b"null", b"NULL\x00X", b" NULL"]),
    st.binary(min_size=1, max_size=codec.MECHANISM_SIZE),
).filter(lambda m: m.ljust(codec.MECHANISM_SIZE, b"\x00") != codec.NULL)


@pytest.mark.zmq_family("wire-refuse-mechanism")
@given(data=st.data(), mechanism=mechanisms, body=short_messages, answer=short_messages)
def test_another_mechanism_is_refused(network, case, data, mechanism, body, answer):
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    stream = stream_of(raw_type, f"mechanism {mechanism!r}", greeting=Greeting(mechanism=mechanism))
    refused_then_served(network, case, role, stream, body, answer)


VALID_PEERS = {
    "REQ": {b"REP", b"ROUTER"},
    "REP": {b"REQ", b"DEALER"},
    "DEALER": {b"REP", b"DEALER", b"ROUTER"},
    "ROUTER": {b"REQ", b"DEALER", b"ROUTER"},
}


def invalid_socket_types(iut_type: str) -> st.SearchStrategy[bytes]:
    """Socket types a peer of ``iut_type`` may not announce: other ZMTP types, or none."""
    valid = VALID_PEERS[iut_type]
    return st.one_of(
        st.sampled_from([t for t in ZMTP_SOCKET_TYPES if t not in valid]),
        st.binary(max_size=12),
    ).filter(lambda t: t.upper() not in valid)


@pytest.mark.zmq_family("wire-refuse-socket-type")
@given(data=st.data(), body=short_messages, answer=short_messages)
def test_an_invalid_socket_type_is_refused(network, case, data, body, answer):
    role = draw_role(data, network)
    socket_type = data.draw(invalid_socket_types(iut_type_of(case, role)), label="Socket-Type")
    command = codec.ready(socket_type)
    stream = stream_of(raw_type_of(case, role), command.describe(), command=command)
    refused_then_served(network, case, role, stream, body, answer)


command_names = st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12
)
first_commands = st.one_of(
    st.builds(
        lambda reason: Command(codec.ERROR, bytes([len(reason)]) + reason), st.binary(max_size=20)
    ),
    st.builds(
        Command,
        name=command_names.map(str.encode).filter(lambda n: n.upper() not in ZMTP_COMMANDS),
        data=st.binary(max_size=20),
    ),
)


@pytest.mark.zmq_family("wire-refuse-command")
@given(data=st.data(), command=first_commands, body=short_messages, answer=short_messages)
def test_a_first_command_other_than_ready_is_refused(network, case, data, command, body, answer):
    role = draw_role(data, network)
    stream = stream_of(raw_type_of(case, role), command.describe(), command=command)
    refused_then_served(network, case, role, stream, body, answer)


def _malformed_readies(raw_type: str) -> st.SearchStrategy[tuple[str, bytes]]:
    """(what is wrong, the octets of a READY command frame whose metadata overruns it).

    Not among them, though the RFCs rule them out, what libzmq 4.3.5 accepts:
    a property with an empty name ("Zero-sized names are not valid", RFC 37),
    a command frame with MORE set ("This bit SHALL be zero on command
    frames") or with a reserved flag bit set ("MUST be zero").
    """
    value = raw_type.encode()
    name = bytes([len(codec.SOCKET_TYPE)]) + codec.SOCKET_TYPE
    command = bytes([len(codec.READY)]) + codec.READY

    def value_overrun(extra: int) -> tuple[str, bytes]:
        size = len(value) + extra
        data = command + name + size.to_bytes(4, "big") + value
        return f"a Socket-Type whose value size says {size} octets", codec.command_frame(
            data
        ).encode()

    def name_overrun(extra: int) -> tuple[str, bytes]:
        data = command + bytes([len(codec.SOCKET_TYPE) + extra]) + codec.SOCKET_TYPE
        return f"a property name whose size says {len(codec.SOCKET_TYPE) + extra} octets", (
            codec.command_frame(data).encode()
        )

    return st.one_of(
        st.integers(1, 1 << 20).map(value_overrun),
        st.integers(1, 255 - len(codec.SOCKET_TYPE)).map(name_overrun),
    )


@pytest.mark.zmq_family("wire-refuse-malformed")
@given(data=st.data(), body=short_messages, answer=short_messages)
def test_a_malformed_ready_is_refused(network, case, data, body, answer):
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    what, ready = data.draw(_malformed_readies(raw_type), label="READY")
    probe = [b"", b"from a refused peer"] if raw_type in ("REQ", "REP") else [b"refused"]
    stream = Stream(Greeting(), ready + codec.encode_message(probe), what)
    refused_then_served(network, case, role, stream, body, answer)


def _flawed_readies(raw_type: str) -> st.SearchStrategy[tuple[str, str, bytes]]:
    """(the flaw, as observed; the flaw in full; the octets of a READY frame that has it)."""
    ready = codec.ready(raw_type.encode()).frame()

    def with_flags(flag: int, flaw: str, detail: str) -> tuple[str, str, bytes]:
        return flaw, detail, codec.Frame(ready.flags | flag, ready.body).encode()

    def empty_name(value: bytes) -> tuple[str, str, bytes]:
        frame = codec.ready(raw_type.encode(), extra=[(b"", value)]).frame()
        detail = f"a READY with a property of empty name (value {value!r})"
        return "a property with an empty name", detail, frame.encode()

    return st.one_of(
        st.just(with_flags(codec.MORE, "MORE set", "a READY frame with MORE set")),
        st.integers(3, 7).map(
            lambda bit: with_flags(
                1 << bit, "a reserved flag bit set", f"a READY frame with reserved bit {bit} set"
            )
        ),
        st.binary(max_size=8).map(empty_name),
    )


def _delivered_or_cut_off(iut: Socket, peer: WirePeer) -> Frames | None:
    """What the implementation delivers from ``peer``, or None once it has cut ``peer`` off.

    Looks at both in turn, briefly, so that neither outcome waits out a timeout.
    """
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        got = try_receive(iut, POLL_SLICE_MS)
        if got is not None:
            return got
        with contextlib.suppress(WireTimeout):
            peer.wait_closed(POLL_SLICE_MS)
            return None
    raise AssertionError(
        f"within {TIMEOUT_MS} ms the implementation neither delivered the peer's message "
        "nor closed its connection"
    )


@pytest.mark.zmq_family("wire-flawed-ready")
@given(data=st.data(), body=short_messages, answer=short_messages)
def test_a_flawed_ready_is_accepted_or_refused(network, case, data, body, answer):
    """The raw peer speaks first, a DEALER or a ROUTER (whose routing id stays off the wire)."""
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    flaw, detail, ready = data.draw(_flawed_readies(raw_type), label="READY")
    stream = Stream(Greeting(), ready + codec.encode_message(body), detail)
    with network.sockets(), contextlib.ExitStack() as stack:
        iut, peer, endpoint = _iut_and_raw_peer(network, case, role, stack)
        _write(peer, stream)
        got = _delivered_or_cut_off(iut, peer)
        if got is None:
            network.observe(f"{flaw}: refused")
            _next_peer_served(network, case, role, stack, iut, endpoint, body, answer)
            return
        network.observe(f"{flaw}: accepted")
        pair = WirePair(iut, peer, raw_type, role, endpoint, network)
        pair.route = got[0] if iut.type == "ROUTER" else None
        expected = application_frames(iut.type, body, delimited=False, route=pair.route)
        assert_message(got, expected, f"the implementation received, after {detail},")
        peer.read_command()  # the implementation's READY
        pair.iut_sends(answer)
        pair.raw_receives(answer)


PARTS = ("greeting", "READY", "message")


@pytest.mark.zmq_family("wire-truncated")
@given(data=st.data(), cut_in=st.sampled_from(PARTS), body=wire_messages, served=short_messages)
def test_a_message_cut_short_is_never_delivered(network, case, data, cut_in, body, served):
    """The raw peer writes part of a well-formed stream and ends its side (a FIN, not a reset).

    The pairing is one where nothing of the cut-off peer stays in the
    implementation's queues: its ROUTER routes the next peer's reply by that
    peer's id, and its bound DEALER drops a connection's queue with it.  The
    next peer sends ``served`` and has it back.
    """
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    greeting = Greeting().encode()
    ready = codec.ready(raw_type.encode()).frame().encode()
    message = codec.encode_message(body)
    start, end = {
        "greeting": (0, len(greeting)),
        "READY": (len(greeting), len(greeting) + len(ready)),
        "message": (len(greeting) + len(ready), len(greeting) + len(ready) + len(message)),
    }[cut_in]
    cut = data.draw(st.integers(start, end - 1), label=f"octets written (cut in the {cut_in})")
    with network.sockets(), contextlib.ExitStack() as stack:
        iut, peer, endpoint = _iut_and_raw_peer(network, case, role, stack)
        with contextlib.suppress(WireClosed):
            if cut <= len(greeting):
                if cut:
                    peer.send(greeting[:cut], f"the first {cut} octets of a greeting")
            else:
                peer.send_greeting()
                peer.read_greeting()
                rest = (ready + message)[: cut - len(greeting)]
                peer.send(rest, f"a READY and a message, cut after {cut} octets in all")
        peer.end_writing()
        _next_peer_served(network, case, role, stack, iut, endpoint, served, served)


@pytest.mark.zmq_family("wire-downgrade")
@given(
    data=st.data(),
    identity=st.sampled_from([b"", b"zmtp-2.0 peer"]),
    body=short_messages,
    answer=short_messages,
)
def test_a_zmtp20_peer_is_served_in_zmtp20_or_refused(network, case, data, identity, body, answer):
    """The raw peer writes its ZMTP 2.0 greeting and its message at once, as an old peer does."""
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    greeting = zmtp20.LegacyGreeting(zmtp20.SOCKET_TYPES[raw_type], identity)
    with network.sockets(), contextlib.ExitStack() as stack:
        iut, peer, endpoint = _iut_and_raw_peer(network, case, role, stack)
        with contextlib.suppress(WireClosed):
            peer.send(greeting.encode() + codec.encode_message(body), greeting.describe())
        got = _delivered_or_cut_off(iut, peer)
        if got is None:
            network.observe("refused")
            _next_peer_served(network, case, role, stack, iut, endpoint, body, answer)
            return
        network.observe("served in ZMTP 2.0")
        try:
            theirs = peer.read_legacy_greeting()
        except codec.DecodeError as exc:
            raise AssertionError(f"it delivered, but did not greet in ZMTP 2.0: {exc}") from None
        assert theirs.socket_type == zmtp20.SOCKET_TYPES[iut.type], (
            f"a {iut.type} greeted a ZMTP 2.0 peer as {theirs.describe()}"
        )
        pair = WirePair(iut, peer, raw_type, role, endpoint, network)
        pair.route = got[0] if iut.type == "ROUTER" else None
        if pair.route is not None and identity:
            assert pair.route == identity, (
                f"a ZMTP 2.0 peer with identity {identity!r} is routed as {pair.route!r}"
            )
        expected = application_frames(iut.type, body, delimited=False, route=pair.route)
        assert_message(got, expected, "the implementation received from a ZMTP 2.0 peer")
        pair.iut_sends(answer)
        pair.raw_receives(answer)


CUT_FIRST_FRAME = NoiseBytes(seed=23, size=200_000)
"""Larger than any socket buffer between the two ends: the peer's hang-up finds it unsent."""
AFTER_THE_CUT = [b"the message after the cut"]


@pytest.mark.zmq_family("wire-cut-sending")
@given(data=st.data(), rest=short_messages)
def test_a_message_cut_in_sending_goes_on_whole_or_not_at_all(network, case, data, rest):
    """The implementation's DEALER dials a raw ROUTER, or its ROUTER is dialled by a raw DEALER.

    The raw peer hangs up part way through a message of the implementation's
    (a large first frame, then ``rest``), then connects again (a DEALER under
    another Identity) or takes the reconnection (a ROUTER); the
    implementation then sends :data:`AFTER_THE_CUT`.  What the raw peer reads
    up to that may be the cut message whole, and nothing else.
    """
    role = draw_role(data, network)
    raw_type = raw_type_of(case, role)
    cut_message = [CUT_FIRST_FRAME, *rest]
    octets = len(codec.encode_message(cut_message))
    cut = data.draw(st.integers(1, octets - 1), label=f"octets read of {octets}")
    options = _reconnecting_fast(role)
    with network.sockets(), contextlib.ExitStack() as stack:
        if role == IUT_CONNECTS:
            listener = stack.enter_context(
                WireListener(network.endpoints.new(case.transport), network.trace, network.patience)
            )
            iut = network.socket(IUT, case.pairing.connects, options)
            iut.connect(listener.endpoint)
            first = stack.enter_context(listener.accept())
            identities = (None, None)
        else:
            iut = network.socket(IUT, case.pairing.binds, options)
            endpoint = iut.bind(network.endpoints.new(case.transport))
            first = stack.enter_context(WirePeer.connect(endpoint, network.trace, network.patience))
            identities = (b"cut off", b"next")
        route = _handshake_routable(first, iut, raw_type, identities[0])
        iut.send(
            application_frames(iut.type, cut_message, delimited=False, route=route), TIMEOUT_MS
        )
        first.read_octets(cut, "part of the message, then the raw peer hangs up")
        first.close()
        if role == IUT_CONNECTS:
            second = stack.enter_context(listener.accept())
        else:
            second = stack.enter_context(
                WirePeer.connect(endpoint, network.trace, network.patience)
            )
        route = _handshake_routable(second, iut, raw_type, identities[1])
        after = AFTER_THE_CUT
        iut.send(application_frames(iut.type, after, delimited=False, route=route), TIMEOUT_MS)
        while (got := [f.body for f in second.read_message()]) != list(after):
            assert got == list(cut_message), (
                f"after the peer hung up {cut} octets into a message of {octets}, the next "
                f"connection got {len(got)} frames that are not that message whole: "
                f"{[len(f) for f in got]} octets where it had {[len(f) for f in cut_message]}"
            )


def _handshake_routable(
    peer: WirePeer, iut: Socket, raw_type: str, identity: bytes | None
) -> bytes | None:
    """Handshake; a raw DEALER then says hello, so that the ROUTER can route to it at once."""
    peer.handshake(raw_type, identity)
    if iut.type != "ROUTER":
        return None
    peer.send_message([b"hello"])
    got = receive(iut, "the implementation's ROUTER, the raw peer's hello")
    assert got[1:] == [b"hello"], f"the ROUTER received {got!r} for the raw peer's hello"
    return got[0]


def _reconnecting_fast(role) -> dict:
    """A dialling implementation tries again after 1 ms, not libzmq's default 100 ms."""
    return {"RECONNECT_IVL": 1} if role == IUT_CONNECTS else {}
