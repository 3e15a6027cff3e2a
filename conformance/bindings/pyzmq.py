"""The built-in binding: pyzmq and the libzmq it was built with, in this process.

It is the default implementation under test and, in ``--zmq-peer libzmq`` runs,
the known-good other end of every pair.  One ``zmq.Context`` serves the whole
binding (a shared context is 2-5x faster than one per example); isolation
comes from fresh sockets with zero linger, never from fresh contexts.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

import zmq

from conformance.binding import (
    BOOL_OPTIONS,
    BYTES_OPTIONS,
    SOCKET_TYPES,
    Capabilities,
    ErrorCode,
    Frames,
    OptionValue,
    ZmqError,
)

_ERRNO_CODES = {
    errno.EAGAIN: ErrorCode.EAGAIN,
    zmq.EFSM: ErrorCode.EFSM,
    errno.EHOSTUNREACH: ErrorCode.EHOSTUNREACH,
    errno.EINVAL: ErrorCode.EINVAL,
    zmq.ENOTSUP: ErrorCode.ENOTSUP,
    zmq.EPROTONOSUPPORT: ErrorCode.ENOTSUP,
}


def _zmq_error(exc: zmq.ZMQError) -> ZmqError:
    return ZmqError(_ERRNO_CODES.get(exc.errno, ErrorCode.EOTHER), exc.strerror)


class PyzmqSocket:
    """A :class:`conformance.binding.Socket` over one ``zmq.Socket``."""

    def __init__(self, sock: zmq.Socket, type: str) -> None:
        self.type = type
        self._sock = sock
        self._sndtimeo = -1
        self._rcvtimeo = -1

    def set(self, option: str, value: OptionValue) -> None:
        if option in BYTES_OPTIONS:
            if not isinstance(value, bytes):
                raise ZmqError(ErrorCode.EINVAL, f"{option} takes bytes")
        elif option in BOOL_OPTIONS:
            value = int(bool(value))
        constant = getattr(zmq, option, None)
        if constant is None:
            raise ZmqError(ErrorCode.ENOTSUP, f"no option {option}")
        try:
            self._sock.setsockopt(constant, value)
        except zmq.ZMQError as exc:
            raise _zmq_error(exc) from None

    def bind(self, endpoint: str) -> str:
        try:
            self._sock.bind(endpoint)
        except zmq.ZMQError as exc:
            raise _zmq_error(exc) from None
        return self._sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def connect(self, endpoint: str) -> None:
        self._call(self._sock.connect, endpoint)

    def disconnect(self, endpoint: str) -> None:
        self._call(self._sock.disconnect, endpoint)

    def unbind(self, endpoint: str) -> None:
        self._call(self._sock.unbind, endpoint)

    def send(self, frames: Sequence[bytes], timeout_ms: int) -> None:
        if not frames:
            raise ZmqError(ErrorCode.EINVAL, "a message has at least one frame")
        flags = 0
        if timeout_ms <= 0:
            flags = zmq.NOBLOCK
        elif timeout_ms != self._sndtimeo:
            self._sock.setsockopt(zmq.SNDTIMEO, timeout_ms)
            self._sndtimeo = timeout_ms
        self._call(self._sock.send_multipart, frames, flags)

    def recv(self, timeout_ms: int) -> Frames:
        flags = 0
        if timeout_ms <= 0:
            flags = zmq.NOBLOCK
        elif timeout_ms != self._rcvtimeo:
            self._sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
            self._rcvtimeo = timeout_ms
        return self._call(self._sock.recv_multipart, flags)

    def poll(self, others: Sequence[PyzmqSocket], timeout_ms: int) -> int | None:
        """Which of this socket and ``others`` first has a message: one ``zmq_poll``."""
        socks = [self, *others]
        if not all(isinstance(s, PyzmqSocket) for s in socks):
            raise ZmqError(ErrorCode.ENOTSUP, "poll needs pyzmq sockets")
        poller = zmq.Poller()
        for sock in socks:
            poller.register(sock._sock, zmq.POLLIN)
        ready = dict(self._call(poller.poll, max(timeout_ms, 0)))
        return next((i for i, s in enumerate(socks) if ready.get(s._sock, 0) & zmq.POLLIN), None)

    def close(self) -> None:
        self._sock.close(linger=0)

    def close_lingering(self, linger_ms: int) -> None:
        self._sock.close(linger=linger_ms)

    @staticmethod
    def _call(operation, *args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except zmq.ZMQError as exc:
            raise _zmq_error(exc) from None


class PyzmqBinding:
    """A :class:`conformance.binding.Binding` over pyzmq's libzmq."""

    capabilities = Capabilities()

    def __init__(self) -> None:
        self.name = "libzmq (pyzmq)"
        self.version = f"libzmq {zmq.zmq_version()}, pyzmq {zmq.__version__}"
        self._context = zmq.Context()
        self._sockets: list[PyzmqSocket] = []

    def socket(self, type: str) -> PyzmqSocket:
        if type not in SOCKET_TYPES:
            raise ZmqError(ErrorCode.ENOTSUP, f"no socket type {type}")
        sock = self._context.socket(getattr(zmq, type))
        sock.setsockopt(zmq.LINGER, 0)
        wrapped = PyzmqSocket(sock, type)
        self._sockets = [s for s in self._sockets if not s._sock.closed]
        self._sockets.append(wrapped)
        return wrapped

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        self._context.term()
