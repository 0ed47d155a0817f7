"""What each effect of a simulation moves: one pass over the effects, per member and per period.

:func:`effect_pass` reads the effects in the order the engine produced them and keeps, per
member, the points available, pending and owed, the tier, vouchers, gifts and goodwill (the
slots below), and per period the flows, the change of outstanding points, the tier moves and
the days members took to a first tier. It also gives the effects table's columns, one value
per effect: those an effect carries (instant, member, type, rule, event, change of the
available points, reason) and those worked out here (period, points, change of outstanding
points, money value). The rules, effect type by effect type, are those of
:mod:`reciprocity.experiments.metrics`; an effect of points that names a ``balance`` of its
own (another of the program's balances, such as status miles) moves none of the program's
points and lists its rule as ``<balance>/<rule id>``.

The pass is the part of ``simulate`` that grows with the effects (tens of thousands in a
year of a shop), so it works on locals: the member and the period's flows are looked up again
only when they change from one effect to the next, and an instant is labelled with its period
only when it falls outside the last period's bounds. Every field is read once, in the same
loop (column by column, the reads of 40,000 models cost more than the loop itself).

Imports: ``_reason`` (``LazyText``), ``effects`` (typing), ``experiments.periods``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._effect_rows import writer_of
from .._reason import LazyText
from .periods import Periods

if TYPE_CHECKING:
    from ..effects import Effect

__all__ = ["FLOWS", "Passed", "effect_pass", "new_member", "of_models", "reason_texts"]

_ZERO = Decimal(0)

# member slots
AVAILABLE, PENDING, DEBT, TIER, EARNED, REDEEMED, EXPIRED, REVOKED = range(8)
ORDERS, SPEND, VOUCHERS, VOUCHER_VALUE, GIFTS, GIFT_VALUE, GOODWILL, FIRST_AT, TIER_AT = (
    range(8, 17))
FLOWS = ("points_earned", "points_redeemed", "points_expired", "points_revoked",
         "vouchers", "voucher_value", "gifts", "gift_cost", "goodwill_grants", "goodwill_paid",
         "first_tier_reached")
"""The flows of a period, in the metrics table's order."""
_MONEY_FLOWS = ("voucher_value", "gift_cost", "goodwill_paid")
_POINTS_KINDS = ("points_", "voucher_c")
"""The effect types that carry points (by the start of their name)."""


def new_member() -> list[Any]:
    """The slots of a member who had no state before the history."""
    return [0, 0, 0, None, 0, 0, 0, 0, 0, _ZERO, 0, _ZERO, 0, _ZERO, _ZERO, None, None]


class Passed:
    """What :func:`effect_pass` found: the computed columns of the effects table (one value
    per effect), and per period the flows, the change of outstanding points, the tier moves
    and the days to a first tier."""

    __slots__ = ("ats", "deltas", "events", "first_tier_days", "flows", "kinds", "members",
                 "moved", "outstanding", "periods", "points", "reasons", "rules", "tier_moves",
                 "values")

    def __init__(self) -> None:
        self.ats: list[datetime] = []
        self.periods: list[str] = []
        self.members: list[str] = []
        self.kinds: list[str] = []
        self.rules: list[str] = []
        self.events: list[str | None] = []
        self.deltas: list[int] = []
        self.reasons: list[Any] = []
        self.points: list[int | None] = []
        self.moved: list[int] = []
        self.values: list[Decimal | None] = []
        self.flows: dict[str, dict[str, Any]] = {}
        self.outstanding: dict[str, int] = {}
        self.tier_moves: dict[str, dict[str | None, int]] = {}
        self.first_tier_days: dict[str, list[float]] = {}


def _flow(flows: dict[str, dict[str, Any]], period: str) -> dict[str, Any]:
    found = flows.get(period)
    if found is None:
        found = flows[period] = dict.fromkeys(FLOWS, 0)
        for name in _MONEY_FLOWS:
            found[name] = _ZERO
    return found


def of_models(effects: Iterable[Effect]) -> Iterator[tuple[str, dict[str, Any], Any, Any]]:
    """Effect models as :func:`effect_pass` reads them: ``(type, fields, reason, model)``,
    as :func:`reciprocity._effect_rows.rows_of` gives a log's."""
    for effect in effects:
        fields = effect.__dict__
        yield fields["type"], fields, fields["reason"], effect


def effect_pass(effects: Iterable[tuple[str, dict[str, Any], Any, Any]],
                members: dict[str, list[Any]],
                new_members: dict[str, int], periods: Periods) -> Passed:
    """Apply every effect to the members' slots (a member first seen here is added, and
    counted in ``new_members`` under the period of that effect); return the columns and the
    per-period moves (see :class:`Passed`). ``effects`` come as :func:`of_models` or
    :func:`reciprocity._effect_rows.rows_of` gives them; each reason is kept as it comes (a
    text, a ``LazyText``, a log entry), for :func:`reason_texts` to write when read.

    Every period an effect falls in has its flows, even if the effect moves none (the
    metrics table spans them).
    """
    out = Passed()
    add_at, add_kind, add_mid = out.ats.append, out.kinds.append, out.members.append
    add_rule, add_event = out.rules.append, out.events.append
    add_delta, add_reason = out.deltas.append, out.reasons.append
    label, bounds = periods.label, periods.bounds
    flows, outstanding = out.flows, out.outstanding
    tier_moves, first_tier_days = out.tier_moves, out.first_tier_days
    add_period, add_points = out.periods.append, out.points.append
    add_moved, add_value = out.moved.append, out.values.append
    get = members.get
    period = ""
    low = high = None
    f: dict[str, Any] = {}
    last_mid: str | None = None
    m: list[Any] = []
    # The periods met so far, by start (the effects come member by member, so an instant
    # often falls in another period than the effect before it): found by bisection.
    starts: list[datetime] = []
    known: list[tuple[datetime, str, dict[str, Any]]] = []
    for kind, fields, reason, e in effects:  # each branch reads its own type's fields
        at: datetime = fields["at"]
        mid: str = fields["member_id"]
        add_at(at)
        add_kind(kind)
        add_mid(mid)
        add_event(fields["event_id"])
        add_reason(reason)
        if low is None or not low <= at < high:  # type: ignore[operator]
            index = bisect_right(starts, at) - 1
            if index >= 0 and at < known[index][0]:
                low = starts[index]
                high, period, f = known[index]
            else:
                period = label(at)
                low, high = bounds(period)
                f = _flow(flows, period)
                index = bisect_right(starts, low)
                starts.insert(index, low)
                known.insert(index, (high, period, f))
        add_period(period)
        if mid != last_mid:
            found = get(mid)
            if found is None:
                found = members[mid] = new_member()
                new_members[period] = new_members.get(period, 0) + 1
            m, last_mid = found, mid
        balance = fields.get("balance")
        if balance is not None and kind.startswith(_POINTS_KINDS):
            # Points of another of Program.balances (status miles): never liability, and no
            # column of the program's own points moves.
            add_rule(f"{balance}/{fields['rule_id']}")
            add_delta(0)
            add_points(fields["points"])
            add_moved(0)
            add_value(None)
            continue
        add_rule(fields["rule_id"])
        moved = delta = 0  # delta: the effect's points_delta, spelt out per type below
        value: Decimal | None = None
        if kind == "points_earned":
            moved = points = fields["points"]
            if fields["status"] == "pending":
                m[PENDING] += moved
            else:
                m[AVAILABLE] += moved
                delta = moved
            m[EARNED] += moved
            f["points_earned"] += moved
        elif kind == "points_released":
            delta = points = fields["points"]
            m[PENDING] -= points
            m[AVAILABLE] += points
        elif kind == "tier_changed":
            points = None
            before, after = m[TIER], fields["to_tier"]
            moves = tier_moves.setdefault(period, {})
            moves[before] = moves.get(before, 0) - 1
            moves[after] = moves.get(after, 0) + 1
            m[TIER] = after
            if before is None and after is not None and m[TIER_AT] is None:
                m[TIER_AT] = at
                f["first_tier_reached"] += 1
                if m[FIRST_AT] is not None:
                    # a tier reached before the first order (at sign-up) took 0 days
                    days = max((at - m[FIRST_AT]).total_seconds() / 86400, 0.0)
                    first_tier_days.setdefault(period, []).append(days)
        elif kind == "points_expired" or kind == "points_revoked":
            points = taken = fields["points"]
            from_pending = fields["from_pending"]
            m[PENDING] -= from_pending
            delta = from_pending - taken
            m[AVAILABLE] += delta
            moved = -taken
            if kind == "points_expired":
                m[EXPIRED] += taken
                f["points_expired"] += taken
            else:
                debt = fields["debt_added"]
                if fields["rule_id"] == "clawback":
                    debt = -taken
                m[DEBT] += debt
                moved -= debt
                m[REVOKED] += taken
                f["points_revoked"] += taken
        elif kind == "points_redeemed":
            points = fields["points"]
            delta = moved = -points
            m[AVAILABLE] += moved
            m[REDEEMED] -= moved
            f["points_redeemed"] -= moved
        elif kind == "voucher_cancelled":
            delta = moved = points = fields["points"]
            m[AVAILABLE] += moved
            m[REDEEMED] -= moved
            f["points_redeemed"] -= moved
            worth = fields["voucher"].value  # None: a reward that is not money (a drink)
            value = None if worth is None else -worth.amount
            m[VOUCHERS] -= 1
            m[VOUCHER_VALUE] += value or 0
            f["vouchers"] -= 1
            f["voucher_value"] += value or 0
        elif kind == "voucher_issued":
            points = None
            worth = fields["voucher"].value  # None: a reward that is not money (a drink)
            value = None if worth is None else worth.amount
            m[VOUCHERS] += 1
            m[VOUCHER_VALUE] += value or 0
            f["vouchers"] += 1
            f["voucher_value"] += value or 0
        elif kind == "gift_granted":
            points = None
            value = fields["value"].amount
            m[GIFTS] += 1
            m[GIFT_VALUE] += value
            f["gifts"] += 1
            f["gift_cost"] += value
        elif kind == "gift_revoked":
            points = None
            if fields["charged_back"]:
                value = -fields["value"].amount
                m[GIFT_VALUE] += value
                f["gift_cost"] += value
        elif kind == "goodwill_granted":
            points = None
            value = fields["value"].amount
            f["goodwill_grants"] += 1
            if fields["kind"] != "points":
                m[GOODWILL] += value
                f["goodwill_paid"] += value
        else:  # moves nothing the tables count; its points, if it is a points effect
            # (a model: the effect types with a row are those above)
            points = fields["points"] if kind.startswith(_POINTS_KINDS) else None
            delta = e.points_delta
        if moved:
            outstanding[period] = outstanding.get(period, 0) + moved
        add_delta(delta)
        add_points(points)
        add_moved(moved)
        add_value(value)
    return out


def reason_texts(reasons: Sequence[Any]) -> list[str]:
    """The reasons :func:`effect_pass` kept, written: a text as it is, a ``LazyText``'s
    text, a log entry's model's reason (``reciprocity._effect_rows.entry_reason``)."""
    out: list[str] = []
    add = out.append
    memo: dict[Any, Any] = {}  # the builders' writers by id (the log keeps them alive), ...
    get = memo.get
    for reason in reasons:
        kind = type(reason)
        if kind is tuple:
            write = get(id(reason[0]))
            if write is None:
                write = memo[id(reason[0])] = writer_of(reason[0])
            add(write(memo, reason))
        elif kind is LazyText:
            add(reason.text)
        else:  # a text (or a str subclass, as a model may hold)
            add(reason)
    return out
