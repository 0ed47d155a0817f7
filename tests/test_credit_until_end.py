"""Store credit valid to the end of a calendar month or year (``StoreCredit.until_end_of``):
"valid one year, to the end of that year", in the program's zone, across DST and leap days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CreditExpired,
    CreditIssued,
    Custom,
    InsufficientCredit,
    InvalidProgram,
    MemberState,
    Program,
    StoreCredit,
)

BERLIN = ZoneInfo("Europe/Berlin")


def shop(years: int | None = 1, until_end_of: Any = "year") -> Program:
    return Program(name="Credit shop", currency="EUR", timezone="Europe/Berlin",
                   credit=StoreCredit(expires_after_years=years, until_end_of=until_end_of))


def issue(eid: str, amount: str, at: datetime) -> Custom:
    return Custom(id=eid, member_id="m-1", at=at, name="credit_issued",
                  payload={"amount": amount})


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def expiry(program: Program, at: datetime) -> datetime:
    (effect,) = program.apply(None, issue("C-1", "10.00", at)).effects
    assert isinstance(effect, CreditIssued)
    assert effect.expires_at is not None
    return effect.expires_at.astimezone(BERLIN)


class TestExamples:
    def test_to_the_end_of_the_year_the_years_end_in(self) -> None:
        """Issued on 15 March 2027, valid one year to the end of that year: it expires at the
        start of 1 January 2029, and the reason names 31 December 2028."""
        program = shop()
        assert expiry(program, berlin(2027, 3, 15)) == berlin(2029, 1, 1)
        (effect,) = program.apply(None, issue("C-1", "10.00", berlin(2027, 3, 15))).effects
        assert effect.reason == "10.00 EUR store credit from C-1, valid until 2028-12-31"

    def test_to_the_end_of_the_month(self) -> None:
        assert expiry(shop(2, "month"), berlin(2026, 5, 20, 15)) == berlin(2028, 6, 1)

    def test_a_leap_day(self) -> None:
        """29 February 2028 plus one year is 28 February 2029: valid to the end of February
        (month) or of 2029 (year)."""
        assert expiry(shop(1, "month"), berlin(2028, 2, 29, 12)) == berlin(2029, 3, 1)
        assert expiry(shop(1, "year"), berlin(2028, 2, 29, 12)) == berlin(2030, 1, 1)

    def test_the_year_boundary_is_in_the_program_s_zone(self) -> None:
        """00:30 on 1 January 2027 in Berlin is still 2026 in UTC: the credit is 2027's and
        lasts to the end of 2028, not of 2027."""
        at = berlin(2027, 1, 1, 0, 30)
        assert at.astimezone(UTC).year == 2026
        assert expiry(shop(), at) == berlin(2029, 1, 1)

    def test_month_end_across_the_dst_change(self) -> None:
        """The end of March is midnight local time, 22:00 UTC in summer time."""
        end = expiry(shop(1, "month"), berlin(2026, 3, 10))
        assert end == berlin(2027, 4, 1)
        assert end.astimezone(UTC).hour == 22

    def test_expires_then_and_not_a_second_earlier(self) -> None:
        program = shop()
        state = program.apply(None, issue("C-1", "10.00", berlin(2027, 3, 15))).state
        assert program.next_due(state) == berlin(2029, 1, 1)
        assert program.advance(state, berlin(2029, 1, 1) - timedelta(seconds=1)).effects == ()
        (gone,) = program.advance(state, berlin(2029, 1, 1)).effects
        assert isinstance(gone, CreditExpired)
        assert gone.amount.amount == Decimal("10.00")

    def test_needs_expires_after_years(self) -> None:
        with pytest.raises(InvalidProgram, match="expires_after_years"):
            shop(None, "year")
        with pytest.raises(InvalidProgram):
            shop(1, "week")

    def test_round_trip_and_words(self) -> None:
        program = shop(2, "month")
        assert Program.model_validate_json(program.model_dump_json()) == program
        assert "valid 2 years from issue, to the end of that calendar month" in \
            program.explain()

    def test_terms_in_en_and_de(self) -> None:
        pytest.importorskip("babel")
        assert ("Store credit is valid for one year from the day it is issued, to the end of "
                "that calendar year; what is left of it then expires.") in shop().terms("en")
        assert ("Guthaben ist ab dem Tag seiner Ausgabe 2 Jahre gültig, bis zum Ende des dann "
                "laufenden Monats; was dann davon übrig ist, verfällt.") in \
            shop(2, "month").terms("de")


_ISSUES = st.lists(st.tuples(st.integers(1, 10_000),            # cents
                             st.integers(0, 3 * 366 * 24 * 4),  # quarter-hours after the start
                             st.integers(0, 10_000)),           # cents spent right after
                   max_size=10)


@given(_ISSUES, st.sampled_from(["month", "year"]), st.sampled_from([1, 2]))
def test_valid_at_least_the_years_and_to_the_end_of_the_period(
        ops: list[tuple[int, int, int]], until: str, years: int) -> None:
    """Every lot expires at local midnight on the first day of a month (of January for
    "year"), no earlier than ``years`` after issue and less than a month (a year) later; the
    balance is conserved and never negative, as a hand-kept model of the lots says."""
    program = shop(years, until)
    start = berlin(2027, 1, 1)
    events: list[Custom] = []
    for index, (cents, quarters, spent) in enumerate(ops):
        at = start + timedelta(minutes=15 * quarters)
        events.append(issue(f"C-{index:02d}", str(Decimal(cents) / 100), at))
        if spent:
            events.append(Custom(id=f"S-{index:02d}", member_id="m-1", at=at,
                                 name="credit_spent",
                                 payload={"amount": str(Decimal(spent) / 100)}))
    events.sort(key=lambda e: (e.at, e.id))
    state: MemberState | None = None
    effects: list[Any] = []
    for event in events:
        try:
            decision = program.apply(state, event)
        except InsufficientCredit:
            continue
        state, effects = decision.state, effects + list(decision.effects)
    if state is None:
        return
    decision = program.advance(state, berlin(2040, 1, 1))
    effects += decision.effects
    for effect in effects:
        if isinstance(effect, CreditIssued):
            assert effect.expires_at is not None
            local = effect.expires_at.astimezone(BERLIN)
            issued = effect.at.astimezone(BERLIN)
            assert (local.day, local.hour, local.minute) == (1, 0, 0)
            if until == "year":
                assert local.month == 1
            floor = issued + relativedelta(years=years)
            span = relativedelta(months=1) if until == "month" else relativedelta(years=1)
            assert floor <= local < floor + span
    credit = decision.state.credit
    assert credit is not None
    assert credit.balance == 0
    assert credit.issued == credit.spent + credit.expired
    expired = sum((e.amount.amount for e in effects if isinstance(e, CreditExpired)),
                  Decimal(0))
    assert expired == credit.expired
