"""Tier ladders in words: dates, reasons of tier effects, and a member's progress.

Split from :mod:`reciprocity.tiers.stage`, which logs the builders here and calls
:func:`progress` for :func:`~reciprocity.tier_progress`.

Imports: ``_engine``, ``effects``, ``money`` and ``tiers.ladder``; ``periods`` and ``stage``
only for typing.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from .._engine import Member
from .._model import utc
from ..effects import TierChanged, TierGraceStarted
from ..money import Money, Rounding
from .ladder import MetricGap, MetricValue, RollingMonths, TierProgress

if TYPE_CHECKING:
    from .periods import _Hot
    from .stage import CompiledTiers

__all__ = ["build_changed", "build_grace", "day", "describe_alternatives", "find_gaps",
           "last_day", "metric_values", "progress"]

_TICK = timedelta(microseconds=1)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_AT = itemgetter(0)

# period kinds and validity kinds
_CAL, _MEMBER, _ROLLING, _LIFE = range(4)
_REST, _MONTHS_VALID, _NONE, _MONTH_END = range(4)

Metrics = list[Any]
"""[net spend (Decimal), orders (int), points of bucket 0 (int), points of bucket 1, ...]:
a plain list for speed, like the engine's hot records (see ``reciprocity._engine``), addressed
by the slot names below (defined here only; a requirement's metric key is one of them)."""
M_SPEND, M_ORDERS, M_BUCKETS = 0, 1, 2
"""Metrics slots: net spend, orders, and the first points bucket (bucket ``i`` is at
``M_BUCKETS + i``)."""
Alternative = dict[int, Any]
"""Metric index -> threshold: every one must be met."""
Window = tuple[Any, ...]
"""What a window was, for reasons: ("year", 2026), ("member", start), ("rolling", end),
("life",)."""
Earned = tuple[int, datetime | None, Metrics, Window]
"""(level, valid until, the window's metrics, the window) of the best valid reach."""
Change = Literal["upgrade", "downgrade", "renewal"]


def day(when: datetime, zone: ZoneInfo) -> str:
    """``31 Dec 2026``: the local date of ``when``, month names not localised."""
    local = when.astimezone(zone)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def last_day(end: datetime, zone: ZoneInfo) -> str:
    """The last day an exclusive end still covers: midnight 1 Jan 2028 -> ``31 Dec 2027``."""
    return day(end - _TICK, zone)


def describe_alternatives(alternatives: tuple[tuple[MetricGap, ...], ...]) -> str:
    """Alternatives of gaps in words: ``"12.40 EUR or 2 orders"``.

    >>> describe_alternatives(())
    ''
    """
    parts = []
    for gaps in alternatives:
        text = " and ".join(gap.describe() for gap in gaps)
        parts.append(f"({text})" if len(gaps) > 1 and len(alternatives) > 1 else text)
    return " or ".join(parts)



# -- progress --------------------------------------------------------------------------
def find_gaps(c: CompiledTiers, level: int, metrics: Metrics,
              ) -> tuple[tuple[MetricGap, ...], ...]:
    """The ways to reach tier ``level`` from ``metrics``; empty when it is reached."""
    out: list[tuple[MetricGap, ...]] = []
    for alternative in c.dnfs[level]:
        gaps: list[MetricGap] = []
        for key, need in sorted(alternative.items()):
            have = metrics[key]
            if have >= need:
                continue
            if key == 0:
                gaps.append(MetricGap.model_construct(
                    metric="spend", unit="spend", have=Money(have, c.currency),
                    need=Money(need, c.currency),
                    missing=Money(need - have, c.currency).quantize(Rounding.UP)))
            elif key == 1:
                gaps.append(MetricGap.model_construct(
                    metric="orders", unit="orders", have=have, need=need,
                    missing=need - have))
            else:
                gaps.append(MetricGap.model_construct(
                    metric="points", unit=c.units[key - 2], have=have, need=need,
                    missing=need - have))
        if not gaps:
            return ()
        if tuple(gaps) not in out:
            out.append(tuple(gaps))
    return tuple(out)


def progress(c: CompiledTiers, m: Member, at: datetime) -> TierProgress:
    """Where the member stands at ``at`` (housekeeping already ran up to ``at``)."""
    h: _Hot | None = m.tier
    if h is None:
        probe = Member(m.member_id, m.currency)
        probe.purchases, probe.joined_at = m.purchases, m.joined_at
        h = c._create(probe, at)
    current = h.index
    metrics, _ = c.open_window(m, h, at)
    zone = c.zone
    end = c.start(h, c.key(h, at) + 1) if c.periodic else None
    parts: list[str] = []
    nxt = current + 1 if current + 1 < c.n else None
    missing: tuple[tuple[MetricGap, ...], ...] = ()
    if nxt is not None:
        missing = find_gaps(c, nxt, metrics)
        where = (f" by {last_day(end, zone)}" if end is not None else
                 f" over the {rolling_words(c)}" if c.kind == _ROLLING else "")
        parts.append(f"{describe_alternatives(missing)} to {c.names[nxt]}{where}")
    else:
        parts.append(f"{c.names[current]} is the top tier")
    keep: tuple[tuple[MetricGap, ...], ...] = ()
    keep_by: datetime | None = None
    review = h.grace_until if h.grace_until is not None else h.valid_until
    if current >= 0 and review is not None:
        keep, keep_by = to_keep(c, m, h, current, metrics, review, at, end)
        if keep and keep_by is not None:
            parts.append(f"{describe_alternatives(keep)} by {last_day(keep_by, zone)} to "
                         f"keep {c.names[current]}")
        else:
            parts.append(f"{c.names[current]} until {last_day(review, zone)}")
    elif current >= 0:
        parts.append(f"{c.names[current]} for good")
    values, since, before = metric_values(c, m, h, at, metrics)
    return TierProgress.model_construct(
        member_id=m.member_id, at=at, tier_id=None if current < 0 else c.ids[current],
        valid_until=h.valid_until, grace_until=h.grace_until,
        next_tier_id=None if nxt is None else c.ids[nxt], missing=missing,
        by=end if nxt is not None else None, keep_missing=keep, keep_by=keep_by,
        message="; ".join(parts), metrics=values, period_start=since,
        previous_start=before)


def metric_values(c: CompiledTiers, m: Member, h: _Hot, at: datetime, metrics: Metrics,
                  ) -> tuple[tuple[MetricValue, ...], datetime | None, datetime | None]:
    """Every metric now (``metrics``, the open window) and in the last complete period,
    with the starts of the current window and of that period."""
    previous: Metrics | None = None
    since = before = None
    if c.periodic:
        key = c.key(h, at)
        since, before = utc(c.start(h, key)), utc(c.start(h, key - 1))
        order = h.order
        low = bisect_left(order, c.start_utc(h, key - 1), key=_AT)
        high = bisect_left(order, c.start_utc(h, key), key=_AT)
        previous = c.total(m, order[low:high])
    elif c.kind == _ROLLING:
        since = utc(c.window_start(at))

    def value(key: int, metric: Literal["spend", "orders", "points"], unit: str,
              ) -> MetricValue:
        now = metrics[key]
        last = None if previous is None else previous[key]
        if key == M_SPEND:
            now = Money(now, c.currency)
            last = None if last is None else Money(last, c.currency)
        return MetricValue.model_construct(metric=metric, unit=unit, current=now,
                                           previous=last)

    values = [value(M_SPEND, "spend", "spend"), value(M_ORDERS, "orders", "orders")]
    values += [value(M_BUCKETS + index, "points", unit) for index, unit in enumerate(c.units)]
    return tuple(values), since, before


def to_keep(c: CompiledTiers, m: Member, h: _Hot, level: int, metrics: Metrics,
            review: datetime, at: datetime, end: datetime | None,
            ) -> tuple[tuple[tuple[MetricGap, ...], ...], datetime | None]:
    """What keeps tier ``level`` at its review, and by when; nothing when secured."""
    if c.valid_kind in (_REST, _MONTH_END):
        assert end is not None
        if h.valid_until is not None and h.valid_until >= c.rest_end(h, c.key(h, at)):
            return (), None  # earned again in this period already
        return find_gaps(c, level, metrics), min(review, end)
    # Only a new order that reaches the tier moves its end out.
    if c.level(c.zero()) >= level:
        return (), None
    gaps = find_gaps(c, level, metrics)
    if not gaps:  # the window still reaches it now: any order extends the tier
        gaps = ((MetricGap.model_construct(metric="orders", unit="orders",
                                           have=metrics[M_ORDERS], need=metrics[M_ORDERS] + 1,
                                           missing=1),),)
    return gaps, review


def window_words(c: CompiledTiers, window: Window) -> str:
    if window[0] == "year":
        return f"in {window[1]}"
    if window[0] == "member":
        return f"in the membership year from {day(window[1], c.zone)}"
    if window[0] == "rolling":
        return f"in the {rolling_words(c)} to {day(window[1], c.zone)}"
    return "in total"


def achievement(c: CompiledTiers, level: int, metrics: Metrics) -> str:
    """What the member has of the metrics tier ``level`` asks for, in words."""
    keys = sorted({key for alternative in c.dnfs[level] for key in alternative})
    parts = []
    for key in keys:
        have = metrics[key]
        if key == 0:
            parts.append(f"{Money(have, c.currency)} spent")
        elif key == 1:
            parts.append(f"{have} order" + ("" if have == 1 else "s"))
        else:
            unit = c.units[key - 2]
            parts.append(f"{have} {unit[:-1] if have == 1 and unit.endswith('s') else unit}")
    if not parts:
        return "joining"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def rolling_words(compiled: CompiledTiers) -> str:
    period = compiled.ladder.period
    months = period.months if isinstance(period, RollingMonths) else 0
    return "last month" if months == 1 else f"last {months} months"


def until_words(until: datetime | None, zone: ZoneInfo) -> str:
    return "for good" if until is None else f"valid until {last_day(until, zone)}"


def build_changed(c: CompiledTiers, mid: str, eid: str | None, at: datetime, change: Change,
                   old: int | None, new: int | None, until: datetime | None,
                   why: tuple[Any, ...]) -> TierChanged:
    zone = c.zone
    if why[0] == "reach":
        assert new is not None
        _, metrics, window = why
        name = c.names[new]
        verb = {"upgrade": "reached", "renewal": "renewed"}[change]
        reason = f"{name} {verb} with {achievement(c, new, metrics)} {window_words(c, window)}"
        if change == "upgrade" and c.benefits[new].describe() != "no extra benefits":
            reason += f": {c.benefits[new].describe()}"
        reason += f", {until_words(until, zone)}"
    else:
        _, soft, cause = why
        assert old is not None
        old_name = c.names[old]
        if change == "renewal":
            reason = (f"{old_name} kept: a downgrade never goes below "
                      f"{c.names[c.floor]}, {until_words(until, zone)}")
        else:
            if cause[0] == "return":
                reason = (f"{old_name} ended: return {cause[1]} of order {cause[2]} took away "
                          "the qualification it stood on")
            else:
                reason = f"{old_name} ended on {last_day(at, zone)} as it was not earned again"
            if new is None:
                reason += "; no tier now"
            else:
                note = {"one_step": " (one step down)",
                        "floor": " (the lowest tier a downgrade reaches)"}.get(soft, "")
                reason += f"; now {c.names[new]}{note}, {until_words(until, zone)}"
    return TierChanged.model_construct(
        rule_id=c.rule_id, reason=reason, member_id=mid, event_id=eid, at=utc(at), change=change,
        from_tier=None if old is None else c.ids[old],
        to_tier=None if new is None else c.ids[new],
        benefits=None if new is None else c.benefits[new], valid_until=utc(until),
    )


def build_grace(c: CompiledTiers, mid: str, at: datetime, index: int, grace_until: datetime,
                 metrics: Metrics) -> TierGraceStarted:
    zone = c.zone
    name = c.names[index]
    reason = (f"{name} ran out on {last_day(at, zone)} and is kept until "
              f"{last_day(grace_until, zone)} (grace period)")
    gaps = find_gaps(c, index, metrics)
    if gaps:
        reason += f": {describe_alternatives(gaps)} more keeps it"
    return TierGraceStarted.model_construct(
        rule_id=c.rule_id, reason=reason, member_id=mid, event_id=None, at=utc(at),
        tier_id=c.ids[index], expired_at=utc(at), grace_until=utc(grace_until),
    )
