"""The two worked examples: EU air passenger rights (Regulation (EC) 261/2004) and rail
passenger rights (Regulation (EU) 2021/782 as German operators apply it), against the edge
cases of the published rules, and the property that a fact no rule reads changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _load import load_example
from reciprocity import (
    Complaint,
    Fact,
    GoodwillDeclined,
    GoodwillGranted,
    Money,
    Program,
)

CET = timezone(timedelta(hours=1))
DEPARTURE = datetime(2026, 6, 1, 8, tzinfo=CET)


AIR = load_example("eu261_air_passengers").program()
RAIL = load_example("rail_passenger_rights").program()


def iso(when: datetime) -> str:
    return when.isoformat()


def decide(program: Program, category: str, cid: str = "C-1", state: Any = None,
           **metadata: Any) -> Any:
    event = Complaint(id=cid, member_id="p-1", at=DEPARTURE + timedelta(days=1),
                      category=category, metadata=metadata)
    decision = program.apply(state, event)
    (effect,) = [e for e in decision.effects if isinstance(e, GoodwillGranted | GoodwillDeclined)]
    return effect, decision


def paid(effect: Any) -> Money | None:
    return effect.value if isinstance(effect, GoodwillGranted) else None


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


# ------------------------------------------------------------------------------------------
# EU 261/2004
# ------------------------------------------------------------------------------------------


def flight(km: int, *, intra_eu: bool = False, flight_hours: float = 2, **more: Any
           ) -> dict[str, Any]:
    arrival = DEPARTURE + timedelta(hours=flight_hours)
    return {"passenger_id": "P-1", "flight": "XY123/2026-06-01", "distance_km": km,
            "intra_eu": intra_eu, "scheduled_departure": iso(DEPARTURE),
            "scheduled_arrival": iso(arrival), **more}


def delayed(km: int, minutes: int, **more: Any) -> Money | None:
    facts = flight(km, **more)
    arrival = datetime.fromisoformat(facts["scheduled_arrival"]) + timedelta(minutes=minutes)
    facts["actual_arrival"] = arrival.astimezone(UTC).isoformat()
    return paid(decide(AIR, "flight_delayed", **facts)[0])


class TestAirDelay:
    """Delays: three hours or more at arrival (Sturgeon), Article 7(1) bands, 7(2)(c)."""

    @pytest.mark.parametrize(("minutes", "value"), [(179, None), (180, "250.00"),
                                                    (600, "250.00")])
    def test_three_hour_threshold(self, minutes: int, value: str | None) -> None:
        """Exactly three hours late is compensated; a minute less is not."""
        assert delayed(1200, minutes) == (None if value is None else eur(value))

    @pytest.mark.parametrize(("km", "value"), [(1500, "250.00"), (1501, "400.00"),
                                               (3500, "400.00"), (3501, "600.00")])
    def test_distance_bands_at_their_thresholds(self, km: int, value: str) -> None:
        """1,500 km or less: 250; up to 3,500: 400; beyond: 600 (four hours late)."""
        assert delayed(km, 245) == eur(value)

    def test_intra_community_flights_stop_at_400(self) -> None:
        """An intra-Community flight over 1,500 km gets 400, however far."""
        assert delayed(4000, 300, intra_eu=True) == eur("400.00")
        assert delayed(1400, 300, intra_eu=True) == eur("250.00")

    @pytest.mark.parametrize(("minutes", "value"), [(180, "300.00"), (239, "300.00"),
                                                    (240, "600.00")])
    def test_long_haul_delay_reduction(self, minutes: int, value: str) -> None:
        """Over 3,500 km, three to four hours late: halved (Article 7(2)(c))."""
        assert delayed(6000, minutes, flight_hours=8) == eur(value)

    def test_extraordinary_circumstances(self) -> None:
        """Article 5(3): no compensation; the reason quotes the rule."""
        assert delayed(1200, 300, extraordinary=True) is None
        assert delayed(1200, 300, extraordinary=False) == eur("250.00")

    def test_elapsed_time_across_offsets(self) -> None:
        """Scheduled in CET, actual in UTC: the delay is the exact difference."""
        assert delayed(800, 180) == eur("250.00")


def cancelled(km: int, notice: timedelta, earlier_h: float | None = None,
              later_h: float | None = None, **more: Any) -> Money | None:
    facts = flight(km, informed_at=iso(DEPARTURE - notice), **more)
    arrival = datetime.fromisoformat(facts["scheduled_arrival"])
    if earlier_h is not None:
        facts["rerouted_departure"] = iso(DEPARTURE - timedelta(hours=earlier_h))
    if later_h is not None:
        facts["rerouted_arrival"] = iso(arrival + timedelta(hours=later_h))
    return paid(decide(AIR, "flight_cancelled", **facts)[0])


class TestAirCancellation:
    """Article 5(1)(c) notice windows and Article 7(2) re-routing reductions."""

    def test_two_weeks_notice(self) -> None:
        """Informed 14 days before: nothing; 13 days 23 hours without re-routing: paid."""
        assert cancelled(1200, timedelta(days=14)) is None
        assert cancelled(1200, timedelta(days=14) - timedelta(hours=1)) == eur("250.00")

    @pytest.mark.parametrize(("earlier", "later", "value"), [
        (2, 3.99, None),        # within (ii): no compensation
        (2, 4, "400.00"),       # arriving 4 hours late is not "less than four hours"
        (2.5, 1, "200.00"),     # left too early: compensated, halved (arrived within 3 h)
    ])
    def test_seven_to_fourteen_days(self, earlier: float, later: float,
                                    value: str | None) -> None:
        """Informed 10 days before, 2,000 km: the re-routing window of (ii)."""
        got = cancelled(2000, timedelta(days=10), earlier, later)
        assert got == (None if value is None else eur(value))

    @pytest.mark.parametrize(("earlier", "later", "value"), [
        (1, 1.99, None), (1, 2, "125.00"), (1, 2.01, "250.00"), (1.5, 1, "125.00"),
    ])
    def test_less_than_seven_days(self, earlier: float, later: float, value: str | None) -> None:
        """Informed 3 days before, 1,000 km: window (iii), then the 7(2)(a) halving."""
        got = cancelled(1000, timedelta(days=3), earlier, later)
        assert got == (None if value is None else eur(value))

    def test_informed_at_the_gate(self) -> None:
        """Informed at departure, no re-routing: full compensation."""
        assert cancelled(5000, timedelta(0)) == eur("600.00")


class TestAirDeniedBoardingAndDuplicates:
    """Article 4(3), and one claim per passenger and flight."""

    def test_denied_boarding(self) -> None:
        """Compensated at once, unless refused for cause; re-routing halves it."""
        base = flight(2000)
        assert paid(decide(AIR, "denied_boarding", **base)[0]) == eur("400.00")
        assert paid(decide(AIR, "denied_boarding", refused_for_cause=True, **base)[0]) is None
        late = iso(datetime.fromisoformat(base["scheduled_arrival"]) + timedelta(hours=3))
        assert paid(decide(AIR, "denied_boarding", rerouted_arrival=late, **base)[0]) == \
            eur("200.00")

    def test_one_claim_per_passenger_and_flight(self) -> None:
        """A second claim for the same flight is a duplicate, whatever its category."""
        facts = flight(1200, informed_at=iso(DEPARTURE))
        first, decision = decide(AIR, "flight_cancelled", **facts)
        assert paid(first) == eur("250.00")
        second, _ = decide(AIR, "denied_boarding", cid="C-2", state=decision.state, **facts)
        assert isinstance(second, GoodwillDeclined)
        assert "with the same passenger id and flight" in second.reason

    def test_program_saves_and_loads(self) -> None:
        """The whole regulation is data: JSON and back, equal, with no check findings (the
        terms state its own complaint categories and fact conditions in words)."""
        assert Program.model_validate_json(AIR.model_dump_json()) == AIR
        assert AIR.check() == []


# ------------------------------------------------------------------------------------------
# Rail passenger rights
# ------------------------------------------------------------------------------------------


def journey(minutes: int, fare: str = "40.00", ticket: str = "single", **more: Any) -> Any:
    scheduled = DEPARTURE + timedelta(hours=3)
    actual = (scheduled + timedelta(minutes=minutes)).astimezone(timezone(timedelta(hours=2)))
    return decide(RAIL, "train_delayed", passenger_id="P-1", journey="ICE 599/2026-06-01",
                  ticket=ticket, fare=f"{fare} EUR", scheduled_arrival=iso(scheduled),
                  actual_arrival=iso(actual), **more)[0]


class TestRail:
    """Article 19: 25 % from 60 minutes, 50 % from 120, half a return, 4 EUR minimum."""

    @pytest.mark.parametrize(("minutes", "value"), [
        (59, None), (60, "10.00"), (119, "10.00"), (120, "20.00"), (300, "20.00")])
    def test_bands_at_the_threshold(self, minutes: int, value: str | None) -> None:
        """At exactly 60 and 120 minutes the higher share applies."""
        assert paid(journey(minutes)) == (None if value is None else eur(value))

    def test_return_ticket_uses_half_the_price(self) -> None:
        """A 40 EUR return ticket, 120 minutes late: 50 % of 20 EUR."""
        effect = journey(120, ticket="return")
        assert paid(effect) == eur("10.00")
        assert "half the price of a return ticket" in effect.reason

    @pytest.mark.parametrize(("fare", "ticket", "value"), [
        ("15.96", "single", None),      # 3.99: below the minimum
        ("16.00", "single", "4.00"),    # exactly 4 EUR is paid
        ("30.00", "return", None),      # 25 % of 15 EUR = 3.75
        ("32.00", "return", "4.00"),
    ])
    def test_minimum_payout(self, fare: str, ticket: str, value: str | None) -> None:
        """Nothing is paid below 4 EUR; the decline says so."""
        effect = journey(60, fare=fare, ticket=ticket)
        assert paid(effect) == (None if value is None else eur(value))
        if value is None:
            assert "below the minimum payout of 4.00 EUR" in effect.reason

    def test_extraordinary_circumstances(self) -> None:
        """Article 19(10): no compensation."""
        assert paid(journey(180, extraordinary=True)) is None

    def season(self, minutes: list[int], fare: str = "49.00", travel_class: int = 2) -> Any:
        return decide(RAIL, "train_delayed", passenger_id="P-1", journey="2026-06",
                      ticket="season", fare=f"{fare} EUR", travel_class=travel_class,
                      delays=[{"delay_minutes": m} for m in minutes])[0]

    def test_season_ticket_delays_add_up(self) -> None:
        """1.50 EUR per delay of 60 minutes or more; shorter ones do not count."""
        assert paid(self.season([60, 75, 59, 130])) == eur("4.50")
        assert paid(self.season([60, 75, 59, 130], travel_class=1)) == eur("6.75")

    def test_season_ticket_minimum_and_cap(self) -> None:
        """Two delays (3.00 EUR) are not paid; twenty are capped at 25 % of the ticket."""
        assert paid(self.season([61, 62])) is None
        capped = self.season([90] * 20)
        assert paid(capped) == eur("12.25")
        assert "at most 25 % of the base 49.00 EUR" in capped.reason

    def test_program_saves_and_loads(self) -> None:
        """The rules are data: JSON and back, equal, with no check findings (the terms state
        the own category, the fact conditions and the band tables in words)."""
        assert Program.model_validate_json(RAIL.model_dump_json()) == RAIL
        assert RAIL.check() == []


# ------------------------------------------------------------------------------------------
# A fact no rule reads never changes a decision
# ------------------------------------------------------------------------------------------

UNREAD = AIR.model_copy(update={"facts": (*AIR.facts, Fact(name="seat", type="str"))})
UNREAD = Program.model_validate(UNREAD.model_dump())
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=5)


@settings(max_examples=60, deadline=None)
@given(km=st.integers(100, 9000), minutes=st.integers(0, 400), intra=st.booleans(),
       category=st.sampled_from(["flight_delayed", "flight_cancelled", "denied_boarding"]),
       notice=st.integers(0, 20), extra_name=st.from_regex(r"x_[a-z]{1,8}", fullmatch=True),
       extra=JSON, seat=st.text(min_size=1, max_size=4))
def test_an_unread_fact_never_changes_a_decision(km: int, minutes: int, intra: bool,
                                                 category: str, notice: int, extra_name: str,
                                                 extra: Any, seat: str) -> None:
    """Adding a fact nobody declared, or a declared one no rule reads, changes nothing."""
    facts = flight(km, intra_eu=intra, informed_at=iso(DEPARTURE - timedelta(days=notice)))
    facts["actual_arrival"] = iso(datetime.fromisoformat(facts["scheduled_arrival"])
                                  + timedelta(minutes=minutes))
    plain, _ = decide(UNREAD, category, **facts)
    more, _ = decide(UNREAD, category, **facts, **{extra_name: extra, "seat": seat})
    assert type(more) is type(plain)
    assert more.reason == plain.reason
    assert paid(more) == paid(plain)
