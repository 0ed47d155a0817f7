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

Imports: the core, the goodwill declarations, ``hot``, ``reasons`` and ``assess``; the points
stage only for typing (points are granted through it). ``reciprocity._pipeline`` builds it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import P_AMOUNT, P_RETURNED, Log, Member, Row, Trace, text
from .._reason import Msg, decode_text, encode_text, local_day
from .._stage import Check, Handler
from ..conditions import CompileContext
from ..errors import (
    ConditionNeverApplies,
    CurrencyMismatch,
    InvalidEvent,
    InvalidProgram,
    NotAwaitingApproval,
)
from ..events import APPROVAL, COMPLAINT, Approval, Complaint
from ..facts import MISSING
from ..money import Money, Rounding, currency_exponent
from ..state import (
    ComplaintRecord,
    GoodwillGrant,
    GoodwillHistory,
    MemberState,
    PendingGoodwill,
)
from .assess import GoodwillAssessment
from .hot import (
    C_AT,
    C_CATEGORY,
    C_CAUSE,
    C_DUP,
    C_ID,
    C_KEY,
    C_ORDER,
    C_OUTCOME,
    C_RULE,
    C_SEVERITY,
    G_BY,
    G_CID,
    G_CODE,
    G_DECIDED,
    G_EXPIRES,
    G_GIFT,
    G_GRANTED,
    G_KIND,
    G_ORDER,
    G_POINTS,
    G_RULE,
    G_VALUE,
    Q_AT,
    Q_CATEGORY,
    Q_CID,
    Q_GIFT,
    Q_KIND,
    Q_NOTES,
    Q_ORDER,
    Q_POINTS,
    Q_RESERVED,
    Q_RULE,
    Q_VALID,
    Q_VALUE,
    Q_WHY,
    GoodwillState,
    _Facts,
    _Offer,
    _Rule,
)
from .policy import GoodwillPolicy
from .reasons import (
    _build_declined,
    _build_granted,
    _build_pending,
    _declined_reason,
    _granted_reason,
    _pending_reason,
    about_message,
    and_words,
    category_words,
    notes_message,
)

if TYPE_CHECKING:
    from ..points.stage import CompiledPoints

__all__ = ["CompiledGoodwill"]


class CompiledGoodwill(GoodwillAssessment):
    """The goodwill policy as functions over a hot member (the last stage)."""


    def __init__(self, policy: GoodwillPolicy, ctx: CompileContext,
                 points: CompiledPoints) -> None:
        self.policy = policy
        self.points = points
        self.currency = ctx.currency
        self.tier_name = ctx.tier_name
        self.zone = ZoneInfo(ctx.timezone)
        self.exp = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        for where, value in policy.money():
            ctx.check_money(value, where)
        self.point_value = self._point_value(policy, points)
        self.rules = tuple(_Rule(rule, ctx) for rule in policy.rules)
        self.rounding: Rounding = policy.rounding
        self.uses_shared = policy.budget is not None
        self.dup_key = [self._key_fact(ctx, name) for name in policy.duplicate_key]
        self.dup_words = None if not policy.duplicate_key else and_words(tuple(
            name.replace("_", " ") for name in policy.duplicate_key))

    @staticmethod
    def _key_fact(ctx: CompileContext, name: str) -> Any:
        fact = ctx.fact(name, "GoodwillPolicy.duplicate_key")
        if COMPLAINT not in fact.kinds or fact.on_lines or fact.type == "items":
            raise ConditionNeverApplies(
                f"GoodwillPolicy.duplicate_key names {name!r}, which a complaint does not "
                "carry as one value", hint="key duplicates by fields of the complaint or "
                "declared facts in its metadata")
        return fact.get

    def _key(self, row: Row) -> str | None:
        """The complaint's duplicate key, or ``None`` without one (or without its facts)."""
        if not self.dup_key:
            return None
        values = [get(row) for get in self.dup_key]
        if any(value is MISSING for value in values):
            return None
        return json.dumps([str(value) for value in values])

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
                     c.duplicate_of, c.cause, c.key])
        hot.grants = [
            (g.complaint_id, g.rule_id, g.kind, g.value.amount, g.points, g.decided_at,
             g.granted_at, g.order_id, g.code, g.gift, g.expires_at, g.approved_by)
            for g in history.grants
        ]
        hot.pending = {
            q.complaint_id: (q.complaint_id, q.rule_id, q.kind, q.value.amount, q.points, q.at,
                             q.order_id, q.category, q.gift, q.valid_days, q.budget_reserved,
                             tuple(decode_text(note) for note in q.notes), decode_text(q.why))
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
                       duplicate_of=c[C_DUP], cause=c[C_CAUSE], key=c[C_KEY])
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
                        notes=tuple(encode_text(note) for note in q[Q_NOTES]),
                        why=encode_text(q[Q_WHY]))
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
                             None, None, None, self._key(row)]
        if trace is not None and hot.complaints:
            trace.append(("goodwill", "note", self._history(m, hot)))
        purchase = None if order_id is None else m.purchases.get(order_id)
        if order_id is not None and purchase is None:
            if policy.on_unknown_order != "ignore_order":
                record[C_CAUSE] = "unknown_order"
                self._close(m, hot, record, policy.on_unknown_order,
                            Msg("reason.goodwill.why.unknown_order", {"order": order_id}),
                            log, trace)
                return
            if trace is not None:
                trace.append(("goodwill", "note", f"order {order_id} is unknown; handled as a "
                              "complaint without an order"))
        elif purchase is not None and purchase[P_AMOUNT] > 0 and \
                purchase[P_RETURNED] >= purchase[P_AMOUNT]:
            record[C_CAUSE] = "returned_order"
            self._close(m, hot, record, policy.on_returned_order,
                        Msg("reason.goodwill.why.returned", {"order": order_id or ""}),
                        log, trace)
            return
        if self.dup_words is not None:
            first = None if record[C_KEY] is None else hot.keys.get(record[C_KEY])
            same = Msg("reason.goodwill.same.facts", {"facts": self.dup_words})
        else:
            first = None if order_id is None else hot.topics.get((order_id, category))
            same = Msg("reason.goodwill.same.topic", {})
        if first is not None:
            record[C_DUP] = first
            record[C_CAUSE] = "duplicate"
            earlier = hot.by_id[first]
            self._close(m, hot, record, policy.on_duplicate,
                        Msg("reason.goodwill.why.duplicate", {
                            "first": first, "date": local_day(earlier[C_AT], self.zone),
                            "same": same,
                            "outcome": Msg(f"reason.goodwill.outcome.{earlier[C_OUTCOME]}", {})}),
                        log, trace)
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
            offer = self._offer(m, row, rule, facts)
            if isinstance(offer, str):
                if trace is not None:
                    trace.append((rule.id, "skipped", offer))
                continue
            offers.append(offer)
            if best is None or offer.value > best.value:
                best = offer
        if best is None:
            record[C_CAUSE] = "no_rule"
            self._close(m, hot, record, "no_compensation", Msg(
                "reason.goodwill.why.no_rule" + ("" if order_id is None else ".order"),
                {"category": category_words(category, self.policy.category_labels),
                 "severity": event.severity}),
                log, trace)
            return
        if trace is not None:
            for offer in offers:
                if offer is not best:
                    trace.append((offer.rule.id, "skipped", f"offers {self._worth(offer)}, "
                                  f"not more than rule {best.rule.id!r}"))
        record[C_RULE] = best.rule.id
        if best.value <= 0:
            record[C_CAUSE] = "nothing_left"
            said = tuple(note.args["limit"] if isinstance(note, Msg)
                         and note.key == "reason.goodwill.note.cut" else note
                         for note in best.notes[best.steps:])
            why = notes_message(said) if said else Msg("reason.goodwill.why.nothing", {})
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

    def _pend(self, m: Member, hot: GoodwillState, record: list[Any], facts: _Facts,
              offer: _Offer, over_budget: Decimal | None, why: Msg, log: Log,
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
            trace.append((offer.rule.id, "applied", text(_pending_reason(self, pending))))

    def _grant(self, m: Member, hot: GoodwillState, eid: str, cid: str, rule_id: str,
               kind: str, value: Decimal, points: int | None, decided_at: datetime,
               granted_at: datetime, order_id: str | None, category: str, gift: str | None,
               valid_days: int | None, notes: tuple[Msg | str, ...], approved_by: str | None,
               approval_required: bool, log: Log, trace: Trace) -> None:
        code = expires = None
        if kind == "voucher":
            code = f"{cid}/{rule_id}"
            if valid_days is not None:
                expires = (granted_at.astimezone(self.zone)
                           + relativedelta(days=valid_days)).astimezone(UTC)
        grant = (cid, rule_id, kind, value, points, decided_at, granted_at, order_id, code,
                 gift, expires, approved_by)
        hot.grants.append(grant)
        entry = (_build_granted, self, m.member_id, eid, grant, category, notes,
                 approval_required)
        log.append(entry)
        if trace is not None:
            trace.append((rule_id, "applied", text(_granted_reason(self, grant, category, notes,
                                                                   approval_required))))
        if kind == "points" and points:
            # the goodwill trace line above explains it; the scheme adds the balance effect
            self.points.grant(m, points, rule_id, eid, granted_at,
                              Msg("reason.goodwill.points", {
                                  "n": points, "about": about_message(
                                      cid, order_id, category, self.policy.category_labels)}),
                              log, None)

    def _close(self, m: Member, hot: GoodwillState, record: list[Any], outcome: str,
               why: Msg | str, log: Log, trace: Trace) -> None:
        """Record a complaint that gets no compensation, with its declared outcome."""
        record[C_OUTCOME] = outcome
        hot.add(record)
        args = (record[C_ID], record[C_ORDER], record[C_CATEGORY], outcome, why,
                self.policy.category_labels)
        log.append((_build_declined, m.member_id, record[C_ID], record[C_AT], record[C_RULE],
                    *args))
        if trace is not None:
            kind = "duplicate" if record[C_CAUSE] == "duplicate" else "note"
            trace.append((record[C_RULE] or "goodwill", kind, text(_declined_reason(*args))))

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
            why = Msg("reason.goodwill.why.person.note", {"note": event.note}) if event.note \
                else Msg("reason.goodwill.why.person", {})
            args = (pending[Q_CID], pending[Q_ORDER], pending[Q_CATEGORY], "declined", why,
                    self.policy.category_labels)
            log.append((_build_declined, m.member_id, event.id, event.at, pending[Q_RULE],
                        *args))
            if trace is not None:
                trace.append((pending[Q_RULE], "applied", text(_declined_reason(*args))))
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
