"""Tier ladders: qualification, validity, reviews, grace, soft landing, progress, checks."""

import importlib.util
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    CalendarYear,
    ChannelIs,
    Downgrade,
    Event,
    InTier,
    InvalidEvent,
    InvalidProgram,
    Lifetime,
    Line,
    MembershipYear,
    MemberState,
    MinOrders,
    MinPoints,
    MinSpend,
    Money,
    MonthsFromQualifying,
    NoExpiry,
    PointScheme,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    Redemption,
    RequireAll,
    RequireAny,
    RestOfPeriodAndNext,
    Return,
    Reward,
    RollingMonths,
    SignUp,
    Tier,
    TierBenefits,
    TierChanged,
    TierGraceStarted,
    TierLadder,
    TierMultiplier,
    TypicalActivity,
    check_ladder,
    require_all,
    tier_progress,
)
from reciprocity.cli import main

BERLIN = ZoneInfo("Europe/Berlin")


def eur(amount: str | int) -> Money:
    return Money(amount, "EUR")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def buy(eid: str, amount: str, when: datetime, channel: str | None = None) -> Purchase:
    return Purchase(id=eid, member_id="m-1", at=when, amount=eur(amount), channel=channel)


def give_back(eid: str, purchase_id: str, when: datetime, amount: str | None = None) -> Return:
    return Return(id=eid, member_id="m-1", at=when, purchase_id=purchase_id,
                  amount=None if amount is None else eur(amount))


BRONZE = Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00")),
              benefits=TierBenefits(perks=("welcome-sample",)))
SILVER = Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("350.00")),
              benefits=TierBenefits(points_multiplier=Decimal("1.5"), free_shipping=True,
                                    perks=("welcome-sample", "birthday-gift")))
GOLD = Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("1000.00")),
            benefits=TierBenefits(points_multiplier=Decimal(2), free_shipping=True,
                                  perks=("welcome-sample", "birthday-gift"),
                                  early_access_days=3, goodwill_factor=Decimal("1.5")))


def program(**ladder: Any) -> Program:
    ladder.setdefault("tiers", (BRONZE, SILVER, GOLD))
    return Program(name="Shop", currency="EUR", timezone="Europe/Berlin",
                   tiers=TierLadder(**ladder))


def sound_program() -> Program:
    """The three-tier ladder with a point scheme that applies the tier multiplier."""
    return Program(
        name="Shop", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=(PointsPerAmount(id="base", per=eur("1.00"),
                                                 multipliers=(TierMultiplier(),)),)),
        tiers=TierLadder(tiers=(BRONZE, SILVER, GOLD)))


def run(prog: Program, events: list[Event], state: MemberState | None = None) -> MemberState:
    for event in events:
        state = prog.apply(state, event).state
    assert state is not None
    return state


def changes(effects: Any) -> list[tuple[str, str | None, str | None]]:
    return [(e.change, e.from_tier, e.to_tier) for e in effects if isinstance(e, TierChanged)]


def tier_at(prog: Program, state: MemberState, when: datetime) -> str | None:
    advanced = prog.advance(state, when).state
    assert advanced.tier is not None
    return advanced.tier.tier_id


class TestCalendarYearLadder:
    """The seed design: a first tier reached by the first order, Silver for two years."""

    def test_first_order_reaches_the_first_tier(self) -> None:
        """A first order of a low amount reaches Bronze at once, with a readable effect."""
        decision = program().apply(None, buy("A-1", "12.00", at(2026, 3, 1)))
        (effect,) = [e for e in decision.effects if isinstance(e, TierChanged)]
        assert (effect.change, effect.from_tier, effect.to_tier) == ("upgrade", None, "bronze")
        assert effect.rule_id == "tiers"
        assert effect.benefits == BRONZE.benefits
        assert effect.valid_until == datetime(2028, 1, 1, tzinfo=BERLIN)
        assert effect.reason == ("Bronze reached with 12.00 EUR spent in 2026: welcome-sample, "
                                 "valid until 2027-12-31")
        assert decision.state.tier is not None
        assert decision.state.tier.tier_id == "bronze"

    def test_second_order_crosses_silver_and_keeps_it_through_next_year(self) -> None:
        """Silver reached on the second order of 2026 lasts until 31 Dec 2027 24:00 Berlin."""
        prog = program()
        state = run(prog, [buy("A-1", "50.00", at(2026, 3, 1))])
        decision = prog.apply(state, buy("A-2", "310.00", at(2026, 9, 1)))
        assert changes(decision.effects) == [("upgrade", "bronze", "silver")]
        effect = decision.effects[-1]
        assert isinstance(effect, TierChanged)
        assert effect.reason == ("Silver reached with 360.00 EUR spent in 2026: 1.5x points, "
                                 "free shipping, welcome-sample and birthday-gift, valid until "
                                 "2027-12-31")
        if importlib.util.find_spec("babel") is not None:
            assert effect.render("de") == (
                "Silver erreicht mit 360,00 EUR Umsatz im Jahr 2026: Punkte ×1,5, "
                "kostenloser Versand, welcome-sample und birthday-gift, gültig bis 31.12.2027")
        state = decision.state
        assert tier_at(prog, state, at(2027, 12, 31, 23, 59)) == "silver"
        assert tier_at(prog, state, at(2028, 1, 1, 0, 0)) is None

    def test_review_is_midnight_in_the_program_zone(self) -> None:
        """The 1 January review fires at 00:00 Berlin (23:00 UTC), not at 00:00 UTC."""
        prog = program()
        state = run(prog, [buy("A-1", "400.00", at(2026, 3, 1))])
        assert tier_at(prog, state, datetime(2027, 12, 31, 22, 59, tzinfo=UTC)) == "silver"
        assert tier_at(prog, state, datetime(2027, 12, 31, 23, 0, tzinfo=UTC)) is None

    def test_requalifying_renews_once_per_year(self) -> None:
        """Reaching Silver again in 2027 renews it to the end of 2028, with one effect."""
        prog = program()
        state = run(prog, [buy("A-1", "400.00", at(2026, 3, 1)),
                           buy("A-2", "200.00", at(2027, 2, 1))])
        decision = prog.apply(state, buy("A-3", "200.00", at(2027, 5, 1)))
        assert changes(decision.effects) == [("renewal", "silver", "silver")]
        assert decision.effects[-1].reason == ("Silver renewed with 400.00 EUR spent in 2027, "
                                               "valid until 2028-12-31")
        state = decision.state
        assert changes(prog.apply(state, buy("A-4", "10.00", at(2027, 6, 1))).effects) == []
        assert tier_at(prog, state, at(2028, 12, 31)) == "silver"

    def test_review_drops_to_the_tier_the_year_earned(self) -> None:
        """Gold from 2026; only 400 EUR in 2027: Silver from 1 Jan 2028 until the end of 2028."""
        prog = program()
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1)),
                           buy("A-2", "400.00", at(2027, 3, 1))])
        decision = prog.advance(state, at(2028, 1, 2))
        assert changes(decision.effects) == [("downgrade", "gold", "silver")]
        effect = decision.effects[0]
        assert isinstance(effect, TierChanged)
        assert effect.at == datetime(2028, 1, 1, tzinfo=BERLIN)
        assert effect.event_id is None
        assert effect.reason == ("Gold ended on 2027-12-31 as it was not earned again; now "
                                 "Silver, valid until 2028-12-31")
        assert decision.state.tier is not None
        assert decision.state.tier.valid_until == datetime(2029, 1, 1, tzinfo=BERLIN)

    def test_reviews_fire_during_replay_and_match_apply(self) -> None:
        """A replay fires the same reviews as apply and advance, with the same effects."""
        prog = program()
        events: list[Event] = [buy("A-1", "1200.00", at(2026, 3, 1)),
                               buy("A-2", "400.00", at(2027, 3, 1)),
                               buy("A-3", "5.00", at(2028, 2, 1))]
        replay = prog.replay(events, until=at(2030, 1, 1))
        folded = run(prog, events)
        final = prog.advance(folded, at(2030, 1, 1))
        assert replay.states["m-1"] == final.state
        expected = [("upgrade", None, "gold"), ("downgrade", "gold", "silver"),
                    ("downgrade", "silver", "bronze"), ("downgrade", "bronze", None)]
        assert changes(replay.effects()) == expected

    def test_other_stages_see_the_tier_in_the_same_event(self) -> None:
        """The points stage earns with the multiplier of the tier held when the order arrives."""
        prog = sound_program()
        state = run(prog, [buy("A-1", "400.00", at(2026, 3, 1))])
        assert state.points_earned == 400
        state = run(prog, [buy("A-2", "100.00", at(2026, 3, 2))], state)
        assert state.points_earned == 550

    def test_thaw_restores_tier_id_and_benefits(self) -> None:
        """The hot member carries tier_id and the TierBenefits instance after a thaw."""
        prog = program()
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1))])
        loaded = MemberState.model_validate_json(state.model_dump_json())
        assert loaded == state
        member = prog._pipeline.thaw(loaded)
        assert member.tier_id == "gold"
        assert member.tier_benefits is GOLD.benefits
        assert isinstance(member.tier_benefits, TierBenefits)

    def test_late_purchase_from_last_year_upgrades_now(self) -> None:
        """An order of 30 December arriving on 2 January still counts for the old year."""
        prog = program()
        state = run(prog, [buy("A-1", "300.00", at(2026, 12, 1)),
                           buy("A-2", "10.00", at(2027, 1, 2))])
        decision = prog.apply(state, buy("A-0", "60.00", at(2026, 12, 30)))
        assert changes(decision.effects) == [("upgrade", "bronze", "silver")]
        assert decision.state.tier is not None
        assert decision.state.tier.valid_until == datetime(2028, 1, 1, tzinfo=BERLIN)

    def test_conditions_read_the_tier(self) -> None:
        """InTier compiled by another policy sees the tier this stage keeps."""
        prog = program()
        state = run(prog, [buy("A-1", "400.00", at(2026, 3, 1))])
        member = prog._pipeline.thaw(state)
        predicate = InTier(tiers=("silver",)).compile(prog._pipeline.points.ctx)
        assert predicate(member, buy("A-2", "1.00", at(2026, 3, 2))._row())


class TestRollingMonths:
    """A rolling 12-month window: orders leave the window, status lasts 12 months."""

    def rolling(self) -> Program:
        return program(tiers=(Tier(id="silver", name="Silver",
                                   requires=MinSpend(amount=eur("100"))),
                              Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("500")))),
                       period=RollingMonths(months=12), validity=MonthsFromQualifying(months=12))

    def test_window_counts_the_last_twelve_months(self) -> None:
        """300 in January and 250 in June reach Gold; the window then drops January."""
        prog = self.rolling()
        state = run(prog, [buy("P-1", "300.00", at(2026, 1, 10))])
        decision = prog.apply(state, buy("P-2", "250.00", at(2026, 6, 10)))
        assert changes(decision.effects) == [("upgrade", "silver", "gold")]
        assert decision.effects[-1].reason == (
            "Gold reached with 550.00 EUR spent in the last 12 months to 2026-06-10, valid "
            "until 2027-06-10")
        progress = tier_progress(prog, decision.state, at(2027, 2, 1))
        assert progress.keep_missing[0][0].have == eur("250.00")

    def test_each_qualifying_order_extends_the_status(self) -> None:
        """An order while the window still reaches Gold moves the end out by 12 months."""
        prog = self.rolling()
        state = run(prog, [buy("P-1", "600.00", at(2026, 1, 10))])
        decision = prog.apply(state, buy("P-2", "20.00", at(2026, 11, 1)))
        assert changes(decision.effects) == [("renewal", "gold", "gold")]
        assert decision.state.tier is not None
        assert decision.state.tier.valid_until == at(2027, 11, 1)

    def test_review_uses_what_is_still_valid(self) -> None:
        """Gold ends 12 months after its last Gold order; Silver 12 months after P-3."""
        prog = self.rolling()
        state = run(prog, [buy("P-1", "300.00", at(2026, 1, 10)),
                           buy("P-2", "250.00", at(2026, 6, 10)),
                           buy("P-3", "100.00", at(2027, 3, 10))])
        replay = prog.replay([], states={"m-1": state}, until=at(2029, 1, 1))
        assert [(e.at.date().isoformat(), e.change, e.to_tier)
                for e in replay.effects() if isinstance(e, TierChanged)] == [
            ("2027-06-10", "downgrade", "silver"), ("2028-03-10", "downgrade", None)]

    def test_the_spend_in_a_reason_is_in_minor_units_however_it_was_totalled(self) -> None:
        """A window's spend is said in cents (0.00) both when apply totals the window afresh
        and when a replay keeps it running; the sums' exponents differed ("0" and "0.00"),
        so the same effect dumped two ways (found by test_program_properties)."""
        tiers = (Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("0"))),
                 Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("50"))))
        prog = program(tiers=tiers,
                       period=RollingMonths(months=1), validity=MonthsFromQualifying(months=1),
                       exclude_categories=("tea",))
        with_line = Purchase(id="P-2", member_id="m-1", at=at(2025, 3, 30), amount=eur("0.00"),
                             lines=(Line(sku="SKU-1", category="coffee", quantity=1,
                                         unit_price=eur("0.00")),))
        events: list[Event] = [buy("P-1", "0.00", at(2025, 1, 1)), with_line]
        state, applied = None, []
        for event in events:
            decision = prog.apply(state, event)
            state, applied = decision.state, applied + list(decision.effects)
        replayed = list(prog.replay(events).effects())
        assert [e.model_dump_json() for e in applied] == [
            e.model_dump_json() for e in replayed]
        spent = [e.reason_args["achievement"].args["amount"] for e in applied
                 if isinstance(e, TierChanged)]
        assert spent
        assert all(str(money.amount) == "0.00" for money in spent)

    def test_months_of_validity_are_wall_clock_months_across_dst(self) -> None:
        """Six months from 15 Jan 10:00 CET end on 15 Jul 10:00 CEST: 08:00 UTC, not 09:00."""
        prog = program(period=RollingMonths(months=3), validity=MonthsFromQualifying(months=6))
        state = run(prog, [buy("A-1", "5.00", datetime(2026, 1, 15, 9, 0, tzinfo=UTC))])
        assert state.tier is not None
        assert state.tier.valid_until == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)
        assert tier_at(prog, state, datetime(2026, 7, 15, 7, 59, tzinfo=UTC)) == "bronze"
        assert tier_at(prog, state, datetime(2026, 7, 15, 8, 0, tzinfo=UTC)) is None


class TestTwoMetricLadder:
    """Airline style: 650 points of which at least 325 qualifying points, or spend or orders."""

    def airline(self) -> Program:
        return Program(
            name="Air", currency="EUR", timezone="Europe/Berlin",
            points=PointScheme(
                earn=(PointsPerPurchase(id="flight", points=100,
                                        when=ChannelIs(channels=("air",))),
                      PointsPerPurchase(id="partner", points=100,
                                        when=ChannelIs(channels=("partner",)))),
                rewards=(Reward(id="lounge", name="lounge pass", points=500,
                                value=eur("50.00")),)),
            tiers=TierLadder(tiers=(
                Tier(id="frequent", name="Frequent Traveller",
                     requires=MinPoints(points=650)
                     & MinPoints(points=325, rules=("flight",), label="qualifying points")),
                Tier(id="senator", name="Senator",
                     requires=MinPoints(points=2000)
                     & MinPoints(points=1000, rules=("flight",), label="qualifying points")))))

    def test_both_metrics_are_needed(self) -> None:
        """700 points with only 300 qualifying is not enough; one more flight reaches it."""
        prog = self.airline()
        events: list[Event] = [buy(f"F-{n}", "90.00", at(2026, 2, 1 + n), "air")
                               for n in range(3)]
        events += [buy(f"P-{n}", "10.00", at(2026, 3, 1 + n), "partner") for n in range(4)]
        state = run(prog, events)
        assert state.points_earned == 700
        assert state.tier is None or state.tier.tier_id is None
        progress = tier_progress(prog, state, at(2026, 4, 1))
        assert progress.message == "25 qualifying points to Frequent Traveller by 31 Dec 2026"
        decision = prog.apply(state, buy("F-9", "90.00", at(2026, 4, 2), "air"))
        assert changes(decision.effects) == [("upgrade", None, "frequent")]
        assert decision.effects[-1].reason.startswith(
            "Frequent Traveller reached with 800 points and 400 qualifying points in 2026")

    def test_points_earned_not_the_balance(self) -> None:
        """Redeeming points does not lower the qualification; returns that take points back do."""
        prog = self.airline()
        events: list[Event] = [buy(f"F-{n}", "90.00", at(2026, 2, 1 + n), "air")
                               for n in range(7)]
        state = run(prog, events)
        state = prog.apply(state, Redemption(id="R-1", member_id="m-1", at=at(2026, 3, 1),
                                             reward_id="lounge")).state
        assert state.available_points == 200
        progress = tier_progress(prog, state, at(2026, 3, 2))
        assert progress.tier_id == "frequent"
        assert progress.missing[0][0].have == 700
        state = prog.apply(state, give_back("X-1", "F-0", at(2026, 3, 3))).state
        progress = tier_progress(prog, state, at(2026, 3, 4))
        assert progress.missing[0][0].have == 600

    def test_spend_or_orders(self) -> None:
        """'spend 350 OR 10 orders': ten small orders reach the tier as well as one big one."""
        prog = program(tiers=(Tier(id="silver", name="Silver",
                                   requires=MinSpend(amount=eur("350")) | MinOrders(count=10)),))
        many = run(prog, [buy(f"S-{n}", "5.00", at(2026, 5, 1 + n)) for n in range(10)])
        assert many.tier is not None
        assert many.tier.tier_id == "silver"
        one = run(prog, [buy("B-1", "350.00", at(2026, 5, 1))])
        assert one.tier is not None
        assert one.tier.tier_id == "silver"
        nine = run(prog, [buy(f"S-{n}", "5.00", at(2026, 5, 1 + n)) for n in range(9)])
        assert tier_progress(prog, nine, at(2026, 6, 1)).message == (
            "305.00 EUR or 1 order to Silver by 31 Dec 2026")


class TestDowngradeAtReview:
    """Downgrades happen at reviews only, with the declared grace and soft landing."""

    def test_grace_keeps_the_tier_and_requalifying_in_grace_renews_it(self) -> None:
        """Gold runs out on 31 Dec 2027, is kept until 29 Feb 2028, and an order saves it."""
        prog = program(downgrade=Downgrade(grace_months=2))
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1)),
                           buy("A-2", "400.00", at(2027, 3, 1))])
        decision = prog.advance(state, at(2028, 1, 15))
        (grace,) = decision.effects
        assert isinstance(grace, TierGraceStarted)
        assert grace.grace_until == datetime(2028, 3, 1, tzinfo=BERLIN)
        assert grace.reason == ("Gold ran out on 2027-12-31 and is kept until 2028-02-29 "
                                "(grace period): 1,000.00 EUR more keeps it")
        if importlib.util.find_spec("babel") is not None:
            assert grace.render("de") == (
                "Gold ist am 31.12.2027 abgelaufen und bleibt bis zum 29.02.2028 erhalten "
                "(Kulanzfrist): Mit 1.000,00 EUR mehr bleibt die Stufe erhalten")
        in_grace = decision.state
        assert in_grace.tier is not None
        assert in_grace.tier.tier_id == "gold"
        assert tier_progress(prog, in_grace, at(2028, 2, 1)).message == (
            "Gold is the top tier; 1,000.00 EUR by 29 Feb 2028 to keep Gold")
        saved = prog.apply(in_grace, buy("A-3", "1000.00", at(2028, 2, 10)))
        assert changes(saved.effects) == [("renewal", "gold", "gold")]
        assert tier_at(prog, saved.state, at(2029, 12, 31)) == "gold"

    def test_grace_ends_with_the_downgrade(self) -> None:
        """Without a qualifying order in the grace period the member drops on 1 March."""
        prog = program(downgrade=Downgrade(grace_months=2))
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1)),
                           buy("A-2", "400.00", at(2027, 3, 1))])
        decision = prog.advance(state, at(2028, 3, 2))
        assert [type(e).__name__ for e in decision.effects] == ["TierGraceStarted",
                                                                 "TierChanged"]
        assert changes(decision.effects) == [("downgrade", "gold", "silver")]
        assert decision.effects[1].at == datetime(2028, 3, 1, tzinfo=BERLIN)
        assert decision.state.tier is not None
        assert decision.state.tier.valid_until == datetime(2029, 1, 1, tzinfo=BERLIN)

    def test_one_step_soft_landing(self) -> None:
        """With to='one_step' a Gold member who bought nothing drops to Silver, then Bronze."""
        prog = program(downgrade=Downgrade(to="one_step"))
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1))])
        replay = prog.replay([], states={"m-1": state}, until=at(2031, 1, 1))
        assert changes(replay.effects()) == [("downgrade", "gold", "silver"),
                                             ("downgrade", "silver", "bronze"),
                                             ("downgrade", "bronze", None)]
        reasons = [e.reason for e in replay.effects()]
        assert reasons[0] == ("Gold ended on 2027-12-31 as it was not earned again; now "
                              "Silver (one step down), valid until 2028-12-31")

    def test_floor(self) -> None:
        """A floor keeps members who reached it at least there, review after review."""
        prog = program(downgrade=Downgrade(floor="silver"))
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1))])
        replay = prog.replay([], states={"m-1": state}, until=at(2030, 6, 1))
        assert changes(replay.effects()) == [("downgrade", "gold", "silver"),
                                             ("renewal", "silver", "silver"),
                                             ("renewal", "silver", "silver")]
        assert [e.reason for e in replay.effects()][1] == (
            "Silver kept: a downgrade never goes below Silver, valid until 2029-12-31")
        assert replay.states["m-1"].tier is not None
        assert replay.states["m-1"].tier.tier_id == "silver"
        bronze_only = run(prog, [buy("B-1", "10.00", at(2026, 3, 1))])
        assert tier_at(prog, bronze_only, at(2028, 1, 2)) is None

    def test_return_between_reviews_does_not_downgrade(self) -> None:
        """Returning the order that made Gold keeps Gold until the review, and says so."""
        prog = program()
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1))])
        decision = prog.apply(state, give_back("X-1", "A-1", at(2026, 3, 5)))
        assert changes(decision.effects) == []
        assert decision.state.tier is not None
        assert decision.state.tier.tier_id == "gold"
        assert [t.detail for t in decision.trace if t.rule_id == "tiers"] == [
            "Gold is kept until its review on 1 Jan 2028: a return does not lower a tier "
            "between reviews"]
        assert tier_at(prog, decision.state, at(2028, 1, 2)) is None

    def test_return_downgrades_at_once_when_declared(self) -> None:
        """With on_return=True a return that takes Gold's qualification away lowers it now."""
        prog = program(downgrade=Downgrade(on_return=True))
        state = run(prog, [buy("A-1", "700.00", at(2026, 3, 1)),
                           buy("A-2", "500.00", at(2026, 3, 2))])
        decision = prog.apply(state, give_back("X-1", "A-2", at(2026, 3, 5), "300.00"))
        assert changes(decision.effects) == [("downgrade", "gold", "silver")]
        assert decision.effects[-1].reason == (
            "Gold ended: return X-1 of order A-2 took away the qualification it stood on; now "
            "Silver, valid until 2027-12-31")
        kept = prog.apply(state, give_back("X-2", "A-2", at(2026, 3, 5), "100.00"))
        assert changes(kept.effects) == []


    def test_return_with_floor(self) -> None:
        """With on_return and a floor, a return lowers Gold to the floor and never below."""
        prog = program(downgrade=Downgrade(on_return=True, floor="silver"))
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1))])
        decision = prog.apply(state, give_back("X-1", "A-1", at(2026, 3, 5), "1100.00"))
        assert changes(decision.effects) == [("downgrade", "gold", "silver")]
        assert decision.effects[-1].reason.endswith(
            "now Silver (the lowest tier a downgrade reaches), valid until 2026-12-31")
        silver = run(prog, [buy("B-1", "400.00", at(2026, 3, 1))])
        kept = prog.apply(silver, give_back("X-2", "B-1", at(2026, 3, 5)))
        assert changes(kept.effects) == []
        assert kept.state.tier == silver.tier


class TestReturnsAndQualification:
    """Returns reduce qualification by exactly their amount; full returns drop the order."""

    def test_partial_and_full_returns(self) -> None:
        """Spend is net of returns; a fully returned order no longer counts as an order."""
        prog = program(tiers=(Tier(id="silver", name="Silver",
                                   requires=MinSpend(amount=eur("350")) | MinOrders(count=3)),))
        state = run(prog, [buy("A-1", "100.00", at(2026, 3, 1)),
                           buy("A-2", "100.00", at(2026, 3, 2)),
                           give_back("X-1", "A-1", at(2026, 3, 3), "30.00"),
                           give_back("X-2", "A-2", at(2026, 3, 4))])
        progress = tier_progress(prog, state, at(2026, 3, 5))
        spend, orders = progress.missing
        assert spend[0].have == eur("70.00")
        assert spend[0].missing == eur("280.00")
        assert orders[0].have == 1

    def test_return_before_the_review_counts_at_the_review(self) -> None:
        """A 2027 return of a 2027 order lowers what the 1 Jan 2028 review sees."""
        prog = program()
        state = run(prog, [buy("A-1", "1200.00", at(2026, 3, 1)),
                           buy("A-2", "400.00", at(2027, 3, 1)),
                           give_back("X-1", "A-2", at(2027, 3, 10), "50.01")])
        assert tier_at(prog, state, at(2028, 1, 2)) == "bronze"


class TestMembershipYear:
    """Periods that start on the member's anniversary, in the program's zone."""

    def test_anniversary_review(self) -> None:
        """Joined 14 March 2026: Silver lasts until 13 March 2028, then the review."""
        prog = program(period=MembershipYear())
        state = run(prog, [SignUp(id="S-1", member_id="m-1", at=at(2026, 3, 14, 18)),
                           buy("A-1", "400.00", at(2027, 3, 1))])
        assert state.tier is not None
        assert state.tier.anchor == at(2026, 3, 14, 18)
        assert state.tier.valid_until == datetime(2028, 3, 14, tzinfo=BERLIN)
        assert tier_progress(prog, state, at(2027, 3, 10)).message == (
            "600.00 EUR to Gold by 13 Mar 2027; Silver until 13 Mar 2028")
        assert tier_progress(prog, state, at(2027, 3, 20)).message == (
            "1,000.00 EUR to Gold by 13 Mar 2028; 350.00 EUR by 13 Mar 2028 to keep Silver")
        assert tier_at(prog, state, at(2028, 3, 13, 23, 59)) == "silver"
        assert tier_at(prog, state, at(2028, 3, 14, 0, 1)) is None

    def test_leap_day_member(self) -> None:
        """A member who joined on 29 Feb 2028 starts later years on 28 Feb."""
        prog = program(period=MembershipYear())
        state = run(prog, [SignUp(id="S-1", member_id="m-1", at=at(2028, 2, 29)),
                           buy("A-1", "400.00", at(2028, 3, 1))])
        assert state.tier is not None
        assert state.tier.valid_until == datetime(2030, 2, 28, tzinfo=BERLIN)
        late = prog.apply(state, buy("A-2", "400.00", at(2029, 2, 28, 0, 30)))
        assert changes(late.effects) == [("renewal", "silver", "silver")]
        assert late.state.tier is not None
        assert late.state.tier.valid_until == datetime(2031, 2, 28, tzinfo=BERLIN)

    def test_first_order_anchors_without_sign_up(self) -> None:
        """Without a sign-up the first order starts the membership year."""
        prog = program(period=MembershipYear())
        state = run(prog, [buy("A-1", "5.00", at(2026, 7, 4, 9))])
        assert state.tier is not None
        assert state.tier.anchor == at(2026, 7, 4, 9)
        assert state.tier.valid_until == datetime(2028, 7, 4, tzinfo=BERLIN)


class TestLifetimeAndNoExpiry:
    """Lifetime qualification and tiers that never run out."""

    def test_lifetime_status_for_good(self) -> None:
        """Spend over the whole membership counts; the tier never runs out."""
        prog = program(period=Lifetime(), validity=NoExpiry())
        state = run(prog, [buy(f"A-{year}", "400.00", at(year, 6, 1))
                           for year in (2026, 2028, 2030)])
        assert state.tier is not None
        assert (state.tier.tier_id, state.tier.valid_until) == ("gold", None)
        assert tier_at(prog, state, at(2040, 1, 1)) == "gold"
        assert tier_progress(prog, state, at(2031, 1, 1)).message == (
            "Gold is the top tier; Gold for good")

    def test_zero_threshold_tier_on_sign_up(self) -> None:
        """A tier that needs nothing is given on sign-up."""
        prog = program(tiers=(Tier(id="member", name="Member", requires=MinOrders(count=0)),
                              SILVER))
        decision = prog.apply(None, SignUp(id="S-1", member_id="m-1", at=at(2026, 1, 5)))
        assert changes(decision.effects) == [("upgrade", None, "member")]
        assert decision.effects[0].reason == ("Member reached with 0 orders in 2026, valid "
                                              "until 2027-12-31")
        assert tier_at(prog, decision.state, at(2030, 1, 5)) == "member"


class TestProgress:
    """The next tier, what is missing per metric and by when, in plain words."""

    def test_message_names_amount_tier_and_date(self) -> None:
        """'12.40 EUR to Silver by 31 Dec 2026', and what keeps the current tier."""
        prog = program()
        state = run(prog, [buy("A-1", "337.60", at(2026, 5, 1))])
        progress = tier_progress(prog, state, at(2026, 6, 1))
        assert progress.message == "12.40 EUR to Silver by 31 Dec 2026; Bronze until 31 Dec 2027"
        assert progress.next_tier_id == "silver"
        (gap,) = progress.missing[0]
        assert (gap.metric, gap.have, gap.need, gap.missing) == (
            "spend", eur("337.60"), eur("350.00"), eur("12.40"))
        assert progress.by == datetime(2027, 1, 1, tzinfo=BERLIN)
        assert progress.keep_missing == ()

    def test_progress_changes_nothing_and_sees_due_reviews(self) -> None:
        """Progress at a later time applies due reviews to a copy, never to the state."""
        prog = program()
        state = run(prog, [buy("A-1", "1200.00", at(2026, 5, 1))])
        before = state.model_dump_json()
        progress = tier_progress(prog, state, at(2028, 2, 1))
        assert progress.tier_id is None
        assert progress.message == "1.00 EUR to Bronze by 31 Dec 2028"
        assert state.model_dump_json() == before

    def test_money_gap_rounds_up(self) -> None:
        """A gap of 0.001 EUR is shown as 0.01 EUR: paying what is shown is enough. (An
        amount finer than the minor unit is the exact sum of its lines, e.g. fuel prices.)"""
        prog = program()
        litres = Line(sku="FUEL", quantity=1, unit_price=eur("349.999"))
        state = run(prog, [Purchase(id="A-1", member_id="m-1", at=at(2026, 5, 1),
                                    amount=eur("349.999"), lines=(litres,))])
        assert tier_progress(prog, state, at(2026, 5, 2)).missing[0][0].missing == eur("0.01")

    def test_rolling_progress_has_no_deadline(self) -> None:
        """A rolling window has no end date: progress says which window counts."""
        prog = program(period=RollingMonths(months=12), validity=MonthsFromQualifying(months=12))
        state = run(prog, [buy("A-1", "300.00", at(2026, 5, 1))])
        progress = tier_progress(prog, state, at(2026, 6, 1))
        assert progress.by is None
        assert progress.message == ("50.00 EUR to Silver over the last 12 months; 1 order by "
                                    "1 May 2027 to keep Bronze")
        short = program(period=RollingMonths(months=12), validity=MonthsFromQualifying(months=6))
        state = run(short, [buy("A-1", "300.00", at(2026, 5, 1))])
        assert tier_progress(short, state, at(2026, 9, 1)).message == (
            "50.00 EUR to Silver over the last 12 months; 1 order by 1 Nov 2026 to keep Bronze")
        free = program(tiers=(Tier(id="member", name="Member", requires=MinOrders(count=0)),
                              SILVER),
                       period=RollingMonths(months=12), validity=MonthsFromQualifying(months=6))
        state = run(free, [buy("A-1", "300.00", at(2026, 5, 1))])
        assert tier_progress(free, state, at(2026, 9, 1)).message == (
            "50.00 EUR to Silver over the last 12 months; Member until 1 Nov 2026")

    def test_errors(self) -> None:
        """A program without tiers and a state without a time are refused clearly."""
        with pytest.raises(InvalidProgram, match="has no tier ladder"):
            tier_progress(Program(name="none"), MemberState.new("m-1", currency="EUR"))
        with pytest.raises(InvalidEvent, match="needs a time"):
            tier_progress(program(), MemberState.new("m-1", currency="EUR"))


class TestChecks:
    """Pre-launch checks: first threshold, reachability, increasing thresholds and benefits."""

    def test_a_sound_ladder_passes(self) -> None:
        """The seed-style ladder with a typical member has no findings at all."""
        assert sound_program().check(typical=TypicalActivity(spend=eur("300"), orders=4)) == []

    def test_first_tier_too_high(self) -> None:
        """A first tier at 40% of a typical year is flagged with the numbers."""
        ladder = TierLadder(tiers=(Tier(id="b", name="Bronze",
                                        requires=MinSpend(amount=eur("120"))),))
        (finding,) = check_ladder(ladder, typical=TypicalActivity(spend=eur("300")))
        assert (finding.severity, finding.code, finding.tier_id) == (
            "warning", "first-tier-too-high", "b")
        assert finding.message == (
            "Bronze needs spend 120.00 EUR: 40% of a typical member's activity in a calendar "
            "year (300.00 EUR); keep the first tier within 25% so it is reached almost at "
            "once")
        assert check_ladder(ladder, typical=TypicalActivity(spend=eur("300")),
                            max_first_share="0.5") == []
        with pytest.raises(InvalidProgram, match=r"max_first_share='1\.5' is not a share"):
            check_ladder(ladder, max_first_share="1.5")

    def test_first_tier_share_scales_to_a_rolling_window(self) -> None:
        """A 3-month window compares with a quarter of the typical year; the easier path wins."""
        ladder = TierLadder(tiers=(Tier(id="b", name="Bronze",
                                        requires=MinSpend(amount=eur("30")) | MinOrders(count=1)),),
                            period=RollingMonths(months=3),
                            validity=MonthsFromQualifying(months=3))
        assert check_ladder(ladder, typical=TypicalActivity(spend=eur("100"), orders=8)) == []
        strict = ladder.model_copy(update={"tiers": (Tier(id="b", name="Bronze",
                                                          requires=MinSpend(amount=eur("30"))),)})
        (finding,) = check_ladder(strict, typical=TypicalActivity(spend=eur("100"), orders=8))
        assert "120%" not in finding.message
        assert "more than all of a typical member's activity in the rolling window (25.00 EUR)" \
            in finding.message

    def test_missing_typical_activity_is_reported(self) -> None:
        """Without a typical member the first-threshold check says it did not run."""
        findings = program().check()
        assert (findings[-1].severity, findings[-1].code) == ("info", "first-tier-not-checked")

    @pytest.mark.parametrize(("tiers", "code", "tier_id"), [
        ((BRONZE, Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("1.00")))),
         "thresholds-not-increasing", "silver"),
        ((SILVER, Tier(id="x", name="X", requires=MinOrders(count=5))),
         "thresholds-not-increasing", "x"),
        ((GOLD, SILVER.model_copy(update={"requires": MinSpend(amount=eur("5000"))})),
         "benefits-not-increasing", "silver"),
        ((BRONZE, Tier(id="fly", requires=MinPoints(points=100, rules=("nope",)))),
         "tier-unreachable", "fly"),
        ((BRONZE, Tier(id="fly", requires=MinPoints(points=100, rules=("nope",))
                       | MinSpend(amount=eur("500")))),
         "requirement-unreachable", "fly"),
        ((BRONZE, Tier(id="fly", requires=MinSpend(amount=eur("500"))
                       & MinPoints(points=100, rules=("base", "nope")))),
         "unknown-earn-rule", "fly"),
    ])
    def test_table(self, tiers: tuple[Tier, ...], code: str, tier_id: str) -> None:
        """Each broken ladder gets its finding, naming the tier."""
        points = PointScheme(earn=(PointsPerPurchase(id="base", points=1),))
        findings = check_ladder(TierLadder(tiers=tiers), points,
                                typical=TypicalActivity(spend=eur("300")))
        assert (code, tier_id) in [(f.code, f.tier_id) for f in findings]

    def test_benefit_shortfalls_are_listed(self) -> None:
        """The benefits finding says exactly what the higher tier gives less of."""
        lower = Tier(id="a", name="A", requires=MinOrders(count=1), benefits=GOLD.benefits)
        higher = Tier(id="b", name="B", requires=MinOrders(count=5),
                      benefits=TierBenefits(points_multiplier=Decimal(2)))
        (finding,) = check_ladder(TierLadder(tiers=(lower, higher)),
                                  typical=TypicalActivity(orders=6))
        assert finding.message == (
            "B brings less than A: goodwill factor 1 < 1.5; no free shipping; 0 days early "
            "access < 3; missing perks welcome-sample, birthday-gift")

    def test_multiplier_nobody_reads(self) -> None:
        """A tier multiplier no earning rule applies is flagged."""
        prog = Program(name="Shop", currency="EUR", timezone="Europe/Berlin",
                       points=PointScheme(earn=(PointsPerPurchase(id="base", points=1),)),
                       tiers=TierLadder(tiers=(BRONZE, SILVER, GOLD)))
        codes = [f.code for f in prog.check(typical=TypicalActivity(spend=eur("300")))]
        assert codes == ["multiplier-unused"]

    def test_typical_activity_from_states(self) -> None:
        """The median active member over the last year, net of returns."""
        prog = program()
        events: list[Event] = []
        for n, amount in enumerate(("100.00", "200.00", "400.00")):
            events.append(Purchase(id=f"A-{n}", member_id=f"m-{n}", at=at(2026, 5, 1 + n),
                                   amount=eur(amount)))
        events.append(Return(id="X-0", member_id="m-2", at=at(2026, 6, 1), purchase_id="A-2",
                             amount=eur("150.00")))
        events.append(Purchase(id="OLD", member_id="m-9", at=at(2024, 5, 1), amount=eur("1")))
        typical = TypicalActivity.from_states(prog.replay(events).states)
        assert typical == TypicalActivity(spend=eur("200.00"), orders=1, points=0)

    def test_cli(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`reciprocity check` prints findings and exits 1 on warnings, 0 when clean."""
        path = tmp_path / "program.json"
        sound_program().save(path)
        assert main(["check", str(path), "--spend", "300", "--orders", "4"]) == 0
        assert capsys.readouterr().out == "No findings.\n"
        assert main(["check", str(path), "--spend", "3", "--json"]) == 1
        (finding,) = json.loads(capsys.readouterr().out)
        assert finding["code"] == "first-tier-too-high"
        events = tmp_path / "events.jsonl"
        events.write_text(buy("A-1", "0.50", at(2026, 5, 1)).model_dump_json() + "\n",
                          encoding="utf-8")
        assert main(["check", str(path), "--events", str(events)]) == 1
        out = capsys.readouterr().out
        assert out.startswith("typical member per year: 0.50 EUR, 1 order, 0 points\n")
        assert "[first-tier-too-high]" in out
        with pytest.raises(SystemExit):
            main(["check", str(path), "--max-first-share", "lots"])
        assert "is not a share between 0 and 1" in capsys.readouterr().err


class TestDeclarations:
    """Ladders are data: validated once, saved and loaded losslessly, described in words."""

    def test_json_round_trip(self) -> None:
        """A program with every kind of ladder part dumps and loads unchanged."""
        prog = program(tiers=(BRONZE, Tier(id="x", name="X", requires=require_all(
            MinPoints(points=650), MinPoints(points=325, rules=("a",), label="qualifying points"),
            MinSpend(amount=eur("1")) | MinOrders(count=3)))),
            period=MembershipYear(), validity=RestOfPeriodAndNext(),
            downgrade=Downgrade(to="one_step", grace_days=10, floor="bronze", on_return=True))
        loaded = Program.model_validate_json(prog.model_dump_json())
        assert loaded.tiers == prog.tiers
        assert loaded.model_dump_json() == prog.model_dump_json()
        assert isinstance(loaded.tiers.tiers[1].requires, RequireAll)  # type: ignore[union-attr]
        assert isinstance(loaded.tiers.tiers[1].requires.requirements[2],  # type: ignore[union-attr]
                          RequireAny)

    def test_operators_flatten_and_refuse_bool(self) -> None:
        """a & b & c is one node; using a requirement as a bool raises."""
        a, b, c = MinOrders(count=1), MinOrders(count=2), MinOrders(count=3)
        assert len((a & b & c).requirements) == 3
        assert len((a | b | c).requirements) == 3
        with pytest.raises(TypeError, match="no truth value"):
            bool(a)

    @pytest.mark.parametrize(("data", "mentions"), [
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_orders", "count": 1}},
                    {"id": "a", "requires": {"type": "min_orders", "count": 2}}]},
         "two tiers with id 'a'"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_orders", "count": 1}}],
          "downgrade": {"floor": "gold"}}, "downgrade.floor='gold' is not a tier id"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_orders", "count": 1}}],
          "period": {"type": "lifetime"}}, "needs a calendar or membership year"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_spend",
                                              "amount": {"amount": "-1", "currency": "EUR"}}}]},
         "cannot be negative"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_points", "points": 5, "rules": []}}]},
         "rules"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_orders", "count": 1},
                     "benefits": {"points_multiplier": "-1"}}]}, "points_multiplier"),
        ({"tiers": [{"id": "a", "requires": {"type": "min_orders", "count": 1}}],
          "period": {"type": "rolling_months", "months": 0}}, "months"),
        ({"tiers": [{"id": "a", "requires": {"type": "require_any", "requirements": [
            {"type": "require_all", "requirements": [
                {"type": "require_any", "requirements": [
                    {"type": "min_orders", "count": n} for n in range(20)]}] * 2}]}}]},
         "expands to 400 alternatives"),
    ])
    def test_invalid_ladders(self, data: dict[str, Any], mentions: str) -> None:
        """Each broken ladder is refused with InvalidProgram naming the problem."""
        with pytest.raises(InvalidProgram) as info:
            TierLadder.model_validate(data)
        assert mentions in str(info.value)
        assert info.value.code == "invalid-program"

    def test_spend_in_another_currency(self) -> None:
        """A threshold in USD in a EUR program is refused when the program is built."""
        with pytest.raises(InvalidProgram, match="is in USD but the program uses EUR"):
            program(tiers=(Tier(id="a", requires=MinSpend(amount=Money("5", "USD"))),))

    def test_explain(self) -> None:
        """Program.explain describes the ladder for customers."""
        text = program(downgrade=Downgrade(to="one_step", grace_months=2)).explain()
        assert text.splitlines()[-7:] == [
            "Tiers (qualifying per calendar year):",
            "- Bronze: spend 1.00 EUR; brings welcome-sample",
            "- Silver: spend 350.00 EUR; brings 1.5x points, free shipping, welcome-sample and "
            "birthday-gift",
            "- Gold: spend 1,000.00 EUR; brings 2x points, free shipping, 3 days early access, "
            "goodwill x1.5, welcome-sample and birthday-gift",
            "A tier is reached at once and lasts for the rest of the year and all of the next.",
            "At a review a member drops one tier at most, after a grace period of 2 months.",
            "A return never lowers a tier before its review.",
        ]

    def test_state_with_unknown_tier(self) -> None:
        """A saved tier the ladder no longer has is refused, with what to do."""
        state = run(program(), [buy("A-1", "1200.00", at(2026, 3, 1))])
        smaller = program(tiers=(BRONZE, SILVER))
        with pytest.raises(InvalidEvent, match="'gold' is not a tier of this program's ladder"):
            smaller.apply(state, buy("A-2", "1.00", at(2026, 3, 2)))

    def test_calendar_year_is_the_default(self) -> None:
        """A ladder without period and validity qualifies per calendar year for two years."""
        ladder = TierLadder(tiers=(BRONZE,))
        assert isinstance(ladder.period, CalendarYear)
        assert isinstance(ladder.validity, RestOfPeriodAndNext)



@pytest.mark.parametrize(("spend", "mentions"), [
    ("1E+40", "larger than the supported maximum"),
    ("-1", "is negative"),
    ("0.001", "finer than the minor unit"),
])
def test_typical_activity_refuses_amounts_out_of_range(spend: str, mentions: str) -> None:
    """The typical member's spend is bounded like every amount, and named in the error."""
    with pytest.raises(InvalidEvent, match=mentions) as info:
        TypicalActivity(spend=eur(spend))
    assert "spend=" in str(info.value)


@pytest.mark.parametrize("rule", [
    PointsPerAmount(id="base", per=eur("1.00"), multipliers=(TierMultiplier(),)),
    PointsPerPurchase(id="base", points=10, multipliers=(TierMultiplier(),)),
])
def test_a_tier_multiplier_is_explained_by_the_tier_s_name_not_its_id(rule: Any) -> None:
    """A customer reads the tier's name ("Silver Club"), never the program's id ("t2"); a
    tier without a name is called by its id, as everywhere else."""
    prog = Program(
        name="Shop", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=(rule,)),
        tiers=TierLadder(tiers=(
            Tier(id="t1", name="Starter", requires=MinSpend(amount=eur("1.00"))),
            Tier(id="t2", name="Silver Club", requires=MinSpend(amount=eur("350.00")),
                 benefits=TierBenefits(points_multiplier=Decimal("1.5"))),
            Tier(id="t3", requires=MinSpend(amount=eur("1000.00")),
                 benefits=TierBenefits(points_multiplier=Decimal(2))))))
    state = run(prog, [buy("o-1", "400.00", at(2026, 3, 1))])
    decision = prog.apply(state, buy("o-2", "100.00", at(2026, 3, 2)))
    [earned] = [e for e in decision.effects if e.type == "points_earned"]
    assert "x1.5 for tier Silver Club" in earned.reason
    assert "×1,5 für die Stufe Silver Club" in earned.render("de")
    assert "t2" not in earned.reason
    state = run(prog, [buy("o-3", "700.00", at(2026, 3, 3))], decision.state)
    decision = prog.apply(state, buy("o-4", "100.00", at(2026, 3, 4)))
    [earned] = [e for e in decision.effects if e.type == "points_earned"]
    assert "x2 for tier t3" in earned.reason
