"""A balance's unit in the words of each locale: ``PointScheme.unit``.

A program that counts miles, stars or °points says so: its point scheme (or one of
``Program.balances``) declares the unit's words per locale, singular and plural, and the
terms, statements and ``explain`` say them wherever the balance's unit is named, in place of
the catalogue's "point" and "points". A locale without words keeps the catalogue's.

>>> miles = {"en": UnitWords(one="mile", other="miles"),
...          "de": UnitWords(one="Meile", other="Meilen")}
>>> unit_in(miles, "de_AT").other, unit_in(miles, "fr")
('Meilen', None)
>>> unit_in(miles, "en").count(1), unit_in(miles, "en").count(1500)
('1 mile', '1,500 miles')

Imports: ``_model``, ``errors`` and ``facts`` (the locale tags of labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import StringConstraints

from .._model import Frozen
from ..errors import InvalidProgram
from ..facts import LocaleTag

__all__ = ["UnitWords", "Units", "unit_in"]

_Word = Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]


class UnitWords(Frozen):
    """The words of a balance's unit in one locale, as a customer reads them.

    Args:
        one: the singular, said of one (``"mile"``, ``"Meile"``, ``"Star"``).
        other: the plural, said of any other count (``"miles"``, ``"Meilen"``, ``"Stars"``).

    Write them as they stand in a sentence (German nouns capitalised, English ones not);
    the terms capitalise the first letter where a sentence starts with the unit.
    """

    _error_class = InvalidProgram

    one: _Word
    other: _Word

    def count(self, n: int) -> str:
        """``n`` with the word for it, in English digits (``Program.explain``)."""
        return f"{n:,} {self.one if n == 1 else self.other}"


Units = dict[LocaleTag, UnitWords]
"""A unit's words by locale: ``{"en": UnitWords(one="mile", other="miles")}``."""


def unit_in(units: Mapping[str, UnitWords], locale: str) -> UnitWords | None:
    """The words for ``locale`` (``de_AT`` falls back to ``de``), or ``None``."""
    found = units.get(locale)
    if found is None:
        found = units.get(locale.replace("-", "_").split("_")[0])
    return found
