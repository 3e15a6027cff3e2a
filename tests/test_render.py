"""``python -m matrix render``: result files of several implementations, one table.

The sample results are built directly from the catalogue (fast, and every
verdict appears in them): a libzmq row with passes, NON-STRICT, KNOWN and
INFORMATIONAL cases, and a driver row from two files (one per peer mode)
with a FAIL that has a reproduction, an UNSUPPORTED pairing, a BROKEN case
and a transport it does not run.  The tables depend on the results alone:
this checkout's catalogue only orders the families it knows, so tests that
change it patch ``conformance.catalogue``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest

import conformance.catalogue
from conformance.catalogue import CASES, Case, Family
from conformance.results import CaseResult, Failure, RunResults, Verdict, fingerprint
from matrix.__main__ import main
from matrix.render import OUTPUTS, load, render_all
from matrix.render.table import NO_CASE, NOT_RUN

COMMAND = "python -m matrix render results"
FAILING = "delivery/REQ-REP/tcp"
STARTED = "2026-11-29T12:00:00+00:00"
REPRODUCTION = [
    {
        "side": "iut",
        "request": {"op": "socket", "type": "REP"},
        "answer": {"ok": True, "socket": "s1"},
    },
    {
        "side": "iut",
        "request": {"op": "bind", "socket": "s1", "endpoint": "tcp://127.0.0.1:*"},
        "answer": {"ok": True, "endpoint": "tcp://127.0.0.1:5555"},
    },
    {
        "side": "libzmq",
        "request": {"op": "socket", "type": "REQ"},
        "answer": {"ok": True, "socket": "s2"},
    },
    {
        "side": "libzmq",
        "request": {"op": "connect", "socket": "s2", "endpoint": "tcp://127.0.0.1:5555"},
        "answer": {"ok": True},
    },
    {
        "side": "libzmq",
        "request": {"op": "send", "socket": "s2", "frames": ["", "AA=="], "timeout_ms": 2000},
        "answer": {"ok": True},
    },
    {
        "side": "iut",
        "request": {"op": "recv", "socket": "s1", "timeout_ms": 2000},
        "answer": {"ok": True, "frames": ["AA=="]},
    },
]
HOSTILE = "frame 0 <script>alert(1)</script> | `x` *y* [z](w)"


def run_of(implementation, version, peer, transports, verdict_of) -> RunResults:
    run = RunResults(implementation, version, peer, transports, "0.1.0", STARTED, 12.5)
    run.catalogue = fingerprint(CASES)
    for case in CASES:
        if case.transport not in transports:
            continue
        peerings = {"self": ["self"], "libzmq": ["iut-connects", "iut-binds"]}[peer]
        for peering in peerings:
            if peering != "self" and case.transport == "inproc":
                continue
            result = verdict_of(case, peering)
            if result is not None:
                run.cases.append(result)
    return run


def libzmq_verdict(case, peering) -> CaseResult:
    verdict, reason = Verdict.PASS, ""
    if case.family.name == "rejection-inproc":
        verdict, reason = Verdict.NON_STRICT, "libzmq checks no socket types on inproc"
    elif case.level.value == "INFORMATIONAL":
        verdict, reason = Verdict.INFORMATIONAL, "auto ids are 5 bytes, 0x00 then a counter"
    elif case.id == "fifo/DEALER-DEALER/ipc":
        verdict, reason = Verdict.KNOWN, "ipc reorders under load (https://tracker.example/1)"
    return CaseResult(case.id, peering, verdict, case.level.value, case.statement, 0.1, 100, reason)


def driver_verdict(case, peering) -> CaseResult | None:
    result = CaseResult(case.id, peering, Verdict.PASS, case.level.value, case.statement, 0.2, 100)
    result.source = case.family.source  # the libzmq sample predates recording sources
    if case.id == FAILING and peering == "iut-binds":
        result.verdict = Verdict.FAIL
        result.failure = Failure(
            message=f"REP (binder) received: {HOSTILE}",
            expected="[b'', b'\\x00']",
            observed="[b'\\x00']",
            example="body=[b'', b'\\x00']\nfirst speaker='connector'",
            reproduction=REPRODUCTION,
            failing_step=6,
        )
    elif case.pairing.name == "ROUTER-ROUTER":
        result.verdict, result.reason = (
            Verdict.UNSUPPORTED,
            "the implementation does not list ROUTER",
        )
    elif case.id == "fifo/DEALER-REP/ipc" and peering == "self":
        result.verdict, result.reason = Verdict.BROKEN, "driver exited with status 6 on 'recv'"
    elif case.id == "delivery/DEALER-ROUTER/tcp" and peering == "self":
        return None  # deselected: the cell is partial
    return result


def write_samples(folder: Path) -> list[Path]:
    """Three result files: a libzmq row, and a driver row in two peer modes (no inproc)."""
    folder.mkdir(parents=True, exist_ok=True)
    runs = {
        "libzmq.json": run_of(
            "libzmq (pyzmq)", "libzmq 4.3.5", "self", ["tcp", "ipc", "inproc"], libzmq_verdict
        ),
        "example-self.json": run_of(
            "drivers/example/driver", "example 1.0", "self", ["tcp", "ipc"], driver_verdict
        ),
        "example-libzmq.json": run_of(
            "drivers/example/driver", "example 1.0", "libzmq", ["tcp", "ipc"], driver_verdict
        ),
    }
    for name, run in runs.items():
        run.write(folder / name)
    return sorted(folder / name for name in runs)


@pytest.fixture
def samples(tmp_path) -> Path:
    folder = tmp_path / "results"
    write_samples(folder)
    return folder


def render(samples: Path, *args: str) -> tuple[int, Path]:
    out = samples.parent / "out"
    return main(["render", str(samples), "--out", str(out), *args]), out


# -- what the tables say ------------------------------------------------------------


def test_render_writes_the_three_files_and_check_accepts_them(samples, capsys):
    status, out = render(samples)
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert render(samples, "--check")[0] == 0
    assert capsys.readouterr().err == ""  # run against this checkout's catalogue: no warning


def test_check_names_a_stale_file_in_one_line_and_exits_1(samples, capsys):
    _, out = render(samples)
    (out / "COMPATIBILITY.md").write_text("edited by hand\n")
    (out / "index.json").unlink()
    capsys.readouterr()
    assert render(samples, "--check")[0] == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "COMPATIBILITY.md" in err and "index.json" in err and "compatibility.html" not in err
    assert "regenerate with: python -m matrix render" in err


def test_output_depends_only_on_the_results(samples, tmp_path):
    first = render_all(load([str(samples)]), COMMAND)
    shuffled = sorted(samples.glob("*.json"), reverse=True)
    again = render_all(load([str(p) for p in shuffled]), COMMAND)
    assert first == again
    assert "generated_by" in first["index.json"] and STARTED in first["compatibility.html"]


def test_every_cell_of_every_grid_has_a_mark(samples):
    table = load([str(samples)])
    assert [row.name for row in table.rows] == [
        "drivers/example/driver: example 1.0",
        "libzmq (pyzmq): libzmq 4.3.5",
    ]
    markdown = render_all(table, COMMAND)["COMPATIBILITY.md"]
    grid_rows = [
        line
        for line in markdown.splitlines()
        if re.match(r"\| \*\*(REQ|REP|DEALER|ROUTER)\*\* →", line)
    ]
    assert len(grid_rows) == 2 * 3 * 4  # implementations x transports x connecting types
    for line in grid_rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 5 and all(cells), line


def test_every_cell_that_is_not_a_plain_pass_is_explained(samples):
    outputs = render_all(load([str(samples)]), COMMAND)
    markdown = outputs["COMPATIBILITY.md"]
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
    links = re.findall(r"\]\(#([^)]+)\)", markdown)
    assert links and set(links) <= anchors, set(links) - anchors
    driver = markdown.split('## <a id="drivers-example-driver-example-1-0">')[1]
    for expected in (
        "**FAIL**",
        "**unsupported**",
        "**BROKEN**",
        "driver exited with status 6",
        "the implementation does not list ROUTER",
        "not run (self), no result: delivery",
        "not run: no result of this implementation covers inproc",
    ):
        assert expected in driver, expected
    libzmq = markdown.split('## <a id="libzmq-pyzmq-libzmq-4-3-5">')[1]
    for expected in ("libzmq checks no socket types on inproc", "tracker.example/1", "0x00 then"):
        assert expected in libzmq, expected


def test_a_failure_shows_expected_observed_example_and_reproduction(samples):
    page = render_all(load([str(samples)]), COMMAND)["compatibility.html"]
    anchor = "drivers-example-driver-example-1-0-tcp-req-rep"
    assert f'href="#{anchor}"' in page
    detail = page.split(f'id="{anchor}"')[1].split("</section>")[0]
    for expected in (
        "A multipart message arrives intact",  # the statement
        "<dt>source</dt><dd>RFC 28 &quot;The REQ/REP/DEALER/ROUTER Socket Type&quot;",
        "<dt>expected</dt><dd><code>[b&#x27;&#x27;, b&#x27;\\x00&#x27;]</code>",
        "<dt>observed</dt>",
        "first speaker=&#x27;connector&#x27;",
        'class="failing">iut     recv s1 timeout_ms=2000 -&gt; ok [b&#x27;\\x00&#x27;]',
        f"example-libzmq.json --case {FAILING}-iut-binds --zmq-driver CMD",
    ):
        assert expected in detail, expected


def test_text_from_result_files_cannot_become_markup(samples):
    outputs = render_all(load([str(samples)]), COMMAND)
    assert "<script>" not in outputs["compatibility.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outputs["compatibility.html"]
    line = next(x for x in outputs["COMPATIBILITY.md"].splitlines() if "alert(1)" in x)
    assert not re.search(r"(?<!\\)<script", line) and "\\<script>" in line and "\\|" in line


def test_the_index_lists_every_cell_with_its_cases(samples):
    index = json.loads(render_all(load([str(samples)]), COMMAND)["index.json"])
    assert index["format"] == "zmq-conformance-matrix"
    driver, libzmq = index["implementations"]
    assert driver["grids"]["tcp"]["REQ-REP"]["status"] == "FAIL"
    assert driver["grids"]["inproc"]["REQ-REP"]["status"] == NOT_RUN
    assert libzmq["grids"]["inproc"]["REQ-REQ"]["status"] == "NON-STRICT"
    assert [r["peer"] for r in driver["results"]] == ["libzmq", "self"]
    failing = [c for c in driver["grids"]["tcp"]["REQ-REP"]["cases"] if c["verdict"] == "FAIL"]
    assert failing[0]["peering"] == "iut-binds" and "alert(1)" in failing[0]["reason"]


# -- result files that cannot be merged: one line, exit 2 --------------------------------


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.write_text("{"), "not JSON"),
        (lambda d: d.write_text('{"format": "junit"}'), "not a zmq-conformance results file"),
        (lambda d: edit(d, lambda j: j["cases"][0].update(verdict="GREAT")), "malformed results"),
        (
            lambda d: edit(d, lambda j: j["cases"][0].update(case="delivery/REQ-PUB/tcp")),
            "no such pairing 'REQ-PUB'",
        ),
        (
            lambda d: edit(d, lambda j: j["cases"][0].update(case="delivery/REQ-REP/udp")),
            "no such transport 'udp'",
        ),
        (lambda d: edit(d, lambda j: j.update(peer="everyone")), "unknown peer mode 'everyone'"),
        (
            lambda d: edit(d, lambda j: j["cases"][0].update(level="SHOULD")),
            "different levels (SHOULD and MUST)",
        ),
        (
            lambda d: edit(d, lambda j: j["cases"][-1].update(statement="edited since")),
            "different statements",
        ),
        (
            lambda d: edit(d, lambda j: j["cases"][-1].update(source="edited since")),
            "different sources",
        ),
        (lambda d: edit(d, lambda j: j.update(suite_version="9.9")), "different suite versions"),
        (
            lambda d: edit(d, lambda j: j.update(peer="self")),
            "both hold drivers/example/driver: example 1.0 with peer self",
        ),
    ],
)
def test_files_that_cannot_be_merged_are_one_line_and_exit_2(samples, capsys, damage, message):
    damage(samples / "example-libzmq.json")
    status, out = render(samples)
    err = capsys.readouterr().err.strip()
    assert status == 2 and not out.exists()
    assert message in err and len(err.splitlines()) == 1, err


def test_a_missing_file_or_an_empty_directory_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for argument, message in (
        (tmp_path / "nope.json", "cannot read"),
        (tmp_path / "empty", "no result files"),
    ):
        assert main(["render", str(argument), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


def test_the_catalogue_command_still_works(capsys):
    assert main(["catalogue", "--ids"]) == 0
    assert capsys.readouterr().out.split() == [case.id for case in CASES]


def test_every_link_of_the_page_leads_to_an_element_of_the_page(samples):
    page = render_all(load([str(samples)]), COMMAND)["compatibility.html"]
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    links = set(re.findall(r'\bhref="#([^"]+)"', page))
    assert len(links) > 2 * 3 * 16 and links <= ids, sorted(links - ids)[:5]
    assert "http" not in re.sub(r"https://tracker\.example/1", "", page), "an external resource"


# -- the tables depend on the results, not on this checkout's catalogue ------------------


def with_catalogue(monkeypatch, families: tuple[Family, ...]) -> tuple[Case, ...]:
    """This checkout's catalogue as ``families``, wherever a matrix module could look it up."""
    cases = tuple(Case(f, p, t) for f in families for p in f.pairings for t in f.transports)
    current = {"FAMILIES": conformance.catalogue.FAMILIES, "CASES": conformance.catalogue.CASES}
    patched = {"FAMILIES": families, "CASES": cases}
    for name, module in list(sys.modules.items()):
        if name == "matrix" or name.startswith("matrix."):
            for attribute, value in current.items():
                if getattr(module, attribute, None) is value:
                    monkeypatch.setattr(module, attribute, patched[attribute])
    return cases


def test_a_family_added_to_the_catalogue_changes_no_table(samples, monkeypatch, capsys):
    render(samples)
    before = render_all(load([str(samples)]), COMMAND)
    old = conformance.catalogue.FAMILIES
    added = Family("a-family-added-since", "Something new.", "nowhere")
    edited = dataclasses.replace(old[2], statement="Edited since the run.")
    now = with_catalogue(monkeypatch, (old[0], added, old[1], edited, *old[3:]))
    capsys.readouterr()
    assert render(samples, "--check")[0] == 0
    err = capsys.readouterr().err
    assert err == (
        f"warning: the results were run against catalogue {fingerprint(CASES)}, this checkout "
        f"has {fingerprint(now)}: regenerate with drivers/run-all\n"
    )
    assert render_all(load([str(samples)]), COMMAND) == before
    assert "a-family-added-since" not in before["index.json"]


def add_case(path: Path, case: str, verdict: str = "PASS", **fields) -> None:
    def change(data):
        data["cases"].append(
            {"case": case, "peering": "self", "verdict": verdict, "level": "SHOULD", **fields}
        )

    edit(path, change)


def test_results_of_a_newer_catalogue_render_with_one_warning(samples, capsys):
    """Cases this checkout does not know are in the table, their families last, by name."""
    for path in samples.glob("*.json"):
        edit(path, lambda j: j.update(catalogue="0123456789ab"))
    add_case(samples / "libzmq.json", "zz-later/DEALER-ROUTER/tcp", statement="Later.")
    add_case(
        samples / "libzmq.json",
        "aa-future/DEALER-ROUTER/tcp",
        "NON-STRICT",
        statement="Future.",
        reason="a future deviation",
    )
    for args in ((), ("--check",)):
        assert render(samples, *args)[0] == 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(
            "warning: the results were run against catalogue 0123456789ab, this checkout has "
            f"{fingerprint(CASES)}"
        ), err
    outputs = render_all(load([str(samples)]), COMMAND)
    markdown = outputs["COMPATIBILITY.md"]
    families = re.findall(
        r"^\| ([a-z][a-z0-9-]+) \| (?:MUST|SHOULD|INFORMATIONAL) \|", markdown, re.M
    )
    known = [f.name for f in conformance.catalogue.FAMILIES]
    assert families == [*known, "aa-future", "zz-later"]
    assert "a future deviation" in markdown
    driver, libzmq = json.loads(outputs["index.json"])["implementations"]
    cell = {c["case"]: c for c in libzmq["grids"]["tcp"]["DEALER-ROUTER"]["cases"]}
    assert cell["aa-future/DEALER-ROUTER/tcp"]["verdict"] == "NON-STRICT"
    future = [
        (c["peering"], c["verdict"])
        for c in driver["grids"]["tcp"]["DEALER-ROUTER"]["cases"]
        if c["case"] == "zz-later/DEALER-ROUTER/tcp"
    ]
    assert future == [("self", NOT_RUN), ("iut-connects", NOT_RUN), ("iut-binds", NOT_RUN)]
    page = outputs["compatibility.html"]
    assert '<dt id="family-zz-later">zz-later (SHOULD)</dt>\n<dd>Later.</dd>' in page


KEPT = ["delivery/REQ-REP/tcp"]


def test_cases_no_result_holds_are_not_in_the_table(samples):
    """A pairing none of the results' cases applies to is n/a, whatever the catalogue has."""
    for path in samples.glob("*.json"):
        edit(path, lambda j: j.update(cases=[c for c in j["cases"] if c["case"] in KEPT]))
    index = json.loads(render_all(load([str(samples)]), COMMAND)["index.json"])
    libzmq = index["implementations"][1]
    assert libzmq["grids"]["tcp"]["REQ-REP"]["status"] == "PASS"
    assert [c["case"] for c in libzmq["grids"]["tcp"]["REQ-REP"]["cases"]] == [KEPT[0]]
    assert libzmq["grids"]["ipc"]["REQ-REP"]["status"] == NO_CASE
    assert libzmq["grids"]["tcp"]["REQ-ROUTER"]["status"] == NO_CASE
    assert libzmq["counts"] == {"PASS": 1}


def test_rows_of_different_catalogues_merge_where_they_agree(samples, capsys):
    """A row run before a family was added shows it not run; nothing is refused."""
    edit(samples / "example-libzmq.json", lambda j: j.update(catalogue="0123456789ab"))
    add_case(samples / "libzmq.json", "zz-later/DEALER-ROUTER/tcp", statement="Later.")
    assert render(samples)[0] == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0123456789ab" in err, err
    table = load([str(samples)])
    assert "0123456789ab" in table.catalogue and "," in table.catalogue


def test_a_row_is_completed_by_a_file_of_the_families_it_lacked(samples, capsys):
    """``ONLY_MISSING=1 drivers/run-all``: a second file of one peer mode, other families."""
    first, added = samples / "example-libzmq.json", samples / "example-libzmq.added.json"
    whole = json.loads(first.read_text())
    assert main(["missing", str(first)]) == 0
    never_run = capsys.readouterr().out.split()  # inproc only: no driver peering has them

    later = {c.family.name for c in CASES[-40:]} - set(never_run)
    kept = [c for c in whole["cases"] if c["case"].split("/")[0] not in later]
    edit(first, lambda j: j.update(cases=kept))
    assert main(["missing", str(first)]) == 0
    assert set(capsys.readouterr().out.split()) == later | set(never_run)
    rest = [c for c in whole["cases"] if c["case"].split("/")[0] in later]
    added.write_text(json.dumps({**whole, "cases": rest}))
    assert main(["missing", str(first), str(added)]) == 0
    assert capsys.readouterr().out.split() == never_run

    def verdicts(folder: Path) -> dict:
        index = json.loads(render_all(load([str(folder)]), COMMAND)["index.json"])
        return {row["id"]: (row["counts"], row["grids"]) for row in index["implementations"]}

    write_samples(samples.parent / "unsplit")
    assert verdicts(samples) == verdicts(samples.parent / "unsplit")

    edit(added, lambda j: j["cases"].append(kept[0]))  # a family the first file ran
    status, _ = render(samples)
    assert status == 2 and "keep one of them" in capsys.readouterr().err
