"""A program's history windows, computed from its declarations, and the bounded step.

:func:`windows` works out how long a program's decisions read an order's record (the order
window) and how long applied event ids are kept (the event horizon). :func:`bounded` wraps a
step function so that, after every event, orders past the order window fold into
``Member.folded`` and applied ids past the horizon are forgotten, and before it, an event past
the horizon or a return or complaint about a folded order is refused, and so is a purchase
under the id of an order whose record is kept but whose applied id was forgotten (it cannot be
told from that order, and would earn for it twice and overwrite its record).

Why folding never changes a decision: an order folds only when every window that reads
orders one by one has passed it (a return, a complaint, pending points, a tier qualification
period and its grace). Totals (``purchase_count``, ``spend``) keep counting it. A program
whose decisions read every order ever placed (gift rules; a ladder qualifying over the
whole membership, a gift by favourite category or per lifetime, a quiet-spell rule without a
lookback) gets no order window and keeps every order.

Imports: the core (``_engine``, ``_frozen``, ``errors``, ``events``, ``limits``), the tier
ladder's and the gift scheme's declarations; ``program`` and ``_stage`` only for typing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ._engine import P_AMOUNT, P_AT, P_RETURNED, Log, Member, Row, Trace
from ._frozen import forget_applied
from .errors import EventConflict, EventTooOld, OrderFolded
from .events import COMPLAINT, PURCHASE, RETURN
from .gifts.order_rules import CategoryGift
from .gifts.scheme import DriftRule, GiftScheme, SeasonalGift, ThankYouGift
from .limits import Period
from .tiers.ladder import (
    MonthsFromQualifying,
    NoExpiry,
    RollingMonths,
    TierLadder,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._stage import Handler, Stage
    from .program import Program

__all__ = ["bounded", "fold", "windows"]

_MONTH = 31
"""Days counted for a month: a window is never shorter than what it covers."""


def tier_days(ladder: TierLadder) -> int | None:
    """Days behind an event that the ladder reads orders one by one, or ``None`` for all.

    A calendar-year, membership-year or lifetime ladder reads none: it keeps the qualifying
    totals of folded orders per period (``TierStatus.folded``, see
    :mod:`reciprocity.tiers.folding`), so its orders fold with the return window. A rolling
    ladder reads its window at every order that may still hold a tier: the window and the
    validity (a tier that never runs out reads every order), and the downgrade's grace.
    """
    period, validity = ladder.period, ladder.validity
    if not isinstance(period, RollingMonths):
        return 0
    if isinstance(validity, NoExpiry):
        return None
    months = period.months
    if isinstance(validity, MonthsFromQualifying):
        months += validity.months
    grace = ladder.downgrade.grace_months * _MONTH + ladder.downgrade.grace_days
    return (months + 1) * _MONTH + grace


_PERIOD_DAYS = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: _MONTH, Period.QUARTER: 3 * _MONTH,
                Period.YEAR: 366}


def gift_days(scheme: GiftScheme) -> int | None:
    """Days behind the member's time that gift rules read orders, or ``None`` for all.

    Thank-you gifts count orders and spend of the current calendar period; a quiet-spell
    rule counts the orders of ``lookback_days`` before the spell; a seasonal gift for the
    top spenders reads the year's spend when it first ranks a member. A sample by favourite
    category and a thank-you per lifetime read every order. Returns are covered by the
    return window; the last order's time survives folding (``MemberState.folded``).
    """
    days = 0
    for rule in scheme.rules:
        if isinstance(rule, CategoryGift):
            return None
        if isinstance(rule, ThankYouGift):
            period = _PERIOD_DAYS.get(rule.per)
            if period is None:
                return None
            days = max(days, period + _MONTH)
        elif isinstance(rule, DriftRule):
            if rule.lookback_days is None:
                return None
            days = max(days, rule.quiet_days + rule.lookback_days + _MONTH)
        elif isinstance(rule, SeasonalGift) and rule.top_percent is not None:
            days = max(days, 2 * 366 + _MONTH)
    return days


def order_days(program: Program) -> int | None:
    """Days an order's record is read after the order, or ``None`` if it always may be."""
    history = program.history
    if history is None or history.return_days is None or not history.fold_orders:
        return None
    days = max(history.return_days, program.points.pending_days,
               *(scheme.pending_days for scheme in program.balances.values()))
    if program.gifts is not None and program.gifts.rules:
        gifts = gift_days(program.gifts)
        if gifts is None:
            return None
        days = max(days, gifts)
    if program.goodwill is not None:
        complaints = history.complaint_days
        days = max(days, history.return_days if complaints is None else complaints)
    if program.tiers is not None:
        tiers = tier_days(program.tiers)
        if tiers is None:
            return None
        days = max(days, tiers)
    return days + 1  # a day's margin: windows count calendar days in the program's zone


def windows(program: Program) -> tuple[timedelta | None, timedelta | None]:
    """``(order window, event horizon)`` of a program; ``None`` for unbounded.

    The horizon is ``History.event_days``, or the days the program reads an order back
    (:func:`order_days`). An event up to the horizon late still finds every order it reads,
    so the order window is the two together.
    """
    days = order_days(program)
    history = program.history
    events = None if history is None else history.event_days
    if days is None:
        return None, None if events is None else timedelta(days=events)
    if events is None:
        events = days
    return timedelta(days=events + days), timedelta(days=events)


def _hooks(stages: Sequence[Stage]) -> tuple[tuple[Stage, ...], tuple[Stage, ...]]:
    """The stages that fold orders and that forget folded ones (the others' methods are
    the protocol's no-ops), worked out once per tuple of stages."""
    key = tuple(stages)
    found = _HOOKS.get(key)
    if found is None:
        from ._stage import Stage
        found = _HOOKS[key] = (
            tuple(s for s in key if type(s).fold_orders is not Stage.fold_orders),
            tuple(s for s in key if type(s).forget_folded is not Stage.forget_folded))
    return found


_HOOKS: dict[tuple[Stage, ...], tuple[tuple[Stage, ...], tuple[Stage, ...]]] = {}
"""Stages by program (a program's stages live as long as it): kept for the few programs a
process builds, emptied when it holds many."""


def fold(m: Member, window: timedelta, stages: Sequence[Stage] = ()) -> None:
    """Fold the member's orders older than ``window`` before its time into ``m.folded``;
    tell ``stages`` when some did (``Stage.forget_folded``)."""
    as_of = m.as_of
    purchases = m.purchases
    if as_of is None or not purchases:
        return
    cutoff = as_of - window
    records = []
    for item in purchases.items():
        if item[1][P_AT] >= cutoff:
            break  # oldest first (a late order sits behind newer ones and folds later)
        records.append(item)
    if not records:
        return
    totals = m.folded
    if totals is None:
        totals = m.folded = [0, 0, 0, None]
    frozen = m.frozen
    count, amount, returned, through = totals
    for pid, record in records:  # out of the kept orders, into the totals
        del purchases[pid]
        if frozen:
            frozen.pop(pid, None)
        count += 1
        amount += record[P_AMOUNT]
        returned += record[P_RETURNED]
        if through is None or record[P_AT] > through:
            through = record[P_AT]
    totals[:] = count, amount, returned, through
    if len(_HOOKS) > 64:
        _HOOKS.clear()
    folds, forgets = _hooks(stages)
    for stage in folds:  # they read the records handed over, not m.folded
        stage.fold_orders(m, records, cutoff)
    for stage in forgets:
        stage.forget_folded(m)


def _day(when: datetime) -> str:
    return when.isoformat(timespec="minutes")


def _too_old(m: Member, row: Row, horizon: timedelta) -> EventTooOld:
    assert m.as_of is not None
    kind = "Purchase" if row[5] is None else type(row[5]).__name__
    kept = ""
    if row[0] == PURCHASE and row[1] in m.purchases:
        kept = f" (order {row[1]!r} is still kept: it was applied before, so drop this one)"
    return EventTooOld(
        f"{kind} {row[1]}: at={_day(row[3])} is more than {horizon.days} days before member "
        f"{m.member_id}'s latest time {_day(m.as_of)}: the state keeps event ids (and orders) "
        f"only that far back, so it cannot tell whether this event was applied before{kept}",
        event_id=row[1],
        hint="send events within the program's history horizon (History.event_days); apply "
        "older ones from the full event log, e.g. by replaying the member's events",
    )


def _order_kept(m: Member, row: Row, horizon: timedelta) -> EventConflict:
    """A purchase under the id of an order the state keeps, whose applied id it forgot
    (its time past the horizon, the record still inside the order window). Without the
    fingerprint the two cannot be compared, and applying it would earn for the order twice
    and overwrite its record (returns, points earned): refused, as a reused id is."""
    record = m.purchases[row[1]]
    return EventConflict(
        f"Purchase.id={row[1]!r}: member {m.member_id}'s state keeps order {row[1]!r} "
        f"(at={_day(record[P_AT])}, amount {record[P_AMOUNT]} {m.currency}), applied before; "
        f"its event id is past the {horizon.days}-day history horizon, so this purchase cannot "
        "be told from it, and an order id earns once",
        event_id=row[1],
        hint="drop a re-delivered order (it earns nothing); change an order with a Return "
        f"naming purchase_id={row[1]!r}; give a new order an id of its own",
    )


def _folded(m: Member, row: Row, order_id: str, window: timedelta) -> OrderFolded:
    assert m.folded is not None
    count = m.folded[0]
    return OrderFolded(
        f"{type(row[5]).__name__} {row[1]}: order {order_id!r} is not among the orders member "
        f"{m.member_id}'s state keeps: it is unknown, or older than the program's "
        f"{window.days}-day order window and folded into totals ({count} "
        f"order{'' if count == 1 else 's'}, the newest of {_day(m.folded[3])})",
        order_id=order_id,
        hint="handle a return or complaint about an order that old outside the program (the "
        "history window says how long orders are kept), or check the order id",
    )


def bounded(step: Handler, kind: int, window: timedelta | None,
            horizon: timedelta | None, complaints: bool, stages: Sequence[Stage]) -> Handler:
    """``step`` with the history checks before it and folding and forgetting after it."""
    if window is None and horizon is None:
        return step
    order_field = ("purchase_id" if kind == RETURN
                   else "order_id" if kind == COMPLAINT and complaints else None)
    if window is None:
        order_field = None
    orders = kind == PURCHASE and horizon is not None

    def run(m: Member, row: Row, log: Log, trace: Trace) -> None:
        as_of = m.as_of
        if horizon is not None and as_of is not None and row[3] < as_of - horizon:
            raise _too_old(m, row, horizon)
        if orders and row[1] in m.purchases:  # its applied id forgotten, its record kept
            assert horizon is not None
            raise _order_kept(m, row, horizon)
        if order_field is not None and m.folded is not None:
            order_id = getattr(row[5], order_field)
            if order_id is not None and order_id not in m.purchases:
                assert window is not None
                raise _folded(m, row, order_id, window)
        step(m, row, log, trace)
        settle(m, window, horizon, stages, row)

    return run


def settle(m: Member, window: timedelta | None, horizon: timedelta | None,
           stages: Sequence[Stage], row: Row | None = None) -> None:
    """After a step (``row``) or an advance: note the event's time, fold and forget."""
    if horizon is not None:
        times = m.applied_at
        if times is None:
            times = m.applied_at = {}
        if row is not None:
            times[row[1]] = row[3]
        if m.as_of is not None:
            forget_applied(m, m.as_of - horizon)
    if window is not None:
        fold(m, window, stages)
