"""Why a case is not a plain pass, in one line, the same in every rendering."""

from __future__ import annotations

from conformance.results import Verdict, unreplayable
from matrix.render.table import DRIVER_VERSION_PREFIX, MEANINGS, NOT_RUN, Entry, Row, Source


def reason(entry: Entry) -> str:
    """The registry reason, the NON-STRICT reason, the failure message, or why it did not run."""
    result = entry.result
    if result is None:
        return "not run: the results hold no run of this case"
    if result.verdict in (Verdict.FAIL, Verdict.BROKEN) and result.failure is not None:
        return result.failure.message or result.reason
    if result.verdict == Verdict.PASS and result.reason:
        return f"stale registry entry: {result.reason}"
    return result.reason or MEANINGS[result.verdict.value]


def coverage(source: Source) -> str:
    run = source.run
    how = f"{run.version}; " if run.version.startswith(DRIVER_VERSION_PREFIX) else ""
    return (
        f"{how}peer {run.peer}; transports {', '.join(run.transports)}; "
        f"{len(run.cases)} results; started {run.started}; {run.duration_s:.0f} s"
    )


def grid_note(row: Row, transport: str) -> str:
    if row.grid_status(transport) == NOT_RUN:
        return (
            f"not run: no result of this implementation covers {transport} (peer "
            f"{', '.join(row.peer_modes)}; transports {', '.join(row.transports)}; inproc pairs "
            "only run with peer self)"
        )
    return ""


def replay_command(entry: Entry) -> str:
    """How to replay the entry's failure, or why it cannot be replayed."""
    failure = entry.result.failure
    reason = unreplayable(failure.reproduction) if failure is not None else ""
    if reason:
        return f"not available: {reason}"
    return f"python -m conformance replay {entry.source} --case {entry.id} --zmq-driver CMD"
