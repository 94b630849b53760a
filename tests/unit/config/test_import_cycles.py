"""No import cycles between the project's modules, not even through imports inside functions.

Cycles used to be broken by importing inside a function (a registry importing the modules
that register into it, a service importing its own tasks); each was fixed in the direction of
the dependency (docs/architecture.md, "Discovery"). import-linter has no contract for this,
so the module graph it builds (grimp, which sees imports inside functions too) is checked here.
"""

from __future__ import annotations

import sys
import tomllib

import grimp

from tests.conftest import REPO


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Return each group of modules that import one another in a cycle (Tarjan's SCCs)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in order:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def test_the_project_has_no_import_cycle() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = config["tool"]["importlinter"]["root_packages"]
    assert import_cycles(grimp.build_graph(*packages, cache_dir=None)) == []


def test_the_check_finds_a_cycle_through_an_import_inside_a_function() -> None:
    graph = grimp.ImportGraph()
    for module in ("app", "app.registry", "app.forms", "app.views"):
        graph.add_module(module)
    graph.add_import(importer="app.forms", imported="app.registry")
    graph.add_import(importer="app.registry", imported="app.forms")  # the lazy one
    graph.add_import(importer="app.views", imported="app.forms")
    assert import_cycles(graph) == [["app.forms", "app.registry"]]
