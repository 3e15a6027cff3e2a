"""How a case's test is named, and how the name is read back.

A test id is ``family/PAIRING/transport-peering``: the plugin names each
parametrized test so, and the results reporter reads the name back for a
case whose test process died before it could report anything else.  Both
directions live here so that they cannot drift apart.
"""

from __future__ import annotations

from conformance.catalogue import CASES
from conformance.catalogue.vocabulary import Case
from conformance.results import PEERINGS

_CASES_BY_ID = {case.id: case for case in CASES}


def case_test_id(case_id: str, peering: str) -> str:
    """The test id of ``case_id`` run with ``peering``."""
    return f"{case_id}-{peering}"


def parse_case_test_id(test_id: str) -> tuple[Case | None, str]:
    """The case and peering :func:`case_test_id` made ``test_id`` from, or (None, "")."""
    for peering in PEERINGS:
        if test_id.endswith(f"-{peering}"):
            return _CASES_BY_ID.get(test_id[: -len(peering) - 1]), peering
    return None, ""
