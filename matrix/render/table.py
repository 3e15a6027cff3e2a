"""The compatibility table: result files merged into one row per implementation.

A row is one implementation (name and version as the run reported them),
possibly from several files, say one per peer mode.  Its cells are the
pairings of the 4x4 grid per transport, each holding every case of that
pairing and transport that the results hold (for any implementation; see
:mod:`matrix.render.cases`) in every peering the row's files cover, with
the result or a plain "not run".  Nothing is guessed: a cell says what ran
and what came of it, and the worst verdict is its mark.

Files that cannot be merged are refused with one line: two files claiming
the same cases of the same implementation (one file may hold the families
another lacks: ``drivers/run-all`` with ``ONLY_MISSING``), files of different suite
versions, or cases of one family stated differently.  Files run against
different catalogues merge where they agree (a row run before a family
was added shows that family "not run"); that the results come from
another catalogue than this checkout's is only a warning
(:func:`catalogue_warning`): the committed tables must keep re-rendering
identically while new families land.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from conformance.results import (
    CASES,
    PEERINGS,
    SOCKET_TYPES,
    TRANSPORTS,
    CaseResult,
    ResultsError,
    RunResults,
    Verdict,
    fingerprint,
    peerings,
)
from matrix.render.cases import ResultCase, ResultFamily, collect

RANK = (
    Verdict.PASS,
    Verdict.INFORMATIONAL,
    Verdict.UNSUPPORTED,
    Verdict.KNOWN,
    Verdict.NON_STRICT,
    Verdict.FAIL,
    Verdict.BROKEN,
)
"""From best to worst: a cell shows the worst verdict among its cases."""

NOT_RUN = "not run"
NO_CASE = "no case"

MARKS = {
    Verdict.PASS.value: "pass",
    Verdict.INFORMATIONAL.value: "info",
    Verdict.UNSUPPORTED.value: "unsupported",
    Verdict.KNOWN.value: "known",
    Verdict.NON_STRICT.value: "non-strict",
    Verdict.FAIL.value: "FAIL",
    Verdict.BROKEN.value: "BROKEN",
    NOT_RUN: "not run",
    NO_CASE: "n/a",
}
MEANINGS = {
    Verdict.PASS.value: "every case passed",
    Verdict.INFORMATIONAL.value: "passed; an observed behaviour is recorded",
    Verdict.UNSUPPORTED.value: "the implementation does not support a socket type, "
    "transport or option the case needs",
    Verdict.KNOWN.value: "fails a case listed in the implementation's known-deviations registry",
    Verdict.NON_STRICT.value: "deviates from a SHOULD, or a documented libzmq-vs-RFC discrepancy",
    Verdict.FAIL.value: "fails a MUST",
    Verdict.BROKEN.value: "the implementation hung, crashed or broke the driver protocol",
    NOT_RUN: "the results hold no run of these cases",
    NO_CASE: "no case of the results applies to this pairing and transport",
}


@dataclass(frozen=True)
class Source:
    path: str
    run: RunResults

    @property
    def peerings(self) -> tuple[str, ...]:
        return tuple(p.id for p in peerings(self.run.peer))

    @property
    def families(self) -> set[str]:
        """The families this run ran (all of the catalogue, or those ``-k`` selected)."""
        return {result.family for result in self.run.cases}

    def covers(self, case: ResultCase, peering: str) -> bool:
        """Whether this run was asked to run ``case`` in ``peering``."""
        if case.transport not in self.run.transports or peering not in self.peerings:
            return False
        return peering == "self" or case.transport != "inproc"


@dataclass
class Entry:
    """One case in one peering: its result, or None if it did not run."""

    case: ResultCase
    peering: str
    result: CaseResult | None = None
    source: str = ""

    @property
    def status(self) -> str:
        return self.result.verdict.value if self.result else NOT_RUN

    @property
    def id(self) -> str:
        return f"{self.case.id}-{self.peering}"


@dataclass
class Cell:
    transport: str
    connects: str
    binds: str
    anchor: str
    entries: list[Entry] = field(default_factory=list)
    has_cases: bool = False

    @property
    def ran(self) -> list[Entry]:
        return [e for e in self.entries if e.result is not None]

    @property
    def status(self) -> str:
        if not self.has_cases:
            return NO_CASE
        ran = self.ran
        if not ran:
            return NOT_RUN
        return max((e.result.verdict for e in ran), key=RANK.index).value

    @property
    def complete(self) -> bool:
        return len(self.ran) == len(self.entries)

    @property
    def mark(self) -> str:
        mark = MARKS[self.status]
        if self.ran and not self.complete:
            mark += f" ({len(self.ran)}/{len(self.entries)} run)"
        return mark

    @property
    def explained(self) -> list[Entry]:
        """The entries a reader needs explained: everything that is not a plain pass."""
        return [e for e in self.entries if e.status != Verdict.PASS.value]

    @property
    def needs_explaining(self) -> bool:
        """Anything but a cell of plain passes: its mark alone does not say why."""
        return bool(self.explained) or not self.entries

    @property
    def title(self) -> str:
        return f"{self.connects} \u2192 {self.binds} over {self.transport}"


DRIVER_VERSION_PREFIX = "driver: "
"""How the driver binding's version starts: ``driver: CMD``."""


@dataclass
class Row:
    implementation: str
    version: str
    slug: str
    sources: list[Source] = field(default_factory=list)
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)

    @property
    def name(self) -> str:
        # A driver names itself with its version (the protocol's hello); the
        # binding's version then only says which driver ran, which the row's
        # sources show.
        if self.version.startswith(DRIVER_VERSION_PREFIX):
            return self.implementation
        return f"{self.implementation}: {self.version}"

    def grid(self, transport: str) -> list[list[Cell]]:
        return [[self.cells[(transport, c, b)] for b in SOCKET_TYPES] for c in SOCKET_TYPES]

    def grid_status(self, transport: str) -> str:
        """NOT_RUN if the files cover no case of ``transport``, else ''."""
        cells = [cell for row in self.grid(transport) for cell in row if cell.has_cases]
        return NOT_RUN if cells and not any(cell.entries for cell in cells) else ""

    @property
    def entries(self) -> list[Entry]:
        return [e for cell in self.cells.values() for e in cell.entries]

    def counts(self) -> Counter:
        return Counter(e.status for e in self.entries)

    @property
    def peer_modes(self) -> list[str]:
        return sorted({s.run.peer for s in self.sources})

    @property
    def transports(self) -> list[str]:
        covered = {t for s in self.sources for t in s.run.transports}
        return [t for t in TRANSPORTS if t in covered]


@dataclass
class Table:
    rows: list[Row]
    sources: list[Source]
    suite_version: str
    catalogue: str
    """The fingerprints of the catalogues the results were run against, comma-separated.

    Runs of different catalogues (an older row, a newer family) merge as long as
    they agree on every family they share: a family one run lacks is "not run" in
    its row.  '' if none is recorded.
    """
    families: list[ResultFamily]
    cases: list[ResultCase]

    @property
    def profiles(self) -> list[str]:
        """The Hypothesis profiles the runs used ('' where a file does not say)."""
        return sorted({s.run.profile or "unrecorded" for s in self.sources})


# -- loading and merging ---------------------------------------------------------


def result_paths(arguments: list[str]) -> list[Path]:
    """The files named, a directory standing for the ``*.json`` files in it."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise ResultsError(f"{argument}: no result files (*.json) in this directory")
            paths.extend(found)
        else:
            paths.append(path)
    if not paths:
        raise ResultsError("no result files given")
    return paths


def load(arguments: list[str]) -> Table:
    sources = [Source(p.as_posix(), RunResults.load(p)) for p in result_paths(arguments)]
    return build(sources)


def build(sources: list[Source]) -> Table:
    """Merge runs into rows, refusing files that disagree (a ResultsError of one line)."""
    _check_compatible(sources)
    sources = sorted(sources, key=lambda s: s.path)
    families, cases = collect((s.path, s.run) for s in sources)
    rows: dict[tuple[str, str], Row] = {}
    claimed: dict[tuple[str, str, str, str], str] = {}
    for source in sources:
        run = source.run
        key = (run.implementation, run.version)
        row = rows.setdefault(key, Row(run.implementation, run.version, ""))
        for other in row.sources:
            shared = sorted(set(other.peerings) & set(source.peerings))
            overlap = set(other.run.transports) & set(run.transports)
            if shared and overlap and other.families & source.families:
                raise ResultsError(
                    f"{other.path} and {source.path} both hold {row.name} with peer "
                    f"{', '.join(shared)}: keep one of them"
                )
        row.sources.append(source)
        for result in run.cases:
            claim = (*key, result.case, result.peering)
            if claim in claimed:
                raise ResultsError(f"{claimed[claim]} and {source.path} both hold {result.id}")
            claimed[claim] = source.path
    ordered = [rows[key] for key in sorted(rows)]
    _name_rows(ordered)
    for row in ordered:
        _fill(row, cases)
    return Table(
        ordered,
        sources,
        sources[0].run.suite_version,
        ", ".join(sorted({s.run.catalogue for s in sources if s.run.catalogue})),
        families,
        cases,
    )


def catalogue_warning(table: Table) -> str:
    """'' if the results were run against this checkout's catalogue, else why to re-run them.

    Only a warning: the table is rendered from the results either way, and
    is still what they say.
    """
    current = fingerprint(CASES)
    if table.catalogue == current:
        return ""
    return (
        f"the results were run against catalogue {table.catalogue or 'unrecorded'}, this "
        f"checkout has {current}: regenerate with drivers/run-all"
    )


def _check_compatible(sources: list[Source]) -> None:
    if not sources:
        raise ResultsError("no result files given")
    for source in sources:
        try:
            peerings(source.run.peer)
        except KeyError:
            raise ResultsError(f"{source.path}: unknown peer mode {source.run.peer!r}") from None
    first = sources[0]
    for source in sources[1:]:
        if source.run.suite_version != first.run.suite_version:
            raise ResultsError(
                f"{first.path} and {source.path} come from different suite versions "
                f"({first.run.suite_version} and {source.run.suite_version}): re-run the older"
            )


def _name_rows(rows: list[Row]) -> None:
    used: set[str] = set()
    for row in rows:
        base = (
            re.sub(r"[^a-z0-9]+", "-", row.name.lower()).strip("-")[:40].strip("-")
            or "implementation"
        )
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        row.slug = slug


def _fill(row: Row, cases: list[ResultCase]) -> None:
    found: dict[tuple[str, str], tuple[CaseResult, str]] = {}
    for source in row.sources:
        for result in source.run.cases:
            found[(result.case, result.peering)] = (result, source.path)
    for transport in TRANSPORTS:
        for connects in SOCKET_TYPES:
            for binds in SOCKET_TYPES:
                anchor = f"{row.slug}-{transport}-{connects}-{binds}".lower()
                row.cells[(transport, connects, binds)] = Cell(transport, connects, binds, anchor)
    for case in cases:
        cell = row.cells[(case.transport, case.connects, case.binds)]
        cell.has_cases = True
        for peering in PEERINGS:
            hit = found.get((case.id, peering))
            covered = any(s.covers(case, peering) for s in row.sources)
            if hit is None and not covered:
                continue
            result, path = hit if hit else (None, "")
            cell.entries.append(Entry(case, peering, result, path))
