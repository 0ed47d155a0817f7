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

Imports: ``_reason`` only (the builders' modules import this one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._reason import LazyText, Msg, built, english

__all__ = ["ROWS", "Row", "entry_reason", "register", "rows_of"]

Row = Callable[..., dict[str, Any]]
"""``row(*builder_args) -> {field: value}``: what the builder gives its model, but the
reason."""

Reason = Callable[..., Any]
"""``reason(builder, *builder_args)``: the message (or text) the builder gives its model's
``reason`` (``builder`` is the logged object: a bound method's ``__self__`` is its stage)."""

ROWS: dict[Callable[..., Any], tuple[str, Row, Reason]] = {}
"""Builder function (for a bound method, its function) -> (effect type, row, reason)."""


def register(builder: Callable[..., Any], kind: str, row: Row, reason: Reason) -> None:
    """Say that ``builder`` (a function, or a method whose bound form is logged) builds
    effects of type ``kind`` whose fields, but the reason, are ``row(*args)``, and whose
    reason is ``reason(builder, *args)``'s message (or text)."""
    ROWS[builder] = (kind, row, reason)


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


def entry_reason(entry: tuple[Any, ...],
                 known: dict[int, tuple[str, Row, Reason] | None] | None = None) -> str:
    """The English reason of a logged effect: its model's ``reason``, written from its
    builder's message without the model when the builder has a row. ``known``: the lookups
    made before, by builder object's id (for many entries of one log)."""
    if known is None:
        found = lookup(entry[0])
    else:
        key = id(entry[0])
        if key in known:
            found = known[key]
        else:
            found = known[key] = lookup(entry[0])
    if found is None:
        text: str = entry[0](*entry[1:]).reason
        return text
    return text_of(found[2](*entry))


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
