"""The documentation stays in step with the code: one section per error code, no dead links.

The examples in ``docs/*.md`` and ``README.md`` are doctests that pytest runs by itself
(``--doctest-glob=*.md`` in ``pyproject.toml``); these tests check what doctests cannot.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import reciprocity
import reciprocity.errors
from reciprocity import ReciprocityError

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ERRORS_PAGE = DOCS / "errors.md"
LINKED_PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md")])

# [text](target) and [text](target "title"); images too. Reference-style definitions
# ("[label]: target") are matched separately.
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def error_classes() -> list[type[ReciprocityError]]:
    """ReciprocityError and every subclass of it in the package, by name.

    Those of ``reciprocity.errors``, plus any subclass defined in another module of the
    package (test-local subclasses are left out).
    """
    found = {
        obj
        for _, obj in inspect.getmembers(reciprocity.errors, inspect.isclass)
        if issubclass(obj, ReciprocityError)
    }
    pending: list[type[ReciprocityError]] = [ReciprocityError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending += [
            sub for sub in cls.__subclasses__()
            if sub.__module__.split(".")[0] == "reciprocity" and sub not in found
        ]
    return sorted(found, key=lambda cls: cls.__name__)


def error_headings() -> list[str]:
    """The ``## <code>`` headings of docs/errors.md, in page order."""
    text = FENCE.sub("", ERRORS_PAGE.read_text(encoding="utf-8"))
    return re.findall(r"^## +(\S.*?)\s*#*\s*$", text, re.MULTILINE)


def relative_links(page: Path) -> list[str]:
    """Link targets of ``page`` that point into the repository (not URLs, not anchors)."""
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    targets = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    found = []
    for target in targets:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:
            continue  # http(s)://, mailto:, or a same-page "#anchor"
        found.append(target)
    return found


def test_error_classes_found() -> None:
    """The errors module defines the base class and at least one subclass."""
    classes = error_classes()
    assert ReciprocityError in classes
    assert len(classes) > 1


@pytest.mark.parametrize("error", error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_code_has_a_section(error: type[ReciprocityError]) -> None:
    """Each error class's ``code`` has a ``## <code>`` section in docs/errors.md."""
    assert error.code in error_headings(), (
        f"{error.__name__}.code={error.code!r} has no '## {error.code}' section in "
        f"{ERRORS_PAGE.relative_to(ROOT)}"
    )


def test_every_error_section_names_a_code() -> None:
    """Each ``##`` heading of docs/errors.md is the code of an existing error class."""
    codes = {error.code for error in error_classes()}
    unknown = [heading for heading in error_headings() if heading not in codes]
    assert not unknown, f"sections without an error class: {unknown}; known codes: {sorted(codes)}"


def test_error_sections_are_unique() -> None:
    """No code has two sections in docs/errors.md."""
    headings = error_headings()
    assert len(headings) == len(set(headings))


def test_link_pattern_finds_links() -> None:
    """The link pattern sees inline, titled and reference links, and skips code."""
    sample = (
        '[a](docs/a.md) [b](b.md#part "Title") ![c](img/c.png) [d](https://example.org) '
        "`[e](not-a-link.md)`\n[f]: ref.md\n"
    )
    text = CODE_SPAN.sub("", sample)
    assert INLINE_LINK.findall(text) == [
        "docs/a.md", "b.md#part", "img/c.png", "https://example.org",
    ]
    assert REFERENCE_LINK.findall(text) == ["ref.md"]


@pytest.mark.parametrize("page", LINKED_PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(page: Path) -> None:
    """Every relative link in README.md and docs/*.md points to a file that exists."""
    broken = []
    for target in relative_links(page):
        path = unquote(urlsplit(target).path)
        resolved = (page.parent / path).resolve()
        if not resolved.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to missing files: {broken}"
