"""REQ and REP: a request and its reply arrive intact, in both orientations."""

import pytest
from hypothesis import given

from conformance.assertions import assert_message
from conformance.network import TIMEOUT_MS
from conformance.strategies import messages


@pytest.mark.zmq_family("reqrep")
@given(body=messages, answer=messages)
def test_request_and_reply_arrive_intact(network, case, body, answer):
    with network.pair(case.pairing.connects, case.pairing.binds, case.transport) as pair:
        req, rep = pair["REQ"], pair["REP"]
        req.send(body, TIMEOUT_MS)
        assert_message(rep.recv(TIMEOUT_MS), body, "REP received")
        rep.send(answer, TIMEOUT_MS)
        assert_message(req.recv(TIMEOUT_MS), answer, "REQ received")
