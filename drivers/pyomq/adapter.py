"""Our pyzmq driver, conformance/drivers/pyzmq.py, run over pyomq.

pyomq (omq.rs, a Rust ZMTP implementation) offers a pyzmq-like API as the
module ``pyomq``, close enough that the driver runs as it is once three gaps
are bridged here, and only here:

- the module is called ``pyomq``, not ``zmq``;
- it defines no ``EFSM``: it reports a REQ/REP state violation (a REQ
  sending twice, a REP replying before a request) as errno ``EPROTO`` with a
  message that says so, so this adapter names that errno the driver's
  ``zmq.EFSM``; and no ``EPROTONOSUPPORT``, which pyomq never raises;
- ``zmq_version()`` answers "4.3.4" (the libzmq API it mirrors), so
  ``hello`` names pyomq itself instead;
- it refuses a bad option value (a 256-byte ROUTING_ID) with ``ValueError``
  where pyzmq raises ``ZMQError(EINVAL)``, which the driver would report as
  a malformed request (EPROTO); the adapter reports it as EINVAL.
"""

import binascii
import errno
import importlib.util
import sys
from pathlib import Path

import pyomq

DRIVER = Path(__file__).resolve().parents[2] / "conformance" / "drivers" / "pyzmq.py"

if not hasattr(pyomq, "EFSM"):
    pyomq.EFSM = errno.EPROTO
if not hasattr(pyomq, "EPROTONOSUPPORT"):
    pyomq.EPROTONOSUPPORT = errno.EPROTONOSUPPORT
sys.modules["zmq"] = pyomq

spec = importlib.util.spec_from_file_location("pyzmq_driver", DRIVER)
driver = importlib.util.module_from_spec(spec)
spec.loader.exec_module(driver)


class PyomqDriver(driver.Driver):
    def op_hello(self, request):
        hello = super().op_hello(request)
        hello["implementation"] = (
            f"pyomq {pyomq.__version__} (omq.rs, {pyomq.backend_name()} backend, "
            f"libzmq {pyomq.zmq_version()} API, driver)"
        )
        return hello

    def op_set(self, request):
        try:
            return super().op_set(request)
        except binascii.Error:
            raise  # not base64: the request is malformed (EPROTO)
        except ValueError as exc:
            raise driver.Failure("EINVAL", str(exc)) from None


driver.Driver = PyomqDriver

if __name__ == "__main__":
    sys.exit(driver.main())
