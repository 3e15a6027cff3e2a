"""Run a driver file over a ``zmq`` module that looks like an old or partial pyzmq.

    python tests/drivers/old_zmq.py [--faulty-disconnect] [--chatty-connect] DRIVER_FILE

The real ``zmq`` is wrapped in a module of its own, installed as
``sys.modules["zmq"]`` before DRIVER_FILE runs as ``__main__``:

- ``ROUTING_ID`` is hidden, as in pyzmq 16 and 17, which know the option
  only by its older name ``IDENTITY`` (the same number);
- ``REQ_CORRELATE`` is hidden with no other name, as in a module that does
  not have the option at all;
- ``has("ipc")`` answers False, as for a libzmq built without ipc;
- with ``--faulty-disconnect``, every socket's ``disconnect`` raises
  RuntimeError: an exception that no driver expects from its binding;
- with ``--chatty-connect``, every socket's ``connect`` first writes a line
  on file descriptor 1, as libzmq 4.1 prints "NULL I: ..." on stdout.
"""

import os
import runpy
import sys
import types

import zmq as real

HIDDEN = ("ROUTING_ID", "REQ_CORRELATE")
INJECTED = "injected fault: disconnect is broken"
CHATTER = b"NULL I: chatter on stdout, as libzmq 4.1 writes it\n"
FLAGS = ("--faulty-disconnect", "--chatty-connect")


class ShimSocket(real.Socket):
    faulty_disconnect = False
    chatty_connect = False

    def disconnect(self, addr):
        if self.faulty_disconnect:
            raise RuntimeError(INJECTED)
        return super().disconnect(addr)

    def connect(self, addr):
        if self.chatty_connect:
            os.write(1, CHATTER)
        return super().connect(addr)


class ShimContext(real.Context):
    _socket_class = ShimSocket


def has(capability):
    return capability != "ipc" and real.has(capability)


def old_zmq(faulty_disconnect=False, chatty_connect=False):
    """A module with real zmq's names, less HIDDEN and ipc."""
    shim = types.ModuleType("zmq")
    for name in dir(real):
        if name not in HIDDEN and (not name.startswith("__") or name == "__version__"):
            setattr(shim, name, getattr(real, name))
    shim.has = has
    ShimSocket.faulty_disconnect = faulty_disconnect
    ShimSocket.chatty_connect = chatty_connect
    shim.Context = ShimContext
    shim.Socket = ShimSocket
    return shim


def main(argv):
    paths = [arg for arg in argv if arg not in FLAGS]
    if len(paths) != 1:
        sys.stderr.write(__doc__)
        return 2
    sys.modules["zmq"] = old_zmq("--faulty-disconnect" in argv, "--chatty-connect" in argv)
    sys.argv = paths
    runpy.run_path(paths[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
