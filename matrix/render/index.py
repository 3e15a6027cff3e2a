"""The table as JSON: ``matrix/index.json``, for tools and badges.

The same content as the pages without the reproductions (they are in the
result files): per implementation its runs, its counts, and per transport
and pairing the cell's mark and every case's verdict and reason.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.results import TRANSPORTS
from matrix.render.explain import reason
from matrix.render.table import Row, Table

FORMAT = "zmq-conformance-matrix"
FORMAT_VERSION = 1


def render(table: Table, command: str) -> str:
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_by": command,
        "suite_version": table.suite_version,
        "catalogue": table.catalogue,
        "implementations": [_row(row) for row in table.rows],
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _row(row: Row) -> dict[str, Any]:
    return {
        "id": row.slug,
        "implementation": row.implementation,
        "version": row.version,
        "results": [
            {
                "path": s.path,
                "peer": s.run.peer,
                "transports": s.run.transports,
                "started": s.run.started,
                "duration_s": s.run.duration_s,
            }
            for s in row.sources
        ],
        "counts": dict(sorted(row.counts().items())),
        "grids": {
            transport: {
                f"{cell.connects}-{cell.binds}": {
                    "status": cell.status,
                    "mark": cell.mark,
                    "anchor": cell.anchor,
                    "cases": [
                        {
                            "case": e.case.id,
                            "peering": e.peering,
                            "verdict": e.status,
                            "reason": "" if e.status == "PASS" else reason(e),
                        }
                        for e in cell.entries
                    ],
                }
                for line in row.grid(transport)
                for cell in line
            }
            for transport in TRANSPORTS
        },
    }
