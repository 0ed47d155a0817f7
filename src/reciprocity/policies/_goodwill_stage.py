"""The goodwill policy compiled into a stage: complaints in, compensation or an outcome out.

A complaint is decided in this order (``docs/goodwill.md`` says the same in words):

1. the order: unknown, or returned in full -> the declared outcome;
2. a duplicate (same order and category as an earlier complaint) -> the declared outcome;
3. count limits (caps, budget) already reached -> no compensation;
4. every rule that matches gives an offer: base value (a percent rounded with the
   compensation's mode), times the severity factor and the common factors (late response,
   tier, diminishing), rounded once with the policy's mode, then cut to the bounds that are
   left (per complaint, caps, budget, order value); points are cut to whole points, down;
5. the best offer wins (first declared on a tie); nothing left -> no compensation;
6. approval needed -> pending (it counts against caps and budget until decided); else it is
   granted: points through the point scheme, everything with a ``GoodwillGranted`` effect.

Every step is exact ``Decimal`` arithmetic; each step is monotone in the value, so more
severity never gives less.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import P_AMOUNT, P_AT, P_RETURNED, Log, Member, Row, Trace
from .._stage import Check, Handler, Stage
from ..conditions import CompileContext
from ..effects import GoodwillDeclined, GoodwillGranted, GoodwillPending
from ..errors import CurrencyMismatch, InvalidEvent, InvalidProgram, NotAwaitingApproval
from ..events import APPROVAL, COMPLAINT, Approval, Complaint
from ..money import Money, Rounding, currency_exponent
from ..points.stage import CompiledPoints
from ..state import (
    ComplaintRecord,
    GoodwillGrant,
    GoodwillHistory,
    MemberState,
    PendingGoodwill,
)
from .goodwill import CATEGORY_WORDS, GoodwillPolicy, GoodwillRule, num, ordinal

__all__ = ["CompiledGoodwill"]

# complaint record slots (a list: the outcome changes when an approval arrives)
C_ID, C_AT, C_ORDER, C_CATEGORY, C_SEVERITY, C_OUTCOME, C_RULE, C_DUP, C_CAUSE = range(9)
# grant tuple slots
(G_CID, G_RULE, G_KIND, G_VALUE, G_POINTS, G_DECIDED, G_GRANTED, G_ORDER, G_CODE, G_GIFT,
 G_EXPIRES, G_BY) = range(12)
# pending tuple slots
(Q_CID, Q_RULE, Q_KIND, Q_VALUE, Q_POINTS, Q_AT, Q_ORDER, Q_CATEGORY, Q_GIFT, Q_VALID,
 Q_RESERVED, Q_NOTES, Q_WHY) = range(13)

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_HOUR = timedelta(hours=1)


def _plural(n: int, word: str = "point") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class GoodwillState:
    """A member's goodwill history while a program works on it (``m.goodwill``)."""

    __slots__ = ("by_id", "complaints", "grants", "pending", "topics")

    def __init__(self) -> None:
        self.complaints: list[list[Any]] = []
        self.by_id: dict[str, list[Any]] = {}
        self.grants: list[tuple[Any, ...]] = []
        self.pending: dict[str, tuple[Any, ...]] = {}
        self.topics: dict[tuple[str, str], str] = {}
        """(order id, category) -> the first complaint about it, to spot duplicates."""

    def add(self, record: list[Any]) -> None:
        self.complaints.append(record)
        self.by_id[record[C_ID]] = record
        order = record[C_ORDER]
        if order is not None and record[C_CAUSE] != "unknown_order" and record[C_DUP] is None:
            self.topics.setdefault((order, record[C_CATEGORY]), record[C_ID])

    def committed(self) -> list[tuple[datetime, Decimal, str | None]]:
        """(decided at, value, order id) of every grant and pending approval."""
        used = [(g[G_DECIDED], g[G_VALUE], g[G_ORDER]) for g in self.grants]
        used += [(q[Q_AT], q[Q_VALUE], q[Q_ORDER]) for q in self.pending.values()]
        return used


class _Rule:
    """A declared rule with its criteria turned into plain values, once."""

    __slots__ = ("approval", "base_of", "categories", "comp", "factors", "fixed", "id", "kind",
                 "late", "max", "min_order", "min_severity", "past_window", "percent",
                 "percent_rounding", "points", "pred", "rule", "tiers")

    def __init__(self, rule: GoodwillRule, ctx: CompileContext) -> None:
        self.rule = rule
        self.id = rule.id
        self.comp = rule.compensation
        self.kind = rule.compensation.type
        comp: Any = rule.compensation
        self.points: int | None = getattr(comp, "points", None)
        value = getattr(comp, "value", None)
        self.fixed: Decimal | None = None if value is None else value.amount
        self.percent: Decimal | None = getattr(comp, "percent", None)
        self.base_of: str = getattr(comp, "of", "order")
        maximum = getattr(comp, "max", None)
        self.max: Money | None = maximum
        self.percent_rounding: Rounding = getattr(comp, "rounding", Rounding.HALF_UP)
        self.categories = frozenset(rule.categories) or None
        self.min_severity = rule.min_severity
        self.factors = rule.by_severity
        self.min_order = None if rule.min_order_value is None else rule.min_order_value.amount
        self.tiers = frozenset(rule.tiers) or None
        self.past_window = rule.past_return_window
        self.late = rule.late_response
        self.pred = None if rule.when is None else rule.when.compile(ctx)
        self.approval = rule.approval


class _Facts:
    """What one complaint's decision needs, computed once for every rule."""

    __slots__ = ("affected", "at", "cid", "days_past", "factor", "kept", "late", "limits",
                 "notes", "order_id", "severity")

    def __init__(self) -> None:
        self.cid = ""
        self.at: datetime
        self.order_id: str | None = None
        self.severity = 1
        self.kept: Decimal | None = None
        """What is left of the order's value, or ``None`` without a known order."""
        self.affected: Decimal | None = None
        self.days_past: int | None = None
        self.late: bool | None = None
        self.factor = _ONE
        self.notes: list[str] = []
        self.limits: list[tuple[Decimal, str]] = []


class _Offer:
    __slots__ = ("gift", "kind", "notes", "points", "rule", "steps", "valid_days", "value")

    def __init__(self, rule: _Rule, value: Decimal, points: int | None, notes: list[str],
                 steps: int) -> None:
        self.rule = rule
        self.steps = steps
        """Index of the first note that changed the value (the ones before say what it is)."""
        self.kind = rule.kind
        self.value = value
        self.points = points
        self.notes = notes
        self.gift: str | None = getattr(rule.comp, "name", None)
        self.valid_days: int | None = getattr(rule.comp, "valid_days", None)


class CompiledGoodwill(Stage):
    """The goodwill policy as functions over a hot member (the last stage)."""

    name = "goodwill"

    def __init__(self, policy: GoodwillPolicy, ctx: CompileContext,
                 points: CompiledPoints) -> None:
        self.policy = policy
        self.points = points
        self.currency = ctx.currency
        self.zone = ZoneInfo(ctx.timezone)
        self.exp = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        for where, value in policy.money():
            ctx.check_money(value, where)
        self.point_value = self._point_value(policy, points)
        self.rules = tuple(_Rule(rule, ctx) for rule in policy.rules)
        self.rounding: Rounding = policy.rounding
        self.uses_shared = policy.budget is not None

    @staticmethod
    def _point_value(policy: GoodwillPolicy, points: CompiledPoints) -> Decimal | None:
        if policy.point_value is not None:
            return policy.point_value.amount
        rates: list[Decimal] = []
        for reward in points.scheme.rewards:
            each = getattr(reward, "point_value", None)  # points that pay like money
            if each is not None:
                rates.append(each.amount)
            elif getattr(reward, "value", None) is not None:
                rates.append(reward.value.amount / reward.points)  # type: ignore[union-attr]
        if rates:
            return max(rates)
        uses = [r.id for r in policy.rules if r.compensation.type == "points"]
        if uses:
            raise InvalidProgram(
                f"goodwill rule {uses[0]!r} gives points, but the point scheme has no reward "
                "to value them against limits",
                hint="declare GoodwillPolicy.point_value, e.g. Money('0.10', 'EUR')",
            )
        return None

    # -- the Stage protocol --------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        return {COMPLAINT: self._check_complaint, APPROVAL: self._check_approval}

    def handlers(self) -> dict[int, Handler]:
        return {COMPLAINT: self.on_complaint, APPROVAL: self.on_approval}

    def thaw(self, state: MemberState, m: Member) -> None:
        history = state.goodwill
        if history is None:
            return
        hot = GoodwillState()
        for c in history.complaints:
            hot.add([c.id, c.at, c.order_id, c.category, c.severity, c.outcome, c.rule_id,
                     c.duplicate_of, c.cause])
        hot.grants = [
            (g.complaint_id, g.rule_id, g.kind, g.value.amount, g.points, g.decided_at,
             g.granted_at, g.order_id, g.code, g.gift, g.expires_at, g.approved_by)
            for g in history.grants
        ]
        hot.pending = {
            q.complaint_id: (q.complaint_id, q.rule_id, q.kind, q.value.amount, q.points, q.at,
                             q.order_id, q.category, q.gift, q.valid_days, q.budget_reserved,
                             q.notes, q.why)
            for q in history.pending
        }
        m.goodwill = hot

    def freeze(self, m: Member) -> dict[str, Any]:
        hot: GoodwillState | None = m.goodwill
        if hot is None:
            return {}
        cur = m.currency
        record = ComplaintRecord.model_construct
        grant = GoodwillGrant.model_construct
        pending = PendingGoodwill.model_construct
        return {"goodwill": GoodwillHistory.model_construct(
            complaints=tuple(
                record(id=c[C_ID], at=c[C_AT], order_id=c[C_ORDER], category=c[C_CATEGORY],
                       severity=c[C_SEVERITY], outcome=c[C_OUTCOME], rule_id=c[C_RULE],
                       duplicate_of=c[C_DUP], cause=c[C_CAUSE])
                for c in hot.complaints),
            grants=tuple(
                grant(complaint_id=g[G_CID], rule_id=g[G_RULE], kind=g[G_KIND],
                      value=Money(g[G_VALUE], cur), points=g[G_POINTS],
                      decided_at=g[G_DECIDED], granted_at=g[G_GRANTED], order_id=g[G_ORDER],
                      code=g[G_CODE], gift=g[G_GIFT], expires_at=g[G_EXPIRES],
                      approved_by=g[G_BY])
                for g in hot.grants),
            pending=tuple(
                pending(complaint_id=q[Q_CID], rule_id=q[Q_RULE], kind=q[Q_KIND],
                        value=Money(q[Q_VALUE], cur), points=q[Q_POINTS], at=q[Q_AT],
                        order_id=q[Q_ORDER], category=q[Q_CATEGORY], gift=q[Q_GIFT],
                        valid_days=q[Q_VALID], budget_reserved=q[Q_RESERVED],
                        notes=q[Q_NOTES], why=q[Q_WHY])
                for q in hot.pending.values()),
        )}

    # -- checks ----------------------------------------------------------------------------
    def _check_complaint(self, m: Member, row: Row) -> None:
        event: Complaint = row[5]
        affected = event.amount_affected
        if affected is not None and affected.currency != m.currency:
            raise CurrencyMismatch(
                f"Complaint.amount_affected={affected} is in {affected.currency} but the "
                f"program uses {m.currency}", hint=f"send the amount in {m.currency}",
            )
        if affected is not None and affected.amount < 0:
            raise InvalidEvent(
                f"Complaint {event.id}: amount_affected={affected} is negative",
                hint="send the value the problem affected, zero or more, or leave it out",
            )

    def _check_approval(self, m: Member, row: Row) -> None:
        event: Approval = row[5]
        ref = event.ref_event_id
        hot: GoodwillState | None = m.goodwill
        if hot is not None and ref in hot.pending:
            return
        record = None if hot is None else hot.by_id.get(ref)
        if record is not None:
            words = {"granted": "granted", "declined": "declined by a person",
                     "no_compensation": "closed without compensation",
                     "refer_to_service": "referred to the service team"}[record[C_OUTCOME]]
            raise NotAwaitingApproval(
                f"Approval {event.id}: complaint {ref} of member {m.member_id} is not awaiting "
                f"approval: it was {words} already",
                hint="drop this approval; a goodwill decision is final once made",
            )
        raise NotAwaitingApproval(
            f"Approval {event.id}: ref_event_id={ref!r} names no complaint of member "
            f"{m.member_id} that waits for approval",
            hint="approve the complaint_id of a GoodwillPending effect, after that complaint "
            "was applied",
        )

    # -- complaints ------------------------------------------------------------------------
    def on_complaint(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Decide one complaint (the engine ran the checks)."""
        event: Complaint = row[5]
        hot: GoodwillState | None = m.goodwill
        if hot is None:
            hot = m.goodwill = GoodwillState()
        policy = self.policy
        cid, at = row[1], row[3]
        order_id = event.order_id
        category = event.category
        record: list[Any] = [cid, at, order_id, category, event.severity, "no_compensation",
                             None, None, None]
        if trace is not None and hot.complaints:
            trace.append(("goodwill", "note", self._history(m, hot)))
        purchase = None if order_id is None else m.purchases.get(order_id)
        if order_id is not None and purchase is None:
            if policy.on_unknown_order != "ignore_order":
                record[C_CAUSE] = "unknown_order"
                self._close(m, hot, record, policy.on_unknown_order,
                            f"order {order_id} is not known to us", log, trace)
                return
            if trace is not None:
                trace.append(("goodwill", "note", f"order {order_id} is unknown; handled as a "
                              "complaint without an order"))
        elif purchase is not None and purchase[P_AMOUNT] > 0 and \
                purchase[P_RETURNED] >= purchase[P_AMOUNT]:
            record[C_CAUSE] = "returned_order"
            self._close(m, hot, record, policy.on_returned_order,
                        f"order {order_id} was returned in full", log, trace)
            return
        first = None if order_id is None else hot.topics.get((order_id, category))
        if first is not None:
            record[C_DUP] = first
            record[C_CAUSE] = "duplicate"
            earlier = hot.by_id[first]
            when = earlier[C_AT].astimezone(self.zone).strftime("%Y-%m-%d")
            self._close(m, hot, record, policy.on_duplicate,
                        f"it repeats complaint {first} of {when} about the same order and "
                        f"problem ({earlier[C_OUTCOME].replace('_', ' ')})", log, trace)
            return
        facts = self._facts(m, hot, event, at, purchase)
        blocked, over_budget = self._limits(m, hot, facts)
        if blocked is not None:
            record[C_CAUSE] = blocked[0]
            self._close(m, hot, record, "no_compensation", blocked[1], log, trace)
            return
        best: _Offer | None = None
        offers: list[_Offer] = []
        for rule in self.rules:
            why_not = self._matches(m, row, rule, facts)
            if why_not is not None:
                if trace is not None:
                    trace.append((rule.id, "skipped", why_not))
                continue
            offer = self._offer(rule, facts)
            if offer is None:
                if trace is not None:
                    trace.append((rule.id, "skipped", "needs the order's value or the amount "
                                  "affected, and the complaint has neither"))
                continue
            offers.append(offer)
            if best is None or offer.value > best.value:
                best = offer
        if best is None:
            record[C_CAUSE] = "no_rule"
            self._close(m, hot, record, "no_compensation", "no goodwill rule covers a "
                        f"{CATEGORY_WORDS[category]} complaint of severity {event.severity}"
                        + ("" if order_id is None else " on this order"), log, trace)
            return
        if trace is not None:
            for offer in offers:
                if offer is not best:
                    trace.append((offer.rule.id, "skipped", f"offers {self._worth(offer)}, "
                                  f"not more than rule {best.rule.id!r}"))
        record[C_RULE] = best.rule.id
        if best.value <= 0:
            record[C_CAUSE] = "nothing_left"
            why = "; ".join(note.split(": ", 1)[1] if note.startswith("cut to ") else note
                            for note in best.notes[best.steps:])
            why = why or "the compensation rounds to nothing"
            self._close(m, hot, record, "no_compensation", why, log, trace)
            return
        why_wait = self._needs_approval(best, over_budget)
        if why_wait is not None:
            self._pend(m, hot, record, facts, best, over_budget, why_wait, log, trace)
            return
        budget = policy.budget
        if budget is not None:
            assert m.shared is not None
            budget.spend(m.shared, at, self.zone, best.value)
        record[C_OUTCOME] = "granted"
        hot.add(record)
        self._grant(m, hot, cid, cid, best.rule.id, best.kind, best.value, best.points, at, at,
                    order_id, category, best.gift, best.valid_days, tuple(best.notes), None,
                    False, log, trace)

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
                notes.append(f"x{num(step.factor)}: our first reply took "
                             f"{_hours(delay)}, we promise {promise.promised_hours} hours")
        elif promise is not None:
            facts.late = None
        benefits = m.tier_benefits
        if benefits is not None:
            tier_factor = Decimal(benefits.goodwill_factor)
            if tier_factor != 1:
                factor *= tier_factor
                notes.append(f"x{num(tier_factor)} for {m.tier_id} members")
        curve = policy.diminishing
        if curve is not None:
            start = at.astimezone(self.zone) - relativedelta(days=curve.window_days)
            nth = 1 + sum(1 for c in hot.complaints
                          if c[C_DUP] is None and start < c[C_AT] <= at)
            curve_factor = curve.factor(nth)
            if curve_factor != 1:
                factor *= curve_factor
                notes.append(f"x{num(curve_factor)}: your {ordinal(nth)} complaint in "
                             f"{curve.window_days} days")
        facts.factor = factor
        return facts

    def _limits(self, m: Member, hot: GoodwillState,
                facts: _Facts) -> tuple[tuple[str, str] | None, Decimal | None]:
        """Fill ``facts.limits``; return (cause, why) if a count limit blocks, and what is left
        of an ``"approval"`` budget (``None`` if there is none)."""
        policy = self.policy
        at, zone, cur = facts.at, self.zone, self.currency
        limits = facts.limits
        if policy.max_per_complaint is not None:
            limits.append((policy.max_per_complaint.amount,
                           f"at most {policy.max_per_complaint} per complaint"))
        committed = hot.committed() if policy.caps or facts.kept is not None else []
        for cap in policy.caps:
            key = cap.per.key(at, zone)
            count, used = 0, _ZERO
            for when, value, _ in committed:
                if cap.per.key(when, zone) == key:
                    count += 1
                    used += value
            period = "in all" if cap.per.value == "lifetime" else f"this {cap.per.noun}"
            if cap.count is not None and count >= cap.count:
                return ("cap_reached", f"goodwill is {cap.describe()}, and you received "
                        f"{_plural(count, 'compensation')} {period}"), None
            if cap.amount is not None:
                left = max(_ZERO, cap.amount.amount - used)
                limits.append((left, f"goodwill is {cap.describe()}, and you received "
                               f"{Money(used, cur)} {period}"))
        budget = policy.budget
        over_budget: Decimal | None = None
        if budget is not None:
            assert m.shared is not None, "a program with a budget runs with shared state"
            use = m.shared.budgets.get(budget.key(at, zone))
            count, used = (0, _ZERO) if use is None else (int(use[0]), Decimal(use[1]))
            period = ("the program's" if budget.per.value == "lifetime"
                      else f"this {budget.per.noun}'s")
            full = budget.count is not None and count >= budget.count
            room = None if budget.amount is None else max(_ZERO, budget.amount.amount - used)
            if budget.when_exhausted == "skip":
                if full or room == 0:
                    return ("budget_used_up", f"{period} goodwill budget is used up"), None
                if room is not None:
                    limits.append((room, f"{period} goodwill budget is nearly used up"))
            else:
                over_budget = _ZERO if full else room
        if facts.kept is not None and not policy.may_exceed_order_value:
            given = sum((v for _, v, order in committed if order == facts.order_id), _ZERO)
            left = max(_ZERO, facts.kept - given)
            note = f"no more than what is left of order {facts.order_id}'s value"
            if given:
                note += f" ({Money(given, cur)} given for it already)"
            limits.append((left, note))
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
            tier = "has no tier" if m.tier_id is None else f"is in tier {m.tier_id}"
            return f"is for {' or '.join(sorted(rule.tiers))} members; the member {tier}"
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
            assert rule.rule.when is not None
            return f"condition not met: {rule.rule.when.describe()}"
        return None

    def _offer(self, rule: _Rule, facts: _Facts) -> _Offer | None:
        """The rule's value for this complaint after every step and bound, or ``None`` when
        its percent has no base. Every step is monotone in the value it is given."""
        notes: list[str] = []
        if rule.past_window is not None:
            notes.append(f"goodwill return {_plural(facts.days_past or 0, 'day')} after the "
                         f"{self.policy.return_window_days}-day return window")
        pv = self.point_value
        amount = _ZERO
        if rule.percent is not None:
            base = facts.kept if rule.base_of == "order" else (
                facts.affected if facts.affected is not None else facts.kept)
            if base is None:
                return None
            amount = rule.percent_rounding.apply(base * rule.percent / _HUNDRED, self.exp)
            what = "the order value" if rule.base_of == "order" or facts.affected is None \
                else "the amount affected"
            notes.append(f"{num(rule.percent)} % of {what} {Money(base, self.currency)}")
        elif rule.fixed is not None:
            amount = rule.fixed
        steps = len(notes)
        factor = facts.factor
        if rule.factors is not None:
            severity_factor = rule.factors[facts.severity - 1]
            if severity_factor != 1:
                notes.append(f"x{num(severity_factor)} for severity {facts.severity}")
            factor = factor * severity_factor
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
                notes.append(f"at most {rule.max} by this rule")
        for left, note in facts.limits:
            if value > left:
                if points is not None:
                    assert pv is not None
                    points = Rounding.DOWN.to_int(left / pv)
                    value = points * pv
                else:
                    value = Rounding.DOWN.apply(left, self.exp)
                notes.append(f"cut to {self._worth_of(rule.kind, value, points)}: {note}")
        return _Offer(rule, value, points, notes, steps)

    def _needs_approval(self, offer: _Offer, over_budget: Decimal | None) -> str | None:
        limit = self.policy.approval_above
        if offer.rule.approval:
            return "this kind of goodwill is always confirmed by a person"
        if limit is not None and offer.value > limit.amount:
            return f"worth more than {limit}"
        if over_budget is not None and offer.value > over_budget:
            return "over the program's goodwill budget"
        return None

    def _pend(self, m: Member, hot: GoodwillState, record: list[Any], facts: _Facts,
              offer: _Offer, over_budget: Decimal | None, why: str, log: Log,
              trace: Trace) -> None:
        budget = self.policy.budget
        reserved = False
        if budget is not None and (over_budget is None or offer.value <= over_budget):
            assert m.shared is not None
            budget.spend(m.shared, facts.at, self.zone, offer.value)
            reserved = True
        record[C_OUTCOME] = "pending"
        hot.add(record)
        cid = record[C_ID]
        pending = (cid, offer.rule.id, offer.kind, offer.value, offer.points, facts.at,
                   record[C_ORDER], record[C_CATEGORY], offer.gift, offer.valid_days,
                   reserved, tuple(offer.notes), why)
        hot.pending[cid] = pending
        log.append((_build_pending, self, m.member_id, pending))
        if trace is not None:
            trace.append((offer.rule.id, "applied", _pending_reason(self, pending)))

    def _grant(self, m: Member, hot: GoodwillState, eid: str, cid: str, rule_id: str,
               kind: str, value: Decimal, points: int | None, decided_at: datetime,
               granted_at: datetime, order_id: str | None, category: str, gift: str | None,
               valid_days: int | None, notes: tuple[str, ...], approved_by: str | None,
               approval_required: bool, log: Log, trace: Trace) -> None:
        code = expires = None
        if kind == "voucher":
            code = f"{cid}/{rule_id}"
            if valid_days is not None:
                expires = granted_at.astimezone(self.zone) + relativedelta(days=valid_days)
        grant = (cid, rule_id, kind, value, points, decided_at, granted_at, order_id, code,
                 gift, expires, approved_by)
        hot.grants.append(grant)
        entry = (_build_granted, self, m.member_id, eid, grant, category, notes,
                 approval_required)
        log.append(entry)
        if trace is not None:
            trace.append((rule_id, "applied", _granted_reason(self, grant, category, notes,
                                                              approval_required)))
        if kind == "points" and points:
            about = _about(cid, order_id, category)
            # the goodwill trace line above explains it; the scheme adds the balance effect
            self.points.grant(m, points, rule_id, eid, granted_at,
                              f"{_plural(points)} of goodwill for your complaint{about}",
                              log, None)

    def _close(self, m: Member, hot: GoodwillState, record: list[Any], outcome: str,
               why: str, log: Log, trace: Trace) -> None:
        """Record a complaint that gets no compensation, with its declared outcome."""
        record[C_OUTCOME] = outcome
        hot.add(record)
        args = (record[C_ID], record[C_ORDER], record[C_CATEGORY], outcome, why)
        log.append((_build_declined, m.member_id, record[C_ID], record[C_AT], record[C_RULE],
                    *args))
        if trace is not None:
            kind = "duplicate" if record[C_CAUSE] == "duplicate" else "note"
            trace.append((record[C_RULE] or "goodwill", kind, _declined_reason(*args)))

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
                       f"({CATEGORY_WORDS.get(last[C_CATEGORY], last[C_CATEGORY])}, "
                       f"{last[C_OUTCOME].replace('_', ' ')})")

    def _worth(self, offer: _Offer) -> str:
        return self._worth_of(offer.kind, offer.value, offer.points)

    def _worth_of(self, kind: str, value: Decimal, points: int | None) -> str:
        if kind == "points":
            return _plural(points or 0)
        return str(Money(value, self.currency))

    # -- approvals -------------------------------------------------------------------------
    def on_approval(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Grant or decline the compensation a complaint waited with (checked: it waits)."""
        event: Approval = row[5]
        hot: GoodwillState = m.goodwill
        pending = hot.pending.pop(event.ref_event_id)
        record = hot.by_id[pending[Q_CID]]
        budget = self.policy.budget
        if not event.approved:
            record[C_OUTCOME] = "declined"
            if pending[Q_RESERVED] and budget is not None:
                assert m.shared is not None
                budget.give_back(m.shared, pending[Q_AT], self.zone, pending[Q_VALUE])
            why = "a person reviewed it and declined" + (f": {event.note}" if event.note else "")
            args = (pending[Q_CID], pending[Q_ORDER], pending[Q_CATEGORY], "declined", why)
            log.append((_build_declined, m.member_id, event.id, event.at, pending[Q_RULE],
                        *args))
            if trace is not None:
                trace.append((pending[Q_RULE], "applied", _declined_reason(*args)))
            return
        if not pending[Q_RESERVED] and budget is not None:
            assert m.shared is not None
            budget.spend(m.shared, pending[Q_AT], self.zone, pending[Q_VALUE])
            if trace is not None:
                trace.append(("goodwill", "note", "approved over the program's goodwill budget"))
        record[C_OUTCOME] = "granted"
        self._grant(m, hot, event.id, pending[Q_CID], pending[Q_RULE], pending[Q_KIND],
                    pending[Q_VALUE], pending[Q_POINTS], pending[Q_AT], event.at,
                    pending[Q_ORDER], pending[Q_CATEGORY], pending[Q_GIFT], pending[Q_VALID],
                    pending[Q_NOTES], event.approved_by, True, log, trace)


def _hours(delay: timedelta) -> str:
    hours = delay / _HOUR
    if hours == int(hours):
        return _plural(int(hours), "hour")
    return f"{hours:.1f} hours"


def _about(cid: str, order_id: str | None, category: str) -> str:
    words = CATEGORY_WORDS.get(category, category)
    if order_id is None:
        return f" {cid} ({words})"
    return f" {cid} about order {order_id} ({words})"


def _what(stage: CompiledGoodwill, kind: str, value: Decimal, points: int | None,
          gift: str | None, expires: datetime | None) -> str:
    money = Money(value, stage.currency)
    if kind == "points":
        return f"{_plural(points or 0)} (worth {money})"
    if kind == "voucher":
        text = f"a {money} voucher"
        if expires is not None:
            text += f", valid until {expires.astimezone(stage.zone).strftime('%Y-%m-%d')}"
        return text
    if kind == "gift":
        return f"a small gift: {gift} (worth {money})"
    if kind == "credit":
        return f"a {money} credit"
    return f"a refund of {money}"


def _granted_reason(stage: CompiledGoodwill, grant: tuple[Any, ...], category: str,
                    notes: tuple[str, ...], approval_required: bool) -> str:
    text = (f"Goodwill for your complaint{_about(grant[G_CID], grant[G_ORDER], category)}: "
            + _what(stage, grant[G_KIND], grant[G_VALUE], grant[G_POINTS], grant[G_GIFT],
                    grant[G_EXPIRES]))
    if notes:
        text += f" ({'; '.join(notes)})"
    if approval_required:
        text += ", confirmed by our team"
    return text


def _pending_reason(stage: CompiledGoodwill, pending: tuple[Any, ...]) -> str:
    what = _what(stage, pending[Q_KIND], pending[Q_VALUE], pending[Q_POINTS], pending[Q_GIFT],
                 None)
    about = _about(pending[Q_CID], pending[Q_ORDER], pending[Q_CATEGORY])
    return (f"Goodwill for your complaint{about}: {what}, to be confirmed by our team "
            f"({pending[Q_WHY]})")


def _declined_reason(cid: str, order_id: str | None, category: str, outcome: str,
                     why: str) -> str:
    about = _about(cid, order_id, category)
    if outcome == "refer_to_service":
        return f"Your complaint{about} goes to our service team: {why}"
    return f"No goodwill for your complaint{about}: {why}"


def _build_granted(stage: CompiledGoodwill, mid: str, eid: str, grant: tuple[Any, ...],
                   category: str, notes: tuple[str, ...],
                   approval_required: bool) -> GoodwillGranted:
    return GoodwillGranted.model_construct(
        rule_id=grant[G_RULE], reason=_granted_reason(stage, grant, category, notes,
                                                      approval_required),
        member_id=mid, event_id=eid, at=grant[G_GRANTED], complaint_id=grant[G_CID],
        order_id=grant[G_ORDER], kind=grant[G_KIND], value=Money(grant[G_VALUE], stage.currency),
        points=grant[G_POINTS], approval_required=approval_required, approved_by=grant[G_BY],
        code=grant[G_CODE], gift=grant[G_GIFT], expires_at=grant[G_EXPIRES],
    )


def _build_pending(stage: CompiledGoodwill, mid: str, pending: tuple[Any, ...]) -> GoodwillPending:
    return GoodwillPending.model_construct(
        rule_id=pending[Q_RULE], reason=_pending_reason(stage, pending), member_id=mid,
        event_id=pending[Q_CID], at=pending[Q_AT], complaint_id=pending[Q_CID],
        order_id=pending[Q_ORDER], kind=pending[Q_KIND],
        value=Money(pending[Q_VALUE], stage.currency), points=pending[Q_POINTS],
        approval_required=True, why=pending[Q_WHY],
    )


def _build_declined(mid: str, eid: str, at: datetime, rule_id: str | None, cid: str,
                    order_id: str | None, category: str, outcome: Any,
                    why: str) -> GoodwillDeclined:
    return GoodwillDeclined.model_construct(
        rule_id=rule_id or "goodwill",
        reason=_declined_reason(cid, order_id, category, outcome, why),
        member_id=mid, event_id=eid, at=at, complaint_id=cid, order_id=order_id,
        outcome=outcome,
    )
