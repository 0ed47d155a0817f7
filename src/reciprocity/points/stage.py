"""The point scheme compiled into closures over the hot member: stage 2 of every program.

Holds :class:`CompiledPoints` (construction, the stage protocol, the purchase step with its
fused hot path, points for sign-up, profile and custom events) and
:func:`check_purchase_currency`. The class is built in layers, one module each, each layer
using only the ones below: ``lots`` -> ``redeem`` -> ``expiry`` -> ``returns`` -> here.

Imports: the core, the points declarations (``rules``, ``scheme``), ``earn`` and the layers
below; never another family. ``reciprocity._pipeline`` builds the stage (declarations never
import it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .._engine import (
    P_EARNED,
    Log,
    Member,
    Row,
    Trace,
)
from .._reason import LazyText, Msg, built
from .._stage import Check, Handler
from ..conditions import CompileContext
from ..errors import (
    CurrencyMismatch,
)
from ..events import (
    CUSTOM,
    PROFILE,
    PURCHASE,
    REDEMPTION,
    RETURN,
    SIGNUP,
    Purchase,
)
from .earn import Reason, cap_note, compile_purchase_rule, noted, stack
from .returns import ReturnStage, line_record
from .rules import (
    CampaignMultiplier,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    TierMultiplier,
)
from .scheme import (
    Inactivity,
    PointScheme,
    Reward,
)
from .shift import add_days
from .units import reason_unit, traced, units_word

__all__ = ["CompiledPoints", "check_purchase_currency"]

DueRunner = Callable[[Member, datetime, Log, Trace], object]
Earner = Callable[[Member, Row, Trace], tuple[int, Msg | None]]
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


class CompiledPoints(ReturnStage):
    """The point scheme as functions over a hot :class:`~reciprocity._engine.Member`."""

    seed_rule: tuple[str, int, Decimal | None, bool, PointsPerPurchase] | None = None
    """``(rule id, points, min amount, inclusive, rule)`` once the fused purchase step is the
    seed shape (``compile_purchase``): ``_express`` takes that step on a kept state."""

    def __init__(self, scheme: PointScheme, ctx: CompileContext,
                 tier_exempt: bool = False) -> None:
        """``tier_exempt``: some tier of the program exempts these points from expiry (see
        ``LotStage.tier_exempt``); the ladder was checked to allow it."""
        self.scheme = scheme
        self.tier_exempt = tier_exempt
        self.ctx = ctx
        self.unit = reason_unit(scheme.unit)
        self.zone = ZoneInfo(ctx.timezone)
        for rule in scheme.earn:
            if isinstance(rule, PointsPerPurchase) and rule.min_amount is not None:
                ctx.check_money(rule.min_amount, f"earn rule {rule.id!r} min_amount")
            if isinstance(rule, PointsPerAmount):
                ctx.check_money(rule.per, f"earn rule {rule.id!r} per")
        for reward in scheme.rewards:
            if isinstance(reward, Reward):
                if reward.value is not None:
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
        self.pending = add_days(scheme.pending_days) if scheme.pending_days else None
        """The pending days: added on the wall clock, as ``relativedelta(days=...)`` is."""
        self.event_rules = {
            kind: [(rule, self._compile_event_rule(rule)) for rule in scheme.events
                   if rule.on == on]
            for kind, on in ((SIGNUP, "signup"), (PROFILE, "profile_completed"),
                             (CUSTOM, "custom"))
        }
        self.named_rules = tuple(rule for rule in scheme.events if rule.named)
        self.on_purchase = self.compile_purchase()

    # -- the Stage protocol ----------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        checks: dict[int, Check] = {RETURN: self._check_return_row,
                                    REDEMPTION: self._check_redemption_row}
        if self.named_rules:
            checks[CUSTOM] = self._check_named_points
        return checks

    def _check_named_points(self, m: Member, row: Row) -> None:
        """Refuse a custom event whose named points are missing or out of a rule's bounds."""
        event = row[5]
        for rule in self.named_rules:
            if rule.name == event.name:
                rule.named_points(event.id, event.payload)

    def handlers(self) -> dict[int, Handler]:
        handlers: dict[int, Handler] = {
            PURCHASE: self.on_purchase,
            RETURN: lambda m, row, log, trace: self.on_return(m, row[5], log, trace),
            REDEMPTION: lambda m, row, log, trace: None if row[5].reward_id in (
                self.foreign_rewards) else self.redeem(m, row[5], log, trace),
        }
        for kind in (SIGNUP, PROFILE):
            if self.event_rules[kind]:
                handlers[kind] = self._on_member_event
        if self.event_rules[CUSTOM] or self.scheme.release_on is not None:
            handlers[CUSTOM] = self._on_custom
        return handlers

    # -- earning helpers -------------------------------------------------------------------
    def _factors(self, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                 ) -> Callable[[Member, Row], tuple[list[Decimal], list[Msg]]]:
        """Order-level multipliers (tier, campaign) of a rule, compiled."""
        campaigns = [(m, m.when.compile(self.ctx)) for m in rule.multipliers
                     if isinstance(m, CampaignMultiplier)]
        tier = any(isinstance(m, TierMultiplier) for m in rule.multipliers)

        def factors(m: Member, row: Row) -> tuple[list[Decimal], list[Msg]]:
            found: list[Decimal] = []
            notes: list[Msg] = []
            if tier and m.tier_benefits is not None:
                factor = Decimal(m.tier_benefits.points_multiplier)
                if factor != _ONE:
                    found.append(factor)
                    notes.append(Msg("reason.note.tier",
                                     {"factor": factor,
                                      "tier": self.ctx.tier_name(m.tier_id)}))
            for campaign, when in campaigns:
                if when(m, row):
                    found.append(campaign.factor)
                    notes.append(campaign.note())
            return found, notes

        return factors

    # -- purchase ------------------------------------------------------------------------
    def compile_purchase(self, fused_due: DueRunner | None = None,
                         after: tuple[Handler, ...] = ()) -> Handler:
        """The purchase handler: earn points on the order.

        With ``fused_due`` (the engine's time loop) the closure is the whole purchase step:
        housekeeping when due, the order's facts, earning, the purchase handlers of the
        families after points (``after``, in stage order), the applied id and the state's
        time, so a replay makes one call per purchase. Without it, the engine has recorded
        the order's facts already. Simple threshold rules (no multiplier, cap or rounding)
        are evaluated inline; the others by earners compiled in ``reciprocity.points.earn``.
        """
        rules = []
        not_met = {rule.id: "condition not met: " + self.ctx.said(rule.when)
                   for rule in self.scheme.earn if rule.when is not None}
        for rule in self.scheme.earn:
            simple = (isinstance(rule, PointsPerPurchase) and not rule.multipliers
                      and not rule.caps)
            limit = (rule.min_amount.amount if isinstance(rule, PointsPerPurchase)
                     and rule.min_amount is not None else None)
            pred = None if rule.when is None else self.ctx.compile_for(
                rule.when, frozenset({PURCHASE}), f"earn rule {rule.id!r} when")
            rules.append((rule.id, "/" + rule.id,
                          rule.points if isinstance(rule, PointsPerPurchase) else 0,
                          limit, isinstance(rule, PointsPerPurchase) and rule.inclusive,
                          pred if simple else None,
                          None if simple else compile_purchase_rule(rule, self.ctx, self._capped,
                                                                    self.unit),
                          rule))
        pending = self.pending
        is_pending = self.scheme.has_pending
        expiry = self.lot_expiry
        exempt = self.tier_exempt  # lot_expires(m, at), inline
        zone = self.zone
        earned = self._earned
        pooled_earned = self._pooled
        repay = self._repay_debt
        count = self._count
        auto = self._auto_issue if self.auto_rewards else None
        pool = self.pool
        track_activity = self.inactivity is not None
        touch = self._touch
        unit = self.unit
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
            self.seed_rule = (rule_id, points, limit, inclusive, rule)

            def seed_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
                _, eid, mid, at, amount, event = row
                due = m.next_due
                if due is not None and due <= at:
                    due_runner(m, at, log, trace)
                record: list[Any] = [at, amount, _ZERO, None, None,  # P_* order
                                     None if event is None or not event.lines
                                     else line_record(event), False]
                m.purchases[eid] = record
                m.purchase_count += 1
                m.spend += amount  # type: ignore[operator]
                if limit is None or (amount >= limit if inclusive else amount > limit):  # type: ignore[operator]
                    m.pooled += points
                    m.available += points
                    if trace is not None:  # one text, rendered when read, for both
                        said = LazyText(rule.reason(points, eid))
                        log.append((pooled_earned, mid, rule_id, eid, at, points, said))
                        trace.append((rule_id, "applied", said if unit is None
                                      else traced(unit, said)))
                    else:
                        log.append((pooled_earned, mid, rule_id, eid, at, points, None))
                    m.earned += points
                    record[P_EARNED] = rule_points.copy()
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
                record: list[Any] = [at, amount, _ZERO, None, None,  # P_* order
                                     None if event is None or not event.lines
                                     else line_record(event), False]
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
                            trace.append((rule_id, "skipped", not_met[rule_id]))
                        continue
                if trace is not None:
                    # The effect and the trace entry share one message, rendered when read
                    # (the effect decorates it with its dates).
                    if reason is None:
                        assert isinstance(rule, PointsPerPurchase)
                        made: Msg | str = rule.reason(points, eid)
                    else:
                        made = built(reason)
                    reason = LazyText(made) if isinstance(made, Msg) else made
                if pool:
                    m.pooled += points
                    m.available += points
                    log.append((pooled_earned, mid, rule_id, eid, at, points, reason))
                else:
                    available_at = (None if pending is None
                                    else (at.astimezone(zone) + pending).astimezone(UTC))
                    expires_at = (None if expiry is None or (
                        exempt and m.tier_benefits is not None
                        and not m.tier_benefits.points_expire)
                                  else expiry.expires_at(at, zone))
                    lot = [eid + suffix, rule_id, eid, at, points, points, is_pending,  # L_* order
                           available_at, expires_at]
                    m.add_lot(lot)
                    log.append((earned, mid, lot, is_pending, reason))
                m.earned += points
                if record[P_EARNED] is None:
                    record[P_EARNED] = {rule_id: points}
                else:
                    record[P_EARNED][rule_id] = points
                if rule.caps:
                    count(m, rule, points, at)
                if trace is not None:
                    assert isinstance(reason, str | LazyText)  # made above
                    trace.append((rule_id, "applied", reason if unit is None
                                  else traced(unit, reason)))
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
                elif m.next_due is not None and m.next_due <= as_of:
                    # A late order whose pending window (or a lot's life) has already
                    # passed at the member's time: released (or expired) at once.
                    due_runner(m, as_of, log, trace)

        return on_purchase

    # -- points from other events ----------------------------------------------------------
    def _compile_event_rule(self, rule: PointsForEvent) -> Earner:
        pred = None if rule.when is None else rule.when.compile(self.ctx)
        not_met = "" if rule.when is None else "condition not met: " + self.ctx.said(rule.when)
        factors = self._factors(rule)
        once_key = f"{rule.id}@once"
        fixed = rule.points  # None when the event names its points (checked before)
        named = None if rule.name is None else self.ctx.named("events", rule.name)

        def earn(m: Member, row: Row, trace: Trace) -> tuple[int, Msg | None]:
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
                    trace.append((rule.id, "skipped", not_met))
                return 0, None
            found, notes = factors(m, row)
            base = fixed if fixed is not None else rule.named_points(row[1], event.payload)
            points = rule.rounding.to_int(base * stack(found, rule.stacking))
            points, capped = self._capped(m, rule, points, row[3])
            if points <= 0:
                if trace is not None:
                    trace.append((rule.id, "skipped", f"no {units_word(self.unit)}"
                                  + cap_note(capped, self.unit)))
                return 0, None
            return points, noted(rule.reason(points, row[1], named), notes, capped)

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

