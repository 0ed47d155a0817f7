"""Reasons as data: a message key and its arguments, rendered through the message catalogue.

An effect's reason is stored as ``(key, args)``: ``key`` addresses a message of the
catalogue (``reciprocity/locales/reciprocity.pot`` and its translations) and ``args`` holds
the values put into it, typed, so each locale formats them its own way:

- ``str``: shop data (an order id, a gift's or a tier's name), put in as it is;
- ``MonthDay``: a day of every year;
- ``int``: a count (``n`` picks a plural message's form), ``Decimal``: a number;
- :class:`~reciprocity.Money`, ``date`` (a day in the program's zone, already converted);
- :class:`Msg`: a nested message (a note, a threshold), rendered in the same locale;
- a ``tuple`` of any of these: rendered one by one and joined (``reason.join``).

English is the source language and needs no extra: :func:`english` reads the template
with a small reader of its own and formats values the way reasons always read (``50.00
EUR``, ``2026-03-01``), so ``effect.reason`` works without Babel. Any other locale goes
through :func:`reciprocity.terms.catalog.catalogue` (the ``i18n`` extra): ``1.234,50 EUR``,
``01.03.2026``.

>>> english("reason.released.window", {"n": 2, "order": "A-17"})
'2 points from order A-17 are now available: the return window has closed'

In JSON an argument is a ``[tag, value]`` pair (``["money", ["50.00", "EUR"]]``,
``["date", "2026-03-01"]``), so a reason reads back with its types: see :func:`encode_args`.

Imports: ``money`` and ``_model``; the ``terms`` catalogue (Babel) lazily, for a locale
other than English.
"""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from ._model import fixed_point
from .money import Money

__all__ = ["LazyField", "LazyText", "MonthDay", "Msg", "as_text", "built", "decode_args",
           "decode_text", "encode_args", "encode_text", "english", "fields",
           "last_day", "local_day", "ordinal", "render", "unformatted"]

TEMPLATE = Path(__file__).resolve().parent / "locales" / "reciprocity.pot"


class Msg(NamedTuple):
    """A message: its key and arguments (a reason, or a part of one)."""

    key: str
    args: dict[str, Any]


class MonthDay(NamedTuple):
    """A day of every year (``31 December``, ``31. Dezember``)."""

    month: int
    day: int


def ordinal(n: int) -> Msg:
    """``1st``, ``2nd`` (``en``), ``1.`` (``de``): the message of ``n``'s English ordinal
    category (the ``ordinal.*`` keys); a locale with fewer categories says them alike."""
    form = "other" if 10 <= n % 100 <= 20 else {1: "one", 2: "two", 3: "few"}.get(n % 10, "other")
    return Msg(f"ordinal.{form}", {"n": n})


def local_day(when: datetime, zone: ZoneInfo) -> date:
    """The day of ``when`` in the program's zone (a reason's date argument)."""
    return when.astimezone(zone).date()


def last_day(end: datetime, zone: ZoneInfo) -> date:
    """The last day before the instant ``end`` (an expiry), in the program's zone."""
    return (end - timedelta(seconds=1)).astimezone(zone).date()


def built(reason: Any) -> Msg | str:
    """The message (or text) of a reason given as a ``Msg``, a text or ``(builder, *args)``."""
    if isinstance(reason, str | Msg):
        return reason
    made: Msg | str = reason[0](*reason[1:])
    return made


def fields(reason: Any) -> dict[str, Any]:
    """An effect's ``reason``, ``reason_key`` and ``reason_args`` from a :class:`Msg`, a
    ``(builder, *args)`` recipe that returns one, a :class:`LazyText` (shared with a trace
    entry) or a text (no key: said in English only). The English text is not written here:
    ``reason`` is a :class:`LazyText`, rendered when first read."""
    if type(reason) is LazyText:
        msg = reason.msg
        return {"reason": reason, "reason_key": msg.key, "reason_args": msg.args}
    reason = built(reason)
    if isinstance(reason, str):
        return {"reason": reason}
    return {"reason": LazyText(reason), "reason_key": reason.key, "reason_args": reason.args}


class LazyText:
    """The English text of a message, rendered the first time someone reads it.

    An effect's ``reason`` and a trace entry's ``detail`` hold one until read: most decisions
    are persisted or counted, not read aloud, and rendering a reason through the catalogue
    costs more than building the effect. The effect's fields are declared ``str`` and read
    as ``str``: :class:`LazyField` renders on attribute access (and keeps the text), and
    :func:`as_text` is the field's serializer, so dumps are the text, byte for byte. Equal
    and hashing alike to its text (so a model holding one equals the same model loaded from
    JSON), and it pickles as the text. One may be shared by an effect and the trace entry
    that says the same thing, so the text is written at most once.

    >>> text = LazyText(Msg("reason.earned.order", {"n": 1, "order": "A-17"}))
    >>> text == "1 point for order A-17", str(text)
    (True, '1 point for order A-17')
    """

    __slots__ = ("_text", "msg")

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The English text (rendered once)."""
        text = self._text
        if text is None:
            text = self._text = english(self.msg.key, self.msg.args)
        return text

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if type(other) is LazyText:
            return self.text == other.text
        if isinstance(other, str):
            return self.text == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return repr(self.text)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (self.text,))


def as_text(value: Any) -> Any:
    """A text field's value as it is dumped: a :class:`LazyText` rendered, anything else as
    it is (the serializer of effects' ``reason`` and trace entries' ``detail``)."""
    return value.text if type(value) is LazyText else value


class LazyField:
    """A model's text field that may hold a :class:`LazyText`: reading it renders the text
    and keeps it in the model's ``__dict__`` (a data descriptor, so it is consulted before
    the instance's ``__dict__``). Set on the class after pydantic built it; reading it on
    the class raises ``AttributeError``, as for any field without a default."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)
        values = obj.__dict__
        value = values[self.name]
        if type(value) is LazyText:
            value = values[self.name] = value.text
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{type(obj).__name__} is immutable: {self.name} cannot be set")


# -- JSON: every argument as a [tag, value] pair ------------------------------------------

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
    if tag == "list" and isinstance(raw, list):
        return tuple(_decode(item) for item in raw)
    raise ValueError(f"unknown reason argument {value!r}: the tag is one of str, int, "
                     "number, money, date, month_day, msg, list")


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


# -- rendering --------------------------------------------------------------------------

class Formats(Protocol):
    """What rendering needs of a locale: its messages and its value formats."""

    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str: ...
    def money(self, value: Money) -> str: ...
    def number(self, value: int | Decimal) -> str: ...
    def date(self, when: date) -> str: ...
    def month_day(self, month: int, day: int) -> str: ...


def _fill(fmt: Formats, key: str, args: dict[str, Any]) -> str:
    shown = {name: _value(fmt, value) for name, value in args.items() if name != "n"}
    n = args.get("n")
    return fmt.t(key, n=n, **shown)


def _value(fmt: Formats, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return fmt.number(value)
    if isinstance(value, Money):
        return fmt.money(value)
    if isinstance(value, date):
        return fmt.date(value)
    if isinstance(value, Msg):
        return _fill(fmt, value.key, value.args)
    if isinstance(value, MonthDay):
        return fmt.month_day(value.month, value.day)
    if isinstance(value, tuple):
        return fmt.t("reason.join", head=", ".join(_value(fmt, v) for v in value[:-1]),
                     last=_value(fmt, value[-1])) if len(value) > 1 else (
            _value(fmt, value[0]) if value else "")
    raise TypeError(f"a reason argument cannot be {type(value).__name__}")


def _unquote(line: str) -> str:
    text = ast.literal_eval(line)
    assert isinstance(text, str)
    return text


@lru_cache(maxsize=1)
def _template() -> dict[str, tuple[str, ...]]:
    """The template's English forms by key (msgctxt), read without Babel."""
    forms: dict[str, tuple[str, ...]] = {}
    entry: dict[str, str] = {}
    field = ""

    def flush() -> None:
        if "msgctxt" in entry:
            ids = (entry["msgid"],) + ((entry["msgid_plural"],) if "msgid_plural" in entry
                                       else ())
            forms[entry["msgctxt"]] = ids
        entry.clear()

    for raw in TEMPLATE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if field:
                entry[field] = entry.get(field, "") + _unquote(line)
            continue
        name, _, rest = line.partition(" ")
        if name == "msgctxt":
            flush()
        field = name if name in ("msgctxt", "msgid", "msgid_plural") else ""
        if field:
            entry[field] = _unquote(rest)
    flush()
    return forms


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"message placeholder {{{key}}} has no value")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class _English:
    """English from the template, in the formats reasons have always used."""

    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str:
        forms = _template().get(key)
        if forms is None:
            raise KeyError(f"no message {key!r} in the en catalogue")
        if n is not None:
            args.setdefault("n", self.number(n))
            text = forms[-1] if n != 1 and len(forms) > 1 else forms[0]
        else:
            text = forms[0]
        return text.format_map(_Strict(args))

    def money(self, value: Money) -> str:
        return str(value)

    def number(self, value: int | Decimal) -> str:
        return str(value) if isinstance(value, int) else fixed_point(value.normalize())

    def date(self, when: date) -> str:
        return when.isoformat()

    def month_day(self, month: int, day: int) -> str:
        return f"{day} {_MONTHS[month - 1]}"


_ENGLISH = _English()


def english(key: str, args: dict[str, Any]) -> str:
    """The English text of the message ``key`` with ``args`` (no Babel needed)."""
    return _fill(_ENGLISH, key, args)


class _Catalogue:
    """A :class:`~reciprocity.terms.catalog.Catalogue` seen through :class:`Formats`."""

    def __init__(self, locale: str) -> None:
        from .terms.catalog import catalogue

        self.c = catalogue(locale)

    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str:
        return self.c.t(key, n=n, **args)

    def money(self, value: Money) -> str:
        return self.c.money(value)

    def number(self, value: int | Decimal) -> str:
        return self.c.number(value)

    def date(self, when: date) -> str:
        return self.c.date(when)

    def month_day(self, month: int, day: int) -> str:
        return self.c.month_day(month, day)


@lru_cache(maxsize=16)
def _formats(locale: str) -> Formats:
    return _Catalogue(locale)


def render(key: str, args: dict[str, Any], locale: str = "en") -> str:
    """The message ``key`` with ``args`` in ``locale``; English is :func:`english`.

    Raises:
        UnknownLocale: there is no catalogue for ``locale``.
        MissingDependency: a locale other than English needs Babel.
    """
    if locale == "en":
        return english(key, args)
    return _fill(_formats(locale), key, args)


def unformatted(text: str) -> frozenset[str]:
    """Placeholders left in a rendered text (``{name}``): a test's check that none is."""
    try:
        return frozenset(name for _, name, _, _ in Formatter().parse(text) if name)
    except ValueError:
        return frozenset({text})
