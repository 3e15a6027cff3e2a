#!/usr/bin/env python3
"""A conformance driver over any pyzmq-compatible ``zmq`` module.

This is the worked example of DRIVER-PROTOCOL.md version 1 for binding
maintainers: read one JSON request per line on stdin, answer with one JSON
response per line on stdout, and map every failure to a protocol error code.

It imports only the standard library and ``zmq``, and keeps to Python 3.6
syntax, so the same file can drive Debian's libzmq under Debian's own
python3, or a pyzmq-compatible implementation under another interpreter:

    python3 -m conformance.drivers.pyzmq
    python3 path/to/pyzmq.py          # the file alone, no install needed
"""

import base64
import errno
import json
import sys

import zmq

PROTOCOL = 1
SOCKET_TYPES = ["REQ", "REP", "DEALER", "ROUTER"]
TRANSPORTS = ["tcp", "ipc", "inproc"]
BOOL_OPTIONS = [
    "ROUTER_MANDATORY",
    "ROUTER_HANDOVER",
    "REQ_RELAXED",
    "REQ_CORRELATE",
    "PROBE_ROUTER",
    "IMMEDIATE",
]
INT_OPTIONS = ["SNDHWM", "RCVHWM", "LINGER", "MAXMSGSIZE"]
OPTIONS = ["ROUTING_ID", *BOOL_OPTIONS, *INT_OPTIONS]

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


class Driver(object):
    def __init__(self):
        self.context = zmq.Context()
        self.sockets = {}
        self.counter = 0

    def sock(self, request):
        try:
            return self.sockets[request["socket"]]
        except KeyError:
            raise Failure("EINVAL", "unknown socket handle %r" % request.get("socket")) from None

    def op_hello(self, request):
        if request.get("protocol") != PROTOCOL:
            raise Failure("ENOTSUP", "this driver speaks protocol %d" % PROTOCOL)
        return {
            "protocol": PROTOCOL,
            "implementation": "libzmq %s (pyzmq %s, driver)" % (zmq.zmq_version(), zmq.__version__),
            "socket_types": SOCKET_TYPES,
            "transports": TRANSPORTS,
            "options": OPTIONS,
        }

    def op_socket(self, request):
        kind = request.get("type")
        if kind not in SOCKET_TYPES:
            raise Failure("ENOTSUP", "no socket type %r" % kind)
        sock = self.context.socket(getattr(zmq, kind))
        sock.setsockopt(zmq.LINGER, 0)
        self.counter += 1
        handle = "s%d" % self.counter
        self.sockets[handle] = sock
        return {"socket": handle}

    def op_set(self, request):
        option, value = request.get("option"), request.get("value")
        if option not in OPTIONS:
            raise Failure("ENOTSUP", "no option %r" % option)
        if option == "ROUTING_ID":
            value = base64.b64decode(value, validate=True)
        elif option in BOOL_OPTIONS:
            value = int(bool(value))
        self.sock(request).setsockopt(getattr(zmq, option), value)
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
        timeout = int(request.get("timeout_ms", 0))
        sock.setsockopt(zmq.SNDTIMEO, max(timeout, 0))
        sock.send_multipart(frames)
        return {}

    def op_recv(self, request):
        sock = self.sock(request)
        timeout = int(request.get("timeout_ms", 0))
        sock.setsockopt(zmq.RCVTIMEO, max(timeout, 0))
        frames = sock.recv_multipart()
        return {"frames": [base64.b64encode(f).decode("ascii") for f in frames]}

    def op_close(self, request):
        self.sock(request).close(linger=0)
        del self.sockets[request["socket"]]
        return {}

    def close_all(self):
        for sock in self.sockets.values():
            sock.close(linger=0)
        self.sockets.clear()
        self.context.term()

    def handle(self, request):
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            raise Failure("ENOTSUP", "no op %r" % request.get("op"))
        try:
            return operation(request)
        except zmq.ZMQError as exc:
            raise Failure(ERRNO_CODES.get(exc.errno, "EOTHER"), exc.strerror) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise Failure("EPROTO", "bad arguments: %r" % (exc,)) from None


def main():
    driver = Driver()
    out = sys.stdout
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            out.write(
                json.dumps(
                    {
                        "id": None,
                        "ok": False,
                        "error": "EPROTO",
                        "message": "unparsable request: %s" % exc,
                    }
                )
                + "\n"
            )
            out.flush()
            continue
        response = {"id": request.get("id")}
        if request.get("op") == "bye":
            driver.close_all()
            response["ok"] = True
            out.write(json.dumps(response) + "\n")
            out.flush()
            return 0
        try:
            response.update(driver.handle(request))
            response["ok"] = True
        except Failure as failure:
            response.update(ok=False, error=failure.code, message=failure.message)
        out.write(json.dumps(response) + "\n")
        out.flush()
    driver.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
