"""Store credit (``StoreCredit``, issue 15): a money balance issued and spent by custom events,
spent oldest first, expiring N years after issue, never negative."""

from __future__ import annotations

import json
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
    CreditSpent,
    CurrencyMismatch,
    Custom,
    InsufficientCredit,
    InvalidEvent,
    InvalidProgram,
    InvalidState,
    MemberState,
    Money,
    Program,
    RefusedEvent,
    StoreCredit,
    program_json_schema,
)

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 1, 12, tzinfo=BERLIN)


def shop(years: int | None = 3, **kw: Any) -> Program:
    return Program(name="Credit shop", currency="EUR", timezone="Europe/Berlin",
                   credit=StoreCredit(expires_after_years=years, **kw))


def issue(eid: str, amount: Any, at: datetime = AT, **payload: Any) -> Custom:
    return Custom(id=eid, member_id="m-1", at=at, name="credit_issued",
                  payload={"amount": amount, **payload})


def spend(eid: str, amount: Any, at: datetime = AT) -> Custom:
    return Custom(id=eid, member_id="m-1", at=at, name="credit_spent",
                  payload={"amount": amount})


def run(program: Program, *events: Custom) -> MemberState:
    state: MemberState | None = None
    for event in events:
        state = program.apply(state, event).state
    assert state is not None
    return state


def balance(state: MemberState) -> Decimal:
    return Decimal(0) if state.credit is None else state.credit.balance


class TestIssueAndSpend:
    def test_issue_creates_a_lot_with_its_expiry(self) -> None:
        """Issued credit is a lot of the issuing event, valid 3 years, with its reason."""
        decision = shop().apply(None, issue("C-1", "25.00"))
        (effect,) = decision.effects
        assert isinstance(effect, CreditIssued)
        assert effect.amount == Money("25.00", "EUR")
        assert effect.expires_at == datetime(2029, 3, 1, 12, tzinfo=BERLIN)
        assert effect.reason == "25.00 EUR store credit from C-1, valid until 2029-03-01"
        assert effect.render("de") == "25,00 EUR Guthaben aus C-1, gültig bis zum 01.03.2029"
        assert decision.state.credit is not None
        assert decision.state.credit.lots[0].id == "C-1"
        assert balance(decision.state) == Decimal("25.00")

    def test_an_integer_amount_is_read_in_the_currency_s_minor_unit(self) -> None:
        """``{"amount": 25}`` is 25.00 EUR."""
        (effect,) = shop().apply(None, issue("C-1", 25)).effects
        assert str(effect.amount) == "25.00 EUR"  # type: ignore[union-attr]

    def test_a_spend_takes_the_oldest_credit_first(self) -> None:
        """30.00 out of lots of 25.00 and 10.00 empties the first and leaves 5.00 of the second."""
        program = shop()
        state = run(program, issue("C-1", "25.00"), issue("C-2", "10.00", AT + timedelta(1)))
        decision = program.apply(state, spend("S-1", "30.00", AT + timedelta(2)))
        (spent,) = decision.effects
        assert isinstance(spent, CreditSpent)
        assert spent.taken == (("C-1", Money("25.00", "EUR")), ("C-2", Money("5.00", "EUR")))
        assert spent.balance == Money("5.00", "EUR")
        assert spent.reason == ("30.00 EUR store credit spent (S-1), oldest credit first; "
                                "5.00 EUR left")
        assert decision.state.credit is not None
        assert [(lot.id, lot.remaining) for lot in decision.state.credit.lots] == [
            ("C-2", Decimal("5.00"))]

    def test_spending_the_whole_balance_is_allowed(self) -> None:
        """A spend equal to the balance leaves 0.00 and no lots."""
        state = run(shop(), issue("C-1", "12.34"), spend("S-1", "12.34"))
        assert state.credit is not None
        assert (state.credit.lots, balance(state)) == ((), Decimal(0))

    def test_other_custom_events_do_not_touch_credit(self) -> None:
        """A custom event of another name is no credit event."""
        decision = shop().apply(None, Custom(id="X-1", member_id="m-1", at=AT, name="review"))
        assert decision.effects == ()
        assert decision.state.credit is None

    def test_the_event_names_are_declared(self) -> None:
        """A program may name its own events and payload key."""
        program = shop(issue_event="refund_as_credit", spend_event="paid_with_credit",
                       amount_field="value")
        state = run(program, Custom(id="R-1", member_id="m-1", at=AT, name="refund_as_credit",
                                    payload={"value": "7.50"}),
                    Custom(id="P-1", member_id="m-1", at=AT, name="paid_with_credit",
                           payload={"value": "2.50"}))
        assert balance(state) == Decimal("5.00")


class TestRefusals:
    def test_spending_more_than_the_balance_is_refused_and_changes_nothing(self) -> None:
        """The refusal names balance and amount; the state passed in is all there is."""
        program = shop()
        state = run(program, issue("C-1", "10.00"))
        before = state.model_dump_json()
        with pytest.raises(InsufficientCredit) as caught:
            program.apply(state, spend("S-1", "10.01"))
        assert isinstance(caught.value, RefusedEvent)
        assert (caught.value.balance, caught.value.amount) == (Decimal("10.00"), Decimal("10.01"))
        assert caught.value.code == "insufficient-credit"
        assert "10.00 EUR" in str(caught.value)
        assert "10.01 EUR" in str(caught.value)
        assert state.model_dump_json() == before
        assert not state.has_applied("S-1")

    def test_spending_without_any_credit_is_refused(self) -> None:
        """A member with no credit at all has a balance of 0."""
        with pytest.raises(InsufficientCredit) as caught:
            shop().apply(None, spend("S-1", "0.01"))
        assert caught.value.balance == Decimal(0)

    @pytest.mark.parametrize(("payload", "error"), [
        ({}, InvalidEvent),
        ({"amount": 12.5}, InvalidEvent),
        ({"amount": "-1.00"}, InvalidEvent),
        ({"amount": "0"}, InvalidEvent),
        ({"amount": "1.001"}, InvalidEvent),
        ({"amount": "ten"}, InvalidEvent),
        ({"amount": True}, InvalidEvent),
        ({"amount": "1.00", "currency": "USD"}, CurrencyMismatch),
    ])
    def test_a_bad_amount_is_refused(self, payload: dict[str, Any], error: type) -> None:
        """Missing, float, not above 0, finer than a cent, not a number, other currency."""
        event = Custom(id="C-1", member_id="m-1", at=AT, name="credit_issued", payload=payload)
        with pytest.raises(error) as caught:
            shop().apply(None, event)
        assert "payload.amount" in str(caught.value)

    def test_the_two_events_need_two_names(self) -> None:
        """One name for issue and spend is an invalid program naming the fix."""
        with pytest.raises(InvalidProgram, match="spend_event"):
            StoreCredit(issue_event="credit", spend_event="credit")

    @pytest.mark.parametrize("years", [0, -1, 101])
    def test_expiry_years_are_bounded(self, years: int) -> None:
        """``expires_after_years`` is 1 to 100, or None."""
        with pytest.raises(InvalidProgram):
            StoreCredit(expires_after_years=years)


class TestExpiry:
    def test_credit_expires_three_years_after_issue(self) -> None:
        """What is left of a lot expires at its expiry, with the lot and issue day named."""
        program = shop()
        state = run(program, issue("C-1", "25.00"), spend("S-1", "5.00"))
        decision = program.advance(state, datetime(2029, 3, 1, 12, tzinfo=BERLIN))
        (expired,) = decision.effects
        assert isinstance(expired, CreditExpired)
        assert (expired.amount, expired.lot_id) == (Money("20.00", "EUR"), "C-1")
        assert expired.reason == ("20.00 EUR store credit from C-1 (issued on 2026-03-01) "
                                  "expired unspent")
        assert expired.render("de") == ("20,00 EUR Guthaben aus C-1 (ausgegeben am 01.03.2026) "
                                        "ist ungenutzt verfallen")
        assert decision.state.credit is not None
        assert decision.state.credit.expired == Decimal("20.00")
        assert balance(decision.state) == 0

    def test_nothing_expires_a_second_early(self) -> None:
        """One second before the expiry the credit is still there."""
        program = shop()
        state = run(program, issue("C-1", "25.00"))
        late = program.advance(state, datetime(2029, 3, 1, 11, 59, 59, tzinfo=BERLIN))
        assert late.effects == ()
        assert balance(late.state) == Decimal("25.00")

    def test_a_spend_at_the_expiry_instant_is_refused(self) -> None:
        """Expiry fires before the event at the same instant: the credit is gone."""
        program = shop()
        state = run(program, issue("C-1", "25.00"))
        with pytest.raises(InsufficientCredit) as caught:
            program.apply(state, spend("S-1", "1.00", datetime(2029, 3, 1, 12, tzinfo=BERLIN)))
        assert caught.value.balance == Decimal(0)

    def test_leap_day_credit_expires_on_28_february(self) -> None:
        """Issued on 29 February 2028 (Berlin), it expires on 28 February 2031, local time."""
        at = datetime(2028, 2, 29, 10, tzinfo=BERLIN)
        (effect,) = shop().apply(None, issue("C-1", "5.00", at)).effects
        assert effect.expires_at == datetime(2031, 2, 28, 10, tzinfo=BERLIN)  # type: ignore[union-attr]

    def test_year_end_in_the_program_zone(self) -> None:
        """Issued at 00:30 on 1 January in Berlin (still 31 December in UTC), it is valid
        until 1 January three years later, Berlin time."""
        at = datetime(2026, 1, 1, 0, 30, tzinfo=BERLIN)
        (effect,) = shop().apply(None, issue("C-1", "5.00", at)).effects
        assert effect.reason.endswith("valid until 2029-01-01")  # type: ignore[union-attr]

    def test_credit_without_expiry_never_expires(self) -> None:
        """``expires_after_years=None``: nothing is due, ever."""
        program = shop(None)
        state = run(program, issue("C-1", "25.00"))
        assert program.next_due(state) is None
        assert program.advance(state, datetime(2999, 1, 1, tzinfo=UTC)).effects == ()

    def test_next_due_is_the_oldest_expiry(self) -> None:
        """A backend's scheduler sees the credit's expiry."""
        program = shop(1)
        state = run(program, issue("C-1", "1.00"), issue("C-2", "1.00", AT + timedelta(days=3)))
        assert program.next_due(state) == datetime(2027, 3, 1, 12, tzinfo=BERLIN)


class TestSavedState:
    def test_round_trip_is_exact(self) -> None:
        """A state with credit lots reads back equal, checked and trusted."""
        program = shop()
        state = run(program, issue("C-1", "25.00"), issue("C-2", "0.10"), spend("S-1", "3.33"))
        text = state.model_dump_json()
        assert MemberState.model_validate_json(text) == state
        assert MemberState.load_trusted(text) == state
        again = program.apply(MemberState.model_validate_json(text), spend("S-2", "21.77"))
        assert balance(again.state) == 0

    def test_a_broken_balance_is_refused_on_load(self) -> None:
        """Credit that does not add up (issued != spent + expired + balance) is invalid."""
        data = json.loads(run(shop(), issue("C-1", "25.00")).model_dump_json())
        data["credit"]["issued"] = "30.00"
        with pytest.raises(InvalidState, match="issued"):
            MemberState.model_validate(data)

    def test_a_lot_with_more_left_than_issued_is_refused(self) -> None:
        """``remaining`` above ``amount`` is invalid."""
        data = json.loads(run(shop(), issue("C-1", "25.00")).model_dump_json())
        data["credit"]["lots"][0]["remaining"] = "26.00"
        data["credit"]["issued"] = "26.00"
        with pytest.raises(InvalidState, match="remaining"):
            MemberState.model_validate(data)

    def test_effects_round_trip(self) -> None:
        """Each credit effect reads back from its JSON with its reason's arguments."""
        program = shop()
        state = run(program, issue("C-1", "25.00"))
        effects = [*program.apply(state, spend("S-1", "5.00")).effects,
                   *program.advance(state, datetime(2030, 1, 1, tzinfo=UTC)).effects]
        for effect in effects:
            assert type(effect).model_validate_json(effect.model_dump_json()) == effect

    def test_program_round_trip_and_schema(self) -> None:
        """The program saves and loads with its credit; the JSON Schema accepts it."""
        jsonschema = pytest.importorskip("jsonschema")
        program = shop(5)
        data = program.model_dump(mode="json")
        assert Program.model_validate(data) == program
        assert data["credit"]["expires_after_years"] == 5
        jsonschema.validate(data, program_json_schema())


class TestTerms:
    def test_terms_state_the_credit_validity_in_english_and_german(self) -> None:
        """The terms say how long credit is valid and that it is used oldest first."""
        pytest.importorskip("babel")
        program = shop()
        english = program.terms()
        assert "Store credit is valid for 3 years from the day it is issued" in english
        assert "oldest credit first" in english
        german = program.terms("de")
        assert "Guthaben ist ab dem Tag seiner Ausgabe 3 Jahre gültig" in german
        assert "Guthaben verfällt nicht." in shop(None).terms("de")
        assert "valid for one year" in shop(1).terms()

    def test_explain_names_the_credit(self) -> None:
        """``explain`` says where credit comes from and how long it lasts."""
        assert "Store credit: store credit from custom event credit_issued" in shop().explain()


# -- properties ---------------------------------------------------------------------------

_OPS = st.lists(st.tuples(st.sampled_from(["issue", "spend", "spend"]),
                          st.integers(1, 5_000), st.integers(0, 400 * 24)),
                max_size=14)


def _events(ops: list[tuple[str, int, int]]) -> list[Custom]:
    """Events at increasing times (``hours`` apart), amounts in cents."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for index, (kind, cents, hours) in enumerate(ops):
        at += timedelta(hours=hours)
        make = issue if kind == "issue" else spend
        events.append(make(f"E-{index:03d}", str(Decimal(cents) / 100), at))
    return events


def _apply_all(program: Program, events: list[Custom]
               ) -> tuple[MemberState | None, list[Any], int]:
    state: MemberState | None = None
    effects: list[Any] = []
    refusals: list[tuple[Decimal, Decimal]] = []
    for event in events:
        try:
            decision = program.apply(state, event)
        except InsufficientCredit as error:
            refusals.append((error.amount, error.balance))
            continue
        state = decision.state
        effects += decision.effects
        assert balance(state) >= 0
    assert all(amount > left >= 0 for amount, left in refusals)
    return state, effects, len(refusals)


@given(_OPS, st.sampled_from([1, 2, None]))
def test_balance_never_negative_and_conserved(ops: list[tuple[str, int, int]],
                                              years: int | None) -> None:
    """Issued = spent + expired + balance, in the state and in the effects; never negative;
    the balance is what a simple model of oldest-first lots says."""
    program = shop(years)
    state, effects, _ = _apply_all(program, _events(ops))
    if state is None or state.credit is None:
        return
    credit = state.credit
    assert credit.issued == credit.spent + credit.expired + credit.balance
    assert all(lot.remaining > 0 for lot in credit.lots)
    issued = sum((e.amount.amount for e in effects if isinstance(e, CreditIssued)), Decimal(0))
    spent = sum((e.amount.amount for e in effects if isinstance(e, CreditSpent)), Decimal(0))
    expired = sum((e.amount.amount for e in effects if isinstance(e, CreditExpired)), Decimal(0))
    assert (issued, spent, expired) == (credit.issued, credit.spent, credit.expired)
    for effect in effects:
        if isinstance(effect, CreditSpent):
            assert sum((m.amount for _, m in effect.taken), Decimal(0)) == effect.amount.amount


@given(_OPS)
def test_matches_a_reference_model(ops: list[tuple[str, int, int]]) -> None:
    """Oldest first and expiry, checked against lots kept by hand."""
    program = shop(1)
    lots: list[list[Any]] = []  # [expires_at, remaining]
    state: MemberState | None = None
    for event in _events(ops):
        lots = [lot for lot in lots if lot[0] > event.at]
        amount = Decimal(str(event.payload["amount"]))
        if event.name == "credit_issued":
            lots.append([(event.at.astimezone(BERLIN) + relativedelta(years=1)).astimezone(UTC),
                         amount])
        elif amount > sum(lot[1] for lot in lots):
            with pytest.raises(InsufficientCredit):
                program.apply(state, event)
            continue
        else:
            for lot in lots:
                part = min(amount, lot[1])
                lot[1] -= part
                amount -= part
            lots = [lot for lot in lots if lot[1]]
        state = program.apply(state, event).state
        assert state.credit is not None
        assert [lot.remaining for lot in state.credit.lots] == [lot[1] for lot in lots]


@given(_OPS)
def test_idempotent_and_replay_equals_apply(ops: list[tuple[str, int, int]]) -> None:
    """Re-applying an event changes nothing; a replay of the stream (refusals skipped) ends
    in the state that applying the events one by one does; the state round-trips."""
    program = shop(1)
    events = _events(ops)
    state, _, refused = _apply_all(program, events)
    if state is None:
        return
    for event in events:
        if state.has_applied(event.id):
            again = program.apply(state, event)
            assert again.state == state
            assert again.effects == ()
    replay = program.replay(events, errors="skip")
    assert replay.states["m-1"] == state
    assert len(replay.rejected) == refused
    assert MemberState.model_validate_json(state.model_dump_json()) == state
