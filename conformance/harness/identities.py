"""Routing ids: the valid ones Hypothesis draws, and a plain description of automatic ones.

A valid explicit id is 1 to 255 bytes whose first byte is not zero (ids
led by 0x00 are reserved for the ids a ROUTER makes up itself).  Drawing
the first byte apart, rather than filtering, keeps every draw useful and
lets a failure shrink to ``b'\\x01'``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

MAX_ROUTING_ID = 255

routing_ids = st.builds(
    lambda first, rest: bytes([first]) + rest,
    st.integers(min_value=1, max_value=255),
    st.binary(max_size=MAX_ROUTING_ID - 1),
)
"""Valid explicit routing ids: 1 to 255 bytes, not starting with 0x00."""


def describe_automatic_ids(ids: Sequence[bytes]) -> str:
    """What the automatic ids of one ROUTER's peers look like, in words any reader knows.

    For libzmq: ``5 bytes: 0x00 then a 4-byte big-endian counter, +1 per new
    peer``; the counter's value is left out, so the description is the same
    from run to run.  Ids of no recognised form are shown in hex.
    """
    lengths = sorted({len(rid) for rid in ids})
    example = ", ".join(rid.hex() for rid in ids)
    if len(lengths) != 1 or lengths[0] < 2:
        return f"automatic routing ids of {'/'.join(map(str, lengths))} bytes (hex: {example})"
    size = lengths[0]
    leads = {rid[0] for rid in ids}
    if len(leads) != 1:
        return f"automatic routing ids of {size} bytes (hex: {example})"
    lead = f"0x{leads.pop():02x}"
    counters = sorted(int.from_bytes(rid[1:], "big") for rid in ids)
    if all(b - a == 1 for a, b in zip(counters, counters[1:])):
        return (
            f"automatic routing ids of {size} bytes: {lead} then a {size - 1}-byte "
            "big-endian counter, +1 per new peer"
        )
    return f"automatic routing ids of {size} bytes, all led by {lead} (hex: {example})"
