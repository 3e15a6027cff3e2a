"""A driver for any in-process binding: the driver path with a Python binding behind it.

    python -m conformance.drivers.binding MODULE:FACTORY [--protocol 1]

``FACTORY()`` returns a :class:`conformance.binding.Binding`, as for
``--zmq-binding``; this program serves its sockets over the driver protocol
(version 3, or older with ``--protocol N``).  So a Python implementation, or a
faulty binding of ``tests/faults``, can be tested the way every other
language's implementation is, through ``--zmq-driver``:

    pytest conformance \
        --zmq-driver "python -m conformance.drivers.binding tests.faults:drop_empty_frames"

which is how ``python -m tests.mutation --driver`` proves that the suite
catches every fault through a driver too, not only in process.
"""

from __future__ import annotations

import base64
import importlib
import sys

from conformance.binding import (
    BOOL_OPTIONS,
    BYTES_OPTIONS,
    Binding,
    LingeringSocket,
    PollableSocket,
    Socket,
    ZmqError,
)
from conformance.drivers.pyzmq import (
    PROTOCOL,
    Failure,
    agreed_protocol,
    highest_protocol,
    serve,
)


class BindingDriver:
    """Answers driver-protocol requests with the sockets of one binding."""

    def __init__(self, binding: Binding, highest: int = PROTOCOL) -> None:
        self.binding = binding
        self.highest = highest
        self.protocol = 1  # until hello agrees on one
        self.sockets: dict[str, Socket] = {}
        self.counter = 0

    def sock(self, handle: object) -> Socket:
        try:
            return self.sockets[handle]
        except (KeyError, TypeError):
            raise Failure("EINVAL", f"unknown socket handle {handle!r}") from None

    def op_hello(self, request: dict) -> dict:
        self.protocol = agreed_protocol(request, self.highest)
        capabilities = self.binding.capabilities
        return {
            "protocol": self.protocol,
            "implementation": f"{self.binding.name} {self.binding.version} (binding driver)",
            "socket_types": sorted(capabilities.socket_types),
            "transports": sorted(capabilities.transports),
            "options": sorted(capabilities.options),
        }

    def op_socket(self, request: dict) -> dict:
        handle = request.get("socket") if self.protocol >= 2 else None
        if handle is None:
            self.counter += 1
            handle = f"s{self.counter}"
        elif not isinstance(handle, str) or handle in self.sockets:
            raise Failure("EINVAL", f"socket handle {handle!r} is not a new string")
        self.sockets[handle] = self.binding.socket(request["type"])
        return {"socket": handle}

    def op_set(self, request: dict) -> dict:
        option, value = request["option"], request["value"]
        if option in BYTES_OPTIONS:
            value = base64.b64decode(value, validate=True)
        elif option in BOOL_OPTIONS:
            value = bool(value)
        self.sock(request["socket"]).set(option, value)
        return {}

    def op_bind(self, request: dict) -> dict:
        return {"endpoint": self.sock(request["socket"]).bind(request["endpoint"])}

    def op_connect(self, request: dict) -> dict:
        self.sock(request["socket"]).connect(request["endpoint"])
        return {}

    def op_disconnect(self, request: dict) -> dict:
        self.sock(request["socket"]).disconnect(request["endpoint"])
        return {}

    def op_unbind(self, request: dict) -> dict:
        self.sock(request["socket"]).unbind(request["endpoint"])
        return {}

    def op_send(self, request: dict) -> dict:
        frames = [base64.b64decode(frame, validate=True) for frame in request["frames"]]
        if not frames:
            raise Failure("EINVAL", "a message has at least one frame")
        self.sock(request["socket"]).send(frames, _timeout(request))
        return {}

    def op_recv(self, request: dict) -> dict:
        frames = self.sock(request["socket"]).recv(_timeout(request))
        return {"frames": [base64.b64encode(frame).decode("ascii") for frame in frames]}

    def op_poll(self, request: dict) -> dict:
        """Version 2: the sockets with a message (the binding finds one; then each is asked)."""
        if self.protocol < 2:
            raise Failure("ENOTSUP", "no op 'poll' in protocol 1")
        handles = request["sockets"]
        if not isinstance(handles, list) or not handles:
            raise Failure("EINVAL", "poll needs a non-empty list of sockets")
        socks = [self.sock(handle) for handle in handles]
        first, others = socks[0], socks[1:]
        if not isinstance(first, PollableSocket):
            raise Failure("ENOTSUP", f"{self.binding.name} sockets cannot be polled")
        if first.poll(others, _timeout(request)) is None:
            return {"ready": []}
        return {"ready": [i for i, sock in enumerate(socks) if sock.poll([], 0) is not None]}

    def op_close(self, request: dict) -> dict:
        sock = self.sock(request["socket"])
        linger = request.get("linger", 0) if self.protocol >= 3 else 0
        if not isinstance(linger, int) or isinstance(linger, bool) or linger < 0:
            raise Failure("EINVAL", f"linger is a non-negative integer, not {linger!r}")
        if linger == 0:
            sock.close()
        elif isinstance(sock, LingeringSocket):
            sock.close_lingering(linger)
        else:
            raise Failure("ENOTSUP", f"{self.binding.name} sockets cannot close with a linger")
        del self.sockets[request["socket"]]
        return {}

    def close_all(self) -> None:
        sockets, self.sockets = list(self.sockets.values()), {}
        for sock in sockets:
            sock.close()
        self.binding.close()

    def handle(self, request: dict) -> dict:
        operation = getattr(self, f"op_{request.get('op')}", None)
        if operation is None:
            raise Failure("ENOTSUP", f"no op {request.get('op')!r}")
        try:
            return operation(request)
        except ZmqError as exc:
            raise Failure(exc.code.value, exc.message or str(exc)) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise Failure("EPROTO", f"bad arguments: {exc!r}") from None


def _timeout(request: dict) -> int:
    return max(int(request.get("timeout_ms", 0)), 0)


def load(spec: str) -> Binding:
    """The binding that ``MODULE:FACTORY`` makes; a usage error on stderr and exit 2 otherwise."""
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute) if attribute else None
    except (ImportError, AttributeError) as exc:
        sys.exit(f"binding driver: cannot load {spec!r}: {exc}")
    binding = factory() if callable(factory) else None
    if not isinstance(binding, Binding):
        sys.exit(f"binding driver: {spec!r} is not MODULE:FACTORY of a Binding")
    return binding


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    specs = [arg for i, arg in enumerate(argv) if ":" in arg and argv[i - 1 : i] != ["--protocol"]]
    if len(specs) != 1:
        sys.exit("usage: python -m conformance.drivers.binding MODULE:FACTORY [--protocol N]")
    return serve(BindingDriver(load(specs[0]), highest_protocol(argv)))


if __name__ == "__main__":
    sys.exit(main())
