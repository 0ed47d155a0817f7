"""The simulation tables as ``reciprocity.experiments.metrics`` built them before the faster
pass (one effect at a time, every column appended per effect), and the applied orders as
``reciprocity.experiments.prepared.applied_facts`` made them (a price map per order): a
verbatim copy of that code (the members and metrics tables, which the faster pass did not
change, are the package's own), kept as the reference the package's faster path must equal
(``tests/test_experiments_tables.py``). Not used by the package. It includes branch
``balances``' change to the old code (points of another balance move no points column), which
does nothing before that branch gives effects a ``balance``.
"""

# ruff: noqa

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from reciprocity import MemberState, Program
from reciprocity.effects import Effect
from reciprocity.events import Purchase, PurchaseColumns, Return
from reciprocity.experiments.metrics import (  # unchanged by the faster pass: shared
    Totals,
    _member,
    _members_table,
    _metrics,
)
from reciprocity.experiments.periods import Periods
from reciprocity.experiments.table import Table

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

# member slots
AVAILABLE, PENDING, DEBT, TIER, EARNED, REDEEMED, EXPIRED, REVOKED = range(8)
ORDERS, SPEND, VOUCHERS, VOUCHER_VALUE, GIFTS, GIFT_VALUE, GOODWILL, FIRST_AT, TIER_AT = (
    range(8, 17))
_FLOWS = ("points_earned", "points_redeemed", "points_expired", "points_revoked",
          "vouchers", "voucher_value", "gifts", "gift_cost", "goodwill_grants", "goodwill_paid",
          "first_tier_reached")


def build_tables(program: Program, effects: Iterable[Effect], facts: Sequence[Fact],
                 start: Mapping[str, MemberState], periods: Periods,
                 ) -> tuple[Table, Table, Table, Totals]:
    """The effects, members and metrics tables, and the totals."""
    currency = program.currency
    rate = program.point_value().amount
    label = periods.label
    members: dict[str, list[Any]] = {mid: _member(state) for mid, state in start.items()}
    outstanding_start = sum(m[AVAILABLE] + m[PENDING] - m[DEBT] for m in members.values())
    flows: dict[str, dict[str, Any]] = {}
    outstanding_moves: dict[str, int] = {}
    tier_moves: dict[str, dict[str | None, int]] = {}
    new_members: dict[str, int] = {}
    first_tier_days: dict[str, list[float]] = {}
    cols: dict[str, list[Any]] = {name: [] for name in (
        "at", "period", "member_id", "family", "effect", "rule_id", "event_id", "points",
        "points_delta", "outstanding_delta", "value", "reason")}
    c_at, c_period, c_member, c_family, c_effect, c_rule, c_event, c_points, c_delta, \
        c_outstanding, c_value, c_reason = cols.values()

    # First appearance of each member (by their first order), for "days to the first tier".
    for at, mid, _, _ in facts:
        m = members.get(mid)
        if m is None:
            m = members[mid] = _member(None)
            new_members[label(at)] = new_members.get(label(at), 0) + 1
        if m[FIRST_AT] is None:
            m[FIRST_AT] = at

    def flow(period: str) -> dict[str, Any]:
        found = flows.get(period)
        if found is None:
            found = flows[period] = dict.fromkeys(_FLOWS, 0)
            for name in ("voucher_value", "gift_cost", "goodwill_paid"):
                found[name] = _ZERO
        return found

    for effect in effects:
        e: Any = effect  # each branch reads the fields of its own effect type
        kind: str = e.type
        mid = effect.member_id
        m = members.get(mid)
        if m is None:
            m = members[mid] = _member(None)
            new_members[label(effect.at)] = new_members.get(label(effect.at), 0) + 1
        period = label(effect.at)
        f = flow(period)
        points: int | None = e.points if kind.startswith(("points_", "voucher_c")) else None
        moved = 0
        value: Decimal | None = None
        other = points is not None and getattr(e, "balance", None) is not None
        if other:
            pass  # points of another of Program.balances (status miles): never liability
        elif kind == "points_earned":
            moved = e.points
            m[PENDING if e.status == "pending" else AVAILABLE] += moved
            m[EARNED] += moved
            f["points_earned"] += moved
        elif kind == "points_released":
            m[PENDING] -= e.points
            m[AVAILABLE] += e.points
        elif kind in ("points_expired", "points_revoked"):
            taken, from_pending = e.points, e.from_pending
            m[PENDING] -= from_pending
            m[AVAILABLE] -= taken - from_pending
            moved = -taken
            if kind == "points_expired":
                m[EXPIRED] += taken
                f["points_expired"] += taken
            else:
                debt = e.debt_added
                if effect.rule_id == "clawback":
                    debt = -taken
                m[DEBT] += debt
                moved -= debt
                m[REVOKED] += taken
                f["points_revoked"] += taken
        elif kind == "points_redeemed":
            moved = -e.points
            m[AVAILABLE] += moved
            m[REDEEMED] -= moved
            f["points_redeemed"] -= moved
        elif kind == "voucher_cancelled":
            moved = e.points
            m[AVAILABLE] += moved
            m[REDEEMED] -= moved
            f["points_redeemed"] -= moved
            worth = e.voucher.value  # None: a reward that is not money (a drink)
            value = None if worth is None else -worth.amount
            m[VOUCHERS] -= 1
            m[VOUCHER_VALUE] += value or 0
            f["vouchers"] -= 1
            f["voucher_value"] += value or 0
        elif kind == "voucher_issued":
            worth = e.voucher.value  # None: a reward that is not money (a drink)
            value = None if worth is None else worth.amount
            m[VOUCHERS] += 1
            m[VOUCHER_VALUE] += value or 0
            f["vouchers"] += 1
            f["voucher_value"] += value or 0
        elif kind == "gift_granted":
            value = e.value.amount
            m[GIFTS] += 1
            m[GIFT_VALUE] += value
            f["gifts"] += 1
            f["gift_cost"] += value
        elif kind == "gift_revoked":
            if e.charged_back:
                value = -e.value.amount
                m[GIFT_VALUE] += value
                f["gift_cost"] += value
        elif kind == "goodwill_granted":
            value = e.value.amount
            f["goodwill_grants"] += 1
            if e.kind != "points":
                m[GOODWILL] += value
                f["goodwill_paid"] += value
        elif kind == "tier_changed":
            before, after = m[TIER], e.to_tier
            moves = tier_moves.setdefault(period, {})
            moves[before] = moves.get(before, 0) - 1
            moves[after] = moves.get(after, 0) + 1
            m[TIER] = after
            if before is None and after is not None and m[TIER_AT] is None:
                m[TIER_AT] = effect.at
                f["first_tier_reached"] += 1
                if m[FIRST_AT] is not None:
                    days = max((effect.at - m[FIRST_AT]).total_seconds() / 86400, 0.0)
                    first_tier_days.setdefault(period, []).append(days)
        if moved:
            outstanding_moves[period] = outstanding_moves.get(period, 0) + moved
        c_at.append(effect.at)
        c_period.append(period)
        c_member.append(mid)
        c_family.append(FAMILIES.get(kind, "other"))
        c_effect.append(kind)
        c_rule.append(f"{e.balance}/{effect.rule_id}" if other else effect.rule_id)
        c_event.append(effect.event_id)
        c_points.append(points)
        c_delta.append(0 if other else e.points_delta)
        c_outstanding.append(moved)
        c_value.append(value)
        c_reason.append(effect.reason)
    effects_table = Table(cols, money=("value",), currency=currency, title="Effects")

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


def applied_facts(events: Iterable[Any] | PurchaseColumns, start: Mapping[str, MemberState],
                  refused: Iterable[str]) -> list[Fact]:
    """The orders a replay applied, in time order, with each return's amount."""
    refused = set(refused)
    if isinstance(events, PurchaseColumns):
        rows = sorted(zip(events.at, events.ids, events.member_ids, events.amounts,
                          strict=True))
        seen: set[tuple[str, str]] = set()
        facts: list[Fact] = []
        for at, eid, mid, amount in rows:
            state = start.get(mid)
            if (mid, eid) in seen or eid in refused or (state and state.has_applied(eid)):
                continue
            seen.add((mid, eid))
            facts.append((at, mid, "purchase", amount))
        return facts
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    bought: dict[tuple[str, str], list[Any]] = {}
    for state in start.values():
        for prior in state.purchases:
            bought[(state.member_id, prior.id)] = [
                prior.amount, prior.returned, {ln.sku: ln.unit_price for ln in prior.lines}]
    seen = set()
    facts = []
    for event in ordered:
        key = (event.member_id, event.id)
        state = start.get(event.member_id)
        if key in seen or event.id in refused or (state and state.has_applied(event.id)):
            continue
        seen.add(key)
        if isinstance(event, Purchase):
            amount = event.amount.amount
            bought[(event.member_id, event.id)] = [
                amount, _ZERO, {ln.sku: ln.unit_price.amount for ln in event.lines}]
            facts.append((event.at, event.member_id, "purchase", amount))
        elif isinstance(event, Return):
            record = bought.get((event.member_id, event.purchase_id))
            if record is None:
                continue
            if event.amount is not None:
                value = event.amount.amount
            elif event.lines:
                value = sum((record[2].get(ln.sku, _ZERO) * ln.quantity for ln in event.lines),
                            _ZERO)
            else:
                value = record[0] - record[1]
            value = min(value, record[0] - record[1])
            record[1] += value
            facts.append((event.at, event.member_id, "return", value))
    return facts
