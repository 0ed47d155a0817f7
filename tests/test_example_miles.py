"""The Miles & More-like worked example (docs/examples/miles_and_more.py) against the edge
cases of the published terms: partner credits that name their miles, bounds hit exactly, and
expiry 36 months later at the quarter's end in Berlin time (quarter and year boundaries, a
leap day)."""

from __future__ import annotations

from datetime import datetime, timedelta
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
    assert "from 1 up to 100,000 award miles" in english
    assert "36 months after you earn them, at the end of that calendar quarter" in english
    assert "mindestens 1 und höchstens 60.000 Prämienmeilen" in PROGRAM.terms("de")
    assert "These status miles cannot be redeemed; they only count towards tiers." in english
    assert "Earning status miles\n" in english
    # status miles are never spent, so the terms say nothing of spent ones
    assert "Status miles you have already spent" not in english
    assert "Award miles you have already spent are set off" in english


def test_the_labels_name_both_balances_in_english_and_german() -> None:
    """The award and status balances, their units, and the facts and their values are said
    in each language's words: headings, sentences, the status requirement and a statement's
    tier progress; no sentence says "points"."""
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    english, german = PROGRAM.terms("en"), PROGRAM.terms("de")
    for line in ("Earning award miles\n", "Expiry of award miles\n",
                 "Rewards: “Award miles”", "Expiry of status miles\n",
                 "For 7,000 award miles you get",
                 "Requirement: 35,000 status miles. Benefits: award miles ×1.5.",
                 "Every purchase earns you 500 status miles. Applies if “flight zone” is "
                 "“domestic” and “cabin” is “Economy Class”."):
        assert line in english
    for line in ("Prämienmeilen sammeln\n", "Verfall der Prämienmeilen\n",
                 "Prämien: „Prämienmeilen“", "Statusmeilen sammeln\n",
                 "Für 7.000 Prämienmeilen erhalten Sie",
                 "Voraussetzung: 35.000 Statusmeilen. Vorteile: Prämienmeilen ×1,5.",
                 "Jeder Einkauf bringt Ihnen 500 Statusmeilen. Gilt, wenn „Flugzone“ „Inland“ "
                 "ist und „Reiseklasse“ „Economy Class“ ist."):
        assert line in german
    assert "point" not in english.replace("“Upgrade", "")
    assert "Punkt" not in german
    assert "status miles" not in german
    assert "„domestic“" not in german
    state = flights(None, "S", datetime(2026, 3, 2, 10, tzinfo=BERLIN), 2)
    at = datetime(2026, 3, 10, tzinfo=BERLIN)
    en = PROGRAM.statement(state, at, "en").to_text()
    de = PROGRAM.statement(state, at, "de").to_text()
    assert "\nAward miles\n- Available: 800 award miles." in en
    assert "\nStatus miles\n- Available: 6,000 status miles." in en
    assert "Still 29,000 status miles to Frequent Traveller" in en
    assert "\nPrämienmeilen\n- Verfügbar: 800 Prämienmeilen." in de
    assert "\nStatusmeilen\n- Verfügbar: 6.000 Statusmeilen." in de
    assert "Noch 29.000 Statusmeilen bis Frequent Traveller" in de
    assert "status miles" not in de


def test_a_voucher_without_a_value_is_said_once() -> None:
    """The upgrade voucher has no money value: the statement names it, not "worth" it."""
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    at = datetime(2026, 3, 2, 10, tzinfo=BERLIN)
    state = PROGRAM.apply(None, Custom(id="H1", member_id="m-1", at=at, name=MILES.PARTNER,
                                       payload={"miles": 7_000})).state
    state = PROGRAM.apply(state, Redemption(id="U1", member_id="m-1", at=at,
                                            reward_id="upgrade-eu")).state
    en = PROGRAM.statement(state, at + timedelta(days=1), "en").to_text()
    de = PROGRAM.statement(state, at + timedelta(days=1), "de").to_text()
    assert "U1/upgrade-eu/1: Voucher for “Upgrade voucher, Europe”. No expiry date." in en
    assert "U1/upgrade-eu/1: Gutschein für „Upgrade voucher, Europe“. Ohne Ablaufdatum." in de


def ticket(state: MemberState | None, oid: str, at: datetime, fare: str, surcharge: str = "0",
           tax: str = "0", zone: str = "continental", cabin: str = "economy") -> Any:
    """A flight segment bought as an order: fare, surcharge and tax lines, and the zone and
    cabin that decide its status miles."""
    from reciprocity import Line, Money, Purchase

    lines = [Line(sku=f"{oid}-{kind}", category=kind, quantity=1, unit_price=Money(v, "EUR"))
             for kind, v in (("fare", fare), ("surcharge", surcharge), ("tax", tax))
             if Money(v, "EUR").amount]
    total = sum((line.unit_price.amount for line in lines), start=Money("0", "EUR").amount)
    return PROGRAM.apply(state, Purchase(id=oid, member_id="m-1", at=at,
                                         amount=Money(total, "EUR"), lines=lines,
                                         metadata={"zone": zone, "cabin": cabin}))


def status_miles(state: MemberState) -> int:
    assert state.balances is not None
    return state.balances["status"].available_points


def flights(state: MemberState | None, prefix: str, start: datetime, n: int,
            zone: str = "intercontinental", cabin: str = "economy") -> MemberState:
    for index in range(n):
        state = ticket(state, f"{prefix}-{index}", start + timedelta(days=index), "100.00",
                       zone=zone, cabin=cabin).state
    assert state is not None
    return state


def tier(state: MemberState) -> str | None:
    return None if state.tier is None else state.tier.tier_id


class TestStatus:
    def test_flights_earn_four_miles_per_euro_of_fare_and_surcharge_not_tax(self) -> None:
        decision = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "300.00", "120.00", "85.37")
        earned = [(e.rule_id, e.balance, e.points) for e in decision.effects
                  if isinstance(e, PointsEarned)]
        assert earned == [("flights", None, 1_680), ("continental-economy", "status", 750)]

    @pytest.mark.parametrize(("zone", "cabin", "miles"), sorted(
        (zone, cabin, miles) for (zone, cabin), miles in MILES.STATUS_MILES.items()))
    def test_status_miles_go_by_zone_and_cabin_not_by_price(self, zone: str, cabin: str,
                                                            miles: int) -> None:
        for fare in ("49.00", "2400.00"):
            state = ticket(None, "LH-1", berlin(2026, 3, 1, 9), fare, zone=zone,
                           cabin=cabin).state
            assert status_miles(state) == miles

    def test_a_flight_of_no_declared_cabin_earns_award_miles_only(self) -> None:
        state = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "100.00", zone="domestic",
                       cabin="first").state
        assert (state.available_points, status_miles(state)) == (400, 0)

    def test_status_at_exactly_35000_status_miles_lasts_to_february_of_the_year_after_next(
            self) -> None:
        from reciprocity import TierChanged

        # 11 long-haul economy segments, a domestic and a continental one: 34,250 miles
        state = flights(None, "LH", berlin(2026, 3, 1, 9), 11)
        state = flights(state, "DE", berlin(2026, 4, 1, 9), 1, zone="domestic")
        state = flights(state, "EU", berlin(2026, 4, 2, 9), 1, zone="continental")
        assert (status_miles(state), tier(state)) == (34_250, None)
        decision = ticket(state, "LH-X", berlin(2026, 6, 1, 9), "89.00",
                          zone="continental")  # 750 more: 35,000 exactly
        assert status_miles(decision.state) == 35_000
        (change,) = [e for e in decision.effects if isinstance(e, TierChanged)]
        assert (change.change, change.to_tier) == ("upgrade", "ftl")
        assert change.valid_until == berlin(2028, 3, 1)  # 29 February 2028 is its last day
        assert "valid until 2028-02-29" in change.reason
        review = PROGRAM.advance(decision.state, berlin(2028, 3, 1))
        assert [(e.change, e.to_tier) for e in review.effects
                if isinstance(e, TierChanged)] == [("downgrade", None)]

    def test_senator_from_100000_status_miles(self) -> None:
        state = flights(None, "F", berlin(2026, 1, 10, 9), 11, cabin="first")  # 99,000
        assert tier(state) == "ftl"
        state = ticket(state, "D-1", berlin(2026, 2, 1, 9), "90.00", zone="domestic",
                       cabin="business").state
        assert (status_miles(state), tier(state)) == (100_000, "sen")

    def test_the_year_of_a_flight_is_the_year_in_berlin(self) -> None:
        """A segment on 31 December at 23:30 in Berlin (22:30 UTC) counts for that year; one
        at 00:30 on 1 January for the next."""
        from datetime import UTC

        from reciprocity import tier_progress

        state = flights(None, "LH", berlin(2026, 12, 20, 9), 11)  # 33,000 in 2026
        late = ticket(state, "NYE", datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "100.00",
                      cabin="business", zone="continental").state  # 1,500: 34,500
        assert tier(late) is None
        metric = [v for v in tier_progress(PROGRAM, late, berlin(2027, 1, 2)).metrics
                  if v.unit == "status miles"]
        assert [(v.current, v.previous) for v in metric] == [(0, 34_500)]
        early = ticket(state, "NY", berlin(2027, 1, 1, 0, 30), "100.00", cabin="business",
                       zone="continental").state
        metric = [v for v in tier_progress(PROGRAM, early, berlin(2027, 1, 2)).metrics
                  if v.unit == "status miles"]
        assert [(v.current, v.previous) for v in metric] == [(1_500, 33_000)]

    def test_partner_miles_never_count_towards_status(self) -> None:
        state = credit("H-1", 90_000, berlin(2026, 3, 1, 9)).state
        state = ticket(state, "LH-1", berlin(2026, 3, 2, 9), "100.00").state
        assert tier(state) is None
        assert (state.available_points, status_miles(state)) == (90_400, 750)
        from reciprocity import tier_progress

        progress = tier_progress(PROGRAM, state, berlin(2026, 3, 3))
        status = [v for v in progress.metrics if v.unit == "status miles"]
        assert [(v.current, v.previous) for v in status] == [(750, 0)]

    def test_status_miles_buy_nothing_and_redeeming_award_miles_keeps_them(self) -> None:
        state = flights(None, "LH", berlin(2026, 3, 1, 9), 3)  # 1,200 award, 9,000 status
        state = credit("H-1", 6_000, berlin(2026, 4, 1, 9), state=state).state
        decision = PROGRAM.apply(state, Redemption(id="R-1", member_id="m-1",
                                                   at=berlin(2026, 4, 2), reward_id="upgrade-eu"))
        assert (decision.state.available_points, status_miles(decision.state)) == (200, 9_000)
        assert [e.balance for e in decision.effects] == [None, None]  # redeemed, voucher

    def test_a_returned_ticket_takes_back_award_and_status_miles(self) -> None:
        from reciprocity import Return

        state = ticket(None, "LH-1", berlin(2026, 3, 1, 9), "500.00", "100.00", "50.00",
                       zone="intercontinental", cabin="business").state
        assert (state.available_points, status_miles(state)) == (2_400, 6_000)
        decision = PROGRAM.apply(state, Return(id="R-1", member_id="m-1",
                                               at=berlin(2026, 3, 2), purchase_id="LH-1"))
        assert [(e.rule_id, e.balance, e.points) for e in decision.effects] == [
            ("flights", None, 2_400), ("intercontinental-business", "status", 6_000)]
        assert (decision.state.available_points, status_miles(decision.state)) == (0, 0)

    def test_frequent_travellers_earn_six_award_miles_per_euro_and_the_same_status_miles(
            self) -> None:
        state = flights(None, "LH", berlin(2026, 3, 1, 9), 12)  # 36,000: ftl
        assert tier(state) == "ftl"
        decision = ticket(state, "NEXT", berlin(2026, 4, 1, 9), "100.00")
        earned = [(e.balance, e.points) for e in decision.effects
                  if isinstance(e, PointsEarned)]
        assert earned == [(None, 600), ("status", 750)]


class TestReasons:
    """Every effect's reason says award or status miles, in English and German."""

    def test_a_partner_credit(self) -> None:
        (earned,) = credit("H-1", 1_500, berlin(2026, 5, 4, 10)).effects
        assert earned.reason == "1,500 award miles for partner credit H-1"
        assert PROGRAM.render_effect(earned, "de") == (
            "1.500 Prämienmeilen für Partnergutschrift H-1")
        (one,) = credit("H-2", 1, berlin(2026, 5, 4, 10)).effects
        assert one.render("de") == "1 Prämienmeile für Partnergutschrift H-2"

    def test_a_flight_a_status_and_its_multiplier(self) -> None:
        state = flights(None, "LH", berlin(2026, 3, 1, 9), 11)
        state = flights(state, "DE", berlin(2026, 4, 1, 9), 1, zone="domestic")
        state = flights(state, "EU", berlin(2026, 4, 2, 9), 1, zone="continental")
        decision = ticket(state, "LH-X", berlin(2026, 6, 1, 9), "89.00", zone="continental")
        said = [(e.reason, PROGRAM.render_effect(e, "de")) for e in decision.effects]
        assert said == [
            ("356 award miles for order LH-X: 89.00 EUR at 4 award miles per 1.00 EUR, "
             "valid until 2029-06-30",
             "356 Prämienmeilen für Bestellung LH-X: 4 Prämienmeilen pro 1,00 EUR auf "
             "89,00 EUR, gültig bis 30.06.2029"),
            ("750 status miles for order LH-X", "750 Statusmeilen für Bestellung LH-X"),
            ("Frequent Traveller reached with 35,000 status miles in 2026: 1.5x award miles, "
             "valid until 2028-02-29",
             "Frequent Traveller erreicht mit 35.000 Statusmeilen im Jahr 2026: "
             "Prämienmeilen ×1,5, gültig bis 29.02.2028"),
        ]

    def test_explain_counts_the_multiplier_in_award_miles(self) -> None:
        assert "- Senator: 100,000 status miles; brings 1.75x award miles" in PROGRAM.explain()
