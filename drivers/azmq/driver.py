"""A conformance driver (docs/driver-protocol.md, version 1) for azmq.

azmq is a pure-Python asyncio implementation of ZMTP whose last release
(1.0.6) imports only on Python 3.6, so this file keeps to Python 3.6 and
the standard library.  Its API is coroutines, not pyzmq's blocking calls,
which shapes the driver:

- One event loop runs for the driver's whole life, and stdin is read as an
  asyncio stream, so azmq keeps moving bytes (handshakes, queued sends)
  between requests, as libzmq's I/O thread would.
- azmq has no timeouts; ``timeout_ms`` becomes an asyncio deadline.  A send
  that misses it is cancelled (the message is not sent, as with libzmq's
  EAGAIN).  A receive that misses it is *not* cancelled but kept pending and
  handed the next ``recv`` on that socket: azmq's REQ forgets its request
  when a receive is cancelled (it resets its state before awaiting the
  reply), so cancelling would measure asyncio cancellation, not ZMTP.
- azmq has no socket options besides its identity and queue bounds, so the
  other options are answered ENOTSUP, and ``bind`` picks a free port itself
  for a wildcard tcp endpoint, which azmq cannot parse.
"""

import asyncio
import base64
import binascii
import json
import socket as stdsocket
import sys
from urllib.parse import urlsplit

import azmq
import pkg_resources
from azmq.errors import AZMQError, InprocPathBound, InvalidOperation, UnsupportedSchemeError

PROTOCOL = 1
SOCKET_TYPES = {"REQ": azmq.REQ, "REP": azmq.REP, "DEALER": azmq.DEALER, "ROUTER": azmq.ROUTER}
TRANSPORTS = ["tcp", "ipc", "inproc"]
# Protocol option -> azmq socket attribute.  HWMs bound azmq's per-peer
# queues (0: unbounded, as in libzmq), for peers that join after they are set.
QUEUE_OPTIONS = {"SNDHWM": "max_outbox_size", "RCVHWM": "max_inbox_size"}
OPTIONS = ["ROUTING_ID", *QUEUE_OPTIONS]
CLOSE_WAIT_S = 1.0
LINE_LIMIT = 64 * 1024 * 1024  # a request may carry several MiB of base64 frames


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def decode_frame(text):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise Failure("EPROTO", "a frame is not a base64 string") from None


def timeout_of(request):
    timeout = request.get("timeout_ms", 0)
    if not isinstance(timeout, int) or timeout < 0:
        raise Failure("EPROTO", f"bad timeout_ms {timeout!r}")
    return timeout / 1000


def free_tcp_port(host):
    """A port nobody listens on now, for azmq, which cannot bind port '*' itself."""
    probe = stdsocket.socket(stdsocket.AF_INET, stdsocket.SOCK_STREAM)
    try:
        probe.bind((host, 0))
        return probe.getsockname()[1]
    finally:
        probe.close()


class Driver:
    def __init__(self, loop):
        self.loop = loop
        self.context = azmq.Context(loop=loop)
        self.sockets = {}
        self.pending_recv = {}
        self.counter = 0

    def sock(self, request):
        handle = request.get("socket")
        if handle not in self.sockets:
            raise Failure("EINVAL", f"unknown socket handle {handle!r}")
        return self.sockets[handle]

    async def op_hello(self, request):
        if request.get("protocol") != PROTOCOL:
            raise Failure("ENOTSUP", f"this driver speaks protocol {PROTOCOL}")
        version = pkg_resources.get_distribution("azmq").version
        python = ".".join(str(n) for n in sys.version_info[:3])
        return {
            "protocol": PROTOCOL,
            "implementation": f"azmq {version} (pure-Python asyncio ZMTP, Python {python})",
            "socket_types": list(SOCKET_TYPES),
            "transports": TRANSPORTS,
            "options": OPTIONS,
        }

    async def op_socket(self, request):
        kind = request.get("type")
        if kind not in SOCKET_TYPES:
            raise Failure("ENOTSUP", f"no socket type {kind!r}")
        self.counter += 1
        handle = f"s{self.counter}"
        self.sockets[handle] = self.context.socket(SOCKET_TYPES[kind])
        return {"socket": handle}

    async def op_set(self, request):
        sock = self.sock(request)
        option, value = request.get("option"), request.get("value")
        if option == "ROUTING_ID":
            # azmq reads its identity when it makes each connection.
            sock.identity = decode_frame(value)
        elif option in QUEUE_OPTIONS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Failure("EINVAL", f"{option} takes a non-negative integer")
            setattr(sock, QUEUE_OPTIONS[option], value)
        else:
            raise Failure("ENOTSUP", f"azmq has no option {option!r}")
        return {}

    async def op_bind(self, request):
        sock, endpoint = self.sock(request), request["endpoint"]
        url = urlsplit(endpoint)
        if url.scheme == "tcp" and url.netloc.endswith(":*"):
            host = url.netloc[: -len(":*")]
            endpoint = f"tcp://{host}:{free_tcp_port(host)}"
        sock.bind(endpoint)
        return {"endpoint": endpoint}

    async def op_connect(self, request):
        self.sock(request).connect(request["endpoint"])
        return {}

    async def op_disconnect(self, request):
        await self.sock(request).disconnect(request["endpoint"])
        return {}

    async def op_unbind(self, request):
        await self.sock(request).unbind(request["endpoint"])
        return {}

    async def op_send(self, request):
        sock = self.sock(request)
        frames = request["frames"]
        if not isinstance(frames, list):
            raise Failure("EPROTO", "frames is not a list")
        if not frames:
            raise Failure("EINVAL", "a message has at least one frame")
        message = [decode_frame(f) for f in frames]
        try:
            await asyncio.wait_for(sock.send_multipart(message), timeout_of(request))
        except asyncio.TimeoutError:
            raise Failure("EAGAIN", "not sent within timeout_ms") from None
        return {}

    async def op_recv(self, request):
        handle = request.get("socket")
        sock = self.sock(request)
        timeout = timeout_of(request)
        task = self.pending_recv.pop(handle, None)
        if task is None:
            task = asyncio.ensure_future(sock.recv_multipart(), loop=self.loop)
        done, _ = await asyncio.wait([task], timeout=timeout, loop=self.loop)
        if not done:
            self.pending_recv[handle] = task
            raise Failure("EAGAIN", "nothing received within timeout_ms")
        try:
            frames = task.result()
        except (InvalidOperation, asyncio.CancelledError):
            raise
        except Exception as exc:
            # e.g. azmq's REP raises ValueError for a request without a delimiter.
            raise Failure("EOTHER", f"azmq's receive raised {exc!r}") from None
        if not frames:
            # azmq's REQ strips the delimiter of a reply that is nothing else and
            # delivers the rest: a message of no frames, which ZeroMQ cannot have.
            raise Failure("EOTHER", "azmq delivered a message of zero frames")
        return {"frames": [base64.b64encode(f).decode("ascii") for f in frames]}

    async def op_close(self, request):
        sock = self.sock(request)
        handle = request["socket"]
        del self.sockets[handle]
        await self.close_socket(handle, sock)
        return {}

    async def close_socket(self, handle, sock):
        task = self.pending_recv.pop(handle, None)
        if task is not None:
            task.cancel()
        sock.close()
        await asyncio.wait([sock.wait_closed()], timeout=CLOSE_WAIT_S, loop=self.loop)

    async def close_all(self):
        for handle, sock in list(self.sockets.items()):
            await self.close_socket(handle, sock)
        self.sockets.clear()
        self.context.close()
        await asyncio.wait([self.context.wait_closed()], timeout=CLOSE_WAIT_S, loop=self.loop)

    async def handle(self, request):
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            raise Failure("ENOTSUP", f"no op {request.get('op')!r}")
        try:
            return await operation(request)
        except InvalidOperation as exc:
            # azmq's REQ sending twice, or REP receiving twice.
            raise Failure("EFSM", str(exc)) from None
        except UnsupportedSchemeError as exc:
            raise Failure("ENOTSUP", str(exc)) from None
        except (InprocPathBound, OSError) as exc:
            raise Failure("EOTHER", str(exc)) from None
        except AZMQError as exc:
            raise Failure("EOTHER", f"{type(exc).__name__}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            # urlsplit and azmq's engines reject bad endpoints with ValueError.
            raise Failure("EINVAL", f"bad arguments: {exc!r}") from None


def write(response):
    sys.stdout.write(json.dumps(response) + "\n")
    sys.stdout.flush()


async def serve(loop):
    reader = asyncio.StreamReader(limit=LINE_LIMIT, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), sys.stdin)
    driver = Driver(loop)
    while True:
        line = await reader.readline()
        if not line:
            break
        if not line.strip():
            continue
        try:
            request = json.loads(line.decode("utf-8"))
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            write({"id": None, "ok": False, "error": "EPROTO", "message": f"unparsable: {exc}"})
            continue
        response = {"id": request.get("id")}
        if request.get("op") == "bye":
            await driver.close_all()
            response["ok"] = True
            write(response)
            return
        try:
            response.update(await driver.handle(request))
            response["ok"] = True
        except Failure as failure:
            response.update(ok=False, error=failure.code, message=failure.message)
        write(response)
    await driver.close_all()


def main():
    loop = asyncio.get_event_loop()
    loop.run_until_complete(serve(loop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
