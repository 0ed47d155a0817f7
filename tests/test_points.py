"""Point schemes as real programs run them: earning modes, caps, pending, expiry, returns,
redemption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    BelowMinimumBalance,
    CalendarCutoff,
    CampaignMultiplier,
    CategoryMultiplier,
    Custom,
    During,
    EndOfMonthAfter,
    EndOfQuarterAfter,
    FixedLifetime,
    Inactivity,
    InsufficientPoints,
    InvalidEvent,
    InvalidProgram,
    Line,
    MemberState,
    Money,
    PointsAsCurrency,
    PointsCap,
    PointScheme,
    PointsExpired,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    PointsReleased,
    PointsRevoked,
    ProfileUpdate,
    Program,
    Purchase,
    Redemption,
    RefusedEvent,
    Return,
    ReturnedLine,
    ReturnExceedsPurchase,
    Reward,
    Rounding,
    SignUp,
    UnknownPurchase,
    Validity,
    VoucherIssued,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 12, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def program(**points: Any) -> Program:
    return Program(name="Test", currency="EUR", timezone="Europe/Berlin",
                   points=PointScheme(**points))


def buy(eid: str, amount: str, at: datetime = T0, lines: tuple[Line, ...] = (),
        channel: str | None = None) -> Purchase:
    return Purchase(id=eid, member_id="m", at=at, amount=eur(amount), lines=lines,
                    channel=channel)


def run(prog: Program, *events: Any, state: MemberState | None = None) -> tuple[
        MemberState, list[Any]]:
    effects: list[Any] = []
    for event in events:
        decision = prog.apply(state, event)
        state = decision.state
        effects += decision.effects
    assert state is not None
    return state, effects


def line(sku: str, price: str, quantity: int = 1, category: str | None = None) -> Line:
    return Line(sku=sku, quantity=quantity, unit_price=eur(price), category=category)


class TestPerAmount:
    @pytest.mark.parametrize(("amount", "per", "rounding", "points"), [
        ("49.99", "1.00", Rounding.DOWN, 49),
        ("49.99", "1.00", Rounding.HALF_UP, 50),
        ("59.90", "2.00", Rounding.DOWN, 29),
        ("1.99", "2.00", Rounding.DOWN, 0),
        ("3.00", "2.00", Rounding.HALF_EVEN, 2),
    ])
    def test_points_per_currency_unit(self, amount: str, per: str, rounding: Rounding,
                                      points: int) -> None:
        """1 point per N EUR with the declared treatment of the remainder."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur(per), rounding=rounding)])
        state, _ = run(prog, buy("A", amount))
        assert state.available_points == points

    @pytest.mark.parametrize(("order", "amount", "rate", "rounding", "points"), [
        ("once", "3.40", "1.5", Rounding.DOWN, 5),  # 5.1 rounded down
        ("amount_first", "3.40", "1.5", Rounding.DOWN, 4),  # 3 x 1.5 = 4.5 rounded down
        ("once", "3.40", "1.5", Rounding.HALF_UP, 5),
        ("amount_first", "3.40", "1.5", Rounding.HALF_UP, 5),  # 3 x 1.5 = 4.5 -> 5
        ("once", "0.66", "1.5", Rounding.DOWN, 0),  # 0.99 rounded down
        ("once", "0.67", "1.5", Rounding.DOWN, 1),  # 1.005
        ("once", "10.00", "1.5", Rounding.DOWN, 15),
        ("amount_first", "10.00", "1.5", Rounding.DOWN, 15),
        ("once", "19.99", "3", Rounding.DOWN, 59),  # 59.97
        ("amount_first", "19.99", "3", Rounding.DOWN, 57),  # 19 x 3
    ])
    def test_a_rate_on_the_exact_amount_or_on_whole_units(
            self, order: str, amount: str, rate: str, rounding: Rounding, points: int) -> None:
        """"1.5 points per dollar": by default the rate applies to the exact amount and the
        result is rounded once; ``rounding_order="amount_first"`` rounds the amount to whole
        units first."""
        rule = PointsPerAmount(id="usd", per=eur("1.00"), points=Decimal(rate),
                               rounding=rounding, rounding_order=order)  # type: ignore[arg-type]
        state, _ = run(program(earn=[rule]), buy("A", amount))
        assert state.available_points == points

    def test_a_decimal_rate_round_trips_and_reads_well(self) -> None:
        """A rate such as 1.5 survives JSON as text and is written as it reads."""
        rule = PointsPerAmount(id="usd", per=eur("1.00"), points="1.5")  # type: ignore[arg-type]
        again = PointsPerAmount.model_validate_json(rule.model_dump_json())
        assert again == rule
        assert again.points == Decimal("1.5")
        assert '"points":"1.5"' in rule.model_dump_json()
        assert PointsPerAmount(id="x", per=eur("1.00"), points=2).model_dump()["points"] == 2
        _, effects = run(program(earn=[rule]), buy("A-1", "3.40"))
        assert effects[0].reason == "5 points for order A-1: 3.40 EUR at 1.5 points per 1.00 EUR"
        for bad in ("0", "-1.5", 0):
            with pytest.raises(InvalidProgram):
                PointsPerAmount(id="x", per=eur("1.00"), points=bad)  # type: ignore[arg-type]

    def test_reason_shows_amount_and_rate(self) -> None:
        """The effect says what was counted and at which rate."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("2.00"))])
        _, effects = run(prog, buy("A-1", "59.90"))
        assert effects[0].reason == "29 points for order A-1: 59.90 EUR at 1 point per 2.00 EUR"

    def test_exclusions_need_lines(self) -> None:
        """Gift cards and shipping do not earn; the rest of the lines do."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             exclude_categories=("gift-card", "shipping"))])
        lines = (line("TEA", "20.00", 2, "food"), line("GC50", "50.00", 1, "gift-card"),
                 line("SHIP", "4.90", 1, "shipping"))
        state, _ = run(prog, buy("A", "94.90", lines=lines))
        assert state.available_points == 40

    def test_include_categories(self) -> None:
        """Only lines of the named categories earn."""
        prog = program(earn=[PointsPerAmount(id="books", per=eur("1.00"), points=2,
                                             include_categories=("books",))])
        lines = (line("B1", "12.50", 1, "books"), line("T1", "30.00", 1, "toys"))
        state, _ = run(prog, buy("A", "42.50", lines=lines))
        assert state.available_points == 25  # 12.50 EUR of books x 2, rounded once

    def test_no_lines_whole_amount_with_note(self) -> None:
        """An order without lines earns on its whole amount, and the trace says so."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             exclude_skus=("DEPOSIT",))])
        decision = prog.apply(None, buy("A", "10.00"))
        assert decision.state.available_points == 10
        assert any("no lines" in t.detail for t in decision.trace)

    def test_wrong_currency_unit_refused(self) -> None:
        """A per-amount rule in another currency is refused when the program is built."""
        with pytest.raises(InvalidProgram, match="USD"):
            program(earn=[PointsPerAmount(id="base", per=Money("1", "USD"))])


class TestExactDivision:
    """A whole number of points that is the exact result is never lost to a division rounded
    to Decimal's 28 digits and multiplied afterwards (a quotient such as 15.33...3 x 3 is
    45.99...9, and rounding down gave 45): products first, then one division."""

    @pytest.mark.parametrize(("amount", "points"), [("51.06", 46), ("25.53", 23),
                                                    ("9.99", 9), ("10.00", 9)])
    def test_a_rate_per_an_amount_that_does_not_divide_evenly(self, amount: str,
                                                              points: int) -> None:
        """3 points per 3.33 EUR: 51.06 EUR is 15 1/3 times 3.33, so exactly 46 points."""
        rule = PointsPerAmount(id="r", per=eur("3.33"), points=3)
        state, effects = run(program(earn=[rule]), buy("A-1", amount))
        assert state.available_points == points
        assert effects[0].reason == (f"{points} points for order A-1: {amount} EUR at 3 points "
                                     "per 3.33 EUR")

    def test_whole_units_times_a_line_multiplier_that_does_not_divide_evenly(self) -> None:
        """Whole euros first (30), then the lines' weight 40/30 (tea counts double): 40."""
        rule = PointsPerAmount(id="r", per=eur("1.00"), rounding_order="amount_first",
                               multipliers=(CategoryMultiplier(categories=("tea",), factor=2),))
        lines = (line("TEA", "10.00", 1, "tea"), line("CUP", "20.00", 1, "cups"))
        state, _ = run(program(earn=[rule]), buy("A-1", "30.00", lines=lines))
        assert state.available_points == 40

    def test_a_line_return_takes_back_its_exact_share(self) -> None:
        """3 points on three 10.00 EUR lines; one line back is a third: 1 point, rounded
        down too."""
        rule = PointsPerAmount(id="r", per=eur("10.00"), exclude_categories=("gift-card",),
                               clawback_rounding=Rounding.DOWN)
        lines = tuple(line(sku, "10.00") for sku in ("A", "B", "C"))
        state, effects = run(program(earn=[rule]), buy("A-1", "30.00", lines=lines),
                             Return(id="R", member_id="m", at=T0, purchase_id="A-1",
                                    lines=(ReturnedLine(sku="A", quantity=1),)))
        assert effects[-1].points == 1
        assert state.available_points == 2


class TestMultipliers:
    def _campaign(self, factor: str = "2") -> CampaignMultiplier:
        return CampaignMultiplier(name="double week", factor=Decimal(factor), when=During(
            start=datetime(2026, 3, 1, tzinfo=BERLIN), end=datetime(2026, 3, 8, tzinfo=BERLIN)))

    def test_campaign_window(self) -> None:
        """Double points inside the window, normal points after it."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             multipliers=(self._campaign(),))])
        _, effects = run(prog, buy("A", "10.00"), buy("B", "10.00", T0 + timedelta(days=7)))
        assert [e.points for e in effects] == [20, 10]
        assert "double week" in effects[0].reason

    def test_category_bonus_on_lines_only(self) -> None:
        """A category bonus multiplies only the lines of that category."""
        prog = program(earn=[PointsPerAmount(
            id="base", per=eur("1.00"),
            multipliers=(CategoryMultiplier(categories=("organic",), factor=Decimal(3)),))])
        lines = (line("A", "10.00", 1, "organic"), line("B", "10.00", 1, "other"))
        state, _ = run(prog, buy("A", "20.00", lines=lines))
        assert state.available_points == 40

    @pytest.mark.parametrize(("stacking", "points"), [("multiply", 30), ("add", 25),
                                                     ("best", 20)])
    def test_stacking(self, stacking: str, points: int) -> None:
        """x2 campaign and x1.5 category stack as declared."""
        prog = program(earn=[PointsPerAmount(
            id="base", per=eur("1.00"), stacking=stacking,
            multipliers=(self._campaign(), CategoryMultiplier(categories=("c",),
                                                              factor=Decimal("1.5"))))])
        state, _ = run(prog, buy("A", "10.00", lines=(line("X", "10.00", 1, "c"),)))
        assert state.available_points == points

    def test_fractional_multiplier_rounds_as_declared(self) -> None:
        """1 point x1.5 is 1.5: DOWN gives 1, HALF_UP gives 2."""
        for rounding, expected in ((Rounding.DOWN, 1), (Rounding.HALF_UP, 2)):
            prog = program(earn=[PointsPerPurchase(
                id="visit", points=1, rounding=rounding,
                multipliers=(self._campaign("1.5"),))])
            state, _ = run(prog, buy("A", "5.00"))
            assert state.available_points == expected


class TestCaps:
    def test_per_order_cap(self) -> None:
        """At most 100 points from one order."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             caps=(PointsCap(points=100),))])
        _, effects = run(prog, buy("A", "250.00"))
        assert effects[0].points == 100
        assert "capped" in effects[0].reason

    def test_monthly_cap_resets_next_month(self) -> None:
        """50 points per calendar month; the next month starts again."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             caps=(PointsCap(points=50, per="month"),))])
        state, effects = run(prog, buy("A", "40.00"), buy("B", "40.00", T0 + timedelta(days=1)),
                             buy("C", "40.00", T0 + timedelta(days=2)),
                             buy("D", "40.00", datetime(2026, 4, 1, 0, 5, tzinfo=BERLIN)))
        assert [e.points for e in effects] == [40, 10, 40]
        assert state.available_points == 90

    def test_lifetime_and_daily_caps_together(self) -> None:
        """The tighter of several caps wins."""
        prog = program(earn=[PointsPerPurchase(
            id="visit", points=10,
            caps=(PointsCap(points=15, per="day"), PointsCap(points=25, per="lifetime")))])
        days = [T0 + timedelta(days=d, hours=h) for d in range(3) for h in range(2)]
        state, effects = run(prog, *[buy(f"A{i}", "5.00", at) for i, at in enumerate(days)])
        assert [e.points for e in effects] == [10, 5, 10]
        assert state.available_points == 25


class TestEventEarning:
    def test_signup_bonus_once(self) -> None:
        """Sign-up points come once, even for a second sign-up event."""
        prog = program(events=[PointsForEvent(id="welcome", on="signup", points=100)])
        state, effects = run(prog, SignUp(id="S1", member_id="m", at=T0),
                             SignUp(id="S2", member_id="m", at=T0 + timedelta(days=1)))
        assert state.available_points == 100
        assert effects[0].reason == "100 points for signing up"

    def test_profile_completion_when_all_fields_done(self) -> None:
        """Profile points come once every required field is completed."""
        prog = program(events=[PointsForEvent(id="profile", on="profile_completed",
                                              required_fields=("birthday", "phone"),
                                              points=50)])
        state, _ = run(prog, ProfileUpdate(id="P1", member_id="m", at=T0,
                                           fields_completed=("birthday",)))
        assert state.available_points == 0
        state, _ = run(prog, ProfileUpdate(id="P2", member_id="m", at=T0,
                                           fields_completed=("phone",)),
                       ProfileUpdate(id="P3", member_id="m", at=T0,
                                     fields_completed=("phone",)), state=state)
        assert state.available_points == 50

    def test_reviews_capped_per_day_and_month(self) -> None:
        """20 points per review, at most 20 a day and 40 a month."""
        prog = program(events=[PointsForEvent(
            id="review", on="custom", name="review_written", points=20,
            caps=(PointsCap(points=20, per="day"), PointsCap(points=40, per="month")))])
        times = [T0, T0 + timedelta(hours=1), T0 + timedelta(days=1), T0 + timedelta(days=2)]
        state, effects = run(prog, *[Custom(id=f"R{i}", member_id="m", at=t,
                                            name="review_written") for i, t in enumerate(times)])
        assert [e.points for e in effects] == [20, 20]
        assert state.available_points == 40

    def test_other_custom_events_ignored(self) -> None:
        """A custom event with another name earns nothing."""
        prog = program(events=[PointsForEvent(id="ref", on="custom", name="referral",
                                              points=500)])
        state, _ = run(prog, Custom(id="X", member_id="m", at=T0, name="newsletter"))
        assert state.available_points == 0

    def test_custom_rule_needs_a_name(self) -> None:
        """on='custom' without a name is refused."""
        with pytest.raises(InvalidProgram, match="name"):
            PointsForEvent(id="x", on="custom", points=1)


class TestPending:
    def test_points_pending_for_return_window(self) -> None:
        """Points wait 14 days, then become available through advance."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))], pending_days=14)
        state, effects = run(prog, buy("A", "30.00"))
        assert (state.pending_points, state.available_points) == (30, 0)
        assert "available from 2026-03-16" in effects[0].reason
        later = prog.advance(state, T0 + timedelta(days=14))
        assert later.state.available_points == 30
        assert isinstance(later.effects[0], PointsReleased)
        assert later.effects[0].at == T0 + timedelta(days=14)

    def test_return_inside_window_cancels_pending(self) -> None:
        """A full return in the window takes the pending points, never going negative."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))], pending_days=14)
        state, effects = run(prog, buy("A", "30.00"),
                             Return(id="R", member_id="m", at=T0 + timedelta(days=3),
                                    purchase_id="A"))
        revoked = next(e for e in effects if isinstance(e, PointsRevoked))
        assert (revoked.points, revoked.from_pending, revoked.debt_added) == (30, 30, 0)
        assert (state.pending_points, state.available_points, state.debt) == (0, 0, 0)

    def test_release_on_delivery_event(self) -> None:
        """Points wait for the shop's 'delivered' event."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))],
                       release_on="delivered")
        state, _ = run(prog, buy("A", "30.00"),
                       Custom(id="D", member_id="m", at=T0 + timedelta(days=2), name="delivered",
                              payload={"order_id": "A"}))
        assert (state.pending_points, state.available_points) == (0, 30)


class TestExpiry:
    def test_fixed_lifetime_through_advance(self) -> None:
        """Points valid 12 months expire through advance, with a readable reason."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))],
                       expiry=FixedLifetime(months=12))
        state, _ = run(prog, buy("A", "30.00"))
        assert prog.advance(state, T0 + timedelta(days=364)).state.available_points == 30
        expired = prog.advance(state, datetime(2027, 3, 2, 12, tzinfo=BERLIN))
        assert expired.state.available_points == 0
        assert isinstance(expired.effects[0], PointsExpired)
        assert expired.effects[0].reason.startswith("30 points earned on 2026-03-02 expired")

    def test_end_of_month_after(self) -> None:
        """6 months after the month earned: 2020-12-15 expires on 2021-07-01."""
        prog = program(earn=[PointsPerPurchase(id="p", points=5)],
                       expiry=EndOfMonthAfter(months=6))
        state, _ = run(prog, buy("A", "1.00", datetime(2020, 12, 15, 10, tzinfo=BERLIN)))
        assert state.lots[0].expires_at == datetime(2021, 7, 1, tzinfo=BERLIN)
        assert prog.advance(state, datetime(2021, 6, 30, 23, 59, tzinfo=BERLIN)
                            ).state.available_points == 5
        assert prog.advance(state, datetime(2021, 7, 1, tzinfo=BERLIN)
                            ).state.available_points == 0

    @pytest.mark.parametrize(("earned", "months", "expires"), [
        (datetime(2026, 2, 10, 12, tzinfo=BERLIN), 24, datetime(2028, 4, 1, tzinfo=BERLIN)),
        # The last hour of a quarter, local time (already the next day in UTC-5 zones).
        (datetime(2026, 3, 31, 23, 30, tzinfo=BERLIN), 0, datetime(2026, 4, 1, tzinfo=BERLIN)),
        (datetime(2026, 4, 1, 0, 0, tzinfo=BERLIN), 0, datetime(2026, 7, 1, tzinfo=BERLIN)),
        # 29 February + 12 months is 28 February: still the first quarter.
        (datetime(2028, 2, 29, 12, tzinfo=BERLIN), 12, datetime(2029, 4, 1, tzinfo=BERLIN)),
        # 31 August + 1 month clips to 30 September: the third quarter.
        (datetime(2026, 8, 31, 12, tzinfo=BERLIN), 1, datetime(2026, 10, 1, tzinfo=BERLIN)),
        (datetime(2026, 11, 15, 12, tzinfo=BERLIN), 3, datetime(2027, 4, 1, tzinfo=BERLIN)),
    ])
    def test_end_of_quarter_after(self, earned: datetime, months: int,
                                  expires: datetime) -> None:
        """Points expire at the end of the calendar quarter in which N months after earning
        end, in the program's zone, and not a moment earlier."""
        prog = program(earn=[PointsPerPurchase(id="p", points=5)],
                       expiry=EndOfQuarterAfter(months=months))
        state, _ = run(prog, buy("A", "1.00", earned))
        assert state.lots[0].expires_at == expires
        before = prog.advance(state, expires - timedelta(microseconds=1)).state
        assert before.available_points == 5
        after = prog.advance(state, expires)
        assert after.state.available_points == 0
        assert [type(e).__name__ for e in after.effects] == ["PointsExpired"]
        assert "calendar quarter" in prog.explain()

    def test_expiry_fires_during_replay_in_time(self) -> None:
        """A later purchase first expires what was due before it."""
        prog = program(earn=[PointsPerPurchase(id="p", points=5)],
                       expiry=FixedLifetime(days=30))
        replay = prog.replay([buy("A", "1.00"), buy("B", "1.00", T0 + timedelta(days=40))])
        effects = list(replay.effects())
        kinds = [type(e).__name__ for e in effects]
        assert kinds == ["PointsEarned", "PointsExpired", "PointsEarned"]
        assert effects[1].at == T0 + timedelta(days=30)

    def test_inactivity_resets_on_activity(self) -> None:
        """All points expire 12 months after the last order, not after the first."""
        prog = program(earn=[PointsPerPurchase(id="p", points=5)],
                       expiry=Inactivity(months=12))
        state, _ = run(prog, buy("A", "1.00"), buy("B", "1.00", T0 + timedelta(days=300)))
        assert prog.advance(state, T0 + timedelta(days=400)).state.available_points == 10
        gone = prog.advance(state, T0 + timedelta(days=700))
        assert gone.state.available_points == 0
        assert gone.state.points_expired == 10
        assert "no activity for 12 months" in gone.effects[0].reason

    def test_fifo_redemption_spends_oldest_first(self) -> None:
        """Redemption takes the oldest lot first, so fewer points expire."""
        prog = program(earn=[PointsPerPurchase(id="p", points=10)],
                       expiry=FixedLifetime(months=1),
                       rewards=[Reward(id="v", name="voucher", points=10, value=eur("1.00"))])
        state, _ = run(prog, buy("A", "1.00"), buy("B", "1.00", T0 + timedelta(days=20)),
                       Redemption(id="V", member_id="m", at=T0 + timedelta(days=21),
                                  reward_id="v"))
        assert [lot.source_event_id for lot in state.lots] == ["B"]

    def test_lifo_redemption_when_declared(self) -> None:
        """With redemption_order='lifo' the newest lot goes first."""
        prog = program(earn=[PointsPerPurchase(id="p", points=10)],
                       expiry=FixedLifetime(months=1), redemption_order="lifo",
                       rewards=[Reward(id="v", name="voucher", points=10, value=eur("1.00"))])
        state, _ = run(prog, buy("A", "1.00"), buy("B", "1.00", T0 + timedelta(days=20)),
                       Redemption(id="V", member_id="m", at=T0 + timedelta(days=21),
                                  reward_id="v"))
        assert [lot.source_event_id for lot in state.lots] == ["A"]


class TestReturns:
    def test_partial_return_proportional(self) -> None:
        """Returning 25 of 100 EUR takes back a quarter of the stored points."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))])
        state, effects = run(prog, buy("A", "100.00"),
                             Return(id="R", member_id="m", at=T0, purchase_id="A",
                                    amount=eur("25.00")))
        assert state.available_points == 75
        assert effects[-1].points == 25

    def test_stored_points_not_recomputed(self) -> None:
        """A return takes back what was earned under the old rule, not today's."""
        old = program(earn=[PointsPerAmount(id="base", per=eur("1.00"), points=2)])
        new = program(earn=[PointsPerAmount(id="base", per=eur("1.00"), points=5)])
        state, _ = run(old, buy("A", "10.00"))
        state, effects = run(new, Return(id="R", member_id="m", at=T0, purchase_id="A"),
                             state=state)
        assert effects[-1].points == 20
        assert state.available_points == 0

    def test_threshold_revoked_when_kept_amount_falls_under(self) -> None:
        """A partial return that leaves 50.00 of 60.00 takes the point back."""
        prog = program(earn=[PointsPerPurchase(id="o50", points=1, min_amount=eur("50.00"))])
        state, _ = run(prog, buy("A", "60.00"),
                       Return(id="R1", member_id="m", at=T0, purchase_id="A", amount=eur("5")))
        assert state.available_points == 1
        state, effects = run(prog, Return(id="R2", member_id="m", at=T0, purchase_id="A",
                                          amount=eur("5")), state=state)
        assert state.available_points == 0
        assert "no longer qualifies" in effects[-1].reason

    def test_spent_points_become_debt(self) -> None:
        """Points already redeemed become debt, repaid from the next points."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))],
                       rewards=[Reward(id="v", name="voucher", points=10, value=eur("1.00"))])
        state, effects = run(prog, buy("A", "10.00"),
                             Redemption(id="V", member_id="m", at=T0, reward_id="v"),
                             Return(id="R", member_id="m", at=T0, purchase_id="A"))
        assert (state.available_points, state.debt, state.balance) == (0, 10, -10)
        assert "owed from future points" in effects[-1].reason
        state, effects = run(prog, buy("B", "15.00", T0 + timedelta(days=1)), state=state)
        assert (state.available_points, state.debt) == (5, 0)
        assert isinstance(effects[-1], PointsRevoked)

    def test_absorb_forgives_spent_points(self) -> None:
        """With clawback='absorb' the shop absorbs what was already spent."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))], clawback="absorb",
                       rewards=[Reward(id="v", name="voucher", points=10, value=eur("1.00"))])
        state, _ = run(prog, buy("A", "10.00"),
                       Redemption(id="V", member_id="m", at=T0, reward_id="v"),
                       Return(id="R", member_id="m", at=T0, purchase_id="A"))
        assert (state.available_points, state.debt) == (0, 0)

    def test_return_by_lines(self) -> None:
        """Returned lines are priced as sold; more than bought is refused."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))])
        lines = (line("TEA", "10.00", 3), line("CUP", "5.00", 2))
        state, _ = run(prog, buy("A", "40.00", lines=lines),
                       Return(id="R", member_id="m", at=T0, purchase_id="A",
                              lines=(ReturnedLine(sku="TEA", quantity=2),)))
        assert state.available_points == 20
        assert state.purchases[0].returned == Decimal("20.00")
        with pytest.raises(ReturnExceedsPurchase, match="only 1 left"):
            prog.apply(state, Return(id="R2", member_id="m", at=T0, purchase_id="A",
                                     lines=(ReturnedLine(sku="TEA", quantity=2),)))

    def test_returning_an_excluded_line_takes_nothing(self) -> None:
        """A gift card that earned nothing comes back without taking points; tea does."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             exclude_categories=("gift-card",))])
        lines = (line("TEA", "10.00", 2, "food"), line("GC", "50.00", 1, "gift-card"))
        state, _ = run(prog, buy("A", "70.00", lines=lines))
        assert state.available_points == 20
        state, effects = run(prog, Return(id="R1", member_id="m", at=T0, purchase_id="A",
                                          lines=(ReturnedLine(sku="GC", quantity=1),)),
                             state=state)
        assert (state.available_points, effects) == (20, [])
        state, effects = run(prog, Return(id="R2", member_id="m", at=T0, purchase_id="A",
                                          lines=(ReturnedLine(sku="TEA", quantity=1),)),
                             state=state)
        assert state.available_points == 10

    @pytest.mark.parametrize(("event", "error"), [
        (Return(id="R", member_id="m", at=T0, purchase_id="nope"), UnknownPurchase),
        (Return(id="R", member_id="m", at=T0, purchase_id="A", amount=eur("99")),
         ReturnExceedsPurchase),
    ])
    def test_bad_returns_leave_state_unchanged(self, event: Return, error: type) -> None:
        """Unknown or excessive returns are refused and change nothing."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))])
        state, _ = run(prog, buy("A", "10.00"))
        before = state.model_dump_json()
        with pytest.raises(error):
            prog.apply(state, event)
        assert state.model_dump_json() == before

    def test_second_full_return_refused(self) -> None:
        """An order returned in full cannot be returned again."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))])
        state, _ = run(prog, buy("A", "10.00"),
                       Return(id="R", member_id="m", at=T0, purchase_id="A"))
        with pytest.raises(ReturnExceedsPurchase, match="already returned"):
            prog.apply(state, Return(id="R2", member_id="m", at=T0, purchase_id="A"))


class TestRedemption:
    def test_points_as_currency(self) -> None:
        """250 points at 0.01 EUR each pay 2.50 EUR; below 200 points is refused."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))],
                       rewards=[PointsAsCurrency(id="pay", name="points payment",
                                                 point_value=eur("0.01"), min_points=200)])
        state, _ = run(prog, buy("A", "300.00"))
        with pytest.raises(InvalidEvent, match="from 200 points"):
            prog.apply(state, Redemption(id="V0", member_id="m", at=T0, reward_id="pay",
                                         points=150))
        with pytest.raises(InsufficientPoints):
            prog.apply(state, Redemption(id="V1", member_id="m", at=T0, reward_id="pay",
                                         points=400))
        state, effects = run(prog, Redemption(id="V2", member_id="m", at=T0, reward_id="pay",
                                              points=250), state=state)
        voucher = next(e for e in effects if isinstance(e, VoucherIssued)).voucher
        assert voucher.value == eur("2.50")
        assert state.available_points == 50

    def test_one_point_buys(self) -> None:
        """The verb agrees with the points: "1 point buys", "2 points buy"."""
        assert Reward(id="a", name="sticker", points=1).describe() == "1 point buys a sticker"
        assert Reward(id="b", name="mug", points=2).describe() == "2 points buy a mug"

    def test_a_reward_without_a_money_value(self) -> None:
        """A free drink has no stated money value: it is redeemed and described without one,
        its voucher carries ``value=None``, and it does not set the point value."""
        prog = program(earn=[PointsPerPurchase(id="p", points=50)],
                       rewards=[Reward(id="drink", name="free drink", points=50),
                                Reward(id="v", name="voucher", points=100,
                                       value=eur("1.00"))])
        assert "50 points buy a free drink\n" in prog.explain() + "\n"
        assert prog.point_value() == eur("0.01")
        state, effects = run(prog, buy("A", "1.00"),
                             Redemption(id="R", member_id="m", at=T0, reward_id="drink"))
        assert effects[-1].reason == "free drink"
        assert state.vouchers[0].value is None
        assert MemberState.model_validate_json(state.model_dump_json()) == state
        summary = prog.replay([buy("A", "1.00"), Redemption(
            id="R", member_id="m", at=T0, reward_id="drink")]).summary()
        assert (summary.vouchers_issued, summary.voucher_value) == (1, eur("0.00"))

    def test_minimum_balance_before_any_redemption(self) -> None:
        """A scheme's ``min_balance`` refuses every redemption below it with the balance and
        the minimum as fields, before the reward's own minimum; at the minimum it redeems."""
        prog = program(earn=[PointsPerAmount(id="base", per=eur("1.00"))], min_balance=200,
                       rewards=[PointsAsCurrency(id="pay", name="points payment",
                                                 point_value=eur("0.01"), min_points=10)])
        state, _ = run(prog, buy("A", "199.00"))
        with pytest.raises(BelowMinimumBalance) as caught:
            prog.apply(state, Redemption(id="V1", member_id="m", at=T0, reward_id="pay",
                                         points=10))
        assert (caught.value.balance, caught.value.minimum) == (199, 200)
        assert caught.value.to_dict()["code"] == "below-minimum-balance"
        assert "199 points available, below the minimum balance of 200 points" in str(
            caught.value)
        assert isinstance(caught.value, RefusedEvent)
        state, _ = run(prog, buy("B", "1.00"), state=state)
        state, _ = run(prog, Redemption(id="V2", member_id="m", at=T0, reward_id="pay",
                                        points=10), state=state)
        assert state.available_points == 190  # below the minimum again afterwards
        with pytest.raises(BelowMinimumBalance):
            prog.apply(state, Redemption(id="V3", member_id="m", at=T0, reward_id="pay",
                                         points=10))

    def test_voucher_valid_from_next_month(self) -> None:
        """'Valid 3 months from the first of the next month' is stated and stored."""
        prog = program(earn=[PointsPerPurchase(id="p", points=10)],
                       rewards=[Reward(id="v", name="10 EUR voucher", points=10,
                                       value=eur("10.00"),
                                       validity=Validity(months=3, start="next_month"))])
        _, effects = run(prog, buy("A", "1.00"),
                         Redemption(id="V", member_id="m", at=T0, reward_id="v"))
        issued = effects[-1]
        assert issued.voucher.expires_at == datetime(2026, 7, 1, tzinfo=BERLIN)
        assert issued.voucher.valid_from == datetime(2026, 4, 1, tzinfo=BERLIN)
        assert issued.voucher.valid_from.tzinfo is UTC
        assert issued.reason == ("10 EUR voucher worth 10.00 EUR, valid from 2026-04-01 "
                                 "until 2026-06-30")
        plain = program(earn=[PointsPerPurchase(id="p", points=10)],
                        rewards=[Reward(id="v", name="voucher", points=10, value=eur("10.00"),
                                        validity=Validity(months=3))])
        _, effects = run(plain, buy("A", "1.00"),
                         Redemption(id="V", member_id="m", at=T0, reward_id="v"))
        assert effects[-1].voucher.valid_from is None
        assert effects[-1].reason == "voucher worth 10.00 EUR, valid until 2026-06-02"


class TestRealisticProgram:
    """1 point per 2 EUR, yearly cut-off on 30 September, pay with points from 200."""

    PROGRAM = program(
        earn=[PointsPerAmount(id="base", per=eur("2.00"),
                              exclude_categories=("gift-card",))],
        expiry=CalendarCutoff(month=9, day=30, years=3),
        rewards=[PointsAsCurrency(id="pay", name="points payment",
                                  point_value=eur("0.01"), min_points=200)],
    )

    def test_cutoff_expires_old_points_only(self) -> None:
        """On 30 Sep 2026 end of day, points from before 1 Oct 2023 expire; later ones stay."""
        early = buy("A", "300.00", datetime(2023, 9, 30, 18, tzinfo=BERLIN))
        late = buy("B", "100.00", datetime(2023, 10, 1, 9, tzinfo=BERLIN))
        state, _ = run(self.PROGRAM, early, late)
        assert state.available_points == 200
        before = self.PROGRAM.advance(state, datetime(2026, 9, 30, 23, 59, tzinfo=BERLIN))
        assert before.state.available_points == 200
        after = self.PROGRAM.advance(state, datetime(2026, 10, 1, 0, 0, tzinfo=BERLIN))
        assert after.state.available_points == 50
        assert after.state.points_expired == 150

    def test_explained_in_plain_words(self) -> None:
        """The whole program reads as terms a customer can check."""
        text = self.PROGRAM.explain()
        assert "1 point per 2.00 EUR (total rounded down), except gift-card" in text
        assert "every 30 September" in text
        assert "points pay 0.01 EUR each, from 200 points" in text
