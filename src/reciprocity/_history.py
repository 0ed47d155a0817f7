"""A program's history windows, computed from its declarations, and the bounded step.

:func:`windows` works out how long a program's decisions read an order's record (the order
window) and how long applied event ids are kept (the event horizon). :func:`bounded` wraps a
step function so that, after every event, orders past the order window fold into
``Member.folded`` and applied ids past the horizon are forgotten, and before it, an event past
the horizon or a return or complaint about a folded order is refused.

Why folding never changes a decision: an order folds only when every window that reads
orders one by one has passed it (a return, a complaint, pending points, a tier qualification
period and its grace). Totals (``purchase_count``, ``spend``) keep counting it. A program
whose decisions read every order ever placed (gift rules; a ladder qualifying over the
whole membership) gets no order window and keeps every order.

Imports: the core (``_engine``, ``errors``, ``events``, ``history``), the tier ladder's
declarations; ``program`` only for typing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ._engine import P_AMOUNT, P_AT, P_RETURNED, Log, Member, Row, Trace, forget_applied
from .errors import EventTooOld, OrderFolded
from .events import COMPLAINT, RETURN
from .tiers.ladder import Lifetime, RollingMonths, TierLadder

if TYPE_CHECKING:
    from ._stage import Handler
    from .program import Program

__all__ = ["bounded", "fold", "windows"]

_MONTH = 31
"""Days counted for a month: a window is never shorter than what it covers."""


def tier_days(ladder: TierLadder) -> int | None:
    """Days behind the member's time that the ladder reads orders, or ``None`` for all."""
    period = ladder.period
    if isinstance(period, Lifetime):
        return None
    months = period.months if isinstance(period, RollingMonths) else 12
    grace = ladder.downgrade.grace_months * _MONTH + ladder.downgrade.grace_days
    return (months + 1) * _MONTH + grace


def order_days(program: Program) -> int | None:
    """Days an order's record is read after the order, or ``None`` if it always may be."""
    history = program.history
    if history is None or history.return_days is None or not history.fold_orders:
        return None
    if program.gifts is not None and program.gifts.rules:
        return None  # per-period counters, categories, rankings and spells read every order
    days = max(history.return_days, program.points.pending_days)
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
    """``(order window, event horizon)`` of a program; ``None`` for unbounded."""
    days = order_days(program)
    history = program.history
    events = None if history is None else history.event_days
    if events is None:
        events = days
    elif days is not None:
        events = min(events, days)
    return (None if days is None else timedelta(days=days),
            None if events is None else timedelta(days=events))


def fold(m: Member, window: timedelta) -> None:
    """Fold the member's orders older than ``window`` before its time into ``m.folded``."""
    as_of = m.as_of
    purchases = m.purchases
    if as_of is None or not purchases:
        return
    cutoff = as_of - window
    gone = []
    for pid, record in purchases.items():
        if record[P_AT] >= cutoff:
            break  # oldest first (a late order sits behind newer ones and folds later)
        gone.append(pid)
    if not gone:
        return
    totals = m.folded
    if totals is None:
        totals = m.folded = [0, 0, 0, None]
    for pid in gone:
        record = purchases.pop(pid)
        totals[0] += 1
        totals[1] += record[P_AMOUNT]
        totals[2] += record[P_RETURNED]
        if totals[3] is None or record[P_AT] > totals[3]:
            totals[3] = record[P_AT]


def _day(when: datetime) -> str:
    return when.isoformat(timespec="minutes")


def _too_old(m: Member, row: Row, horizon: timedelta) -> EventTooOld:
    assert m.as_of is not None
    kind = "Purchase" if row[5] is None else type(row[5]).__name__
    return EventTooOld(
        f"{kind} {row[1]}: at={_day(row[3])} is more than {horizon.days} days before member "
        f"{m.member_id}'s latest time {_day(m.as_of)}: the state keeps event ids (and orders) "
        "only that far back, so it cannot tell whether this event was applied before",
        event_id=row[1],
        hint="send events within the program's history horizon (History.event_days); apply "
        "older ones from the full event log, e.g. by replaying the member's events",
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
            horizon: timedelta | None, complaints: bool) -> Handler:
    """``step`` with the history checks before it and folding and forgetting after it."""
    if window is None and horizon is None:
        return step
    order_field = ("purchase_id" if kind == RETURN
                   else "order_id" if kind == COMPLAINT and complaints else None)
    if window is None:
        order_field = None

    def run(m: Member, row: Row, log: Log, trace: Trace) -> None:
        as_of = m.as_of
        if horizon is not None and as_of is not None and row[3] < as_of - horizon:
            raise _too_old(m, row, horizon)
        if order_field is not None and m.folded is not None:
            order_id = getattr(row[5], order_field)
            if order_id is not None and order_id not in m.purchases:
                assert window is not None
                raise _folded(m, row, order_id, window)
        step(m, row, log, trace)
        settle(m, window, horizon, row)

    return run


def settle(m: Member, window: timedelta | None, horizon: timedelta | None,
           row: Row | None = None) -> None:
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
        fold(m, window)
