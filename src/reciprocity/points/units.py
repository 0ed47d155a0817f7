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

Effects' reasons count in the unit too: a point scheme's stage logs each effect's builder
wrapped in :func:`in_unit` (an effect of a scheme without words is logged as before), which
gives the reason a ``unit`` argument (:class:`~reciprocity._reason_data.Unit`, the words
of every locale), so ``effect.reason`` and ``effect.render(locale)`` say miles where the
catalogue says points:

>>> from reciprocity._reason import Msg, english
>>> unit = reason_unit(miles)
>>> english("reason.earned.order", {"n": 500, "order": "A-1", "unit": unit})
'500 miles for order A-1'

Imports: ``_model``, ``_reason``, ``errors`` and ``facts`` (the locale tags of labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints

from .._model import Frozen
from .._reason import LazyText, Msg, Unit, built, fields
from ..errors import InvalidProgram
from ..facts import LocaleTag

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["UnitWords", "Units", "counted", "english_units", "in_unit", "reason_unit", "traced",
           "unit_in", "units_word", "with_unit"]

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


def english_units(program: Program) -> dict[str | None, tuple[str, str]]:
    """The English ``(singular, plural)`` of each balance's unit that declares them, by
    balance name (``None``: the program's own points), as a tier's points requirement says
    them (``MinPoints.describe_in``)."""
    schemes = [(None, program.points), *program.balances.items()]
    return {name: (words.one, words.other) for name, scheme in schemes
            if (words := scheme.unit.get("en")) is not None}


def unit_in(units: Mapping[str, UnitWords], locale: str) -> UnitWords | None:
    """The words for ``locale`` (``de_AT`` falls back to ``de``), or ``None``."""
    found = units.get(locale)
    if found is None:
        found = units.get(locale.replace("-", "_").split("_")[0])
    return found


def reason_unit(units: Mapping[str, UnitWords]) -> Unit | None:
    """A scheme's unit as a reason's ``unit`` argument; ``None`` without words."""
    if not units:
        return None
    return Unit(tuple(sorted((tag, words.one, words.other) for tag, words in units.items())))


def with_unit(effect: Any, unit: Unit) -> Any:
    """``effect`` with its reason said in ``unit`` (its message given the ``unit``
    argument); an effect without a message (a text) as it is."""
    key = effect.reason_key
    if key is None:
        return effect
    return effect.model_copy(update=fields(Msg(key, {**effect.reason_args, "unit": unit})))


def in_unit(unit: Unit, entry: tuple[Any, ...]) -> Any:
    """Build a logged effect, ``entry`` (``(builder, *args)``), with its reason in ``unit``:
    the log entry ``(in_unit, unit, entry)`` of a scheme that declares its unit's words."""
    return with_unit(entry[0](*entry[1:]), unit)


def traced(unit: Unit | None, reason: Any) -> Any:
    """A trace line's text (a message, a ``LazyText``, a ``(builder, *args)`` recipe or a
    text) said in a scheme's ``unit``, as its effect's reason says it; as it is without one.
    A ``LazyText`` stays one (a trace entry's detail), any other message comes back a
    message.

    >>> unit = reason_unit({"en": UnitWords(one="mile", other="miles")})
    >>> from reciprocity._engine import text
    >>> text(traced(unit, Msg("reason.earned.order", {"n": 2, "order": "A-1"})))
    '2 miles for order A-1'
    """
    if unit is None:
        return reason
    if type(reason) is LazyText:
        msg = reason.msg
        return LazyText(Msg(msg.key, {**msg.args, "unit": unit}))
    if not isinstance(reason, str | Msg):
        reason = built(reason)
    if isinstance(reason, Msg):
        return Msg(reason.key, {**reason.args, "unit": unit})
    return reason


def counted(n: int, unit: Unit | None) -> str:
    """``n`` points in English, or in ``unit``'s English words (a trace line's count):
    ``1,500 points``, ``1 mile``.

    >>> counted(1500, None), counted(1, reason_unit({"en": UnitWords(one="mile", other="miles")}))
    ('1,500 points', '1 mile')
    """
    words = None if unit is None else unit.words("en")
    one, other = ("point", "points") if words is None else words
    return f"{n:,} {one if n == 1 else other}"


def units_word(unit: Unit | None) -> str:
    """The English plural of ``unit`` (``"points"`` without words): ``no miles``."""
    words = None if unit is None else unit.words("en")
    return "points" if words is None else words[1]
