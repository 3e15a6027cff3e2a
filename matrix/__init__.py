"""The compatibility tables, rendered from result files.

``python -m matrix render`` merges the result files of real runs into
COMPATIBILITY.md, compatibility.html and index.json.  This package sits on
top of the suite: it reads result files through :mod:`conformance.results`,
their public reader, and imports nothing else of the runner.
"""
