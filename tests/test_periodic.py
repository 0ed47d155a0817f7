"""Periodic rewards (``PeriodicReward``, issue 15): a member dividend, a declared share of a
year's eligible spend, issued as store credit on a declared day after the year ends, only at
or above a minimum; time-driven through ``advance`` and ``next_due``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CreditIssued,
    Custom,
    InvalidProgram,
    InvalidState,
    Line,
    MemberState,
    Money,
    PeriodicReward,
    PointScheme,
    Program,
    Purchase,
    Return,
    ReturnedLine,
    Rounding,
    StoreCredit,
    program_json_schema,
)

BERLIN = ZoneInfo("Europe/Berlin")
ISSUE_2026 = datetime(2027, 3, 15, tzinfo=BERLIN)


def eur(value: str) -> Money:
    return Money(value, "EUR")


def coop(years: int | None = None, **kw: Any) -> Program:
    """A cooperative's dividend: 10 % of eligible spend, paid on 15 March, at least 5 EUR."""
    args: dict[str, Any] = {"id": "dividend", "share": "10", "issue_on": "03-15",
                            "exclude_categories": ("gift-cards",), "minimum": eur("5.00"), **kw}
    return Program(name="Coop", currency="EUR", timezone="Europe/Berlin", points=PointScheme(),
                   credit=StoreCredit(expires_after_years=years,
                                      periodic=PeriodicReward(**args)))


def buy(eid: str, amount: str, at: datetime, *lines: Line) -> Purchase:
    return Purchase(id=eid, member_id="m-1", at=at, amount=eur(amount), lines=lines)


def line(sku: str, price: str, category: str | None = None, **metadata: Any) -> Line:
    return Line(sku=sku, category=category, quantity=1, unit_price=eur(price),
                metadata=metadata)


def run(program: Program, *events: Any) -> MemberState:
    state: MemberState | None = None
    for event in events:
        state = program.apply(state, event).state
    assert state is not None
    return state


def settle(program: Program, state: MemberState, until: datetime = ISSUE_2026
           ) -> tuple[MemberState, list[CreditIssued]]:
    decision = program.advance(state, until)
    return decision.state, [e for e in decision.effects if isinstance(e, CreditIssued)]


def spend_of(state: MemberState) -> dict[str, Decimal]:
    """Eligible spend by open period, each named by its first month ("2026-01")."""
    assert state.credit is not None
    return {p.period: p.eligible for p in state.credit.periods}


class TestExamples:
    def test_issued_on_the_day_with_its_reason(self) -> None:
        """412.00 EUR eligible in 2026: 41.20 EUR credit at midnight of 15 March 2027 in
        Berlin, due from next_due, with the reason in en and de."""
        program = coop()
        state = run(program, buy("P-1", "412.00", datetime(2026, 5, 1, 10, tzinfo=BERLIN)))
        assert program.next_due(state) == ISSUE_2026.astimezone(UTC)
        early, none = settle(program, state, ISSUE_2026 - timedelta(microseconds=1))
        assert none == []
        state, (effect,) = settle(program, early)
        assert effect.amount == eur("41.20")
        assert effect.at == ISSUE_2026
        assert effect.lot_id == "dividend/2026"
        assert effect.rule_id == "dividend"
        assert effect.event_id is None
        assert effect.reason == ("10 % of your eligible 2026 spend of 412.00 EUR: 41.20 EUR "
                                 "store credit")
        assert effect.render("de") == ("10 % Ihres berücksichtigten Umsatzes 2026 von "
                                       "412,00 EUR: 41,20 EUR Guthaben")
        assert state.credit is not None
        assert state.credit.balance == Decimal("41.20")
        assert state.credit.periods == ()
        assert state.credit.orders == ()
        assert program.next_due(state) is None
        again, nothing = settle(program, state, datetime(2030, 1, 1, tzinfo=UTC))
        assert nothing == []
        assert again.credit == state.credit

    def test_the_year_boundary_is_in_the_program_s_zone(self) -> None:
        """23:30 on 31 December in Berlin is 2026; 00:30 on 1 January in Berlin is 2027,
        although it is still 2026 in UTC."""
        late = datetime(2026, 12, 31, 23, 30, tzinfo=BERLIN)
        new = datetime(2027, 1, 1, 0, 30, tzinfo=BERLIN)
        assert new.astimezone(UTC).year == 2026
        program = coop()
        state = run(program, buy("P-1", "100.00", late), buy("P-2", "70.00", new))
        assert spend_of(state) == {"2026-01": Decimal("100.00"), "2027-01": Decimal("70.00")}
        state, (effect,) = settle(program, state)
        assert effect.amount == eur("10.00")
        assert spend_of(state) == {"2027-01": Decimal("70.00")}
        assert program.next_due(state) == datetime(2028, 3, 15, tzinfo=BERLIN)

    def test_minimum_exactly_hit_is_issued_just_below_is_not(self) -> None:
        program = coop()
        at = datetime(2026, 6, 1, tzinfo=BERLIN)
        _, (effect,) = settle(program, run(program, buy("P-1", "50.00", at)))
        assert effect.amount == eur("5.00")
        state, effects = settle(program, run(program, buy("P-1", "49.99", at)))
        assert effects == []  # 4.999 rounds down to 4.99, below 5.00
        assert state.credit is not None
        assert state.credit.issued == 0
        assert state.credit.periods == ()
        assert state.credit.closed_through == "2026-01"

    def test_rounding_is_declared(self) -> None:
        at = datetime(2026, 6, 1, tzinfo=BERLIN)
        for mode, expected in ((Rounding.DOWN, "5.55"), (Rounding.HALF_UP, "5.56"),
                               (Rounding.UP, "5.56")):
            program = coop(rounding=mode)
            _, (effect,) = settle(program, run(program, buy("P-1", "55.55", at)))
            assert effect.amount == eur(expected)

    def test_excluded_categories_and_discounted_lines_are_left_out(self) -> None:
        program = coop()
        state = run(program, buy("P-1", "180.00", datetime(2026, 6, 1, tzinfo=BERLIN),
                                 line("A", "100.00", "food"), line("G", "50.00", "gift-cards"),
                                 line("D", "30.00", "food", discounted=True)))
        assert spend_of(state) == {"2026-01": Decimal("100.00")}
        program = coop(exclude_discounted=False)
        state = run(program, buy("P-1", "180.00", datetime(2026, 6, 1, tzinfo=BERLIN),
                                 line("A", "100.00"), line("D", "30.00", discounted=True),
                                 line("E", "50.00", discounted="yes")))
        assert spend_of(state) == {"2026-01": Decimal("180.00")}

    def test_a_return_before_the_issue_day_reduces_the_spend(self) -> None:
        program = coop()
        at = datetime(2026, 11, 1, tzinfo=BERLIN)
        state = run(program, buy("P-1", "412.00", at),
                    Return(id="R-1", member_id="m-1", at=datetime(2027, 1, 10, tzinfo=BERLIN),
                           purchase_id="P-1", amount=eur("112.00")))
        assert spend_of(state) == {"2026-01": Decimal("300.00")}
        state, (effect,) = settle(program, state)
        assert effect.amount == eur("30.00")
        assert effect.reason.startswith("10 % of your eligible 2026 spend of 300.00 EUR")

    def test_a_return_after_the_issue_day_changes_nothing(self) -> None:
        program = coop()
        state, _ = settle(program, run(program, buy("P-1", "412.00",
                                                    datetime(2026, 11, 1, tzinfo=BERLIN))))
        decision = program.apply(state, Return(
            id="R-1", member_id="m-1", at=ISSUE_2026 + timedelta(days=1), purchase_id="P-1",
            amount=eur("412.00")))
        assert decision.state.credit is not None
        assert decision.state.credit.balance == Decimal("41.20")
        assert not [e for e in decision.effects if isinstance(e, CreditIssued)]

    def test_returned_lines_take_off_only_what_was_eligible(self) -> None:
        program = coop()
        at = datetime(2026, 6, 1, tzinfo=BERLIN)
        bought = buy("P-1", "150.00", at, line("A", "100.00"), line("G", "50.00", "gift-cards"))

        def back(*skus: str) -> Return:
            return Return(id=f"R-{''.join(skus)}", member_id="m-1", at=at + timedelta(days=1),
                          purchase_id="P-1",
                          lines=tuple(ReturnedLine(sku=s, quantity=1) for s in skus))
        assert spend_of(run(program, bought, back("G"))) == {"2026-01": Decimal("100.00")}
        assert spend_of(run(program, bought, back("A"))) == {"2026-01": Decimal("0.00")}
        # an amount only: the eligible share of it (100 of 150), to the cent
        amount = Return(id="R-X", member_id="m-1", at=at + timedelta(days=1),
                        purchase_id="P-1", amount=eur("30.00"))
        assert spend_of(run(program, bought, amount)) == {"2026-01": Decimal("80.00")}

    def test_leap_year(self) -> None:
        """29 February 2028 counts in 2028, issued on 15 March 2029."""
        program = coop()
        state = run(program, buy("P-1", "60.00", datetime(2028, 2, 29, 23, 59, tzinfo=BERLIN)))
        assert spend_of(state) == {"2028-01": Decimal("60.00")}
        assert program.next_due(state) == datetime(2029, 3, 15, tzinfo=BERLIN)
        _, (effect,) = settle(program, state, datetime(2029, 3, 15, tzinfo=BERLIN))
        assert effect.amount == eur("6.00")
        with pytest.raises(InvalidProgram, match="02-29"):
            coop(issue_on="02-29")

    def test_a_late_purchase_of_a_settled_year_does_not_count(self) -> None:
        program = coop()
        state, _ = settle(program, run(program, buy("P-1", "100.00",
                                                    datetime(2026, 6, 1, tzinfo=BERLIN))))
        state = program.apply(state, buy("P-2", "100.00",
                                         datetime(2026, 12, 1, tzinfo=BERLIN))).state
        assert spend_of(state) == {}
        assert program.next_due(state) is None

    def test_dividend_credit_expires_like_other_credit_and_can_be_spent(self) -> None:
        program = coop(years=2)
        state, (effect,) = settle(program, run(program, buy(
            "P-1", "100.00", datetime(2026, 6, 1, tzinfo=BERLIN))))
        assert effect.expires_at == datetime(2029, 3, 15, tzinfo=BERLIN)
        state = program.apply(state, Custom(id="S-1", member_id="m-1", at=ISSUE_2026,
                                            name="credit_spent",
                                            payload={"amount": "4.00"})).state
        assert state.credit is not None
        assert state.credit.balance == Decimal("6.00")
        assert program.next_due(state) == datetime(2029, 3, 15, tzinfo=BERLIN)

    def test_idempotent_by_event_id(self) -> None:
        program = coop()
        event = buy("P-1", "100.00", datetime(2026, 6, 1, tzinfo=BERLIN))
        state = run(program, event)
        again = program.apply(state, event)
        assert again.state == state
        assert spend_of(again.state) == {"2026-01": Decimal("100.00")}

    def test_round_trips_and_bad_declarations(self) -> None:
        program = coop(years=3)
        assert Program.model_validate_json(program.model_dump_json()) == program
        state = run(program, buy("P-1", "150.00", datetime(2026, 6, 1, tzinfo=BERLIN),
                                 line("A", "100.00"), line("G", "50.00", "gift-cards")))
        assert MemberState.model_validate_json(state.model_dump_json()) == state
        assert "dividend: 10 % of each year's spend" in program.explain()
        for bad in ({"issue_on": "3-15"}, {"issue_on": "13-01"}, {"share": "0"},
                    {"share": "101"}, {"share": 10.0}, {"minimum": eur("-1.00")}):
            with pytest.raises(InvalidProgram):
                coop(**bad)
        with pytest.raises(InvalidProgram, match="give the minimum in EUR"):
            coop(minimum=Money("5.00", "USD"))

    @pytest.mark.parametrize(("change", "match"), [
        (lambda d: d["orders"][0].update(left="120.00"), "orders"),
        (lambda d: d["orders"][0].update(period="2025-01"), "orders"),
        (lambda d: d.update(closed_through="2026-01"), "closed_through"),
        (lambda d: d.update(periods=d["periods"] * 2), "periods"),
    ])
    def test_broken_periods_are_refused_on_load(self, change: Any, match: str) -> None:
        program = coop()
        state = run(program, buy("P-1", "100.00", datetime(2026, 6, 1, tzinfo=BERLIN)))
        data = json.loads(state.model_dump_json())
        MemberState.model_validate(data)
        change(data["credit"])
        with pytest.raises(InvalidState, match=match):
            MemberState.model_validate(data)

    def test_effect_program_and_schema_round_trip(self) -> None:
        jsonschema = pytest.importorskip("jsonschema")
        program = coop(years=3)
        _, (effect,) = settle(program, run(program, buy(
            "P-1", "100.00", datetime(2026, 6, 1, tzinfo=BERLIN))))
        assert CreditIssued.model_validate_json(effect.model_dump_json()) == effect
        data = program.model_dump(mode="json")
        assert Program.model_validate(data) == program
        assert data["credit"]["periodic"]["share"] == "10"
        jsonschema.validate(data, program_json_schema())

    def test_terms_in_en_and_de(self) -> None:
        pytest.importorskip("babel")
        program = coop()
        assert ("Each calendar year, 10% of your eligible spend is paid to you as store "
                "credit on March 15 of the following year. Purchases in “gift-cards” are not "
                "eligible. Discounted items are not eligible.") in program.terms("en")
        assert "It is paid only if it comes to at least 5.00 EUR." in program.terms("en")
        de = program.terms("de")
        assert "Für jedes Kalenderjahr erhalten Sie 10 % Ihres berücksichtigten Umsatzes " \
            "am 15. März des Folgejahres als Guthaben." in de
        assert "mindestens 5,00 EUR" in de


# -- properties --------------------------------------------------------------------------

_PURCHASES = st.lists(
    st.tuples(st.integers(1, 50_000), st.integers(0, 729 * 24),  # cents, hours into 2026
              st.sampled_from(["food", "gift-cards"]), st.booleans(),  # category, discounted
              st.integers(0, 100)),  # per cent of the purchase returned (0: none)
    max_size=12)


def _stream(ops: list[tuple[int, int, str, bool, int]]) -> list[Any]:
    start = datetime(2026, 1, 1, tzinfo=BERLIN)
    events: list[Any] = []
    for index, (cents, hours, category, discounted, back) in enumerate(ops):
        at = start + timedelta(hours=hours)
        amount = str(Decimal(cents) / 100)
        events.append(buy(f"P-{index:02d}", amount, at,
                          line(f"S-{index}", amount, category, discounted=discounted)))
        if back:
            returned = (Decimal(cents) * back / 100).quantize(Decimal(1), ROUND_DOWN) / 100
            if returned:
                events.append(Return(id=f"R-{index:02d}", member_id="m-1",
                                     at=at + timedelta(hours=1), purchase_id=f"P-{index:02d}",
                                     amount=eur(str(returned))))
    return sorted(events, key=lambda e: (e.at, e.id))


@given(_PURCHASES, st.sampled_from(["10", "3.5", "0.7"]),
       st.sampled_from([Rounding.DOWN, Rounding.HALF_EVEN]))
def test_issued_is_the_declared_share_of_eligible_spend(
        ops: list[tuple[int, int, str, bool, int]], share: str, rounding: Rounding) -> None:
    """Per year: issued == share x (eligible spend less eligible returns), rounded as
    declared to the cent; nothing below the minimum; replay == apply."""
    program = coop(share=share, rounding=rounding)
    events = _stream(ops)
    expected: dict[int, Decimal] = {}
    for cents, hours, category, discounted, back in ops:
        year = (datetime(2026, 1, 1, tzinfo=BERLIN) + timedelta(hours=hours)).year
        if category == "gift-cards" or discounted:
            continue
        kept = Decimal(cents) - (Decimal(cents) * back / 100).quantize(Decimal(1), ROUND_DOWN)
        expected[year] = expected.get(year, Decimal(0)) + kept / 100
    state: MemberState | None = None
    effects: list[Any] = []
    for event in events:  # a purchase on an issue day issues the year before it
        decision = program.apply(state, event)
        state, effects = decision.state, effects + list(decision.effects)
    if state is None:
        return
    end = datetime(2029, 3, 16, tzinfo=UTC)
    decision = program.advance(state, end)
    effects += decision.effects
    issued = {e.lot_id: e.amount.amount for e in effects if isinstance(e, CreditIssued)}
    for year, eligible in expected.items():
        value = rounding.apply(eligible * Decimal(share) / 100, Decimal("0.01"))
        if value >= Decimal("5.00"):
            assert issued.pop(f"dividend/{year}") == value
    assert issued == {}
    assert all(e.amount.amount >= Decimal("5.00") for e in effects
               if isinstance(e, CreditIssued))
    replay = program.replay(events, until=end)
    assert replay.states["m-1"] == decision.state
    assert MemberState.model_validate_json(decision.state.model_dump_json()) == decision.state


@given(_PURCHASES)
def test_advance_in_steps_equals_one_advance(ops: list[tuple[int, int, str, bool, int]]) -> None:
    """Advancing to each next_due in turn ends where one advance does (replay == apply)."""
    program = coop()
    state: MemberState | None = None
    for event in _stream(ops):
        state = program.apply(state, event).state
    if state is None:
        return
    end = datetime(2029, 3, 16, tzinfo=UTC)
    once = program.advance(state, end).state
    stepped = state
    while (due := program.next_due(stepped)) is not None and due <= end:
        stepped = program.advance(stepped, due).state
    stepped = program.advance(stepped, end).state
    assert stepped.model_copy(update={"revision": once.revision}) == once  # one per advance
