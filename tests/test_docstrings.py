"""Every ``>>>`` example in the package's docstrings runs, with its own module's names.

``reciprocity/__init__.py`` sets each public class's ``__module__`` to ``"reciprocity"`` (so
tracebacks and reprs show the public path). Plain ``--doctest-modules`` then attributes the
classes to the package, runs their examples with the package's names and never reaches their
methods. This finder attributes a class to the module whose source defines it.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings

import reciprocity

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[ModuleType]:
    names = [reciprocity.__name__] + [
        info.name for info in pkgutil.walk_packages(reciprocity.__path__, "reciprocity.")]
    return [importlib.import_module(name) for name in sorted(names)]


def _defined_classes(module: ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


class _SourceFinder(doctest.DocTestFinder):
    def __init__(self, classes: set[str]) -> None:
        super().__init__(recurse=True, exclude_empty=True)
        self.classes = classes

    def _from_module(self, module: Any, object: Any) -> bool:
        if inspect.isclass(object):
            return object.__name__ in self.classes and getattr(
                module, object.__name__, None) is object
        return bool(super()._from_module(module, object))  # type: ignore[misc]


def _examples() -> list[doctest.DocTest]:
    found = []
    for module in _modules():
        finder = _SourceFinder(_defined_classes(module))
        for test in finder.find(module, module.__name__, globs=vars(module).copy()):
            if test.examples:
                found.append(test)
    return sorted(found, key=lambda test: test.name)


EXAMPLES = _examples()


def test_examples_were_found() -> None:
    """The finder sees methods and classes, not only module docstrings."""
    names = {test.name for test in EXAMPLES}
    assert "reciprocity.money.Money.from_float" in names
    assert "reciprocity.program.Program.explain" in names
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize("test", EXAMPLES, ids=lambda test: test.name)
def test_docstring_example(test: doctest.DocTest) -> None:
    """The example passes."""
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    # The strategies' examples call hypothesis.find(), whose shrinking is slow under the
    # derandomized CI profile (minutes instead of seconds); their results do not depend on it.
    previous = settings.get_current_profile_name()
    if test.name.startswith(("reciprocity.testing", "reciprocity._testing")):
        settings.load_profile("dev")
    try:
        result = runner.run(test, out=output.append)
    finally:
        settings.load_profile(previous)
    assert result.failed == 0, "".join(output)
