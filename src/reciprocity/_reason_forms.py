"""English reasons written straight from their values: a message's form per argument order.

:func:`reciprocity._reason.english` writes a message from its ``(key, args)``: a dict per
message, a loop over it, a nested call per nested message. A table of tens of thousands of
reasons (``simulate``'s effects) spends most of its time there and in building the messages
(``Msg`` trees, ``Money``, local dates) only to write them. So the builders of the frequent
effects also register a *text* function (``reciprocity._effect_rows``) that writes the same
English from the raw values, one :class:`Form` per message:

- a :class:`Form` is a catalogue message with its values given in a fixed order; on first use
  it compiles the template's singular and plural forms into ``%`` formats (the plural one
  picked by the value named ``n``), so writing it is one ``%``;
- values of the types whose ``str`` is their English (``str``, ``int``, ``date``) go in as
  they are; any other value (a ``Decimal``, a subclass, ``None``) makes that call go the
  general way, ``english(key, dict(zip(names, values)))``, so the text is the same;
- a template that names a placeholder the form is not given (a catalogue grown an argument)
  raises :class:`Unfit` on every call, and the text function falls back to building the
  message and writing it with ``english``: slower, never different.

What repeats within a column is written once per column (the text functions get one
``memo`` dict for it): a rule's rate and a tier's note (:func:`said`, by the identity of the
message), and the words around the one value that changes: :func:`after` finds what a
message writes after its ``{text}`` by writing a mark in its place (``, available from
2011-01-02, valid until 2011-12-01`` is the same for every order of a day), and a tier
reach is written around a mark for the amount spent. A message whose words do not simply
surround the mark (a translation that moves ``{text}``) is written in full each time.

Nothing here is a copy of a message: every text comes from the template
(``tests/test_reason_forms.py`` checks every form against ``english`` with random values,
and every written reason of random shops against its model's).

Imports: ``_reason`` and ``_reason_template``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import itemgetter
from typing import Any

from ._reason import Msg, Unit, _template, _write_one, english, percent_format
from ._reason_template import in_words

__all__ = ["Form", "Unfit", "Wrap", "after", "said", "wrap_msg", "wrap_text",
           "written"]

Wrap = Callable[[str, Any, str, Any], Any]
"""``wrap(key, text, name, value)``: :func:`wrap_msg` or :func:`wrap_text`."""

_PLAIN = frozenset((str, date))
"""Types whose ``str`` is what ``english`` writes for them (``bool`` and ``datetime`` are
other types). An ``int`` is a count, written with a thousands separator from 1,000 on: a
form writes its ``n`` itself (``format(n, ",")`` from 1,000 on), any other ``int`` goes the
general way."""


class Unfit(LookupError):
    """A form's template has a placeholder the form is not given: write the message the
    general way."""


class Form:
    """The message ``key`` written from values in the order of ``names``.

    ``form.write(*values)`` is ``english(key, dict(zip(names, values)))``; the template is
    compiled on the first write.

    >>> Form("reason.released.window", "n", "order").write(2, "A-17")
    '2 points from order A-17 are now available: the return window has closed'

    A form with ``unit`` (a scheme's English words, singular and plural) writes the message
    as ``english`` writes it with a ``unit`` argument of those words: its ``.unit`` variant,
    the words put in when the form is compiled.

    >>> Form("reason.released.window", "n", "order", unit=("mile", "miles")).write(1, "A-1")
    '1 mile from order A-1 is now available: the return window has closed'
    """

    __slots__ = ("__dict__", "key", "names", "unit")
    write: Callable[..., str]
    """``write(*values) -> str`` (set by the first read)."""

    def __init__(self, key: str, *names: str, unit: tuple[str, str] | None = None) -> None:
        self.key = key
        self.names = names
        self.unit = unit

    def __getattr__(self, name: str) -> Any:
        if name != "write":
            raise AttributeError(name)
        write = self.__dict__["write"] = _compile(self.key, self.names, self.unit)
        return write


def _parse(text: str, names: tuple[str, ...]) -> tuple[str, tuple[int, ...]] | None:
    """``text`` as a ``%`` format and the indices in ``names`` of its placeholders' values;
    ``None`` for a placeholder with a conversion, format spec or attribute."""
    parsed = percent_format(text)
    if parsed is None:
        return None
    fmt, used = parsed
    for name in used:
        if name not in names:
            raise Unfit(f"{name} is not given")
    return fmt, tuple(map(names.index, used))


def _compile(key: str, names: tuple[str, ...], unit: tuple[str, str] | None = None
             ) -> Callable[..., str]:
    words = None if unit is None else {"unit": Unit((("en", *unit),))}

    def general(*values: Any) -> str:
        return english(key, {**dict(zip(names, values, strict=True)), **(words or {})})

    forms = _template().get(key)
    if forms is None:
        raise KeyError(f"no message {key!r} in the en catalogue")
    if unit is not None:
        forms = in_words(key, forms, unit, "n" in names)
    try:
        parsed = [_parse(text, names) for text in forms]
    except Unfit as unfit:
        message = f"{key}: {unfit}"

        def unfit_write(*values: Any) -> str:
            raise Unfit(message)
        return unfit_write
    if any(p is None for p in parsed) or ("n" not in names and len(forms) > 1):
        return general  # a placeholder str.format_map must write, or a plural without n
    one = _picked(parsed[0], len(names))
    other = one if parsed[-1] == parsed[0] else _picked(parsed[-1], len(names))
    plain = _PLAIN.issuperset
    if "n" in names:  # english writes n as a count: the fast way takes an int below 1,000
        at_n = names.index("n")
        if at_n == 0:  # the usual order
            def counted_first(*values: Any) -> str:
                n = values[0]
                if type(n) is int and plain(map(type, values[1:])):
                    if -1000 < n < 1000:
                        pattern, pick = one if n == 1 else other
                        return pattern % (values if pick is None else pick(values))
                    values = (format(n, ","), *values[1:])  # 1,000 and more: grouped
                    pattern, pick = other
                    return pattern % (values if pick is None else pick(values))
                return general(*values)
            return counted_first
        rest = itemgetter(slice(0, at_n), slice(at_n + 1, None))

        def counted(*values: Any) -> str:
            n = values[at_n]
            if type(n) is int:
                head, tail = rest(values)
                if plain(map(type, head)) and plain(map(type, tail)):
                    if -1000 < n < 1000:
                        pattern, pick = one if n == 1 else other
                    else:  # 1,000 and more: grouped
                        values = (*head, format(n, ","), *tail)
                        pattern, pick = other
                    return pattern % (values if pick is None else pick(values))
            return general(*values)
        return counted
    pattern, pick = one
    if pick is None:
        def in_order(*values: Any) -> str:
            return pattern % values if plain(map(type, values)) else general(*values)
        return in_order

    def picked(*values: Any) -> str:
        return pattern % pick(values) if plain(map(type, values)) else general(*values)
    return picked


def _picked(parsed: tuple[str, tuple[int, ...]] | None, count: int
            ) -> tuple[str, Callable[[tuple[Any, ...]], tuple[Any, ...]] | None]:
    """A form's ``%`` format and the getter of its values from all ``count`` given (``None``
    when it takes them all, in order)."""
    assert parsed is not None
    pattern, picks = parsed
    if picks == tuple(range(count)):
        return pattern, None
    if len(picks) == 1:
        at = picks[0]
        return pattern, lambda values: (values[at],)
    if not picks:
        return pattern, lambda values: ()
    return pattern, itemgetter(*picks)


def wrap_msg(key: str, text: Any, name: str, value: Any) -> Any:
    """``Msg(key, {"text": text, name: value})``: a message around another (the message
    side of a builder that composes its reason through a ``wrap`` function)."""
    return Msg(key, {"text": text, name: value})


_WRAPS: dict[str, tuple[str, Any, Form]] = {}


def wrap_text(key: str, text: str, name: str, value: Any) -> str:
    """The English of ``wrap_msg(key, text, name, value)`` for a ``text`` already written
    (the text side of a builder that composes its reason through a ``wrap`` function)."""
    found = _WRAPS.get(key)
    if found is None or found[0] != name:
        found = _WRAPS[key] = _wrap(key, name)
    pattern = found[1]
    if pattern is not None and type(value) in _PLAIN and type(text) is str:
        written: str = pattern % (text, value)
        return written
    try:
        return found[2].write(text, value)
    except Unfit:
        return english(key, {"text": text, name: value})


def _wrap(key: str, name: str) -> tuple[str, Any, Form]:
    """``(name, the % format of the message's one form taking the text then the value, or
    None, its Form)``."""
    forms = _template().get(key)
    pattern = None
    if forms is not None and len(forms) == 1 and name != "n":  # english writes n its way
        try:
            parsed = _parse(forms[0], ("text", name))
        except Unfit:
            parsed = None
        if parsed is not None and parsed[1] == (0, 1):
            pattern = parsed[0]
    return name, pattern, Form(key, "text", name)


def written(value: Any) -> str:
    """The English of any reason argument (a message, a list of them, a text, ...), as
    ``english`` writes it in a placeholder."""
    text = _write_one(tuple(value) if type(value) is list else value)
    return text if type(text) is str else format(text, "")


def said(memo: dict[Any, Any], value: Any) -> str:
    """The English of a message (or a tuple or list of them) that is the same object every time (a
    tier's note, a rule's rate), written once per ``memo``; keyed by the identity of the
    message(s), which the memo keeps alive."""
    key = (("said", id(value)) if type(value) is Msg else ("list", id(value[0]))
           if len(value) == 1 else ("list", *map(id, value)))
    found = memo.get(key)
    if found is None:
        found = memo[key] = (value, written(value))
    text: str = found[1]
    return text


_MARK = "\x00"


def after(wrap: Callable[..., str], *args: Any) -> str | None:
    """What ``wrap(text, *args)`` writes after ``text``, for any ``text``: found by writing a
    mark in its place, so ``wrap(text, *args) == text + after(wrap, *args)``; ``None`` when
    the words do not simply follow the text (a message that puts its ``{text}`` later)."""
    said = wrap(_MARK, *args)
    if said.startswith(_MARK) and said.count(_MARK) == 1:
        return said[len(_MARK):]
    return None
