"""A rendered document: a title, sections of items, as plain text, Markdown or a dict.

The terms and the statement are both built as a :class:`Document`; only this module knows
how text and Markdown look.

Imports: ``errors`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidEvent

__all__ = ["FORMATS", "Document", "Item", "Section", "check_format"]

FORMATS = ("text", "markdown")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def check_format(format: str) -> str:
    """``format`` if it is ``"text"`` or ``"markdown"``."""
    if format not in FORMATS:
        raise InvalidEvent(f"format={format!r}", hint='use "text" or "markdown"')
    return format


@dataclass(frozen=True)
class Item:
    """One entry: a sentence or a few, with an optional label (a reward's or a tier's name)."""

    text: str
    label: str | None = None


@dataclass(frozen=True)
class Section:
    """A heading and its items."""

    heading: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Document:
    """A title, an optional introduction, and sections."""

    title: str
    sections: tuple[Section, ...]
    intro: tuple[str, ...] = field(default=())

    def render(self, format: str = "text") -> str:
        """The document as plain text or Markdown."""
        if check_format(format) == "markdown":
            return self._markdown()
        lines = [self.title, "=" * len(self.title)]
        lines += [*self.intro]
        for section in self.sections:
            lines += ["", section.heading]
            lines += [f"- {_labelled(item.label, item.text)}" for item in section.items]
        return "\n".join(lines) + "\n"

    def _markdown(self) -> str:
        lines = [f"# {_md(self.title)}"]
        if self.intro:
            lines += ["", *(_md(line) for line in self.intro)]
        for section in self.sections:
            lines += ["", f"## {_md(section.heading)}", ""]
            for item in section.items:
                label = None if item.label is None else f"**{_md(item.label)}**"
                lines.append(f"- {_labelled(label, _md(item.text))}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The document as plain data (JSON-ready)."""
        return {"title": self.title, "intro": list(self.intro), "sections": [
            {"heading": s.heading,
             "items": [{"label": i.label, "text": i.text} for i in s.items]}
            for s in self.sections]}


def _labelled(label: str | None, text: str) -> str:
    return text if label is None else f"{label}: {text}"


def _md(text: str) -> str:
    """Shop data and sentences with Markdown's special characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
