"""One layer per package: no package both imports from and is imported by another.

The units are the project's top-level packages and the subpackages of
``conformance`` (its top-level modules, such as ``conformance.binding``,
each count as a unit of their own).  An import in either direction is an
edge, function-level imports included; a cycle means two units that can
no longer be read, tested or replaced one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks.suite_runner import ROOT

PACKAGES = ("conformance", "matrix", "reference", "benchmarks", "tests")


def unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] != "conformance" or len(parts) == 1:
        return parts[0]
    return f"conformance.{parts[1]}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, node.module] if node.module else base)
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> dict[str, dict[str, str]]:
    """unit -> {imported unit: the first file that imports it}."""
    graph: dict[str, dict[str, str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = unit_of(module_name(path))
            for module in imported_modules(path):
                target = unit_of(module)
                if target and source and target != source:
                    graph.setdefault(source, {}).setdefault(target, str(path.relative_to(ROOT)))
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Every pair of units that reach each other, as the path from one to the other and back."""
    found = []
    for start in sorted(graph):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, {}):
                if nxt == start:
                    found.append([*path, start])
                elif nxt not in seen and nxt > start:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_the_import_graph_of_the_packages_has_no_cycle():
    graph = import_graph()
    described = [
        " -> ".join(path) + "  (" + ", ".join(graph[a][b] for a, b in zip(path, path[1:])) + ")"
        for path in cycles(graph)
    ]
    assert not described, "packages that import each other:\n" + "\n".join(described)


def test_the_check_finds_a_cycle():
    assert cycles({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b": "x"}, "b": {"c": "y"}}) == []


def test_the_renderer_reads_results_through_their_public_reader_only():
    assert set(import_graph()["matrix"]) <= {"conformance.results", "conformance.catalogue"}
