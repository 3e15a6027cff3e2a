"""The table as one static, self-contained HTML page: ``matrix/compatibility.html``.

No script, no external resource: a grid per implementation per transport
with colour-coded cells, each a link to the anchor of its details, where
every case of the cell is listed with its level and verdict, and every case
that is not a plain pass with its statement, reason, expected and observed
values, shrunk example and reproduction.  Built with :mod:`string.Template`
and :func:`html.escape`; everything from a result file is escaped.
"""

from __future__ import annotations

import html
from itertools import groupby
from string import Template

from conformance.results import SOCKET_TYPES, TRANSPORTS, shown_steps
from matrix.render.explain import coverage, grid_note, reason, replay_command
from matrix.render.table import MARKS, MEANINGS, NO_CASE, NOT_RUN, RANK, Cell, Entry, Row, Table

SHOWN_STEPS = 40
STATUSES = [*(v.value for v in RANK), NOT_RUN, NO_CASE]

PAGE = Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="$command">
<title>ZeroMQ request-reply compatibility</title>
<style>
$style
</style>
</head>
<body>
<header>
<h1>ZeroMQ request-reply compatibility</h1>
<p>Which implementation behaves like libzmq, case by case: zmq-conformance $suite,
catalogue <code>$catalogue</code>, $files result files. Regenerate with
<code>$command</code>.</p>
<ul class="legend">
$legend
</ul>
</header>
<nav>
<table class="overview">
$overview
</table>
</nav>
<main>
$rows
<section id="families">
<h2>Families</h2>
<dl>
$families
</dl>
</section>
</main>
</body>
</html>
""")

STYLE = """\
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; color: #212121; }
code, pre { font: 13px/1.35 ui-monospace, monospace; }
pre { white-space: pre-wrap; margin: 0; }
h2 { margin-top: 2em; border-bottom: 1px solid #bdbdbd; }
table { border-collapse: collapse; }
th, td { border: 1px solid #9e9e9e; padding: 0.25em 0.5em; text-align: center; }
.overview td:first-child, .overview th:first-child { text-align: left; }
.grids { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.grid caption { font-weight: bold; }
.grid td { width: 6.5em; height: 2.2em; }
.grid td a { display: block; color: inherit; text-decoration: none; }
.grid td a:hover { text-decoration: underline; }
.mark { padding: 0 0.3em; border-radius: 3px; }
.v-pass { background: #a5d6a7; }
.v-informational { background: #81d4fa; }
.v-unsupported { background: #e0e0e0; }
.v-known { background: #ce93d8; }
.v-non-strict { background: #fff176; }
.v-fail { background: #ef5350; color: #fff; font-weight: bold; }
.v-broken { background: #212121; color: #fff; font-weight: bold; }
.v-not-run { background: #fff; color: #757575; border-style: dashed; }
.v-no-case { background: #f5f5f5; color: #757575; border-style: dotted; }
.legend { list-style: none; padding: 0; }
.legend li { margin: 0.2em 0; }
.cell-detail { margin: 1em 0; padding: 0.5em 1em; border-left: 4px solid #bdbdbd; }
.cell-detail:target, .grid-note:target { outline: 3px solid #1565c0; }
.entries { list-style: none; padding: 0; }
.entry { margin: 0.6em 0; }
.entry dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
.entry dl { margin: 0.3em 0 0 1em; }
.entry dt { font-weight: bold; }
.entry dd { margin: 0; }
.steps { margin: 0; padding-left: 3.5em; font: 13px/1.35 ui-monospace, monospace; }
.steps .failing { background: #ffcdd2; font-weight: bold; }
.steps .gap { list-style: none; color: #757575; }
#families dt { font-weight: bold; margin-top: 0.6em; }
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def css(status: str) -> str:
    return "v-" + status.lower().replace(" ", "-").replace("/", "")


def mark(status: str, shown: str | None = None) -> str:
    return f'<span class="mark {css(status)}">{esc(shown or MARKS[status])}</span>'


def render(table: Table, command: str) -> str:
    legend = "\n".join(f"<li>{mark(s)} {esc(MEANINGS[s])}</li>" for s in STATUSES)
    return PAGE.substitute(
        command=esc(command),
        style=STYLE.rstrip("\n"),
        suite=esc(table.suite_version),
        catalogue=esc(table.catalogue or "unrecorded"),
        files=len(table.sources),
        legend=legend,
        overview=_overview(table),
        rows="\n".join(_row(row) for row in table.rows),
        families="\n".join(
            f'<dt id="family-{esc(f.name)}">{esc(f.name)} ({esc(f.level)})</dt>\n'
            f"<dd>{esc(f.statement)}"
            + (f"<br><small>Source: {esc(f.source)}</small>" if f.source else "")
            + "</dd>"
            for f in table.families
        ),
    )


def _overview(table: Table) -> str:
    statuses = STATUSES[:-1]
    head = "".join(f"<th>{mark(s)}</th>" for s in statuses)
    lines = [f"<tr><th>implementation</th><th>peer</th><th>transports</th>{head}</tr>"]
    for row in table.rows:
        counts = row.counts()
        cells = "".join(f"<td>{counts[s]}</td>" for s in statuses)
        lines.append(
            f'<tr><td><a href="#{esc(row.slug)}">{esc(row.name)}</a></td>'
            f"<td>{esc(', '.join(row.peer_modes))}</td>"
            f"<td>{esc(', '.join(row.transports))}</td>{cells}</tr>"
        )
    return "\n".join(lines)


def _row(row: Row) -> str:
    sources = "\n".join(
        f"<li><code>{esc(s.path)}</code>: {esc(coverage(s))}</li>" for s in row.sources
    )
    grids = "\n".join(_grid(row, t) for t in TRANSPORTS)
    details = "\n".join(
        _cell_detail(cell)
        for transport in TRANSPORTS
        if not grid_note(row, transport)
        for line in row.grid(transport)
        for cell in line
    )
    notes = "\n".join(
        f'<p class="grid-note" id="{esc(row.slug)}-{t}">{esc(t)}: {esc(grid_note(row, t))}</p>'
        for t in TRANSPORTS
        if grid_note(row, t)
    )
    return (
        f'<section class="implementation" id="{esc(row.slug)}">\n'
        f'<h2>{esc(row.name)}</h2>\n<ul class="sources">\n{sources}\n</ul>\n'
        f"<p>Connecting socket down, bound socket across.</p>\n"
        f'<div class="grids">\n{grids}\n</div>\n{notes}\n'
        f'<div class="details">\n{details}\n</div>\n</section>'
    )


def _grid(row: Row, transport: str) -> str:
    note = grid_note(row, transport)
    head = "".join(f'<th scope="col">{t}</th>' for t in SOCKET_TYPES)
    lines = [
        f'<table class="grid" id="grid-{esc(row.slug)}-{transport}">',
        f"<caption>{transport}</caption>",
        f'<tr><th scope="col">connects \u2193 binds \u2192</th>{head}</tr>',
    ]
    for connects, cells in zip(SOCKET_TYPES, row.grid(transport)):
        shown = []
        for cell in cells:
            status = NOT_RUN if note else cell.status
            target = f"{row.slug}-{transport}" if note else cell.anchor
            label = MARKS[NOT_RUN] if note else cell.mark
            shown.append(
                f'<td class="cell {css(status)}" data-status="{esc(status)}">'
                f'<a href="#{esc(target)}" title="{esc(_tooltip(cell))}">{esc(label)}</a></td>'
            )
        lines.append(f'<tr><th scope="row">{connects}</th>{"".join(shown)}</tr>')
    lines.append("</table>")
    return "\n".join(lines)


def _tooltip(cell: Cell) -> str:
    counts = {}
    for entry in cell.entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    summary = ", ".join(f"{n} {MARKS[s]}" for s, n in sorted(counts.items()))
    return f"{cell.title}: {summary or MEANINGS[cell.status]}"


def _cell_detail(cell: Cell) -> str:
    header = f"<h3>{esc(cell.title)}: {mark(cell.status, cell.mark)}</h3>"
    if not cell.entries:
        body = f"<p>{esc(MEANINGS[cell.status])}</p>"
    else:
        body = '<ul class="entries">\n' + "\n".join(_family(group) for group in _by_family(cell))
        body += "\n</ul>"
        missing = [e for e in cell.entries if e.result is None]
        if missing:
            body += (
                f'\n<p class="missing">{mark(NOT_RUN)} {len(missing)} of these '
                f"{len(cell.entries)} cases: {esc(MEANINGS[NOT_RUN])}</p>"
            )
    return f'<section class="cell-detail" id="{esc(cell.anchor)}">\n{header}\n{body}\n</section>'


def _by_family(cell: Cell) -> list[list[Entry]]:
    return [list(g) for _, g in groupby(cell.entries, key=lambda e: e.case.family.name)]


def _family(entries: list[Entry]) -> str:
    """One family of a cell: its peerings' verdicts on a line, then every non-pass in full."""
    case = entries[0].case
    chips = " ".join(f"{esc(e.peering)} {mark(e.status)}" for e in entries)
    line = (
        f'<li class="entry"><code>{esc(case.id)}</code> '
        f'(<a href="#family-{esc(case.family.name)}">{esc(case.level)}</a>): {chips}'
    )
    details = "".join(_entry(e) for e in entries if e.result and e.status != "PASS")
    return f"{line}{details}</li>"


def _entry(entry: Entry) -> str:
    result = entry.result
    rows = [
        ("peering", esc(entry.peering)),
        ("verdict", mark(entry.status)),
        ("level", esc(entry.case.level)),
        ("statement", esc(entry.case.statement)),
        *([("source", esc(entry.case.family.source))] if entry.case.family.source else []),
        ("reason", esc(reason(entry))),
    ]
    if result is not None:
        rows.append(("examples", f"{result.examples} in {result.duration_s:.2f} s"))
    failure = result.failure if result else None
    if failure is not None:
        if failure.expected or failure.observed:
            rows.append(("expected", f"<code>{esc(failure.expected)}</code>"))
            rows.append(("observed", f"<code>{esc(failure.observed)}</code>"))
        if failure.example:
            rows.append(("shrunk example", f"<pre>{esc(failure.example)}</pre>"))
        if failure.reproduction:
            rows.append(("reproduction", _reproduction(entry)))
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f"\n<dl>{items}</dl>"


def _reproduction(entry: Entry) -> str:
    failure = entry.result.failure
    steps = failure.reproduction
    focus = failure.failing_step
    items = []
    for shown in shown_steps(steps, focus, SHOWN_STEPS):
        if shown is None:
            items.append('<li class="gap">\u2026</li>')
            continue
        failing = ' class="failing"' if shown.failing else ""
        items.append(f'<li value="{shown.first}"{failing}>{esc(shown.text)}</li>')
    shown = f"{len(steps)} driver-protocol steps (side request -> answer)"
    if focus:
        shown += f"; the failure shows at step {focus}"
    return (
        f'{esc(shown)}<ol class="steps">{"".join(items)}</ol>'
        f"replay: <code>{esc(replay_command(entry))}</code>"
    )
