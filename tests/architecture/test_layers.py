"""The package's layers, read from its import graph: no runtime cycle, no import upwards.

The graph is built by grimp (the engine of import-linter) from the source, imports inside
functions included and ``if TYPE_CHECKING:`` imports left out, as only those never run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PACKAGE = "asperion_orm"

# (importer, imported): the importer may not reach the imported package, directly or not.
FORBIDDEN_CHAINS = [
    ("asperion_orm.http", "asperion_orm.session"),
    ("asperion_orm.http", "asperion_orm.orm"),
    ("asperion_orm.http", "asperion_orm.resources"),
    ("asperion_orm.http", "asperion_orm.client"),
    ("asperion_orm.session", "asperion_orm.orm"),
    ("asperion_orm.session", "asperion_orm.resources"),
    ("asperion_orm.orm", "asperion_orm.resources"),
    ("asperion_orm.orm", "asperion_orm.client"),
    ("asperion_orm.resources", "asperion_orm.client"),
    ("asperion_orm.testing.emulator", "asperion_orm.client"),
    ("asperion_orm.testing.emulator", "asperion_orm.session"),
    ("asperion_orm.testing.emulator", "asperion_orm.orm"),
    ("asperion_orm.testing.emulator", "asperion_orm.http"),
    ("asperion_orm.http", "asperion_orm.contrib"),
    ("asperion_orm.orm", "asperion_orm.contrib"),
    ("asperion_orm.client", "asperion_orm.contrib"),
    ("asperion_orm.testing", "asperion_orm.contrib"),
]

# Direct imports that skip a layer: the ORM reaches the wire only through the session.
FORBIDDEN_DIRECT = [
    "asperion_orm.orm.** -> asperion_orm.http.**",
    "asperion_orm.resources.** -> asperion_orm.http.**",
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Return the package's import graph without ``TYPE_CHECKING`` imports."""
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Return every set of modules that import each other in a circle (Tarjan's SCCs)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = _pop_until(stack, module)
            if len(component) > 1 or module in edges[module]:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def _pop_until(stack: list[str], module: str) -> list[str]:
    component = []
    while True:
        top = stack.pop()
        component.append(top)
        if top == module:
            return component


def test_no_runtime_import_cycle(graph: grimp.ImportGraph) -> None:
    assert len(graph.modules) > 40, "the graph should cover the whole package"
    found = cycles(graph)
    assert not found, "modules importing each other at run time:\n" + "\n".join(
        " <-> ".join(component) for component in found
    )


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN_CHAINS)
def test_no_layer_reaches_upwards(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    chain = graph.find_shortest_chain(importer, imported, as_packages=True)
    assert chain is None, f"{importer} must not import {imported}: {' -> '.join(chain or ())}"


@pytest.mark.parametrize("expression", FORBIDDEN_DIRECT)
def test_no_layer_is_skipped(graph: grimp.ImportGraph, expression: str) -> None:
    assert graph.find_matching_direct_imports(import_expression=expression) == []


def test_the_emulator_shares_only_the_json_codec_with_the_library(
    graph: grimp.ImportGraph,
) -> None:
    emulator = "asperion_orm.testing.emulator"
    shared = set()
    for module in graph.find_children(emulator) | {emulator}:
        imported = graph.find_modules_directly_imported_by(module)
        shared |= {m for m in imported if not m.startswith(emulator)}
    assert shared == {"asperion_orm._json"}


# -- the checks themselves catch what they are for ------------------------------------------


SCAN = """
import json, sys, grimp
graph = grimp.build_graph("tangled", exclude_type_checking_imports=True, cache_dir=None)
print(json.dumps([[m, sorted(graph.find_modules_directly_imported_by(m))] for m in graph.modules]))
"""


@pytest.fixture
def tangled(tmp_path: Path) -> grimp.ImportGraph:
    """Return the graph of a small package with a cycle hidden in a function-level import.

    grimp reads it in a child process, so this process's import path stays as it is.
    """
    root = tmp_path / "tangled"
    (root / "http").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "http" / "__init__.py").write_text("")
    (root / "http" / "wire.py").write_text("from tangled import orm\n")
    (root / "orm.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tangled import model\n"
        "def f():\n    from tangled.http import wire\n"
    )
    (root / "model.py").write_text("from tangled import orm\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", SCAN], env=env, capture_output=True, text=True, check=True
    ).stdout
    graph = grimp.ImportGraph()
    for module, imported in json.loads(out):
        graph.add_module(module)
        for target in imported:
            graph.add_import(importer=module, imported=target)
    return graph


def test_a_cycle_closed_inside_a_function_is_found(tangled: grimp.ImportGraph) -> None:
    assert cycles(tangled) == [["tangled.http.wire", "tangled.orm"]]


def test_an_import_upwards_is_found(tangled: grimp.ImportGraph) -> None:
    chain = tangled.find_shortest_chain("tangled.http", "tangled.orm", as_packages=True)
    assert chain == ("tangled.http.wire", "tangled.orm")
