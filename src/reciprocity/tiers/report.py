"""Tier ladders in words: dates, reasons of tier effects, and a member's progress.

Split from :mod:`reciprocity.tiers.stage`, which logs the builders here and calls
:func:`progress` for :func:`~reciprocity.tier_progress`.

Imports: ``_engine``, ``_reason``, ``benefits``, ``effects``, ``money`` and ``tiers.ladder``;
``periods`` and ``stage``
only for typing.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from .._effect_rows import register
from .._engine import Member
from .._model import utc
from .._reason import Msg, Unit, english, fields, local_day, money_text
from .._reason import last_day as reason_last_day
from .._reason_forms import Form, Unfit, written
from .._trusted import construct
from ..benefits import TierBenefits
from ..effects import TierChanged, TierGraceStarted
from ..money import Money, Rounding
from .ladder import MetricGap, MetricValue, RollingMonths, TierProgress
from .progress import singular

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


def _and(parts: list[Any]) -> Any:
    """Parts as one list: ``a, b and c``."""
    return parts[0] if len(parts) == 1 else Msg("reason.and", {"head": tuple(parts[:-1]),
                                                                "last": parts[-1]})


def _units(unit: str, n: int, words: Unit | None = None) -> Msg:
    """``n`` of a points metric: ``30 points``, ``1 point from r1, r2``, ``5 stamps``; in
    the words of its balance's unit when it declares them (``42000 status miles``)."""
    if words is not None:
        return Msg("reason.tier.points", {"n": n, "unit": words})
    if unit == "points":
        return Msg("reason.tier.points", {"n": n})
    if unit.startswith(_FROM):
        return Msg("reason.tier.points_from",
                   {"n": n, "rules": tuple(unit.removeprefix(_FROM).split(", "))})
    return Msg("reason.tier.units", {"count": n, "unit": singular(unit) if n == 1 else unit})


_FROM = "points from "


def alternatives_message(alternatives: tuple[tuple[MetricGap, ...], ...],
                         words: dict[str, Unit | None] | None = None) -> Any:
    """Alternatives of gaps as a part of a reason: ``12.40 EUR or 2 orders``; ``words``:
    each points metric's unit (``CompiledTiers.units`` to ``unit_words``)."""
    words = words or {}
    parts: list[Any] = []
    for gaps in alternatives:
        each = _and([gap.missing if isinstance(gap.missing, Money)
                     else Msg("reason.tier.orders", {"n": gap.missing})
                     if gap.metric == "orders" else _units(gap.unit, gap.missing,
                                                           words.get(gap.unit))
                     for gap in gaps])
        parts.append(Msg("reason.group", {"text": each})
                     if len(gaps) > 1 and len(alternatives) > 1 else each)
    return parts[0] if len(parts) == 1 else Msg("reason.or", {"head": tuple(parts[:-1]),
                                                              "last": parts[-1]})


def window_message(c: CompiledTiers, window: Window) -> Msg:
    """The qualifying window of a reach: ``in 2026``, ``in the last 12 months to ...``."""
    if window[0] == "year":
        return Msg("reason.tier.window.year", {"year": str(window[1])})
    if window[0] == "member":
        return Msg("reason.tier.window.member", {"date": local_day(window[1], c.zone)})
    if window[0] == "rolling":
        period = c.ladder.period
        months = period.months if isinstance(period, RollingMonths) else 0
        return Msg("reason.tier.window.rolling",
                   {"n": months, "date": local_day(window[1], c.zone)})
    return Msg("reason.tier.window.life", {})


def achievement(c: CompiledTiers, level: int, metrics: Metrics) -> Any:
    """What the member has of the metrics tier ``level`` asks for, as a part of a reason."""
    keys = _metric_keys(c, level)
    parts: list[Any] = []
    for key in keys:
        have = metrics[key]
        if key == 0:
            if have.as_tuple().exponent > c.minor.as_tuple().exponent:
                # in minor units (exactly: only zeros added): a sum's exponent is that of its
                # terms, so the same spend totalled another way (a replay's running window,
                # an apply's fresh total) would dump as "0" in one and "0.00" in the other
                have = have.quantize(c.minor)
            parts.append(Msg("reason.tier.spent", {"amount": Money(have, c.currency)}))
        elif key == 1:
            parts.append(Msg("reason.tier.orders", {"n": have}))
        else:
            parts.append(_units(c.units[key - 2], have, c.unit_words[key - 2]))
    return _and(parts) if parts else Msg("reason.tier.joining", {})


def _metric_keys(c: CompiledTiers, level: int) -> list[int]:
    """The metrics tier ``level`` asks for, in slot order (what :func:`achievement` says)."""
    return sorted({key for alternative in c.dnfs[level] for key in alternative})


def benefits_message(benefits: TierBenefits) -> Any:
    """A tier's benefits as a part of a reason; ``None`` for no extra benefits."""
    parts: list[Any] = []
    if benefits.points_multiplier != 1:
        parts.append(Msg("reason.benefit.multiplier",
                         {"factor": Decimal(benefits.points_multiplier)}))
    if benefits.free_shipping:
        parts.append(Msg("reason.benefit.free_shipping", {}))
    if benefits.early_access_days:
        parts.append(Msg("reason.benefit.early_access", {"n": benefits.early_access_days}))
    if benefits.goodwill_factor != 1:
        parts.append(Msg("reason.benefit.goodwill", {"factor": Decimal(benefits.goodwill_factor)}))
    parts.extend(benefits.perks)
    if not benefits.points_expire:
        parts.append(Msg("reason.benefit.no_expiry", {}))
    return _and(parts) if parts else None


def rolling_words(compiled: CompiledTiers) -> str:
    period = compiled.ladder.period
    months = period.months if isinstance(period, RollingMonths) else 0
    return "last month" if months == 1 else f"last {months} months"


def until_message(until: datetime | None, zone: ZoneInfo) -> Msg:
    if until is None:
        return Msg("reason.tier.for_good", {})
    return Msg("reason.tier.until", {"date": reason_last_day(until, zone)})


def build_changed(c: CompiledTiers, mid: str, eid: str | None, at: datetime, change: Change,
                   old: int | None, new: int | None, until: datetime | None,
                   why: tuple[Any, ...]) -> TierChanged:
    return construct(  # model_construct's result, without its per-field loop
        TierChanged, **fields(changed_reason(c, at, change, old, new, until, why)),
        **changed_row(c, mid, eid, at, change, old, new, until))


def changed_reason(c: CompiledTiers, at: datetime, change: Change, old: int | None,
                   new: int | None, until: datetime | None, why: tuple[Any, ...]) -> Msg:
    """A ``TierChanged``'s reason (its model's, and its row's when a table reads it)."""
    zone = c.zone
    until_text = until_message(until, zone)
    if why[0] == "reach":
        assert new is not None
        metrics, window = why[1], why[2]
        benefits = benefits_message(c.benefits[new]) if change == "upgrade" else None
        args = {"tier": c.names[new], "achievement": achievement(c, new, metrics),
                "window": window_message(c, window), "until": until_text}
        key = _reach_key(change, benefits is not None)
        reason = Msg(key, args if key != _BENEFITS else {**args, "benefits": benefits})
    else:
        soft, cause = why[1], why[2]
        assert old is not None
        old_name = c.names[old]
        if change == "renewal":
            reason = Msg("reason.tier.kept", {"tier": old_name, "floor": c.names[c.floor],
                                              "until": until_text})
        else:
            if cause[0] == "return":
                reason = Msg("reason.tier.ended.return",
                             {"tier": old_name, "ret": cause[1], "order": cause[2]})
            else:
                reason = Msg("reason.tier.ended",
                             {"tier": old_name, "date": reason_last_day(at, zone)})
            if new is None:
                reason = Msg("reason.tier.none", {"text": reason})
            else:
                key = {"one_step": "reason.tier.now.one_step",
                       "floor": "reason.tier.now.floor"}.get(soft, "reason.tier.now")
                reason = Msg(key, {"text": reason, "tier": c.names[new], "until": until_text})
    if len(why) > 3:
        reason = _with_expiry(reason, why[3], zone)
    return reason if c.unit is None else Msg(reason.key, {**reason.args, "unit": c.unit})


def _with_expiry(reason: Msg, moved: tuple[str, int, datetime | None], zone: ZoneInfo) -> Msg:
    """``reason`` and what the change did to the expiry of the points held (see
    ``stage.Moved``): lifted (the new tier's points do not expire) or set from the change."""
    kind, points, expires = moved
    if not points:
        return reason
    if kind == "lifted":
        return Msg("reason.tier.expiry_lifted", {"text": reason, "n": points})
    assert expires is not None
    return Msg("reason.tier.expiry_set", {"text": reason, "n": points,
                                          "date": reason_last_day(expires, zone)})


_BENEFITS = "reason.tier.reached.benefits"


def _reach_key(change: Change, benefits: bool) -> str:
    """The message of a reach: renewed, reached with its benefits, or reached."""
    if change == "renewal":
        return "reason.tier.renewed"
    return _BENEFITS if benefits else "reason.tier.reached"


_REACHED = {key: Form(key, "tier", "achievement", "window", "until")
            for key in ("reason.tier.renewed", "reason.tier.reached")}
_REACHED[_BENEFITS] = Form(_BENEFITS, "tier", "achievement", "window", "until", "benefits")
_SPENT = Form("reason.tier.spent", "amount")


def _changed_text(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
    """The English of :func:`changed_reason`'s message for ``build_changed``'s entry, written
    from its values: for a reach on a ladder of spend alone (the usual one) the words around
    the amount spent are written once per tier, change, window and end, and per ``memo``
    (see ``reciprocity._reason_forms``)."""
    _, c, _, _, at, change, old, new, until, why = entry
    if why[0] == "reach" and type(why[1][0]) is Decimal and c.unit is None and len(why) == 3:
        key = ("reach", id(c), new, change, why[2], until)
        found = memo.get(key)
        if found is None:  # c kept beside its words: its id stays its own
            found = memo[key] = (c, _around_spent(c, change, new, why[2], until))
        if found[1] is not None:
            before, behind = found[1]
            return before + money_text(why[1][0], c.currency) + behind
    return _text(changed_reason(c, at, change, old, new, until, why))


def _around_spent(c: CompiledTiers, change: Change, new: int, window: Window,
                  until: datetime | None) -> tuple[str, str] | None:
    """The words of a reach of tier ``new`` before and after the amount spent, or ``None``
    when the tier asks for more than spend (or the catalogue's message for more values)."""
    if _metric_keys(c, new) != [0]:
        return None
    benefits = benefits_message(c.benefits[new]) if change == "upgrade" else None
    key = _reach_key(change, benefits is not None)
    values = [c.names[new], _SPENT.write(_MARK), _text(window_message(c, window)),
              _text(until_message(until, c.zone))]
    if key == _BENEFITS:
        values.append(written(benefits))
    try:
        said = _REACHED[key].write(*values)
    except Unfit:  # the catalogue's message asks for more: the general way
        return None
    if said.count(_MARK) != 1:
        return None
    before, _, behind = said.partition(_MARK)
    return before, behind


_MARK = "\x00"


def _text(msg: Msg) -> str:
    return english(msg.key, msg.args)


def changed_row(c: CompiledTiers, mid: str, eid: str | None, at: datetime, change: Change,
                old: int | None, new: int | None, until: datetime | None,
                why: tuple[Any, ...] = ()) -> dict[str, Any]:
    """A ``TierChanged``'s fields but its reason: :func:`build_changed`'s, and the row of
    its log entries (see ``reciprocity._effect_rows``)."""
    return {"rule_id": c.rule_id, "member_id": mid, "event_id": eid, "at": utc(at),
            "change": change, "from_tier": None if old is None else c.ids[old],
            "to_tier": None if new is None else c.ids[new],
            "benefits": None if new is None else c.benefits[new], "valid_until": utc(until)}


def build_grace(c: CompiledTiers, mid: str, at: datetime, index: int, grace_until: datetime,
                 metrics: Metrics) -> TierGraceStarted:
    zone = c.zone
    args = {"tier": c.names[index], "date": reason_last_day(at, zone),
            "until": reason_last_day(grace_until, zone)}
    gaps = find_gaps(c, index, metrics)
    reason = (Msg("reason.tier.grace.gaps", {**args, "gaps": alternatives_message(
        gaps, dict(zip(c.units, c.unit_words, strict=True)))})
              if gaps else Msg("reason.tier.grace", args))
    if c.unit is not None:
        reason = Msg(reason.key, {**reason.args, "unit": c.unit})
    return construct(  # model_construct's result, without its per-field loop
        TierGraceStarted,
        rule_id=c.rule_id, **fields(reason), member_id=mid, event_id=None, at=utc(at),
        tier_id=c.ids[index], expired_at=utc(at), grace_until=utc(grace_until),
    )


def _changed_reason(builder: Any, c: CompiledTiers, mid: str, eid: str | None, at: datetime,
                    change: Change, old: int | None, new: int | None, until: datetime | None,
                    why: tuple[Any, ...]) -> Msg:
    return changed_reason(c, at, change, old, new, until, why)


register(build_changed, "tier_changed", changed_row, _changed_reason, _changed_text)
