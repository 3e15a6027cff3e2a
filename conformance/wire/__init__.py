"""ZMTP on the wire: our own raw peer, written byte for byte from RFC 23 and RFC 37.

``codec`` reads and writes the octets (greeting, frames, commands, the NULL
mechanism's READY metadata); ``peer`` speaks them over a plain tcp or
AF_UNIX socket, every read and write bounded, every octet recorded in the
test's trace.  The wire part of the catalogue (``conformance/catalogue/wire.py``)
pairs the implementation under test with this peer.
"""
