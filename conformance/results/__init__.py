"""The results of a run: one verdict per case and peering, as a JSON file.

The file is what the compatibility tables are rendered from and what
``python -m conformance replay`` reads, so it is validated on the way in:
a corrupt or foreign file is one clear :class:`ResultsError`, never a
traceback.

This package is the public reader of result files: what a tool on top of
the suite (the renderer in ``matrix``) needs to read them, the catalogue
they were run from, and their reproductions' steps, without importing the
runner itself.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from conformance.binding import SOCKET_TYPES, TRANSPORTS
from conformance.catalogue import CASES, FAMILIES, Peering, peerings
from conformance.results.steps import ShownSteps, describe_step, excerpt, shown_steps, unreplayable

__all__ = [
    "CASES",
    "FAMILIES",
    "FORMAT",
    "FORMAT_VERSION",
    "PEERINGS",
    "SEVERITY",
    "SOCKET_TYPES",
    "TRANSPORTS",
    "CaseResult",
    "Failure",
    "Peering",
    "ResultsError",
    "RunResults",
    "ShownSteps",
    "Verdict",
    "case_from_json",
    "describe_step",
    "excerpt",
    "fingerprint",
    "peerings",
    "shown_steps",
    "unreplayable",
]

FORMAT = "zmq-conformance-results"
FORMAT_VERSION = 1


class Verdict(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NON_STRICT = "NON-STRICT"
    UNSUPPORTED = "UNSUPPORTED"
    INFORMATIONAL = "INFORMATIONAL"
    BROKEN = "BROKEN"
    KNOWN = "KNOWN"

    def __str__(self) -> str:
        return self.value

    @property
    def fails_the_run(self) -> bool:
        return self in (Verdict.FAIL, Verdict.BROKEN)


SEVERITY = {
    Verdict.PASS: 0,
    Verdict.INFORMATIONAL: 0,
    Verdict.UNSUPPORTED: 1,
    Verdict.KNOWN: 2,
    Verdict.NON_STRICT: 3,
    Verdict.FAIL: 4,
    Verdict.BROKEN: 5,
}
"""When one case reports twice (a call that passed, a teardown that failed), the worse stands."""


class ResultsError(Exception):
    """A results file that cannot be used; the message is one line for the user."""


@dataclass
class Failure:
    """What a maintainer needs to act on a failure without reading the suite's code.

    ``reproduction`` is the failing example as driver-protocol steps
    (``{"side": "iut"|"libzmq", "request": {...}, "answer": {...}}``, and for a
    pattern a ``"reference"`` step where the reference broker served), and
    ``failing_step`` the 1-based number of the step where the failure showed
    (0: unknown), so that ``python -m conformance replay`` can tell whether
    it happens again.
    """

    message: str
    expected: str = ""
    observed: str = ""
    example: str = ""
    reproduction: list[dict[str, Any]] = field(default_factory=list)
    failing_step: int = 0


@dataclass
class CaseResult:
    case: str
    peering: str
    verdict: Verdict
    level: str = "MUST"
    statement: str = ""
    duration_s: float = 0.0
    examples: int = 0
    reason: str = ""
    failure: Failure | None = None
    source: str = ""
    """Where the statement comes from: an RFC section and quote, or libzmq behaviour."""

    def to_json(self) -> dict[str, Any]:
        """The form a result file keeps, and xdist carries from a worker: :func:`case_from_json`."""
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        if data["failure"] is None:
            del data["failure"]
        return data

    @property
    def id(self) -> str:
        """The id pytest shows: case and peering, ``delivery/REQ-REP/tcp-self``."""
        return f"{self.case}-{self.peering}"

    @property
    def family(self) -> str:
        return self.case.split("/")[0]

    @property
    def pairing(self) -> str:
        return self.case.split("/")[1]

    @property
    def transport(self) -> str:
        return self.case.split("/")[2]


@dataclass
class RunResults:
    implementation: str
    version: str
    peer: str
    transports: list[str]
    suite_version: str
    started: str
    duration_s: float = 0.0
    catalogue: str = ""
    """The fingerprint of the catalogue the run was made from (:func:`fingerprint`)."""
    profile: str = ""
    """The Hypothesis profile of the run: how hard each property case searched."""
    cases: list[CaseResult] = field(default_factory=list)

    def record(self, result: CaseResult) -> None:
        """One phase's verdict of a case: the worse of its phases stands.

        Except that a deviation comes first: a case that FAILed and broke the
        binding afterwards (in its teardown) stays FAIL, with the break beside it.
        """
        for index, old in enumerate(self.cases):
            if (old.case, old.peering) == (result.case, result.peering):
                if old.verdict == Verdict.FAIL and result.verdict == Verdict.BROKEN:
                    if old.failure is not None:
                        old.failure.message += f" (then the implementation broke: {result.reason})"
                elif SEVERITY[result.verdict] > SEVERITY[old.verdict]:
                    self.cases[index] = result
                return
        self.cases.append(result)

    def to_json(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["cases"] = [case.to_json() for case in self.cases]
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **data}

    def write(self, path: str | Path) -> None:
        self.cases.sort(key=lambda c: (c.case, c.peering))
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> RunResults:
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise ResultsError(f"{path}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise ResultsError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(data, str(path))

    @classmethod
    def from_json(cls, data: Any, where: str = "results") -> RunResults:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ResultsError(f"{where}: not a zmq-conformance results file")
        if data.get("format_version") != FORMAT_VERSION:
            raise ResultsError(
                f"{where}: results format version {data.get('format_version')!r}, "
                f"this tool reads version {FORMAT_VERSION}"
            )
        try:
            cases = [case_from_json(c) for c in data["cases"]]
            return cls(
                implementation=str(data["implementation"]),
                version=str(data["version"]),
                peer=str(data["peer"]),
                transports=[str(t) for t in data["transports"]],
                suite_version=str(data["suite_version"]),
                started=str(data["started"]),
                duration_s=float(data["duration_s"]),
                catalogue=str(data.get("catalogue", "")),
                profile=str(data.get("profile", "")),
                cases=cases,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ResultsError(
                f"{where}: malformed results ({type(exc).__name__}: {exc})"
            ) from None


PEERINGS = tuple(peering.id for peering in peerings("both"))


def fingerprint(cases: Iterable[Any]) -> str:
    """A short digest of a catalogue's case ids and levels.

    Result files that carry different fingerprints were run against
    different catalogues and cannot be merged into one table.
    """
    text = "\n".join(sorted(f"{case.id} {case.level.value}" for case in cases))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def case_from_json(data: dict[str, Any]) -> CaseResult:
    failure = data.get("failure")
    case = str(data["case"])
    if case.count("/") != 2 or case.split("/")[1].count("-") != 1:
        raise ValueError(f"bad case id {case!r}")
    peering = str(data["peering"])
    if peering not in PEERINGS:
        raise ValueError(f"bad peering {peering!r} for {case}")
    return CaseResult(
        case=case,
        peering=peering,
        verdict=Verdict(data["verdict"]),
        level=str(data.get("level", "MUST")),
        statement=str(data.get("statement", "")),
        source=str(data.get("source", "")),
        duration_s=float(data.get("duration_s", 0.0)),
        examples=int(data.get("examples", 0)),
        reason=str(data.get("reason", "")),
        failure=_failure_from_json(failure) if failure else None,
    )


def _failure_from_json(data: dict[str, Any]) -> Failure:
    """Known fields only, so that a newer writer's additions do not break this reader."""
    known = {f.name for f in fields(Failure)}
    failure = Failure(**{k: v for k, v in data.items() if k in known})
    steps = failure.reproduction
    if not isinstance(steps, list) or not all(
        isinstance(step, dict)
        and isinstance(step.get("request"), dict)
        and isinstance(step.get("answer"), dict)
        for step in steps
    ):
        raise ValueError("a failure's reproduction must be a list of steps with request and answer")
    failure.failing_step = int(failure.failing_step)
    if not 0 <= failure.failing_step <= len(steps):
        raise ValueError(f"failing step {failure.failing_step} of {len(steps)} steps")
    return failure
