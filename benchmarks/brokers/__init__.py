"""Load-balancing brokers side by side: ``python -m benchmarks.brokers``.

One run measures, over tcp on loopback, the requests per second and the
p50/p99 latency of four brokers under the same load, and prints them in a
table with the ratios to the naive broker and to ``zmq.proxy``:

- the reference broker (:mod:`reference.lbbroker`) with REQ workers;
- the same broker with credit-based DEALER workers (32 credits each);
- a naive broker written the way the guide's ``lbbroker`` example is
  (:mod:`benchmarks.brokers.naive`), with REQ workers;
- libzmq's own ``zmq.proxy`` between a ROUTER and a DEALER (round robin,
  no checks, all in C): the speed limit, with DEALER workers.

``--floor`` adds the rows of a broker that speaks the reference broker's
protocol and checks nothing (:mod:`benchmarks.brokers.stripped`): the
fastest a Python broker over pyzmq goes here, which tells what the reference
broker's checks cost and what Python costs.  A column then gives each row's
rate over the floor's fed the same workers.

After the table come the targets, each with its ratio and whether it is
met: with REQ clients, each reference variant at 0.9x the floor with the
same workers, in the same run (so only with ``--floor``); with pipelined
clients, the credit-based variant at 1.5x the naive broker and 0.35x
``zmq.proxy``.

The load is the same for all of them, twice over: 8 REQ clients (one request
in flight each), then 8 pipelined DEALER clients (16 in flight each); 4
workers that echo each request.

Method, and why it is fair:

- Each broker runs in a process of its own, all clients in a second one and
  all workers in a third (single-threaded loops that drain every readable
  socket), so the broker has a core to itself on a 2-core machine and the
  load costs as little CPU as Python allows.  Every process is fresh for
  every run; the clients measure after a warm-up of 0.5 s.
- Latency is measured by the clients, from a timestamp carried in each
  request to the reply's arrival.
- The workers are the same code for every broker, differing only in their
  socket type and in whether and how they say READY: REQ workers for the
  load-balancing brokers' first variant and the naive one, DEALER workers
  announcing credits for the credit-based variant, and DEALER workers that
  say nothing for ``zmq.proxy`` (a DEALER backend deals to DEALER or REP).
- The rounds are interleaved (every row once, then every row again, each
  round starting with another broker) and the table shows the median of
  each row over 4 rounds of 1.5 s, so a burst of load from something else on
  the machine hits all rows alike.  The table also shows the CPU time of
  the broker process (all its threads, libzmq's I/O thread included) and of
  the client and worker processes per request, read from /proc: those move
  much less than throughput when the machine is shared.
"""
