"""``python -m matrix``: the catalogue, and the compatibility table rendered from results.

python -m matrix catalogue            every case: id, level, statement, source
python -m matrix catalogue --ids      one case id per line
python -m matrix catalogue --family delivery
python -m matrix render matrix/results               the tables, from every result file there
python -m matrix render matrix/results --check       exit 1 if the committed tables are stale
python -m matrix missing matrix/results/zmqrs*.json   the families those results lack, one per line
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from conformance.catalogue import CASES, FAMILIES


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


def missing(args: argparse.Namespace) -> int:
    """Print the catalogue's families that none of the result files ran, one per line.

    A row run before a family was added lacks it; running only these (with
    ``-k``) into a file of their own completes the row without running the
    rest again: the renderer merges files of one implementation.
    """
    from conformance.results import ResultsError, RunResults
    from matrix.render.table import result_paths

    try:
        runs = [RunResults.load(path) for path in result_paths(args.results)]
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ran = {case.family for run in runs for case in run.cases}
    for family in FAMILIES:
        if family.name not in ran:
            print(family.name)
    return 0


DEFAULT_OUT = "matrix"


def render(args: argparse.Namespace) -> int:
    """Write (or with --check, compare) COMPATIBILITY.md, compatibility.html and index.json."""
    from matrix.render import load, render_all
    from matrix.render.table import ResultsError, catalogue_warning

    command = " ".join(
        ["python -m matrix render", *args.results]
        + (["--out", args.out] if args.out != DEFAULT_OUT else [])
    )
    try:
        table = load(args.results)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warning = catalogue_warning(table)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = render_all(table, command)
    out = Path(args.out)
    if args.check:
        stale = [
            str(out / name)
            for name, content in outputs.items()
            if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != content
        ]
        if stale:
            print(
                f"error: {', '.join(stale)} differ from what the results render to; "
                f"regenerate with: {command}",
                file=sys.stderr,
            )
            return 1
        print(f"{', '.join(str(out / n) for n in outputs)} match the results")
        return 0
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in outputs.items():
            (out / name).write_text(content, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(str(out / n) for n in outputs)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("catalogue", help="list every case with its statement")
    listing.add_argument("--family", help="only this family")
    listing.add_argument("--ids", action="store_true", help="only the case ids, one per line")
    listing.set_defaults(run=catalogue)
    tables = commands.add_parser(
        "render",
        help="merge result files into COMPATIBILITY.md, compatibility.html and index.json",
    )
    tables.add_argument(
        "results", nargs="+", metavar="RESULTS", help="result files, or directories of them"
    )
    tables.add_argument(
        "--out", default=DEFAULT_OUT, help=f"where to write the tables (default: {DEFAULT_OUT})"
    )
    tables.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files in --out differ from what the results render to",
    )
    tables.set_defaults(run=render)
    lacking = commands.add_parser(
        "missing", help="the catalogue's families that none of the result files ran"
    )
    lacking.add_argument(
        "results", nargs="+", metavar="RESULTS", help="result files, or directories of them"
    )
    lacking.set_defaults(run=missing)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader stopped early (| head): end quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
