"""A money compensation's amount for one complaint, compiled once: the base (the order, the
amount affected, or a money fact), a fixed value, a percentage or a band table (per item of
an ``items`` fact, added up), and the reductions whose conditions hold.

Imports: the core (conditions, facts, fact conditions, money, errors) and the goodwill
declarations; never ``stage``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._reason import Msg
from ..conditions import CompileContext, Predicate
from ..errors import ConditionNeverApplies, FactTypeMismatch, UnknownFact
from ..events import COMPLAINT
from ..fact_conditions import fact_words, resolve_ref
from ..facts import MISSING, TYPE_WORDS
from ..money import Money, currency_exponent
from .compensation import _Amount, num

if TYPE_CHECKING:
    from .._engine import Member, Row

__all__ = ["Payout"]

_COMPLAINTS = frozenset({COMPLAINT})
_HUNDRED = Decimal(100)
_NUMERIC = ("int", "decimal", "money")


class Payout:
    """What a money compensation pays before the common steps (severity, tier, bounds)."""

    __slots__ = ("base_get", "comp", "cur", "each", "each_get", "exp", "keys", "reductions")

    def __init__(self, comp: _Amount, ctx: CompileContext, where: str) -> None:
        self.comp = comp
        self.cur = ctx.currency
        self.exp = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        self.base_get: Callable[[Row], Any] | None = None
        if comp.of not in ("order", "affected"):
            fact = ctx.fact(comp.of, f"{where} of")
            if fact.type != "money" or fact.on_lines:
                raise FactTypeMismatch(
                    f"{where}: the base of={comp.of!r} is {TYPE_WORDS[fact.type]}"
                    + (" of an order line" if fact.on_lines else "") + ", not money",
                    hint="declare the base as a money fact of the complaint, e.g. "
                    f"Fact(name={comp.of!r}, type='money')")
            self._meets(fact.kinds, f"{where} of={comp.of!r}")
            self.base_get = fact.get
        self.each = comp.each
        self.each_get: Callable[[Row], Any] | None = None
        items: dict[str, str] = {}
        if comp.each is not None:
            declared = ctx.facts.get(comp.each)
            if declared is None or declared.type != "items":
                raise UnknownFact(
                    f"{where}: each={comp.each!r} is not a declared items fact",
                    hint=f"declare Fact(name={comp.each!r}, type='items', items=(...))")
            items = {f.name: f.type for f in declared.items}
            self.each_get = ctx.fact(comp.each, where).get
        self.keys: list[tuple[str, str | None, Callable[[Row], Any] | None]] = []
        """(key, the item fact it reads or None, the getter of an event fact or None)."""
        table = comp.table
        for key, ref in ({} if table is None else table.keys).items():
            if isinstance(ref, str) and ref in items:
                kind = items[ref]
                self.keys.append((key, ref, None))
            else:
                fact = resolve_ref(ref, ctx, f"{where} table key {key!r}")
                kind = fact.type
                if fact.on_lines:
                    kind = "line"
                self._meets(fact.kinds, f"{where} table key {key!r}")
                self.keys.append((key, None, fact.get))
            if kind not in _NUMERIC:
                raise FactTypeMismatch(
                    f"{where}: table key {key!r} reads {fact_words(ref)}, which is "
                    f"{TYPE_WORDS.get(kind, 'an order line fact')}; bands need a number",
                    hint="key a table by a whole number, a decimal, money or an Elapsed time")
        for value in comp.money():
            ctx.check_money(value, where)
        self.reductions: list[tuple[Predicate, Decimal, Msg | str]] = [
            (ctx.compile_for(r.when, _COMPLAINTS, f"{where} reductions[{i}]"), r.factor,
             r.reason or Msg("reason.goodwill.when", {"condition": r.when.describe()}))
            for i, r in enumerate(comp.reductions)]

    @staticmethod
    def _meets(kinds: frozenset[int], where: str) -> None:
        if not kinds & _COMPLAINTS:
            raise ConditionNeverApplies(
                f"{where} reads a fact complaints never carry",
                hint="read a field of the complaint or a declared fact in its metadata")

    def base(self, row: Row, kept: Decimal | None, affected: Decimal | None
             ) -> tuple[Decimal | None, str]:
        """The base of a percentage and its words, or ``None`` without one."""
        of = self.comp.of
        if of == "order":
            return kept, "the order value"
        if of == "affected":
            if affected is not None:
                return affected, "the amount affected"
            return kept, "the order value"
        assert self.base_get is not None
        value = self.base_get(row)
        return (None if value is MISSING else value), f"the {of.replace('_', ' ')}"

    @staticmethod
    def base_message(words: str) -> Msg:
        """The words of :meth:`base` as a part of a reason."""
        if words == "the order value":
            return Msg("reason.goodwill.base.order", {})
        if words == "the amount affected":
            return Msg("reason.goodwill.base.affected", {})
        return Msg("reason.goodwill.base.fact", {"fact": words.removeprefix("the ")})

    def amount(self, row: Row, base: Decimal | None, words: str
               ) -> tuple[Decimal | None, list[Msg | str], str | None]:
        """(amount before the steps, notes, why nothing applies) for one complaint."""
        comp, notes = self.comp, list[Msg | str]()
        if comp.value is not None:
            return comp.value.amount, notes, None
        if comp.percent is not None:
            if base is None:
                return None, notes, f"needs {words}, and the complaint does not give it"
            amount = comp.rounding.apply(base * comp.percent / _HUNDRED, self.exp)
            notes.append(Msg("reason.goodwill.note.percent", {
                "percent": comp.percent, "of": self.base_message(words),
                "base": Money(base, self.cur)}))
            return amount, notes, None
        event_values = {}
        for key, _, get in self.keys:
            if get is not None:
                value = get(row)
                if value is not MISSING:
                    event_values[key] = Decimal(value)
        if self.each_get is None:
            return self._band(event_values, base, words, notes)
        listed = self.each_get(row)
        each_words = self.each.replace("_", " ") if self.each else ""
        if listed is MISSING or not listed:
            return None, notes, f"the complaint lists no {each_words}"
        total, covered = Decimal(0), 0
        for index, item in enumerate(listed):
            values = dict(event_values)
            for key, name, _ in self.keys:
                if name is not None and item.get(name) is not None:
                    values[key] = Decimal(item[name])
            found, _, why = self._band(values, base, words, [])
            if why is None and found is not None:
                covered += 1
                total += found
            elif why is not None and "needs" in why:
                return None, notes, f"item {index + 1} of the {each_words}: {why}"
        if not covered:
            return None, notes, f"no band of the table covers any of the {each_words}"
        notes.append(Msg("reason.goodwill.note.items", {
            "covered": covered, "total": len(listed), "items": each_words,
            "sum": Money(total, self.cur)}))
        return total, notes, None

    def _band(self, values: dict[str, Decimal], base: Decimal | None, words: str,
              notes: list[Msg | str]) -> tuple[Decimal | None, list[Msg | str], str | None]:
        table = self.comp.table
        assert table is not None
        band = table.lookup(values)
        shown = ", ".join(f"{k.replace('_', ' ')} {num(v)}" for k, v in values.items())
        if band is None:
            return None, notes, f"no band of the table covers {shown or 'the case'}"
        if band.value is not None:
            notes.append(Msg("reason.goodwill.note.band", {
                "case": self._case(values), "value": band.value}))
            return band.value.amount, notes, None
        assert band.percent is not None
        if base is None:
            return None, notes, f"needs {words}, and the complaint does not give it"
        amount = self.comp.rounding.apply(base * band.percent / _HUNDRED, self.exp)
        notes.append(Msg("reason.goodwill.note.band.percent", {
            "case": self._case(values), "percent": band.percent,
            "of": self.base_message(words), "base": Money(base, self.cur)}))
        return amount, notes, None

    @staticmethod
    def _case(values: dict[str, Decimal]) -> tuple[Msg, ...]:
        """The values a band was looked up by: ``delay minutes 190, distance km 1200``."""
        return tuple(Msg("reason.goodwill.band.key", {"name": k.replace("_", " "), "value": v})
                     for k, v in values.items())

    def reduce(self, m: Member, row: Row) -> tuple[Decimal, list[Msg | str]]:
        """The product of the reductions that hold, and a note for each."""
        factor, notes = Decimal(1), list[Msg | str]()
        for pred, each, why in self.reductions:
            if pred(m, row):
                factor *= each
                notes.append(Msg("reason.goodwill.note.reduction", {"factor": each, "why": why}))
        return factor, notes
