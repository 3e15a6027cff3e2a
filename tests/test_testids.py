"""Test ids read back as the case and peering they were made from."""

from __future__ import annotations

from conformance.catalogue import CASES
from conformance.plugin.testids import case_test_id, parse_case_test_id
from conformance.results import PEERINGS


def test_every_case_and_peering_reads_back_from_its_test_id():
    for case in CASES:
        for peering in PEERINGS:
            assert parse_case_test_id(case_test_id(case.id, peering)) == (case, peering)


def test_an_id_of_no_case_reads_back_as_nothing():
    assert parse_case_test_id("not/A-CASE/tcp-self")[0] is None
    assert parse_case_test_id(CASES[0].id) == (None, "")
