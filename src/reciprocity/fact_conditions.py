"""Conditions over any fact of an event: comparisons, presence, and elapsed time.

:class:`FactIs` compares a fact (an event field, a declared fact in ``metadata`` or a
``Custom`` payload, or an order line's) with a value: ``==``, ``!=``, ``<``, ``<=``, ``>``,
``>=`` or ``in``. :class:`HasFact` holds when the event carries the fact. :class:`Elapsed`
is the time between two datetime facts (actual minus scheduled arrival, in minutes), usable
wherever a fact is named. A comparison with a fact the event does not carry is false (so
``~FactIs(...)`` is then true); test for presence with :class:`HasFact`. :class:`LineFact`
compares a fact of each order line, holding when ``any`` line or ``all`` lines meet it.

>>> late = FactIs(fact=Elapsed(start="scheduled_arrival", end="actual_arrival"), op=">=",
...               value=180)
>>> late.describe()
'minutes from scheduled arrival to actual arrival is at least 180'
>>> (HasFact(fact="ticket") & ~FactIs(fact="ticket", op="in", value=("single", "return"))
...  ).describe()
'ticket is given and ticket is not one of single, return'

The value is kept as JSON writes it (a bool, a whole number or a text), so a condition reads
back from JSON unchanged; decimals, money and times are written as text
(``Decimal("1.5")`` -> ``"1.5"``, ``Money("50.00", "EUR")`` -> ``"50.00 EUR"``) and read with
the fact's type when the program is built.

Imports: ``_condition_base``, ``_model``, ``errors``, ``events``, ``facts`` and ``money``;
``_engine`` only for typing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from ._condition_base import CompileContext, Predicate, _ConditionBase
from ._model import Frozen, fixed_point
from .errors import FactTypeMismatch
from .events import PURCHASE
from .facts import LINE_FIELDS, MISSING, TYPE_WORDS, Resolved, typed_value
from .money import Money

if TYPE_CHECKING:
    from ._engine import Member, Row
    from .names import ProgramWords

__all__ = ["Elapsed", "FactIs", "FactRef", "HasFact", "LineFact", "fact_words"]

Scalar = StrictBool | StrictInt | str
Op = Literal["==", "!=", "<", "<=", ">", ">=", "in"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "in": lambda value, allowed: value in allowed,
}
_OP_WORDS = {"==": "is", "!=": "is not", "<": "is under", "<=": "is at most", ">": "is over",
             ">=": "is at least", "in": "is one of"}
_NEGATED_WORDS = {op: "is not" + words[2:] for op, words in _OP_WORDS.items() if op != "!="}
"""``is over`` -> ``is not over``: a negated comparison in words (``!=`` has none)."""
_ORDERED: frozenset[str] = frozenset({"int", "decimal", "datetime", "money"})
_SECONDS = {"minutes": Decimal(60), "hours": Decimal(3600), "days": Decimal(86400)}


def _as_json_value(value: Any) -> Any:
    """Decimals, money and times as the text they are written in; lists as tuples."""
    if isinstance(value, Decimal):
        return fixed_point(value)
    if isinstance(value, Money):
        return f"{fixed_point(value.amount)} {value.currency}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_as_json_value(v) for v in value)
    return value


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


class Elapsed(Frozen):
    """The time from one datetime fact to another, in ``unit`` (exact, may be negative).

    >>> Elapsed(start="scheduled_arrival", end="actual_arrival", unit="hours").describe()
    'hours from scheduled arrival to actual arrival'
    """

    type: Literal["elapsed"] = "elapsed"
    start: str = Field(min_length=1)
    end: str = Field(min_length=1)
    unit: Literal["minutes", "hours", "days"] = "minutes"

    def describe(self, words: ProgramWords | None = None) -> str:
        """The time in words; ``words`` says the facts by their labels."""
        return (f"{self.unit} from {fact_words(self.start, words)} to "
                f"{fact_words(self.end, words)}")

    def resolve(self, ctx: CompileContext, where: str) -> Resolved:
        """Both facts resolved and checked to be datetimes; a getter of the elapsed time."""
        start, end = ctx.fact(self.start, where), ctx.fact(self.end, where)
        for fact in (start, end):
            if fact.type != "datetime" or fact.on_lines:
                raise FactTypeMismatch(
                    f"{where}: Elapsed needs two datetime facts of the event, but "
                    f"{fact.name!r} is {TYPE_WORDS[fact.type]}"
                    + (" of an order line" if fact.on_lines else ""),
                    hint="declare both facts with type='datetime'",
                )
        get_start, get_end, size = start.get, end.get, _SECONDS[self.unit]

        def get(row: Row) -> Any:
            begin, finish = get_start(row), get_end(row)
            if begin is MISSING or finish is MISSING:
                return MISSING
            return _seconds(finish - begin) / size

        return Resolved(self.describe(), "decimal", start.kinds & end.kinds, get)


FactRef = str | Elapsed
"""A fact: its name (``"delay_minutes"``, ``"severity"``, ``"line.category"``) or an
:class:`Elapsed` time between two datetime facts."""


def fact_words(fact: FactRef, words: ProgramWords | None = None) -> str:
    """A fact's name in words: its declared label in ``words`` (the program's), else the
    name with spaces: ``delay_minutes`` -> ``delay minutes``.

    >>> fact_words("line.country_code"), fact_words("distance_km")
    ("an order line's country code", 'distance km')
    """
    if isinstance(fact, Elapsed):
        return fact.describe(words)
    label = None if words is None else words.fact(fact)
    if fact.startswith("line."):
        return "an order line's " + (label or fact[5:].replace("_", " "))
    return label or fact.replace("_", " ")


def resolve_ref(ref: FactRef, ctx: CompileContext, where: str) -> Resolved:
    """A fact reference resolved against the program (see :func:`reciprocity.facts.resolve`)."""
    if isinstance(ref, Elapsed):
        return ref.resolve(ctx, where)
    return ctx.fact(ref, where)


def typed_target(fact: Resolved, value: Any, ctx: CompileContext, where: str) -> Any:
    """``value`` read with the type of ``fact``; refused when it is not one."""
    try:
        return typed_value(fact.type, value, ctx.currency, fact.values)
    except ValueError as exc:
        raise FactTypeMismatch(
            f"{where}: fact {fact.name!r} is {TYPE_WORDS[fact.type]}, and the value {exc}",
            hint=f"compare it with {TYPE_WORDS[fact.type]}",
        ) from None


def _check_op_value(op: str, value: Any) -> None:
    if (op == "in") != isinstance(value, tuple):
        raise ValueError("op 'in' takes a list of values; every other op takes one value"
                         if op == "in" else
                         f"op {op!r} takes one value, not a list; use op='in'")
    if isinstance(value, tuple) and not value:
        raise ValueError("op 'in' needs at least one value")


def _shown(value: Any, fact: FactRef = "", words: ProgramWords | None = None) -> str:
    """A compared value in words: its label when ``words`` has one for ``fact``."""
    if isinstance(value, tuple):
        return ", ".join(_shown(v, fact, words) for v in value)
    label = None if words is None or not isinstance(fact, str) else words.value(fact, value)
    if label is not None:
        return label
    return str(value).lower() if isinstance(value, bool) else str(value)


def _target(op: str, value: Any, fact: Resolved, ctx: CompileContext, where: str) -> Any:
    """The value to compare with, typed as ``fact``; sizes only for ordered facts."""
    if op in ("<", "<=", ">", ">=") and fact.type not in _ORDERED:
        raise FactTypeMismatch(
            f"{where}: {op} compares sizes, but {fact.name!r} is {TYPE_WORDS[fact.type]}",
            hint="use ==, != or in",
        )
    if isinstance(value, tuple):
        return frozenset(typed_target(fact, v, ctx, where) for v in value)
    return typed_target(fact, value, ctx, where)


class FactIs(_ConditionBase):
    """A fact compared with a value: ``op`` is ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``
    or ``in`` (``value`` then lists the allowed values). False when the event does not carry
    the fact; for an order line's fact, true when any line meets it.

    >>> FactIs(fact="distance_km", op=">", value=1500).describe()
    'distance km is over 1500'
    >>> FactIs(fact="fare", op=">=", value=Money("10.00", "EUR")).value
    '10.00 EUR'
    """

    type: Literal["fact"] = "fact"
    fact: FactRef
    op: Op = "=="
    value: Scalar | tuple[Scalar, ...]

    @field_validator("value", mode="before")
    @classmethod
    def _json_value(cls, value: Any) -> Any:
        return _as_json_value(value)

    @model_validator(mode="after")
    def _value_fits_op(self) -> FactIs:
        _check_op_value(self.op, self.value)
        return self

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        return (f"{fact_words(self.fact, words)} {_OP_WORDS[self.op]} "
                f"{_shown(self.value, self.fact, words)}")

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        """``"extraordinary circumstances is not true"``: ``is`` made ``is not`` (also when
        the event does not carry the fact, which ``~`` holds for). Not for ``!=`` (``is not
        other than`` reads badly) nor an order line's fact (``~`` means "no line")."""
        if self.op == "!=" or (isinstance(self.fact, str) and self.fact.startswith("line.")):
            return None
        return (f"{fact_words(self.fact, words)} {_NEGATED_WORDS[self.op]} "
                f"{_shown(self.value, self.fact, words)}")

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return resolve_ref(self.fact, ctx, "FactIs").kinds

    def compile(self, ctx: CompileContext) -> Predicate:
        where = f"FactIs({self.describe()!r})"
        fact = resolve_ref(self.fact, ctx, where)
        target = _target(self.op, self.value, fact, ctx, where)
        compare, get = _OPS[self.op], fact.get
        if fact.on_lines:
            return lambda member, row: any(compare(v, target) for v in get(row))

        def check(member: Member, row: Row) -> bool:
            value = get(row)
            return value is not MISSING and compare(value, target)

        return check


class HasFact(_ConditionBase):
    """The event carries ``fact`` (for an order line's fact: some line does).

    >>> HasFact(fact="rerouted_arrival").describe()
    'rerouted arrival is given'
    """

    type: Literal["has_fact"] = "has_fact"
    fact: FactRef

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        return f"{fact_words(self.fact, words)} is given"

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        """``"rerouted arrival is not given"`` (of an order line's fact: ``~`` means "no
        line carries it", said as ``not (...)``)."""
        if isinstance(self.fact, str) and self.fact.startswith("line."):
            return None
        return f"{fact_words(self.fact, words)} is not given"

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return resolve_ref(self.fact, ctx, "HasFact").kinds

    def compile(self, ctx: CompileContext) -> Predicate:
        fact = resolve_ref(self.fact, ctx, f"HasFact({self.describe()!r})")
        get = fact.get
        if fact.on_lines:
            return lambda member, row: bool(get(row))
        return lambda member, row: get(row) is not MISSING



class LineFact(_ConditionBase):
    """A fact of each order line compared with a value: with ``match="any"`` it holds when
    some line meets it, with ``"all"`` when the order has lines and every one of them does.

    ``fact`` names a field of a line (``category``, ``sku``, ``quantity``, ``unit_price``)
    or a fact the program declares with ``on="line"`` (``discounted``), read from the line's
    ``metadata``. A line that does not carry the fact does not meet it (so "all lines
    discounted" is false for an order with one line not marked), and an order without lines
    meets neither. Only events with lines can meet it: a rule that meets no order (a claim,
    a complaint) refuses it when the program is built.

    >>> LineFact(fact="discounted", value=True).describe()
    "some order line's discounted is true"
    >>> LineFact(fact="category", op="in", value=("tea", "coffee"), match="all").describe()
    "every order line's category is one of tea, coffee"
    """

    type: Literal["line_fact"] = "line_fact"
    fact: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    """The line's fact, without ``line.``."""
    op: Op = "=="
    value: Scalar | tuple[Scalar, ...]
    match: Literal["any", "all"] = "any"

    @field_validator("value", mode="before")
    @classmethod
    def _json_value(cls, value: Any) -> Any:
        return _as_json_value(value)

    @model_validator(mode="after")
    def _value_fits_op(self) -> LineFact:
        _check_op_value(self.op, self.value)
        return self

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        which = "some" if self.match == "any" else "every"
        fact = f"line.{self.fact}"
        name = (None if words is None else words.fact(fact)) or self.fact.replace("_", " ")
        return (f"{which} order line's {name} {_OP_WORDS[self.op]} "
                f"{_shown(self.value, fact, words)}")

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return ctx.fact(f"line.{self.fact}", "LineFact").kinds

    def compile(self, ctx: CompileContext) -> Predicate:
        where = f"LineFact({self.describe()!r})"
        name = self.fact
        fact = ctx.fact(f"line.{name}", where)
        target = _target(self.op, self.value, fact, ctx, where)
        compare, declared, currency = _OPS[self.op], ctx.facts.get(f"line.{name}"), ctx.currency

        def meets(line: Any) -> bool:
            if name in LINE_FIELDS:
                value = getattr(line, name)
                if isinstance(value, Money):
                    value = value.amount
            else:
                assert declared is not None  # resolved above
                raw = line.metadata.get(name)
                value = None if raw is None else declared.read(raw, currency)
            return value is not None and compare(value, target)

        # Only a purchase's lines carry facts (a return's name SKUs); a rule that meets any
        # event (a tier gift) asks on every one.
        if self.match == "any":
            def check(member: Member, row: Row) -> bool:
                event = row[5]
                return (row[0] == PURCHASE and event is not None
                        and any(meets(line) for line in event.lines))
        else:
            def check(member: Member, row: Row) -> bool:
                event = row[5]
                lines = event.lines if row[0] == PURCHASE and event is not None else ()
                return bool(lines) and all(meets(line) for line in lines)

        return check
