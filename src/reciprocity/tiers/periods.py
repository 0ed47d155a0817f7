"""The tier ladder's arithmetic, compiled: requirements, metrics, periods, qualification moments.

Holds ``_Hot`` (a member's tier state while a program works on it) and :class:`TierPeriods`,
the base layer of :class:`~reciprocity.tiers.stage.CompiledTiers`: requirements in
disjunctive normal form, metric totals from purchase records, period keys and bounds, the
validity of a reach, and what qualification earns at a time.

Imports: the core (``_engine``, ``_stage``), the tiers declarations (``ladder``,
``requirements``), ``report`` and ``hot``; never ``stage`` or another family.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import (
    LN_CATEGORY,
    LN_PRICE,
    LN_QUANTITY,
    LN_RETURNED,
    P_AMOUNT,
    P_CLOSED,
    P_EARNED,
    P_LINES,
    P_RETURNED,
    P_REVOKED,
    Member,
)
from .._reason import Unit
from .._stage import Stage
from .report import (
    _AT,
    _CAL,
    _LIFE,
    _MEMBER,
    _MONTH_END,
    _MONTHS_VALID,
    _REST,
    _ROLLING,
    M_BUCKETS,
    M_ORDERS,
    M_SPEND,
    Alternative,
    Earned,
    Metrics,
    Window,
)
from .requirements import MinOrders, MinPoints, MinSpend, RequireAll, RequireAny, _RequirementBase

__all__ = ["TierPeriods"]

_ZERO = Decimal(0)


class _Hot:
    """A member's tier state while a program works on it."""

    __slots__ = ("acc", "anchor", "anchor_date", "before", "bounds", "folded", "grace_until",
                 "index", "left", "order", "since", "valid_until", "window")

    def __init__(self) -> None:
        self.index = -1
        self.since: datetime | None = None
        self.valid_until: datetime | None = None
        self.grace_until: datetime | None = None
        self.anchor: datetime | None = None
        self.anchor_date: date | None = None
        self.order: list[tuple[datetime, str]] = []
        """Every kept purchase as (at, id), and every folded period as (its newest folded
        order's time, its id in ``folded``), in (at, id) order."""
        self.folded: dict[str, list[Any]] = {}
        """Folded periods by id (see :mod:`reciprocity.tiers.folding`): [newest folded
        order's time, their qualifying metrics, period key]."""
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




class TierPeriods(Stage):
    """The ladder's requirements, metrics, periods and moments: the base of the compiled stage.

    The attributes are set by :class:`~reciprocity.tiers.stage.CompiledTiers`.
    """

    name = "tiers"
    zone: ZoneInfo
    buckets: list[frozenset[str] | None]
    balance_rules: dict[str | None, frozenset[str]]
    """With ``Program.balances``: the keys of each balance's points in an order's earned
    points (``None``: the program's own), so a bucket of all rules counts one balance."""
    units: list[str]
    unit_words: list[Unit | None]
    """Each points metric's unit as a reason argument, when its balance declares words."""
    balance_units: dict[str | None, Unit | None]
    unit: Unit | None
    width: int
    kind: int
    window: relativedelta | None
    valid_kind: int
    span: int
    """How many past periods a reach stays valid into (rest of period and next: 1)."""
    month_end: tuple[int, int] | None
    """(month, years) of :class:`~reciprocity.UntilEndOfMonth`, else ``None``."""
    lasts: relativedelta | None
    periodic: bool
    level_of: Callable[[Metrics], int]
    filters_spend: bool
    """Whether qualifying spend counts only some order lines (the ladder's line filter)."""
    counts_line: Callable[[str, str | None], bool]
    minor: Decimal
    """The currency's minor unit (``0.01``), for an amount-only return's share."""
    _years: dict[int, datetime]
    _years_utc: dict[int, datetime]
    _year_bounds: dict[int, tuple[int, datetime, datetime, datetime, datetime, datetime | None]]

    # -- compiling requirements ----------------------------------------------------------
    def _bucket(self, leaf: MinPoints) -> int:
        key = None if leaf.rules is None else frozenset(leaf.rules)
        if leaf.balance is not None or (key is None and self.balance_rules):
            key = self.balance_rules[leaf.balance] if key is None else frozenset(
                f"{leaf.balance}/{rule}" for rule in key)  # see points.balances
        if key not in self.buckets:
            self.buckets.append(key)
            unit = self.balance_units.get(leaf.balance)
            said = None if unit is None else unit.words("en")
            self.units.append(leaf.unit_in({} if said is None else {leaf.balance: said}))
            self.unit_words.append(unit)
        return self.buckets.index(key)

    def _dnf(self, requirement: _RequirementBase) -> list[Alternative]:
        """The requirement as alternatives, each a set of thresholds that must all be met."""
        if isinstance(requirement, MinSpend):
            return [{M_SPEND: requirement.amount.amount}]
        if isinstance(requirement, MinOrders):
            return [{M_ORDERS: requirement.count}]
        if isinstance(requirement, MinPoints):
            return [{M_BUCKETS + self._bucket(requirement): requirement.points}]
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
        return [_ZERO, 0] + [0] * (self.width - M_BUCKETS)  # M_SPEND, M_ORDERS, buckets

    def add(self, metrics: Metrics, record: list[Any], sign: int = 1) -> None:
        """Add (``sign=-1``: take away) one purchase record's contribution, net of returns."""
        if self.filters_spend and record[P_LINES]:
            metrics[M_SPEND] += self.kept_spend(record) * sign
        else:
            metrics[M_SPEND] += (record[P_AMOUNT] - record[P_RETURNED]) * sign
        if not record[P_CLOSED]:
            metrics[M_ORDERS] += sign
        earned = record[P_EARNED]
        if earned and self.width > M_BUCKETS:
            revoked = record[P_REVOKED] or {}
            for index, bucket in enumerate(self.buckets, M_BUCKETS):
                total = 0
                for rule, points in earned.items():
                    if bucket is None or rule in bucket:
                        total += points - revoked.get(rule, 0)
                metrics[index] += total * sign

    def kept_spend(self, record: list[Any]) -> Decimal:
        """The qualifying spend of an order with lines under the ladder's line filter: the
        kept value of the lines that count, less an amount-only return's share of it."""
        left = record[P_AMOUNT] - record[P_RETURNED]
        if left <= 0:
            return _ZERO
        counts = self.counts_line
        eligible = by_lines = _ZERO
        for sku, line in record[P_LINES].items():
            price = line[LN_PRICE]
            by_lines += price * line[LN_RETURNED]
            if counts(sku, line[LN_CATEGORY]):
                eligible += price * (line[LN_QUANTITY] - line[LN_RETURNED])
        if record[P_RETURNED] > by_lines and eligible:  # an amount-only return: its share
            share = eligible * left / (record[P_AMOUNT] - by_lines)
            eligible = share.quantize(self.minor, ROUND_HALF_UP)
        return eligible

    def total(self, m: Member, entries: list[tuple[datetime, str]]) -> Metrics:
        metrics = self.zero()
        purchases = m.purchases
        for _, pid in entries:
            record = purchases.get(pid)
            if record is None:
                self.merge(metrics, m.tier.folded[pid][1])
            else:
                self.add(metrics, record)
        return metrics

    @staticmethod
    def merge(metrics: Metrics, other: Metrics) -> None:
        """Add ``other`` (a folded period's totals) to ``metrics``."""
        for index, value in enumerate(other):
            metrics[index] += value

    def add_entry(self, metrics: Metrics, m: Member, pid: str) -> None:
        """Add an order, or a folded period's totals, of ``m`` by its id in ``_Hot.order``."""
        record = m.purchases.get(pid)
        if record is None:
            self.merge(metrics, m.tier.folded[pid][1])
        else:
            self.add(metrics, record)

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
                self.rest_end(h, key) if self.valid_kind in (_REST, _MONTH_END) else None)

    def rest_end(self, h: _Hot, key: int) -> datetime:
        """Until when a reach in period ``key`` lasts, when that depends on the period only:
        the start of the period after next, or the end of a named month (local midnight)."""
        if self.month_end is None:
            return self.start(h, key + 2)
        month, years = self.month_end
        year = key + years + month // 12
        return datetime(year, month % 12 + 1, 1, tzinfo=self.zone)

    def validity(self, h: _Hot, at: datetime, key: int) -> datetime | None:
        """Until when a reach at ``at`` (in period ``key``) is valid."""
        if self.valid_kind in (_REST, _MONTH_END):
            return self.rest_end(h, key)
        if self.valid_kind == _MONTHS_VALID:
            assert self.lasts is not None
            return at.astimezone(self.zone) + self.lasts
        return None

    def soft_validity(self, h: _Hot, at: datetime) -> datetime | None:
        """Until when a tier given by the soft landing at a review at ``at`` lasts: to the
        next moment a period's reach would run out (the next period's start, or the named
        month's end)."""
        if self.valid_kind in (_REST, _MONTH_END):
            key = self.key(h, at) - self.span
            until = self.rest_end(h, key)
            return until if until > at else self.rest_end(h, key + 1)
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
        if self.valid_kind in (_REST, _MONTH_END):
            # the period so far, then each past period whose reach may still be valid
            key = self.key(h, at)
            low = bisect_left(order, self.start_utc(h, key), key=_AT)
            current = self.total(m, order[low:high])
            level = self.level(current)
            found: Earned = (level, self.rest_end(h, key) if level >= 0 else None, current,
                             self._window_of(h, at, key))
            for back in range(1, self.span + 1):
                ends = self.rest_end(h, key - back)
                top, low = low, bisect_left(order, self.start_utc(h, key - back), key=_AT)
                if ends <= at:
                    break
                past = self.total(m, order[low:top])
                level = self.level(past)
                if level >= 0 and level > found[0]:
                    found = (level, ends, past, self._window_of(h, at, key - back))
            return found
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
                self.add_entry(metrics, m, order[index][1])
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
            self.add_entry(metrics, m, pid)
            yield at, metrics, self._window_of(h, at, key)

