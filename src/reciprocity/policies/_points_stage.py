"""The point scheme compiled into closures over the hot member: stage 2 of every program."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import (
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_REMAINING,
    L_SOURCE,
    P_AMOUNT,
    P_CLOSED,
    P_EARNED,
    P_LINES,
    P_RETURNED,
    P_REVOKED,
    Log,
    Member,
    Row,
    Trace,
)
from .._stage import Check, Handler, Stage
from ..conditions import CompileContext
from ..effects import (
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReleased,
    PointsRevoked,
    VoucherCancelled,
    VoucherIssued,
)
from ..errors import (
    CurrencyMismatch,
    InsufficientPoints,
    InvalidEvent,
    ReturnExceedsPurchase,
    UnknownPurchase,
    UnknownReward,
)
from ..events import (
    CUSTOM,
    PROFILE,
    PURCHASE,
    REDEMPTION,
    RETURN,
    SIGNUP,
    Purchase,
    Redemption,
    Return,
)
from ..money import Money, Rounding
from ..state import MemberState, Voucher
from ._points_earn import Reason, compile_purchase_rule, reason_text, stack
from .limits import Period
from .points import (
    CampaignMultiplier,
    Inactivity,
    PointsAsCurrency,
    PointScheme,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Reward,
    TierMultiplier,
    fmt_date,
    plural,
)

__all__ = ["CompiledPoints", "check_purchase_currency"]

DueRunner = Callable[[Member, datetime, Log, Trace], None]
Earner = Callable[[Member, Row, Trace], tuple[int, str | None]]
_ZERO = Decimal(0)
_ONE = Decimal(1)


def _never(m: Member, until: datetime, log: Log, trace: Trace) -> None:
    """A due runner for handlers that are not fused with the step (never called)."""


def check_purchase_currency(event: Purchase, currency: str) -> None:
    """Refuse a purchase in another currency than the program's."""
    if event.amount.currency != currency:
        raise CurrencyMismatch(
            f"Purchase.amount={event.amount} is in {event.amount.currency} but the program "
            f"uses {currency}",
            hint=f"send amounts in {currency}; reciprocity never converts currencies",
        )


class CompiledPoints(Stage):
    """The point scheme as functions over a hot :class:`~reciprocity._engine.Member`."""

    name = "points"

    def __init__(self, scheme: PointScheme, ctx: CompileContext) -> None:
        self.scheme = scheme
        self.ctx = ctx
        self.zone = ZoneInfo(ctx.timezone)
        for rule in scheme.earn:
            if isinstance(rule, PointsPerPurchase) and rule.min_amount is not None:
                ctx.check_money(rule.min_amount, f"earn rule {rule.id!r} min_amount")
            if isinstance(rule, PointsPerAmount):
                ctx.check_money(rule.per, f"earn rule {rule.id!r} per")
        for reward in scheme.rewards:
            if isinstance(reward, Reward):
                ctx.check_money(reward.value, f"reward {reward.id!r} value")
            else:
                ctx.check_money(reward.point_value, f"reward {reward.id!r} point_value")
        self.rules: dict[str, PointsPerPurchase | PointsPerAmount | PointsForEvent] = {
            rule.id: rule for rule in (*scheme.earn, *scheme.events)}
        self.rewards = {reward.id: reward for reward in scheme.rewards}
        self.auto_rewards = tuple(r for r in scheme.rewards
                                  if isinstance(r, Reward) and r.auto_issue)
        self.lot_expiry = scheme.lot_expiry
        self.inactivity = scheme.expiry if isinstance(scheme.expiry, Inactivity) else None
        self.pool = scheme.pooled
        self.pending = (relativedelta(days=scheme.pending_days) if scheme.pending_days
                        else None)
        self.event_rules = {
            kind: [(rule, self._compile_event_rule(rule)) for rule in scheme.events
                   if rule.on == on]
            for kind, on in ((SIGNUP, "signup"), (PROFILE, "profile_completed"),
                             (CUSTOM, "custom"))
        }
        self.on_purchase = self.compile_purchase()

    # -- the Stage protocol ----------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        return {RETURN: self._check_return_row, REDEMPTION: self._check_redemption_row}

    def handlers(self) -> dict[int, Handler]:
        handlers: dict[int, Handler] = {
            PURCHASE: self.on_purchase,
            RETURN: lambda m, row, log, trace: self.on_return(m, row[5], log, trace),
            REDEMPTION: lambda m, row, log, trace: self.redeem(m, row[5], log, trace),
        }
        for kind in (SIGNUP, PROFILE):
            if self.event_rules[kind]:
                handlers[kind] = self._on_member_event
        if self.event_rules[CUSTOM] or self.scheme.release_on is not None:
            handlers[CUSTOM] = self._on_custom
        return handlers

    def _check_return_row(self, m: Member, row: Row) -> None:
        event: Return = row[5]
        m.last_return = (event.purchase_id, self.check_return(m, event))

    def _check_redemption_row(self, m: Member, row: Row) -> None:
        self.check_redemption(m, row[5])

    def next_due(self, m: Member) -> datetime | None:
        due: datetime | None = None
        for lot in m.lots:
            for when in ((lot[L_AVAILABLE_AT], lot[L_EXPIRES]) if lot[L_PENDING]
                         else (lot[L_EXPIRES],)):
                if when is not None and (due is None or when < due):
                    due = when
        if self.inactivity is not None and m.last_activity is not None and (
                m.available or m.pending):
            when = self.inactivity.due(m.last_activity, self.zone)
            if due is None or when < due:
                due = when
        return due

    def thaw(self, state: MemberState, m: Member) -> None:
        m.earn_counters = dict(state.earn_counters)
        m.last_activity = state.last_activity_at

    def freeze(self, m: Member) -> dict[str, Any]:
        return {"earn_counters": dict(sorted(m.earn_counters.items())),
                "last_activity_at": m.last_activity}

    # -- effect builders (called lazily) ---------------------------------------------------
    def _earned(self, mid: str, lot: list[Any], pending: bool,
                reason: Reason) -> PointsEarned:
        lot_id, rule_id, eid, at, points, _, _, available_at, expires_at = lot
        return self._earned_effect(mid, lot_id, rule_id, eid, at, points, pending,
                                   available_at, expires_at, reason)

    def _pooled(self, mid: str, rule_id: str, eid: str, at: datetime, points: int,
                reason: Reason) -> PointsEarned:
        return self._earned_effect(mid, None, rule_id, eid, at, points, False, None, None,
                                   reason)

    def _earned_effect(self, mid: str, lot_id: str | None, rule_id: str, eid: str,
                       at: datetime, points: int, pending: bool, available_at: datetime | None,
                       expires_at: datetime | None, reason: Reason) -> PointsEarned:
        reason = reason_text(reason)
        if reason is None:
            rule = self.rules[rule_id]
            assert isinstance(rule, PointsPerPurchase)
            reason = rule.reason(points, eid)
        if available_at is not None:
            reason += f", available from {fmt_date(available_at, self.zone)}"
        elif pending:
            reason += f", available once the order is {self.scheme.release_on}"
        if expires_at is not None:
            reason += f", valid until {fmt_date(expires_at - timedelta(seconds=1), self.zone)}"
        return PointsEarned.model_construct(
            rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
            lot_id=lot_id, status="pending" if pending else "available",
            available_at=available_at, expires_at=expires_at,
        )

    # -- earning helpers -------------------------------------------------------------------
    def _factors(self, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                 ) -> Callable[[Member, Row], tuple[list[Decimal], list[str]]]:
        """Order-level multipliers (tier, campaign) of a rule, compiled."""
        campaigns = [(m, m.when.compile(self.ctx)) for m in rule.multipliers
                     if isinstance(m, CampaignMultiplier)]
        tier = any(isinstance(m, TierMultiplier) for m in rule.multipliers)

        def factors(m: Member, row: Row) -> tuple[list[Decimal], list[str]]:
            found: list[Decimal] = []
            notes: list[str] = []
            if tier and m.tier_benefits is not None:
                factor = Decimal(m.tier_benefits.points_multiplier)
                if factor != _ONE:
                    found.append(factor)
                    notes.append(f"x{factor.normalize()} for tier {m.tier_id}")
            for campaign, when in campaigns:
                if when(m, row):
                    found.append(campaign.factor)
                    notes.append(campaign.describe())
            return found, notes

        return factors

    def _capped(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                points: int, at: datetime) -> tuple[int, str]:
        """Apply the rule's caps; return the points allowed and a note when capped."""
        note = ""
        for cap in rule.caps:
            period = cap.period
            if period is None:
                allowed = cap.points
            else:
                key = f"{rule.id}@{cap.per}@{period.key(at, self.zone)}"
                allowed = cap.points - m.earn_counters.get(key, 0)
            if points > allowed:
                points = max(allowed, 0)
                note = f" (capped: {cap.describe()})"
        return points, note

    def _count(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
               points: int, at: datetime) -> None:
        """Add credited points to the rule's period counters, forgetting ended periods."""
        counters = m.earn_counters
        for per in {cap.per for cap in rule.caps if cap.period is not None}:
            prefix = f"{rule.id}@{per}@"
            key = prefix + Period(per).key(at, self.zone)
            for old in [k for k in counters if k.startswith(prefix) and k != key]:
                del counters[old]
            counters[key] = counters.get(key, 0) + points

    def _uncount(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                 points: int, at: datetime) -> None:
        for per in {cap.per for cap in rule.caps if cap.period is not None}:
            key = f"{rule.id}@{per}@{Period(per).key(at, self.zone)}"
            if key in m.earn_counters:
                m.earn_counters[key] = max(0, m.earn_counters[key] - points)

    # -- purchase ------------------------------------------------------------------------
    def compile_purchase(self, fused_due: DueRunner | None = None,
                         after: tuple[Handler, ...] = ()) -> Handler:
        """The purchase handler: earn points on the order.

        With ``fused_due`` (the engine's time loop) the closure is the whole purchase step:
        housekeeping when due, the order's facts, earning, the purchase handlers of the
        families after points (``after``, in stage order), the applied id and the state's
        time, so a replay makes one call per purchase. Without it, the engine has recorded
        the order's facts already. Simple threshold rules (no multiplier, cap or rounding)
        are evaluated inline; the others by earners compiled in ``_points_earn``.
        """
        rules = []
        for rule in self.scheme.earn:
            simple = (isinstance(rule, PointsPerPurchase) and not rule.multipliers
                      and not rule.caps)
            limit = (rule.min_amount.amount if isinstance(rule, PointsPerPurchase)
                     and rule.min_amount is not None else None)
            pred = None if rule.when is None else rule.when.compile(self.ctx)
            rules.append((rule.id, "/" + rule.id,
                          rule.points if isinstance(rule, PointsPerPurchase) else 0,
                          limit, isinstance(rule, PointsPerPurchase) and rule.inclusive,
                          pred if simple else None,
                          None if simple else compile_purchase_rule(rule, self.ctx, self._capped),
                          rule))
        pending = self.pending
        is_pending = self.scheme.has_pending
        expiry = self.lot_expiry
        zone = self.zone
        earned = self._earned
        pooled_earned = self._pooled
        repay = self._repay_debt
        count = self._count
        auto = self._auto_issue if self.auto_rewards else None
        pool = self.pool
        track_activity = self.inactivity is not None
        touch = self._touch
        fused = fused_due is not None
        due_runner: DueRunner = fused_due if fused_due is not None else _never
        others = tuple(after)

        if (fused and not others and pool and auto is None and not track_activity
                and len(rules) == 1 and rules[0][5] is None and rules[0][6] is None):
            # The seed shape (one plain threshold rule, pooled points, nothing else on
            # purchases): the same step as below with the loop and the options unrolled.
            rule_id, suffix, points, limit, inclusive, _, _, any_rule = rules[0]
            assert isinstance(any_rule, PointsPerPurchase)  # a rule without an earner is one
            rule = any_rule
            rule_points: dict[str, int] = {rule_id: points}

            def seed_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
                _, eid, mid, at, amount, event = row
                due = m.next_due
                if due is not None and due <= at:
                    due_runner(m, at, log, trace)
                record: list[Any] = [at, amount, _ZERO, None, None,
                                     None if event is None or not event.lines
                                     else _line_record(event), False]
                m.purchases[eid] = record
                m.purchase_count += 1
                m.spend += amount  # type: ignore[operator]
                if limit is None or (amount >= limit if inclusive else amount > limit):  # type: ignore[operator]
                    m.pooled += points
                    m.available += points
                    log.append((pooled_earned, mid, rule_id, eid, at, points, None))
                    m.earned += points
                    record[3] = rule_points.copy()
                    if trace is not None:
                        trace.append((rule_id, "applied", rule.reason(points, eid)))
                    if m.debt:
                        repay(m, eid + suffix, eid, at, log)
                elif trace is not None:
                    trace.append((rule_id, "skipped", f"order {eid} is {amount} {m.currency}, "
                                  f"not {'at least' if inclusive else 'over'} {limit} "
                                  f"{m.currency}"))
                m.applied[eid] = row  # fingerprinted lazily, see _engine.fingerprints
                as_of = m.as_of
                if as_of is None or at > as_of:
                    m.as_of = at

            return seed_purchase

        def on_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
            _, eid, mid, at, amount, event = row
            if fused:
                due = m.next_due
                if due is not None and due <= at:
                    due_runner(m, at, log, trace)
                record: list[Any] = [at, amount, _ZERO, None, None,
                                     None if event is None or not event.lines
                                     else _line_record(event), False]
                m.purchases[eid] = record
                m.purchase_count += 1
                m.spend += amount  # type: ignore[operator]
            else:
                record = m.purchases[eid]
            if track_activity:
                touch(m, at)
            for rule_id, suffix, points, limit, inclusive, pred, general, rule in rules:
                reason: Reason = None
                if general is not None:
                    points, reason = general(m, row, trace)
                    if not points:
                        continue
                else:
                    if limit is not None and (amount < limit if inclusive else amount <= limit):  # type: ignore[operator]
                        if trace is not None:
                            trace.append((rule_id, "skipped", f"order {eid} is {amount} "
                                          f"{m.currency}, not "
                                          f"{'at least' if inclusive else 'over'} "
                                          f"{limit} {m.currency}"))
                        continue
                    if pred is not None and not pred(m, row):
                        if trace is not None:
                            trace.append((rule_id, "skipped", f"condition not met: {rule.when}"))
                        continue
                if pool:
                    m.pooled += points
                    m.available += points
                    log.append((pooled_earned, mid, rule_id, eid, at, points, reason))
                else:
                    available_at = (None if pending is None
                                    else (at.astimezone(zone) + pending).astimezone(UTC))
                    expires_at = None if expiry is None else expiry.expires_at(at, zone)
                    lot = [eid + suffix, rule_id, eid, at, points, points, is_pending,
                           available_at, expires_at]
                    m.add_lot(lot)
                    log.append((earned, mid, lot, is_pending, reason))
                m.earned += points
                if record[3] is None:
                    record[3] = {rule_id: points}
                else:
                    record[3][rule_id] = points
                if rule.caps:
                    count(m, rule, points, at)
                if trace is not None:
                    trace.append((rule_id, "applied",
                                  reason_text(reason)
                                  or self._earned_effect(mid, None, rule_id, eid, at, points,
                                                         False, None, None, None).reason))
                if m.debt:
                    repay(m, eid + suffix, eid, at, log)
            if auto is not None:
                auto(m, eid, at, log, trace)
            if fused:
                for handler in others:
                    handler(m, row, log, trace)
                m.applied[eid] = row  # fingerprinted lazily, see _engine.fingerprints
                as_of = m.as_of
                if as_of is None or at > as_of:
                    m.as_of = at

        return on_purchase

    # -- points from other events ----------------------------------------------------------
    def _compile_event_rule(self, rule: PointsForEvent) -> Earner:
        pred = None if rule.when is None else rule.when.compile(self.ctx)
        factors = self._factors(rule)
        once_key = f"{rule.id}@once"

        def earn(m: Member, row: Row, trace: Trace) -> tuple[int, str | None]:
            event = row[5]
            if rule.on == "custom" and event.name != rule.name:
                return 0, None
            if rule.on == "profile_completed" and not set(rule.required_fields) <= (
                    m.profile_fields):
                if trace is not None:
                    missing = sorted(set(rule.required_fields) - m.profile_fields)
                    trace.append((rule.id, "skipped", "profile not complete yet: missing "
                                  + ", ".join(missing)))
                return 0, None
            if rule.on != "custom" and m.earn_counters.get(once_key):
                if trace is not None:
                    trace.append((rule.id, "skipped", "given once already"))
                return 0, None
            if pred is not None and not pred(m, row):
                if trace is not None:
                    trace.append((rule.id, "skipped", f"condition not met: {rule.when}"))
                return 0, None
            found, notes = factors(m, row)
            points = rule.rounding.to_int(rule.points * stack(found, rule.stacking))
            points, capped = self._capped(m, rule, points, row[3])
            if points <= 0:
                if trace is not None:
                    trace.append((rule.id, "skipped", "no points" + capped))
                return 0, None
            reason = rule.reason(points, row[1])
            if notes:
                reason += " (" + ", ".join(notes) + ")"
            return points, reason + capped

        return earn

    def _on_member_event(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        for rule, earn in self.event_rules[row[0]]:
            self._credit_event(m, row, rule, earn, log, trace)

    def _credit_event(self, m: Member, row: Row, rule: PointsForEvent, earn: Earner,
                      log: Log, trace: Trace) -> None:
        points, reason = earn(m, row, trace)
        if not points or reason is None:
            return
        if rule.on != "custom":
            m.earn_counters[f"{rule.id}@once"] = 1
        self._count(m, rule, points, row[3])
        self.grant(m, points, rule.id, row[1], row[3], reason, log, trace)

    def _on_custom(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        event = row[5]
        if self.scheme.release_on is not None and event.name == self.scheme.release_on:
            self._release_order(m, row, log, trace)
        for rule, earn in self.event_rules[CUSTOM]:
            self._credit_event(m, row, rule, earn, log, trace)

    def _release_order(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        payload = row[5].payload
        order = payload.get("order_id", payload.get("purchase_id"))
        released = 0
        for lot in m.lots:
            if lot[L_PENDING] and lot[L_SOURCE] == order:
                points = lot[L_REMAINING]
                m.pending -= points
                m.available += points
                lot[L_PENDING] = False
                released += points
                m.schedule(lot[L_EXPIRES])
                if points:
                    log.append((_build_released, m.member_id, row[3], points, lot[L_ID],
                                f"the order is {self.scheme.release_on}", row[1]))
        if trace is not None:
            trace.append(("pending", "applied" if released else "note",
                          f"{plural(released)} of order {order} released" if released
                          else f"no pending points for order {order!r}"))

    def grant(self, m: Member, points: int, rule_id: str, event_id: str, at: datetime,
              reason: str, log: Log, trace: Trace) -> None:
        """Credit ``points`` on behalf of another family (goodwill, a points gift) or a
        non-purchase rule.

        The points join the scheme like earned ones: a lot with the scheme's expiry (or the
        pool), counted in ``points_earned``, repaying debt first, with a ``PointsEarned``
        effect carrying ``reason``. They are available at once (no pending period).
        """
        if points <= 0:
            return
        lot_id = f"{event_id}/{rule_id}"
        expires_at = None
        if self.pool:
            m.pooled += points
            m.available += points
            held: str | None = None
        else:
            if self.lot_expiry is not None:
                expires_at = self.lot_expiry.expires_at(at, self.zone)
            m.add_lot([lot_id, rule_id, event_id, at, points, points, False, None, expires_at])
            held = lot_id
        m.earned += points
        if self.inactivity is not None:
            self._touch(m, at)
        log.append((_build_granted, rule_id, m.member_id, event_id, at, points, held,
                    expires_at, reason))
        if trace is not None:
            trace.append((rule_id, "applied", reason))
        if m.debt:
            self._repay_debt(m, lot_id, event_id, at, log)

    def _touch(self, m: Member, at: datetime) -> None:
        """Record activity at ``at`` and ask the engine to look again when it would lapse."""
        assert self.inactivity is not None
        if m.last_activity is None or at > m.last_activity:
            m.last_activity = at
        m.schedule(self.inactivity.due(m.last_activity, self.zone))

    def _repay_debt(self, m: Member, lot_id: str, eid: str, at: datetime, log: Log) -> None:
        """Withhold new points to repay debt: from the new lot, or from the pool."""
        lot = next((lot for lot in reversed(m.lots) if lot[L_ID] == lot_id), None)
        if lot is None:
            pay = min(m.debt, m.pooled)
            m.pooled -= pay
            m.available -= pay
            from_pending = 0
        else:
            pay = min(m.debt, lot[L_REMAINING])
            from_pending = pay if lot[L_PENDING] else 0
            m.take_from_lot(lot, pay)
            m.drop_empty_lots()
        if not pay:
            return
        m.debt -= pay
        m.revoked += pay
        log.append((_build_revoked, "clawback", m.member_id, eid, at, pay, from_pending, 0,
                    None, f"{plural(pay)} of {eid} repay points owed after a return"))

    # -- redemption ----------------------------------------------------------------------
    def check_redemption(self, m: Member, event: Redemption) -> Reward | PointsAsCurrency:
        """Refuse an unknown reward, a malformed request or a shortfall; change nothing."""
        reward = self.rewards.get(event.reward_id)
        if reward is None:
            known = ", ".join(sorted(self.rewards)) or "none"
            raise UnknownReward(
                f"Redemption.reward_id={event.reward_id!r} is not in the catalogue",
                hint=f"use one of: {known}",
            )
        if isinstance(reward, PointsAsCurrency):
            if event.points is None:
                raise InvalidEvent(
                    f"Redemption {event.id}: reward {reward.id!r} pays with points, so "
                    "Redemption.points is needed", hint=f"say how many, from {reward.min_points}")
            if event.points < reward.min_points or event.points % reward.step:
                raise InvalidEvent(
                    f"Redemption.points={event.points} for {reward.id!r}: "
                    f"{reward.describe()}", hint=f"redeem at least {reward.min_points}"
                    + (f" in multiples of {reward.step}" if reward.step > 1 else ""))
            cost, what = event.points, f"{reward.name} of {plural(event.points)}"
        else:
            if event.points is not None:
                raise InvalidEvent(
                    f"Redemption.points={event.points} for fixed reward {reward.id!r}",
                    hint="leave points out; the reward has a fixed price")
            cost = reward.points * event.quantity
            what = reward.name if event.quantity == 1 else f"{event.quantity} x {reward.name}"
        if m.available < cost:
            short = cost - m.available
            raise InsufficientPoints(
                f"Redemption {event.id}: {what} costs {plural(cost)} but member "
                f"{m.member_id} has {m.available} available: {short} short",
                shortfall=short,
                hint=f"collect {plural(short)} more"
                + (f" ({m.pending} pending)" if m.pending else ""),
            )
        return reward

    def redeem(self, m: Member, event: Redemption, log: Log, trace: Trace) -> None:
        """Spend points on a reward (the engine ran :meth:`check_redemption` first)."""
        reward = self.rewards[event.reward_id]
        if self.inactivity is not None:
            self._touch(m, event.at)
        if isinstance(reward, PointsAsCurrency):
            assert event.points is not None
            value = Money(reward.point_value.amount * event.points, self.ctx.currency)
            self._issue(m, reward.id, reward.name, event.points, value,
                        reward.expires_at(event.at, self.zone), event.id, event.at, 0,
                        log, trace)
            return
        for index in range(event.quantity):
            self._issue(m, reward.id, reward.name, reward.points, reward.value,
                        reward.expires_at(event.at, self.zone), event.id, event.at, index,
                        log, trace)

    def _issue(self, m: Member, reward_id: str, name: str, points: int, value: Money,
               expires: datetime | None, eid: str, at: datetime, index: int, log: Log,
               trace: Trace) -> None:
        m.take_available(points, newest_first=self.scheme.redemption_order == "lifo")
        m.redeemed += points
        voucher = Voucher.model_construct(
            code=f"{eid}/{reward_id}/{index + 1}", reward_id=reward_id, value=value,
            issued_at=at, expires_at=expires, source_event_id=eid,
        )
        m.vouchers.append(voucher)
        log.append((_build_redeemed, reward_id, name, points, m.member_id, eid, at))
        log.append((_build_voucher, reward_id, name, m.member_id, eid, at, voucher, self.zone))
        if trace is not None:
            trace.append((reward_id, "applied", f"{plural(points)} redeemed for {name} worth "
                          f"{value}"))

    def _auto_issue(self, m: Member, eid: str, at: datetime, log: Log, trace: Trace) -> None:
        index = sum(1 for v in m.vouchers if v.source_event_id == eid)
        for reward in self.auto_rewards:
            while m.available >= reward.points:
                self._issue(m, reward.id, reward.name, reward.points, reward.value,
                            reward.expires_at(at, self.zone), eid, at, index, log, trace)
                index += 1

    # -- returns -------------------------------------------------------------------------
    def check_return(self, m: Member, event: Return) -> Decimal:
        """The amount this return takes back, or an error; nothing changes here."""
        record = m.purchases.get(event.purchase_id)
        if record is None:
            raise UnknownPurchase(
                f"Return {event.id}: purchase_id={event.purchase_id!r} is unknown for member "
                f"{m.member_id}",
                hint="apply the purchase first, or check the id",
            )
        left: Decimal = record[P_AMOUNT] - record[P_RETURNED]
        if record[P_CLOSED]:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: purchase {event.purchase_id} was already returned in "
                "full", hint="drop this return",
            )
        if event.lines:
            return _lines_amount(event, record, m.currency)
        if event.amount is None:
            return left
        if event.amount.currency != m.currency:
            raise CurrencyMismatch(
                f"Return.amount={event.amount} is in {event.amount.currency} but the program "
                f"uses {m.currency}", hint=f"send the amount in {m.currency}",
            )
        if event.amount.amount > left:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: amount={event.amount} is more than the "
                f"{Money(left, m.currency)} left of purchase {event.purchase_id}",
                hint="return at most what is left",
            )
        return event.amount.amount

    def on_return(self, m: Member, event: Return, log: Log, trace: Trace) -> None:
        """Take back the points the order earned, as stored when it earned them.

        A per-order rule takes all back once the kept amount no longer qualifies; a
        per-amount rule takes back in proportion to what was returned. The engine has
        checked the return and recorded it on the order already.
        """
        record = m.purchases[event.purchase_id]
        if event.lines and record[P_LINES] is not None:
            for returned in event.lines:
                record[P_LINES][returned.sku][3] += returned.quantity
        if record[P_EARNED] is None:
            return
        if record[P_REVOKED] is None:
            record[P_REVOKED] = {}
        amount, gone = record[P_AMOUNT], record[P_RETURNED]
        kept = _ZERO if record[P_CLOSED] else amount - gone
        for rule_id, points in sorted(record[P_EARNED].items()):
            rule = self.rules.get(rule_id)
            revoked = record[P_REVOKED].get(rule_id, 0)
            if kept <= 0:
                target, why = points, "the order was returned in full"
            elif isinstance(rule, PointsPerPurchase):
                if rule.qualifies(kept):
                    if trace is not None:
                        trace.append((rule_id, "skipped", f"kept amount {kept} {m.currency} "
                                      "still earns these points"))
                    continue
                target, why = points, f"the kept amount {kept} {m.currency} no longer qualifies"
            elif (isinstance(rule, PointsPerAmount) and rule.filters_lines and event.lines
                  and record[P_LINES] is not None):
                # Returned lines: the share of the amount that earned points goes back.
                earning = back = _ZERO
                for sku, (price, category, bought, returned) in record[P_LINES].items():
                    if rule.counts_line(sku, category):
                        earning += price * bought
                        back += price * returned
                share = back / earning if earning else _ZERO
                target = min(points, rule.clawback_rounding.to_int(points * share))
                why = (f"{Money(back, m.currency)} of the {Money(earning, m.currency)} "
                       "that earned points returned")
            else:
                mode = rule.clawback_rounding if isinstance(rule, PointsPerAmount) \
                    else Rounding.HALF_UP
                target = min(points, mode.to_int(points * gone / amount))
                why = f"{Money(gone, m.currency)} of {Money(amount, m.currency)} returned"
            if target <= revoked:
                continue
            record[P_REVOKED][rule_id] = target
            if rule is not None and rule.caps:
                self._uncount(m, rule, target - revoked, record[0])
            self._revoke(m, event, rule_id, target - revoked, why, log, trace)

    def _revoke(self, m: Member, event: Return, rule_id: str, points: int, why: str,
                log: Log, trace: Trace) -> None:
        lot_id = f"{event.purchase_id}/{rule_id}"
        taken = from_pending = 0
        for lot in m.lots:  # first the purchase's own lot, whatever its status
            if lot[L_ID] == lot_id and lot[L_REMAINING]:
                taken = min(points, lot[L_REMAINING])
                from_pending = taken if lot[L_PENDING] else 0
                m.take_from_lot(lot, taken)
        if points - taken > m.available:
            self._cancel_auto_vouchers(m, event, points - taken, log, trace)
        if taken < points:  # then other available points, the pool and newest lots first
            taken += m.take_newest(points - taken)
        m.drop_empty_lots()
        short = points - taken
        debt = short if self.scheme.clawback == "debt" else 0
        m.debt += debt
        m.revoked += taken
        reason = f"{plural(points)} of order {event.purchase_id} taken back: {why}"
        if short:
            reason += (f"; {short} already spent, owed from future points" if debt
                       else f"; {short} already spent, absorbed by the shop")
        log.append((_build_revoked, rule_id, m.member_id, event.id, event.at, taken,
                    from_pending, debt, event.purchase_id, reason))
        if trace is not None:
            trace.append((rule_id, "applied", reason))

    def _cancel_auto_vouchers(self, m: Member, event: Return, needed: int, log: Log,
                              trace: Trace) -> None:
        """Cancel vouchers the returned order issued automatically, newest first, until the
        balance covers ``needed``: otherwise buying and returning would yield a voucher."""
        for voucher in reversed(list(m.vouchers)):
            if m.available >= needed:
                break
            if voucher.source_event_id != event.purchase_id:
                continue
            reward = self.rewards.get(voucher.reward_id)
            points = reward.points if isinstance(reward, Reward) else 0
            m.vouchers.remove(voucher)
            m.redeemed -= points
            if self.pool:
                m.pooled += points
                m.available += points
            else:
                expires = (None if self.lot_expiry is None
                           else self.lot_expiry.expires_at(voucher.issued_at, self.zone))
                m.add_lot([f"{voucher.code}/restored", voucher.reward_id, event.purchase_id,
                           voucher.issued_at, points, points, False, None, expires])
            m.schedule(self.next_due(m))  # restored points may be due at once (inactivity)
            reason = (f"{voucher.value} voucher {voucher.code} cancelled: order "
                      f"{event.purchase_id} was returned; its {plural(points)} come back")
            log.append((_build_cancelled, voucher.reward_id, m.member_id, event.id, event.at,
                        voucher, points, reason))
            if trace is not None:
                trace.append((voucher.reward_id, "applied", reason))

    # -- time ------------------------------------------------------------------------------
    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        """Release pending lots and expire lots whose time has come, in time order."""
        due: list[tuple[datetime, int, list[Any]]] = []
        for lot in m.lots:
            release, expires = lot[L_AVAILABLE_AT], lot[L_EXPIRES]
            if lot[L_PENDING] and release is not None and release <= until:
                due.append((release, 0, lot))
            if expires is not None and expires <= until:
                due.append((expires, 1, lot))
        due.sort(key=lambda item: (item[0], item[1], item[2][L_ID]))
        for when, kind, lot in due:
            points = lot[L_REMAINING]
            if kind == 0:
                m.pending -= points
                m.available += points
                lot[L_PENDING] = False
                if points:
                    log.append((_build_released, m.member_id, when, points, lot[L_ID],
                                "the return window has closed", None))
                    if self.auto_rewards:  # "as soon as the balance reaches" includes now
                        self._auto_issue(m, lot[L_SOURCE], when, log, trace)
            elif points:
                from_pending = points if lot[L_PENDING] else 0
                m.take_from_lot(lot, points)
                m.expired += points
                rule = self.lot_expiry.describe() if self.lot_expiry is not None else "expiry"
                log.append((_build_expired, m.member_id, when, points, lot[L_ID],
                            f"{plural(points)} earned on {fmt_date(lot[L_AT], self.zone)} "
                            f"expired ({rule})", from_pending))
                if trace is not None:
                    trace.append(("expiry", "applied", f"{plural(points)} of lot {lot[L_ID]} "
                                  "expired"))
        m.drop_empty_lots()
        if self.inactivity is not None and m.last_activity is not None:
            when = self.inactivity.due(m.last_activity, self.zone)
            if when <= until and (m.available or m.pending):
                self._expire_all(m, when, log, trace)

    def _expire_all(self, m: Member, when: datetime, log: Log, trace: Trace) -> None:
        assert self.inactivity is not None
        points = m.available + m.pending
        from_pending = m.pending
        for lot in m.lots:
            m.take_from_lot(lot, lot[L_REMAINING])
        m.drop_empty_lots()
        m.available -= m.pooled
        m.pooled = 0
        m.expired += points
        reason = (f"{plural(points)} expired: no activity for "
                  f"{plural(self.inactivity.months, 'month')}")
        log.append((_build_expired, m.member_id, when, points, None, reason, from_pending))
        if trace is not None:
            trace.append(("expiry", "applied", reason))


def _line_record(event: Purchase) -> dict[str, list[Any]]:
    """sku -> [unit price, category, quantity bought, quantity returned]."""
    lines: dict[str, list[Any]] = {}
    for line in event.lines:
        entry = lines.get(line.sku)
        if entry is None:
            lines[line.sku] = [line.unit_price.amount, line.category, line.quantity, 0]
        else:
            entry[2] += line.quantity
    return lines


def _lines_amount(event: Return, record: list[Any], currency: str) -> Decimal:
    lines = record[P_LINES]
    if lines is None:
        raise ReturnExceedsPurchase(
            f"Return {event.id}: returns by line need the purchase's lines, which purchase "
            f"{event.purchase_id} did not have", hint="give the returned amount instead")
    total = _ZERO
    for returned in event.lines:
        entry = lines.get(returned.sku)
        if entry is None:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: sku {returned.sku!r} is not on purchase "
                f"{event.purchase_id}", hint="return skus the order had")
        left = entry[2] - entry[3]
        if returned.quantity > left:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: {returned.quantity} x {returned.sku} but only {left} "
                f"left of purchase {event.purchase_id}", hint="return at most what is left")
        total += entry[0] * returned.quantity
    left_amount: Decimal = record[P_AMOUNT] - record[P_RETURNED]
    return min(total, left_amount)


def _build_redeemed(reward_id: str, name: str, points: int, mid: str, eid: str,
                    at: datetime) -> PointsRedeemed:
    return PointsRedeemed.model_construct(
        rule_id=reward_id, reason=f"{plural(points)} redeemed for {name}", member_id=mid,
        event_id=eid, at=at, points=points, reward_id=reward_id,
    )


def _build_voucher(reward_id: str, name: str, mid: str, eid: str, at: datetime,
                   voucher: Voucher, zone: ZoneInfo) -> VoucherIssued:
    reason = f"{name} worth {voucher.value}"
    if voucher.expires_at is not None:
        reason += f", valid until {fmt_date(voucher.expires_at - timedelta(seconds=1), zone)}"
    return VoucherIssued.model_construct(
        rule_id=reward_id, reason=reason, member_id=mid, event_id=eid, at=at, voucher=voucher,
    )


def _build_cancelled(rule_id: str, mid: str, eid: str, at: datetime, voucher: Voucher,
                     points: int, reason: str) -> VoucherCancelled:
    return VoucherCancelled.model_construct(
        rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, voucher=voucher,
        points=points,
    )


def _build_granted(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   lot_id: str | None, expires_at: datetime | None,
                   reason: str) -> PointsEarned:
    return PointsEarned.model_construct(
        rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
        lot_id=lot_id, status="available", available_at=None, expires_at=expires_at,
    )


def _build_revoked(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   from_pending: int, debt: int, purchase_id: str | None,
                   reason: str) -> PointsRevoked:
    return PointsRevoked.model_construct(
        rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
        from_pending=from_pending, debt_added=debt, purchase_id=purchase_id,
    )


def _build_released(mid: str, at: datetime, points: int, lot_id: str, why: str,
                    event_id: str | None) -> PointsReleased:
    order = lot_id.rsplit("/", 1)[0]
    return PointsReleased.model_construct(
        rule_id="pending",
        reason=f"{plural(points)} from order {order} {'is' if points == 1 else 'are'} now "
        f"available: {why}",
        member_id=mid, event_id=event_id, at=at, points=points, lot_id=lot_id,
    )


def _build_expired(mid: str, at: datetime, points: int, lot_id: str | None,
                   reason: str, from_pending: int) -> PointsExpired:
    return PointsExpired.model_construct(
        rule_id="expiry", reason=reason, member_id=mid, event_id=None, at=at, points=points,
        lot_id=lot_id, from_pending=from_pending,
    )

