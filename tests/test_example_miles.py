"""The Miles & More-like worked example (docs/examples/miles_and_more.py) against the edge
cases of the published terms: partner credits that name their miles, bounds hit exactly, and
expiry 36 months later at the quarter's end in Berlin time (quarter and year boundaries, a
leap day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_example
from reciprocity import (
    Custom,
    MemberState,
    PointsEarned,
    PointsExpired,
    PointsOutOfBounds,
    Program,
    Redemption,
)

BERLIN = ZoneInfo("Europe/Berlin")


MILES = load_example("miles_and_more")
PROGRAM: Program = MILES.PROGRAM


def credit(eid: str, miles: Any, at: datetime, name: str = MILES.PARTNER,
           state: MemberState | None = None) -> Any:
    event = Custom(id=eid, member_id="m-1", at=at, name=name,
                   payload={"miles": miles, "partner": "hotel"})
    return PROGRAM.apply(state, event)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


class TestPartnerCredits:
    def test_a_hotel_stay_credits_the_miles_the_partner_names(self) -> None:
        decision = credit("H-1", 1_500, berlin(2026, 5, 4, 10))
        (earned,) = decision.effects
        assert isinstance(earned, PointsEarned)
        assert earned.points == 1_500
        assert decision.state.available_points == 1_500

    @pytest.mark.parametrize(("name", "top"), [(MILES.PARTNER, 100_000), (MILES.FLIGHT, 60_000)])
    def test_the_bounds_are_hit_exactly(self, name: str, top: int) -> None:
        at = berlin(2026, 5, 4, 10)
        assert credit("C-1", top, at, name).state.available_points == top
        assert credit("C-2", 1, at, name).state.available_points == 1
        with pytest.raises(PointsOutOfBounds) as info:
            credit("C-3", top + 1, at, name)
        assert (info.value.field, info.value.maximum) == ("payload.miles", top)
        with pytest.raises(PointsOutOfBounds):
            credit("C-4", 0, at, name)

    def test_a_faulty_partner_file_credits_nothing(self) -> None:
        state = credit("H-1", 800, berlin(2026, 5, 4, 10)).state
        for bad in ("800", 800.5, None):
            with pytest.raises(PointsOutOfBounds):
                credit("H-2", bad, berlin(2026, 5, 5, 10), state=state)
        assert state.available_points == 800

    def test_the_upgrade_is_bought_with_partner_miles(self) -> None:
        state = credit("H-1", 4_000, berlin(2026, 5, 4, 10)).state
        state = credit("F-1", 3_000, berlin(2026, 6, 4, 10), MILES.FLIGHT, state).state
        decision = PROGRAM.apply(state, Redemption(id="R-1", member_id="m-1",
                                                   at=berlin(2026, 6, 5), reward_id="upgrade-eu"))
        assert decision.state.available_points == 0


class TestExpiry:
    @pytest.mark.parametrize(("credited", "expires"), [
        (berlin(2026, 2, 10, 12), berlin(2029, 4, 1)),       # 36 months end in Q1 2029
        (berlin(2026, 3, 31, 23, 30), berlin(2029, 4, 1)),   # last minute of a quarter
        (berlin(2026, 4, 1, 0, 30), berlin(2029, 7, 1)),     # first minute of the next
        (berlin(2026, 12, 31, 23, 30), berlin(2030, 1, 1)),  # the year's last half hour
        (berlin(2028, 2, 29, 9), berlin(2031, 4, 1)),        # a leap day: 28 Feb 2031
    ])
    def test_miles_expire_36_months_later_at_the_quarter_end(
            self, credited: datetime, expires: datetime) -> None:
        (earned,) = credit("H-1", 500, credited).effects
        assert isinstance(earned, PointsEarned)
        assert earned.expires_at == expires

    def test_the_quarter_is_read_in_berlin_time(self) -> None:
        # 31 March 22:30 UTC is already 1 April in Berlin (summer time): the next quarter
        from datetime import UTC
        (earned,) = credit("H-1", 500, datetime(2026, 3, 31, 22, 30, tzinfo=UTC)).effects
        assert isinstance(earned, PointsEarned)
        assert earned.expires_at == berlin(2029, 7, 1)

    def test_miles_are_there_until_the_quarter_ends_then_expire(self) -> None:
        state = credit("H-1", 500, berlin(2026, 2, 10, 12)).state
        before = PROGRAM.advance(state, berlin(2029, 3, 31, 23, 59))
        assert before.state.available_points == 500
        after = PROGRAM.advance(before.state, berlin(2029, 4, 1))
        assert after.state.available_points == 0
        (expired,) = after.effects
        assert isinstance(expired, PointsExpired)
        assert expired.points == 500


def test_the_terms_read_as_the_programme_publishes_them() -> None:
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    english = PROGRAM.terms("en")
    assert "from 1 up to 100,000 points" in english
    assert "36 months after you earn them, at the end of that calendar quarter" in english
    assert "von 1 bis zu 60.000 Punkten" in PROGRAM.terms("de")


def ticket(state: MemberState | None, oid: str, at: datetime, fare: str, surcharge: str = "0",
           tax: str = "0") -> Any:
    from reciprocity import Line, Money, Purchase

    lines = [Line(sku=f"{oid}-{kind}", category=kind, quantity=1, unit_price=Money(v, "EUR"))
             for kind, v in (("fare", fare), ("surcharge", surcharge), ("tax", tax))
             if Money(v, "EUR").amount]
    total = sum((line.unit_price.amount for line in lines), start=Money("0", "EUR").amount)
    return PROGRAM.apply(state, Purchase(id=oid, member_id="m-1", at=at,
                                         amount=Money(total, "EUR"), lines=lines))


class TestStatus:
    def test_flights_earn_four_miles_per_euro_of_fare_and_surcharge_not_tax(self) -> None:
        decision = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "300.00", "120.00", "85.37")
        (earned,) = [e for e in decision.effects if isinstance(e, PointsEarned)]
        assert earned.points == 1_680

    def test_status_at_exactly_35000_status_miles_lasts_to_february_of_the_year_after_next(
            self) -> None:
        from reciprocity import TierChanged

        state = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "8749.75").state  # 34,999 miles
        assert state.tier is None or state.tier.tier_id is None
        decision = ticket(state, "LH-2", berlin(2026, 6, 1, 9), "0.25")  # 1 mile more
        (change,) = [e for e in decision.effects if isinstance(e, TierChanged)]
        assert (change.change, change.to_tier) == ("upgrade", "ftl")
        assert change.valid_until == berlin(2028, 3, 1)  # 29 February 2028 is its last day
        assert "valid until 2028-02-29" in change.reason
        review = PROGRAM.advance(decision.state, berlin(2028, 3, 1))
        assert [(e.change, e.to_tier) for e in review.effects
                if isinstance(e, TierChanged)] == [("downgrade", None)]

    def test_partner_miles_never_count_towards_status(self) -> None:
        state = credit("H-1", 90_000, berlin(2026, 3, 1, 9)).state
        state = ticket(state, "LH-1", berlin(2026, 3, 2, 9), "100.00").state
        assert state.tier is None or state.tier.tier_id is None
        from reciprocity import tier_progress

        progress = tier_progress(PROGRAM, state, berlin(2026, 3, 3))
        status = [v for v in progress.metrics if v.unit == "status miles"]
        assert [(v.current, v.previous) for v in status] == [(400, 0)]

    def test_frequent_travellers_earn_six_miles_per_euro(self) -> None:
        state = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "9000.00").state
        decision = ticket(state, "LH-2", berlin(2026, 4, 1, 9), "100.00")
        (earned,) = [e for e in decision.effects if isinstance(e, PointsEarned)]
        assert earned.points == 600
