"""The tier ladder's part of folding: qualifying totals per period instead of folded orders.

A calendar-year, membership-year or lifetime ladder reads its orders through totals over a
period (the period so far, a past period) and through *qualification moments*, one per
order, whose window is the period up to that order. When orders fold out of the member's
state (see ``reciprocity._history``) the ladder keeps, per period, one entry instead of
them: the qualifying totals of the folded orders of that period (net of every return made
before they folded, line filter applied), standing in ``_Hot.order`` at the time of the
newest of them. That entry is exact for every question the ladder asks later:

- a total over a period (or over everything) covers either all of a period's folded
  orders or none of them, because every later question is about a time after the fold's
  cutoff, and every folded order is before it;
- the moments of a period grow with every order (net amounts, order counts and net points
  never go below zero), so among the folded orders' moments the last one reaches the
  highest tier and lasts longest: it is the only one that can be the best reach, and the
  entry is that moment. A kept order older than a folded one (a late order, which folds
  later) counts without the folded orders before it, but its moment never beats the
  entry's, which is later and counts more.

Periods that no later decision or progress report reads are dropped when a new period
begins to fold (so at most one more than are read is kept): under
:class:`~reciprocity.RestOfPeriodAndNext` (or :class:`~reciprocity.UntilEndOfMonth`) those
before the periods a reach may still be valid from, and before the last complete one; under
:class:`~reciprocity.MonthsFromQualifying` those that ended longer than the validity before
the cutoff; none under :class:`~reciprocity.NoExpiry` or for a lifetime ladder. A rolling
ladder keeps reading orders one by one (its window ends anywhere in a day): its order
window is the rolling window and the validity.

Imports: the core (``_engine``, ``errors``, ``state``), ``report``; ``stage`` only for
typing.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._engine import P_AMOUNT, P_AT, P_CLOSED, P_RETURNED, Member
from .._model import utc
from .._trusted import built
from ..errors import InvalidEvent
from ..state import FoldedTierPeriod
from .report import _MONTH_END, _MONTHS_VALID, _REST, _ROLLING, M_BUCKETS, M_ORDERS, M_SPEND

if TYPE_CHECKING:
    from .periods import _Hot
    from .stage import CompiledTiers

__all__ = ["FOLDED", "fold_orders", "freeze_periods", "thaw_kept", "thaw_periods", "thaw_totals"]

FOLDED = "\x00folded "
"""Prefix of a folded period's id in ``_Hot.order`` (no order id starts with a NUL)."""

_MARGIN = timedelta(days=4)
"""The margin ``TierPeriods.earned`` looks back beyond a validity."""


_IDS: dict[int, str] = {}
"""Period key -> its id in ``_Hot.order`` (a cache)."""


def _id(key: int) -> str:
    fid = _IDS.get(key)
    if fid is None:
        fid = _IDS[key] = f"{FOLDED}{key}"
    return fid


def fold_orders(c: CompiledTiers, m: Member, gone: list[tuple[str, list[Any]]],
                cutoff: datetime) -> None:
    """Move the qualifying totals of the orders ``gone`` into their periods' entries.

    O(orders folded) with small constants: a folded order's period is the one the purchase
    handler last looked at unless it lies in an earlier one, and a plain spend ladder's
    totals are added inline (as :func:`reciprocity.tiers.hot.purchase_handler` does)."""
    h: _Hot | None = m.tier
    if h is None or c.kind == _ROLLING:
        return  # a rolling ladder reads orders one by one; forget_folded drops them
    folded = h.folded
    bounds = h.bounds  # the period of the latest order: put back for the purchase handler
    periodic = c.periodic
    simple = c.width == M_BUCKETS and not c.filters_spend
    changed: dict[str, list[Any]] = {}
    drop: set[str] = set()
    new = False
    last: int | None = None  # the period of the order before, and its entry
    slot: list[Any] = []
    for pid, record in gone:
        drop.add(pid)
        at = record[P_AT]
        if not periodic:
            key = 0
        else:
            now = h.bounds  # the same test as ``c.key``'s, inline
            key = (now[0] if now is not None and at.tzinfo is UTC and now[3] <= at < now[4]
                   else c.key(h, at))
        if key != last:
            fid = _IDS.get(key) or _id(key)
            found = folded.get(fid)
            if found is None:
                found = folded[fid] = [at, c.zero(), key]
                new = True
            changed[fid] = slot = found
            last = key
        if at > slot[0]:
            slot[0] = at
        if simple:  # c.add, inline: spend and orders only
            metrics = slot[1]
            metrics[M_SPEND] += record[P_AMOUNT] - record[P_RETURNED]
            if not record[P_CLOSED]:
                metrics[M_ORDERS] += 1
        else:
            c.add(slot[1], record)
    h.bounds = bounds
    if new:  # a period began to fold: those no question reads any more go
        for fid in _stale(c, h, cutoff):
            del folded[fid]
            changed.pop(fid, None)
            drop.add(fid)
    drop.update(changed)
    # Everything that goes or moves is before the cutoff, at the front of the order list:
    # rebuild that head only (O(folded), not O(kept)).
    order = h.order
    cut = bisect_left(order, (cutoff,))
    head = [entry for entry in order[:cut] if entry[1] not in drop]
    for fid, slot in changed.items():
        head.append((slot[0], fid))
    head.sort()
    order[:cut] = head
    # h.acc keeps its running totals: the folded orders still count in their periods.


def _stale(c: CompiledTiers, h: _Hot, cutoff: datetime) -> list[str]:
    """The folded periods no question asked after ``cutoff`` reads."""
    if not c.periodic or c.valid_kind not in (_REST, _MONTH_END, _MONTHS_VALID):
        return []
    now = c.key(h, cutoff)
    if c.valid_kind == _MONTHS_VALID:
        assert c.lasts is not None
        cut = cutoff.astimezone(c.zone) - c.lasts - _MARGIN
        return [fid for fid, slot in h.folded.items()
                if slot[2] < now - 1 and c.start(h, slot[2] + 1) <= cut]
    oldest = now - max(c.span, 1)
    return [fid for fid, slot in h.folded.items() if slot[2] < oldest]


def thaw_periods(c: CompiledTiers, h: _Hot, saved: tuple[FoldedTierPeriod, ...]) -> None:
    """Put a saved state's folded periods into ``h`` (before its totals are counted)."""
    points = c.width - M_BUCKETS
    for period in saved:
        if len(period.points) != points:
            raise InvalidEvent(
                f"MemberState.tier.folded period {period.period} has "
                f"{len(period.points)} points totals, but this program's ladder counts "
                f"{points} (one per points requirement)",
                hint="load the state with the program that wrote it, or migrate it to the "
                "new ladder (set tier to null to let the ladder qualify the member again "
                "from the orders it keeps)")
        fid = _id(period.period)
        h.folded[fid] = [period.through, [period.spend, period.orders, *period.points],
                         period.period]
        h.order.append((period.through, fid))
    if saved:
        h.order.sort()


def freeze_periods(h: _Hot) -> tuple[FoldedTierPeriod, ...]:
    """The folded periods of ``h`` as saved state, oldest first."""
    if not h.folded:
        return ()
    return tuple([
        built(FoldedTierPeriod, {  # every field, as model_construct sets them
            "period": key, "through": utc(through), "spend": Decimal(metrics[M_SPEND]),
            "orders": metrics[M_ORDERS], "points": tuple(metrics[M_BUCKETS:])})
        for through, metrics, key in sorted(h.folded.values(), key=lambda slot: slot[2])])


def thaw_totals(c: CompiledTiers, m: Member, h: _Hot) -> None:
    """Count ``h.acc``, the running totals per period, from ``h.order`` (kept orders and
    folded periods, sorted) as a thaw does: what ``c.key`` and ``c.add_entry`` per entry
    make, with the period test and a plain spend ladder's totals inline (as
    :func:`fold_orders` does), since a thaw counts every kept order."""
    acc = h.acc
    purchases = m.purchases
    folded = h.folded
    periodic = c.periodic
    simple = c.width == M_BUCKETS and not c.filters_spend
    key_of, add, zero = c.key, c.add, c.zero
    last: int | None = None
    metrics: list[Any] = []
    for at, pid in h.order:
        if not periodic:
            key = 0
        else:
            now = h.bounds  # the same test as ``c.key``'s, inline
            key = (now[0] if now is not None and at.tzinfo is UTC and now[3] <= at < now[4]
                   else key_of(h, at))
        if key != last:
            found = acc.get(key)
            if found is None:
                found = acc[key] = zero()
            metrics = found
            last = key
        record = purchases.get(pid)
        if record is None:
            for index, value in enumerate(folded[pid][1]):  # c.merge
                metrics[index] += value
        elif simple:  # c.add, inline: spend and orders only
            metrics[M_SPEND] += record[P_AMOUNT] - record[P_RETURNED]
            if not record[P_CLOSED]:
                metrics[M_ORDERS] += 1
        else:
            add(metrics, record)


def thaw_kept(c: CompiledTiers, kept: _Hot) -> _Hot | None:
    """What a thaw of the state frozen from ``kept`` makes of its orders, folded periods and
    running totals (``_create``), copied from ``kept`` (the member's tier part after the
    ``apply`` that made the state, kept on it: see ``Pipeline.freeze``) instead of counted
    again; the caller sets the tier, its times and the anchor from the state. ``None`` when
    a folded period's time is not in UTC (a thaw reads it back in UTC: counted again).

    ``kept`` holds what a thaw counts: the kept orders and folded periods in ``order``, the
    folded periods' totals, and per period the totals of both (the purchase handler adds
    each order to its period's, which folding leaves as they are, so they are sums of the
    same amounts). Its totals of periods folding dropped are not: they are older than every
    entry left (those periods end before the fold's cutoff, and every kept order is after
    it), and left out here; with no entry left, no total is."""
    folded = kept.folded
    for slot in folded.values():
        if slot[0].tzinfo is not UTC:
            return None
    h = type(kept)()
    h.order = kept.order.copy()
    h.folded = {fid: [slot[0], slot[1].copy(), slot[2]] for fid, slot in folded.items()}
    h.bounds = kept.bounds
    h.anchor_date = kept.anchor_date
    if not h.order:  # every order folded and every folded period dropped: nothing counts
        h.acc = {}
        return h
    acc = {key: metrics.copy() for key, metrics in kept.acc.items()}
    if c.periodic and len(acc) > 1:
        low = c.key(h, h.order[0][0])
        if min(acc) < low:
            acc = {key: metrics for key, metrics in acc.items() if key >= low}
    h.acc = acc
    return h
