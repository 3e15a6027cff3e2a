"""The compatibility summary: the 4x4 pairing grid per transport, and verdicts per family."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tabulate import tabulate

from conformance.binding import SOCKET_TYPES, TRANSPORTS
from conformance.results import SEVERITY, CaseResult, Verdict

MARK = {
    Verdict.PASS: "ok",
    Verdict.INFORMATIONAL: "ok",
    Verdict.UNSUPPORTED: "n/s",
    Verdict.KNOWN: "known",
    Verdict.NON_STRICT: "ok*",
    Verdict.FAIL: "FAIL",
    Verdict.BROKEN: "BROKEN",
}
LEGEND = (
    "ok: every case passed   ok*: a SHOULD deviation (NON-STRICT)   n/s: unsupported   "
    "known: a listed known deviation   FAIL / BROKEN: see above   .: not run"
)


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    return max(verdicts, key=SEVERITY.__getitem__, default=None)


def pairing_cells(cases: Iterable[CaseResult]) -> dict[tuple[str, str, str], Verdict]:
    """The worst verdict per (transport, connecting type, bound type), over every family."""
    cells: dict[tuple[str, str, str], list[Verdict]] = {}
    for result in cases:
        connects, binds = result.pairing.split("-")
        cells.setdefault((result.transport, connects, binds), []).append(result.verdict)
    return {key: worst(verdicts) for key, verdicts in cells.items()}


def render_grids(
    cases: list[CaseResult], tablefmt: str = "simple_outline", width: int = 200
) -> str:
    """One grid per transport, side by side if ``width`` allows: connecting type down."""
    cells = pairing_cells(cases)
    grids = []
    for transport in TRANSPORTS:
        if not any(key[0] == transport for key in cells):
            continue
        rows = [
            [f"{connects} ->"]
            + [
                MARK[cells[(transport, connects, binds)]]
                if (transport, connects, binds) in cells
                else "."
                for binds in SOCKET_TYPES
            ]
            for connects in SOCKET_TYPES
        ]
        grids.append(tabulate(rows, headers=[transport, *SOCKET_TYPES], tablefmt=tablefmt))
    joined = _side_by_side(grids)
    if max((len(line) for line in joined.splitlines()), default=0) <= width:
        return joined
    return "\n".join(grids)


def render_family_counts(cases: list[CaseResult], tablefmt: str = "simple") -> str:
    counts: dict[str, Counter] = {}
    for result in cases:
        counts.setdefault(result.family, Counter())[result.verdict] += 1
    shown = [v for v in Verdict if any(c[v] for c in counts.values())] or [Verdict.PASS]
    rows = [[family] + [c[v] for v in shown] for family, c in sorted(counts.items())]
    return tabulate(rows, headers=["family", *(v.value for v in shown)], tablefmt=tablefmt)


def render(cases: list[CaseResult], width: int = 200) -> str:
    return "\n\n".join([render_grids(cases, width=width), LEGEND, render_family_counts(cases)])


def _side_by_side(blocks: list[str], gap: str = "  ") -> str:
    split = [block.splitlines() for block in blocks]
    height = max((len(lines) for lines in split), default=0)
    widths = [max((len(line) for line in lines), default=0) for lines in split]
    rows = []
    for i in range(height):
        parts = [(lines[i] if i < len(lines) else "").ljust(w) for lines, w in zip(split, widths)]
        rows.append(gap.join(parts).rstrip())
    return "\n".join(rows)
