"""Verdicts per case and the compatibility summary printed at the end of a run."""

from __future__ import annotations

import enum
from collections import Counter

from tabulate import tabulate

from conformance.binding import SOCKET_TYPES, TRANSPORTS


class Verdict(str, enum.Enum):
    PASS = "PASS"
    NON_STRICT = "NON-STRICT"
    FAIL = "FAIL"
    BROKEN = "BROKEN"
    UNSUPPORTED = "UNSUPPORTED"

    def __str__(self) -> str:
        return self.value


# When one case reports twice (a call that passed, a teardown that failed),
# the worse verdict stands.
_SEVERITY = {
    Verdict.PASS: 0,
    Verdict.UNSUPPORTED: 1,
    Verdict.NON_STRICT: 2,
    Verdict.FAIL: 3,
    Verdict.BROKEN: 4,
}
_MARK = {
    Verdict.PASS: "ok",
    Verdict.UNSUPPORTED: "n/s",
    Verdict.NON_STRICT: "ok*",
    Verdict.FAIL: "FAIL",
    Verdict.BROKEN: "BROKEN",
}


class Results:
    """One verdict per (case id, peering)."""

    def __init__(self) -> None:
        self.verdicts: dict[tuple[str, str], Verdict] = {}

    def __bool__(self) -> bool:
        return bool(self.verdicts)

    def record(self, case_id: str, peering: str, verdict: Verdict) -> None:
        key = (case_id, peering)
        old = self.verdicts.get(key)
        if old is None or _SEVERITY[verdict] > _SEVERITY[old]:
            self.verdicts[key] = verdict

    def render(self) -> str:
        return "\n\n".join([*self._grids(), self._family_counts()])

    def _grids(self) -> list[str]:
        """The 4x4 grid per transport: connecting type down, binding type across."""
        cells: dict[tuple[str, str, str], Verdict] = {}
        for (case_id, _), verdict in self.verdicts.items():
            _, pairing, transport = case_id.split("/")
            key = (transport, *pairing.split("-"))
            old = cells.get(key)
            if old is None or _SEVERITY[verdict] > _SEVERITY[old]:
                cells[key] = verdict
        grids = []
        for transport in TRANSPORTS:
            if not any(key[0] == transport for key in cells):
                continue
            rows = [
                [f"{connects} ->"]
                + [
                    _MARK[cells[(transport, connects, binds)]]
                    if (transport, connects, binds) in cells
                    else "."
                    for binds in SOCKET_TYPES
                ]
                for connects in SOCKET_TYPES
            ]
            grids.append(
                tabulate(rows, headers=[transport, *SOCKET_TYPES], tablefmt="simple_outline")
            )
        return grids

    def _family_counts(self) -> str:
        counts: dict[str, Counter] = {}
        for (case_id, _), verdict in self.verdicts.items():
            counts.setdefault(case_id.split("/")[0], Counter())[verdict] += 1
        rows = [[family] + [c[v] for v in Verdict] for family, c in sorted(counts.items())]
        return tabulate(rows, headers=["family", *(v.value for v in Verdict)], tablefmt="simple")
