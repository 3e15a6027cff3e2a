"""The known-deviations registry: failures an implementation has owned up to.

A maintainer lists the cases their implementation is known to fail, with a
reason and a tracker link, in a TOML file passed with ``--zmq-known``::

    [[deviation]]
    case = "rejection/*/tcp"          # a case id, or a glob over case ids
    peering = "*"                     # optional: self, iut-connects, iut-binds
    reason = "no socket-type check in the handshake"
    link = "https://tracker.example/issue/42"

Such a case reports KNOWN instead of failing the gate.  A listed case that
passes is reported as stale, so the registry stays true.
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib


class KnownDeviationsError(Exception):
    """A registry that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class KnownDeviation:
    case: str
    reason: str
    peering: str = "*"
    link: str = ""

    def matches(self, case_id: str, peering: str) -> bool:
        return fnmatch.fnmatchcase(case_id, self.case) and fnmatch.fnmatchcase(
            peering, self.peering
        )

    def describe(self) -> str:
        return f"{self.reason} ({self.link})" if self.link else self.reason


class KnownDeviations:
    def __init__(self, deviations: list[KnownDeviation] | None = None) -> None:
        self.deviations = deviations or []

    @classmethod
    def load(cls, path: str | Path) -> KnownDeviations:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as exc:
            raise KnownDeviationsError(f"--zmq-known {path}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise KnownDeviationsError(f"--zmq-known {path}: not TOML: {exc}") from None
        entries = data.get("deviation", [])
        if not isinstance(entries, list):
            raise KnownDeviationsError(
                f"--zmq-known {path}: 'deviation' must be an array of tables"
            )
        deviations = []
        for number, entry in enumerate(entries, start=1):
            try:
                deviations.append(KnownDeviation(**entry))
            except TypeError:
                raise KnownDeviationsError(
                    f"--zmq-known {path}: deviation {number} needs 'case' and 'reason' "
                    "(and may have 'peering' and 'link'), got {sorted(entry)}"
                ) from None
        return cls(deviations)

    def match(self, case_id: str, peering: str) -> KnownDeviation | None:
        return next((d for d in self.deviations if d.matches(case_id, peering)), None)
