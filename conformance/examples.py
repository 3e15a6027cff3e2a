"""Fewer Hypothesis examples for tests whose every example is costly.

A profile's ``max_examples`` fits a test that opens one pair per example.
A test that opens five sockets, or fills a queue, runs a fraction of that,
and keeps the fraction in every profile: a tenth of ``dev``'s 100, of
``thorough``'s 2,000, and at least one on ``smoke``.  The profile is read
when the test module is imported, after ``--hypothesis-profile`` is applied.
"""

from __future__ import annotations

from hypothesis import settings


def fewer_examples(divisor: int) -> settings:
    """Settings for a test that runs 1/``divisor`` of the profile's examples."""
    return settings(max_examples=max(1, settings.default.max_examples // divisor))
