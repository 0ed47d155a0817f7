"""The fields of a logged effect, read without building its model (``simulate``'s tables).

The engine logs each effect as ``(builder, *args)`` and builds the model only when someone
asks (:meth:`reciprocity.Replay.effects`). A table of tens of thousands of effects needs a
few of their fields and, maybe later, their reasons: building every model (its reason's
messages, money, local dates) to read six fields costs about half the replay. So the
builders of the frequent effects register a **row** function here beside them: called with
the builder's arguments, it returns the fields the builder gives the model, except the reason
(``reason``, ``reason_key``, ``reason_args``), and the builder makes its model from that same
dict, so the two cannot say different things (``tests/test_effect_rows.py`` checks every
logged effect of random shops against its model).

A builder without a row (rare effects: vouchers, gifts, goodwill, a balance's tagged effects)
is read through its model, as before.

The most frequent builders (points earned and released, tier changes) also register a
**text** function: it writes the English of the reason's message straight from the entry's
values, without the message (``reciprocity._reason_forms``), for a whole column at a time
(:func:`writer_of`); ``tests/test_reason_forms.py`` checks it against the model's reason.

Imports: ``_reason`` only (the builders' modules import this one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._reason import LazyText, Msg, built, english

__all__ = ["ROWS", "TEXTS", "Row", "Text", "entry_reason", "register", "rows_of", "writer_of"]

Row = Callable[..., dict[str, Any]]
"""``row(*builder_args) -> {field: value}``: what the builder gives its model, but the
reason."""

Reason = Callable[..., Any]
"""``reason(builder, *builder_args)``: the message (or text) the builder gives its model's
``reason`` (``builder`` is the logged object: a bound method's ``__self__`` is its stage)."""

Text = Callable[[dict[Any, Any], tuple[Any, ...]], str]
"""``text(memo, entry) -> str``: the English of ``reason(*entry)``'s message, written from
the entry's values (``reciprocity._reason_forms``). ``memo`` is one dict for a whole column
of reasons, for what repeats (a rule's rate, a tier's note); keys are the text function's own
(each keeps the object it keys by ``id`` alive in the value)."""

ROWS: dict[Callable[..., Any], tuple[str, Row, Reason]] = {}
"""Builder function (for a bound method, its function) -> (effect type, row, reason)."""
TEXTS: dict[Callable[..., Any], Text] = {}
"""Builder function -> its text function, for the builders that have one."""


def register(builder: Callable[..., Any], kind: str, row: Row, reason: Reason,
             text: Text | None = None) -> None:
    """Say that ``builder`` (a function, or a method whose bound form is logged) builds
    effects of type ``kind`` whose fields, but the reason, are ``row(*args)``, and whose
    reason is ``reason(builder, *args)``'s message (or text); ``text``, when given, writes
    that message's English straight from the entry (see :data:`Text`)."""
    ROWS[builder] = (kind, row, reason)
    if text is not None:
        TEXTS[builder] = text


def lookup(builder: Any) -> tuple[str, Row, Reason] | None:
    """The type and row function of a logged builder, or ``None`` when it has none."""
    return ROWS.get(getattr(builder, "__func__", builder))


def rows_of(log: list[tuple[Any, ...]]) -> Any:
    """For each log entry in turn: ``(type, fields, reason, model)``. With a row function,
    ``fields`` is its dict, ``reason`` the entry itself (see :func:`entry_reason`) and
    ``model`` ``None``; else the model is built and ``fields`` is its ``__dict__``, ``reason``
    its reason as the model holds it (a text or a ``LazyText``)."""
    known: dict[int, tuple[str, Row, Reason] | None] = {}  # by the builder object's id, per log
    for entry in log:
        builder = entry[0]
        key = id(builder)
        if key in known:
            found = known[key]
        else:
            found = known[key] = lookup(builder)
        if found is None:
            effect = builder(*entry[1:])
            fields = effect.__dict__
            yield fields["type"], fields, fields["reason"], effect
        else:
            yield found[0], found[1](*entry[1:]), entry, None


def entry_reason(entry: tuple[Any, ...], memo: dict[Any, Any] | None = None) -> str:
    """The English reason of a logged effect: its model's ``reason``, written from the
    entry without the model when the builder has a row. ``memo``: one dict for the entries of
    one log (the builders' writers, and what their text functions keep)."""
    if memo is None:
        memo = {}
    key = id(entry[0])
    write = memo.get(key)
    if write is None:  # the log keeps the builder alive, so its id stays its own
        write = memo[key] = writer_of(entry[0])
    return write(memo, entry)


def writer_of(builder: Any) -> Text:
    """``write(memo, entry) -> str``: the English reason of ``builder``'s entries."""
    function = getattr(builder, "__func__", builder)
    text = TEXTS.get(function)
    if text is not None:
        return text
    found = ROWS.get(function)
    if found is None:
        return _model_reason
    reason = found[2]

    def from_reason(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
        return text_of(reason(*entry))
    return from_reason


def _model_reason(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
    text: str = entry[0](*entry[1:]).reason
    return text


def text_of(reason: Any) -> str:
    """The English text an effect's ``reason`` reads as, given the message (or text, or
    ``LazyText``, or ``(builder, *args)`` recipe) its builder passes to ``fields``."""
    kind = type(reason)
    if kind is Msg:
        return english(reason.key, reason.args)
    if kind is LazyText:
        return str(reason.text)
    made = built(reason)
    return made if isinstance(made, str) else english(made.key, made.args)
