"""The pytest plugin: options, fixtures, parametrization and reporting.

Registered through the ``pytest11`` entry point, so ``pytest conformance``
from a checkout and ``pytest --pyargs conformance`` after ``pip install``
both find it.  It only uses pytest's own extension points: options are
validated in ``pytest_configure`` (a one-line usage error, never a
traceback), cases are parametrized in ``pytest_generate_tests`` from the
catalogue, and verdicts travel on ``report.user_properties`` so that xdist
carries them from the workers to the controller unchanged.
"""

from __future__ import annotations

import importlib
import shlex
import shutil
import sys
from collections.abc import Iterator

import pytest

from conformance import profiles
from conformance.binding import TRANSPORTS, Binding, BindingBroken, BindingUnavailable
from conformance.bindings.driver import DriverBinding
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.endpoints import Endpoints
from conformance.known import KnownDeviations, KnownDeviationsError
from conformance.network import SELF, Network, Peering, peerings
from conformance.reporting import ResultsReporter
from conformance.testids import case_test_id
from conformance.verdicts import judge, teststatus
from matrix import cases

profiles.register()

FAMILY_MARKER = "zmq_family"
LIBZMQ_PEER_DRIVER = f"{shlex.quote(sys.executable)} -m conformance.drivers.pyzmq"
"""The libzmq end of interop pairs when the implementation is a driver."""
_SETTINGS = pytest.StashKey["Settings"]()


class Settings:
    """The validated command line: what to test, against what, over what."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.option
        self.driver: str | None = option.zmq_driver
        self.binding_spec: str | None = option.zmq_binding
        if self.driver and self.binding_spec:
            raise pytest.UsageError("--driver and --binding are exclusive: choose one")
        if self.driver is not None:
            self._check_driver(self.driver)
        self.libzmq_peer: str = option.zmq_libzmq_peer or LIBZMQ_PEER_DRIVER
        if option.zmq_libzmq_peer is not None:
            if not self.driver:
                raise pytest.UsageError("--libzmq-peer goes with --driver")
            self._check_driver(self.libzmq_peer, "--libzmq-peer")
        self.factory = self._load_factory(self.binding_spec) if self.binding_spec else None
        peer = option.zmq_peer or ("both" if self.driver else "self")
        if peer not in ("self", "libzmq", "both"):
            raise pytest.UsageError(f"--peer must be self, libzmq or both, not {peer!r}")
        self.peer = peer
        self.transports = self._parse_transports(option.zmq_transport)
        for name in ("grace", "startup"):
            if getattr(option, f"zmq_driver_{name}") <= 0:
                raise pytest.UsageError(f"--driver-{name} must be a positive number of seconds")
        self.grace_s: float = option.zmq_driver_grace
        self.startup_s: float = option.zmq_driver_startup
        try:
            self.known = (
                KnownDeviations.load(option.zmq_known) if option.zmq_known else KnownDeviations()
            )
        except KnownDeviationsError as exc:
            raise pytest.UsageError(str(exc)) from None
        self._description: tuple[str, str] | None = None

    @staticmethod
    def _check_driver(command: str, option: str = "--driver") -> None:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise pytest.UsageError(f"{option} {command!r}: {exc}") from None
        if not argv:
            raise pytest.UsageError(f"{option} needs a command")
        if shutil.which(argv[0]) is None:
            raise pytest.UsageError(f"{option}: no such program {argv[0]!r}")

    @staticmethod
    def _load_factory(spec: str):
        module_name, _, attribute = spec.partition(":")
        if not module_name or not attribute:
            raise pytest.UsageError(f"--binding takes MODULE:FACTORY, not {spec!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise pytest.UsageError(
                f"--binding {spec!r}: cannot import {module_name}: {exc}"
            ) from None
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise pytest.UsageError(f"--binding {spec!r}: {module_name} has no factory {attribute}")
        return factory

    @staticmethod
    def _parse_transports(values: list[str] | None) -> tuple[str, ...]:
        if not values:
            return TRANSPORTS
        wanted = {t.strip() for value in values for t in value.split(",") if t.strip()}
        unknown = sorted(wanted - set(TRANSPORTS))
        if unknown:
            raise pytest.UsageError(
                f"--transport: unknown {', '.join(unknown)} (known: {', '.join(TRANSPORTS)})"
            )
        return tuple(t for t in TRANSPORTS if t in wanted)

    def make_binding(self) -> Binding:
        if self.driver:
            return DriverBinding(self.driver, grace_s=self.grace_s, startup_s=self.startup_s)
        if self.factory:
            binding = self.factory()
            if not isinstance(binding, Binding):
                raise pytest.UsageError(f"--binding {self.binding_spec}: not a Binding")
            return binding
        return PyzmqBinding()

    def peerings(self) -> tuple[Peering, ...]:
        return peerings(self.peer)

    def describe(self) -> tuple[str, str]:
        """The implementation's name and version, asking a driver once if need be."""
        if self._description is None:
            binding = self.make_binding()
            try:
                if isinstance(binding, DriverBinding):
                    binding.start()
                self._description = (binding.name, binding.version)
            except BindingBroken as exc:
                self._description = (binding.name, f"BROKEN at start: {exc.summary}")
            finally:
                binding.close()
        return self._description


class Supervisor:
    """Keeps the implementation under test usable from one test to the next.

    A broken driver is restarted before the next test.  After
    ``MAX_CONSECUTIVE_BREAKS`` tests in a row broke it, or if it never got
    through ``hello`` at all, the rest of the run reports BROKEN at once
    instead of paying a timeout per test: the run ends in bounded time
    whatever the driver does.
    """

    MAX_CONSECUTIVE_BREAKS = 3

    def __init__(self, binding: Binding) -> None:
        self.binding = binding
        self.consecutive_breaks = 0
        self.last_break: BindingBroken | None = None
        self.ever_started = False

    def before_test(self) -> None:
        binding = self.binding
        if not isinstance(binding, DriverBinding) or binding.running:
            return
        if self.consecutive_breaks >= self.MAX_CONSECUTIVE_BREAKS:
            last = self.last_break
            raise BindingBroken(
                f"not run: the driver broke in {self.consecutive_breaks} tests in a row; "
                f"last: {last.summary if last else 'unknown'}",
                last.detail if last else "",
            )
        try:
            binding.start()
        except BindingBroken as exc:
            self._count(exc)
            if not self.ever_started:
                self.consecutive_breaks = self.MAX_CONSECUTIVE_BREAKS
            raise
        self.ever_started = True

    def after_test(self) -> None:
        broken = getattr(self.binding, "broken", None)
        if broken is not None:
            self._count(broken)
        else:
            self.consecutive_breaks = 0

    def _count(self, exc: BindingBroken) -> None:
        self.consecutive_breaks += 1
        self.last_break = exc


# -- options and configuration -------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zmq-conformance", "ZeroMQ request-reply conformance")
    group.addoption(
        "--driver",
        dest="zmq_driver",
        metavar="CMD",
        help="test the implementation behind a driver program (DRIVER-PROTOCOL.md v1)",
    )
    group.addoption(
        "--binding",
        dest="zmq_binding",
        metavar="MODULE:FACTORY",
        help="test an in-process binding: FACTORY() returns a conformance.binding.Binding",
    )
    group.addoption(
        "--peer",
        dest="zmq_peer",
        metavar="self|libzmq|both",
        help="who provides the other end of each pair "
        "(default: both with --driver, self otherwise)",
    )
    group.addoption(
        "--transport",
        dest="zmq_transport",
        action="append",
        metavar="NAMES",
        help="restrict to these transports (comma-separated: tcp,ipc,inproc)",
    )
    group.addoption(
        "--results",
        dest="zmq_results",
        metavar="PATH",
        help="write every verdict, with failure reproductions, to this JSON file",
    )
    group.addoption(
        "--known",
        dest="zmq_known",
        metavar="PATH",
        help="a known-deviations registry (TOML): its failing cases report KNOWN",
    )
    group.addoption(
        "--libzmq-peer",
        dest="zmq_libzmq_peer",
        metavar="CMD",
        help="with --driver: the driver that provides the libzmq end of interop pairs "
        "(default: our pyzmq driver, in a process of its own)",
    )
    group.addoption(
        "--driver-grace",
        dest="zmq_driver_grace",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long past its timeout a driver may take to answer (default 2)",
    )
    group.addoption(
        "--driver-startup",
        dest="zmq_driver_startup",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a driver may take to start and answer hello (default 10)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{FAMILY_MARKER}(name): run this test once per case of a catalogue family"
    )
    config.stash[_SETTINGS] = Settings(config)
    config.pluginmanager.register(
        ResultsReporter(config, config.stash[_SETTINGS]), "zmq-conformance-results"
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[_SETTINGS]
    name, version = settings.describe()
    return [
        f"zmq-conformance: implementation under test: {name}: {version}",
        f"zmq-conformance: peer: {settings.peer}; transports: {', '.join(settings.transports)}",
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(FAMILY_MARKER)
    if marker is None:
        return

    settings = metafunc.config.stash[_SETTINGS]
    params = [
        pytest.param(case, peering, id=case_test_id(case.id, peering.id))
        for family in marker.args
        for case in cases(family)
        if case.transport in settings.transports
        for peering in settings.peerings()
        if peering == SELF or case.transport != "inproc"
    ]
    metafunc.parametrize(("case", "peering"), params)


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def supervisor(pytestconfig: pytest.Config) -> Iterator[Supervisor]:
    """The implementation under test, one per xdist worker."""
    binding = pytestconfig.stash[_SETTINGS].make_binding()
    yield Supervisor(binding)
    binding.close()


@pytest.fixture(scope="session")
def libzmq_peer(pytestconfig: pytest.Config) -> Iterator[Supervisor]:
    """The known-good peer: libzmq through pyzmq.

    When the implementation under test is a driver, this peer is our pyzmq
    driver in a process of its own: an implementation that speaks broken
    ZMTP can make libzmq abort (a ZMTP 2.0 peer trips an assertion in
    libzmq 4.3.5), and that must end one test as BROKEN with libzmq's
    stderr, not the whole run.  In-process bindings share our process
    anyway, so their peer does too.
    """
    settings = pytestconfig.stash[_SETTINGS]
    if settings.driver:
        binding: Binding = DriverBinding(
            settings.libzmq_peer,
            grace_s=settings.grace_s,
            startup_s=settings.startup_s,
            label="the libzmq peer (our pyzmq driver)",
        )
    else:
        binding = PyzmqBinding()
    yield Supervisor(binding)
    binding.close()


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    allocator = Endpoints()
    yield allocator
    allocator.cleanup()


@pytest.fixture
def peering() -> Peering:
    """Who provides each end; catalogue tests are parametrized over it."""
    return SELF


@pytest.fixture
def network(
    request: pytest.FixtureRequest,
    supervisor: Supervisor,
    libzmq_peer: Supervisor,
    endpoints: Endpoints,
    peering: Peering,
) -> Iterator[Network]:
    """Sockets for one test, from the peering it is parametrized with."""
    supervisors = [supervisor] if peering == SELF else [supervisor, libzmq_peer]
    try:
        for each in supervisors:
            each.before_test()
    except BindingBroken as exc:
        raise BindingUnavailable(str(exc)) from None
    callspec = getattr(request.node, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    if case is not None:
        _skip_unsupported(supervisor.binding, case)
    net = Network(supervisor.binding, libzmq_peer.binding, peering, endpoints)
    yield net
    try:
        net.close()
    except BindingBroken:
        pass
    finally:
        for each in supervisors:
            each.after_test()


def _skip_unsupported(binding: Binding, case) -> None:
    caps = binding.capabilities
    missing = [t for t in (case.pairing.connects, case.pairing.binds) if t not in caps.socket_types]
    if case.transport not in caps.transports:
        missing.append(case.transport)
    if missing:
        pytest.skip(f"UNSUPPORTED: the implementation does not list {', '.join(missing)}")


# -- verdicts and reporting -----------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    judge(item, call, report, item.config.stash[_SETTINGS].known)
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    return teststatus(report)
