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
Reasons and progress reports are in :mod:`reciprocity.policies._tiers_report`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import (
    P_AMOUNT,
    P_AT,
    P_CLOSED,
    P_EARNED,
    P_RETURNED,
    P_REVOKED,
    Log,
    Member,
    Row,
    Trace,
)
from .._stage import Check, Handler, Stage
from ..conditions import CompileContext
from ..errors import InvalidEvent
from ..events import PURCHASE, RETURN, SIGNUP
from ..state import MemberState, TierStatus
from ._tiers_hot import level_function, purchase_handler
from ._tiers_report import (
    _AT,
    _CAL,
    _LIFE,
    _MEMBER,
    _MONTHS_VALID,
    _NONE,
    _REST,
    _ROLLING,
    Alternative,
    Change,
    Earned,
    Metrics,
    Window,
    build_changed,
    build_grace,
    day,
)
from .tiers import (
    CalendarYear,
    MembershipYear,
    MinOrders,
    MinPoints,
    MinSpend,
    MonthsFromQualifying,
    RequireAll,
    RequireAny,
    RestOfPeriodAndNext,
    RollingMonths,
    TierLadder,
    _RequirementBase,
)

__all__ = ["CompiledTiers"]

_ZERO = Decimal(0)


class _Hot:
    """A member's tier state while a program works on it."""

    __slots__ = ("acc", "anchor", "anchor_date", "before", "bounds", "grace_until", "index",
                 "left", "order", "since", "valid_until", "window")

    def __init__(self) -> None:
        self.index = -1
        self.since: datetime | None = None
        self.valid_until: datetime | None = None
        self.grace_until: datetime | None = None
        self.anchor: datetime | None = None
        self.anchor_date: date | None = None
        self.order: list[tuple[datetime, str]] = []
        """Every purchase as (at, id), in (at, id) order."""
        self.acc: dict[int, Metrics] = {}
        """Running totals per period key (period and lifetime ladders)."""
        self.bounds: tuple[int, datetime, datetime, datetime, datetime,
                           datetime | None] | None = None
        """(key, start, end, start in UTC, end in UTC, validity) of the period last looked
        up: the UTC pair compares fast with the UTC times of events; the validity is that
        of a tier reached in the period when it lasts the rest of the period and the next
        (``None`` otherwise)."""
        self.before: tuple[str, int] | None = None
        """(return id, level earned before it), noted by the return check."""
        self.window: Metrics | None = None
        """Rolling ladders: totals of ``order[left:]``, the window of the latest order
        (``None``: count it again when next needed)."""
        self.left = 0


class CompiledTiers(Stage):
    """A :class:`~reciprocity.TierLadder` as functions over a hot member (stage 3)."""

    name = "tiers"

    def __init__(self, ladder: TierLadder, ctx: CompileContext, points: Any = None) -> None:
        self.ladder = ladder
        self.currency = ctx.currency
        self.zone = ZoneInfo(ctx.timezone)
        tiers = ladder.tiers
        self.n = len(tiers)
        self.ids = tuple(tier.id for tier in tiers)
        self.names = tuple(tier.display_name for tier in tiers)
        self.benefits = tuple(tier.benefits for tier in tiers)
        for tier in tiers:
            for leaf in tier.requires.leaves():
                if isinstance(leaf, MinSpend):
                    ctx.check_money(leaf.amount, f"tier {tier.id!r} requires.amount")
        self.buckets: list[frozenset[str] | None] = []
        self.units: list[str] = []
        self.dnfs = [self._dnf(tier.requires) for tier in tiers]
        self.preds = [self._predicate(dnf) for dnf in self.dnfs]
        self.width = 2 + len(self.buckets)
        period = ladder.period
        self.kind = (_CAL if isinstance(period, CalendarYear) else
                     _MEMBER if isinstance(period, MembershipYear) else
                     _ROLLING if isinstance(period, RollingMonths) else _LIFE)
        self.window = relativedelta(months=period.months) if isinstance(
            period, RollingMonths) else None
        validity = ladder.validity
        self.valid_kind = (_REST if isinstance(validity, RestOfPeriodAndNext) else
                           _MONTHS_VALID if isinstance(validity, MonthsFromQualifying) else
                           _NONE)
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
        self.level_of = level_function(self.dnfs, self.preds)
        """:meth:`level`, compiled for the ladder's requirements."""
        self.on_purchase = purchase_handler(self)
        """The purchase handler: :meth:`_on_purchase`, with the usual case compiled."""

    # -- compiling requirements ----------------------------------------------------------
    def _bucket(self, leaf: MinPoints) -> int:
        key = None if leaf.rules is None else frozenset(leaf.rules)
        if key not in self.buckets:
            self.buckets.append(key)
            self.units.append(leaf.unit)
        return self.buckets.index(key)

    def _dnf(self, requirement: _RequirementBase) -> list[Alternative]:
        """The requirement as alternatives, each a set of thresholds that must all be met."""
        if isinstance(requirement, MinSpend):
            return [{0: requirement.amount.amount}]
        if isinstance(requirement, MinOrders):
            return [{1: requirement.count}]
        if isinstance(requirement, MinPoints):
            return [{2 + self._bucket(requirement): requirement.points}]
        if isinstance(requirement, RequireAny):
            out: list[Alternative] = []
            for part in requirement.requirements:
                for option in self._dnf(part):
                    if option not in out:
                        out.append(option)
            return out
        assert isinstance(requirement, RequireAll)
        merged: list[Alternative] = []
        for combination in product(*(self._dnf(part) for part in requirement.requirements)):
            alternative: Alternative = {}
            for piece in combination:
                for key, need in piece.items():
                    alternative[key] = max(need, alternative.get(key, need))
            if alternative not in merged:
                merged.append(alternative)
        return merged

    @staticmethod
    def _predicate(dnf: list[Alternative]) -> Callable[[Metrics], bool]:
        if len(dnf) == 1 and len(dnf[0]) == 1:
            ((key, need),) = dnf[0].items()
            return lambda metrics: bool(metrics[key] >= need)
        if len(dnf) == 2 and len(dnf[0]) == 1 and len(dnf[1]) == 1:  # "a or b"
            ((key_a, need_a),), ((key_b, need_b),) = dnf[0].items(), dnf[1].items()
            return lambda metrics: bool(metrics[key_a] >= need_a or metrics[key_b] >= need_b)
        if len(dnf) == 1 and len(dnf[0]) == 2:  # "a and b"
            (key_a, need_a), (key_b, need_b) = dnf[0].items()
            return lambda metrics: bool(metrics[key_a] >= need_a and metrics[key_b] >= need_b)
        alternatives = [tuple(alternative.items()) for alternative in dnf]
        return lambda metrics: any(all(metrics[key] >= need for key, need in alternative)
                                   for alternative in alternatives)

    def level(self, metrics: Metrics) -> int:
        """Index of the highest tier whose requirement ``metrics`` meet, or -1."""
        return self.level_of(metrics)

    # -- metrics -------------------------------------------------------------------------
    def zero(self) -> Metrics:
        return [_ZERO, 0] + [0] * (self.width - 2)

    def add(self, metrics: Metrics, record: list[Any], sign: int = 1) -> None:
        """Add (``sign=-1``: take away) one purchase record's contribution, net of returns."""
        metrics[0] += (record[P_AMOUNT] - record[P_RETURNED]) * sign
        if not record[P_CLOSED]:
            metrics[1] += sign
        earned = record[P_EARNED]
        if earned and self.width > 2:
            revoked = record[P_REVOKED] or {}
            for index, bucket in enumerate(self.buckets, 2):
                total = 0
                for rule, points in earned.items():
                    if bucket is None or rule in bucket:
                        total += points - revoked.get(rule, 0)
                metrics[index] += total * sign

    def total(self, m: Member, entries: list[tuple[datetime, str]]) -> Metrics:
        metrics = self.zero()
        purchases = m.purchases
        for _, pid in entries:
            self.add(metrics, purchases[pid])
        return metrics

    # -- periods -------------------------------------------------------------------------
    def start(self, h: _Hot, key: int) -> datetime:
        """Start of period ``key`` (a year, or the n-th membership year), local midnight."""
        if self.kind == _CAL:
            start = self._years.get(key)
            if start is None:
                start = self._years[key] = datetime(key, 1, 1, tzinfo=self.zone)
            return start
        assert h.anchor_date is not None
        first = h.anchor_date + relativedelta(years=key)
        return datetime(first.year, first.month, first.day, tzinfo=self.zone)

    def start_utc(self, h: _Hot, key: int) -> datetime:
        """:meth:`start` in UTC (the same instant), to search the order times with."""
        if self.kind == _CAL:
            start = self._years_utc.get(key)
            if start is None:
                start = self._years_utc[key] = self.start(h, key).astimezone(UTC)
            return start
        return self.start(h, key).astimezone(UTC)

    def key(self, h: _Hot, at: datetime) -> int:
        """The period that contains ``at`` (always 0 for lifetime and rolling ladders)."""
        bounds = h.bounds
        # The same comparison either way; in UTC it skips two UTC offset lookups.
        if bounds is not None and ((bounds[3] <= at < bounds[4]) if at.tzinfo is UTC
                                   else (bounds[1] <= at < bounds[2])):
            return bounds[0]
        if self.kind == _CAL:
            key = at.astimezone(self.zone).year
            shared = self._year_bounds.get(key)
            if shared is None:  # one tuple per year for every member
                shared = self._year_bounds[key] = self._bounds(h, key)
            h.bounds = shared
            return key
        if self.kind == _MEMBER:
            assert h.anchor_date is not None
            key = at.astimezone(self.zone).year - h.anchor_date.year
            while at < self.start(h, key):
                key -= 1
            while at >= self.start(h, key + 1):
                key += 1
        else:
            return 0
        h.bounds = self._bounds(h, key)
        return key

    def _bounds(self, h: _Hot, key: int) -> tuple[int, datetime, datetime, datetime, datetime,
                                                  datetime | None]:
        start, end = self.start(h, key), self.start(h, key + 1)
        return (key, start, end, start.astimezone(UTC), end.astimezone(UTC),
                self.start(h, key + 2) if self.valid_kind == _REST else None)

    def validity(self, h: _Hot, at: datetime, key: int) -> datetime | None:
        """Until when a reach at ``at`` (in period ``key``) is valid."""
        if self.valid_kind == _REST:
            return self.start(h, key + 2)
        if self.valid_kind == _MONTHS_VALID:
            assert self.lasts is not None
            return at.astimezone(self.zone) + self.lasts
        return None

    def soft_validity(self, h: _Hot, at: datetime) -> datetime | None:
        """Until when a tier given by the soft landing at a review at ``at`` lasts."""
        if self.valid_kind == _REST:
            return self.start(h, self.key(h, at) + 1)
        return self.validity(h, at, 0)

    def window_start(self, at: datetime) -> datetime:
        assert self.window is not None
        return at.astimezone(self.zone) - self.window

    def _window_of(self, h: _Hot, at: datetime, key: int) -> Window:
        if self.kind == _CAL:
            return ("year", key)
        if self.kind == _MEMBER:
            return ("member", self.start(h, key))
        if self.kind == _ROLLING:
            return ("rolling", at)
        return ("life",)

    def open_window(self, m: Member, h: _Hot, at: datetime, *,
                    inclusive: bool = True) -> tuple[Metrics, Window]:
        """The metrics of the window at ``at``: the period so far, the rolling window
        ending at ``at``, or everything; with orders at ``at`` itself when ``inclusive``."""
        order = h.order
        high = (bisect_right if inclusive else bisect_left)(order, at, key=_AT)
        key = self.key(h, at)
        if self.periodic:
            low = bisect_left(order, self.start_utc(h, key), key=_AT)
        elif self.kind == _ROLLING:
            low = bisect_right(order, self.window_start(at), key=_AT)
        else:
            low = 0
        return self.total(m, order[low:high]), self._window_of(h, at, key)

    # -- the hot member --------------------------------------------------------------------
    def _create(self, m: Member, at: datetime | None, anchor: datetime | None = None) -> _Hot:
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
        h.order = sorted((record[P_AT], pid) for pid, record in m.purchases.items())
        if self.kind != _ROLLING:
            for at_, pid in h.order:
                key = self.key(h, at_)
                metrics = h.acc.get(key)
                if metrics is None:
                    metrics = h.acc[key] = self.zero()
                self.add(metrics, m.purchases[pid])
        m.tier = h
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

    def thaw(self, state: MemberState, m: Member) -> None:
        status = state.tier
        if status is None:
            return
        h = self._create(m, state.as_of, status.anchor)
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

    def freeze(self, m: Member) -> dict[str, Any]:
        h: _Hot | None = m.tier
        if h is None:
            return {"tier": None}
        return {"tier": TierStatus.model_construct(
            tier_id=None if h.index < 0 else self.ids[h.index], since=h.since,
            valid_until=h.valid_until, grace_until=h.grace_until, anchor=h.anchor)}

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
                if self.width == 2:
                    h.window[0] -= amount
                    if record[P_CLOSED]:
                        h.window[1] -= 1
                else:
                    h.window = None
        if self.kind != _ROLLING:
            record = m.purchases[pid]
            key = self.key(h, record[P_AT])
            metrics = h.acc.get(key)
            if metrics is not None and self.width == 2:  # spend and orders: adjust in place
                metrics[0] -= amount
                if record[P_CLOSED]:
                    metrics[1] -= 1
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
        if level > current:
            change: Change = "upgrade"
            self._set(m, h, level)
            h.since = at
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
                 ("reach", list(metrics), window))
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
            if level > current:
                h.since = due
            h.valid_until = valid
            h.grace_until = None
            m.schedule(valid)
            entry: tuple[Any, ...] = (
                build_changed, self, m.member_id, None, due, change, current, level, valid,
                ("reach", list(metrics), window))
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
        change: Change = "renewal" if target == current else "downgrade"
        entry = (build_changed, self, m.member_id, cause[1] if len(cause) > 1 else None, at,
                 change, current, target if target >= 0 else None,
                 until if target >= 0 else None, ("down", why, cause))
        log.append(entry)
        if trace is not None:
            trace.append((self.rule_id, "applied", entry[0](*entry[1:]).reason))

    # -- what qualification earns at a time ----------------------------------------------------
    def earned(self, m: Member, h: _Hot, at: datetime, *, inclusive: bool) -> Earned:
        """The highest tier a moment still valid at ``at`` reaches, and until when.

        Moments are the orders before ``at`` (at ``at`` too when ``inclusive``); net amounts
        are today's, so every return so far counts. A tier that needs nothing counts as
        reached at ``at`` itself. (For a period ladder the period so far is its last order's
        moment.)
        """
        order = h.order
        high = (bisect_right if inclusive else bisect_left)(order, at, key=_AT)
        if self.valid_kind == _REST:
            key = self.key(h, at)
            low_cur = bisect_left(order, self.start_utc(h, key), key=_AT)
            low_prev = bisect_left(order, self.start_utc(h, key - 1), key=_AT)
            current = self.total(m, order[low_cur:high])
            previous = self.total(m, order[low_prev:low_cur])
            level_cur, level_prev = self.level(current), self.level(previous)
            if level_cur >= 0 and level_cur >= level_prev:
                return (level_cur, self.start(h, key + 2), current,
                        self._window_of(h, at, key))
            if level_prev >= 0:
                return (level_prev, self.start(h, key + 1), previous,
                        self._window_of(h, at, key - 1))
            return (-1, None, current, self._window_of(h, at, key))
        best: Earned = (-1, None, self.zero(), self._window_of(h, at, self.key(h, at)))
        lasts = self.lasts
        cut = None
        if lasts is not None:
            cut = at.astimezone(self.zone) - lasts - timedelta(days=4)
        for moment, metrics, window in self._moments(m, h, high, cut):
            level = self.level(metrics)
            if level < 0 or level < best[0]:
                continue
            until = None if lasts is None else moment.astimezone(self.zone) + lasts
            if until is not None and until <= at:
                continue
            best = (level, until, list(metrics), window)
        level = self.level(self.zero())  # a tier that needs nothing is reached at any time
        if level >= 0 and level >= best[0]:
            until = None if lasts is None else at.astimezone(self.zone) + lasts
            best = (level, until, self.zero(), self._window_of(h, at, self.key(h, at)))
        return best

    def _moments(self, m: Member, h: _Hot, high: int,
                 cut: datetime | None) -> Iterator[tuple[datetime, Metrics, Window]]:
        """(time, window metrics, window) at each order before index ``high`` after ``cut``.

        The metrics list is reused from one moment to the next: copy it to keep it.
        """
        order = h.order
        first = 0 if cut is None else bisect_right(order, cut, key=_AT)
        purchases = m.purchases
        if self.kind == _ROLLING:
            low = bisect_right(order, self.window_start(order[first][0]), key=_AT) \
                if first < high else 0
            metrics = self.total(m, order[low:first])
            for index in range(first, high):
                at, pid = order[index]
                self.add(metrics, purchases[pid])
                start = self.window_start(at)
                while low < index and order[low][0] <= start:
                    self.add(metrics, purchases[order[low][1]], -1)
                    low += 1
                yield at, metrics, ("rolling", at)
            return
        if self.kind == _LIFE:
            metrics = self.total(m, order[:first])
            for index in range(first, high):
                self.add(metrics, purchases[order[index][1]])
                yield order[index][0], metrics, ("life",)
            return
        key = None
        metrics = self.zero()
        for index in range(first, high):
            at, pid = order[index]
            moment_key = self.key(h, at)
            if moment_key != key:
                key = moment_key
                low = bisect_left(order, self.start_utc(h, key), key=_AT)
                metrics = self.total(m, order[low:index])
            self.add(metrics, purchases[pid])
            yield at, metrics, self._window_of(h, at, key)
