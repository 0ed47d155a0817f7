"""The English template of the message catalogue, read without Babel, and what writes from it.

``effect.reason`` is English and needs no extra: the template
(``reciprocity/locales/reciprocity.pot``) is read by a small reader of its own
(:func:`_template`), each message compiled once into ``%`` formats (:func:`_compile`,
:func:`percent_format`), and money written as reasons always wrote it
(:func:`money_text`: ``50.00 EUR``). ``reciprocity._reason`` writes the messages and
re-exports every name here.

>>> percent_format("{n} points for order {order}")
('%s points for order %s', ['n', 'order'])

Imports: ``money`` and ``_reason_data``.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from string import Formatter
from typing import Any

from ._reason_data import unit_capital
from .money import Money, currency_exponent

__all__ = ["TEMPLATE", "in_words", "money_text", "percent_format"]

TEMPLATE = Path(__file__).resolve().parent / "locales" / "reciprocity.pot"


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


def percent_format(text: str) -> tuple[str, list[str]] | None:
    """A template as a ``%`` format (every ``%`` of its words doubled, a ``%s`` per
    placeholder) and its placeholders' names in order; ``None`` for a template that does not
    parse or has a placeholder with a conversion, a format spec or an attribute (then
    ``format_map`` writes it, and says what is wrong)."""
    pieces: list[str] = []
    names: list[str] = []
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        return None
    for literal, name, spec, conversion in parsed:
        pieces.append(literal.replace("%", "%%"))
        if name is not None:
            if spec or conversion or not name.isidentifier():
                return None
            pieces.append("%s")
            names.append(name)
    return "".join(pieces), names


def in_words(key: str, forms: tuple[str, ...], unit: tuple[str, str], counted: bool
             ) -> tuple[str, ...]:
    """The forms English writes for ``key`` (whose forms are ``forms``) said in a unit's
    ``(singular, plural)``: its ``.unit`` variant's, the word for a count of one in the
    first, the plural in the other (without ``counted``, only the first, for a message
    without ``n``), as ``in_unit_words`` and ``unit_capital`` put them in; a message without
    a variant as it is (a ``{unit}`` of its own is its argument's)."""
    texts = _template().get(key + ".unit")
    if texts is None:
        return forms
    one, other = (word.replace("{", "{{").replace("}", "}}") for word in unit)
    said = []
    for text, word in ((texts[0], one), (texts[-1], other))[:2 if counted else 1]:
        filled = text.replace("{unit}", word).replace("{units}", other)
        said.append(unit_capital(filled, text, forms[0]))
    return tuple(said)


def indefinite(name: str) -> str:
    """``a voucher``, ``an upgrade``, ``an 8 EUR voucher``: English's article by sound, as
    far as the first word tells it (``a user``, ``a one-off``, ``an hour`` are known forms).

    >>> indefinite("8.00 EUR voucher"), indefinite("18,000 miles"), indefinite("1,800 miles")
    ('an 8.00 EUR voucher', 'an 18,000 miles', 'a 1,800 miles')
    """
    word = name.split(" ", 1)[0].lower()
    digits = word[: len(word) - len(word.lstrip("0123456789"))]
    if digits:
        an = digits.startswith("8") or digits in {"11", "18"} or (
            len(digits) % 3 == 2 and digits[:2] in {"11", "18"})
    else:
        an = (word[:1] in {"a", "e", "i", "o", "u"} and not word.startswith(
            ("uni", "use", "usu", "uti", "eu", "one", "once"))) or word.startswith(
            ("hour", "honest", "honour", "heir"))
    return f"{'an' if an else 'a'} {name}"


_ARTICLE = re.compile(r"(?<![A-Za-z])a \{(\w+)\}")
"""An English template's ``a {value}``: the article depends on the value's first sound."""


def articled(template: str, args: dict[str, Any]) -> str:
    """An English ``template`` with each ``a {name}`` made ``an {name}`` where the text of
    ``args[name]`` starts with a vowel sound ("an 8.00 EUR voucher", "an 11 % chance")."""
    def said(found: re.Match[str]) -> str:
        value = args.get(found[1])
        an = type(value) is str and indefinite(value).startswith("an ")
        return ("an {" if an else "a {") + found[1] + "}"
    return _ARTICLE.sub(said, template)


def _articled_form(text: str) -> tuple[str, Any]:
    """The fast form of a template with an ``a {name}``: the article is a placeholder of its
    own, picked from the value's text when the message is written (:func:`articled`)."""
    spoken = _ARTICLE.sub(lambda found: "{_a_" + found[1] + "} {" + found[1] + "}", text)
    parsed = percent_format(spoken)
    assert parsed is not None  # the template parsed before
    pattern, names = parsed
    get = itemgetter(*names)

    def pick(shown: dict[str, str]) -> Any:
        for name in names:
            if name.startswith("_a_"):
                value = shown[name[3:]]
                shown[name] = "an" if indefinite(value).startswith("an ") else "a"
        return get(shown)
    return pattern, pick


def _compile(key: str, words: tuple[str, str] | None = None) -> tuple[Any, Any]:
    forms = _template().get(key)
    if forms is None:
        raise KeyError(f"no message {key!r} in the en catalogue")
    if words is not None:
        forms = in_words(key, forms, words, True)
    compiled: list[Any] = []
    for text in forms:
        parsed = percent_format(text)
        if parsed is None:
            compiled.append(text)
        elif _ARTICLE.search(text):
            compiled.append(_articled_form(text))
        elif parsed[1]:
            compiled.append((parsed[0], itemgetter(*parsed[1])))
        else:
            compiled.append((parsed[0].replace("%%", "%"), None))
    return compiled[0], compiled[-1]


_PLACES: dict[str, int] = {}


def _money(value: Money) -> str:
    """``str(value)`` (``50.00 EUR``: the amount's digits, padded with zeros to the
    currency's minor unit) with a thousands separator (``1,050.00 EUR``), without its
    ``as_tuple`` and rounding call."""
    return money_text(value.amount, value.currency)


def money_text(amount: Decimal, currency: str) -> str:
    """``str(Money(amount, currency))`` with a thousands separator (``1,050.00 EUR``, as the
    terms write it), without making the ``Money`` (a finite ``amount``, a valid
    ``currency``)."""
    places = _PLACES.get(currency)
    if places is None:
        places = _PLACES[currency] = currency_exponent(currency)
    text = format(amount, ",f")
    if places:
        dot = text.find(".")
        if dot < 0:
            text += "." + "0" * places
        elif len(text) - dot <= places:
            text += "0" * (places - len(text) + dot + 1)
    return f"{text} {currency}"
