"""The public API: ``reciprocity.__all__`` is complete, clean and light to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import reciprocity

PUBLIC = list(reciprocity.__all__)
HEAVY = ("pandas", "polars", "matplotlib", "hypothesis", "yaml", "numpy", "tqdm", "babel")


def test_every_name_exists() -> None:
    """Every name in ``__all__`` is an attribute of the package."""
    missing = [name for name in PUBLIC if not hasattr(reciprocity, name)]
    assert missing == []


def test_names_are_unique() -> None:
    """No name is listed twice."""
    assert len(PUBLIC) == len(set(PUBLIC))


def test_names_are_public() -> None:
    """``__all__`` lists no private name (``__version__`` aside)."""
    assert [name for name in PUBLIC if name.startswith("_") and name != "__version__"] == []


def test_names_are_sorted() -> None:
    """``__all__`` is sorted as ``sorted()`` sorts strings (upper case first), like the module."""
    assert sorted(PUBLIC) == PUBLIC


def test_public_names_not_in_all_are_modules_or_private() -> None:
    """Every public attribute of the package is in ``__all__``, or is a submodule."""
    import types

    stray = [name for name, value in vars(reciprocity).items()
             if not name.startswith("_") and name not in PUBLIC
             and not isinstance(value, types.ModuleType) and name != "annotations"]
    assert stray == []


@pytest.mark.parametrize("name", [n for n in PUBLIC if isinstance(getattr(reciprocity, n), type)])
def test_public_classes_live_in_the_package(name: str) -> None:
    """A public class says ``reciprocity`` is its module, as users import it."""
    assert getattr(reciprocity, name).__module__ == "reciprocity"


def test_version_is_a_string() -> None:
    """``__version__`` is a non-empty string."""
    assert isinstance(reciprocity.__version__, str)
    assert reciprocity.__version__


def test_import_is_light() -> None:
    """``import reciprocity`` loads no pandas, polars, matplotlib, hypothesis or yaml."""
    code = textwrap.dedent(f"""
        import sys
        import reciprocity
        reciprocity.seed_program()
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""


def test_testing_module_is_separate() -> None:
    """``reciprocity.testing`` is not re-exported; it brings hypothesis only when imported."""
    assert "testing" not in PUBLIC
    code = "import sys, reciprocity.testing; print('hypothesis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "True"


def test_testing_all_is_complete() -> None:
    """``reciprocity.testing.__all__`` is sorted, unique, and every name exists."""
    import reciprocity.testing as testing

    names = list(testing.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert [n for n in names if not hasattr(testing, n)] == []
