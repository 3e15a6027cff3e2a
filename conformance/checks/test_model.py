"""Random sequences of steps between a server and its clients, checked against a model of RFC 28.

The model and the rules live in :mod:`conformance.model`; a failure shrinks
to the few steps that reproduce it, printed as Hypothesis prints a state
machine's steps, with the observation that broke the model.
"""

import pytest

from conformance.model.pairings import run_model


@pytest.mark.zmq_family("model")
def test_every_observation_matches_the_model(network, case):
    run_model(network, case)
