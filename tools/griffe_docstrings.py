"""A griffe extension that renders reciprocity's docstrings well in the MkDocs API page.

The docstrings are written for ``help()`` and doctest: bare ``>>>`` examples, Sphinx roles
such as ``:class:`~reciprocity.Decision```, and ``::`` before a literal block. Markdown reads
a bare ``>>>`` line as three nested block quotes and shows the roles verbatim, so before the
docstrings are parsed this extension

- wraps each doctest example (``>>>``/``...`` lines and their expected output, up to a blank
  line) in a fenced ``pycon`` code block;
- turns a Sphinx role into inline code, keeping what Sphinx would show (the last part of the
  name after ``~``);
- ends a paragraph that introduces an indented literal block with ``:`` instead of ``::``.

Nothing in ``src/`` changes; ``mkdocs.yml`` loads this file by path. It is not imported by the
package or the tests.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|exc|data|obj|const|ref):`(~?)([^`]+)`")
PROMPT = re.compile(r"^(\s*)>>>(?: |$)")


def _role(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2).strip()
    if "<" in target and target.endswith(">"):  # :ref:`title <target>`
        target = target.split("<", 1)[0].strip()
    elif short:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def fence_doctests(text: str) -> str:
    """Wrap bare doctest examples of ``text`` in fenced ``pycon`` blocks."""
    out: list[str] = []
    in_fence = False
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            out.append(line)
            index += 1
            continue
        prompt = None if in_fence else PROMPT.match(line)
        if prompt is None:
            out.append(line)
            index += 1
            continue
        indent = prompt.group(1)
        out.append(f"{indent}```pycon")
        while index < len(lines) and lines[index].strip():
            out.append(lines[index])
            index += 1
        out.append(f"{indent}```")
    return "\n".join(out)


def clean(text: str) -> str:
    """The docstring ``text`` with doctests fenced, roles as code and ``::`` as ``:``."""
    text = ROLE.sub(_role, text)
    text = re.sub(r"(?<=\S)::$", ":", text, flags=re.MULTILINE)
    return fence_doctests(text)


class DocstringsForMarkdown(griffe.Extension):
    """Rewrite every docstring of a package once it is completely loaded.

    It also drops griffe-pydantic's "pydantic-field" label from class attributes that pydantic
    does not take as fields: names starting with ``_`` and attributes without an annotation
    (such as ``__hash__ = Frozen.__hash__``). griffe-pydantic 1.3 labels them, and its template
    then fails on the missing annotation. List this extension after ``griffe_pydantic``.
    """

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Clean the docstrings of ``pkg`` and of every object defined in it."""
        pending: list[griffe.Object] = [pkg]
        while pending:
            obj = pending.pop()
            if obj.docstring is not None:
                obj.docstring.value = clean(obj.docstring.value)
            if (
                isinstance(obj, griffe.Attribute)
                and "pydantic-field" in obj.labels
                and (obj.name.startswith("_") or obj.annotation is None)
            ):
                obj.labels.discard("pydantic-field")
            pending += [
                member for member in obj.members.values() if isinstance(member, griffe.Object)
            ]
