"""What a complaint is worth, compiled: its facts, the limits left, matching rules and offers.

Holds :class:`GoodwillAssessment`, the base layer of
:class:`~reciprocity.goodwill.stage.CompiledGoodwill`: steps 1 to 5 of the order in the stage's
docstring (the facts of a complaint, count and value limits, which rules match, each rule's
offer and whether it needs approval) and the text of a member's history and an offer's worth.

Imports: the core, the goodwill declarations, ``hot`` and ``reasons``; never ``stage``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import P_AMOUNT, P_AT, P_RETURNED, Member, Row
from .._reason import Msg, ordinal
from .._stage import Stage
from ..events import Complaint
from ..money import Money, Rounding
from .hot import (
    _HUNDRED,
    _ONE,
    _ZERO,
    C_AT,
    C_CATEGORY,
    C_DUP,
    C_ID,
    C_OUTCOME,
    G_VALUE,
    GoodwillState,
    _Facts,
    _Offer,
    _plural,
    _Rule,
)
from .policy import CATEGORY_WORDS, GoodwillPolicy
from .reasons import factor_note, hours, limit_words, period_words, worth

__all__ = ["GoodwillAssessment"]


class GoodwillAssessment(Stage):
    """The goodwill stage's base layer; the attributes are set by ``CompiledGoodwill``."""

    name = "goodwill"
    policy: GoodwillPolicy
    currency: str
    zone: ZoneInfo
    exp: Decimal
    point_value: Decimal | None
    rounding: Rounding
    tier_name: Callable[[str | None], str]

    def _facts(self, m: Member, hot: GoodwillState, event: Complaint, at: datetime,
               purchase: list[Any] | None) -> _Facts:
        policy = self.policy
        facts = _Facts()
        facts.cid = event.id
        facts.at = at
        facts.severity = event.severity
        if purchase is not None:
            facts.order_id = event.order_id
            facts.kept = purchase[P_AMOUNT] - purchase[P_RETURNED]
            ordered = purchase[P_AT].astimezone(self.zone).date()
            age = (at.astimezone(self.zone).date() - ordered).days
            facts.days_past = age - policy.return_window_days
        if event.amount_affected is not None:
            facts.affected = event.amount_affected.amount
        factor = _ONE
        notes = facts.notes
        promise = policy.response_time
        if event.first_response_at is not None and promise is not None:
            delay = event.first_response_at - at
            promised = timedelta(hours=promise.promised_hours)
            facts.late = delay > promised
            step = None
            for candidate in promise.steps:
                if delay - promised > timedelta(hours=candidate.late_by_hours):
                    step = candidate
            if step is not None and step.factor != 1:
                factor *= step.factor
                notes.append(factor_note("reason.goodwill.note.response", step.factor,
                                         took=hours(delay),
                                         promised=hours(promised)))
        elif promise is not None:
            facts.late = None
        benefits = m.tier_benefits
        if benefits is not None:
            tier_factor = Decimal(benefits.goodwill_factor)
            if tier_factor != 1:
                factor *= tier_factor
                notes.append(factor_note("reason.goodwill.note.tier", tier_factor,
                                         tier=self.tier_name(m.tier_id)))
        curve = policy.diminishing
        if curve is not None:
            start = at.astimezone(self.zone) - relativedelta(days=curve.window_days)
            nth = 1 + sum(1 for c in hot.complaints
                          if c[C_DUP] is None and start < c[C_AT] <= at)
            curve_factor = curve.factor(nth)
            if curve_factor != 1:
                factor *= curve_factor
                notes.append(factor_note("reason.goodwill.note.diminishing", curve_factor,
                                         nth=ordinal(nth), n=curve.window_days))
        facts.factor = factor
        return facts

    def _limits(self, m: Member, hot: GoodwillState,
                facts: _Facts) -> tuple[tuple[str, Msg] | None, Decimal | None]:
        """Fill ``facts.limits``; return (cause, why) if a count limit blocks, and what is left
        of an ``"approval"`` budget (``None`` if there is none)."""
        policy = self.policy
        at, zone, cur = facts.at, self.zone, self.currency
        limits = facts.limits
        if policy.max_per_complaint is not None:
            limits.append((policy.max_per_complaint.amount,
                           Msg("reason.goodwill.limit.complaint",
                               {"max": policy.max_per_complaint})))
        committed = hot.committed() if policy.caps or facts.kept is not None else []
        for cap in policy.caps:
            key = cap.per.key(at, zone)
            count, used = 0, _ZERO
            for when, value, _ in committed:
                if cap.per.key(when, zone) == key:
                    count += 1
                    used += value
            per = cap.per.value
            declared = limit_words(cap.count, cap.amount, per)
            if cap.count is not None and count >= cap.count:
                return ("cap_reached", Msg("reason.goodwill.limit.cap.count", {
                    "limit": declared, "n": count, "period": period_words(per)})), None
            if cap.amount is not None:
                left = max(_ZERO, cap.amount.amount - used)
                limits.append((left, Msg("reason.goodwill.limit.cap.amount", {
                    "limit": declared, "used": Money(used, cur),
                    "period": period_words(per)})))
        budget = policy.budget
        over_budget: Decimal | None = None
        if budget is not None:
            assert m.shared is not None, "a program with a budget runs with shared state"
            use = m.shared.budgets.get(budget.key(at, zone))
            count, used = (0, _ZERO) if use is None else (int(use[0]), Decimal(use[1]))
            period = period_words(budget.per.value, "reason.goodwill.budget_of")
            full = budget.count is not None and count >= budget.count
            room = None if budget.amount is None else max(_ZERO, budget.amount.amount - used)
            if budget.when_exhausted == "skip":
                if full or room == 0:
                    return ("budget_used_up", Msg("reason.goodwill.limit.budget.used_up",
                                                  {"period": period})), None
                if room is not None:
                    limits.append((room, Msg("reason.goodwill.limit.budget.nearly",
                                             {"period": period})))
            else:
                over_budget = _ZERO if full else room
        if facts.kept is not None and not policy.may_exceed_order_value:
            given = sum((v for _, v, order in committed if order == facts.order_id), _ZERO)
            left = max(_ZERO, facts.kept - given)
            order = facts.order_id or ""
            limits.append((left, Msg("reason.goodwill.limit.order.given", {
                "order": order, "given": Money(given, cur)}) if given else
                Msg("reason.goodwill.limit.order", {"order": order})))
        return None, over_budget

    def _matches(self, m: Member, row: Row, rule: _Rule, facts: _Facts) -> str | None:
        """Why ``rule`` does not cover the complaint, or ``None`` if it does."""
        event: Complaint = row[5]
        if rule.categories is not None and event.category not in rule.categories:
            covers = " or ".join(CATEGORY_WORDS[c] for c in rule.rule.categories)
            return f"covers {covers}, not {CATEGORY_WORDS[event.category]}"
        if event.severity < rule.min_severity:
            return f"needs severity {rule.min_severity} or more, not {event.severity}"
        if rule.min_order is not None and (facts.kept is None or facts.kept < rule.min_order):
            shown = "no known order" if facts.kept is None else \
                f"an order value of {Money(facts.kept, self.currency)}"
            return f"needs an order of at least {rule.rule.min_order_value}, not {shown}"
        if rule.tiers is not None and m.tier_id not in rule.tiers:
            tier = ("has no tier" if m.tier_id is None
                    else f"is in tier {self.tier_name(m.tier_id)}")
            names = " or ".join(self.tier_name(t) for t in rule.rule.tiers)
            return f"is for {names} members; the member {tier}"
        if rule.past_window is not None:
            days = facts.days_past
            window = self.policy.return_window_days
            if days is None:
                return "is for orders past the return window, and there is no known order"
            if days <= 0:
                return f"is for orders past the {window}-day return window; this one is " \
                       f"{days + window} days old"
            if days > rule.past_window:
                return f"covers up to {rule.past_window} days after the return window, not " \
                       f"{days}"
        if rule.late is not None:
            if facts.late is None:
                return "depends on the first response time, which the complaint does not give"
            if facts.late is not rule.late:
                return "is for late replies; ours came in time" if rule.late else \
                    "is for replies in time; ours came late"
        if rule.pred is not None and not rule.pred(m, row):
            return rule.not_met
        return None

    def _offer(self, m: Member, row: Row, rule: _Rule, facts: _Facts) -> _Offer | str:
        """The rule's value for this complaint after every step and bound, or why it has
        none (a percentage without a base, no band that covers the case). Every step is
        monotone in the value it is given."""
        notes: list[Msg | str] = []
        if rule.past_window is not None:
            notes.append(Msg("reason.goodwill.note.past_window", {
                "n": facts.days_past or 0, "window": self.policy.return_window_days}))
        pv = self.point_value
        amount = _ZERO
        base: Decimal | None = None
        factor = facts.factor
        reductions: list[Msg | str] = []
        payout = rule.payout
        if payout is not None:
            base, words = payout.base(row, facts.kept, facts.affected)
            found, more, why = payout.amount(row, base, words)
            if found is None:
                if why is not None and why.startswith("needs the order value"):
                    why = ("needs the order's value or the amount affected, and the complaint "
                           "has neither")
                return why or "no amount applies"
            amount = found
            notes += more
            reduction, reductions = payout.reduce(m, row)
            factor = factor * reduction
        elif rule.fixed is not None:  # a gift
            amount = rule.fixed
        steps = len(notes)
        if rule.factors is not None:
            severity_factor = rule.factors[facts.severity - 1]
            if severity_factor != 1:
                notes.append(factor_note("reason.goodwill.note.severity", severity_factor,
                                         severity=facts.severity))
            factor = factor * severity_factor
        notes += reductions
        notes += facts.notes
        points: int | None = None
        if rule.points is not None:
            assert pv is not None
            points = self.rounding.to_int(rule.points * factor)
            value = Decimal(points * pv)
        else:
            value = self.rounding.apply(amount * factor, self.exp)
            if rule.max is not None and value > rule.max.amount:
                value = rule.max.amount
                notes.append(Msg("reason.goodwill.note.max", {"max": rule.max}))
            if rule.max_percent is not None:
                if base is None:
                    return "is bounded by a share of its base, and the complaint gives no base"
                cap = Rounding.DOWN.apply(base * rule.max_percent / _HUNDRED, self.exp)
                if value > cap:
                    value = cap
                    notes.append(Msg("reason.goodwill.note.max_percent", {
                        "percent": rule.max_percent, "base": Money(base, self.currency)}))
        for left, note in facts.limits:
            if value > left:
                if points is not None:
                    assert pv is not None
                    points = Rounding.DOWN.to_int(left / pv)
                    value = points * pv
                else:
                    value = Rounding.DOWN.apply(left, self.exp)
                notes.append(Msg("reason.goodwill.note.cut", {
                    "worth": worth(rule.kind, Money(value, self.currency), points),
                    "limit": note}))
        if rule.minimum is not None and 0 < value < rule.minimum.amount:
            notes.append(Msg("reason.goodwill.note.minimum", {
                "value": Money(value, self.currency), "minimum": rule.minimum}))
            value = _ZERO
        return _Offer(rule, value, points, notes, steps)

    def _needs_approval(self, offer: _Offer, over_budget: Decimal | None) -> Msg | None:
        limit = self.policy.approval_above
        if offer.rule.approval:
            return Msg("reason.goodwill.wait.always", {})
        if limit is not None and offer.value > limit.amount:
            return Msg("reason.goodwill.wait.above", {"limit": limit})
        if over_budget is not None and offer.value > over_budget:
            return Msg("reason.goodwill.wait.budget", {})
        return None

    def _history(self, m: Member, hot: GoodwillState) -> str:
        cur = self.currency
        given = sum((g[G_VALUE] for g in hot.grants), _ZERO)
        last = hot.complaints[-1]
        when = last[C_AT].astimezone(self.zone).strftime("%Y-%m-%d")
        text = (f"history of member {m.member_id}: {_plural(len(hot.complaints), 'complaint')} "
                f"before, {_plural(len(hot.grants), 'compensation')} worth {Money(given, cur)}")
        if hot.pending:
            text += f", {len(hot.pending)} waiting for approval"
        return text + (f"; last: {last[C_ID]} of {when} "
                       f"({CATEGORY_WORDS[last[C_CATEGORY]]}, "
                       f"{last[C_OUTCOME].replace('_', ' ')})")

    def _worth(self, offer: _Offer) -> str:
        return self._worth_of(offer.kind, offer.value, offer.points)

    def _worth_of(self, kind: str, value: Decimal, points: int | None) -> str:
        if kind == "points":
            return _plural(points or 0)
        return str(Money(value, self.currency))

