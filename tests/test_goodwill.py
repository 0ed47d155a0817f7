"""Goodwill after a complaint: rules, steps, bounds, approval, outcomes, state and real data."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_file
from reciprocity import (
    Approval,
    Budget,
    Cap,
    Complaint,
    CreditCompensation,
    CurrencyMismatch,
    Decision,
    Diminishing,
    FixedLifetime,
    GiftCompensation,
    GoodwillDeclined,
    GoodwillGranted,
    GoodwillPending,
    GoodwillPolicy,
    GoodwillRule,
    HasConsent,
    InTier,
    InvalidEvent,
    InvalidProgram,
    LateResponseStep,
    MemberState,
    MinSpend,
    Money,
    NotAwaitingApproval,
    Period,
    PointScheme,
    PointsCompensation,
    PointsEarned,
    PointsPerPurchase,
    Program,
    Purchase,
    Redemption,
    RefundShare,
    ResponseTime,
    Return,
    Reward,
    Rounding,
    SharedState,
    SignUp,
    Tier,
    TierBenefits,
    TierLadder,
    VoucherCompensation,
)
from reciprocity._engine import Log
from reciprocity.replay import decision as build_decision

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 10, tzinfo=BERLIN)
ROOT = Path(__file__).resolve().parents[1]
OLIST = ROOT.parent / "shared" / "data" / "olist-classified"


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


LATE = GoodwillRule(id="late", categories=("late_delivery",),
                    compensation=VoucherCompensation(value=eur("5.00")))
DAMAGED = GoodwillRule(id="damaged", categories=("damaged",),
                       compensation=RefundShare(percent=Decimal(20)))
KULANZ = GoodwillRule(id="kulanz", categories=("quality", "damaged"), tiers=("gold",),
                      past_return_window=30, compensation=RefundShare(percent=Decimal(100)),
                      approval=True)
SCHEME = PointScheme(
    earn=(PointsPerPurchase(id="over-50", points=1, min_amount=eur("50.00")),),
    rewards=(Reward(id="voucher-10", name="10 EUR voucher", points=10, value=eur("10.00")),),
)


def program(*rules: GoodwillRule, scheme: PointScheme = SCHEME, **changes: Any) -> Program:
    """A program with the given goodwill rules (LATE and DAMAGED by default)."""
    policy = GoodwillPolicy(rules=rules or (LATE, DAMAGED), **changes)
    return Program(name="Shop", timezone="Europe/Berlin", points=scheme, goodwill=policy)


def buy(oid: str, amount: str = "80.00", at: datetime = T0, member: str = "m-1") -> Purchase:
    return Purchase(id=oid, member_id=member, at=at, amount=eur(amount))


def complain(cid: str, order: str | None = "A-1", category: str = "late_delivery",
             severity: int = 2, at: datetime | None = None, reply_hours: float | None = None,
             member: str = "m-1", **extra: Any) -> Complaint:
    at = at or T0 + timedelta(days=3)
    first = None if reply_hours is None else at + timedelta(hours=reply_hours)
    return Complaint(id=cid, member_id=member, at=at, order_id=order, category=category,
                     severity=severity, first_response_at=first, **extra)


def approve(ref: str, approved: bool = True, aid: str = "AP-1",
            at: datetime | None = None, **extra: Any) -> Approval:
    return Approval(id=aid, member_id="m-1", at=at or T0 + timedelta(days=5),
                    ref_event_id=ref, approved=approved, **extra)


def run(prog: Program, *events: Any, state: MemberState | None = None,
        shared: SharedState | None = None) -> Decision:
    """Apply events in turn; the last decision (its shared state carried along)."""
    result = None
    for event in events:
        result = prog.apply(state, event, shared=shared)
        state, shared = result.state, result.shared
    assert result is not None
    return result


def goodwill(decision: Decision) -> list[Any]:
    kinds = (GoodwillGranted, GoodwillPending, GoodwillDeclined)
    return [e for e in decision.effects if isinstance(e, kinds)]


def granted(decision: Decision) -> GoodwillGranted:
    [effect] = [e for e in decision.effects if isinstance(e, GoodwillGranted)]
    return effect


def declined(decision: Decision) -> GoodwillDeclined:
    [effect] = [e for e in decision.effects if isinstance(e, GoodwillDeclined)]
    return effect


LADDER = TierLadder(tiers=(
    Tier(id="member", name="Member", requires=MinSpend(amount=eur("1.00"))),
    Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("500.00")),
         benefits=TierBenefits(goodwill_factor=Decimal("1.5"))),
))
"""A real ladder: Gold from 500 EUR of spend, with 1.5x goodwill."""


def with_ladder(prog: Program) -> Program:
    """``prog`` with the tier ladder (a new, validated program)."""
    return Program.model_validate({**prog.model_dump(), "tiers": LADDER.model_dump()})


def as_tier(prog: Program, state: MemberState | None, event: Any, tier_id: str,
            factor: str) -> Decision:
    """Apply ``event`` to a hot member whose tier is set by a stand-in for the tier family."""
    pipeline = prog._pipeline
    m = (pipeline.new_member(event.member_id, prog.currency) if state is None
         else pipeline.thaw(state))
    m.tier_id = tier_id
    m.tier_benefits = SimpleNamespace(goodwill_factor=Decimal(factor),
                                      points_multiplier=Decimal(1), free_shipping=False,
                                      perks=())
    log: Log = []
    trace: list[tuple[str, str, str]] = []
    pipeline.step(m, event._row(), log, trace)
    return build_decision(pipeline, m, log, trace, None)


class TestLateDeliveryResponseTime:
    """Acceptance: a late delivery answered within 24 hours vs after 3 days."""

    PROGRAM = program(LATE, response_time=ResponseTime(promised_hours=24, steps=(
        LateResponseStep(late_by_hours=0, factor=Decimal("1.5")),
        LateResponseStep(late_by_hours=24, factor=Decimal(2)))))

    def test_answered_within_24_hours_gets_the_base_voucher(self) -> None:
        """A reply after 20 hours keeps the promise: the 5.00 EUR voucher as declared."""
        d = run(self.PROGRAM, buy("A-1"), complain("C-1", reply_hours=20))
        effect = granted(d)
        assert (effect.kind, effect.value, effect.rule_id) == ("voucher", eur("5.00"), "late")
        assert effect.reason == ("Goodwill for your complaint C-1 about order A-1 (late "
                                 "delivery): a 5.00 EUR voucher")

    def test_answered_after_3_days_steps_up(self) -> None:
        """A reply after 72 hours is 48 hours late: the second step doubles the voucher."""
        d = run(self.PROGRAM, buy("A-1"), complain("C-1", reply_hours=72))
        effect = granted(d)
        assert effect.value == eur("10.00")
        assert "x2: our first reply took 72 hours, we promise 24 hours" in effect.reason

    @pytest.mark.parametrize(("hours", "value"), [(24, "5.00"), (24.5, "7.50"), (48, "7.50"),
                                                  (48.5, "10.00"), (None, "5.00")])
    def test_steps_are_strictly_later_than_promised(self, hours: float | None,
                                                    value: str) -> None:
        """Exactly 24 hours keeps the promise; no reply time given means no step-up."""
        d = run(self.PROGRAM, buy("A-1"), complain("C-1", reply_hours=hours))
        assert granted(d).value == eur(value)

    def test_rule_for_late_replies_only(self) -> None:
        """A rule with late_response=True covers only complaints answered late."""
        apology = GoodwillRule(id="sorry", late_response=True,
                               compensation=CreditCompensation(value=eur("3.00")))
        prog = program(apology, response_time=ResponseTime(
            promised_hours=24, steps=(LateResponseStep(factor=Decimal(1)),)))
        on_time = run(prog, buy("A-1"), complain("C-1", category="service", reply_hours=2))
        assert declined(on_time).outcome == "no_compensation"
        assert ("sorry", "skipped", "is for late replies; ours came in time") in [
            (t.rule_id, t.outcome, t.detail) for t in on_time.trace]
        late = run(prog, buy("A-1"), complain("C-1", category="service", reply_hours=30))
        assert granted(late).kind == "credit"
        unknown = run(prog, buy("A-1"), complain("C-1", category="service"))
        assert declined(unknown).outcome == "no_compensation"


class TestDamagedGoldMember:
    """Acceptance: a damaged item on a Gold member's order, with tier generosity."""

    PROGRAM = program(LATE, DAMAGED, KULANZ)

    def test_gold_member_gets_the_tier_factor(self) -> None:
        """20 % of 80.00 EUR is 16.00; a Gold member's goodwill_factor 1.5 makes it 24.00."""
        state = run(self.PROGRAM, buy("A-1")).state
        d = as_tier(self.PROGRAM, state, complain("C-1", category="damaged"), "gold", "1.5")
        effect = granted(d)
        assert (effect.kind, effect.value) == ("refund_share", eur("24.00"))
        assert effect.reason == (
            "Goodwill for your complaint C-1 about order A-1 (damaged item): a refund of "
            "24.00 EUR (20 % of the order value 80.00 EUR; x1.5 for gold members)")

    def test_gold_reached_on_a_real_ladder(self) -> None:
        """With the tier ladder in the program, the Gold member's factor comes from it."""
        prog = with_ladder(self.PROGRAM)
        gold = run(prog, buy("A-0", "450.00"), buy("A-1"), complain("C-1", category="damaged"))
        assert granted(gold).value == eur("24.00")
        assert "x1.5 for Gold members" in granted(gold).reason  # the tier's name, not its id
        member = run(prog, buy("A-1"), complain("C-1", category="damaged"))
        assert granted(member).value == eur("16.00")

    def test_member_without_tier_gets_the_plain_share(self) -> None:
        """Without tier benefits the factor is 1."""
        d = run(self.PROGRAM, buy("A-1"), complain("C-1", category="damaged"))
        assert granted(d).value == eur("16.00")

    def test_tier_rule_and_in_tier_condition(self) -> None:
        """A rule for gold members (tiers or InTier) is skipped for others, with the reason."""
        gift = GoodwillRule(id="gold-gift", when=InTier(tiers=("gold",)),
                            compensation=GiftCompensation(name="orchid", value=eur("30.00")))
        prog = program(DAMAGED, gift)
        state = run(prog, buy("A-1")).state
        gold = as_tier(prog, state, complain("C-1", category="damaged"), "gold", "1")
        assert (granted(gold).kind, granted(gold).gift) == ("gift", "orchid")
        silver = as_tier(prog, state, complain("C-1", category="damaged"), "silver", "1")
        assert granted(silver).rule_id == "damaged"
        assert ("gold-gift", "skipped", "condition not met: member tier is gold") in [
            (t.rule_id, t.outcome, t.detail) for t in silver.trace]

    def test_severity_factor_and_minimum(self) -> None:
        """by_severity scales by severity; min_severity leaves milder complaints out."""
        rule = GoodwillRule(id="dmg", categories=("damaged",), min_severity=2,
                            by_severity=(1, 1, 1, Decimal("1.5"), 2),
                            compensation=VoucherCompensation(value=eur("10.00")))
        prog = program(rule)
        values = []
        for severity in range(1, 6):
            d = run(prog, buy("A-1"), complain("C-1", category="damaged", severity=severity))
            values.append(sum((e.value.amount for e in goodwill(d)
                               if isinstance(e, GoodwillGranted)), Decimal(0)))
        assert values == [0, 10, 10, 15, 20]


class TestKulanz:
    """Acceptance: a goodwill return 10 days after the legal return window."""

    PROGRAM = program(KULANZ, return_window_days=14)

    def test_gold_member_ten_days_after_the_window(self) -> None:
        """24 days after the order (14-day window) a Gold member's return waits for approval,
        then the whole order value is refunded."""
        state = run(self.PROGRAM, buy("A-1", "59.90")).state
        at = T0 + timedelta(days=24)
        d = as_tier(self.PROGRAM, state, complain("C-1", category="quality", at=at), "gold",
                    "1")
        [pending] = goodwill(d)
        assert isinstance(pending, GoodwillPending)
        assert d.approval_required
        assert (pending.value, pending.kind) == (eur("59.90"), "refund_share")
        assert not [e for e in d.effects if isinstance(e, GoodwillGranted)]
        done = self.PROGRAM.apply(d.state, approve("C-1", at=at + timedelta(days=1),
                                                   approved_by="anna"))
        effect = granted(done)
        assert (effect.value, effect.approval_required, effect.approved_by) == (
            eur("59.90"), True, "anna")
        assert effect.reason == (
            "Goodwill for your complaint C-1 about order A-1 (quality): a refund of 59.90 EUR "
            "(goodwill return 10 days after the 14-day return window; 100 % of the order "
            "value 59.90 EUR), confirmed by our team")

    def test_goodwill_return_on_a_real_ladder(self) -> None:
        """A Gold member (by spend) gets the goodwill return; a plain member does not."""
        prog = with_ladder(self.PROGRAM)
        at = T0 + timedelta(days=24)
        gold = run(prog, buy("A-0", "450.00"), buy("A-1", "59.90"),
                   complain("C-1", category="quality", at=at))
        assert gold.approval_required
        member = run(prog, buy("A-1", "59.90"), complain("C-1", category="quality", at=at))
        assert not member.approval_required
        assert ("kulanz", "skipped", "is for Gold members; the member is in tier Member") in [
            (t.rule_id, t.outcome, t.detail) for t in member.trace]

    @pytest.mark.parametrize(("days", "covered"), [(14, False), (15, True), (44, True),
                                                   (45, False)])
    def test_window_edges(self, days: int, covered: bool) -> None:
        """Day 14 is inside the window; days 15-44 are up to 30 days past it; 45 is too late."""
        state = run(self.PROGRAM, buy("A-1")).state
        d = as_tier(self.PROGRAM, state, complain("C-1", category="damaged",
                                                  at=T0 + timedelta(days=days)), "gold", "1")
        assert d.approval_required is covered

    def test_window_counts_calendar_days_in_the_program_zone(self) -> None:
        """An order at 23:30 and a complaint at 00:30 local time are a calendar day apart."""
        order_at = datetime(2026, 3, 1, 23, 30, tzinfo=BERLIN)
        state = run(self.PROGRAM, buy("A-1", at=order_at)).state
        at = datetime(2026, 3, 16, 0, 30, tzinfo=BERLIN)  # 15 calendar days, 14 x 24 h + 1 h
        d = as_tier(self.PROGRAM, state, complain("C-1", category="damaged", at=at), "gold",
                    "1")
        assert d.approval_required

    def test_other_tiers_get_no_goodwill_return(self) -> None:
        """A member without the tier is told no rule covers the complaint."""
        d = run(self.PROGRAM, buy("A-1"),
                complain("C-1", category="quality", at=T0 + timedelta(days=24)))
        effect = declined(d)
        assert effect.outcome == "no_compensation"
        assert "no goodwill rule covers complaints of the kind “quality”" in effect.reason
        assert ("kulanz", "skipped", "is for gold members; the member has no tier") in [
            (t.rule_id, t.outcome, t.detail) for t in d.trace]


class TestFrequentComplainer:
    """Acceptance: the fourth complaint in a month."""

    def test_fourth_complaint_in_a_month_is_halved(self) -> None:
        """Factors (1, 1, 1, 0.5, 0): the 4th complaint in 30 days gets half, the 5th none."""
        prog = program(LATE, diminishing=Diminishing(
            window_days=30, factors=(1, 1, 1, Decimal("0.5"), 0)))
        events: list[Any] = []
        for n in range(1, 6):
            events += [buy(f"A-{n}", at=T0 + timedelta(days=5 * n)),
                       complain(f"C-{n}", order=f"A-{n}", at=T0 + timedelta(days=5 * n + 1))]
        decisions = list(prog.replay(events))
        values = [e.value.amount for d in decisions for e in goodwill(d)
                  if isinstance(e, GoodwillGranted)]
        assert values == [5, 5, 5, Decimal("2.50")]
        fourth = granted(decisions[7])
        assert "x0.5: your 4th complaint in 30 days" in fourth.reason
        fifth = declined(decisions[9])
        assert fifth.reason.endswith("x0: your 5th complaint in 30 days")

    def test_window_rolls(self) -> None:
        """A complaint 31 days after the first counts only the complaints since."""
        prog = program(LATE, diminishing=Diminishing(window_days=30, factors=(1, 0)))
        d = run(prog, buy("A-1"), buy("A-2"), complain("C-1", order="A-1", at=T0),
                complain("C-2", order="A-2", at=T0 + timedelta(days=31)))
        assert granted(d).value == eur("5.00")

    def test_count_cap_per_month(self) -> None:
        """Cap(count=3, per=MONTH): the 4th compensation in March is refused, April is new."""
        prog = program(LATE, caps=(Cap(count=3, per=Period.MONTH),))
        events: list[Any] = [buy(f"A-{n}", at=T0) for n in range(1, 6)]
        days = [1, 5, 9, 13, 31]  # 3-14 March, then 2 April
        events += [complain(f"C-{n}", order=f"A-{n}", at=T0 + timedelta(days=day))
                   for n, day in enumerate(days, start=1)]
        decisions = list(prog.replay(events))
        fourth = declined(decisions[8])
        assert fourth.reason.endswith("goodwill is at most 3 times per month, and you received 3 "
                                      "compensations this month")
        assert decisions[8].state.goodwill is not None
        assert decisions[8].state.goodwill.complaints[-1].cause == "cap_reached"
        assert granted(decisions[9]).value == eur("5.00")

    def test_duplicates_do_not_count_as_complaints(self) -> None:
        """Repeating a complaint does not push the member down the curve."""
        prog = program(LATE, DAMAGED, diminishing=Diminishing(window_days=30, factors=(1, 0)))
        d = run(prog, buy("A-1"), complain("C-1"), complain("C-2"),
                complain("C-3", category="damaged"))
        assert declined(d).reason.endswith("x0: your 2nd complaint in 30 days")


class TestApproval:
    """Above a limit nothing is given until an Approval event confirms it."""

    PROGRAM = program(LATE, DAMAGED, approval_above=eur("15.00"))

    def pending_state(self) -> MemberState:
        return run(self.PROGRAM, buy("A-1"), complain("C-1", category="damaged")).state

    def test_above_limit_waits_and_grants_nothing(self) -> None:
        """16.00 EUR > 15.00 EUR: the decision carries approval_required, nothing is granted."""
        d = run(self.PROGRAM, buy("A-1"), complain("C-1", category="damaged"))
        [effect] = goodwill(d)
        assert isinstance(effect, GoodwillPending)
        assert (effect.approval_required, effect.why) == (True, "worth more than 15.00 EUR")
        assert d.approval_required
        assert d.state.goodwill is not None
        assert d.state.goodwill.grants == ()
        assert [p.complaint_id for p in d.state.goodwill.pending] == ["C-1"]
        assert d.state.goodwill.complaints[0].outcome == "pending"

    def test_at_limit_is_granted(self) -> None:
        """The limit itself needs no approval."""
        prog = program(DAMAGED, approval_above=eur("16.00"))
        d = run(prog, buy("A-1"), complain("C-1", category="damaged"))
        assert not d.approval_required
        assert granted(d).value == eur("16.00")

    def test_approval_grants_the_pending_compensation(self) -> None:
        """The approval's decision grants exactly what waited, naming the approver."""
        d = self.PROGRAM.apply(self.pending_state(), approve("C-1", approved_by="lea"))
        effect = granted(d)
        assert (effect.complaint_id, effect.event_id, effect.value) == ("C-1", "AP-1",
                                                                       eur("16.00"))
        assert effect.approval_required
        assert effect.approved_by == "lea"
        assert not d.approval_required
        history = d.state.goodwill
        assert history is not None
        assert history.pending == ()
        assert history.grants[0].granted_at == T0 + timedelta(days=5)
        assert history.grants[0].decided_at == T0 + timedelta(days=3)
        assert history.complaints[0].outcome == "granted"

    def test_declined_approval(self) -> None:
        """A declined approval grants nothing and says so."""
        d = self.PROGRAM.apply(self.pending_state(), approve("C-1", approved=False,
                                                             note="photo shows no damage"))
        effect = declined(d)
        assert effect.outcome == "declined"
        assert effect.reason.endswith("a person reviewed it and declined: photo shows no "
                                      "damage")
        assert d.state.goodwill is not None
        assert d.state.goodwill.complaints[0].outcome == "declined"
        assert d.state.goodwill.grants == ()

    def test_unknown_complaint_is_refused(self) -> None:
        """An approval for nothing that waits is refused, and the state is unchanged."""
        state = self.pending_state()
        with pytest.raises(NotAwaitingApproval, match="ref_event_id='C-9' names no complaint"):
            self.PROGRAM.apply(state, approve("C-9"))
        with pytest.raises(NotAwaitingApproval):
            self.PROGRAM.apply(None, approve("C-1"))

    def test_decided_complaint_is_refused(self) -> None:
        """A second approval, or one for a complaint granted at once, is refused."""
        done = self.PROGRAM.apply(self.pending_state(), approve("C-1")).state
        with pytest.raises(NotAwaitingApproval, match="it was granted already") as info:
            self.PROGRAM.apply(done, approve("C-1", aid="AP-2"))
        assert info.value.code == "not-awaiting-approval"
        at_once = run(self.PROGRAM, buy("A-2"), complain("C-2", order="A-2")).state
        with pytest.raises(NotAwaitingApproval, match="granted already"):
            self.PROGRAM.apply(at_once, approve("C-2"))

    def test_same_approval_twice_is_a_no_op(self) -> None:
        """Re-applying the approval's own id changes nothing (idempotency)."""
        first = self.PROGRAM.apply(self.pending_state(), approve("C-1"))
        again = self.PROGRAM.apply(first.state, approve("C-1"))
        assert again.effects == ()
        assert again.trace[0].outcome == "duplicate"
        assert again.state == first.state

    def test_rule_that_always_needs_approval(self) -> None:
        """approval=True on a rule waits even for a small value."""
        rule = GoodwillRule(id="gift", approval=True,
                            compensation=GiftCompensation(name="mug", value=eur("4.00")))
        d = run(program(rule), buy("A-1"), complain("C-1", category="other"))
        [effect] = goodwill(d)
        assert isinstance(effect, GoodwillPending)
        assert effect.why == "this kind of goodwill is always confirmed by a person"

    def test_points_wait_for_approval_too(self) -> None:
        """Pending points are not credited; the approval credits them through the scheme."""
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=30))
        prog = program(rule, approval_above=eur("20.00"))
        d = run(prog, buy("A-1"), complain("C-1"))
        assert d.state.available_points == 1
        assert d.approval_required
        after = prog.apply(d.state, approve("C-1"))
        assert after.state.available_points == 31
        [earned] = [e for e in after.effects if isinstance(e, PointsEarned)]
        assert (earned.points, earned.rule_id, earned.event_id) == (30, "pts", "AP-1")


class TestPointsThroughTheScheme:
    """Points compensation is credited by the point scheme: its lots, expiry and debt."""

    def test_points_join_the_scheme_with_its_expiry(self) -> None:
        """A lot with the scheme's expiry, a PointsEarned with a readable reason."""
        scheme = SCHEME.model_copy(update={"expiry": FixedLifetime(months=12)})
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=25))
        d = run(program(rule, scheme=scheme), buy("A-1"), complain("C-1"))
        [earned] = [e for e in d.effects if isinstance(e, PointsEarned)]
        assert earned.points == 25
        assert earned.expires_at is not None
        assert earned.reason == ("25 points of goodwill for your complaint C-1 about order "
                                 "A-1 (late delivery)")
        assert earned.reason_key == "reason.goodwill.points"
        if importlib.util.find_spec("babel") is not None:
            assert earned.render("de") == ("25 Punkte als Kulanz für Ihre Reklamation C-1 zu "
                                           "Bestellung A-1 (Verspätete Lieferung)")
        assert granted(d).points == 25
        assert granted(d).value == eur("25.00")
        assert granted(d).points_delta == 0  # the PointsEarned effect carries the balance
        assert d.state.available_points == 26
        assert sum(e.points_delta for e in d.effects) == 25

    def test_points_repay_debt_first(self) -> None:
        """Goodwill points repay points owed after a return took back spent points."""
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=5))
        prog = program(rule)
        state = run(prog, *[buy(f"A-{n}", at=T0 + timedelta(hours=n)) for n in range(10)]).state
        state = prog.apply(state, Redemption(id="R-1", member_id="m-1",
                                             at=T0 + timedelta(days=1),
                                             reward_id="voucher-10")).state
        state = prog.apply(state, Return(id="RT-1", member_id="m-1", purchase_id="A-0",
                                         at=T0 + timedelta(days=2))).state
        assert state.debt == 1
        d = prog.apply(state, complain("C-1", order="A-1"))
        assert d.state.debt == 0
        assert d.state.available_points == 4

    def test_points_rounding_is_declared(self) -> None:
        """3 points x 1.5 is 4.5: HALF_UP gives 5, DOWN gives 4."""
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=3),
                            by_severity=(1, 1, Decimal("1.5"), Decimal("1.5"),
                                         Decimal("1.5")))
        for rounding, points in ((Rounding.HALF_UP, 5), (Rounding.DOWN, 4)):
            d = run(program(rule, rounding=rounding), buy("A-1"), complain("C-1", severity=3))
            assert granted(d).points == points

    def test_point_value_must_be_known(self) -> None:
        """Points with no catalogue and no point_value cannot be valued: refused at build."""
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=3))
        with pytest.raises(InvalidProgram, match=r"declare GoodwillPolicy\.point_value"):
            program(rule, scheme=PointScheme())
        prog = program(rule, scheme=PointScheme(), point_value=eur("0.10"))
        d = run(prog, buy("A-1"), complain("C-1"))
        assert granted(d).value == eur("0.30")


class TestCompensationKinds:
    """Vouchers, gifts, credits and refund shares, with their details."""

    def test_voucher_code_and_validity(self) -> None:
        """A voucher has a code and is valid for valid_days from the grant, in local time."""
        rule = GoodwillRule(id="v", compensation=VoucherCompensation(value=eur("5.00"),
                                                                     valid_days=30))
        d = run(program(rule), buy("A-1"), complain("C-1", at=datetime(2026, 3, 20, 12,
                                                                       tzinfo=BERLIN)))
        effect = granted(d)
        assert effect.code == "C-1/v"
        assert effect.expires_at == datetime(2026, 4, 19, 12, tzinfo=BERLIN)  # across DST
        assert effect.reason.endswith("a 5.00 EUR voucher, valid until 2026-04-19")

    def test_percent_voucher_with_cap_and_rounding(self) -> None:
        """12.5 % of 33.33 EUR is 4.16625: HALF_UP 4.17, DOWN 4.16; at most 4.00 caps it."""
        for rounding, value in ((Rounding.HALF_UP, "4.17"), (Rounding.DOWN, "4.16")):
            rule = GoodwillRule(id="v", compensation=VoucherCompensation(
                percent=Decimal("12.5"), rounding=rounding))
            assert granted(run(program(rule), buy("A-1", "33.33"),
                               complain("C-1"))).value == eur(value)
        capped = GoodwillRule(id="v", compensation=VoucherCompensation(
            percent=Decimal("12.5"), max=eur("4.00")))
        effect = granted(run(program(capped), buy("A-1", "33.33"), complain("C-1")))
        assert effect.value == eur("4.00")
        assert "at most 4.00 EUR by this rule" in effect.reason

    def test_share_of_the_amount_affected(self) -> None:
        """of="affected" uses the complaint's amount_affected, else the order's value."""
        rule = GoodwillRule(id="r", compensation=RefundShare(percent=Decimal(50),
                                                             of="affected"))
        d = run(program(rule), buy("A-1", "80.00"),
                complain("C-1", amount_affected=eur("12.00")))
        assert granted(d).value == eur("6.00")
        d = run(program(rule), buy("A-1", "80.00"), complain("C-1"))
        assert granted(d).value == eur("40.00")
        d = run(program(rule), complain("C-1", order=None, amount_affected=eur("9.00")))
        assert granted(d).value == eur("4.50")

    def test_percent_without_a_base_is_skipped(self) -> None:
        """A share of the order value needs an order; the trace says so."""
        d = run(program(DAMAGED), complain("C-1", order=None, category="damaged"))
        assert declined(d).outcome == "no_compensation"
        assert any(t.rule_id == "damaged" and "needs the order's value" in t.detail
                   for t in d.trace)

    def test_gift_and_credit(self) -> None:
        """A gift states its value; a credit is money on the account."""
        gift = GoodwillRule(id="g", categories=("service",),
                            compensation=GiftCompensation(name="tea sampler",
                                                          value=eur("4.00")))
        credit = GoodwillRule(id="c", categories=("missing_item",),
                              compensation=CreditCompensation(value=eur("7.00")))
        prog = program(gift, credit)
        g = granted(run(prog, buy("A-1"), complain("C-1", category="service")))
        assert g.reason.endswith("a small gift: tea sampler (worth 4.00 EUR)")
        c = granted(run(prog, buy("A-1"), complain("C-1", category="missing_item")))
        assert (c.kind, c.value) == ("credit", eur("7.00"))

    def test_most_generous_matching_rule_wins(self) -> None:
        """Rules never add up: the best offer applies, the first declared on a tie."""
        small = GoodwillRule(id="small", compensation=CreditCompensation(value=eur("3.00")))
        big = GoodwillRule(id="big", compensation=CreditCompensation(value=eur("8.00")))
        same = GoodwillRule(id="same", compensation=VoucherCompensation(value=eur("8.00")))
        d = run(program(small, big, same), buy("A-1"), complain("C-1"))
        assert granted(d).rule_id == "big"
        assert ("small", "skipped", "offers 3.00 EUR, not more than rule 'big'") in [
            (t.rule_id, t.outcome, t.detail) for t in d.trace]
        assert len(goodwill(d)) == 1

    def test_condition_on_the_member(self) -> None:
        """when= takes any condition, e.g. a consent."""
        rule = GoodwillRule(id="mail", when=HasConsent(consent="email"),
                            compensation=VoucherCompensation(value=eur("2.00")))
        prog = program(rule)
        assert declined(run(prog, buy("A-1"), complain("C-1"))).outcome == "no_compensation"
        signed = SignUp(id="S-1", member_id="m-1", at=T0, consents=("email",))
        assert granted(run(prog, signed, buy("A-1"), complain("C-1"))).value == eur("2.00")


class TestBounds:
    """Per complaint, per member per period, program budget, and the order's value."""

    def test_never_more_than_the_order_value(self) -> None:
        """A 100 % refund share and a second complaint on the same order share its value."""
        full = GoodwillRule(id="full", compensation=RefundShare(percent=Decimal(100)))
        prog = program(full, LATE)
        d = run(prog, buy("A-1", "30.00"), Return(id="RT", member_id="m-1", at=T0,
                                                  purchase_id="A-1", amount=eur("10.00")),
                complain("C-1", category="damaged"))
        assert granted(d).value == eur("20.00")  # what is left after the partial return
        d2 = prog.apply(d.state, complain("C-2", category="service"))
        assert declined(d2).reason.endswith(
            "no more than what is left of order A-1's value (20.00 EUR given for it already)")

    def test_may_exceed_order_value_when_declared(self) -> None:
        """may_exceed_order_value lets goodwill go past the order's value."""
        big = GoodwillRule(id="big", compensation=CreditCompensation(value=eur("50.00")))
        assert granted(run(program(big), buy("A-1", "20.00"),
                           complain("C-1"))).value == eur("20.00")
        assert granted(run(program(big, may_exceed_order_value=True), buy("A-1", "20.00"),
                           complain("C-1"))).value == eur("50.00")

    def test_max_per_complaint(self) -> None:
        """max_per_complaint cuts the value and says why."""
        effect = granted(run(program(DAMAGED, max_per_complaint=eur("10.00")), buy("A-1"),
                             complain("C-1", category="damaged")))
        assert effect.value == eur("10.00")
        assert "cut to 10.00 EUR: at most 10.00 EUR per complaint" in effect.reason

    def test_amount_cap_cuts_to_what_is_left(self) -> None:
        """At most 20.00 EUR per month: 16.00, then 4.00, then nothing; April starts anew."""
        prog = program(DAMAGED, caps=(Cap(amount=eur("20.00"), per=Period.MONTH),))
        events: list[Any] = [buy(f"A-{n}") for n in range(4)]
        for n, day in enumerate((2, 3, 4, 31)):
            events.append(complain(f"C-{n}", order=f"A-{n}", category="damaged",
                                   at=T0 + timedelta(days=day)))
        decisions = list(prog.replay(events))
        assert granted(decisions[4]).value == eur("16.00")
        second = granted(decisions[5])
        assert second.value == eur("4.00")
        assert ("cut to 4.00 EUR: goodwill is at most 20.00 EUR in value per month, and you "
                "received 16.00 EUR this month") in second.reason
        assert declined(decisions[6]).reason.endswith(
            "goodwill is at most 20.00 EUR in value per month, and you received 20.00 EUR "
            "this month")
        assert granted(decisions[7]).value == eur("16.00")

    def test_points_are_cut_to_whole_points_down(self) -> None:
        """5.50 EUR left at 1.00 EUR a point leaves room for 5 points, not 6."""
        rule = GoodwillRule(id="pts", compensation=PointsCompensation(points=8))
        prog = program(rule, max_per_complaint=eur("5.50"))
        assert granted(run(prog, buy("A-1"), complain("C-1"))).points == 5

    def test_pending_compensation_counts_against_caps(self) -> None:
        """What waits for approval is reserved; declining it frees the room again."""
        prog = program(DAMAGED, caps=(Cap(amount=eur("20.00"), per=Period.MONTH),),
                       approval_above=eur("10.00"))
        d = run(prog, buy("A-1"), buy("A-2"), complain("C-1", category="damaged"))
        d2 = prog.apply(d.state, complain("C-2", order="A-2", category="damaged"))
        assert [e.value for e in goodwill(d2)] == [eur("4.00")]
        d3 = prog.apply(d.state, approve("C-1", approved=False))
        d4 = prog.apply(d3.state, complain("C-2", order="A-2", category="damaged"))
        assert isinstance(goodwill(d4)[0], GoodwillPending)
        assert goodwill(d4)[0].value == eur("16.00")

    def test_budget_is_shared_across_members(self) -> None:
        """A 30.00 EUR monthly budget: 16.00 for one member, 14.00 for the next, then none."""
        budget = Budget(id="goodwill", amount=eur("30.00"), per=Period.MONTH)
        prog = program(DAMAGED, budget=budget)
        assert prog.uses_shared_state
        events: list[Any] = []
        for n in range(3):
            events += [buy(f"A-{n}", member=f"m-{n}"),
                       complain(f"C-{n}", order=f"A-{n}", category="damaged", member=f"m-{n}",
                                at=T0 + timedelta(days=3, hours=n))]
        replay = prog.replay(events)
        effects = [e for e in replay.effects() if isinstance(e, GoodwillGranted |
                                                              GoodwillDeclined)]
        assert [getattr(e, "value", None) for e in effects] == [eur("16.00"), eur("14.00"),
                                                                 None]
        assert effects[2].reason.endswith("this month's goodwill budget is used up")
        shared = replay.shared
        assert shared is not None
        assert shared.budgets["goodwill@2026-03"].amount == Decimal("30.00")

    def test_budget_without_budget_program_has_no_shared_state(self) -> None:
        """Only a declared budget makes the program keep program-wide state."""
        assert not program(DAMAGED).uses_shared_state

    def test_exhausted_budget_can_ask_for_approval(self) -> None:
        """when_exhausted="approval": over the budget waits; approving spends past it."""
        budget = Budget(id="gw", amount=eur("10.00"), per=Period.MONTH,
                        when_exhausted="approval")
        prog = program(DAMAGED, budget=budget)
        d = run(prog, buy("A-1"), complain("C-1", category="damaged"))
        [effect] = goodwill(d)
        assert isinstance(effect, GoodwillPending)
        assert effect.why == "over the program's goodwill budget"
        assert d.shared is not None
        assert d.shared.budgets == {}
        done = prog.apply(d.state, approve("C-1"), shared=d.shared)
        assert done.shared is not None
        assert done.shared.budgets["gw@2026-03"].amount == Decimal("16.00")
        assert ("goodwill", "note", "approved over the program's goodwill budget") in [
            (t.rule_id, t.outcome, t.detail) for t in done.trace]

    def test_declined_approval_gives_the_budget_back(self) -> None:
        """A reserved budget share returns when a person declines."""
        budget = Budget(id="gw", amount=eur("100.00"), per=Period.MONTH)
        prog = program(DAMAGED, budget=budget, approval_above=eur("1.00"))
        d = run(prog, buy("A-1"), complain("C-1", category="damaged"))
        assert d.shared is not None
        assert d.shared.budgets["gw@2026-03"].amount == Decimal("16.00")
        back = prog.apply(d.state, approve("C-1", approved=False), shared=d.shared)
        assert back.shared is not None
        assert back.shared.budgets["gw@2026-03"].count == 0
        assert back.shared.budgets["gw@2026-03"].amount == 0


class TestOutcomes:
    """Unknown or returned orders and duplicates get the declared outcome, never a double."""

    @pytest.mark.parametrize(("declared", "outcome"), [
        ("refer_to_service", "refer_to_service"), ("no_compensation", "no_compensation")])
    def test_unknown_order(self, declared: str, outcome: str) -> None:
        """A complaint about an order the state never saw."""
        d = run(program(LATE, on_unknown_order=declared), complain("C-1", order="X-9"))
        effect = declined(d)
        assert effect.outcome == outcome
        assert "order X-9 is not known to us" in effect.reason
        assert d.state.goodwill is not None
        assert d.state.goodwill.complaints[0].cause == "unknown_order"

    def test_unknown_order_can_be_ignored(self) -> None:
        """ignore_order handles it as a complaint without an order (no order-value bound)."""
        d = run(program(LATE, on_unknown_order="ignore_order"), complain("C-1", order="X-9"))
        assert granted(d).value == eur("5.00")
        assert granted(d).order_id == "X-9"
        assert ("goodwill", "note", "order X-9 is unknown; handled as a complaint without an "
                "order") in [(t.rule_id, t.outcome, t.detail) for t in d.trace]

    def test_unknown_order_is_not_a_duplicate_later(self) -> None:
        """Once the order is known, the complaint can be made again and compensated."""
        prog = program(LATE)
        d = run(prog, complain("C-1", at=T0 - timedelta(days=1)), buy("A-1"), complain("C-2"))
        assert granted(d).value == eur("5.00")

    def test_returned_order(self) -> None:
        """A complaint about an order returned in full gets the declared outcome."""
        ret = Return(id="RT", member_id="m-1", at=T0 + timedelta(days=1), purchase_id="A-1")
        d = run(program(LATE), buy("A-1"), ret, complain("C-1"))
        assert declined(d).reason == ("No goodwill for your complaint C-1 about order A-1 "
                                      "(late delivery): order A-1 was returned in full")
        d = run(program(LATE, on_returned_order="refer_to_service"), buy("A-1"), ret,
                complain("C-1"))
        assert declined(d).outcome == "refer_to_service"
        assert declined(d).reason.startswith("Your complaint C-1 about order A-1 (late "
                                             "delivery) goes to our service team")

    def test_duplicate_complaint(self) -> None:
        """The same order and category twice: compensated once, the repeat is traced."""
        d = run(program(LATE), buy("A-1"), complain("C-1"),
                complain("C-2", severity=5, at=T0 + timedelta(days=4)))
        effect = declined(d)
        assert effect.outcome == "no_compensation"
        assert effect.reason.endswith("it repeats complaint C-1 of 2026-03-05 about the same "
                                      "order and problem (granted)")
        assert [t.outcome for t in d.trace if t.rule_id == "goodwill"][-1] == "duplicate"
        assert d.state.goodwill is not None
        assert len(d.state.goodwill.grants) == 1
        assert d.state.goodwill.complaints[1].duplicate_of == "C-1"

    def test_duplicate_can_be_referred(self) -> None:
        """on_duplicate="refer_to_service" hands the repeat to a person."""
        d = run(program(LATE, on_duplicate="refer_to_service"), buy("A-1"), complain("C-1"),
                complain("C-2"))
        assert declined(d).outcome == "refer_to_service"

    def test_other_category_on_the_same_order_is_no_duplicate(self) -> None:
        """A damaged item on an order delivered late is a second problem."""
        d = run(program(LATE, DAMAGED), buy("A-1"), complain("C-1"),
                complain("C-2", category="damaged"))
        assert granted(d).rule_id == "damaged"

    def test_no_rule_matches(self) -> None:
        """A complaint no rule covers gets no compensation, with the reason."""
        d = run(program(LATE), buy("A-1"), complain("C-1", category="service", severity=1))
        assert declined(d).reason.endswith(
            "no goodwill rule covers complaints of the kind “service” with severity 1 "
            "on this order")

    def test_a_labelled_category_is_said_in_each_locales_label(self) -> None:
        """A category with ``category_labels`` is said by its label in every reason, in
        each locale (the German reason said "(train delayed)", the English words), granted
        or declined, and the label survives the effect's JSON."""
        pytest.importorskip("babel")
        labels = {"train_delayed": {"en": "delayed train", "de": "Zugverspätung"}}
        rule = GoodwillRule(id="late", categories=("train_delayed",), min_severity=2,
                            compensation=VoucherCompensation(value=eur("5.00")))
        prog = program(rule, categories=("train_delayed",), category_labels=labels)
        d = run(prog, buy("A-1"), complain("C-1", category="train_delayed", severity=1))
        effect = declined(d)
        assert "(delayed train)" in effect.render("en")
        assert "(Zugverspätung)" in effect.render("de")
        assert "train delayed" not in effect.render("de")
        again = type(effect).model_validate_json(effect.model_dump_json())
        assert again.render("de") == effect.render("de")
        d = run(prog, buy("A-1"), complain("C-2", category="train_delayed", severity=2))
        assert "(Zugverspätung)" in granted(d).render("de")

    def test_negative_amount_affected_is_refused(self) -> None:
        """A negative amount affected is bad input, refused before anything changes."""
        with pytest.raises(InvalidEvent, match=r"amount_affected=-5\.00 EUR is negative"):
            run(program(LATE), buy("A-1"), complain("C-1", amount_affected=eur("-5.00")))

    def test_complaint_in_another_currency_is_refused(self) -> None:
        """amount_affected must be in the program's currency."""
        with pytest.raises(CurrencyMismatch, match=r"Complaint\.amount_affected"):
            run(program(LATE), buy("A-1"),
                complain("C-1", amount_affected=Money("5.00", "USD")))


class TestStateAndEngine:
    """History in the state, JSON round trip, replay, idempotency, explain."""

    def events(self) -> list[Any]:
        return [buy("A-1"), buy("A-2"), complain("C-1"),
                complain("C-2", order="A-2", category="damaged", at=T0 + timedelta(days=4)),
                complain("C-3", order="X", at=T0 + timedelta(days=4, hours=1)),
                approve("C-2", at=T0 + timedelta(days=6))]

    def prog(self) -> Program:
        return program(LATE, DAMAGED, approval_above=eur("10.00"),
                       budget=Budget(id="gw", amount=eur("500.00"), per=Period.MONTH),
                       caps=(Cap(amount=eur("100.00"), per=Period.YEAR),))

    def test_history_round_trips_through_json(self) -> None:
        """The state with complaints, grants and pending approvals is JSON round-trip exact."""
        prog = self.prog()
        for cut in (5, 6):
            state = run(prog, *self.events()[:cut]).state
            assert state.goodwill is not None
            again = MemberState.model_validate_json(state.model_dump_json())
            assert again == state
            outcomes = [c.outcome for c in state.goodwill.complaints]
        assert outcomes == ["granted", "granted", "refer_to_service"]

    def test_replay_equals_a_fold_of_apply(self) -> None:
        """replay gives the same states, shared state and effects as apply one by one."""
        prog = self.prog()
        state: MemberState | None = None
        shared: SharedState | None = None
        effects: list[Any] = []
        for event in self.events():
            d = prog.apply(state, event, shared=shared)
            state, shared = d.state, d.shared
            effects += d.effects
        replay = prog.replay(self.events())
        assert replay.states["m-1"] == state
        assert replay.shared == shared
        assert list(replay.effects()) == effects

    def test_complaint_applied_twice_is_a_no_op(self) -> None:
        """The complaint id makes it idempotent: no double compensation."""
        prog = program(LATE)
        d = run(prog, buy("A-1"), complain("C-1"))
        again = prog.apply(d.state, complain("C-1"))
        assert again.effects == ()
        assert again.state == d.state

    def test_history_is_visible_in_the_trace(self) -> None:
        """A member's own goodwill history opens the trace of the next complaint."""
        d = run(program(LATE, DAMAGED), buy("A-1"), complain("C-1"),
                complain("C-2", category="damaged"))
        assert d.trace[0].detail == (
            "history of member m-1: 1 complaint before, 1 compensation worth 5.00 EUR; "
            "last: C-1 of 2026-03-05 (late delivery, granted)")

    def test_program_explains_goodwill(self) -> None:
        """Program.explain lists the rules, steps, bounds and outcomes in words."""
        prog = program(LATE, KULANZ, diminishing=Diminishing(window_days=30,
                                                             factors=(1, 1, 1, Decimal("0.5"))),
                       caps=(Cap(amount=eur("50.00"), per=Period.MONTH),))
        text = prog.explain()
        assert "Goodwill after a complaint (the most generous matching rule applies):" in text
        assert "- late delivery: a 5.00 EUR voucher" in text
        assert "The legal return window is 14 days from the order." in text
        assert "Frequent complaints: x0.5 from the 4th complaint in 30 days." in text
        assert "at most 50.00 EUR in value per month per member" in text

    @pytest.mark.parametrize(("outcome", "said"), [
        ("no_compensation", "gets no compensation"),
        ("refer_to_service", "is referred to the service team")])
    def test_explain_says_each_outcome_as_a_sentence(self, outcome: str, said: str) -> None:
        """Each special case reads as a sentence, whatever its outcome (it said "a complaint
        about an unknown order is no compensation")."""
        text = program(LATE, on_unknown_order=outcome, on_returned_order=outcome,
                       on_duplicate=outcome).explain()
        assert (f"A complaint about an unknown order {said}; one about an order returned in "
                f"full {said}; a duplicate (same order and category) {said}.") in text

    def test_program_saves_and_loads(self, tmp_path: Path) -> None:
        """A goodwill program is data: JSON out and back, unchanged and working."""
        prog = program(LATE, KULANZ, approval_above=eur("40.00"),
                       response_time=ResponseTime(promised_hours=24,
                                                  steps=(LateResponseStep(factor=2),)))
        path = tmp_path / "program.json"
        prog.save(path)
        loaded = Program.load(path)
        assert loaded.model_dump() == prog.model_dump()
        assert json.loads(path.read_text())["goodwill"]["rules"][1]["past_return_window"] == 30
        d = run(loaded, buy("A-1"), complain("C-1", reply_hours=30))
        assert granted(d).value == eur("10.00")


BAD_POLICIES: list[tuple[dict[str, Any], str]] = [
    ({"rules": []}, "rules"),
    ({"rules": [{"id": "a", "compensation": {"type": "voucher"}}]},
     "give either value or percent"),
    ({"rules": [{"id": "a", "compensation": {"type": "voucher", "percent": "10",
                                             "value": "5 EUR"}}]}, "not both"),
    ({"rules": [{"id": "a", "compensation": {"type": "credit", "value": "5 EUR",
                                             "max": "9 EUR"}}]}, "max only bounds"),
    ({"rules": [{"id": "a", "compensation": {"type": "refund_share", "percent": "120"}}]},
     "percent"),
    ({"rules": [{"id": "a", "compensation": {"type": "points", "points": 0}}]}, "points"),
    ({"rules": [{"id": "a", "compensation": {"type": "gift", "name": "x", "value": "0 EUR"}}]},
     "more than zero"),
    ({"rules": [{"id": "a", "by_severity": [1, 2, 1, 2, 3],
                 "compensation": {"type": "points", "points": 1}}]}, "decreases"),
    ({"rules": [{"id": "a", "categories": ["rude"],
                 "compensation": {"type": "points", "points": 1}}]}, "categories"),
    ({"rules": [{"id": "a", "compensation": {"type": "points", "points": 1}},
                {"id": "a", "compensation": {"type": "points", "points": 2}}]}, "unique"),
    ({"diminishing": {"window_days": 30, "factors": [1, "0.5", 1]}}, "increase"),
    ({"diminishing": {"window_days": 30, "factors": [2]}}, "above 1"),
    ({"response_time": {"promised_hours": 24, "steps": [{"factor": "0.5"}]}}, "below 1"),
    ({"response_time": {"promised_hours": 24, "steps": [
        {"late_by_hours": 10, "factor": 2}, {"late_by_hours": 5, "factor": 3}]}},
     "increasing late_by_hours"),
    ({"approval_above": "-1 EUR"}, "negative"),
    ({"max_per_complaint": "0 EUR"}, "more than zero"),
    ({"on_duplicate": "ignore_order"}, "on_duplicate"),
]


@pytest.mark.parametrize(("changes", "mentions"), BAD_POLICIES)
def test_bad_policy(changes: dict[str, Any], mentions: str) -> None:
    """Each bad declaration is an InvalidProgram naming the problem."""
    data: dict[str, Any] = {"rules": [{"id": "r", "compensation": {"type": "points",
                                                                   "points": 1}}]}
    data.update(changes)
    with pytest.raises(InvalidProgram, match=mentions) as info:
        Program.model_validate({"name": "x", "goodwill": data})
    assert info.value.code == "invalid-program"


def test_amounts_in_another_currency_are_refused() -> None:
    """Every amount of the policy must be in the program's currency."""
    with pytest.raises(InvalidProgram, match=r"goodwill caps\[0\]\.amount=10\.00 USD"):
        program(LATE, caps=(Cap(amount=Money("10.00", "USD")),))
    with pytest.raises(InvalidProgram, match="goodwill rule 'late' compensation"):
        program(GoodwillRule(id="late", compensation=VoucherCompensation(
            value=Money("5", "USD"))))


class TestOlistExample:
    """The real-data example runs on the Olist complaints and compares two policies."""

    SCRIPT = ROOT / "docs" / "examples" / "goodwill_olist.py"

    @pytest.mark.skipif(not OLIST.is_dir(), reason=f"real data folder {OLIST} is absent "
                        "(it ships outside the repository; CI provides it)")
    def test_example_runs_and_reports_by_class(self) -> None:
        """The script prints cost and compensation by complaint class for both policies."""
        result = subprocess.run([sys.executable, str(self.SCRIPT), str(OLIST)],
                                capture_output=True, text=True, timeout=120, check=True)
        out = result.stdout
        assert "generous" in out
        assert "lean" in out
        for name in ("atrasado", "entrega_parcial", "baixa_qualidade", "devolucao"):
            assert name in out
        assert "BRL" in out

    @pytest.mark.skipif(not OLIST.is_dir(), reason=f"real data folder {OLIST} is absent")
    def test_example_totals(self) -> None:
        """Every complaint is decided once; the generous policy costs more than the lean one."""
        module = load_file(self.SCRIPT, keep=False)
        events, classes = module.load(OLIST)
        complaints = [e for e in events if isinstance(e, Complaint)]
        assert 1400 < len(complaints) < 1700
        reports = {name: module.run(prog, events, classes)
                   for name, prog in module.programs().items()}
        for report in reports.values():
            assert sum(row["complaints"] for row in report.values()) == len(complaints)
        total = {name: sum((row["cost"] for row in report.values()), Decimal(0))
                 for name, report in reports.items()}
        assert total["generous"] > total["lean"] > 0

    def test_example_skips_clearly_without_data(self, tmp_path: Path) -> None:
        """Given a folder without the data, the script says what is missing and exits 2."""
        result = subprocess.run([sys.executable, str(self.SCRIPT), str(tmp_path)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 2
        assert "olist_classified_public_dataset.csv.gz" in result.stderr
