"""Canonical implementations of the request-reply patterns of the guide's chapter 3.

Small, readable top to bottom, correct and stoppable: the version to copy,
and the known-good other side when the conformance suite puts an
implementation under test inside a pattern.

The layers, each a module with one job:

- :mod:`reference.envelope` -- split a message at its delimiter into
  (addresses, body), join it back; push, pop, wrap and unwrap frames.
- :mod:`reference.message` -- :class:`~reference.message.Message`, a
  message as one object of frames (the chapter's ``zmsg``).
- :mod:`reference.sockets` -- sockets with sane defaults (LINGER 0, bounded
  waits, ROUTER_MANDATORY), binding that reports the real endpoint.
- :mod:`reference.frames` -- moving whole messages as ``zmq.Frame`` lists
  without copies, draining a socket, and size limits.
- :mod:`reference.reactor` -- a poller plus timers (the chapter's ``zloop``).
- :mod:`reference.service` -- a reactor on its own thread that starts and
  stops cleanly, counting what it drops.
- :mod:`reference.workerqueue` -- the least-recently-used queue of ready
  workers, with credits.
- :mod:`reference.lbbroker` and :mod:`reference.lbworker` -- the
  load-balancing broker and its REQ and credit-based DEALER workers.
- :mod:`reference.asyncsrv` -- the asynchronous client/server.
- :mod:`reference.testing` -- checks that a component left nothing running.
"""
