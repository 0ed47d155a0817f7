"""Phrases every part of the terms shares: conditions, requirements, durations, limits, gifts,
compensations and tier benefits, in the catalogue's locale.

Every phrase is built from message keys (``cond.*``, ``req.*``, ``gift.kind.*``...) and values
formatted by the catalogue; no English is written here.

Imports: the core's declarations (``conditions``, ``limits``, ``benefits``, ``money``), the
families' declarations it phrases, and ``terms.catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from .._condition_base import _ConditionBase
from ..benefits import TierBenefits
from ..conditions import (
    AllOf,
    Always,
    AmountOver,
    AnyOf,
    ChannelIs,
    During,
    HasConsent,
    InCategory,
    InTier,
    LineFact,
    Not,
    PurchaseCountAtLeast,
)
from ..gifts.gift import Gift
from ..goodwill.compensation import GiftCompensation, PointsCompensation, _Amount
from ..limits import Period, _Limit
from ..money import Money
from ..tiers.requirements import MinOrders, MinPoints, MinSpend, RequireAll, RequireAny
from .catalog import Catalogue
from .facts import amount_parts, base_words, bounds, clause

__all__ = ["Ctx"]

_OP_KEYS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "in": "in"}


@dataclass(frozen=True)
class Ctx:
    """What a phrase needs: the catalogue, the program's zone and its tiers' names."""

    c: Catalogue
    zone: ZoneInfo
    tier_names: dict[str, str] = field(default_factory=dict)
    fact_labels: dict[str, str] = field(default_factory=dict)
    """The declared facts' labels in this locale, by fact name (``line.x`` for a line's)."""
    category_labels: dict[str, str] = field(default_factory=dict)
    """The complaint categories' declared labels in this locale, by category."""
    balance_labels: dict[str, str] = field(default_factory=dict)
    """The labels of ``Program.balances`` declared in this locale, by balance name: a
    ``MinPoints(balance=...)`` is said with it."""
    unit_labels: dict[str, str] = field(default_factory=dict)
    """``MinPoints.label`` -> the label in this locale of the balance it counts: a tier
    progress's ``unit`` is said with it."""
    conditions: dict[str, str] = field(default_factory=dict)
    """The conditions of the program's goodwill reductions without a reason of their own,
    in this locale (:meth:`condition`), by their English words (``Condition.describe()``):
    an effect's reason holds those words, said here with the program's fact labels."""
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """The declared facts' value labels in this locale: fact name -> value -> label."""
    units: dict[str | None, tuple[str, str]] = field(default_factory=dict)
    """The units' words (singular, plural) declared in this locale, by balance name (``None``
    for the program's own points): :meth:`for_balance` says them."""
    progress_units: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``MinPoints.unit`` -> the words of the balance it counts, for a tier progress."""
    line_categories: dict[str, str] = field(default_factory=dict)
    """The order-line categories' labels in this locale (``Program.labels.categories``)."""
    event_names: dict[str, str] = field(default_factory=dict)
    """The event names' labels in this locale (``Program.labels.events``)."""

    def for_balance(self, name: str | None) -> Ctx:
        """This context with the catalogue saying the unit of the balance ``name``
        (``None``: the program's own points), or the catalogue's "points"."""
        c = self.c.with_unit(self.units.get(name))
        return self if c is self.c else replace(self, c=c)

    # -- small values ---------------------------------------------------------------------
    def applies(self, cond: _ConditionBase, key: str = "applies", **values: str) -> str:
        """``Applies in December.``; a condition said as an if-clause takes the message
        ``key + ".if"``, as German sets it off with a comma (``Gilt, wenn …``)."""
        text = self.condition(cond)
        lead = self.c.t("cond.if", clause="\x00").split("\x00")[0]
        return self.c.t(key + ".if" if lead and text.startswith(lead) else key, None,
                        condition=text, **values)

    def tiers(self, ids: tuple[str, ...], style: str = "or") -> str:
        """Tier names (or ids, for tiers the ladder does not have) as a list."""
        return self.c.join([self.tier_names.get(i, i) for i in ids], style)

    def names(self, items: tuple[str, ...], style: str = "and") -> str:
        """Shop data (SKUs, consents), quoted, as a list."""
        return self.c.join([self.c.quote(item) for item in items], style)

    def categories(self, items: tuple[str, ...], style: str = "and") -> str:
        """Order-line categories, each by its label in the locale or its name, quoted, as
        a list."""
        said = self.line_categories
        return self.c.join([self.c.quote(said.get(item, item)) for item in items], style)

    def event(self, name: str) -> str:
        """An event name, by its label in the locale or as it is, quoted."""
        return self.c.quote(self.event_names.get(name, name))

    def duration(self, months: int = 0, days: int = 0) -> str:
        """``3 Monate und 10 Tage``."""
        parts = [self.c.t("unit.months", n=months)] if months else []
        parts += [self.c.t("unit.days", n=days)] if days else []
        return self.c.join(parts)

    def last_day(self, until: datetime) -> str:
        """The last day of something that ends (exclusively) at ``until``: local midnight
        belongs to the day before."""
        local = until.astimezone(self.zone)
        if local.hour == local.minute == local.second == local.microsecond == 0:
            local -= timedelta(days=1)
        return self.c.date(local)

    def factor(self, value: Decimal) -> str:
        """A multiplier: ``×1,5``."""
        return self.c.t("format.factor", factor=self.c.number(value))

    # -- conditions -----------------------------------------------------------------------
    def condition(self, cond: _ConditionBase) -> str:
        """A condition as a phrase that follows "Applies" / "Gilt"."""
        c = self.c
        if isinstance(cond, Always):
            return c.t("cond.always")
        if isinstance(cond, AmountOver):
            key = "cond.amount_at_least" if cond.inclusive else "cond.amount_over"
            return c.t(key, amount=c.money(cond.amount))
        if isinstance(cond, ChannelIs):
            return c.t("cond.channel", channels=self.names(cond.channels, "or"))
        if isinstance(cond, During):
            return self._during(cond)
        if isinstance(cond, PurchaseCountAtLeast):
            return c.t("cond.orders_before", n=cond.count)
        if isinstance(cond, HasConsent):
            return c.t("cond.consent", consent=c.quote(cond.consent))
        if isinstance(cond, InCategory):
            return c.t("cond.category", categories=self.categories(cond.categories, "or"))
        if isinstance(cond, InTier):
            return c.t("cond.tier", tiers=self.tiers(cond.tiers))
        if isinstance(cond, LineFact):
            return self._line_fact(cond)
        facts_only = clause(self, cond)
        if facts_only is not None:
            return c.t("cond.if", clause=facts_only)
        if isinstance(cond, AllOf | AnyOf):
            return self._compound(cond)
        if isinstance(cond, Not):
            inner = cond.condition
            if isinstance(inner, Not):  # "not not x" reads as x
                return self.condition(inner.condition)
            if isinstance(inner, Always):
                return c.t("cond.never")
            if isinstance(inner, During) and (inner.start is None) != (inner.end is None):
                # not before E is "from E"; not from S is "until S"
                return self._during(During(start=inner.end) if inner.start is None
                                    else During(end=inner.start))
            return c.t("cond.not", condition=self._nested(inner, AllOf | AnyOf))
        raise KeyError(f"no phrase for condition {type(cond).__name__}")

    def _compound(self, cond: AllOf | AnyOf) -> str:
        """``a and b`` / ``a or b``; the parts on facts alone are one clause with one "if",
        where the first of them stands."""
        c, style = self.c, "and" if isinstance(cond, AllOf) else "or"
        parts: list[str | None] = []
        facts: list[str] = []
        for inner in cond.conditions:
            body = clause(self, inner)
            if body is None:
                parts.append(self._nested(inner, AnyOf if isinstance(cond, AllOf) else AllOf))
                continue
            if not facts:
                parts.append(None)
            facts.append(c.t("format.group", text=body) if isinstance(inner, AllOf | AnyOf)
                         else body)
        said = [c.t("cond.if", clause=c.join(facts, style)) if part is None else part
                for part in parts]
        return c.join(said, style)

    def _line_fact(self, cond: LineFact) -> str:
        """``to orders with at least one line where "discounted" is yes``."""
        c = self.c

        labels = self.value_labels.get(f"line.{cond.fact}", {})

        def value(v: bool | int | str) -> str:
            if isinstance(v, bool):
                return c.t(f"cond.value.{str(v).lower()}")
            return c.number(Decimal(v)) if isinstance(v, int) else c.quote(labels.get(v, v))

        shown = (c.join([value(v) for v in cond.value], "or") if isinstance(cond.value, tuple)
                 else value(cond.value))
        test = c.t(f"cond.test.{_OP_KEYS[cond.op]}", value=shown)
        name = self.fact_labels.get(f"line.{cond.fact}") or cond.fact.replace("_", " ")
        return c.t(f"cond.line.{cond.match}", fact=c.quote(name), test=test)

    def _nested(self, cond: _ConditionBase, wrap: type | object) -> str:
        text = self.condition(cond)
        return self.c.t("format.group", text=text) if isinstance(cond, wrap) else text  # type: ignore[arg-type]

    def _during(self, cond: During) -> str:
        c = self.c

        def day_or_time(when: datetime, end: bool) -> str:
            local = when.astimezone(self.zone)
            if local.hour == local.minute == local.second == 0:
                return c.date(local - timedelta(days=1) if end else local)
            return c.datetime(local)

        parts = []
        if cond.start is not None:
            parts.append(c.t("cond.from", start=day_or_time(cond.start, False)))
        if cond.end is not None:
            end_local = cond.end.astimezone(self.zone)
            midnight = end_local.hour == end_local.minute == end_local.second == 0
            parts.append(c.t("cond.through" if midnight else "cond.until",
                             end=day_or_time(cond.end, True)))
        return " ".join(parts) if parts else c.t("cond.always")

    # -- requirements and benefits -----------------------------------------------------------
    def requirement(self, req: object) -> str:
        """A tier requirement as a noun phrase: ``350,00 EUR Umsatz oder 10 Einkäufe``."""
        c = self.c
        if isinstance(req, MinSpend):
            return c.t("req.spend", amount=c.money(req.amount))
        if isinstance(req, MinOrders):
            return c.t("req.orders", n=req.count)
        if isinstance(req, MinPoints):
            label = (req.balance and self.balance_labels.get(req.balance)) or req.label
            # the unit of the balance it names (of the own points, unless it has a label)
            words = (self.units.get(req.balance)
                     if req.balance is not None or req.label is None else None)
            if words is not None:  # "35.000 Statusmeilen"
                c = c.with_unit(words)
            elif label is not None:
                return c.t("req.points_labelled", points=c.number(req.points),
                           label=c.quote(label))
            if req.rules is not None:
                return c.t("req.points_from", n=req.points, rules=self.names(req.rules))
            return c.t("req.points", n=req.points)
        if isinstance(req, RequireAll | RequireAny):
            other = RequireAny if isinstance(req, RequireAll) else RequireAll
            parts = []
            for inner in req.requirements:
                text = self.requirement(inner)
                parts.append(c.t("format.group", text=text) if isinstance(inner, other)
                             else text)
            return c.join(parts, "and" if isinstance(req, RequireAll) else "or")
        raise KeyError(f"no phrase for requirement {type(req).__name__}")

    def benefits(self, benefits: TierBenefits) -> str:
        """What a tier brings, as a list of noun phrases."""
        c = self.c
        parts: list[str] = []
        if benefits.points_multiplier != 1:
            parts.append(c.with_unit(self.units.get(None)).t(
                "benefit.points", factor=self.factor(benefits.points_multiplier)))
        if benefits.free_shipping:
            parts.append(c.t("benefit.free_shipping"))
        if benefits.early_access_days:
            parts.append(c.t("benefit.early_access", n=benefits.early_access_days))
        if benefits.goodwill_factor != 1:
            parts.append(c.t("benefit.goodwill", factor=self.factor(benefits.goodwill_factor)))
        parts += [c.quote(perk) for perk in benefits.perks]
        if not benefits.points_expire:
            parts.append(c.with_unit(self.units.get(None)).t("benefit.no_expiry"))
        return c.join(parts) if parts else c.t("benefit.none")

    # -- limits ---------------------------------------------------------------------------
    def period(self, per: Period | str) -> str:
        """``pro Monat`` / ``insgesamt``."""
        return self.c.t(f"per.{per.value if isinstance(per, Period) else per}")

    def limit(self, limit: _Limit) -> str:
        """``höchstens 1-mal und höchstens 50,00 EUR pro Jahr``."""
        c = self.c
        what = []
        if limit.count is not None:
            what.append(c.t("limit.count", n=limit.count))
        if limit.amount is not None:
            what.append(c.t("limit.amount", amount=c.money(limit.amount)))
        return c.t("limit.per", what=c.join(what), period=self.period(limit.per))

    # -- what is given --------------------------------------------------------------------
    def gift(self, gift: Gift) -> str:
        """A gift as the object of "you get": ``einen Gutschein über 5,00 EUR („Geburtstag“)``."""
        c = self.c
        kind = gift.kind.replace("-", "_")
        if gift.value.amount == 0:
            text = c.t(f"gift.kind.{kind}.free")
        else:
            text = c.t(f"gift.kind.{kind}", value=c.money(gift.value))
        return c.t("gift.named", gift=text, name=c.quote(gift.name))

    def compensation(self, comp: object) -> str:
        """A compensation as the object of "you get"."""
        c = self.c
        if isinstance(comp, PointsCompensation):
            return c.with_unit(self.units.get(None)).t("comp.points", n=comp.points)
        if isinstance(comp, GiftCompensation):
            return c.t("comp.gift", name=c.quote(comp.name), value=c.money(comp.value))
        if isinstance(comp, _Amount):
            noun = getattr(comp, "type", "credit")  # voucher, credit, refund_share
            if comp.value is not None:
                text = c.t(f"comp.{noun}", value=c.money(comp.value))
            else:
                if comp.table is not None:
                    text = amount_parts(self, comp, noun)
                else:
                    assert comp.percent is not None
                    text = c.t(f"comp.{noun}.percent", percent=c.percent(comp.percent),
                               base=base_words(self, comp.of))
                if comp.max is not None:
                    text = c.t("comp.at_most", text=text, max=c.money(comp.max))
            text = bounds(self, comp, text)
            valid_days = getattr(comp, "valid_days", None)
            if valid_days is not None:
                text = c.t("comp.valid", text=text, n=valid_days)
            return text
        raise KeyError(f"no phrase for compensation {type(comp).__name__}")


def money_or_none(c: Catalogue, value: Money | None) -> str | None:
    """The money formatted, or ``None``."""
    return None if value is None else c.money(value)
