"""Loading the scripts beside the package in the tests: the worked examples in
``docs/examples`` and the benchmarks, which are files, not modules of an installed package.

The tests import this module by name (``from _load import load_example``): ``pyproject.toml``
puts ``tests`` on ``sys.path`` (``pythonpath``), which works under ``--import-mode=importlib``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["BENCHMARKS", "EXAMPLES", "ROOT", "load_example", "load_file"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
BENCHMARKS = ROOT / "benchmarks"


def load_file(path: Path, name: str | None = None, *, keep: bool = True) -> ModuleType:
    """Run the script at ``path`` as module ``name`` (default: the file's stem) and return it.

    The module is in ``sys.modules`` while it runs (dataclasses and FastAPI look their module
    up by name) and, with ``keep``, afterwards too.
    """
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if not keep:
            del sys.modules[name]
    return module


def load_example(name: str) -> ModuleType:
    """The worked example ``docs/examples/<name>.py`` as a module."""
    return load_file(EXAMPLES / f"{name}.py")
