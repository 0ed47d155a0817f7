"""Expiry by tier: ``TierBenefits(points_expire=False)``.

While a member holds a tier whose points do not expire, none of their lots expire (earned
before or during it); when they move to a tier whose points expire, every lot they then hold
expires as if earned at that moment. Examples on a small program (a six-month lifetime, a
Silver tier that expires points and a Gold one that does not), the refused combinations,
the JSON forms, and properties over random programs and shop streams.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Downgrade,
    EndOfMonthAfter,
    Event,
    FixedLifetime,
    Inactivity,
    InvalidProgram,
    MemberState,
    MinSpend,
    Money,
    MonthsFromQualifying,
    PointScheme,
    PointsEarned,
    PointsExpired,
    PointsPerAmount,
    Program,
    Purchase,
    RollingMonths,
    Tier,
    TierBenefits,
    TierChanged,
    TierLadder,
)
from reciprocity.testing import expiries, full_programs, shop_streams
from test_program_properties import LATER, check_balances, dumps, fold

BERLIN = ZoneInfo("Europe/Berlin")
NEVER = TierBenefits(points_expire=False)
SIX_MONTHS = FixedLifetime(months=6)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def program(expiry: Any = SIX_MONTHS, *, pending_days: int = 0,
            grace_months: int = 0, gold: TierBenefits = NEVER,
            silver: TierBenefits | None = None) -> Program:
    """1 point per euro; Silver from 1 EUR, Gold from 1,000 EUR in 12 months, for 12 months."""
    return Program(
        name="Expiry by tier", timezone="Europe/Berlin",
        points=PointScheme(earn=[PointsPerAmount(id="euro", points=1, per=eur("1.00"))],
                           expiry=expiry, pending_days=pending_days),
        tiers=TierLadder(
            tiers=(Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("1.00")),
                        benefits=silver or TierBenefits()),
                   Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("1000.00")),
                        benefits=gold)),
            period=RollingMonths(months=12), validity=MonthsFromQualifying(months=12),
            downgrade=Downgrade(grace_months=grace_months)))


PROGRAM = program()


def buy(prog: Program, state: MemberState | None, oid: str, amount: str,
        at: datetime) -> Any:
    return prog.apply(state, Purchase(id=oid, member_id="m-1", at=at, amount=eur(amount)))


def expired(decision: Any) -> list[tuple[datetime, int]]:
    return [(e.at, e.points) for e in decision.effects if isinstance(e, PointsExpired)]


def changes(decision: Any) -> list[TierChanged]:
    return [e for e in decision.effects if isinstance(e, TierChanged)]


def gold_member(prog: Program = PROGRAM) -> MemberState:
    """100 points at Silver on 1 January 2026, then 1,000 EUR on 1 February: Gold until
    1 February 2027, 1,100 points in two lots."""
    state = buy(prog, None, "A", "100.00", berlin(2026, 1, 1, 12)).state
    return buy(prog, state, "B", "1000.00", berlin(2026, 2, 1, 12)).state


class TestWhileInTier:
    def test_lots_earned_before_and_during_gold_do_not_expire(self) -> None:
        state = gold_member()
        assert state.tier is not None
        assert state.tier.tier_id == "gold"
        assert [(lot.id, lot.expires_at) for lot in state.lots] == [
            ("A/euro", None), ("B/euro", None)]
        later = buy(PROGRAM, state, "C", "10.00", berlin(2026, 9, 1, 12))
        assert later.state.lots[-1].expires_at is None
        assert not expired(later)
        assert later.state.available_points == 1_110

    def test_a_silver_member_s_lots_expire_as_before(self) -> None:
        state = buy(PROGRAM, None, "A", "100.00", berlin(2026, 1, 1, 12)).state
        assert state.lots[0].expires_at == berlin(2026, 7, 1, 12)
        assert expired(PROGRAM.advance(state, berlin(2026, 7, 2))) == [
            (berlin(2026, 7, 1, 12), 100)]

    def test_next_due_of_a_gold_member_is_the_review_not_an_expiry(self) -> None:
        state = gold_member()
        assert PROGRAM.next_due(state) == berlin(2027, 2, 1, 12)

    def test_the_upgrade_says_the_points_held_no_longer_expire(self) -> None:
        state = buy(PROGRAM, None, "A", "100.00", berlin(2026, 1, 1, 12)).state
        decision = buy(PROGRAM, state, "B", "1000.00", berlin(2026, 2, 1, 12))
        (earned,) = [e for e in decision.effects if isinstance(e, PointsEarned)]
        assert earned.expires_at == berlin(2026, 8, 1, 12)  # as it was when earned
        (changed,) = changes(decision)
        assert "points that never expire" in changed.reason
        assert changed.reason.endswith("; the 1,100 points you hold no longer expire")
        assert "the 1,100 points you hold no longer expire" in decision.explain()

    def test_german_reason(self) -> None:
        pytest.importorskip("babel")
        state = buy(PROGRAM, None, "A", "100.00", berlin(2026, 1, 1, 12)).state
        decision = buy(PROGRAM, state, "B", "1000.00", berlin(2026, 2, 1, 12))
        (changed,) = changes(decision)
        assert changed.render("de").endswith("; Ihre 1.100 Punkte verfallen nicht mehr")


class TestSavedStates:
    def test_a_state_saved_before_the_program_exempted_gold(self) -> None:
        """A Gold member's lots dated under a program whose Gold points expired: under the
        program that exempts Gold they do not expire at their date; the trace says why, and
        every lot's expiry is lifted then."""
        before = program(gold=TierBenefits())
        state = gold_member(before)
        assert [lot.expires_at for lot in state.lots] == [berlin(2026, 7, 1, 12),
                                                           berlin(2026, 8, 1, 12)]
        loaded = MemberState.model_validate_json(state.model_dump_json())
        assert PROGRAM.next_due(loaded) == berlin(2026, 7, 1, 12)  # early, never late
        kept = PROGRAM.advance(loaded, berlin(2026, 9, 1))
        assert not expired(kept)
        assert "lot A/euro kept: points do not expire while the member holds Gold" in (
            kept.explain())
        assert [lot.expires_at for lot in kept.state.lots] == [None, None]
        assert PROGRAM.next_due(kept.state) == berlin(2027, 2, 1, 12)

    def test_a_state_of_the_old_program_decides_as_before_under_it(self) -> None:
        before = program(gold=TierBenefits())
        state = MemberState.model_validate_json(gold_member(before).model_dump_json())
        assert expired(before.advance(state, berlin(2026, 9, 1))) == [
            (berlin(2026, 7, 1, 12), 100), (berlin(2026, 8, 1, 12), 1_000)]


class TestLeavingTheTier:
    def test_a_downgrade_sets_every_lot_s_expiry_from_the_downgrade(self) -> None:
        """Gold ends on 1 February 2027 (no order in the 12 months before: no tier at all):
        both lots expire six months later, on 1 August 2027, though one was earned 13
        months before."""
        lapsed = PROGRAM.advance(gold_member(), berlin(2027, 2, 2))
        (changed,) = changes(lapsed)
        assert (changed.change, changed.to_tier) == ("downgrade", None)
        assert [lot.expires_at for lot in lapsed.state.lots] == [berlin(2027, 8, 1, 12)] * 2
        assert changed.reason.endswith("; the 1,100 points you hold are valid until 2027-08-01")
        assert PROGRAM.next_due(lapsed.state) == berlin(2027, 8, 1, 12)
        gone = PROGRAM.advance(lapsed.state, berlin(2027, 8, 2))
        assert expired(gone) == [(berlin(2027, 8, 1, 12), 100),
                                 (berlin(2027, 8, 1, 12), 1_000)]
        assert gone.state.available_points == 0

    def test_one_advance_over_the_downgrade_and_the_new_expiry(self) -> None:
        """An advance past both the downgrade and the expiry it sets fires both, in order."""
        gone = PROGRAM.advance(gold_member(), berlin(2027, 9, 1))
        assert [type(e).__name__ for e in gone.effects] == [
            "TierChanged", "PointsExpired", "PointsExpired"]
        assert gone.state.available_points == 0

    def test_end_of_month_rule_in_the_program_s_zone(self) -> None:
        """EndOfMonthAfter(months=6): leaving on 1 February 2027 at 12:00 Berlin time, the
        points expire at the start of 1 September 2027, Berlin time."""
        prog = program(EndOfMonthAfter(months=6))
        lapsed = prog.advance(gold_member(prog), berlin(2027, 2, 2))
        assert [lot.expires_at for lot in lapsed.state.lots] == [berlin(2027, 9, 1)] * 2

    def test_grace_keeps_the_points_until_it_ends(self) -> None:
        """With two months' grace the tier is held until 1 April 2027: the expiry is set
        from then, not from the review."""
        prog = program(grace_months=2)
        state = gold_member(prog)
        review = prog.advance(state, berlin(2027, 2, 2))
        assert [lot.expires_at for lot in review.state.lots] == [None, None]
        lapsed = prog.advance(review.state, berlin(2027, 4, 2))
        assert [lot.expires_at for lot in lapsed.state.lots] == [berlin(2027, 10, 1, 12)] * 2

    def test_lots_earned_after_the_downgrade_follow_the_normal_rule(self) -> None:
        lapsed = PROGRAM.advance(gold_member(), berlin(2027, 2, 2)).state
        later = buy(PROGRAM, lapsed, "C", "10.00", berlin(2027, 3, 1, 12)).state
        assert later.lots[-1].expires_at == berlin(2027, 9, 1, 12)

    def test_a_member_who_qualifies_again_keeps_their_points(self) -> None:
        """Downgraded in February 2027 (expiry set to August), Gold again in March: the
        expiry is lifted again, for the old lots and the new."""
        lapsed = PROGRAM.advance(gold_member(), berlin(2027, 2, 2)).state
        again = buy(PROGRAM, lapsed, "C", "1000.00", berlin(2027, 3, 1, 12))
        assert [(c.change, c.to_tier) for c in changes(again)] == [("upgrade", "gold")]
        assert [lot.expires_at for lot in again.state.lots] == [None, None, None]
        assert not expired(PROGRAM.advance(again.state, berlin(2027, 12, 1)))

    def test_a_higher_tier_whose_points_expire_sets_the_expiry_on_upgrade(self) -> None:
        """Silver exempt and Gold not (a shortfall, but allowed): the upgrade to Gold sets
        the lots' expiry from the upgrade."""
        prog = program(silver=NEVER, gold=TierBenefits())
        state = buy(prog, None, "A", "100.00", berlin(2026, 1, 1, 12)).state
        assert state.lots[0].expires_at is None
        gold = buy(prog, state, "B", "1000.00", berlin(2026, 2, 1, 12)).state
        assert [lot.expires_at for lot in gold.lots] == [berlin(2026, 8, 1, 12)] * 2


class TestPending:
    def test_pending_points_are_released_as_before_and_do_not_expire_in_gold(self) -> None:
        prog = program(pending_days=14)
        state = gold_member(prog)
        assert [(lot.status, lot.expires_at) for lot in state.lots] == [
            ("available", None), ("pending", None)]
        assert prog.next_due(state) == berlin(2026, 2, 15, 12)
        released = prog.advance(state, berlin(2026, 2, 16)).state
        assert released.available_points == 1_100
        assert released.pending_points == 0
        assert prog.next_due(released) == berlin(2027, 2, 1, 12)

    def test_points_pending_at_the_downgrade_expire_from_it_once_released(self) -> None:
        """Gold's review on 1 February 2027 starts two months' grace; 10 EUR on 25 March
        earn Silver only, pending for 14 days; grace ends on 1 April: every lot, the pending
        one too, expires on 1 October, and the pending one is released on 8 April."""
        prog = program(pending_days=14, grace_months=2)
        state = prog.advance(gold_member(prog), berlin(2027, 2, 2)).state
        state = buy(prog, state, "C", "10.00", berlin(2027, 3, 25, 12)).state
        assert [lot.expires_at for lot in state.lots] == [None] * 3
        lapsed = prog.advance(state, berlin(2027, 4, 2))
        assert [(c.change, c.to_tier) for c in changes(lapsed)] == [("downgrade", "silver")]
        assert [(lot.id, lot.status, lot.expires_at) for lot in lapsed.state.lots] == [
            ("A/euro", "available", berlin(2027, 10, 1, 12)),
            ("B/euro", "available", berlin(2027, 10, 1, 12)),
            ("C/euro", "pending", berlin(2027, 10, 1, 12))]
        assert prog.next_due(lapsed.state) == berlin(2027, 4, 8, 12)
        released = prog.advance(lapsed.state, berlin(2027, 4, 9)).state
        assert released.pending_points == 0
        assert released.available_points == 1_110
        assert prog.next_due(released) == berlin(2027, 10, 1, 12)


class TestRefused:
    @pytest.mark.parametrize("expiry", [None, Inactivity(months=12)])
    def test_a_scheme_without_lot_expiry(self, expiry: Any) -> None:
        with pytest.raises(InvalidProgram) as raised:
            program(expiry)
        message = str(raised.value)
        assert "tiers.tiers[1].benefits.points_expire=False" in message
        assert "'gold'" in message
        assert "points.expiry" in message
        assert "drop points_expire=False from tier 'gold'" in message

    def test_a_program_without_a_point_scheme(self) -> None:
        with pytest.raises(InvalidProgram, match=r"points\.expiry is None"):
            Program(name="no points", tiers=TierLadder(tiers=(
                Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("1.00")),
                     benefits=NEVER),)))

    def test_from_json_too(self) -> None:
        data = PROGRAM.model_dump(mode="json")
        data["points"]["expiry"] = None
        with pytest.raises(InvalidProgram, match="points_expire"):
            Program.model_validate(data)


class TestJson:
    def test_the_default_is_not_written(self) -> None:
        assert "points_expire" not in TierBenefits().model_dump_json()
        assert "points_expire" not in program(gold=TierBenefits()).model_dump_json()
        assert TierBenefits(points_expire=False).model_dump(mode="json")[
            "points_expire"] is False

    def test_a_program_round_trips(self) -> None:
        again = Program.model_validate_json(PROGRAM.model_dump_json())
        assert again == PROGRAM
        assert again.model_dump_json() == PROGRAM.model_dump_json()
        assert not again.tiers.tiers[1].benefits.points_expire  # type: ignore[union-attr]

    def test_states_round_trip_and_decide_alike(self) -> None:
        for state in (gold_member(), PROGRAM.advance(gold_member(), berlin(2027, 2, 2)).state):
            loaded = MemberState.model_validate_json(state.model_dump_json())
            assert loaded == state
            at = berlin(2027, 9, 1)
            assert (PROGRAM.advance(loaded, at).model_dump_json()
                    == PROGRAM.advance(state, at).model_dump_json())


class TestWords:
    def test_describe_and_shortfalls(self) -> None:
        assert NEVER.describe("Stars") == "Stars that never expire"
        assert TierBenefits().shortfalls(NEVER) == ["points expire"]
        assert NEVER.shortfalls(TierBenefits()) == []

    def test_explain(self) -> None:
        text = PROGRAM.explain()
        assert "- Gold: spend 1,000.00 EUR; brings points that never expire" in text
        assert ("Points do not expire while a member holds Gold; on moving to a tier "
                "without this benefit, the points then held expire as if earned that day."
                ) in text

    def test_terms(self) -> None:
        pytest.importorskip("babel")
        english, german = PROGRAM.terms("en"), PROGRAM.terms("de")
        assert ("- While you hold tier Gold, your points do not expire. When you move to a "
                "tier without this benefit, the points you then hold expire as if you had "
                "earned them on that day.") in english
        assert "Benefits: points that never expire." in english
        assert ("- Solange Sie die Stufe Gold haben, verfallen Ihre Punkte nicht. Wechseln "
                "Sie in eine Stufe ohne diesen Vorteil, verfallen die Punkte, die Sie dann "
                "haben, so, als hätten Sie sie an diesem Tag gesammelt.") in german
        assert "Vorteile: Punkte ohne Verfall." in german


# -- properties --------------------------------------------------------------------------------

SOME = settings(deadline=None)
FEW = settings(deadline=None, max_examples=max(10, settings().max_examples // 3))


@st.composite
def exempting(draw: st.DrawFn) -> tuple[Program, list[Event]]:
    """A full program with a tier ladder, a lot expiry and at least one tier whose points
    do not expire, and a shop stream it reacts to."""
    prog = draw(full_programs(tiers=True, shared=False))
    assert prog.tiers is not None
    expiry = prog.points.expiry
    if prog.points.lot_expiry is None:
        expiry = draw(expiries().filter(lambda e: not isinstance(e, Inactivity)))
    flags = draw(st.lists(st.booleans(), min_size=len(prog.tiers.tiers),
                          max_size=len(prog.tiers.tiers)).filter(any))
    tiers = tuple(tier.model_copy(update={"benefits": tier.benefits.model_copy(
        update={"points_expire": not flag})}) for tier, flag in zip(prog.tiers.tiers, flags,
                                                                     strict=True))
    fields = {name: getattr(prog, name) for name in Program.model_fields}
    ladder = TierLadder(**{**{name: getattr(prog.tiers, name) for name in
                              TierLadder.model_fields}, "tiers": tiers})
    scheme = prog.points.model_copy(update={"expiry": expiry})
    prog = Program(**{**fields, "points": PointScheme.model_validate(scheme.model_dump()),
                      "tiers": ladder})
    return prog, draw(shop_streams(3, program=prog, max_events_per_member=12))


def _exempt(prog: Program, state: MemberState) -> bool:
    assert prog.tiers is not None
    if state.tier is None or state.tier.tier_id is None:
        return False
    return not prog.tiers.tiers[prog.tiers.index(state.tier.tier_id)].benefits.points_expire


class TestProperties:
    @SOME
    @given(exempting())
    def test_a_member_in_an_exempt_tier_has_no_lot_that_expires(
            self, case: tuple[Program, list[Event]]) -> None:
        """In every state: the member holds a tier whose points do not expire exactly when
        none of their lots has an expiry; a lot never expires before the scheme's rule from
        the day it was earned (a tier only postpones it); points are conserved and nothing
        is negative."""
        prog, events = case
        expiry = prog.points.lot_expiry
        assert expiry is not None
        zone = ZoneInfo(prog.timezone)
        done = fold(prog, events, until=LATER)
        states = [d.state for _, d in done.decisions if d is not None]
        for state in [*states, *done.states.values()]:
            check_balances(state)
            exempt = _exempt(prog, state)
            for lot in state.lots:
                assert (lot.expires_at is None) == exempt, state.model_dump_json()
                if lot.expires_at is not None:
                    assert lot.expires_at >= expiry.expires_at(lot.earned_at, zone)

    @SOME
    @given(exempting())
    def test_replay_is_a_fold_of_apply(self, case: tuple[Program, list[Event]]) -> None:
        """``replay`` gives the states and effects of folding ``apply``, byte for byte, and
        so does it with ``until`` after advancing every member."""
        prog, events = case
        done = fold(prog, events)
        plain = prog.replay(events, errors="skip")
        states = plain.states
        assert dumps(states[m] for m in done.states) == dumps(done.states.values())
        assert dumps(plain.effects()) == dumps(done.effects)
        later = fold(prog, events, until=LATER)
        until = prog.replay(events, errors="skip", until=LATER)
        assert dumps(until.states[m] for m in later.states) == dumps(later.states.values())
        assert sorted(dumps(until.effects())) == sorted(dumps(later.effects))

    @FEW
    @given(exempting())
    def test_deterministic_and_json_round_trips(self, case: tuple[Program, list[Event]]
                                                ) -> None:
        """The same program and events give the same bytes; the program and every state
        round-trip through JSON, and a loaded state decides as the one it was dumped from."""
        prog, events = case
        again = Program.model_validate_json(prog.model_dump_json())
        assert again == prog
        first, second = fold(prog, events, until=LATER), fold(again, events, until=LATER)
        assert dumps(first.effects) == dumps(second.effects)
        assert dumps(first.states.values()) == dumps(second.states.values())
        for state in fold(prog, events).states.values():
            loaded = MemberState.model_validate_json(state.model_dump_json())
            assert loaded == state
            assert (prog.advance(loaded, LATER).model_dump_json()
                    == prog.advance(state, LATER).model_dump_json())

    @FEW
    @given(exempting())
    def test_next_due_is_exact(self, case: tuple[Program, list[Event]]) -> None:
        """``next_due`` is never late: advancing to just before it changes nothing, and a
        member in an exempt tier has no expiry due."""
        prog, events = case
        for state in fold(prog, events).states.values():
            due = prog.next_due(state)
            if due is None or (state.as_of is not None and due <= state.as_of):
                continue
            before = prog.advance(state, due - timedelta(microseconds=1))
            assert not before.effects
            if _exempt(prog, state):
                fired = prog.advance(state, due)
                assert not [e for e in fired.effects if isinstance(e, PointsExpired)
                            and e.at == due.astimezone(UTC)]


def test_a_gold_member_a_year_later_has_every_point() -> None:
    """Renewing Gold every few months keeps every point for years."""
    state = gold_member()
    at = berlin(2026, 2, 1, 12)
    for n in range(1, 5):
        at += relativedelta(months=10)
        state = buy(PROGRAM, state, f"R{n}", "1000.00", at).state
    assert not [lot for lot in state.lots if lot.expires_at is not None]
    assert state.points_expired == 0
    assert state.available_points == 5_100
