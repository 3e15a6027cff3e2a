"""Families about the chapter's patterns: the implementation inside a broker's network.

The other families pair the implementation's sockets with each other or
with libzmq's, two at a time.  These put them where the guide's chapter 3
puts sockets: as the clients and workers of a load-balancing broker and of
a cluster of peering brokers, with the reference brokers (``reference/``,
libzmq through pyzmq, running in the suite's process) as the known-good
middle.  What they check is end to end: a request reaches exactly one
worker, the one the pattern says, with the envelope the broker built, and
its reply gets back to the client that sent it, exactly once.

How the cases read:

* the pairing names the implementation's clients and the broker socket they
  connect to: ``REQ-ROUTER`` is REQ clients (and REQ workers) on the broker's
  ROUTERs; ``DEALER-ROUTER`` is DEALER clients (and DEALER workers, which put
  in the empty delimiter themselves for the load-balancing broker, the
  chapter's second variant, or connect to the asynchronous server's DEALER
  backend);
* the peer mode says which roles the implementation plays, since the broker
  is always libzmq: ``self``, clients and workers; ``iut-connects``, the
  clients only (libzmq workers); ``iut-binds``, the workers only (libzmq
  clients), named after the side that usually binds a service;
* inproc is left out: the brokers live in the suite's own libzmq context,
  which an implementation under test (a driver in another process, or an
  in-process binding with its own context) cannot reach by inproc.
"""

from __future__ import annotations

from conformance.catalogue.vocabulary import CONNECTION_ORIENTED, Family, pairings_named

_GUIDE = "guide chapter 3"
_ROLES = (
    " Peer modes: self, the implementation is the clients and the workers; iut-connects, "
    "the clients only; iut-binds, the workers only."
)

FAMILIES = (
    Family(
        name="lb-broker",
        statement=(
            "Clients and workers through the load-balancing broker (ROUTER frontend, ROUTER "
            "backend, workers announce READY): every request reaches exactly one worker, the "
            "least recently used ready one, with the client's address and an empty delimiter "
            "in front of the body; the worker's reply, sent back behind the same envelope, "
            "reaches that client exactly once; a client's requests are handed out in the order "
            "it sent them." + _ROLES
        ),
        source=(
            f'{_GUIDE} "The Load Balancing Pattern" and "A Load Balancing Message Broker"; '
            'RFC 28 "The ROUTER Socket Type", "The REQ Socket Type", "The DEALER Socket Type"'
        ),
        pairings=pairings_named("REQ-ROUTER", "DEALER-ROUTER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="peering",
        statement=(
            "REQ workers and clients in a cluster of three peering brokers (state flow over "
            "PUB/SUB, cloud flow over ROUTER-ROUTER keyed by broker name): while the local "
            "workers of the clients' broker are busy, the other requests reach the workers of "
            "the peer brokers, with the broker's name and the client's address in front of the "
            "delimiter; every reply reaches the client that sent the request, exactly once."
            + _ROLES
        ),
        source=f'{_GUIDE} "Worked Example: Inter-Broker Routing"; RFC 28',
        pairings=pairings_named("REQ-ROUTER"),
        transports=CONNECTION_ORIENTED,
    ),
    Family(
        name="async-server",
        statement=(
            "DEALER clients and DEALER workers around the asynchronous server (ROUTER frontend, "
            "DEALER backend dealing requests to the workers): every request reaches one worker, "
            "once, behind its client's routing id, which is the same for all of a client's "
            "requests and differs from every other client's; every reply a worker sends behind "
            "that id (0 to 2 per request, replies to different clients sent back to back) "
            "reaches that client, exactly once." + _ROLES
        ),
        source=(
            f'{_GUIDE} "The Asynchronous Client/Server Pattern"; RFC 28 "The ROUTER Socket '
            'Type", "The DEALER Socket Type"'
        ),
        pairings=pairings_named("DEALER-ROUTER"),
        transports=CONNECTION_ORIENTED,
    ),
)
