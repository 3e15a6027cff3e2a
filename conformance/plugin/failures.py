"""A failure as a binding maintainer reads it, without reading the suite's code.

pytest's own report of a failure is a Python traceback through the suite's
helpers, and Hypothesis's is a call of a test function with fixtures in it.
Neither tells a Java or Rust maintainer what their implementation did
wrong.  This module turns a failed case into what they need: the case and
its statement, what was expected and what was observed (one line each), the
shrunk example as its generated values only, and the reproduction, the
example's driver-protocol steps, which ``python -m conformance replay`` can
re-run against their driver.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis.errors import FlakyFailure, FlakyStrategyDefinition

from conformance.results import CaseResult, Failure
from conformance.results.steps import describe_answer, shown_steps, unreplayable

SHOWN_STEPS = 12
"""How many steps of a reproduction the terminal shows; the results file keeps all."""

_EXAMPLE_HEADERS = ("Failing test case:", "Falsifying example:")
_ANY_VALUE = "# or any other generated value"
_DRAW = re.compile(r"Draw \d+(?: \((?P<label>[^)]*)\))?: (?P<value>.*)")


def describe_failure(
    excinfo: pytest.ExceptionInfo, steps: Sequence[dict[str, Any]], fixtures: Iterable[str]
) -> Failure:
    """The failure of one case: message, expected, observed, example, reproduction."""
    excinfo, sometimes = _behind_flakiness(excinfo)
    text = str(excinfo.value).strip()
    lines = text.splitlines()
    message = lines[0] if lines else ""
    if excinfo.typename not in ("AssertionError",):
        message = f"{excinfo.typename}: {message}" if message else excinfo.typename
    if sometimes:
        message = f"{sometimes}: {message}"
    steps = list(steps)
    step = failing_step(steps)
    expected, observed = expectation(lines, excinfo)
    if not observed and step:
        observed = describe_answer(steps[step - 1].get("answer", {}))
    notes = [str(note) for note in getattr(excinfo.value, "__notes__", [])]
    return Failure(
        message=message,
        expected=expected,
        observed=observed,
        example=shrunk_example(notes, set(fixtures)),
        reproduction=steps,
        failing_step=step,
    )


def _behind_flakiness(excinfo: pytest.ExceptionInfo) -> tuple[pytest.ExceptionInfo, str]:
    """The failure Hypothesis saw, when it could not see it again on a replay.

    A deviation that shows only some of the time (or an implementation that
    answers the same steps differently) makes Hypothesis report that it is
    flaky rather than the failure; the maintainer needs the failure, and to
    know that it did not always happen.
    """
    if isinstance(excinfo.value, FlakyFailure) and excinfo.value.exceptions:
        error = excinfo.value.exceptions[0]
        inner = pytest.ExceptionInfo.from_exc_info((type(error), error, error.__traceback__))
        return inner, "seen once, not on a replay of the same steps"
    if isinstance(excinfo.value, FlakyStrategyDefinition):
        return excinfo, (
            "nondeterministic: replaying the same steps, the implementation answered "
            "differently, so no example could be shrunk"
        )
    return excinfo, ""


def failing_step(steps: Sequence[dict[str, Any]]) -> int:
    """The step where the failure showed: the last one before the sockets were closed.

    A test checks each answer as it gets it, so the failing check follows
    the last operation it made; the ``close`` steps after it are cleanup.
    """
    for number in range(len(steps), 0, -1):
        if steps[number - 1].get("request", {}).get("op") != "close":
            return number
    return 0


def expectation(lines: Sequence[str], excinfo: pytest.ExceptionInfo) -> tuple[str, str]:
    """Expected and observed, each one line, from the wording of the suite's assertions."""

    def labelled(label: str) -> str:
        return next(
            (line.split(":", 1)[1].strip() for line in lines if line.strip().startswith(label)),
            "",
        )

    expected, observed = labelled("expected:"), labelled("observed:")
    if expected or observed:
        return expected, observed
    first = lines[0] if lines else ""
    if excinfo.typename == "ZmqError":
        return "the operation succeeds", first
    for pattern in (r"expected (.+?), got (.+)", r"expected (.+?), but (.+)"):
        match = re.search(pattern, first)
        if match:
            return match.group(1), match.group(2)
    match = re.search(r"nothing arrived within (\d+ ms)", first)
    if match:
        return "a message", f"nothing arrived within {match.group(1)}"
    return "", ""


def shrunk_example(notes: Sequence[str], fixtures: set[str]) -> str:
    """The generated values of Hypothesis's minimal example, one per line.

    Fixtures (the network, the case) and the ``data`` object are left out:
    they are the same for every example.  A value Hypothesis found does not
    matter is marked ``(any value)``; labelled draws keep their label.  A
    state machine's example is its steps (``state.rule(...)``), one per line.
    """
    lines = "\n".join(notes).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(_EXAMPLE_HEADERS)), None)
    if start is None:
        return ""
    if lines[start].rstrip().endswith("<state machine>"):
        return "\n".join(_machine_steps(lines[start + 1 :]))
    arguments: list[tuple[str, list[str]]] = []
    index = start + 1
    if not lines[start].rstrip().endswith("()"):
        while index < len(lines) and lines[index].strip() != ")":
            line = lines[index]
            name, equals, value = line.strip().partition("=")
            if line.startswith("    ") and not line.startswith("     ") and equals:
                arguments.append((name, [value]))
            elif arguments:
                arguments[-1][1].append(line.strip())
            index += 1
    shown = []
    for name, parts in arguments:
        value = " ".join(parts).strip().rstrip(",")
        anything = _ANY_VALUE in value
        value = value.replace(_ANY_VALUE, "").strip().rstrip(",").strip()
        value = value.replace("[ ", "[").replace(", ]", "]")
        if name in fixtures or value == "data(...)":
            continue
        shown.append(f"{name}={value}" + (" (any value)" if anything else ""))
    for line in lines[index:]:
        match = _DRAW.fullmatch(line.strip())
        if match:
            label = match.group("label") or "draw"
            shown.append(f"{label}={match.group('value').strip()}")
    return "\n".join(shown)


def _machine_steps(lines: Sequence[str]) -> list[str]:
    """A state machine's example: its steps as Hypothesis prints them, up to the teardown."""
    steps = []
    for line in lines:
        if not line.strip() or line.strip() == "state.teardown()":
            break
        steps.append(line.rstrip())
    return steps


def one_line_example(example: str) -> str:
    return "; ".join(example.splitlines())


# -- the text pytest prints -------------------------------------------------------


@dataclass
class Crash:
    """What pytest's short summary line and JUnit's message show: where, and the message."""

    path: str
    lineno: int
    message: str


class FailureReport:
    """A case's failure report, printed by pytest in place of the traceback.

    Shaped like pytest's own representations (``toterminal``, ``reprcrash``,
    ``str``), so the terminal, the short summary, JUnit XML and xdist all
    carry it.
    """

    def __init__(self, text: str, crash: Crash) -> None:
        self.text = text
        self.reprcrash = crash

    def toterminal(self, tw) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def report_text(
    result: CaseResult, results_path: str | None, location: str = "", width: int = 100
) -> str:
    """The failure report of ``result``, a few lines a maintainer can act on."""
    failure = result.failure or Failure(message=result.reason)
    indent = "  "
    lines = [f"{result.id}: {result.verdict} ({result.level})"]
    lines += textwrap.wrap(
        result.statement, width, initial_indent=f"{indent}statement: ", subsequent_indent=indent * 3
    )
    if result.source:
        lines += textwrap.wrap(
            result.source,
            width,
            initial_indent=f"{indent}source:    ",
            subsequent_indent=indent * 3,
        )
    lines.append(f"{indent}failure:   {failure.message}")
    if failure.expected or failure.observed:
        lines.append(f"{indent}expected:  {failure.expected or '(see the statement)'}")
        lines.append(f"{indent}observed:  {failure.observed}")
    if failure.example:
        example = one_line_example(failure.example)
        if len(example) + 13 <= width:
            lines.append(f"{indent}example:   {example}")
        else:
            lines.append(f"{indent}example:")
            lines += [f"{indent * 3}{line}" for line in failure.example.splitlines()]
    lines += reproduction_lines(failure, indent)
    not_replayable = unreplayable(failure.reproduction) if failure.reproduction else ""
    if not_replayable:
        lines.append(f"{indent}replay:    not available: {not_replayable}")
    elif failure.reproduction:
        where = results_path or "RESULTS.json"
        lines.append(
            f"{indent}replay:    python -m conformance replay {where} --case {result.id}"
            " [--zmq-driver CMD]"
        )
        if not results_path:
            lines.append(f"{indent}           (run with --zmq-results RESULTS.json to keep it)")
    if location:
        lines.append(f"{indent}raised at {location}")
    return "\n".join(lines)


def reproduction_lines(failure: Failure, indent: str = "  ") -> list[str]:
    steps = failure.reproduction
    if not steps:
        return []
    focus = failure.failing_step
    where = f"; the failure shows at step {focus}" if focus else ""
    lines = [
        f"{indent}reproduction: {len(steps)} driver-protocol steps (side request -> answer){where}"
    ]
    for shown in shown_steps(steps, focus, SHOWN_STEPS):
        if shown is None:
            lines.append(f"{indent}     ...")
            continue
        mark = ">" if shown.failing else " "
        lines.append(f"{indent}{mark}{shown.first:>4} {shown.text}")
    after = len(steps) - (focus or len(steps))
    if after:
        closing = all(s.get("request", {}).get("op") == "close" for s in steps[focus:])
        what = "close the sockets" if closing else "follow"
        lines.append(f"{indent}      ({after} more steps {what})")
    return lines
