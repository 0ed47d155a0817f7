"""Purchase earning rules with multipliers or caps, compiled into closures over the hot member.

The point scheme's purchase step (``CompiledPoints.compile_purchase``) evaluates plain
threshold rules inline and calls one of these earners for every other rule. An earner
returns ``(points, reason)``; the reason is built when the effect is (``(builder, *args)``,
see :func:`reason_text`), so a replay that only wants totals formats no text per order.
Everything that depends only on the declaration (notes of campaign and category
multipliers, the rule's threshold text, the points a tier's multiplier gives) is worked
out once, at compile time or the first time a tier is seen.

Imports: ``_engine``, ``conditions``, ``money`` and ``points.rules``; never a layer of the
stage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._engine import Member, Row, Text, Trace, text
from .._reason import Msg, Unit, english, money_text
from .._reason_forms import Form, Unfit, said, wrap_text
from ..conditions import CompileContext, Predicate
from .rules import (
    CampaignMultiplier,
    CategoryMultiplier,
    PointsPerAmount,
    PointsPerPurchase,
    TierMultiplier,
)
from .units import traced, units_word

__all__ = ["PurchaseEarner", "Reason", "amount_text", "compile_purchase_rule", "reason_text",
           "stack"]

Reason = Text | None
"""An effect's reason: its text or ``(builder, *args)`` (see :data:`~reciprocity._engine.Text`),
or ``None`` for the rule's default reason."""
PurchaseEarner = Callable[[Member, Row, Trace], tuple[int, Reason]]
Capper = Callable[[Member, Any, int, datetime], tuple[int, Msg | None]]
"""``(m, rule, points, at) -> (points allowed, note when capped)``: the rule's caps."""

_ZERO = Decimal(0)
_ONE = Decimal(1)


def stack(factors: list[Decimal], how: str) -> Decimal:
    """Several multipliers as one factor: multiplied, added as bonuses, or the best one."""
    if not factors:
        return _ONE
    if how == "best":
        return max(factors)
    if how == "add":
        return _ONE + sum((f - _ONE for f in factors), _ZERO)
    result = _ONE
    for factor in factors:
        result *= factor
    return result


def reason_text(reason: Reason) -> str | None:
    """The text of a reason (``None`` stays ``None``: the rule's default reason)."""
    return None if reason is None else text(reason)


def noted(reason: Msg, notes: tuple[Msg, ...] | list[Msg], capped: Msg | None) -> Msg:
    """``reason`` with its notes (multipliers) and its cap, when there are any (written
    from the values by :func:`amount_text`, in the same order)."""
    if notes:
        reason = Msg("reason.notes", {"text": reason, "notes": tuple(notes)})
    if capped is not None:
        reason = Msg("reason.capped", {"text": reason, "cap": capped})
    return reason


def cap_note(capped: Msg | None, unit: Unit | None = None) -> str:
    """A cap as the end of a trace line: `` (capped: at most 5 points per day)``, in a
    scheme's ``unit`` when it has words."""
    return "" if capped is None else f" (capped: {english(*traced(unit, capped))})"


def _per_order_reason(rule: PointsPerPurchase, points: int, eid: str,
                      notes: tuple[Msg, ...] | list[Msg], capped: Msg | None) -> Msg:
    return noted(rule.reason(points, eid), notes, capped)


def _per_amount_reason(rule: PointsPerAmount, points: int, eid: str, eligible: Decimal,
                       notes: list[Msg], capped: Msg | None) -> Msg:
    return noted(rule.reason(points, eid, eligible), notes, capped)


_AMOUNT = Form("reason.earned.amount", "n", "order", "eligible", "rate")


def amount_text(memo: dict[Any, Any], reason: Any) -> str | None:
    """The English of a reason recipe of a per-amount rule (``_per_amount_reason``'s message)
    written from its values, the rule's rate and the notes once per ``memo``; ``None`` for any
    other reason (see ``reciprocity._reason_forms``)."""
    if type(reason) is not tuple or reason[0] is not _per_amount_reason:
        return None
    _, rule, points, eid, eligible, notes, capped = reason
    rate = memo.get(("rate", id(rule)))
    if rate is None:  # the rule kept beside its text: its id stays its own
        rate = memo["rate", id(rule)] = (rule, english(*rule.rate()))
    try:
        text: str = _AMOUNT.write(points, eid, money_text(eligible, rule.per.currency),
                                  rate[1])
    except Unfit:  # the catalogue's message asks for more: the general way
        text = english(*rule.reason(points, eid, eligible))
    if notes:  # as noted() wraps the message
        text = wrap_text("reason.notes", text, "notes", said(memo, notes))
    if capped is not None:
        text = wrap_text("reason.capped", text, "cap", said(memo, capped))
    return text


_TierEntry = tuple[Any, Any, Decimal | None, Msg | None, int]
"""(benefits, tier id, factor or None when it is 1, note, points of a per-order rule)."""


def compile_purchase_rule(rule: PointsPerPurchase | PointsPerAmount, ctx: CompileContext,
                          capped: Capper, unit: Unit | None = None) -> PurchaseEarner:
    """An earner for a purchase rule: threshold or amount, multipliers, rounding, caps;
    its trace lines count in the scheme's ``unit`` (``None``: points).

    The order-level factors are the tier's (when the rule has a :class:`TierMultiplier`)
    then the campaigns' that apply; a per-order rule adds the factors of category
    multipliers whose category the order has, a per-amount rule applies them per line.
    """
    pred: Predicate | None = None if rule.when is None else rule.when.compile(ctx)
    campaigns = tuple((m.factor, m.when.compile(ctx), m.note()) for m in rule.multipliers
                      if isinstance(m, CampaignMultiplier))
    tier = any(isinstance(m, TierMultiplier) for m in rule.multipliers)
    how = rule.stacking
    to_int = rule.rounding.to_int
    per_order = isinstance(rule, PointsPerPurchase)
    base_points = to_int(rule.points * _ONE) if per_order else 0
    tiers: dict[int, _TierEntry] = {}

    def tier_entry(benefits: Any, tier_id: Any) -> _TierEntry:
        factor = Decimal(benefits.points_multiplier)
        if factor == _ONE:
            entry: _TierEntry = (benefits, tier_id, None, None, base_points)
        else:
            entry = (benefits, tier_id, factor,
                     Msg("reason.note.tier",
                         {"factor": factor, "tier": ctx.tier_name(tier_id)}),
                     to_int(rule.points * stack([factor], how)) if per_order else 0)
        tiers[id(benefits)] = entry
        return entry

    def order_factors(m: Member) -> _TierEntry | None:
        """The tier's entry when its multiplier is not 1, else ``None``."""
        benefits = m.tier_benefits
        if benefits is None:
            return None
        entry = tiers.get(id(benefits))
        if entry is None or entry[0] is not benefits or entry[1] != m.tier_id:
            entry = tier_entry(benefits, m.tier_id)
        return entry if entry[2] is not None else None

    if isinstance(rule, PointsPerPurchase):
        return _per_order(rule, pred, campaigns, tier, order_factors, capped, base_points,
                          ctx, unit)
    return _per_amount(rule, pred, campaigns, tier, order_factors, capped, ctx, unit)


def _per_order(rule: PointsPerPurchase, pred: Predicate | None,
               campaigns: tuple[tuple[Decimal, Predicate, Msg], ...], tier: bool,
               order_factors: Callable[[Member], _TierEntry | None], capped: Capper,
               base_points: int, ctx: CompileContext, unit: Unit | None) -> PurchaseEarner:
    currency = ctx.currency
    categories = tuple((m.categories, m.factor,
                        Msg("reason.note.categories", {"factor": m.factor, "categories": tuple(
                            ctx.named("categories", c) for c in m.categories)}))
                       for m in rule.multipliers if isinstance(m, CategoryMultiplier))
    extra = bool(campaigns or categories)
    how = rule.stacking
    to_int = rule.rounding.to_int
    rule_id = rule.id
    not_met = "" if rule.when is None else "condition not met: " + ctx.said(rule.when)
    caps = bool(rule.caps)
    limit = None if rule.min_amount is None else rule.min_amount.amount
    inclusive = rule.inclusive
    word = "at least" if inclusive else "over"

    def earn(m: Member, row: Row, trace: Trace) -> tuple[int, Reason]:
        eid, amount = row[1], row[4]
        assert amount is not None
        if limit is not None and (amount < limit if inclusive else amount <= limit):
            if trace is not None:
                trace.append((rule_id, "skipped", f"order {eid} is {amount} {currency}, "
                              f"not {word} {rule.min_amount}"))
            return 0, None
        if pred is not None and not pred(m, row):
            if trace is not None:
                trace.append((rule_id, "skipped", not_met))
            return 0, None
        points = base_points
        factors: tuple[Decimal, ...] | list[Decimal] = ()
        notes: tuple[Msg, ...] | list[Msg] = ()
        if tier:
            entry = order_factors(m)
            if entry is not None:
                assert entry[2] is not None
                assert entry[3] is not None
                points, factors, notes = entry[4], (entry[2],), (entry[3],)
        if extra:
            found, said = list(factors), list(notes)
            for factor, when, label in campaigns:
                if when(m, row):
                    found.append(factor)
                    said.append(label)
            if categories:
                event = row[5]
                lines = event.lines if event is not None else ()
                for cats, factor, label in categories:
                    if any(line.category in cats for line in lines):
                        found.append(factor)
                        said.append(label)
            if len(found) != len(factors):
                points = to_int(rule.points * stack(found, how))
            factors, notes = found, said
        note: Msg | None = None
        if caps:
            points, note = capped(m, rule, points, row[3])
        if points <= 0:
            if trace is not None:
                exact = rule.points * stack(list(factors), how)
                trace.append((rule_id, "skipped", f"no {units_word(unit)} for order {eid}"
                              + (cap_note(note, unit) or f": {exact.normalize():f} rounds to 0")))
            return 0, None
        return points, (_per_order_reason, rule, points, eid, notes, note)

    return earn


def _per_amount(rule: PointsPerAmount, pred: Predicate | None,
                campaigns: tuple[tuple[Decimal, Predicate, Msg], ...], tier: bool,
                order_factors: Callable[[Member], _TierEntry | None], capped: Capper,
                ctx: CompileContext, unit: Unit | None) -> PurchaseEarner:
    categories = [(m.categories, m.factor) for m in rule.multipliers
                  if isinstance(m, CategoryMultiplier)]
    bonus_note = Msg("reason.note.category_bonus", {"categories": tuple(
        ctx.named("categories", c) for cats, _ in categories for c in cats)})
    how = rule.stacking
    rule_id = rule.id
    not_met = "" if rule.when is None else "condition not met: " + ctx.said(rule.when)
    caps = bool(rule.caps)
    by_line = rule.filters_lines or bool(categories)
    per = rule.per.amount
    rate_points = Decimal(rule.points)
    once = rule.rounding_order == "once"

    def earn(m: Member, row: Row, trace: Trace) -> tuple[int, Reason]:
        eid, amount, event = row[1], row[4], row[5]
        assert amount is not None
        if pred is not None and not pred(m, row):
            if trace is not None:
                trace.append((rule_id, "skipped", not_met))
            return 0, None
        found: list[Decimal] = []
        notes: list[Msg] = []
        if tier:
            entry = order_factors(m)
            if entry is not None:
                assert entry[2] is not None
                assert entry[3] is not None
                found.append(entry[2])
                notes.append(entry[3])
        for factor, when, label in campaigns:
            if when(m, row):
                found.append(factor)
                notes.append(label)
        eligible, weighted = amount, amount * stack(found, how)
        if by_line:
            lines = event.lines if event is not None else ()
            if lines:
                eligible = weighted = _ZERO
                for line in lines:
                    if not rule.counts_line(line.sku, line.category):
                        continue
                    total = line.unit_price.amount * line.quantity
                    line_factors = list(found)
                    for cats, factor in categories:
                        if line.category in cats:
                            line_factors.append(factor)
                    eligible += total
                    weighted += total * stack(line_factors, how)
                if categories and weighted != eligible * stack(found, how):
                    notes.append(bonus_note)
            elif rule.filters_lines and trace is not None:
                trace.append((rule_id, "note", f"order {eid} has no lines, so the "
                              "whole amount counts"))
        # Each product before the one division: a quotient rounded to the context's digits
        # and then multiplied can land just under a whole number that is the exact result
        # (51.06 EUR at 3 points per 3.33 EUR: 15.33...3 x 3 = 45.99...9, not 46).
        if once:  # the rate and multipliers on the exact amount, rounded once
            exact = weighted * rate_points / per
        else:  # two steps: the amount to whole ``per`` first, then the rate's result
            units = rule.rounding.apply(eligible / per)
            exact = units * rate_points * weighted / eligible if eligible else \
                units * rate_points
        points = rule.rounding.to_int(exact)
        note: Msg | None = None
        if caps:
            points, note = capped(m, rule, points, row[3])
        if points <= 0:
            if trace is not None:
                trace.append((rule_id, "skipped", f"no {units_word(unit)} for order {eid}"
                              + (cap_note(note, unit) or f": {exact.normalize():f} rounds to 0")))
            return 0, None
        return points, (_per_amount_reason, rule, points, eid, eligible, notes, note)

    return earn
