"""The Starbucks Rewards-like worked example (docs/examples/starbucks_rewards.py) against the
edge cases of its published terms: Stars per dollar at the tier's rate, rounded once; Gold at
exactly 500 and Reserve at exactly 2,500 Stars in 12 months; the purchase that crosses a tier;
status that lapses after 12 months; rewards that are items; expiry six months after the
month earned, in Pacific time (the year boundary, a leap day); and Gold and Reserve Stars that
never expire, until the tier lapses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from _load import load_example
from reciprocity import (
    InsufficientPoints,
    Line,
    MemberState,
    Money,
    PointsEarned,
    PointsExpired,
    Program,
    Purchase,
    Redemption,
    TierChanged,
    VoucherIssued,
)

STARBUCKS = load_example("starbucks_rewards")
PROGRAM: Program = STARBUCKS.PROGRAM
PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific(*args: int) -> datetime:
    return datetime(*args, tzinfo=PACIFIC)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def buy(state: MemberState | None, oid: str, amount: str, at: datetime,
        lines: tuple[Line, ...] = ()) -> Any:
    return PROGRAM.apply(state, Purchase(id=oid, member_id="sb-1", at=at, amount=usd(amount),
                                         lines=lines))


def stars(decision: Any) -> int:
    return sum(e.points for e in decision.effects if isinstance(e, PointsEarned))


def tier_of(state: MemberState) -> str | None:
    return None if state.tier is None else state.tier.tier_id


def changes(decision: Any) -> list[tuple[str, str | None]]:
    return [(e.change, e.to_tier) for e in decision.effects if isinstance(e, TierChanged)]


def member_at(total: str) -> MemberState:
    """A member who earned ``total`` Stars (at Green's rate) on 1 April 2026."""
    return buy(None, "S-0", total, pacific(2026, 4, 1, 9)).state


class TestEarning:
    def test_green_earns_one_star_per_dollar_rounded_down_once(self) -> None:
        assert stars(buy(None, "S-1", "4.95", pacific(2026, 4, 1, 9))) == 4
        assert stars(buy(None, "S-1", "0.99", pacific(2026, 4, 1, 9))) == 0

    def test_gold_earns_1_2_on_the_exact_amount(self) -> None:
        """$4.95 at Gold is 5.94 Stars, 5 after rounding once (not 4 x 1.2 = 4)."""
        gold = member_at("500.00")
        assert tier_of(gold) == "gold"
        assert stars(buy(gold, "S-1", "4.95", pacific(2026, 4, 2, 9))) == 5

    def test_reserve_earns_1_7(self) -> None:
        reserve = member_at("2500.00")
        assert tier_of(reserve) == "reserve"
        assert stars(buy(reserve, "S-1", "10.00", pacific(2026, 4, 2, 9))) == 17

    def test_alcohol_tax_and_tips_earn_nothing(self) -> None:
        lines = (Line(sku="latte", quantity=1, unit_price=usd("5.75")),
                 Line(sku="wine", category="alcohol", quantity=1, unit_price=usd("12.00")),
                 Line(sku="tax", category="tax", quantity=1, unit_price=usd("1.70")),
                 Line(sku="tip", category="tip", quantity=1, unit_price=usd("2.00")))
        assert stars(buy(None, "S-1", "21.45", pacific(2026, 4, 1, 9), lines)) == 5


class TestTiers:
    def test_gold_at_exactly_500_stars(self) -> None:
        assert tier_of(member_at("499.99")) == "green"
        assert tier_of(member_at("500.00")) == "gold"

    def test_the_purchase_that_crosses_500_earns_at_green_s_rate(self) -> None:
        """At 495 Stars, $10 earns 10 Stars (Green) and reaches Gold; the next $10 earns 12."""
        state = member_at("495.00")
        crossing = buy(state, "S-1", "10.00", pacific(2026, 4, 2, 9))
        assert stars(crossing) == 10
        assert changes(crossing) == [("upgrade", "gold")]
        assert stars(buy(crossing.state, "S-2", "10.00", pacific(2026, 4, 3, 9))) == 12

    def test_reserve_at_exactly_2500_stars_in_12_months(self) -> None:
        """Gold's 1.2 counts towards Reserve: 2,000 Stars, then $416.66 at Gold is 499 more
        (2,499, Gold); one more dollar, 1 Star more, is 2,500: Reserve."""
        state = member_at("2000.00")
        state = buy(state, "S-1", "416.66", pacific(2026, 5, 1, 9)).state
        assert (state.available_points, tier_of(state)) == (2_499, "gold")
        crossing = buy(state, "S-2", "1.00", pacific(2026, 5, 2, 9))
        assert changes(crossing) == [("upgrade", "reserve")]

    def test_stars_older_than_12_months_do_not_qualify(self) -> None:
        """300 Stars in March 2026 and 250 in April 2027: never 500 in 12 months."""
        state = buy(None, "S-1", "300.00", pacific(2026, 3, 1, 9)).state
        later = buy(state, "S-2", "250.00", pacific(2027, 4, 1, 9))
        assert tier_of(later.state) == "green"

    def test_gold_lapses_after_12_months_without_500_stars(self) -> None:
        gold = member_at("500.00")
        assert gold.tier is not None
        assert gold.tier.valid_until == pacific(2027, 4, 1, 9)
        lapsed = PROGRAM.advance(gold, pacific(2027, 4, 2))
        assert changes(lapsed) == [("downgrade", "green")]


class TestRewards:
    def test_a_reward_that_is_an_item_has_no_money_value(self) -> None:
        state = member_at("100.00")
        decision = PROGRAM.apply(state, Redemption(id="R-1", member_id="sb-1",
                                                   at=pacific(2026, 4, 2), reward_id="stars-25"))
        (voucher,) = [e.voucher for e in decision.effects if isinstance(e, VoucherIssued)]
        assert voucher.value is None
        assert decision.state.available_points == 75

    def test_60_stars_take_2_dollars_off(self) -> None:
        decision = PROGRAM.apply(member_at("60.00"), Redemption(
            id="R-1", member_id="sb-1", at=pacific(2026, 4, 2), reward_id="stars-60"))
        (voucher,) = [e.voucher for e in decision.effects if isinstance(e, VoucherIssued)]
        assert voucher.value == usd("2.00")
        assert decision.state.available_points == 0

    @pytest.mark.parametrize("reward", ["stars-25", "stars-100", "stars-200", "stars-300",
                                        "stars-400"])
    def test_one_star_short_is_refused(self, reward: str) -> None:
        needed = int(reward.split("-")[1])
        state = member_at(f"{needed - 1}.00")
        with pytest.raises(InsufficientPoints):
            PROGRAM.apply(state, Redemption(id="R-1", member_id="sb-1",
                                            at=pacific(2026, 4, 2), reward_id=reward))


class TestExpiry:
    def test_published_example(self) -> None:
        """Earned on 15 December 2026: expired on 1 July 2027 (six months after December)."""
        state = buy(None, "S-1", "20.00", pacific(2026, 12, 15, 9)).state
        assert PROGRAM.next_due(state) == pacific(2027, 7, 1)

    def test_new_year_s_eve_in_pacific_time_is_december(self) -> None:
        """23:30 on 31 December in Seattle is already 1 January in UTC; the Stars are
        December's and expire on 1 July, not 1 August."""
        late = pacific(2026, 12, 31, 23, 30)
        assert late.astimezone(UTC).month == 1
        state = buy(None, "S-1", "20.00", late).state
        assert PROGRAM.next_due(state) == pacific(2027, 7, 1)
        expired = PROGRAM.advance(state, pacific(2027, 7, 1))
        assert [e.points for e in expired.effects if isinstance(e, PointsExpired)] == [20]

    def test_a_leap_day(self) -> None:
        """Earned on 29 February 2028: expired on 1 September 2028."""
        state = buy(None, "S-1", "20.00", pacific(2028, 2, 29, 9)).state
        assert PROGRAM.next_due(state) == pacific(2028, 9, 1)

    def test_gold_stars_never_expire(self) -> None:
        """Since March 2026 Gold Stars never expire: a Gold member's only due time is the
        tier's review, and a year later every Star is still there."""
        gold = member_at("500.00")
        assert tier_of(gold) == "gold"
        assert [lot.expires_at for lot in gold.lots] == [None]
        assert PROGRAM.next_due(gold) == pacific(2026, 4, 1, 9) + relativedelta(years=1)
        later = buy(gold, "S-1", "10.00", pacific(2027, 3, 1, 9))
        assert not [e for e in later.effects if isinstance(e, PointsExpired)]
        assert later.state.available_points == 512

    def test_stars_of_a_lapsed_gold_member_expire_six_months_after_the_lapse(self) -> None:
        """Gold lapses on 1 April 2027: the Stars then held are April's, and expire at the
        start of 1 November 2027, as Stars earned that day would; the downgrade says so."""
        lapsed = PROGRAM.advance(member_at("500.00"), pacific(2027, 4, 2))
        assert changes(lapsed) == [("downgrade", "green")]
        (changed,) = [e for e in lapsed.effects if isinstance(e, TierChanged)]
        assert changed.reason.endswith("the 500 Stars you hold are valid until 2027-10-31")
        assert PROGRAM.next_due(lapsed.state) == pacific(2027, 11, 1)
        expired = PROGRAM.advance(lapsed.state, pacific(2027, 11, 1))
        assert [e.points for e in expired.effects if isinstance(e, PointsExpired)] == [500]
        assert expired.state.available_points == 0

    def test_green_stars_held_when_gold_is_reached_stop_expiring(self) -> None:
        """Stars earned at Green in March would expire on 1 October; reaching Gold in April
        lifts that, and the upgrade says it."""
        state = buy(None, "S-0", "100.00", pacific(2026, 3, 1, 9)).state
        assert PROGRAM.next_due(state) == pacific(2026, 10, 1)
        gold = buy(state, "S-1", "400.00", pacific(2026, 4, 1, 9))
        assert changes(gold) == [("upgrade", "gold")]
        (changed,) = [e for e in gold.effects if isinstance(e, TierChanged)]
        assert "Stars that never expire" in changed.reason
        assert changed.reason.endswith("the 500 Stars you hold no longer expire")
        assert PROGRAM.next_due(gold.state) == pacific(2027, 4, 1, 9)


def test_terms_name_item_rewards_and_value_the_2_dollar_one() -> None:
    pytest.importorskip("babel")
    terms = PROGRAM.terms("en")
    assert "For 25 Stars you get “drink customization”." in terms
    assert "For 60 Stars you get a voucher worth 2.00 USD." in terms
    assert "Für 400 Stars erhalten Sie „select merchandise (up to $20)“." in PROGRAM.terms("de")


def test_terms_give_the_first_tier_no_requirement_and_the_others_in_stars() -> None:
    """Green needs 0 Stars: the terms say it has no requirement (not "Requirement: 0 Stars");
    the higher tiers' requirements are in the scheme's unit words, not a quoted label."""
    pytest.importorskip("babel")
    terms, german = PROGRAM.terms("en"), PROGRAM.terms("de")
    assert "- Green: No requirement. Benefits: no extra benefits." in terms
    assert ("- Gold: Requirement: 500 Stars. Benefits: Stars ×1.2 and Stars that never "
            "expire.") in terms
    assert "- Green: Keine Voraussetzung. Vorteile: keine zusätzlichen Vorteile." in german
    assert "- Reserve: Voraussetzung: 2.500 Stars." in german


def test_terms_say_gold_and_reserve_stars_do_not_expire() -> None:
    """The expiry section says the exemption by tier, in English and in German."""
    pytest.importorskip("babel")
    terms, german = PROGRAM.terms("en"), PROGRAM.terms("de")
    assert ("- While you hold tier Gold or Reserve, your Stars do not expire. When you move "
            "to a tier without this benefit, the Stars you then hold expire as if you had "
            "earned them on that day.") in terms
    assert ("- Solange Sie die Stufe Gold oder Reserve haben, verfallen Ihre Stars nicht. "
            "Wechseln Sie in eine Stufe ohne diesen Vorteil, verfallen die Stars, die Sie "
            "dann haben, so, als hätten Sie sie an diesem Tag gesammelt.") in german
    assert "Vorteile: Stars ×1,2 und Stars ohne Verfall." in german


def test_simulate_counts_item_rewards_without_a_money_value() -> None:
    """An experiment on the program runs: a reward that is a drink is a voucher with no value
    (the table says so, the money columns add nothing), and Green, reached at sign-up before
    the first order, took 0 days (not a negative count)."""
    from reciprocity import SignUp, simulate

    events: list[Any] = [SignUp(id="s1", member_id="a", at=pacific(2026, 4, 1, 9))]
    events += [Purchase(id=f"o{i}", member_id="a", at=pacific(2026, 4, 2 + i, 9),
                        amount=usd("20.00")) for i in range(10)]
    events.append(Redemption(id="r1", member_id="a", at=pacific(2026, 4, 20, 9),
                             reward_id="stars-25"))
    result = simulate(PROGRAM, events)
    issued = [row for row in result.effects.rows() if row["effect"] == "voucher_issued"]
    assert len(issued) == 1
    assert issued[0]["value"] is None
    assert result.totals.vouchers == 1
    assert result.totals.voucher_value == 0
    assert result.totals.points_redeemed == 25
    assert result.totals.median_days_to_first_tier == 0.0
