"""Declared periods of a periodic reward (issue 15): half-years, quarters, months and years
starting in a declared month, in the program's zone, issued on a declared day after the
period ends, only at or above the minimum; across DST changes and leap days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CreditIssued,
    InvalidProgram,
    MemberState,
    Money,
    PeriodicReward,
    PointScheme,
    Program,
    Purchase,
    Return,
    Rounding,
    StoreCredit,
)

BERLIN = ZoneInfo("Europe/Berlin")


def eur(value: str) -> Money:
    return Money(value, "EUR")


def program(**kw: Any) -> Program:
    args: dict[str, Any] = {"id": "bonus", "share": "10", "exclude_discounted": False, **kw}
    return Program(name="Periods", currency="EUR", timezone="Europe/Berlin",
                   points=PointScheme(),
                   credit=StoreCredit(periodic=PeriodicReward(**args)))


def buy(eid: str, amount: str, at: datetime) -> Purchase:
    return Purchase(id=eid, member_id="m-1", at=at, amount=eur(amount))


def run(p: Program, *events: Any) -> MemberState:
    state: MemberState | None = None
    for event in events:
        state = p.apply(state, event).state
    assert state is not None
    return state


def issued(p: Program, until: datetime, *events: Any) -> dict[str, tuple[Decimal, datetime]]:
    """Lot id -> (amount, issue time) of the rewards issued while ``events`` are applied
    and then up to ``until`` (a later event issues the rewards due before it)."""
    state: MemberState | None = None
    effects: list[Any] = []
    for event in events:
        decision = p.apply(state, event)
        state, effects = decision.state, effects + list(decision.effects)
    assert state is not None
    effects += p.advance(state, until).effects
    return {e.lot_id: (e.amount.amount, e.at) for e in effects if isinstance(e, CreditIssued)}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


class TestQuarters:
    def test_each_quarter_is_issued_days_after_it_ends(self) -> None:
        """2 % a quarter, 14 days after the quarter ends: Q1 on 15 April, Q2 on 15 July, at
        midnight in Berlin (the day after the quarter is day 1)."""
        p = program(period="quarter", share="2", issue_after_days=14)
        events = (buy("P-1", "100.00", berlin(2026, 3, 31, 23, 59)),
                  buy("P-2", "250.00", berlin(2026, 4, 1, 0, 1)))
        state = run(p, *events)
        assert state.credit is not None
        assert [s.period for s in state.credit.periods] == ["2026-01", "2026-04"]
        assert p.next_due(state) == berlin(2026, 4, 15)
        got = issued(p, berlin(2026, 12, 31), *events)
        assert got == {"bonus/2026-Q1": (Decimal("2.00"), berlin(2026, 4, 15)),
                       "bonus/2026-Q2": (Decimal("5.00"), berlin(2026, 7, 15))}

    def test_quarter_issued_when_it_ends_by_default(self) -> None:
        p = program(period="quarter")
        state = run(p, buy("P-1", "10.00", berlin(2026, 11, 5)))
        assert p.next_due(state) == berlin(2027, 1, 1)
        (effect,) = p.advance(state, berlin(2027, 1, 1)).effects
        assert isinstance(effect, CreditIssued)
        assert effect.reason == "10 % of your eligible 2026-Q4 spend of 10.00 EUR: 1.00 EUR " \
            "store credit"
        assert effect.render("de") == ("10 % Ihres berücksichtigten Umsatzes 2026-Q4 von "
                                       "10,00 EUR: 1,00 EUR Guthaben")

    def test_minimum_hit_exactly_per_quarter(self) -> None:
        """The minimum holds per period: 5.00 EUR in Q1 is paid, 4.99 EUR in Q2 is not, and
        the two are never added up."""
        p = program(period="quarter", minimum=eur("5.00"))
        got = issued(p, berlin(2027, 1, 1), buy("P-1", "50.00", berlin(2026, 2, 1)),
                     buy("P-2", "49.99", berlin(2026, 5, 1)))
        assert got == {"bonus/2026-Q1": (Decimal("5.00"), berlin(2026, 4, 1))}


class TestMonthsAndHalfYears:
    def test_months_across_the_dst_change(self) -> None:
        """March 2026 ends at 00:00 on 1 April in Berlin (22:00 UTC, summer time); October
        ends at 00:00 on 1 November (23:00 UTC, winter time again)."""
        p = program(period="month", issue_after_days=9)
        got = issued(p, berlin(2027, 1, 1),
                     buy("P-1", "30.00", berlin(2026, 3, 29, 2, 30)),  # the DST gap hour
                     buy("P-2", "40.00", berlin(2026, 10, 25, 2, 30)))
        assert got == {"bonus/2026-03": (Decimal("3.00"), berlin(2026, 4, 10)),
                       "bonus/2026-10": (Decimal("4.00"), berlin(2026, 11, 10))}
        assert berlin(2026, 4, 10).astimezone(UTC).hour == 22
        assert berlin(2026, 11, 10).astimezone(UTC).hour == 23

    def test_february_of_a_leap_year(self) -> None:
        """29 February 2028 counts in February; February's reward is issued on 1 March."""
        p = program(period="month")
        got = issued(p, berlin(2028, 4, 1), buy("P-1", "60.00", berlin(2028, 2, 29, 23, 59)),
                     buy("P-2", "70.00", berlin(2028, 3, 1, 0, 0)))
        assert got == {"bonus/2028-02": (Decimal("6.00"), berlin(2028, 3, 1)),
                       "bonus/2028-03": (Decimal("7.00"), berlin(2028, 4, 1))}

    def test_half_years(self) -> None:
        p = program(period="half_year", issue_after_days=31)
        got = issued(p, berlin(2027, 3, 1), buy("P-1", "100.00", berlin(2026, 6, 30, 23, 59)),
                     buy("P-2", "200.00", berlin(2026, 7, 1)))
        assert got == {"bonus/2026-H1": (Decimal("10.00"), berlin(2026, 8, 1)),
                       "bonus/2026-H2": (Decimal("20.00"), berlin(2027, 2, 1))}


class TestYearsFromAMonth:
    def test_a_fiscal_year_from_april(self) -> None:
        """A year from April to March: 31 March 2027 is 2026/27, 1 April 2027 is 2027/28;
        issued on the first 15 May after the year ends."""
        p = program(start_month=4, issue_on="05-15")
        events = (buy("P-1", "100.00", berlin(2026, 4, 1)),
                  buy("P-2", "200.00", berlin(2027, 3, 31, 23, 59)),
                  buy("P-3", "300.00", berlin(2027, 4, 1)))
        assert p.next_due(run(p, *events)) == berlin(2027, 5, 15)
        got = issued(p, berlin(2028, 12, 31), *events)
        assert got == {"bonus/2026/27": (Decimal("30.00"), berlin(2027, 5, 15)),
                       "bonus/2027/28": (Decimal("30.00"), berlin(2028, 5, 15))}

    def test_issue_on_the_day_the_year_ends(self) -> None:
        """issue_on on the first day after the year: issued right at its end, not a year on."""
        p = program(start_month=4, issue_on="04-01")
        state = run(p, buy("P-1", "100.00", berlin(2026, 6, 1)))
        assert p.next_due(state) == berlin(2027, 4, 1)

    def test_quarters_of_a_fiscal_year(self) -> None:
        p = program(period="quarter", start_month=2)
        got = issued(p, berlin(2026, 6, 1), buy("P-1", "10.00", berlin(2026, 1, 31, 12)),
                     buy("P-2", "10.00", berlin(2026, 2, 1, 12)))
        assert set(got) == {"bonus/2025/26-Q4", "bonus/2026/27-Q1"}
        assert got["bonus/2025/26-Q4"][1] == berlin(2026, 2, 1)
        assert got["bonus/2026/27-Q1"][1] == berlin(2026, 5, 1)

    def test_a_return_takes_off_from_its_purchase_s_period(self) -> None:
        p = program(period="quarter", issue_after_days=14)
        events = (buy("P-1", "100.00", berlin(2026, 3, 20)),
                  buy("P-2", "100.00", berlin(2026, 4, 2)),
                  Return(id="R-1", member_id="m-1", at=berlin(2026, 4, 3),
                         purchase_id="P-1", amount=eur("40.00")))
        state = run(p, *events)
        got = issued(p, berlin(2026, 8, 1), *events)
        assert got["bonus/2026-Q1"][0] == Decimal("6.00")
        assert got["bonus/2026-Q2"][0] == Decimal("10.00")
        # after Q1 is issued (15 April), a return of a Q1 purchase changes nothing
        settled = p.advance(state, berlin(2026, 4, 15)).state
        later = p.apply(settled, Return(id="R-2", member_id="m-1", at=berlin(2026, 4, 20),
                                        purchase_id="P-1", amount=eur("60.00"))).state
        assert later.credit == settled.credit


class TestDeclarations:
    @pytest.mark.parametrize(("kw", "match"), [
        ({"period": "quarter", "issue_on": "03-15"}, "issue_after_days"),
        ({"issue_on": "03-15", "issue_after_days": 3}, "give one of them"),
        ({"period": "month", "start_month": 4}, "calendar months"),
        ({"start_month": 13}, "start_month"),
        ({"issue_after_days": -1}, "issue_after_days"),
        ({"period": "week"}, "period"),
    ])
    def test_bad_declarations(self, kw: dict[str, Any], match: str) -> None:
        with pytest.raises(InvalidProgram, match=match):
            program(**kw)

    def test_round_trip_and_words(self) -> None:
        p = program(period="quarter", start_month=2, issue_after_days=14,
                    minimum=eur("1.00"))
        assert Program.model_validate_json(p.model_dump_json()) == p
        assert ("bonus: 10 % of each quarter's spend (years start in month 2), less returns"
                in p.explain())
        assert "14 days after the quarter ends" in p.explain()

    def test_terms_in_en_and_de(self) -> None:
        pytest.importorskip("babel")
        cases = [
            (program(period="quarter", issue_after_days=14),
             "Each calendar quarter, 10% of your eligible spend is paid to you as store credit "
             "14 days after it ends.",
             "Für jedes Kalenderquartal erhalten Sie 10 % Ihres berücksichtigten Umsatzes "
             "14 Tage nach dessen Ende als Guthaben."),
            (program(period="month", issue_after_days=1),
             "Each calendar month, 10% of your eligible spend is paid to you as store credit "
             "1 day after it ends.",
             "Für jeden Kalendermonat erhalten Sie 10 % Ihres berücksichtigten Umsatzes "
             "1 Tag nach dessen Ende als Guthaben."),
            (program(start_month=4, issue_on="05-15"),
             "Each year from April to March, 10% of your eligible spend is paid to you as "
             "store credit on the first May 15 after it ends.",
             "Für jedes Jahr von April bis März erhalten Sie 10 % Ihres berücksichtigten "
             "Umsatzes am ersten 15. Mai nach dessen Ende als Guthaben."),
            (program(period="half_year", start_month=2),
             "Each half-year (starting in February and August), 10% of your eligible spend "
             "is paid to you as store credit when it ends.",
             "Für jedes Halbjahr (Beginn: Februar und August) erhalten Sie 10 % Ihres "
             "berücksichtigten Umsatzes nach dessen Ende als Guthaben."),
        ]
        for p, en, de in cases:
            assert en in p.terms("en"), p.terms("en")
            assert de in p.terms("de"), p.terms("de")


# -- properties --------------------------------------------------------------------------

_DECLARED = st.sampled_from([
    {"period": "year"}, {"period": "year", "start_month": 4, "issue_on": "05-15"},
    {"period": "half_year", "issue_after_days": 31}, {"period": "quarter"},
    {"period": "quarter", "start_month": 2, "issue_after_days": 14},
    {"period": "month", "issue_after_days": 9},
])
_START = berlin(2027, 12, 1)  # DST changes in March and October, 29 February 2028 inside
_OPS = st.lists(st.tuples(st.integers(1, 30_000),            # cents
                          st.integers(0, 15 * 30 * 24 * 4),  # quarter-hours from the start
                          st.integers(0, 100)),              # per cent returned
                max_size=14)


def _expected(reward: PeriodicReward, ops: list[tuple[int, int, int]]) -> dict[str, Decimal]:
    """The declared share of each period's kept spend, by lot id, computed by hand: local
    wall-clock month arithmetic, no use of the library's period code."""
    spend: dict[tuple[int, int], Decimal] = {}
    for cents, quarters, back in ops:
        local = (_START + timedelta(minutes=15 * quarters)).astimezone(BERLIN)
        kept = Decimal(cents - cents * back // 100) / 100
        months = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}[reward.period]
        since = (local.year * 12 + local.month - 1) - (reward.start_month - 1)
        first = since - since % months + (reward.start_month - 1)
        key = (first // 12, first % 12 + 1)
        spend[key] = spend.get(key, Decimal(0)) + kept
    out: dict[str, Decimal] = {}
    for (year, month), total in spend.items():
        value = Rounding.DOWN.apply(total * reward.share / 100, Decimal("0.01"))
        if value > 0:
            out[f"{reward.id}/{reward.label(year * 12 + month - 1)}"] = value
    return out


def _events(ops: list[tuple[int, int, int]]) -> list[Any]:
    events: list[Any] = []
    for index, (cents, quarters, back) in enumerate(ops):
        at = _START + timedelta(minutes=15 * quarters)
        events.append(buy(f"P-{index:02d}", str(Decimal(cents) / 100), at))
        if cents * back // 100:
            events.append(Return(id=f"R-{index:02d}", member_id="m-1", at=at,
                                 purchase_id=f"P-{index:02d}",
                                 amount=eur(str(Decimal(cents * back // 100) / 100))))
    return sorted(events, key=lambda e: (e.at, e.id.startswith("R"), e.id))


@given(_DECLARED, _OPS)
def test_each_period_pays_the_declared_share_of_its_eligible_spend(
        declared: dict[str, Any], ops: list[tuple[int, int, int]]) -> None:
    """Per period: issued == share x (spend less returns), rounded down to the cent; each
    issued at the declared time after its period ends; replay == apply; state round-trips."""
    p = program(**declared)
    reward = p.credit.periodic  # type: ignore[union-attr]
    assert reward is not None
    # returns are at their purchase's time, so every period is settled after all its events
    events = _events(ops)
    state: MemberState | None = None
    effects: list[Any] = []
    for event in events:
        decision = p.apply(state, event)
        state, effects = decision.state, effects + list(decision.effects)
    if state is None:
        return
    end = berlin(2030, 1, 1)
    decision = p.advance(state, end)
    effects += decision.effects
    got = {e.lot_id: e.amount.amount for e in effects if isinstance(e, CreditIssued)}
    assert got == _expected(reward, ops)
    for effect in effects:
        if isinstance(effect, CreditIssued):
            local = effect.at.astimezone(BERLIN)
            assert (local.hour, local.minute) == (0, 0)
    assert decision.state.credit is not None
    assert decision.state.credit.issued == sum(got.values(), Decimal(0))
    assert decision.state.credit.periods == ()
    assert p.replay(events, until=end).states["m-1"] == decision.state
    assert MemberState.model_validate_json(decision.state.model_dump_json()) == decision.state


@given(_DECLARED, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                               timezones=st.just(UTC)))
def test_a_moment_lies_in_its_period(declared: dict[str, Any], at: datetime) -> None:
    """Every instant lies in exactly one period: from its start (inclusive) to its end
    (exclusive), the next period starting where it ends; the issue is at or after the end."""
    reward = PeriodicReward(id="r", share="1", **declared)
    period = reward.period_of(at, BERLIN)
    assert reward.starts(period, BERLIN) <= at < reward.ends(period, BERLIN)
    assert reward.period_of(reward.ends(period, BERLIN), BERLIN) == period + reward.months
    assert reward.issue_at(period, BERLIN) >= reward.ends(period, BERLIN)
    assert reward.issue_at(period, BERLIN) < reward.ends(period, BERLIN) + timedelta(days=367)
