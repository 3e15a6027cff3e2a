"""Rendering result files into the published compatibility table.

``python -m matrix render RESULTS...`` merges the result files of several
implementations (:mod:`matrix.render.table`) and writes three files that
say the same thing: GitHub Markdown, a static HTML page and a JSON index.
The output is a function of the result files alone (sorted, no clock), so
CI can check that the committed tables re-render identically.
"""

from __future__ import annotations

from matrix.render import index, markdown, page
from matrix.render.table import Table, load

OUTPUTS = {
    "COMPATIBILITY.md": markdown.render,
    "compatibility.html": page.render,
    "index.json": index.render,
}
"""File name in the output directory -> its renderer."""


def render_all(table: Table, command: str) -> dict[str, str]:
    """Every output file's content; ``command`` is how to regenerate them, shown in each."""
    return {name: renderer(table, command) for name, renderer in OUTPUTS.items()}


__all__ = ["OUTPUTS", "Table", "load", "render_all"]
