"""The tables of a simulation, built from its effects and the orders it applied.

One pass over the effects (in the order the engine produced them;
:func:`reciprocity.experiments.moves.effect_pass`) keeps, per member, the points available,
pending and owed, the tier, vouchers, gifts and goodwill, and per period the flows, and gives
the effects table's columns; a second pass over the orders gives revenue. How each effect
moves the points (``e.points_delta`` is the available balance; the others follow the engine's
definitions in :mod:`reciprocity.effects`):

- earned: pending or available, by status; released: pending -> available;
- expired and revoked: ``from_pending`` from pending, the rest from available; a revocation
  adds ``debt_added`` to the debt, and the ``clawback`` rule's revocation repays debt;
- redeemed: from available; a cancelled voucher gives its points back.

Outstanding points are available + pending - debt, as :class:`~reciprocity.ReplaySummary`
counts them; liability is outstanding points at the program's best rate.

The **cost** of a period is accrued: voucher value issued (net of cancelled vouchers), gift
cost (net of gifts charged back), goodwill paid other than in points, plus the change of the
liability. Points are a cost when earned (liability), not again when turned into a voucher.

Imports: ``effects``, ``money``, ``program`` (typing), ``state``, ``_model`` and
``experiments.moves``, ``experiments.periods``, ``experiments.table``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._effect_rows import rows_of
from .._engine import Log
from .._model import Frozen
from ..effects import Effect
from ..money import Money
from ..state import MemberState
from .moves import (
    AVAILABLE,
    DEBT,
    EARNED,
    EXPIRED,
    FIRST_AT,
    FLOWS,
    GIFT_VALUE,
    GIFTS,
    GOODWILL,
    ORDERS,
    PENDING,
    REDEEMED,
    REVOKED,
    SPEND,
    TIER,
    TIER_AT,
    VOUCHER_VALUE,
    VOUCHERS,
    effect_pass,
    new_member,
    of_models,
    reason_texts,
)
from .periods import Periods
from .table import Table

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["FAMILIES", "Fact", "Totals", "build_tables"]

Fact = tuple[datetime, str, str, Decimal]
"""An applied order: ``(at, member id, "purchase" or "return", amount)``."""

_ZERO = Decimal(0)
FAMILIES = {
    "points_earned": "points", "points_released": "points", "points_redeemed": "points",
    "points_revoked": "points", "points_expired": "points", "voucher_issued": "points",
    "voucher_cancelled": "points", "tier_changed": "tiers", "tier_grace_started": "tiers",
    "gift_granted": "gifts", "gift_revoked": "gifts", "message_suggested": "gifts",
    "goodwill_granted": "goodwill", "goodwill_pending": "goodwill",
    "goodwill_declined": "goodwill",
}
"""The policy family of each effect type."""


class Totals(Frozen):
    """A simulation's totals: the flows summed over every period, the stocks at the end."""

    currency: str
    members: int
    orders: int
    revenue: Decimal
    points_earned: int
    points_redeemed: int
    points_expired: int
    points_revoked: int
    points_available: int
    points_pending: int
    points_debt: int
    points_outstanding: int
    liability: Decimal
    vouchers: int
    voucher_value: Decimal
    gifts: int
    gift_cost: Decimal
    goodwill_grants: int
    goodwill_paid: Decimal
    first_tier_reached: int
    """Members who reached a tier for the first time (whichever tier: an order that
    qualifies for the second tier at once skips the first)."""
    median_days_to_first_tier: float | None
    """Median days from a member's first order to that first tier (0 for a tier reached
    before it, at sign-up)."""
    cost: Decimal
    """Accrued programme cost (see :mod:`reciprocity.experiments.metrics`)."""
    cost_pct: Decimal | None
    """``cost`` as a percentage of revenue, two places; ``None`` without revenue."""
    breakage_pct: Decimal | None
    """Points expired as a percentage of points earned."""


def _member(state: MemberState | None) -> list[Any]:
    if state is None:
        return new_member()
    return [state.available_points, state.pending_points, state.debt,
            None if state.tier is None else state.tier.tier_id, 0, 0, 0, 0, 0, _ZERO,
            0, _ZERO, 0, _ZERO, _ZERO, None, None]


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else (part * 100 / whole).quantize(Decimal("0.01"))


def build_tables(program: Program, effects: Iterable[Effect], facts: Sequence[Fact],
                 start: Mapping[str, MemberState], periods: Periods,
                 log: Log | None = None) -> tuple[Table, Table, Table, Totals]:
    """The effects, members and metrics tables, and the totals; the effects from their
    models, or from ``log`` (:meth:`Replay.effect_log <reciprocity.Replay.effect_log>`;
    ``effects`` is then not read), which builds a model only for the rare effect types
    without a row (``reciprocity._effect_rows``). Either way the reasons are written when
    the effects table is first read."""
    currency = program.currency
    rate = program.point_value().amount
    label = periods.label
    members: dict[str, list[Any]] = {mid: _member(state) for mid, state in start.items()}
    outstanding_start = sum(m[AVAILABLE] + m[PENDING] - m[DEBT] for m in members.values())
    new_members: dict[str, int] = {}

    # First appearance of each member (by their first order), for "days to the first tier".
    for at, mid, _, _ in facts:
        m = members.get(mid)
        if m is None:
            m = members[mid] = _member(None)
            new_members[label(at)] = new_members.get(label(at), 0) + 1
        if m[FIRST_AT] is None:
            m[FIRST_AT] = at

    passed = effect_pass(of_models(effects) if log is None else rows_of(log), members,
                         new_members, periods)
    effects_table = Table({
        "at": passed.ats, "period": passed.periods, "member_id": passed.members,
        "family": [FAMILIES.get(kind, "other") for kind in passed.kinds],
        "effect": passed.kinds, "rule_id": passed.rules, "event_id": passed.events,
        "points": passed.points, "points_delta": passed.deltas,
        "outstanding_delta": passed.moved, "value": passed.values, "reason": passed.reasons,
    }, money=("value",), currency=currency, title="Effects", written={"reason": reason_texts})
    flows, outstanding_moves = passed.flows, passed.outstanding
    tier_moves, first_tier_days = passed.tier_moves, passed.first_tier_days

    revenue: dict[str, Decimal] = {}
    orders: dict[str, int] = {}
    for at, mid, kind, amount in facts:
        period = label(at)
        m = members[mid]
        if kind == "purchase":
            revenue[period] = revenue.get(period, _ZERO) + amount
            orders[period] = orders.get(period, 0) + 1
            m[ORDERS] += 1
            m[SPEND] += amount
        else:
            revenue[period] = revenue.get(period, _ZERO) - amount
            m[SPEND] -= amount

    members_table = _members_table(members, start, rate, currency)
    metrics, totals = _metrics(program, periods, flows, revenue, orders, outstanding_moves,
                               outstanding_start, tier_moves, new_members, start,
                               first_tier_days, members, rate)
    return effects_table, members_table, metrics, totals


def _members_table(members: dict[str, list[Any]], start: Mapping[str, MemberState],
                   rate: Decimal, currency: str) -> Table:
    ids = sorted(members)
    rows = [members[mid] for mid in ids]
    spend0 = {mid: state.spend for mid, state in start.items()}
    orders0 = {mid: state.purchase_count for mid, state in start.items()}
    outstanding = [m[AVAILABLE] + m[PENDING] - m[DEBT] for m in rows]
    return Table({
        "member_id": ids,
        "tier": [m[TIER] for m in rows],
        "available": [m[AVAILABLE] for m in rows],
        "pending": [m[PENDING] for m in rows],
        "debt": [m[DEBT] for m in rows],
        "outstanding": outstanding,
        "liability": _liabilities(outstanding, rate, currency),
        "points_earned": [m[EARNED] for m in rows],
        "points_redeemed": [m[REDEEMED] for m in rows],
        "points_expired": [m[EXPIRED] for m in rows],
        "points_revoked": [m[REVOKED] for m in rows],
        "orders": [orders0.get(mid, 0) + m[ORDERS] for mid, m in zip(ids, rows, strict=True)],
        "spend": [spend0.get(mid, _ZERO) + m[SPEND] for mid, m in zip(ids, rows, strict=True)],
        "vouchers": [m[VOUCHERS] for m in rows],
        "voucher_value": [m[VOUCHER_VALUE] for m in rows],
        "gifts": [m[GIFTS] for m in rows],
        "gift_value": [m[GIFT_VALUE] for m in rows],
        "goodwill_paid": [m[GOODWILL] for m in rows],
        "first_tier_at": [m[TIER_AT] for m in rows],
    }, money=("liability", "spend", "voucher_value", "gift_value", "goodwill_paid"),
        currency=currency, title="Members")


def _liabilities(outstanding: list[int], rate: Decimal, currency: str) -> list[Decimal]:
    """Each member's liability, ``Money(rate * points).quantize()``'s amount: worked out once
    per distinct number of points (members share a few hundred of them)."""
    known: dict[int, Decimal] = {}
    out = []
    for points in outstanding:
        amount = known.get(points)
        if amount is None:
            amount = known[points] = Money(rate * points, currency).quantize().amount
        out.append(amount)
    return out


def _metrics(program: Program, periods: Periods, flows: dict[str, dict[str, Any]],
             revenue: dict[str, Decimal], orders: dict[str, int], moves: dict[str, int],
             outstanding: int, tier_moves: dict[str, dict[str | None, int]],
             new_members: dict[str, int], start: Mapping[str, MemberState],
             first_tier_days: dict[str, list[float]], members: dict[str, list[Any]],
             rate: Decimal) -> tuple[Table, Totals]:
    currency = program.currency
    seen = [*flows, *revenue]
    tiers = [t.id for t in program.tiers.tiers] if program.tiers is not None else []
    if seen:
        starts = sorted(periods.start(p) for p in set(seen))
        labels = periods.span(starts[0], starts[-1])
    else:
        labels = []
    mix: dict[str | None, int] = {}
    for state in start.values():
        key = None if state.tier is None else state.tier.tier_id
        mix[key] = mix.get(key, 0) + 1
    count = len(start)
    liability_before = Money(rate * outstanding, currency).quantize().amount
    cols: dict[str, list[Any]] = {name: [] for name in (
        "period", "start", "end", "orders", "revenue", *FLOWS[:-1], "points_outstanding",
        "liability", "members", *(f"tier_{t}" for t in tiers), "first_tier_reached",
        "median_days_to_first_tier", "cost", "cost_pct")}
    for period in labels:
        f = flows.get(period) or dict.fromkeys(FLOWS, 0)
        outstanding += moves.get(period, 0)
        count += new_members.get(period, 0)
        for tier, change in tier_moves.get(period, {}).items():
            mix[tier] = mix.get(tier, 0) + change
        liability = Money(rate * outstanding, currency).quantize().amount
        income = revenue.get(period, _ZERO)
        cost = (f["voucher_value"] or _ZERO) + (f["gift_cost"] or _ZERO) + (
            f["goodwill_paid"] or _ZERO) + liability - liability_before
        liability_before = liability
        days = first_tier_days.get(period)
        row = {"period": period, "start": periods.start(period), "end": periods.end(period),
               "orders": orders.get(period, 0), "revenue": income,
               **{name: f[name] or (0 if name in ("vouchers", "gifts", "goodwill_grants")
                                    or name.startswith("points") else _ZERO)
                  for name in FLOWS[:-1]},
               "points_outstanding": outstanding, "liability": liability, "members": count,
               **{f"tier_{t}": mix.get(t, 0) for t in tiers},
               "first_tier_reached": f["first_tier_reached"],
               "median_days_to_first_tier": statistics.median(days) if days else None,
               "cost": cost, "cost_pct": _pct(cost, income)}
        for name, value in row.items():
            cols[name].append(value)
    table = Table(cols, money=("revenue", "voucher_value", "gift_cost", "goodwill_paid",
                               "liability", "cost"), currency=currency,
                  title=f"Metrics per period ({periods.freq})")
    values = list(members.values())
    all_days = [d for days in first_tier_days.values() for d in days]
    total_revenue = sum(cols["revenue"], _ZERO)
    final_outstanding = sum(m[AVAILABLE] + m[PENDING] - m[DEBT] for m in values)
    total_cost = sum(cols["cost"], _ZERO)
    earned = sum(cols["points_earned"])
    expired = sum(cols["points_expired"])
    totals = Totals(
        currency=currency, members=len(members), orders=sum(cols["orders"]),
        revenue=total_revenue, points_earned=earned,
        points_redeemed=sum(cols["points_redeemed"]), points_expired=expired,
        points_revoked=sum(cols["points_revoked"]),
        points_available=sum(m[AVAILABLE] for m in values),
        points_pending=sum(m[PENDING] for m in values),
        points_debt=sum(m[DEBT] for m in values), points_outstanding=final_outstanding,
        liability=Money(rate * final_outstanding, currency).quantize().amount,
        vouchers=sum(cols["vouchers"]), voucher_value=sum(cols["voucher_value"], _ZERO),
        gifts=sum(cols["gifts"]), gift_cost=sum(cols["gift_cost"], _ZERO),
        goodwill_grants=sum(cols["goodwill_grants"]),
        goodwill_paid=sum(cols["goodwill_paid"], _ZERO),
        first_tier_reached=sum(cols["first_tier_reached"]),
        median_days_to_first_tier=statistics.median(all_days) if all_days else None,
        cost=total_cost, cost_pct=_pct(total_cost, total_revenue),
        breakage_pct=_pct(Decimal(expired), Decimal(earned)),
    )
    return table, totals
