"""The tier ladder compiled for one program: stage 3 of the engine.

The model, in one paragraph. Every order is a *qualification moment*: the member's window at
that moment (the qualification period so far, the rolling window ending there, or the
whole membership) reaches some tier, and that reach is valid until the ladder's validity
says (end of the next period, or N months later). A member is upgraded at once when a
moment reaches a higher tier, and a renewal moves the end of the current tier out. When
the current tier runs out (its *review*), the member gets the highest tier that a moment
still valid at that time reaches, after an optional grace period, and subject to the soft
landing (one step at most, a floor). Returns reduce the window of every moment after the
returned order, so a review sees qualification net of every return made before it; between
reviews a return changes the tier only with ``Downgrade(on_return=True)``.

Qualification is derived from the member's purchase records, never stored: the hot state
keeps the purchases sorted by time and, for period ladders, running totals per period.
Reasons and progress reports are in :mod:`reciprocity.tiers.report`.

Imports: the core, the tiers declarations, ``report``, ``hot`` and ``periods``.
``reciprocity._pipeline`` builds it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import (
    P_AT,
    P_CLOSED,
    Log,
    Member,
    Row,
    Trace,
)
from .._model import utc
from .._reason import Unit
from .._stage import Check, Handler
from .._trusted import built
from ..conditions import CompileContext
from ..errors import InvalidEvent
from ..events import PURCHASE, RETURN, SIGNUP
from ..money import currency_exponent
from ..state import FoldedTierPeriod, MemberState, TierStatus
from .folding import fold_orders, freeze_periods, thaw_kept, thaw_periods, thaw_totals
from .hot import level_function, purchase_handler
from .ladder import (
    CalendarYear,
    MembershipYear,
    MonthsFromQualifying,
    RestOfPeriodAndNext,
    RollingMonths,
    TierLadder,
    UntilEndOfMonth,
)
from .periods import TierPeriods, _Hot
from .report import (
    _AT,
    _CAL,
    _LIFE,
    _MEMBER,
    _MONTH_END,
    _MONTHS_VALID,
    _NONE,
    _REST,
    _ROLLING,
    M_BUCKETS,
    M_ORDERS,
    M_SPEND,
    Change,
    Earned,
    Metrics,
    Window,
    build_changed,
    build_grace,
    day,
)
from .requirements import MinSpend

__all__ = ["CompiledTiers"]

_ZERO = Decimal(0)


class CompiledTiers(TierPeriods):
    """A :class:`~reciprocity.TierLadder` as functions over a hot member (stage 3)."""


    def __init__(self, ladder: TierLadder, ctx: CompileContext, points: Any = None) -> None:
        self.ladder = ladder
        self.currency = ctx.currency
        self.zone = ZoneInfo(ctx.timezone)
        tiers = ladder.tiers
        self.n = len(tiers)
        self.ids = tuple(tier.id for tier in tiers)
        self.names = tuple(tier.display_name for tier in tiers)
        self.benefits = tuple(tier.benefits for tier in tiers)
        self.points = points
        for tier in tiers:
            for leaf in tier.requires.leaves():
                if isinstance(leaf, MinSpend):
                    ctx.check_money(leaf.amount, f"tier {tier.id!r} requires.amount")
        self.buckets: list[frozenset[str] | None] = []
        self.balance_rules = getattr(points, "balance_rules", {})  # see points.balances
        self.unit = getattr(points, "unit", None)
        self.balance_units = {None: self.unit, **getattr(points, "balance_units", {})}
        self.units: list[str] = []
        self.unit_words: list[Unit | None] = []
        self.dnfs = [self._dnf(tier.requires) for tier in tiers]
        self.preds = [self._predicate(dnf) for dnf in self.dnfs]
        self.width = M_BUCKETS + len(self.buckets)
        period = ladder.period
        self.kind = (_CAL if isinstance(period, CalendarYear) else
                     _MEMBER if isinstance(period, MembershipYear) else
                     _ROLLING if isinstance(period, RollingMonths) else _LIFE)
        self.window = relativedelta(months=period.months) if isinstance(
            period, RollingMonths) else None
        validity = ladder.validity
        self.valid_kind = (_REST if isinstance(validity, RestOfPeriodAndNext) else
                           _MONTHS_VALID if isinstance(validity, MonthsFromQualifying) else
                           _MONTH_END if isinstance(validity, UntilEndOfMonth) else _NONE)
        self.month_end = ((validity.month, validity.years)
                          if isinstance(validity, UntilEndOfMonth) else None)
        self.span = validity.years if isinstance(validity, UntilEndOfMonth) else 1
        self.lasts = relativedelta(months=validity.months) if isinstance(
            validity, MonthsFromQualifying) else None
        rule = ladder.downgrade
        self.grace = (relativedelta(months=rule.grace_months, days=rule.grace_days)
                      if rule.grace_months or rule.grace_days else None)
        self.one_step = rule.to == "one_step"
        self.floor = -1 if rule.floor is None else ladder.index(rule.floor)
        self.on_return = rule.on_return
        self.periodic = self.kind in (_CAL, _MEMBER)
        self.rule_id = ladder.id
        self._years: dict[int, datetime] = {}
        """1 January 00:00 of each calendar year looked up so far (a cache)."""
        self._years_utc: dict[int, datetime] = {}
        """The same instants in UTC, to search the (UTC) order times with."""
        self._year_bounds: dict[int, tuple[int, datetime, datetime, datetime, datetime,
                                           datetime | None]] = {}
        """:attr:`_Hot.bounds` of each calendar year, shared by every member."""
        self.filters_spend = ladder.filters_spend
        self.counts_line = ladder.counts_line
        self.minor = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        self.level_of = level_function(self.dnfs, self.preds)
        """:meth:`level`, compiled for the ladder's requirements."""
        self.on_purchase = purchase_handler(self)
        """The purchase handler: :meth:`_on_purchase`, with the usual case compiled."""

    # -- the hot member --------------------------------------------------------------------
    def _create(self, m: Member, at: datetime | None, anchor: datetime | None = None,
                folded: tuple[FoldedTierPeriod, ...] = ()) -> _Hot:
        h = _Hot()
        if self.kind == _MEMBER:
            if anchor is None:
                times = [record[P_AT] for record in m.purchases.values()]
                anchor = m.joined_at or (min(times) if times else at)
            if anchor is None:
                raise InvalidEvent(
                    f"MemberState.tier of member {m.member_id} has no anchor and the state "
                    "has no time to start the membership year from",
                    hint="set tier to null to let the ladder qualify the member again")
            h.anchor = anchor
            local = anchor.astimezone(self.zone)
            h.anchor_date = date(local.year, local.month, local.day)
        h.order = sorted([(record[P_AT], pid) for pid, record in m.purchases.items()])
        m.tier = h
        thaw_periods(self, h, folded)
        if self.kind != _ROLLING:
            thaw_totals(self, m, h)
        return h

    def _set(self, m: Member, h: _Hot, index: int) -> None:
        h.index = index
        if index < 0:
            m.tier_id = None
            m.tier_benefits = None
            h.since = h.valid_until = h.grace_until = None
        else:
            m.tier_id = self.ids[index]
            m.tier_benefits = self.benefits[index]

    # -- the Stage protocol ------------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        return {RETURN: self._check_return} if self.on_return else {}

    def handlers(self) -> dict[int, Handler]:
        return {PURCHASE: self.on_purchase, RETURN: self._on_return, SIGNUP: self._on_signup}

    def next_due(self, m: Member) -> datetime | None:
        h: _Hot | None = m.tier
        if h is None or h.index < 0:
            return None
        return h.grace_until if h.grace_until is not None else h.valid_until

    def fold_orders(self, m: Member, gone: list[tuple[str, list[Any]]],
                    cutoff: datetime) -> None:
        fold_orders(self, m, gone, cutoff)

    def forget_folded(self, m: Member) -> None:
        """Drop folded orders from the order list; a rolling window is counted again from
        the kept orders when next needed (it holds none older than the window)."""
        h: _Hot | None = m.tier
        if h is None or self.kind != _ROLLING:
            return  # a period or lifetime ladder moved them into its periods (fold_orders)
        purchases = m.purchases
        order = h.order
        # Folded orders are the oldest: drop them from the front (O(folded), not O(kept));
        # a late order kept behind newer ones can leave a folded one further in: then filter.
        start = 0
        while start < len(order) and order[start][1] not in purchases:
            start += 1
        if start:
            del order[:start]
        if len(order) != len(purchases):
            h.order = [entry for entry in order if entry[1] in purchases]
        h.window = None
        h.left = 0

    def thaw(self, state: MemberState, m: Member, kept: _Hot | None = None) -> None:
        status = state.tier
        if status is None:
            return
        h = None if kept is None else thaw_kept(self, kept)
        if h is None:
            h = self._create(m, state.as_of, status.anchor, status.folded)
        else:  # the tier part kept on the state (see ``keep``), copied
            h.anchor = status.anchor
            m.tier = h
        index = -1
        if status.tier_id is not None:
            if status.tier_id not in self.ids:
                raise InvalidEvent(
                    f"MemberState.tier.tier_id={status.tier_id!r} is not a tier of this "
                    f"program's ladder ({', '.join(self.ids)})",
                    hint="migrate the saved state to the new ladder, or set tier to null to "
                    "let the ladder qualify the member again",
                )
            index = self.ids.index(status.tier_id)
        self._set(m, h, index)
        h.since = status.since
        h.valid_until = status.valid_until
        h.grace_until = status.grace_until

    def keep(self, m: Member) -> _Hot | None:
        """What a state just frozen from ``m`` keeps of the tier part for the next thaw
        (``Pipeline.freeze``): the part itself (``m`` changes no more), copied by a thaw."""
        return m.tier  # type: ignore[no-any-return]

    def freeze(self, m: Member) -> dict[str, Any]:
        h: _Hot | None = m.tier
        if h is None:
            return {"tier": None}
        return {"tier": built(TierStatus, {  # every field, as model_construct sets them
            "tier_id": None if h.index < 0 else self.ids[h.index], "since": utc(h.since),
            "valid_until": utc(h.valid_until), "grace_until": utc(h.grace_until),
            "anchor": utc(h.anchor), "folded": freeze_periods(h)})}

    # -- events ------------------------------------------------------------------------------
    def _on_purchase(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        pid, at = row[1], row[3]
        h: _Hot | None = m.tier
        if h is None:
            h = self._create(m, at)
        else:
            order = h.order
            entry = (at, pid)
            if order and entry < order[-1]:
                insort(order, entry)
                self._late(m, h, at, pid, log, trace)
                return
            order.append(entry)
            if self.kind != _ROLLING:
                key = self.key(h, at)
                metrics = h.acc.get(key)
                if metrics is None:
                    metrics = h.acc[key] = self.zero()
                self.add(metrics, m.purchases[pid])
                level = self.level_of(metrics)
                if level >= 0 and level >= h.index:
                    self._reach(m, h, level, self.validity(h, at, key), at, pid, metrics,
                                None, key, log, trace)
                return
            if h.window is not None:
                self.add(h.window, m.purchases[pid])
        if self.kind == _ROLLING:
            metrics = self._slide(m, h, at)
            window: Window | None = ("rolling", at)
            key = 0
        else:
            key = self.key(h, at)
            metrics, window = h.acc[key], None
        self._reach(m, h, self.level(metrics), self.validity(h, at, key), at, pid, metrics,
                    window, key, log, trace)

    def _slide(self, m: Member, h: _Hot, at: datetime) -> Metrics:
        """The rolling window of the latest order, at ``at``: drop what left it."""
        order = h.order
        start = self.window_start(at)
        metrics = h.window
        if metrics is None:
            h.left = bisect_right(order, start, key=_AT)
            metrics = h.window = self.total(m, order[h.left:])
            return metrics
        purchases = m.purchases
        left = h.left
        while left < len(order) and order[left][0] <= start:
            self.add(metrics, purchases[order[left][1]], -1)
            left += 1
        h.left = left
        return metrics

    def _late(self, m: Member, h: _Hot, at: datetime, pid: str, log: Log,
              trace: Trace) -> None:
        """A purchase older than one already seen: recount, then reach from now."""
        h.window = None
        if self.kind != _ROLLING:
            key = self.key(h, at)
            self._recount(m, h, key)
        now = max(at, m.as_of or at)
        level, until, metrics, window = self.earned(m, h, now, inclusive=True)
        self._reach(m, h, level, until, at, pid, metrics, window, 0, log, trace)

    def _recount(self, m: Member, h: _Hot, key: int) -> None:
        order = h.order
        if self.periodic:
            low = bisect_left(order, self.start_utc(h, key), key=_AT)
            high = bisect_left(order, self.start_utc(h, key + 1), key=_AT)
            h.acc[key] = self.total(m, order[low:high])
        else:
            h.acc[0] = self.total(m, order)

    def _on_signup(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        at = row[3]
        h: _Hot | None = m.tier
        if h is None:
            if self.kind != _MEMBER and self.level(self.zero()) < 0:
                return  # nothing to reach without orders; create the state later
            h = self._create(m, at)
        metrics, window = self.open_window(m, h, at)
        level = self.level(metrics)
        if level > h.index:  # joining reaches a tier that needs nothing; it renews none
            self._reach(m, h, level, self.validity(h, at, self.key(h, at)), at, row[1],
                        metrics, window, 0, log, trace)

    def _check_return(self, m: Member, row: Row) -> None:
        h: _Hot | None = m.tier
        if h is not None and h.index >= 0:
            h.before = (row[1], self.earned(m, h, row[3], inclusive=True)[0])

    def _on_return(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        h: _Hot | None = m.tier
        if h is None or m.last_return is None:
            return
        pid, amount = m.last_return
        if h.window is not None:  # rolling: the returned order may be in the window
            record = m.purchases[pid]
            order = h.order
            if h.left < len(order) and (record[P_AT], pid) >= order[h.left]:
                if self.width == M_BUCKETS and not self.filters_spend:
                    h.window[M_SPEND] -= amount
                    if record[P_CLOSED]:
                        h.window[M_ORDERS] -= 1
                else:
                    h.window = None
        if self.kind != _ROLLING:
            record = m.purchases[pid]
            key = self.key(h, record[P_AT])
            metrics = h.acc.get(key)
            if metrics is not None and self.width == M_BUCKETS and not self.filters_spend:
                # spend and orders: adjust in place
                metrics[M_SPEND] -= amount
                if record[P_CLOSED]:
                    metrics[M_ORDERS] -= 1
            else:  # points taken back are known per rule only: count the period again
                self._recount(m, h, key)
        before, h.before = h.before, None
        if h.index < 0 or not (self.on_return or trace is not None):
            return
        at = row[3]
        earned = self.earned(m, h, at, inclusive=True)
        if earned[0] >= h.index:
            return
        if self.on_return and before is not None and before[0] == row[1] \
                and before[1] >= h.index:
            self._come_down(m, h, at, earned, log, trace, ("return", row[1], pid))
        elif trace is not None:
            until = h.grace_until or h.valid_until
            trace.append((self.rule_id, "skipped", f"{self.names[h.index]} is kept"
                          + (f" until its review on {day(until, self.zone)}" if until else "")
                          + ": a return does not lower a tier between reviews"))

    # -- reaching and losing tiers -------------------------------------------------------
    def _reach(self, m: Member, h: _Hot, level: int, until: datetime | None, at: datetime,
               eid: str, metrics: Metrics, window: Window | None, key: int, log: Log,
               trace: Trace) -> None:
        """A qualification moment reached ``level``, valid until ``until``; ``window`` is
        what was counted (``None``: the period ``key`` containing ``at``)."""
        current = h.index
        if level < 0 or level < current:
            return
        moved: tuple[Any, ...] = ()
        if level > current:
            change: Change = "upgrade"
            self._set(m, h, level)
            h.since = at
            moved = self.points.tier_moved(m, self.benefits, current, level, at)
        elif until is None or h.valid_until is None or until <= h.valid_until:
            return
        else:
            change = "renewal"
        h.valid_until = until
        h.grace_until = None
        m.schedule(until)
        if window is None:
            window = self._window_of(h, at, key)
        entry = (build_changed, self, m.member_id, eid, at, change,
                 current if current >= 0 else None, level, until,
                 ("reach", list(metrics), window, *moved))
        log.append(entry)
        if trace is not None:
            trace.append((self.rule_id, "applied", entry[0](*entry[1:]).reason))

    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        """Review the tier at every due time up to ``until``: renew, start grace, or drop."""
        h: _Hot | None = m.tier
        while h is not None and h.index >= 0:
            due = h.grace_until if h.grace_until is not None else h.valid_until
            if due is None or due > until:
                return
            self._review(m, h, due, log, trace)

    def _review(self, m: Member, h: _Hot, due: datetime, log: Log, trace: Trace) -> None:
        current = h.index
        earned = self.earned(m, h, due, inclusive=False)
        level, valid, metrics, window = earned
        if level >= current:
            change: Change = "upgrade" if level > current else "renewal"
            self._set(m, h, level)
            moved: tuple[Any, ...] = ()
            if level > current:
                h.since = due
                moved = self.points.tier_moved(m, self.benefits, current, level, due)
            h.valid_until = valid
            h.grace_until = None
            m.schedule(valid)
            entry: tuple[Any, ...] = (
                build_changed, self, m.member_id, None, due, change, current, level, valid,
                ("reach", list(metrics), window, *moved))
        elif self.grace is not None and h.grace_until is None:
            h.grace_until = due.astimezone(self.zone) + self.grace
            m.schedule(h.grace_until)
            open_metrics, _ = self.open_window(m, h, due, inclusive=False)
            entry = (build_grace, self, m.member_id, due, current, h.grace_until,
                     open_metrics)
        else:
            self._come_down(m, h, due, earned, log, trace, ("review",))
            return
        log.append(entry)
        if trace is not None:
            trace.append((self.rule_id, "applied", entry[0](*entry[1:]).reason))

    def target(self, current: int, earned: int) -> tuple[int, str]:
        """Where a member at ``current`` lands when qualification earns ``earned`` only."""
        target, why = earned, ""
        if self.one_step and current - 1 > target:
            target, why = current - 1, "one_step"
        if target < self.floor <= current:
            target, why = self.floor, "floor"
        return target, why

    def _come_down(self, m: Member, h: _Hot, at: datetime, earned: Earned, log: Log,
                   trace: Trace, cause: tuple[str, ...]) -> None:
        current = h.index
        level, valid = earned[0], earned[1]
        target, why = self.target(current, level)
        if target == current and cause[0] == "return":
            return  # the floor holds the tier; a return never shortens it
        until = valid if target == level else self.soft_validity(h, at)
        self._set(m, h, target)
        h.grace_until = None
        if target >= 0:
            if target != current:
                h.since = at
            h.valid_until = until
            m.schedule(until)
        moved = (() if target == current
                 else self.points.tier_moved(m, self.benefits, current, target, at))
        change: Change = "renewal" if target == current else "downgrade"
        entry = (build_changed, self, m.member_id, cause[1] if len(cause) > 1 else None, at,
                 change, current, target if target >= 0 else None,
                 until if target >= 0 else None, ("down", why, cause, *moved))
        log.append(entry)
        if trace is not None:
            trace.append((self.rule_id, "applied", entry[0](*entry[1:]).reason))
