"""Reasons as data: the message type, a day of every year, and their JSON form.

A reason's arguments are typed values (see ``reciprocity._reason``); in JSON each is a
``[tag, value]`` pair (``["money", ["50.00", "EUR"]]``, ``["date", "2026-03-01"]``), so a
reason reads back with its types. ``reciprocity._reason`` re-exports every name here.

Imports: ``money`` and ``_model``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from ._model import fixed_point
from .money import Money

__all__ = ["MonthDay", "Msg", "Named", "Unit", "decode_args", "decode_text", "encode_args",
           "encode_text", "in_unit_words", "unit_capital"]


class Msg(NamedTuple):
    """A message: its key and arguments (a reason, or a part of one)."""

    key: str
    args: dict[str, Any]


class MonthDay(NamedTuple):
    """A day of every year (``31 December``, ``31. Dezember``)."""

    month: int
    day: int


class Unit(NamedTuple):
    """A balance's unit, as a reason's ``unit`` argument: its words by locale, each
    ``(locale, singular, plural)``, sorted by locale.

    A message whose ``unit`` argument is one is said, with every message nested in it, in
    those words: a message with a ``.unit`` variant in the catalogue takes the variant (as
    the terms do, see ``Catalogue.with_unit``); a locale without words keeps the
    catalogue's "points". A nested message's own ``unit`` is said in its own words.

    >>> miles = Unit((("de", "Meile", "Meilen"), ("en", "mile", "miles")))
    >>> miles.words("de_AT"), miles.words("fr")
    (('Meile', 'Meilen'), None)
    """

    by_locale: tuple[tuple[str, str, str], ...]

    def words(self, locale: str) -> tuple[str, str] | None:
        """``(singular, plural)`` in ``locale`` (``de_AT`` falls back to ``de``), or
        ``None``."""
        language = locale.replace("-", "_").split("_")[0]
        found = None
        for tag, one, other in self.by_locale:
            if tag == locale:
                return one, other
            if tag == language:
                found = one, other
        return found


class Named(NamedTuple):
    """A program's own name (an order line's category, a ``Custom`` event's name) with its
    labels, as a reason's argument: said in each locale's label, or as the name in a locale
    without one (``Program.labels``). Its labels are ``(locale, label)`` pairs, sorted.

    >>> fare = Named("fare", (("de", "Flugpreis"), ("en", "fare")))
    >>> fare.said("de_AT"), fare.said("fr")
    ('Flugpreis', 'fare')
    """

    name: str
    by_locale: tuple[tuple[str, str], ...]

    def said(self, locale: str) -> str:
        """The label in ``locale`` (``de_AT`` falls back to ``de``), else the name."""
        language = locale.replace("-", "_").split("_")[0]
        found = self.name
        for tag, label in self.by_locale:
            if tag == locale:
                return label
            if tag == language:
                found = label
        return found


def in_unit_words(words: tuple[str, str], singular: bool, args: dict[str, str]) -> None:
    """Give a ``.unit`` variant's ``{unit}`` (the word for the count: ``singular`` or not)
    and ``{units}`` (the plural) in ``args``, unless it has them."""
    args.setdefault("unit", words[0] if singular else words[1])
    args.setdefault("units", words[1])


def unit_capital(said: str, text: str, first: str) -> str:
    """``said`` (a variant's form ``text`` filled in) starting with a capital letter where
    ``text`` starts with the unit and the message it stands for (whose first form is
    ``first``) starts with one: "Points never expire.", "Miles never expire."."""
    if text.startswith(("{unit}", "{units}")) and first[:1].isupper():
        return said[:1].upper() + said[1:]
    return said


def _encode(value: Any) -> list[Any]:
    if isinstance(value, bool):
        raise TypeError("a reason argument is never a bool")
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, int):
        return ["int", value]
    if isinstance(value, Decimal):
        return ["number", fixed_point(value)]
    if isinstance(value, Money):
        return ["money", [fixed_point(value.amount), value.currency]]
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, Msg):
        return ["msg", [value.key, encode_args(value.args)]]
    if isinstance(value, MonthDay):
        return ["month_day", [value.month, value.day]]
    if isinstance(value, Unit):
        return ["unit", {tag: [one, other] for tag, one, other in value.by_locale}]
    if isinstance(value, Named):
        return ["named", [value.name, dict(value.by_locale)]]
    if isinstance(value, tuple):
        return ["list", [_encode(item) for item in value]]
    raise TypeError(f"a reason argument cannot be {type(value).__name__}")


def encode_args(args: dict[str, Any]) -> dict[str, list[Any]]:
    """``args`` as JSON-ready ``[tag, value]`` pairs (the inverse of :func:`decode_args`)."""
    return {name: _encode(value) for name, value in args.items()}


def _decode(value: Any) -> Any:
    if not isinstance(value, list):
        return value  # already a Python value (a model built in code)
    if len(value) != 2:
        raise ValueError(f"a reason argument is a [tag, value] pair, not {value!r}")
    tag, raw = value
    if tag == "str" and isinstance(raw, str):
        return raw
    if tag == "int" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if tag == "number" and isinstance(raw, str | int):
        return Decimal(raw)
    if tag == "money" and isinstance(raw, list) and len(raw) == 2:
        return Money(Decimal(str(raw[0])), raw[1])
    if tag == "date" and isinstance(raw, str):
        return date.fromisoformat(raw)
    if tag == "msg" and isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
        return Msg(raw[0], decode_args(raw[1]))
    if tag == "month_day" and isinstance(raw, list) and len(raw) == 2:
        return MonthDay(int(raw[0]), int(raw[1]))
    if tag == "unit" and isinstance(raw, dict):
        return Unit(tuple(sorted((str(tag), str(one), str(other))
                                 for tag, (one, other) in raw.items())))
    if tag == "named" and isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], dict):
        return Named(str(raw[0]), tuple(sorted((str(tag), str(label))
                                               for tag, label in raw[1].items())))
    if tag == "list" and isinstance(raw, list):
        return tuple(_decode(item) for item in raw)
    raise ValueError(f"unknown reason argument {value!r}: the tag is one of str, int, "
                     "number, money, date, month_day, msg, unit, named, list")


def encode_text(value: Msg | str) -> str | list[Any]:
    """A stored text: a plain string as it is, a message as its ``["msg", ...]`` pair."""
    return value if isinstance(value, str) else _encode(value)


def decode_text(value: Any) -> Msg | str:
    """The inverse of :func:`encode_text`; a string (stored before reasons were data, or a
    shop's own words) stays a string and is said as it is in every locale."""
    if isinstance(value, str | Msg):
        return value
    decoded = _decode(value)
    if not isinstance(decoded, Msg):
        raise ValueError(f"a stored text is a string or a ['msg', [key, args]] pair, not "
                         f"{value!r}")
    return decoded


def decode_args(args: Any) -> dict[str, Any]:
    """Typed values from ``[tag, value]`` pairs; Python values pass through unchanged."""
    if not isinstance(args, dict):
        raise ValueError("reason_args is a mapping of names to [tag, value] pairs")
    return {str(name): _decode(value) for name, value in args.items()}
