"""The REI Co-op-like worked example (docs/examples/rei_member_reward.py) against the edge
cases of its published terms: 10 % of the year's eligible full-price purchases, the year
boundary in Pacific time, discounted lines and excluded categories, returns before and after
the issue day, the issue day just after the DST change, a leap day, the share rounded down to
the cent, and the reward spent in part and expiring at the end of the year after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_example
from reciprocity import (
    CreditExpired,
    CreditIssued,
    Custom,
    InsufficientCredit,
    Line,
    MemberState,
    Money,
    Program,
    Purchase,
    Return,
    ReturnedLine,
)

REI = load_example("rei_member_reward")
PROGRAM: Program = REI.PROGRAM
PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific(*args: int) -> datetime:
    return datetime(*args, tzinfo=PACIFIC)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def line(sku: str, price: str, category: str | None = None, discounted: bool = False) -> Line:
    return Line(sku=sku, category=category, quantity=1, unit_price=usd(price),
                metadata={"discounted": discounted})


def buy(state: MemberState | None, oid: str, at: datetime, *lines: Line) -> Any:
    total = sum((ln.unit_price.amount for ln in lines), Decimal(0))
    return PROGRAM.apply(state, Purchase(id=oid, member_id="rei-1", at=at, amount=usd(str(total)),
                                         lines=lines))


def reward_of(state: MemberState, until: datetime) -> tuple[list[CreditIssued], MemberState]:
    decision = PROGRAM.advance(state, until)
    return [e for e in decision.effects if isinstance(e, CreditIssued)], decision.state


class TestEligibleSpend:
    def test_ten_percent_of_full_price_lines_only(self) -> None:
        """A $400 tent, a $60 jacket on sale, a $50 gift card, tax and shipping: the reward
        is 10 % of the tent, $40.00."""
        state = buy(None, "P-1", pacific(2026, 6, 1, 10), line("tent", "400.00"),
                    line("jacket", "60.00", discounted=True),
                    line("card", "50.00", "gift_card"), line("tax", "41.40", "tax"),
                    line("ship", "8.95", "shipping")).state
        (reward,), _ = reward_of(state, pacific(2027, 3, 15))
        assert reward.amount == usd("40.00")
        assert reward.lot_id == "member-reward/2026"
        assert reward.reason == ("10 % of your eligible 2026 spend of 400.00 USD: 40.00 USD "
                                 "store credit")

    @pytest.mark.parametrize(("spent", "reward"), [
        ("123.45", "12.34"), ("0.10", "0.01"), ("0.09", None)])
    def test_rounded_down_to_the_cent(self, spent: str, reward: str | None) -> None:
        state = buy(None, "P-1", pacific(2026, 6, 1), line("socks", spent)).state
        issued, after = reward_of(state, pacific(2027, 3, 15))
        assert [e.amount for e in issued] == ([] if reward is None else [usd(reward)])
        assert after.credit is not None
        assert after.credit.closed_through == "2026-01"

    def test_new_year_s_eve_in_seattle_counts_in_the_old_year(self) -> None:
        late = pacific(2026, 12, 31, 23, 30)
        assert late.astimezone(UTC).year == 2027
        state = buy(None, "P-1", late, line("boots", "200.00")).state
        state = buy(state, "P-2", pacific(2027, 1, 1, 0, 30), line("poles", "100.00")).state
        assert state.credit is not None
        assert [(p.period, p.eligible) for p in state.credit.periods] == [
            ("2026-01", Decimal("200.00")), ("2027-01", Decimal("100.00"))]

    def test_a_leap_day_purchase(self) -> None:
        """29 February 2028 counts in 2028; its reward comes on 15 March 2029."""
        state = buy(None, "P-1", pacific(2028, 2, 29, 18), line("pack", "180.00")).state
        assert PROGRAM.next_due(state) == pacific(2029, 3, 15)
        (reward,), _ = reward_of(state, pacific(2029, 3, 15))
        assert reward.amount == usd("18.00")


class TestIssueDay:
    def test_issued_at_midnight_pacific_just_after_the_dst_change(self) -> None:
        """Clocks go forward on 14 March 2027, so midnight of 15 March is 07:00 UTC (not
        08:00); one microsecond earlier nothing is issued."""
        state = buy(None, "P-1", pacific(2026, 6, 1), line("tent", "400.00")).state
        due = PROGRAM.next_due(state)
        assert due == pacific(2027, 3, 15)
        assert due is not None
        assert due.astimezone(UTC).hour == 7
        early, _ = reward_of(state, due - timedelta(microseconds=1))
        assert early == []

    def test_a_return_before_the_issue_day_takes_off_its_eligible_part(self) -> None:
        state = buy(None, "P-1", pacific(2026, 11, 20), line("tent", "400.00"),
                    line("card", "50.00", "gift_card")).state
        state = PROGRAM.apply(state, Return(
            id="R-1", member_id="rei-1", at=pacific(2027, 1, 5), purchase_id="P-1",
            lines=(ReturnedLine(sku="tent", quantity=1),))).state
        issued, _ = reward_of(state, pacific(2027, 3, 15))
        assert issued == []  # nothing eligible is left

    def test_a_return_after_the_issue_day_changes_nothing(self) -> None:
        state = buy(None, "P-1", pacific(2026, 11, 20), line("tent", "400.00")).state
        _, state = reward_of(state, pacific(2027, 3, 15))
        after = PROGRAM.apply(state, Return(
            id="R-1", member_id="rei-1", at=pacific(2027, 3, 20), purchase_id="P-1",
            lines=(ReturnedLine(sku="tent", quantity=1),))).state
        assert after.credit is not None
        assert after.credit.balance == Decimal("40.00")


class TestTheRewardAsCredit:
    def spend(self, state: MemberState, eid: str, amount: str, at: datetime) -> Any:
        return PROGRAM.apply(state, Custom(id=eid, member_id="rei-1", at=at, name=REI.SPEND,
                                           payload={"amount": amount}))

    def test_spent_in_part_and_the_rest_expires_at_the_end_of_the_next_year(self) -> None:
        """The reward of 15 March 2027 is valid to the end of 2028: it expires at midnight
        Pacific time on 1 January 2029 (08:00 UTC, winter time)."""
        state = buy(None, "P-1", pacific(2026, 6, 1), line("tent", "400.00")).state
        _, state = reward_of(state, pacific(2027, 3, 15))
        state = self.spend(state, "S-1", "25.00", pacific(2027, 4, 1)).state
        assert state.credit is not None
        assert state.credit.balance == Decimal("15.00")
        with pytest.raises(InsufficientCredit):
            self.spend(state, "S-2", "15.01", pacific(2027, 4, 2))
        due = PROGRAM.next_due(state)
        assert due == pacific(2029, 1, 1)
        assert due is not None
        assert due.astimezone(UTC).hour == 8
        assert PROGRAM.advance(state, due - timedelta(seconds=1)).effects == ()
        decision = PROGRAM.advance(state, due)
        (expired,) = [e for e in decision.effects if isinstance(e, CreditExpired)]
        assert expired.amount == usd("15.00")
        assert decision.state.credit is not None
        c = decision.state.credit
        assert (c.issued, c.spent, c.expired, c.balance) == (
            Decimal("40.00"), Decimal("25.00"), Decimal("15.00"), Decimal("0"))

    def test_two_years_of_rewards_are_spent_oldest_first(self) -> None:
        state = buy(None, "P-1", pacific(2026, 6, 1), line("tent", "400.00")).state
        state = buy(state, "P-2", pacific(2027, 6, 1), line("kayak", "900.00")).state
        _, state = reward_of(state, pacific(2028, 3, 15))
        decision = self.spend(state, "S-1", "50.00", pacific(2028, 4, 1))
        (spent,) = decision.effects
        assert [(lot, str(amount)) for lot, amount in spent.taken] == [  # type: ignore[attr-defined]
            ("member-reward/2026", "40.00 USD"), ("member-reward/2027", "10.00 USD")]
