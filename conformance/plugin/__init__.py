"""The pytest plugin: asleep in every session but the ones that run the suite.

Registered through the ``pytest11`` entry point, so it is loaded into every
pytest session of an environment where zmq-conformance is installed.  Like
Hypothesis's own plugin, it costs such a session nothing: importing this
module imports neither pyzmq nor Hypothesis, every option is prefixed
(``--zmq-...``), and until the plugin wakes it adds no header line,
registers no Hypothesis profile, builds no binding and reports nothing.

It wakes in :func:`pytest_configure` when one of its options is given or
when the paths to collect reach into the ``conformance`` package, and
otherwise when a collector inside that package starts (a conformance test is
about to be collected).  Awake, it registers :class:`ConformanceSession`,
which holds the hooks that parametrize cases from the catalogue, turn
outcomes into verdicts and write the results; the fixtures of the checks
are in ``conformance/checks/conftest.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.plugin.settings import Settings

FAMILY_MARKER = "zmq_family"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``conformance`` package: collecting anything in it wakes the plugin."""

OPTION_PREFIX = "--zmq-"
RENAMED_OPTIONS = {
    "--driver": "--zmq-driver",
    "--binding": "--zmq-binding",
    "--peer": "--zmq-peer",
    "--transport": "--zmq-transport",
    "--results": "--zmq-results",
    "--known": "--zmq-known",
    "--libzmq-peer": "--zmq-libzmq-peer",
    "--driver-grace": "--zmq-driver-grace",
    "--driver-startup": "--zmq-driver-startup",
}
"""The option names of releases before 2026-12-07, which other plugins may own."""

_SETTINGS = pytest.StashKey["Settings"]()


def settings_of(config: pytest.Config) -> Settings:
    """The validated options of an awake plugin."""
    return config.stash[_SETTINGS]


# -- asleep: options, and deciding whether to wake --------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zmq-conformance", "ZeroMQ request-reply conformance")
    group.addoption(
        "--zmq-driver",
        dest="zmq_driver",
        metavar="CMD",
        help="test the implementation behind a driver program (docs/driver-protocol.md)",
    )
    group.addoption(
        "--zmq-binding",
        dest="zmq_binding",
        metavar="MODULE:FACTORY",
        help="test an in-process binding: FACTORY() returns a conformance.binding.Binding",
    )
    group.addoption(
        "--zmq-peer",
        dest="zmq_peer",
        metavar="self|libzmq|both",
        help="who provides the other end of each pair "
        "(default: both with --zmq-driver, self otherwise)",
    )
    group.addoption(
        "--zmq-transport",
        dest="zmq_transport",
        action="append",
        metavar="NAMES",
        help="restrict to these transports (comma-separated: tcp,ipc,inproc)",
    )
    group.addoption(
        "--zmq-results",
        dest="zmq_results",
        metavar="PATH",
        help="write every verdict, with failure reproductions, to this JSON file",
    )
    group.addoption(
        "--zmq-known",
        dest="zmq_known",
        metavar="PATH",
        help="a known-deviations registry (TOML): its failing cases report KNOWN",
    )
    group.addoption(
        "--zmq-strict",
        dest="zmq_strict",
        action="store_true",
        default=False,
        help="NON-STRICT and KNOWN cases fail the run too",
    )
    group.addoption(
        "--zmq-libzmq-peer",
        dest="zmq_libzmq_peer",
        metavar="CMD",
        help="with --zmq-driver: the driver that provides the libzmq end of interop pairs "
        "(default: our pyzmq driver, in a process of its own)",
    )
    group.addoption(
        "--zmq-driver-grace",
        dest="zmq_driver_grace",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long past its timeout a driver may take to answer (default 2)",
    )
    group.addoption(
        "--zmq-driver-startup",
        dest="zmq_driver_startup",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a driver may take to start and answer hello (default 10)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args):
    """An option under its old name is a one-line error naming the new one.

    Only where no other plugin (or conftest) owns the old name: ``--driver``
    is pytest-selenium's, and then it is theirs, not a mistake.
    """
    result = yield
    owned = {
        name
        for option in [*parser._anonymous.options, *(o for g in parser._groups for o in g.options)]
        for name in option.names()
    }
    for arg in args:
        if arg == "--":
            break
        old = arg.split("=", 1)[0]
        if old in RENAMED_OPTIONS and old not in owned:
            raise pytest.UsageError(
                f"zmq-conformance: {old} is now {RENAMED_OPTIONS[old]} "
                "(every option of ours starts with --zmq-)"
            )
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{FAMILY_MARKER}(name): run this test once per case of a catalogue family"
    )
    # tryfirst: before Hypothesis's plugin loads a --hypothesis-profile of ours.
    if _asked_for(config):
        wake(config)


def pytest_collectstart(collector: pytest.Collector) -> None:
    path = getattr(collector, "path", None)
    if path is not None and _within(Path(path), PACKAGE_DIR):
        wake(collector.config)


def _asked_for(config: pytest.Config) -> bool:
    """An option of ours was given, or the paths to collect reach into the package."""
    option = config.option
    given = (
        option.zmq_driver,
        option.zmq_binding,
        option.zmq_peer,
        option.zmq_transport,
        option.zmq_results,
        option.zmq_known,
        option.zmq_libzmq_peer,
        option.zmq_strict,
    )
    if any(value not in (None, False) for value in given):
        return True
    return any(_reaches_package(arg, config) for arg in config.args)


def _reaches_package(arg: str, config: pytest.Config) -> bool:
    target = arg.split("::", 1)[0]
    if config.option.pyargs:
        try:
            spec = importlib.util.find_spec(target)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            origin = Path(spec.origin).resolve()
            target = str(origin.parent if origin.name == "__init__.py" else origin)
    path = Path(config.invocation_params.dir, target).resolve()
    return _within(path, PACKAGE_DIR) or _within(PACKAGE_DIR, path)


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


# -- awake ------------------------------------------------------------------------


def wake(config: pytest.Config) -> None:
    """Set the plugin to work for this session (once; later calls do nothing)."""
    if _SETTINGS in config.stash:
        return
    from conformance.plugin import profiles
    from conformance.plugin.reporting import ResultsReporter
    from conformance.plugin.settings import Settings

    profiles.register()
    if not config.getoption("hypothesis_profile", None):
        profiles.load_default()
    settings = Settings(config)
    config.stash[_SETTINGS] = settings
    config.pluginmanager.register(ConformanceSession(settings), "zmq-conformance-session")
    config.pluginmanager.register(ResultsReporter(config, settings), "zmq-conformance-results")


class ConformanceSession:
    """The hooks of an awake plugin: header, parametrization, verdicts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        name, version = self.settings.describe()
        return [
            f"zmq-conformance: implementation under test: {name}: {version}",
            f"zmq-conformance: peer: {self.settings.peer}; "
            f"transports: {', '.join(self.settings.transports)}",
        ]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker(FAMILY_MARKER)
        if marker is None:
            return
        from conformance.catalogue import SELF, cases
        from conformance.plugin.testids import case_test_id

        params = [
            pytest.param(case, peering, id=case_test_id(case.id, peering.id))
            for family in marker.args
            for case in cases(family)
            if case.transport in self.settings.transports
            for peering in self.settings.peerings()
            if peering == SELF or case.transport != "inproc"
        ]
        metafunc.parametrize(("case", "peering"), params)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        from conformance.plugin.profiles import bound_shrinking, quiet_about_slow_shrinking

        bound_shrinking()
        with quiet_about_slow_shrinking():
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        from conformance.plugin.verdicts import judge

        report = yield
        judge(item, call, report, self.settings.known)
        return report

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        from conformance.plugin.verdicts import teststatus

        return teststatus(report)
