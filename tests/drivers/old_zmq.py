"""Run a driver file over a ``zmq`` module that looks like an old or partial pyzmq.

    python tests/drivers/old_zmq.py [--faulty-disconnect] DRIVER_FILE

The real ``zmq`` is wrapped in a module of its own, installed as
``sys.modules["zmq"]`` before DRIVER_FILE runs as ``__main__``:

- ``ROUTING_ID`` is hidden, as in pyzmq 16 and 17, which know the option
  only by its older name ``IDENTITY`` (the same number);
- ``REQ_CORRELATE`` is hidden with no other name, as in a module that does
  not have the option at all;
- ``has("ipc")`` answers False, as for a libzmq built without ipc;
- with ``--faulty-disconnect``, every socket's ``disconnect`` raises
  RuntimeError: an exception that no driver expects from its binding.
"""

import runpy
import sys
import types

import zmq as real

HIDDEN = ("ROUTING_ID", "REQ_CORRELATE")
INJECTED = "injected fault: disconnect is broken"


class FaultySocket(real.Socket):
    def disconnect(self, addr):
        raise RuntimeError(INJECTED)


class FaultyContext(real.Context):
    _socket_class = FaultySocket


def has(capability):
    return capability != "ipc" and real.has(capability)


def old_zmq(faulty_disconnect=False):
    """A module with real zmq's names, less HIDDEN and ipc."""
    shim = types.ModuleType("zmq")
    for name in dir(real):
        if name not in HIDDEN and (not name.startswith("__") or name == "__version__"):
            setattr(shim, name, getattr(real, name))
    shim.has = has
    if faulty_disconnect:
        shim.Context = FaultyContext
        shim.Socket = FaultySocket
    return shim


def main(argv):
    faulty = "--faulty-disconnect" in argv
    paths = [arg for arg in argv if arg != "--faulty-disconnect"]
    if len(paths) != 1:
        sys.stderr.write(__doc__)
        return 2
    sys.modules["zmq"] = old_zmq(faulty)
    sys.argv = paths
    runpy.run_path(paths[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
