"""``python -m matrix``: the catalogue as a readable list, like h2spec's.

python -m matrix catalogue            every case: id, level, statement, source
python -m matrix catalogue --ids      one case id per line
python -m matrix catalogue --family delivery
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from matrix.catalogue import CASES, FAMILIES


def catalogue(args: argparse.Namespace) -> int:
    families = [f for f in FAMILIES if args.family in (None, f.name)]
    if not families:
        known = ", ".join(f.name for f in FAMILIES)
        print(f"error: no family {args.family!r} (known: {known})", file=sys.stderr)
        return 2
    total = 0
    for family in families:
        cases = [c for c in CASES if c.family == family]
        total += len(cases)
        if args.ids:
            print("\n".join(c.id for c in cases))
            continue
        print(f"{family.name}  [{family.level.value}]  ({len(cases)} cases)")
        for line in textwrap.wrap(family.statement, 76):
            print(f"    {line}")
        for line in textwrap.wrap(f"Source: {family.source}", 76):
            print(f"    {line}")
        for case in cases:
            print(f"  - {case.id}")
        print()
    if not args.ids:
        print(f"{total} cases in {len(families)} families")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("catalogue", help="list every case with its statement")
    listing.add_argument("--family", help="only this family")
    listing.add_argument("--ids", action="store_true", help="only the case ids, one per line")
    listing.set_defaults(run=catalogue)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
