"""A ``Return`` that gives the returned amount and its lines together: they must agree, or
the return is refused (``ReturnMismatch``, naming both) and nothing changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CurrencyMismatch,
    Line,
    MinSpend,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    RefusedEvent,
    Return,
    ReturnedLine,
    ReturnExceedsPurchase,
    ReturnMismatch,
    Tier,
    TierLadder,
    tier_progress,
)

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 1, 12, tzinfo=BERLIN)


def eur(amount: str | Decimal) -> Money:
    return Money(amount, "EUR")


PROGRAM = Program(
    name="Both", currency="EUR", timezone="Europe/Berlin",
    points=PointScheme(earn=[PointsPerAmount(id="base", per=eur("1.00"),
                                             exclude_categories=("gift_card",))]),
    tiers=TierLadder(tiers=(Tier(id="a", requires=MinSpend(amount=eur("1.00"))),),
                     exclude_categories=("gift_card",)))
LINES = [Line(sku="MUG", category="home", quantity=3, unit_price=eur("12.50")),
         Line(sku="GC", category="gift_card", quantity=1, unit_price=eur("20.00")),
         Line(sku="TEA", category="food", quantity=1, unit_price=eur("3.3333"))]


def bought() -> Any:
    return PROGRAM.apply(None, Purchase(id="A-1", member_id="m-1", at=AT, amount=eur("60.83"),
                                        lines=LINES)).state


def give_back(state: Any, rid: str, amount: str | None, *lines: tuple[str, int]) -> Any:
    return PROGRAM.apply(state, Return(
        id=rid, member_id="m-1", at=AT, purchase_id="A-1",
        amount=None if amount is None else eur(amount),
        lines=[ReturnedLine(sku=sku, quantity=q) for sku, q in lines]))


class TestAgreeing:
    def test_amount_and_lines_that_agree_act_as_the_lines(self) -> None:
        state = bought()
        both = give_back(state, "R-1", "25.00", ("MUG", 2))
        lines_only = give_back(state, "R-1", None, ("MUG", 2))
        # 40 points on 40.8333 EUR of counted lines; 25.00 EUR of them back: 24 points
        assert both.state.available_points == lines_only.state.available_points == 16
        assert [e.points for e in both.effects] == [e.points for e in lines_only.effects]
        assert both.state.purchases[0].returned == Decimal("25.00")
        assert both.state.purchases[0].lines[1].returned == 2  # MUG, sorted by sku

    def test_a_price_with_extra_places_agrees_rounded_half_up(self) -> None:
        state = give_back(bought(), "R-1", "3.33", ("TEA", 1)).state
        assert state.purchases[0].returned == Decimal("3.33")

    def test_an_excluded_line_returned_with_its_amount_keeps_points_and_spend(self) -> None:
        state = bought()
        decision = give_back(state, "R-1", "20.00", ("GC", 1))
        assert decision.state.available_points == state.available_points
        have = tier_progress(PROGRAM, decision.state, AT).metrics[0].current
        assert have == eur("40.8333")  # the counted lines at their exact prices


class TestDisagreeing:
    @pytest.mark.parametrize(("amount", "lines", "worth"), [
        ("25.01", [("MUG", 2)], "25.00"),
        ("3.34", [("TEA", 1)], "3.33"),
        ("20.00", [("MUG", 1), ("TEA", 1)], "15.83"),
    ])
    def test_refused_naming_both(self, amount: str, lines: list[tuple[str, int]],
                                 worth: str) -> None:
        state = bought()
        with pytest.raises(ReturnMismatch) as info:
            give_back(state, "R-1", amount, *lines)
        error = info.value
        assert isinstance(error, RefusedEvent)
        assert error.code == "return-mismatch"
        assert (error.amount, error.lines_amount, error.currency) == (amount, worth, "EUR")
        assert f"amount={amount} EUR" in error.message
        assert f"worth {worth} EUR" in error.message
        # nothing changed: the same return with agreeing data still goes through
        assert give_back(state, "R-1", worth, *lines).state.purchases[0].returned == \
            Decimal(worth)

    def test_other_refusals_come_first(self) -> None:
        state = bought()
        with pytest.raises(ReturnExceedsPurchase):
            give_back(state, "R-1", "50.00", ("MUG", 4))
        with pytest.raises(CurrencyMismatch):
            PROGRAM.apply(state, Return(id="R-2", member_id="m-1", at=AT, purchase_id="A-1",
                                        amount=Money("25.00", "USD"),
                                        lines=[ReturnedLine(sku="MUG", quantity=2)]))


@given(st.integers(0, 3), st.integers(0, 1), st.integers(0, 1), st.integers(-3, 3))
def test_accepted_exactly_when_the_amount_is_what_the_lines_are_worth(
        mugs: int, cards: int, teas: int, cents: int) -> None:
    chosen = [(sku, q) for sku, q in (("MUG", mugs), ("GC", cards), ("TEA", teas)) if q]
    if not chosen:
        return
    worth = (Decimal("12.50") * mugs + Decimal("20.00") * cards
             + Decimal("3.3333") * teas).quantize(Decimal("0.01"))
    amount = worth + Decimal(cents) / 100
    state = bought()
    if amount <= 0:
        return
    if cents:
        with pytest.raises(ReturnMismatch):
            give_back(state, "R-1", str(amount), *chosen)
        return
    both = give_back(state, "R-1", str(amount), *chosen)
    lines_only = give_back(state, "R-1", None, *chosen)
    assert both.state.available_points == lines_only.state.available_points
    assert both.state.purchases[0].returned == amount
