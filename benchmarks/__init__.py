"""Measurements of the suite and of the reference patterns; run from a checkout.

Numbers are measured, never asserted: a timed assertion in a test makes a
gate flaky.  Each benchmark is a module run with ``python -m benchmarks.<name>``
and prints a table; the README quotes the latest numbers.
"""
