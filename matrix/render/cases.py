"""The cases a table is made of, as the result files describe them.

The table is a function of the result files alone, so that the committed
tables re-render identically whatever this checkout's catalogue has become
since they were run, and so that results published by another suite
version render at all: the cases, their families, levels and statements are
the union of what the files hold.  Only the order of the families comes
from the checkout, where it knows them, because catalogue families are only
ever inserted: a family added to the catalogue moves no existing line.
Families it does not know follow, alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.results import (
    FAMILIES,
    SOCKET_TYPES,
    TRANSPORTS,
    CaseResult,
    ResultsError,
    RunResults,
)


@dataclass(frozen=True)
class ResultFamily:
    """A family as its results state it: the level and statement every one of its cases carries."""

    name: str
    level: str
    statement: str
    source: str = ""
    """The statement's normative source; empty when every file predates recording it."""


@dataclass(frozen=True)
class ResultCase:
    """One family on one pairing and transport, named by its catalogue id."""

    id: str
    family: ResultFamily
    connects: str
    binds: str
    transport: str

    @property
    def level(self) -> str:
        return self.family.level

    @property
    def statement(self) -> str:
        return self.family.statement


@dataclass(frozen=True)
class _Seen:
    """Where a family's description was first read, to name both files of a disagreement."""

    path: str
    result: CaseResult


def collect(runs: Iterable[tuple[str, RunResults]]) -> tuple[list[ResultFamily], list[ResultCase]]:
    """Every family and case the runs hold, in table order.

    The runs (path, results) must agree: every case of a family carries the
    family's level and statement, so two that differ come from different
    catalogues, a one-line :class:`ResultsError`.
    """
    seen: dict[str, _Seen] = {}
    sources: dict[str, str] = {}  # from the files that record it
    ids: dict[str, CaseResult] = {}
    for path, run in sorted(runs, key=lambda item: item[0]):
        for result in run.cases:
            _check_grid(path, result)
            first = seen.setdefault(result.family, _Seen(path, result))
            _check_agrees(first, _Seen(path, result))
            if result.source:
                sources.setdefault(result.family, result.source)
            ids.setdefault(result.case, result)
    families = {
        name: ResultFamily(name, first.result.level, first.result.statement, sources.get(name, ""))
        for name, first in seen.items()
    }
    order = family_order(families)
    cases = [
        ResultCase(case, families[r.family], *r.pairing.split("-"), r.transport)
        for case, r in ids.items()
    ]
    cases.sort(key=lambda c: (order.index(c.family.name), c.id))
    return [families[name] for name in order], cases


def family_order(names: Iterable[str]) -> list[str]:
    """The checkout's catalogue order for the families it knows, then the others by name."""
    known = [family.name for family in FAMILIES]
    rank = {name: index for index, name in enumerate(known)}
    return sorted(names, key=lambda name: (rank.get(name, len(known)), name))


def _check_grid(path: str, result: CaseResult) -> None:
    connects, binds = result.pairing.split("-")
    if connects not in SOCKET_TYPES or binds not in SOCKET_TYPES:
        raise ResultsError(f"{path}: case {result.case}: no such pairing {result.pairing!r}")
    if result.transport not in TRANSPORTS:
        raise ResultsError(f"{path}: case {result.case}: no such transport {result.transport!r}")


def _check_agrees(first: _Seen, other: _Seen) -> None:
    if first.result.level != other.result.level:
        differ = f"different levels ({first.result.level} and {other.result.level})"
    elif first.result.statement != other.result.statement:
        differ = "different statements"
    elif first.result.source and other.result.source and first.result.source != other.result.source:
        differ = "different sources"
    else:
        return
    raise ResultsError(
        f"{first.path} ({first.result.case}) and {other.path} ({other.result.case}) give family "
        f"{first.result.family} {differ}: they were run against different catalogues, "
        "re-run them against the same one"
    )
