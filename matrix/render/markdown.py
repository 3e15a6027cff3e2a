"""The table as GitHub Markdown: ``matrix/COMPATIBILITY.md``.

Overview first (one line per implementation, then one line per family),
then per implementation its three grids and, for every cell that is not a
plain pass, why.  Statements, examples and reproductions are in the HTML
page, which the non-pass entries link to; the Markdown stays readable in a
diff.  Text from result files is escaped, so nothing in a failure message
can turn into markup.
"""

from __future__ import annotations

import re
from collections import Counter

from conformance.results import SOCKET_TYPES, TRANSPORTS
from matrix.render.explain import coverage, grid_note, reason
from matrix.render.table import MARKS, MEANINGS, NO_CASE, NOT_RUN, RANK, Cell, Entry, Row, Table

HTML_PAGE = "compatibility.html"
STATUSES = [*(v.value for v in RANK), NOT_RUN]

_SPECIAL = re.compile(r"([\\`*_\[\]<|~])")


def text(value: str) -> str:
    """Plain text: one line, with every character Markdown could act on escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def code(value: str) -> str:
    """A code span that no backtick in ``value`` can end early."""
    value = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def render(table: Table, command: str) -> str:
    lines = [
        "# ZeroMQ request-reply compatibility",
        "",
        f"<!-- Generated from the result files below; do not edit. Regenerate with: {command} -->",
        "",
        f"Which implementation behaves like libzmq, case by case: zmq-conformance "
        f"{text(table.suite_version)}, catalogue {code(table.catalogue or 'unrecorded')}, "
        f"{len(table.sources)} result files, Hypothesis profile "
        f"{text(', '.join(table.profiles))}. Regenerate with {code(command)}. Every case with "
        f"its statement, shrunk example and reproduction: [{HTML_PAGE}]({HTML_PAGE}); "
        "machine-readable: [index.json](index.json).",
        "",
        "Marks (the worst verdict among a cell's cases):",
        "",
    ]
    lines += [f"- **{text(MARKS[s])}**: {text(MEANINGS[s])}" for s in [*STATUSES, NO_CASE]]
    lines += ["", "## Implementations", ""]
    lines += _overview(table)
    lines += ["", "## By family", ""]
    lines += _families(table)
    for row in table.rows:
        lines += ["", *_row(row)]
    return "\n".join(lines) + "\n"


def _overview(table: Table) -> list[str]:
    header = ["implementation", "peer", "transports", *(MARKS[s] for s in STATUSES)]
    lines = [_table_row(header), _table_row(["---"] * len(header))]
    for row in table.rows:
        counts = row.counts()
        lines.append(
            _table_row(
                [
                    f"[{text(row.name)}](#{row.slug})",
                    text(", ".join(row.peer_modes)),
                    text(", ".join(row.transports)),
                    *(str(counts[s]) for s in STATUSES),
                ]
            )
        )
    return lines


def _families(table: Table) -> list[str]:
    header = ["family", "level", *(f"[{text(row.name)}](#{row.slug})" for row in table.rows)]
    lines = [_table_row(header), _table_row(["---"] * len(header))]
    for family in table.families:
        cells = [family.name, family.level]
        for row in table.rows:
            entries = [e for e in row.entries if e.case.family == family]
            statuses = Counter(e.status for e in entries)
            ran = sum(n for s, n in statuses.items() if s != NOT_RUN)
            if not ran:
                cells.append(MARKS[NOT_RUN])
                continue
            worst = max((s for s in statuses if s != NOT_RUN), key=STATUSES.index)
            cells.append(f"{MARKS[worst]} {statuses[worst]}/{len(entries)}")
        lines.append(_table_row([text(c) if "](" not in c else c for c in cells]))
    return lines


def _row(row: Row) -> list[str]:
    lines = [f'## <a id="{row.slug}"></a>{text(row.name)}', ""]
    for source in row.sources:
        lines.append(f"- {code(source.path)}: {text(coverage(source))}")
    lines += ["", "Connecting socket down, bound socket across.", ""]
    for transport in TRANSPORTS:
        lines += _grid(row, transport)
    explained = [
        cell
        for transport in TRANSPORTS
        if not grid_note(row, transport)
        for line in row.grid(transport)
        for cell in line
        if cell.needs_explaining
    ]
    if explained:
        lines += [f"### Not a plain pass: {text(row.name)}", ""]
        for cell in explained:
            lines += _explanation(cell)
    return lines


def _grid(row: Row, transport: str) -> list[str]:
    note = grid_note(row, transport)
    anchor = f"{row.slug}-{transport}"
    lines = [_table_row([f"**{transport}**", *SOCKET_TYPES]), _table_row(["---"] * 5)]
    for connects, cells in zip(SOCKET_TYPES, row.grid(transport)):
        shown = [_mark(cell, f"#{anchor}" if note else None) for cell in cells]
        lines.append(_table_row([f"**{connects}** →", *shown]))
    lines.append("")
    if note:
        lines += [f'<a id="{anchor}"></a>{text(note)}', ""]
    return lines


def _mark(cell: Cell, link: str | None) -> str:
    if not cell.needs_explaining:
        return text(cell.mark)
    return f"[{text(cell.mark)}]({link or '#' + cell.anchor})"


def _explanation(cell: Cell) -> list[str]:
    lines = [f'- <a id="{cell.anchor}"></a>**{text(cell.title)}: {text(cell.mark)}**']
    if not cell.entries:
        return [*lines, f"  - {text(MEANINGS[cell.status])}"]
    for entry in cell.explained:
        if entry.result is not None:
            lines.append(f"  - {_entry(entry, cell)}")
    missing: dict[str, list[str]] = {}
    for entry in cell.explained:
        if entry.result is None:
            missing.setdefault(entry.peering, []).append(entry.case.family.name)
    for peering, families in missing.items():
        lines.append(f"  - not run ({text(peering)}), no result: {text(', '.join(families))}")
    return lines


def _entry(entry: Entry, cell: Cell) -> str:
    failure = entry.result.failure
    parts = [
        f"{code(entry.case.id)} {text(entry.peering)}: **{text(MARKS[entry.status])}** "
        f"({text(entry.case.level)}): {text(reason(entry).rstrip('.'))}."
    ]
    if failure is not None and (failure.expected or failure.observed):
        parts.append(f"Expected {code(failure.expected)}, observed {code(failure.observed)}.")
    if failure is not None and failure.example:
        parts.append(f"Example: {code('; '.join(failure.example.splitlines()))}.")
    if failure is not None and failure.reproduction:
        parts.append(f"[Reproduction]({HTML_PAGE}#{cell.anchor}).")
    return " ".join(parts)


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
