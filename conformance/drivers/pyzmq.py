#!/usr/bin/env python3
"""A conformance driver over any pyzmq-compatible ``zmq`` module.

This is the worked example of docs/driver-protocol.md for binding
maintainers: read one JSON request per line on stdin, answer with one JSON
response per line on stdout, and map every failure to a protocol error code.
It speaks versions 1 to 3 (2 adds ``poll`` and sockets named by the suite,
3 a ``close`` with a linger);
``--protocol 1`` (or ``ZC_DRIVER_PROTOCOL=1`` in its environment) holds it
to version 1, as a driver written before version 2 is:

    python3 -m conformance.drivers.pyzmq --protocol 1

It imports only the standard library and ``zmq``, and keeps to Python 3.6
syntax, so the same file can drive Debian's libzmq under Debian's own
python3, or a pyzmq-compatible implementation under another interpreter:

    python3 -m conformance.drivers.pyzmq
    python3 path/to/pyzmq.py          # the file alone, no install needed

It runs on every pyzmq from 16 on (libzmq 4.1 and later): a name that an
older ``zmq`` module spells differently is looked up by its older spelling
(pyzmq before 18 knows ``ROUTING_ID`` only as ``IDENTITY``), ``hello``
lists only the socket types, transports and options that the installed
module really has, and an unexpected exception inside a request is
answered ``EOTHER`` with its message instead of ending the driver.
"""

import base64
import contextlib
import errno
import json
import os
import sys

import zmq

PROTOCOL = 3
"""The newest driver-protocol version this driver speaks; it speaks every one from 1."""
PROTOCOL_ENV = "ZC_DRIVER_PROTOCOL"

OLDER_NAMES = {
    # protocol name: older names of the same constant, newest first
    "ROUTING_ID": ["IDENTITY"],  # renamed in libzmq 4.2.3; pyzmq has it from 18
    "IMMEDIATE": ["DELAY_ATTACH_ON_CONNECT"],  # renamed in libzmq 3.3
    "DEALER": ["XREQ"],
    "ROUTER": ["XREP"],
}


def constant(name):
    """The zmq module's value for protocol name NAME, or None if it has none."""
    for spelling in [name, *OLDER_NAMES.get(name, [])]:
        value = getattr(zmq, spelling, None)
        if isinstance(value, int) and value >= 0:
            return value
    return None


def available(names):
    """NAME -> value for each of NAMES that the installed zmq module has."""
    found = {}
    for name in names:
        value = constant(name)
        if value is not None:
            found[name] = value
    return found


def transports():
    """tcp and inproc are in every libzmq; ipc only where zmq.has() says so."""
    names = ["tcp", "ipc", "inproc"]
    has = getattr(zmq, "has", None)
    if callable(has):
        try:
            if not has("ipc"):
                names.remove("ipc")
        except Exception:
            pass  # a module that cannot tell: ipc is tried, and fails honestly
    return names


SOCKET_TYPES = available(["REQ", "REP", "DEALER", "ROUTER"])
TRANSPORTS = transports()
BOOL_OPTIONS = available(
    [
        "ROUTER_MANDATORY",
        "ROUTER_HANDOVER",
        "REQ_RELAXED",
        "REQ_CORRELATE",
        "PROBE_ROUTER",
        "IMMEDIATE",
    ]
)
INT_OPTIONS = available(["SNDHWM", "RCVHWM", "LINGER", "MAXMSGSIZE", "RECONNECT_IVL"])
OPTIONS = available(["ROUTING_ID"])
OPTIONS.update(BOOL_OPTIONS)
OPTIONS.update(INT_OPTIONS)

ERRNO_CODES = {
    errno.EAGAIN: "EAGAIN",
    zmq.EFSM: "EFSM",
    errno.EHOSTUNREACH: "EHOSTUNREACH",
    errno.EINVAL: "EINVAL",
    zmq.ENOTSUP: "ENOTSUP",
    zmq.EPROTONOSUPPORT: "ENOTSUP",
}


class Failure(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


def unexpected(exc):
    """The EOTHER failure for an exception that no handler expected."""
    return Failure("EOTHER", "%s: %s" % (type(exc).__name__, exc))


def agreed_protocol(hello, highest):
    """The newest version that HELLO offers and this driver speaks (up to HIGHEST).

    ``protocol`` is the version the suite speaks; ``protocols`` (from
    version 2) every version it speaks.
    """
    offered = hello.get("protocols")
    if not isinstance(offered, list):
        offered = [hello.get("protocol")]
    shared = [v for v in offered if isinstance(v, int) and 1 <= v <= highest]
    if not shared:
        raise Failure("ENOTSUP", "this driver speaks protocols 1 to %d" % highest)
    return max(shared)


class Driver(object):
    def __init__(self, highest=PROTOCOL):
        self.context = zmq.Context()
        self.sockets = {}
        self.timeouts = {}  # handle: [SNDTIMEO, RCVTIMEO] as last set
        self.counter = 0
        self.highest = highest
        self.protocol = 1  # until hello agrees on one

    def sock(self, request):
        try:
            return self.sockets[request["socket"]]
        except KeyError:
            raise Failure("EINVAL", "unknown socket handle %r" % request.get("socket")) from None

    def op_hello(self, request):
        self.protocol = agreed_protocol(request, self.highest)
        return {
            "protocol": self.protocol,
            "implementation": "libzmq %s (pyzmq %s, driver)"
            % (zmq.zmq_version(), getattr(zmq, "__version__", "unknown")),
            "socket_types": list(SOCKET_TYPES),
            "transports": list(TRANSPORTS),
            "options": list(OPTIONS),
        }

    def op_socket(self, request):
        kind = request.get("type")
        if kind not in SOCKET_TYPES:
            raise Failure("ENOTSUP", "no socket type %r" % kind)
        handle = request.get("socket") if self.protocol >= 2 else None
        if handle is None:
            self.counter += 1
            handle = "s%d" % self.counter
        elif not isinstance(handle, str) or handle in self.sockets:
            raise Failure("EINVAL", "socket handle %r is not a new string" % (handle,))
        sock = self.context.socket(SOCKET_TYPES[kind])
        sock.setsockopt(zmq.LINGER, 0)
        self.sockets[handle] = sock
        self.timeouts[handle] = [None, None]
        return {"socket": handle}

    def op_set(self, request):
        option, value = request.get("option"), request.get("value")
        if option not in OPTIONS:
            raise Failure("ENOTSUP", "no option %r" % option)
        if option == "ROUTING_ID":
            value = base64.b64decode(value, validate=True)
        elif option in BOOL_OPTIONS:
            value = int(bool(value))
        self.sock(request).setsockopt(OPTIONS[option], value)
        return {}

    def op_bind(self, request):
        sock = self.sock(request)
        sock.bind(request["endpoint"])
        return {"endpoint": sock.getsockopt(zmq.LAST_ENDPOINT).decode()}

    def op_connect(self, request):
        self.sock(request).connect(request["endpoint"])
        return {}

    def op_disconnect(self, request):
        self.sock(request).disconnect(request["endpoint"])
        return {}

    def op_unbind(self, request):
        self.sock(request).unbind(request["endpoint"])
        return {}

    def op_send(self, request):
        sock = self.sock(request)
        frames = [base64.b64decode(f, validate=True) for f in request["frames"]]
        if not frames:
            raise Failure("EINVAL", "a message has at least one frame")
        self.timeout(request, sock, 0, zmq.SNDTIMEO)
        sock.send_multipart(frames)
        return {}

    def op_recv(self, request):
        sock = self.sock(request)
        self.timeout(request, sock, 1, zmq.RCVTIMEO)
        frames = sock.recv_multipart()
        return {"frames": [base64.b64encode(f).decode("ascii") for f in frames]}

    def timeout(self, request, sock, which, option):
        """Set SNDTIMEO or RCVTIMEO to the request's timeout_ms, unless it is set already."""
        timeout = max(int(request.get("timeout_ms", 0)), 0)
        last = self.timeouts[request["socket"]]
        if last[which] != timeout:
            sock.setsockopt(option, timeout)
            last[which] = timeout

    def op_poll(self, request):
        """Version 2: the indexes of the sockets with a message to receive, within timeout_ms."""
        if self.protocol < 2:
            raise Failure("ENOTSUP", "no op 'poll' in protocol 1")
        handles = request["sockets"]
        if not isinstance(handles, list) or not handles:
            raise Failure("EINVAL", "poll needs a non-empty list of sockets")
        poller = zmq.Poller()
        socks = []
        for handle in handles:
            sock = self.sock({"socket": handle})
            socks.append(sock)
            poller.register(sock, zmq.POLLIN)
        events = dict(poller.poll(max(int(request.get("timeout_ms", 0)), 0)))
        return {"ready": [i for i, sock in enumerate(socks) if events.get(sock, 0) & zmq.POLLIN]}

    def op_close(self, request):
        linger = request.get("linger", 0) if self.protocol >= 3 else 0
        if not isinstance(linger, int) or isinstance(linger, bool) or linger < 0:
            raise Failure("EINVAL", "linger is a non-negative integer, not %r" % (linger,))
        self.sock(request).close(linger=linger)
        del self.sockets[request["socket"]]
        del self.timeouts[request["socket"]]
        return {}

    def close_all(self):
        sockets, self.sockets = list(self.sockets.values()), {}
        self.timeouts = {}
        for sock in sockets:
            sock.close(linger=0)
        self.context.term()

    def handle(self, request):
        """The results of REQUEST, or a Failure: whatever is raised inside becomes one."""
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            raise Failure("ENOTSUP", "no op %r" % request.get("op"))
        try:
            return operation(request)
        except Failure:
            raise
        except zmq.ZMQError as exc:
            code = ERRNO_CODES.get(exc.errno, "EOTHER")
            raise Failure(code, str(exc.strerror or exc)) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise Failure("EPROTO", "bad arguments: %r" % (exc,)) from None
        except Exception as exc:
            raise unexpected(exc) from None


def refusal(response, failure):
    """RESPONSE made the error response for FAILURE."""
    response.update(ok=False, error=failure.code, message=failure.message)
    return response


def answer(out, response):
    """Write RESPONSE as one line; one that cannot be written becomes an EOTHER response."""
    try:
        line = json.dumps(response)
    except Exception as exc:
        line = json.dumps(refusal({"id": response.get("id")}, unexpected(exc)))
    out.write(line + "\n")
    out.flush()


def parse(line):
    """The request object on LINE, or a Failure (EPROTO)."""
    try:
        request = json.loads(line.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Failure("EPROTO", "unparsable request: %s" % exc) from None
    if not isinstance(request, dict):
        raise Failure("EPROTO", "unparsable request: not an object")
    return request


def protocol_output():
    """The responses' own file; stdout (fd 1) then goes to stderr.

    libzmq itself may print on stdout (4.1 puts "NULL I: client sent invalid
    NULL handshake" there): a line like that among the responses would break
    the protocol, so only the responses keep the original stdout.
    """
    try:
        sys.stdout.flush()
        fd = os.dup(1)
        os.dup2(2, 1)
    except (AttributeError, OSError, ValueError):
        return sys.stdout  # no file descriptors to move: stdout stays shared
    return os.fdopen(fd, "w")


def highest_protocol(argv):
    """The newest version to speak: PROTOCOL, or less by --protocol N or ZC_DRIVER_PROTOCOL."""
    value = os.environ.get(PROTOCOL_ENV)
    if "--protocol" in argv[:-1]:
        value = argv[argv.index("--protocol") + 1]
    if value is None:
        return PROTOCOL
    try:
        highest = int(value)
    except ValueError:
        highest = 0
    if not 1 <= highest <= PROTOCOL:
        sys.stderr.write("--protocol takes 1 to %d, not %r\n" % (PROTOCOL, value))
        sys.exit(2)
    return highest


def main(argv=None):
    return serve(Driver(highest_protocol(sys.argv[1:] if argv is None else argv)))


def serve(driver):
    """Answer DRIVER's requests from stdin until ``bye`` or the end of stdin.

    DRIVER has ``handle(request)``, which returns the results or raises a
    Failure, and ``close_all()``.
    """
    out = protocol_output()
    for line in sys.stdin.buffer:
        try:
            request = parse(line)
        except Failure as failure:
            answer(out, refusal({"id": None}, failure))
            continue
        response = {"id": request.get("id")}
        try:
            if request.get("op") == "bye":
                driver.close_all()
            else:
                response.update(driver.handle(request))
            response["ok"] = True
        except Failure as failure:
            refusal(response, failure)
        except Exception as exc:  # a subclass's handle() that let one through
            refusal(response, unexpected(exc))
        answer(out, response)
        if request.get("op") == "bye":
            return 0
    with contextlib.suppress(Exception):  # stdin is closed: there is no one left to tell
        driver.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
