"""A model of RFC 28 that a Hypothesis state machine drives an implementation against.

The model knows, for one server and the clients that come and go around it,
everything RFC 28 lets a test predict: what each socket may do in its
current state (a REQ waiting for its reply, a REP that owes one), which
routing ids a ROUTER can reach, and which messages are on their way in each
direction, in per-peer order.  :mod:`conformance.model.machine` turns it into
a ``RuleBasedStateMachine``: every rule acts on the implementation through
the binding interface and checks what it observes against the model.

One module per job: :mod:`.messages` (what a message is and how each socket
type frames it); :mod:`.clients` and :mod:`.req` (the clients), :mod:`.server`,
:mod:`.rep`, :mod:`.router` and :mod:`.dealer` (the servers); :mod:`.topology`
(who binds and who connects); :mod:`.checks` (how an observation is
compared); :mod:`.machine` (the shared rules), :mod:`.server_rules` (each
server's rules) and :mod:`.pairings` (one machine per pairing, run as a test).
"""
