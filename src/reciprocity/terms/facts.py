"""Phrases of the declared facts: conditions on them (``FactIs``, ``HasFact``, ``Elapsed``),
a shop's own complaint categories, and the parts of a money compensation that read facts
(band tables, ``each``, reductions, ``max_percent``, ``minimum``).

A fact is shop data: its declared label in the locale (``Fact.labels``), else its name, is
said quoted (``„distance km“``); a time between two facts is said as one after the other
(``wenn „actual arrival“ mindestens 3 Stunden nach „scheduled arrival“ liegt``). No English
is written here; every word comes from the catalogue.

Imports: the core's fact conditions, the goodwill declarations and ``terms.catalog``;
``terms.phrases`` only for typing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..conditions import AllOf, AnyOf, Not
from ..events import BUILTIN_CATEGORIES
from ..fact_conditions import Elapsed, FactIs, FactRef, HasFact
from ..goodwill.tables import Band, BandTable, Range
from ..money import Money
from .catalog import Catalogue

if TYPE_CHECKING:
    from ..goodwill.compensation import _Amount
    from .phrases import Ctx

__all__ = ["amount_parts", "bounds", "category", "clause", "fact_clause", "fact_name", "reductions"]

# a comparison and the one that holds when it does not (a missing fact aside)
_OPS = {"==": "is", "!=": "is_not", ">=": "at_least", ">": "over", "<=": "at_most",
        "<": "under"}
_NEGATED = {"is": "is_not", "is_not": "is", "at_least": "under", "under": "at_least",
            "over": "at_most", "at_most": "over"}


def category(x: Ctx, name: str) -> str:
    """A complaint category: its declared label in the locale (quoted), else the
    catalogue's words for a built-in one, else the declared name (quoted)."""
    label = x.category_labels.get(name)
    if label is not None:
        return x.c.quote(label)
    if name in BUILTIN_CATEGORIES:
        return x.c.t(f"complaint.{name}")
    return x.c.quote(name.replace("_", " "))


def fact_name(x: Ctx, fact: str) -> str:
    """A declared fact's label in the locale, or its name, quoted: ``„distance km“``; an
    order line's says so."""
    c = x.c
    if fact.startswith("line."):
        name = fact[5:]
        return c.t("cond.fact.line", fact=c.quote(
            x.fact_labels.get(fact) or name.replace("_", " ")))
    return c.quote(x.fact_labels.get(fact) or fact.replace("_", " "))


def fact_ref(x: Ctx, ref: FactRef) -> str:
    """A fact, or a time between two (``der Zeit von „a“ bis „b“``), after "by" / "nach"."""
    if isinstance(ref, Elapsed):
        return x.c.t("cond.elapsed.noun", start=fact_name(x, ref.start),
                     end=fact_name(x, ref.end))
    return fact_name(x, ref)


def duration(c: Catalogue, value: Decimal, unit: str) -> str:
    """An elapsed time in its unit, whole hours for minutes that make them: ``3 Stunden``."""
    if unit == "minutes" and value % 60 == 0 and value != 0:
        value, unit = value / 60, "hours"
    n: int | Decimal = int(value) if value == int(value) else value
    return c.t(f"unit.{unit}", n=n)


def _time(value: Any) -> datetime | None:
    """A compared value that is a time (written as ISO text), or ``None``."""
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _value(x: Ctx, value: Any, fact: object = None) -> str:
    """A compared value as JSON keeps it: a number, money (``"50.00 EUR"``), a time (in
    the program's zone) or a text (shop data, quoted): a value the fact ``fact`` labels
    in the locale (``Fact.value_labels``) by its label."""
    c = x.c
    label = x.value_labels.get(fact, {}).get(value) if isinstance(fact, str) else None
    if label is not None:
        return c.quote(label)
    if isinstance(value, int):
        return c.number(value)
    when = _time(value)
    if when is not None:
        return c.datetime(when, x.zone) if when.tzinfo is not None else c.datetime(when)
    text = str(value)
    amount, _, currency = text.partition(" ")
    try:
        if currency and len(currency) == 3 and currency.isupper():
            return c.money(Money(amount, currency))
        return c.number(Decimal(text))
    except (InvalidOperation, ValueError):
        return c.quote(text)


def clause(x: Ctx, cond: object) -> str | None:
    """A condition on facts only (``FactIs``, ``HasFact``, their negations, and ``&`` / ``|``
    of those) as one clause without its "if", so a compound says "if" once: ``„a“ zutrifft
    und „b“ höchstens 3 beträgt``; ``None`` for any other condition."""
    if isinstance(cond, FactIs | HasFact):
        return fact_clause(x, cond)
    if isinstance(cond, Not) and isinstance(cond.condition, FactIs | HasFact):
        return fact_clause(x, cond.condition, negated=True)
    if isinstance(cond, AllOf | AnyOf):
        parts = []
        for inner in cond.conditions:
            body = clause(x, inner)
            if body is None:
                return None
            parts.append(x.c.t("format.group", text=body)
                         if isinstance(inner, AllOf | AnyOf) else body)
        return x.c.join(parts, "and" if isinstance(cond, AllOf) else "or")
    return None


def fact_clause(x: Ctx, cond: FactIs | HasFact, negated: bool = False) -> str:
    """A condition on a fact (or its negation) as a clause: ``„a“ zutrifft``."""
    c = x.c
    if isinstance(cond, HasFact):
        return c.t("cond.fact.not_given" if negated else "cond.fact.given",
                   fact=fact_ref(x, cond.fact))
    if cond.fact == "category":
        names = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        out = negated != (cond.op == "!=")
        return c.t("cond.fact.category.not" if out else "cond.fact.category",
                   categories=c.join([c.quote(category(x, str(n)))
                                      if n in BUILTIN_CATEGORIES and n not in x.category_labels
                                      else category(x, str(n)) for n in names], "or"))
    if isinstance(cond.value, bool) and cond.op in ("==", "!="):
        holds = cond.value != (cond.op == "!=")
        return c.t("cond.fact.true" if holds != negated else "cond.fact.false",
                   fact=fact_ref(x, cond.fact))
    if isinstance(cond.value, tuple):
        return c.t("cond.fact.none_of" if negated else "cond.fact.one_of",
                   fact=fact_ref(x, cond.fact),
                   values=c.join([_value(x, v, cond.fact) for v in cond.value],
                                 "and" if negated else "or"))
    word = _OPS[cond.op]
    if negated:
        word = _NEGATED[word]
    if isinstance(cond.fact, Elapsed):
        return c.t(f"cond.elapsed.{word}", start=fact_name(x, cond.fact.start),
                   end=fact_name(x, cond.fact.end),
                   time=duration(c, Decimal(str(cond.value)), cond.fact.unit))
    kind = "cond.fact.time" if _time(cond.value) is not None else "cond.fact"
    return c.t(f"{kind}.{word}", fact=fact_ref(x, cond.fact),
               value=_value(x, cond.value, cond.fact))


# -- a compensation that reads facts ------------------------------------------------------------

def _range(c: Catalogue, r: Range, unit: str | None) -> str:
    parts = []
    for name in ("at_least", "over", "below", "up_to"):
        bound = getattr(r, name)
        if bound is not None:
            shown = c.number(bound) if unit is None else duration(c, Decimal(bound), unit)
            parts.append(c.t(f"range.{name}", value=shown))
    return c.t("range.both", low=parts[0], high=parts[1]) if len(parts) == 2 else parts[0]


def _band(x: Ctx, table: BandTable, band: Band, base: str) -> str:
    c = x.c
    gives = c.money(band.value) if band.value is not None else c.t(
        "comp.band.percent", percent=c.percent(band.percent or Decimal(0)), base=base)
    cases = []
    for key, r in band.when.items():
        ref = table.keys[key]
        shown = _range(c, r, ref.unit if isinstance(ref, Elapsed) else None)
        cases.append(shown if len(table.keys) == 1 else
                     c.t("comp.band.key", fact=fact_ref(x, ref), range=shown))
    if not cases:
        return c.t("comp.band.any", gives=gives)
    return c.t("comp.band" if len(table.keys) == 1 else "comp.band.keys", gives=gives,
               when=c.join(cases))


def base_words(x: Ctx, of: str) -> str:
    """What a percentage is of: ``des Bestellwerts``, ``des Werts „fare“``."""
    if of in ("order", "affected"):
        return x.c.t(f"comp.base.{of}")
    return x.c.t("comp.base.fact", fact=fact_name(x, of))


def amount_parts(x: Ctx, comp: _Amount, noun: str) -> str:
    """A table compensation: ``eine Gutschrift nach „distance km“: 250,00 EUR bis 1.500,
    ...``, per item of an ``each`` fact when it declares one."""
    c = x.c
    table = comp.table
    assert table is not None
    base = base_words(x, comp.of)
    keys = c.join([fact_ref(x, ref) for ref in table.keys.values()])
    bands = c.join([_band(x, table, band, base) for band in table.bands])
    if table.match == "most_generous":
        bands = c.t("comp.table.most_generous", bands=bands)
    text = c.t(f"comp.{noun}.table", keys=keys, bands=bands)
    if comp.each is not None:
        text = c.t("comp.each", text=text, items=fact_name(x, comp.each))
    return text


def bounds(x: Ctx, comp: _Amount, text: str) -> str:
    """``text`` with the compensation's share cap and payout minimum."""
    c = x.c
    if comp.max_percent is not None:
        text = c.t("comp.max_percent", text=text, percent=c.percent(comp.max_percent),
                   base=base_words(x, comp.of))
    if comp.minimum is not None:
        text = c.t("comp.minimum", text=text, minimum=c.money(comp.minimum))
    return text


def reductions(x: Ctx, comp: object) -> str | None:
    """The sentence of a compensation's reductions (``Kürzungen: ×0,5, wenn ...``)."""
    declared = getattr(comp, "reductions", ())
    if not declared:
        return None
    c = x.c
    return c.t("comp.reductions", reductions="; ".join(
        c.t("comp.reduction", factor=x.factor(r.factor), condition=x.condition(r.when))
        for r in declared))
