"""The catalogue is the single source of truth: what it lists is what runs and is guarded."""

import re
import subprocess
import sys

from conformance.catalogue import CASES, FAMILIES, PAIRINGS, VALID_PAIRINGS, Level
from tests.conftest import ROOT
from tests.faults import FAULTS, VARIANTS


def test_case_ids_are_unique_and_well_formed():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case_id in ids:
        assert re.fullmatch(
            r"[a-z-]+/(REQ|REP|DEALER|ROUTER)-(REQ|REP|DEALER|ROUTER)/(tcp|ipc|inproc)", case_id
        )


def test_sixteen_pairings_ten_valid():
    assert len(PAIRINGS) == 16
    assert len(VALID_PAIRINGS) == 10


def test_every_case_runs_exactly_once_in_a_self_run():
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "-p", "no:xdist"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    ran = re.findall(r"\[([^\]]+)-self\]", collected)
    assert sorted(ran) == sorted(case.id for case in CASES)


def test_every_must_family_has_a_fault_that_it_catches():
    guarded = {family for fault in FAULTS.values() for family in fault.caught_by}
    unguarded = [f.name for f in FAMILIES if f.level == Level.MUST and f.name not in guarded]
    assert not unguarded, f"families no faulty binding is expected to fail: {unguarded}"


def test_every_family_below_must_has_a_variant_it_tells_from_libzmq():
    told = {variant.family for variant in VARIANTS.values()}
    untold = [f.name for f in FAMILIES if f.level != Level.MUST and f.name not in told]
    assert not untold, f"SHOULD or INFORMATIONAL families with no variant: {untold}"


def test_catalogue_command_lists_every_case():
    listing = subprocess.run(
        [sys.executable, "-m", "matrix", "catalogue", "--ids"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert listing == [case.id for case in CASES]
