"""The message catalogue: messages by key, in a locale, with Babel's formats for the values.

Messages live in gettext files under ``reciprocity/locales``: ``reciprocity.pot`` is the
template and holds the English source text; every other locale is one ``<locale>.po`` file
beside it (``de.po``). A message is addressed by its key, the gettext context (``msgctxt``),
so the English wording can change without breaking a translation's lookup. A third locale
needs no code: copy the template to ``fr.po``, fill in every ``msgstr`` and its
``Plural-Forms`` header, and ``available_locales()`` lists it.

The files are read directly with Babel (``babel.messages.pofile``), once per locale; the
plural form of a count is picked by the catalogue's ``Plural-Forms`` expression, as gettext
does. Values are formatted before they go into a message: money as ``1.050,00 EUR``
(``de``) or ``1,050.00 EUR`` (``en``), with the currency's own decimals; numbers, percent,
dates and lists as Babel formats them for the locale. Non-breaking spaces that Babel puts
in (``5 %``) become plain spaces, so the text reads the same in a terminal and a file.

>>> c = catalogue("de")
>>> c.t("earn.per_purchase.over", n=1, amount=c.money(Money("50.00", "EUR")))
'Jeder Einkauf über 50,00 EUR bringt Ihnen einen Punkt.'

Imports: ``errors``, ``money`` and ``_reason_data`` (how a unit's words fill a message);
Babel (the ``i18n`` extra) only when a catalogue is loaded, never at import time.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from .._reason_data import in_unit_words, unit_capital
from .._reason_template import articled
from ..errors import MissingDependency, UnknownLocale
from ..money import Money

__all__ = ["LOCALES_DIR", "Catalogue", "available_locales", "catalogue"]

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
"""Where the template (``reciprocity.pot``) and the translations (``<locale>.po``) are."""

TEMPLATE = "reciprocity.pot"
SOURCE_LOCALE = "en"
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def available_locales() -> tuple[str, ...]:
    """The locales there is a catalogue for: English (the template) and every ``.po`` file.

    >>> available_locales()
    ('de', 'en')
    """
    found = {path.stem for path in LOCALES_DIR.glob("*.po")}
    return tuple(sorted(found | {SOURCE_LOCALE}))


def _babel() -> None:
    try:
        import babel  # noqa: F401
    except ImportError:
        raise MissingDependency(
            "terms and statements in a locale need Babel",
            hint="pip install 'reciprocity[i18n]'") from None


Entry = tuple[str, ...]
"""A message's forms: one for a plain message, two or more for a plural one."""


def _read(path: Path) -> tuple[dict[str, Entry], dict[str, Entry], str | None]:
    """Source forms and translated forms by key, and the ``Plural-Forms`` expression."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    source: dict[str, Entry] = {}
    translated: dict[str, Entry] = {}
    for message in catalog:
        if not message.id or message.context is None:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        source[message.context] = tuple(str(i) for i in ids)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:
            translated[message.context] = tuple(str(s) for s in strings)
    expression = None
    if path.suffix == ".po":
        expression = catalog.plural_expr
    return source, translated, expression


@lru_cache(maxsize=16)
def catalogue(locale: str = SOURCE_LOCALE) -> Catalogue:
    """The catalogue of ``locale`` (loaded once per process).

    Raises:
        UnknownLocale: there is no catalogue for ``locale``.
        MissingDependency: Babel is not installed.
    """
    if locale not in available_locales():
        raise UnknownLocale(
            f"locale={locale!r} has no message catalogue",
            hint="use one of " + ", ".join(repr(name) for name in available_locales())
            + f", or add {locale}.po to {LOCALES_DIR}")
    _babel()
    from babel import Locale

    source, _, _ = _read(LOCALES_DIR / TEMPLATE)
    forms: dict[str, Entry] = dict(source)
    plural: Callable[[int], int] = lambda n: int(n != 1)  # noqa: E731  (English)
    if locale != SOURCE_LOCALE:
        _, translated, expression = _read(LOCALES_DIR / f"{locale}.po")
        forms.update({key: value for key, value in translated.items() if key in source})
        if expression:
            plural = gettext.c2py(expression)
    return Catalogue(locale, Locale.parse(locale), forms, plural)


class Catalogue:
    """Messages and value formats of one locale; see :func:`catalogue`."""

    def __init__(self, locale: str, babel_locale: Any, forms: dict[str, Entry],
                 plural: Callable[[int], int], unit: tuple[str, str] | None = None) -> None:
        self.locale = locale
        self._babel = babel_locale
        self._forms = forms
        self._plural = plural
        self._unit = unit
        self._english = locale.split("_")[0].split("-")[0] == "en"
        """English picks ``a``/``an`` by the value's sound (``articled``)."""

    def with_unit(self, words: tuple[str, str] | None) -> Catalogue:
        """This catalogue saying a balance's unit in ``words`` (singular, plural) where a
        message names it: a message whose key has a ``.unit`` variant takes the variant,
        with ``{unit}`` (the word for its ``n``; the singular without one) and ``{units}``
        (the plural). A variant that starts with one of them starts with a capital letter
        where the message itself does ("Points never expire.": "Miles never expire.", but
        "points ×2": "miles ×2"). ``None``: the catalogue's own words ("point", "points").

        >>> miles = catalogue("de").with_unit(("Meile", "Meilen"))
        >>> miles.t("earn.per_purchase", n=1), miles.t("expiry.never")
        ('Jeder Einkauf bringt Ihnen 1 Meile.', 'Meilen verfallen nicht.')
        >>> catalogue("en").with_unit(("mile", "miles")).t("expiry.never")
        'Miles never expire.'
        """
        if words == self._unit:
            return self
        return Catalogue(self.locale, self._babel, self._forms, self._plural, words)

    def keys(self) -> frozenset[str]:
        """Every message key of the catalogue."""
        return frozenset(self._forms)

    def t(self, key: str, n: int | Decimal | None = None, **args: str) -> str:
        """The message ``key`` with ``args`` put in; ``n`` picks the plural form and is
        available to the message as ``{n}``.

        Raises:
            KeyError: no message has this key, or the message needs an argument not given.
        """
        base = key
        if self._unit is not None and key + ".unit" in self._forms:
            key += ".unit"
        forms = self._forms.get(key)
        if forms is None:
            raise KeyError(f"no message {key!r} in the {self.locale} catalogue")
        index = 0
        if n is not None:
            args.setdefault("n", self.number(n))
            # A decimal rate (1.5 points) takes the form of a count other than one.
            count = n if isinstance(n, int) else (1 if n == 1 else 2)
            index = self._plural(count)
        text = forms[min(index, len(forms) - 1)]
        if self._english:
            text = articled(text, args)
        if self._unit is not None:
            in_unit_words(self._unit, n is None or index == 0, args)
            return unit_capital(text.format_map(_Strict(args)), text, self._forms[base][0])
        return text.format_map(_Strict(args))

    # -- values -------------------------------------------------------------------------
    def money(self, value: Money) -> str:
        """``1.050,00 EUR`` (``de``), ``1,050.00 EUR`` (``en``): the currency's decimals."""
        from babel.numbers import format_currency

        text = format_currency(value.amount, value.currency, format="#,##0.00 ¤¤",
                               locale=self._babel, currency_digits=True)
        return text.translate(_SPACES)

    def number(self, value: int | Decimal) -> str:
        """``1.000``, ``1,5`` (``de``); every significant digit is kept."""
        from babel.numbers import format_decimal

        if isinstance(value, Decimal):
            value = value.normalize()
        return format_decimal(value, locale=self._babel, decimal_quantization=False
                              ).translate(_SPACES)

    def percent(self, value: Decimal) -> str:
        """``value`` per cent: ``5 %`` (``de``), ``5%`` (``en``)."""
        from babel.numbers import format_percent

        return format_percent(value / 100, locale=self._babel, decimal_quantization=False
                              ).translate(_SPACES)

    def date(self, when: datetime | date, zone: ZoneInfo | None = None) -> str:
        """A day: ``31.12.2026`` (``de``), ``Dec 31, 2026`` (``en``); an instant is read in
        ``zone``."""
        from babel.dates import format_date

        if isinstance(when, datetime) and zone is not None:
            when = when.astimezone(zone)
        day = when.date() if isinstance(when, datetime) else when
        return format_date(day, "medium", locale=self._babel).translate(_SPACES)

    def datetime(self, when: datetime, zone: ZoneInfo | None = None) -> str:
        """A day and a time of day: ``01.12.2026, 14:05`` (``de``)."""
        from babel.dates import format_time

        local = when.astimezone(zone) if zone is not None else when
        time = format_time(local.time(), "short", locale=self._babel).translate(_SPACES)
        return self.t("format.date_time", date=self.date(local), time=time)

    def month_day(self, month: int, day: int) -> str:
        """A day of every year: ``1. Dezember`` (``de``), ``December 1`` (``en``)."""
        from babel.dates import format_skeleton

        return format_skeleton("MMMMd", datetime(2001, month, day), locale=self._babel
                               ).translate(_SPACES)

    def month(self, month: int) -> str:
        """A month's name: ``März`` (``de``), ``March`` (``en``)."""
        from babel.dates import get_month_names

        return str(get_month_names("wide", locale=self._babel)[month])

    def join(self, items: Sequence[str], style: str = "and") -> str:
        """``a, b und c`` / ``a oder b``, as the locale writes a list."""
        from babel.lists import format_list

        if not items:
            return ""
        return format_list(list(items), style="or" if style == "or" else "standard",
                           locale=self._babel)

    def ordinal(self, n: int) -> str:
        """``1st``, ``2nd`` (``en``), ``1.`` (``de``): the message of the locale's ordinal
        category of ``n``."""
        return self.t(f"ordinal.{self._babel.ordinal_form(n)}", n=n)

    def quote(self, text: str) -> str:
        """Shop data (a name, an id) quoted as the locale quotes: “…” or „…“."""
        return self.t("format.quote", text=text)


class _Strict(dict[str, str]):
    """Format arguments that fail loudly on a placeholder without a value."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"message placeholder {{{key}}} has no value")


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders of a message text."""
    return frozenset(name for _, name, _, _ in Formatter().parse(text) if name)
