"""The fixtures of the checks: the implementation under test, its libzmq peer, and the network.

They live beside the checks, not in the plugin, so that a pytest session
that runs no conformance case never sees them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.binding import Binding, BindingBroken, BindingUnavailable
from conformance.bindings.driver import DriverBinding
from conformance.bindings.pyzmq import PyzmqBinding
from conformance.catalogue import SELF, Peering
from conformance.harness.endpoints import Endpoints
from conformance.harness.network import Network
from conformance.plugin import settings_of
from conformance.plugin.settings import Supervisor


@pytest.fixture(scope="session")
def supervisor(pytestconfig: pytest.Config) -> Iterator[Supervisor]:
    """The implementation under test, one per xdist worker."""
    binding = settings_of(pytestconfig).make_binding()
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
    settings = settings_of(pytestconfig)
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
