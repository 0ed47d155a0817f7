"""The Sephora Beauty Insider-like worked example (docs/examples/sephora_beauty_insider.py)
against the edge cases of its published terms: thresholds hit exactly, the purchase that
crosses a tier, the year boundary in Pacific time, gift cards, tax and shipping left out of
points and tiers, and the review two years on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_example
from reciprocity import (
    Line,
    Money,
    PointsEarned,
    Program,
    Purchase,
    Return,
    TierChanged,
    tier_progress,
)

PACIFIC = ZoneInfo("America/Los_Angeles")


PROGRAM: Program = load_example("sephora_beauty_insider").PROGRAM


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def pacific(*args: int) -> datetime:
    return datetime(*args, tzinfo=PACIFIC)


def order(state: Any, oid: str, when: datetime, beauty: str, *, gift_card: str = "0.00",
          tax: str = "0.00", shipping: str = "0.00") -> Any:
    lines = [Line(sku=f"{oid}-B", category="skincare", quantity=1, unit_price=usd(beauty))]
    for sku, category, price in (("GC", "gift_card", gift_card), ("TAX", "tax", tax),
                                 ("SHIP", "shipping", shipping)):
        if Money(price, "USD").amount:
            lines.append(Line(sku=f"{oid}-{sku}", category=category, quantity=1,
                              unit_price=usd(price)))
    total = sum((line.unit_price.amount * line.quantity for line in lines), start=usd("0").amount)
    return PROGRAM.apply(state, Purchase(id=oid, member_id="bi-1", at=when,
                                         amount=Money(total, "USD"), lines=lines))


def tier_of(state: Any) -> str | None:
    return None if state.tier is None else state.tier.tier_id


def changes(decision: Any) -> list[tuple[str, str | None]]:
    return [(e.change, e.to_tier) for e in decision.effects if isinstance(e, TierChanged)]


class TestTiers:
    def test_vib_at_exactly_350(self) -> None:
        first = order(None, "S-1", pacific(2026, 3, 1, 10), "349.99")
        assert tier_of(first.state) == "insider"
        crossing = order(first.state, "S-2", pacific(2026, 3, 2, 10), "0.01")
        assert changes(crossing) == [("upgrade", "vib")]

    def test_gift_cards_tax_and_shipping_do_not_lift_a_tier(self) -> None:
        decision = order(None, "S-1", pacific(2026, 3, 1, 10), "300.00", gift_card="500.00",
                         tax="26.25", shipping="5.95")
        assert tier_of(decision.state) == "insider"
        progress = tier_progress(PROGRAM, decision.state, pacific(2026, 3, 1, 11))
        assert progress.missing[0][0].missing == usd("50.00")

    def test_the_purchase_that_crosses_two_tiers(self) -> None:
        first = order(None, "S-1", pacific(2026, 3, 1, 10), "200.00")
        jump = order(first.state, "S-2", pacific(2026, 4, 1, 10), "800.00")
        assert changes(jump) == [("upgrade", "rouge")]

    def test_new_years_eve_in_san_francisco_counts_for_the_old_year(self) -> None:
        eve = pacific(2026, 12, 31, 22)  # 1 January 2027, 06:00 UTC
        assert eve.astimezone(UTC).year == 2027
        state = order(None, "S-1", pacific(2026, 6, 1, 10), "300.00").state
        decision = order(state, "S-2", eve, "50.00")
        (change,) = [e for e in decision.effects if isinstance(e, TierChanged)]
        assert change.to_tier == "vib"
        assert change.valid_until == pacific(2028, 1, 1)
        assert "in 2026" in change.reason

    def test_status_lasts_the_next_year_then_drops_at_the_review(self) -> None:
        state = order(None, "S-1", pacific(2026, 2, 1, 10), "400.00").state
        state = order(state, "S-2", pacific(2027, 5, 1, 10), "20.00").state
        assert tier_of(PROGRAM.advance(state, pacific(2027, 12, 31, 23)).state) == "vib"
        review = PROGRAM.advance(state, pacific(2028, 1, 1, 0))
        assert changes(review) == [("downgrade", "insider")]

    def test_a_return_does_not_drop_the_tier_before_the_review(self) -> None:
        state = order(None, "S-1", pacific(2026, 2, 1, 10), "400.00").state
        back = PROGRAM.apply(state, Return(id="R-1", member_id="bi-1", at=pacific(2026, 2, 9),
                                           purchase_id="S-1"))
        assert tier_of(back.state) == "vib"
        review = PROGRAM.advance(back.state, pacific(2028, 1, 1, 0))
        assert ("downgrade", "insider") in changes(review)


class TestPoints:
    @pytest.mark.parametrize(("beauty", "points"), [("24.99", 24), ("1.00", 1), ("350.00", 350)])
    def test_one_point_per_dollar_rounded_down(self, beauty: str, points: int) -> None:
        decision = order(None, "S-1", pacific(2026, 3, 1, 10), beauty, tax="9.99",
                         shipping="5.95", gift_card="25.00")
        earned = [e.points for e in decision.effects if isinstance(e, PointsEarned)]
        assert earned == [points]

    def test_500_points_buy_10_dollars(self) -> None:
        from reciprocity import Redemption

        state = order(None, "S-1", pacific(2026, 3, 1, 10), "500.00").state
        decision = PROGRAM.apply(state, Redemption(id="R-1", member_id="bi-1",
                                                   at=pacific(2026, 3, 2), reward_id="cash-10"))
        assert decision.state.available_points == 0
        (voucher,) = decision.state.vouchers
        assert voucher.value == usd("10.00")
