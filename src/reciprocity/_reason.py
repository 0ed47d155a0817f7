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

``Msg``, ``MonthDay`` and the JSON form of arguments live in ``reciprocity._reason_data``,
the template's reader and compiler in ``reciprocity._reason_template``; both are re-exported
here.

Imports: ``money``, ``_model``, ``_reason_data``, ``_reason_template``; the ``terms``
catalogue (Babel) lazily, for a locale other than English.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from string import Formatter
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ._reason_data import (
    MonthDay,
    Msg,
    Named,
    Unit,
    decode_args,
    decode_text,
    encode_args,
    encode_text,
    in_unit_words,
    unit_capital,
)
from ._reason_template import (
    _compile,
    _money,
    articled,
    money_text,
    percent_format,
)
from ._reason_template import _template as _template
from .money import Money

__all__ = ["LazyField", "LazyText", "MonthDay", "Msg", "Named", "Unit", "as_text", "built",
           "count_text", "decode_args", "decode_text", "encode_args", "encode_text", "english",
           "fields", "last_day", "local_day", "money_text", "ordinal", "percent_format", "render",
           "unformatted"]


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
    return (end - _SECOND).astimezone(zone).date()


_SECOND = timedelta(seconds=1)


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
    kind = type(reason)
    if kind is Msg:  # the usual case first
        key, args = reason
        return {"reason": LazyText(reason), "reason_key": key, "reason_args": args}
    if kind is LazyText:
        key, args = reason.msg
        return {"reason": reason, "reason_key": key, "reason_args": args}
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


# -- rendering --------------------------------------------------------------------------

class Formats(Protocol):
    """What rendering needs of a locale: its messages and its value formats."""

    locale: str

    def in_unit(self, words: tuple[str, str] | None) -> Formats: ...
    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str: ...
    def money(self, value: Money) -> str: ...
    def number(self, value: int | Decimal) -> str: ...
    def date(self, when: date) -> str: ...
    def month_day(self, month: int, day: int) -> str: ...


def _fill(fmt: Formats, key: str, args: dict[str, Any]) -> str:
    unit = args.get("unit")
    if type(unit) is Unit:  # this message and those in it, in the unit's words
        fmt = fmt.in_unit(unit.words(fmt.locale))
        args = {name: value for name, value in args.items() if value is not unit}
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
    if isinstance(value, Named):
        return value.said(fmt.locale)
    if isinstance(value, tuple):
        return fmt.t("reason.join", head=", ".join(_value(fmt, v) for v in value[:-1]),
                     last=_value(fmt, value[-1])) if len(value) > 1 else (
            _value(fmt, value[0]) if value else "")
    raise TypeError(f"a reason argument cannot be {type(value).__name__}")


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"message placeholder {{{key}}} has no value")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def english_day(month: int, day: int) -> str:
    """A day of the year in English, ``"15 March"``, whatever the process's locale
    (``strftime("%B")`` and ``calendar.month_name`` follow ``LC_TIME``)."""
    return f"{day} {_MONTHS[month - 1]}"


class _English:
    """English from the template, in the formats reasons have always used; ``words``: a
    unit's (singular, plural), said as ``Catalogue.with_unit`` says them."""

    locale = "en"

    def __init__(self, words: tuple[str, str] | None = None) -> None:
        self.words = words

    def in_unit(self, words: tuple[str, str] | None) -> _English:
        return self if words == self.words else _English(words)

    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str:
        first = _template().get(key)
        if first is None:
            raise KeyError(f"no message {key!r} in the en catalogue")
        forms = first
        words = self.words
        if words is not None:
            forms = _template().get(key + ".unit", first)
        if n is not None:
            args.setdefault("n", self.number(n))
            text = forms[-1] if n != 1 and len(forms) > 1 else forms[0]
        else:
            text = forms[0]
        if words is not None:
            in_unit_words(words, n is None or n == 1, args)
            said = articled(text, args)
            return unit_capital(said.format_map(_Strict(args)), text, first[0])
        return articled(text, args).format_map(_Strict(args))

    def money(self, value: Money) -> str:
        return _money(value)

    def number(self, value: int | Decimal) -> str:
        return count_text(value) if isinstance(value, int) else format(value.normalize(), ",f")

    def date(self, when: date) -> str:
        return when.isoformat()

    def month_day(self, month: int, day: int) -> str:
        return english_day(month, day)


_ENGLISH = _English()


def english(key: str, args: dict[str, Any]) -> str:
    """The English text of the message ``key`` with ``args`` (no Babel needed).

    The text of ``_fill(_ENGLISH, key, args)`` (the general form, the tests' oracle), made
    faster: each template is compiled once into a ``%`` format and its placeholders' names,
    and each value is written by its exact type's function."""
    shown: dict[str, str] = {}
    for name, value in args.items():
        kind = type(value)
        if kind is str:
            shown[name] = value
        elif name == "n":
            continue
        elif kind is Msg:
            shown[name] = english(value.key, value.args)
        else:
            write = _WRITE.get(kind)
            if write is None and kind is Unit:  # this message and those in it in its words
                return _english_in(key, args, value.words("en"))
            text = _value(_ENGLISH, value) if write is None else write(value)
            shown[name] = text if type(text) is str else format(text, "")
    forms = _COMPILED.get(key)
    if forms is None:
        forms = _COMPILED[key] = _compile(key)
    return _written(forms, args.get("n"), shown)


def _english_in(key: str, args: dict[str, Any], words: tuple[str, str] | None) -> str:
    """:func:`english` of a message said in a unit's ``words`` (``None``: the catalogue's
    "points"), as are the messages in it but one that names its own ``unit``: the message's
    ``.unit`` variant compiled with the words put in (``_reason_template.in_words``)."""
    shown: dict[str, str] = {}
    for name, value in args.items():
        kind = type(value)
        if kind is str:
            shown[name] = value
        elif name == "n":
            continue
        elif kind is Msg:
            shown[name] = _english_in(value.key, value.args, words)
        elif kind is Unit:
            said = value.words("en")
            if said != words:  # a message of its own unit: said again in its words
                return _english_in(key, args, said)
        elif kind is tuple:
            shown[name] = _list_in(value, words)
        else:
            write = _WRITE.get(kind)
            text = _value(_ENGLISH.in_unit(words), value) if write is None else write(value)
            shown[name] = text if type(text) is str else format(text, "")
    forms = _COMPILED_IN.get((key, words))
    if forms is None:
        forms = _COMPILED_IN[key, words] = _compile(key, words)
    return _written(forms, args.get("n"), shown)


def _written(forms: tuple[Any, Any], n: Any, shown: dict[str, str]) -> str:
    """A compiled message's text (``_compile``'s singular and plural forms) for the count
    ``n`` (``None``: not counted) and the values as ``shown``; the one tail of
    :func:`english` and :func:`_english_in`."""
    if n is None:
        form = forms[0]
    else:
        shown["n"] = ((str(n) if -1000 < n < 1000 else format(n, ",")) if type(n) is int
                      else _ENGLISH.number(n))
        form = forms[1] if n != 1 else forms[0]
    if type(form) is str:  # a template the fast form does not cover
        return form.format_map(_Strict(shown))
    pattern, pick = form
    if pick is None:
        return pattern  # type: ignore[no-any-return]
    try:
        result: str = pattern % pick(shown)
        return result
    except KeyError as missing:
        raise KeyError(f"message placeholder {{{missing.args[0]}}} has no value") from None


def _list_in(value: tuple[Any, ...], words: tuple[str, str] | None) -> str:
    """A list of values in a unit's words, as :func:`_write_list` writes one."""
    def one(item: Any) -> str:
        kind = type(item)
        if kind is Msg:
            return _english_in(item.key, item.args, words)
        if kind is tuple:
            return _list_in(item, words)
        return _write_one(item)

    if len(value) > 1:
        return _english_in("reason.join", {"head": ", ".join(map(one, value[:-1])),
                                           "last": one(value[-1])}, words)
    return one(value[0]) if value else ""


_COMPILED_IN: dict[tuple[str, tuple[str, str] | None], tuple[Any, Any]] = {}
"""``_COMPILED`` of messages said in a unit's words, by key and words."""

_COMPILED: dict[str, tuple[Any, Any]] = {}
"""Each English message's singular and plural form: a ``%`` format and the getter of its
placeholders' values in order (``None`` and the text for a form without placeholders), or
the template itself where a placeholder has a conversion, a format spec
or an attribute (none has today; ``str.format_map`` writes those)."""


def _write_one(value: Any) -> str:
    kind = type(value)
    if kind is str:
        same: str = value
        return same
    if kind is Msg:
        return english(value.key, value.args)
    write = _WRITE.get(kind)
    text: str = _value(_ENGLISH, value) if write is None else write(value)
    return text


def _write_list(value: tuple[Any, ...]) -> str:
    if len(value) > 1:
        return english("reason.join", {"head": ", ".join(map(_write_one, value[:-1])),
                                       "last": _write_one(value[-1])})
    return _write_one(value[0]) if value else ""


def count_text(n: int) -> str:
    """A count as English reasons write it: with a thousands separator (``1,000``, as the
    terms write it; ``str`` below 1,000). Every ``int`` of a reason is a count: a year, an
    id or a day goes in as a text (``str``) or a ``MonthDay``.

    >>> count_text(999), count_text(100000), count_text(-1500)
    ('999', '100,000', '-1,500')
    """
    return str(n) if -1000 < n < 1000 else format(n, ",")  # str is the cheaper call


_WRITE: dict[type, Any] = {
    int: count_text, Decimal: _ENGLISH.number, Money: _money, date: date.isoformat,
    MonthDay: lambda v: _ENGLISH.month_day(v.month, v.day), tuple: _write_list,
    Named: lambda v: v.said("en"),
}
"""English values by exact type, as ``_English`` writes them; any other type (a subclass,
a ``datetime``) goes through ``_value``."""


class _Catalogue:
    """A :class:`~reciprocity.terms.catalog.Catalogue` seen through :class:`Formats`."""

    def __init__(self, locale: str, words: tuple[str, str] | None = None) -> None:
        from .terms.catalog import catalogue

        self.locale = locale
        self.c = catalogue(locale).with_unit(words)

    def in_unit(self, words: tuple[str, str] | None) -> Formats:
        return _formats(self.locale, words)

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


@lru_cache(maxsize=64)
def _formats(locale: str, words: tuple[str, str] | None = None) -> Formats:
    return _Catalogue(locale, words)


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
