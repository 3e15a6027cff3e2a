"""From a pytest outcome to a conformance verdict.

pytest knows passed, failed and skipped; a conformance run needs more.  A
broken binding is BROKEN (an error, not a failure); ENOTSUP is UNSUPPORTED
(a skip, never a pass); a failed SHOULD case is NON-STRICT and a failure
listed in the known-deviations registry is KNOWN (both reported, neither
failing the run, unless the run asks for ``--zmq-strict``).  The verdict and
everything a maintainer needs to act on a failure travel in one
``user_properties`` entry, which xdist carries to the controller intact.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conformance.binding import BindingBroken, BindingUnavailable, ErrorCode, ZmqError
from conformance.catalogue import Level
from conformance.harness.patience import TIMEOUT_MS, Patience
from conformance.plugin.failures import Crash, FailureReport, describe_failure, report_text
from conformance.plugin.known import KnownDeviations
from conformance.results import CaseResult, Failure, Verdict

PROPERTY = "zmq_conformance"


def judge(
    item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, known: KnownDeviations
) -> None:
    """Set ``report``'s outcome and attach the verdict, for one phase of one case."""
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    if case is None:
        return
    network = item.funcargs.get("network") if hasattr(item, "funcargs") else None
    result = CaseResult(
        case=case.id,
        peering=str(callspec.params.get("peering")),
        verdict=Verdict.PASS,
        level=case.level.value,
        statement=case.statement,
        source=case.family.source,
        duration_s=round(report.duration, 4),
        examples=getattr(network, "examples", 0),
    )
    excinfo = call.excinfo
    deviation = known.match(case.id, result.peering)
    strict = bool(item.config.getoption("zmq_strict", False))
    broke_after = ""
    if excinfo is not None and excinfo.errisinstance(BindingBroken):
        first = first_deviation(excinfo.value)
        if first is not None:
            # The first deviation is the verdict; the break after it is said beside it.
            broke_after = excinfo.value.summary
            excinfo = pytest.ExceptionInfo.from_exception(first)
    if excinfo is None or not report.failed:
        if report.passed and call.when == "call":
            if case.level == Level.INFORMATIONAL:
                result.verdict = Verdict.INFORMATIONAL
                result.reason = "; ".join(getattr(network, "observations", ()))
            elif deviation is not None:
                result.reason = f"listed as a known deviation, but passed: {deviation.case}"
        elif report.skipped:
            result.verdict = Verdict.UNSUPPORTED
            result.reason = _skip_reason(report)
        else:
            return
    elif excinfo.errisinstance(BindingUnavailable):
        result.verdict = Verdict.BROKEN
        result.reason = str(excinfo.value).splitlines()[0]
        report.longrepr = f"BROKEN: {excinfo.value}"
    elif excinfo.errisinstance(BindingBroken):
        result.verdict = Verdict.BROKEN
        result.reason = str(excinfo.value).splitlines()[0]
        result.failure = _failure(item, excinfo, network)
        result.failure.message = f"broken: {result.reason}"
        result.failure.expected = result.failure.observed = ""  # the message says it all
        _show(item, report, excinfo, result, detail=getattr(excinfo.value, "detail", ""))
    elif excinfo.errisinstance(ZmqError) and excinfo.value.code == ErrorCode.ENOTSUP:
        result.verdict = Verdict.UNSUPPORTED
        result.reason = str(excinfo.value)
        report.outcome = "skipped"
        path, lineno, _ = item.reportinfo()
        report.longrepr = (str(path), (lineno or 0) + 1, f"UNSUPPORTED: {excinfo.value}")
    else:
        result.failure = _failure(item, excinfo, network)
        if broke_after:
            result.failure.message += f" (then the implementation broke: {broke_after})"
        result.verdict = Verdict.FAIL
        if call.when == "call" and not strict:
            if deviation is not None:
                result.verdict = Verdict.KNOWN
                result.reason = deviation.describe()
                report.outcome = "passed"
            elif case.level == Level.SHOULD:
                result.verdict = Verdict.NON_STRICT
                result.reason = result.failure.message
                report.outcome = "passed"
        if report.failed:
            _show(item, report, excinfo, result)
    report.user_properties.append((PROPERTY, result.to_json()))


def first_deviation(broken: BindingBroken) -> BaseException | None:
    """What the implementation did wrong before the binding broke, if anything.

    A binding that answers wrongly and then hangs (a driver that does not
    answer the ``close`` of the sockets the failed check left behind) raises
    :class:`BindingBroken` while the check's own exception is being handled:
    Python keeps that one in the chain of ``__context__``.  The wrong answer
    is what reproduces, and what the maintainer must fix first.  Only a
    check's failure or an error the implementation answered counts: anything
    else in the chain (a frame that is not base64, say) is how it broke.
    """
    seen = broken.__context__
    while seen is not None:
        if isinstance(seen, (AssertionError, ZmqError)):
            return seen
        seen = seen.__context__
    return None


def _failure(item: pytest.Item, excinfo: pytest.ExceptionInfo, network) -> Failure:
    steps = network.trace.steps if network is not None else []
    failure = describe_failure(excinfo, steps, getattr(item, "fixturenames", ()))
    cut_short = f"{Patience.IMPATIENT_MS} ms" in failure.message
    if network is not None and network.patience.impatient and cut_short:
        # The example shown is the shrunk one, whose waits were cut short: say
        # that a full wait decided the verdict, lest "100 ms" read as unfair.
        failure.message += (
            f" (a full {TIMEOUT_MS} ms wait ran out first; later waits of this test were cut "
            f"to {Patience.IMPATIENT_MS} ms)"
        )
    return failure


def _show(
    item: pytest.Item,
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo,
    result: CaseResult,
    detail: str = "",
) -> None:
    """Put the maintainer's failure report where pytest prints the failure.

    With pytest's default ``--tb=auto`` the report replaces the Python
    traceback (the location stays, one line); with an explicit ``--tb``
    style the traceback is kept and the report is added to it.
    """
    config = item.config
    path, lineno = _location(excinfo, config)
    style = config.getoption("tbstyle", "auto")
    location = f"{path}:{lineno} ({excinfo.typename})"
    if style == "auto":
        location += "; --tb=long shows the Python traceback"
    text = report_text(result, config.getoption("zmq_results", None), location)
    if detail:
        text += "\n" + detail
    if style == "auto":
        report.longrepr = FailureReport(text, Crash(path, lineno, result.failure.message))
    elif style != "no" and hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("zmq-conformance failure report", text)


def _location(excinfo: pytest.ExceptionInfo, config: pytest.Config) -> tuple[str, int]:
    """Where the exception was raised, in the innermost frame pytest would show."""
    try:
        entry = excinfo.traceback.filter(excinfo)[-1]
    except IndexError:
        entry = excinfo.traceback[-1]
    path = entry.path
    with contextlib.suppress(ValueError, AttributeError):
        path = path.relative_to(config.rootpath)
    return str(path), entry.lineno + 1


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def verdict_of(report: pytest.TestReport) -> dict[str, Any] | None:
    for name, value in getattr(report, "user_properties", ()):
        if name == PROPERTY:
            return value
    return None


def teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """How a verdict shows in pytest's progress line and summary."""
    info = verdict_of(report)
    verdict = info.get("verdict") if info else None
    if report.failed and verdict == Verdict.BROKEN.value:
        return "error", "B", "BROKEN"
    if report.when == "call" and verdict == Verdict.NON_STRICT.value:
        return "non-strict", "N", "NON-STRICT"
    if report.when == "call" and verdict == Verdict.KNOWN.value:
        return "known", "K", "KNOWN"
    return None
