"""The package layout: no import cycle between reciprocity's modules, no module over the limit.

The import graph is read from the source with :mod:`ast`, not by importing: every ``import`` and
``from ... import`` of a reciprocity module counts, wherever it stands (a function-local import
hides a cycle, it does not break it), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reciprocity"
MAX_LINES = 500


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``reciprocity.points.stage`` for ``<root>/points/stage.py``; a package names its init."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, skipping the bodies of ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append(child)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                found.extend(_imports(ast.Module(body=[other], type_ignores=[])))
        else:
            found.extend(_imports(child))
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module name -> the package's modules it imports (relative imports resolved)."""
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                bases = [alias.name for alias in node.names]
                names: list[str] = []
            else:
                if node.level:
                    base_parts = here[: len(here) - node.level + 1]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                bases = [base]
                names = [alias.name for alias in node.names]
            for base in bases:
                if base in paths:
                    targets.add(base)
                for alias in names:  # `from pkg import module` imports the module
                    if f"{base}.{alias}" in paths:
                        targets.add(f"{base}.{alias}")
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` if the graph has none."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = grey
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if colour.get(target, black) == grey:
                return [*stack[stack.index(target):], target]
            if colour.get(target) == white:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        stack.pop()
        colour[node] = black
        return None

    for node in sorted(graph):
        if colour[node] == white:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def test_no_import_cycle() -> None:
    """No reciprocity module imports itself through others (TYPE_CHECKING imports aside)."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_module_size(path: Path) -> None:
    """Every module stays within the line limit, so one file holds one concern."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (
        f"{module_name(path)} has {lines} lines, over the limit of {MAX_LINES}; "
        "split it by concern")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_module_docstring(path: Path) -> None:
    """Every module opens with a docstring that says what it holds and what it may import."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{module_name(path)} has no module docstring"
    assert "\nImports: " in docstring, (
        f"{module_name(path)}'s docstring does not say what it may import; add a paragraph "
        "starting 'Imports: '")


def test_cycle_finder_sees_a_cycle(tmp_path: Path) -> None:
    """The cycle finder reports a cycle hidden in a function body, and not one in TYPE_CHECKING."""
    pkg = tmp_path / "reciprocity"
    (pkg / "fam").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Root."""\n')
    (pkg / "fam" / "__init__.py").write_text('"""Family."""\n')
    (pkg / "core.py").write_text('"""Core."""\nfrom .fam.stage import X\n')
    (pkg / "fam" / "stage.py").write_text(
        '"""Stage."""\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n'
        '    from ..core import Y\n')
    graph = import_graph(pkg)
    assert graph["reciprocity.core"] == {"reciprocity.fam.stage"}
    assert find_cycle(graph) is None
    (pkg / "fam" / "stage.py").write_text(
        '"""Stage."""\ndef f():\n    from .. import core\n    return core\n')
    assert find_cycle(import_graph(pkg)) == [
        "reciprocity.core", "reciprocity.fam.stage", "reciprocity.core"]
