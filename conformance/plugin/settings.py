"""The validated command line, and the supervisor of the implementation under test.

Built once per pytest process when the plugin wakes (see :mod:`conformance.plugin`):
a bad option is a one-line :class:`pytest.UsageError`, never a traceback.
"""

from __future__ import annotations

import importlib
import shlex
import shutil
import sys

import pytest

from conformance.binding import TRANSPORTS, Binding, BindingBroken
from conformance.bindings.driver import DriverBinding
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.catalogue import Peering, peerings
from conformance.plugin.known import KnownDeviations, KnownDeviationsError

LIBZMQ_PEER_DRIVER = f"{shlex.quote(sys.executable)} -m conformance.drivers.pyzmq"
"""The libzmq end of interop pairs when the implementation is a driver."""


class Settings:
    """The validated command line: what to test, against what, over what."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.option
        self.driver: str | None = option.zmq_driver
        self.binding_spec: str | None = option.zmq_binding
        if self.driver and self.binding_spec:
            raise pytest.UsageError("--zmq-driver and --zmq-binding are exclusive: choose one")
        if self.driver is not None:
            self._check_driver(self.driver)
        self.libzmq_peer: str = option.zmq_libzmq_peer or LIBZMQ_PEER_DRIVER
        if option.zmq_libzmq_peer is not None:
            if not self.driver:
                raise pytest.UsageError("--zmq-libzmq-peer goes with --zmq-driver")
            self._check_driver(self.libzmq_peer, "--zmq-libzmq-peer")
        self.factory = self._load_factory(self.binding_spec) if self.binding_spec else None
        peer = option.zmq_peer or ("both" if self.driver else "self")
        if peer not in ("self", "libzmq", "both"):
            raise pytest.UsageError(f"--zmq-peer must be self, libzmq or both, not {peer!r}")
        self.peer = peer
        self.transports = self._parse_transports(option.zmq_transport)
        for name in ("grace", "startup"):
            if getattr(option, f"zmq_driver_{name}") <= 0:
                raise pytest.UsageError(f"--zmq-driver-{name} must be a positive number of seconds")
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
    def _check_driver(command: str, option: str = "--zmq-driver") -> None:
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
            raise pytest.UsageError(f"--zmq-binding takes MODULE:FACTORY, not {spec!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise pytest.UsageError(
                f"--zmq-binding {spec!r}: cannot import {module_name}: {exc}"
            ) from None
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise pytest.UsageError(
                f"--zmq-binding {spec!r}: {module_name} has no factory {attribute}"
            )
        return factory

    @staticmethod
    def _parse_transports(values: list[str] | None) -> tuple[str, ...]:
        if not values:
            return TRANSPORTS
        wanted = {t.strip() for value in values for t in value.split(",") if t.strip()}
        unknown = sorted(wanted - set(TRANSPORTS))
        if unknown:
            raise pytest.UsageError(
                f"--zmq-transport: unknown {', '.join(unknown)} (known: {', '.join(TRANSPORTS)})"
            )
        return tuple(t for t in TRANSPORTS if t in wanted)

    def make_binding(self) -> Binding:
        if self.driver:
            return DriverBinding(self.driver, grace_s=self.grace_s, startup_s=self.startup_s)
        if self.factory:
            binding = self.factory()
            if not isinstance(binding, Binding):
                raise pytest.UsageError(f"--zmq-binding {self.binding_spec}: not a Binding")
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
