"""zmq-conformance: a property-based conformance suite for ZeroMQ request-reply sockets.

Run it with ``pytest --pyargs conformance -n auto``; plug in another
implementation with ``--zmq-driver CMD`` (see DRIVER-PROTOCOL.md) or
``--zmq-binding MODULE:FACTORY`` (a :class:`~conformance.binding.Binding`).
"""

from conformance.binding import (
    Binding,
    BindingBroken,
    Capabilities,
    ErrorCode,
    Socket,
    Unsupported,
    ZmqError,
)

__all__ = [
    "Binding",
    "BindingBroken",
    "Capabilities",
    "ErrorCode",
    "Socket",
    "Unsupported",
    "ZmqError",
]
