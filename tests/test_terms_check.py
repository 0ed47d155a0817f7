"""Consistency findings of Program.check: values not stated, conditions the terms cannot say,
terms that contradict each other. Each names its rule and says how to fix it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from reciprocity import (
    Budget,
    Cap,
    FirstOrderGift,
    FixedLifetime,
    Gift,
    GiftScheme,
    InTier,
    MinSpend,
    Money,
    PointScheme,
    PointsPerPurchase,
    Program,
    Reward,
    Tier,
    TierBenefits,
    TierLadder,
    seed_program,
)
from reciprocity.gifts.gift import Stock
from reciprocity.terms.check import check_terms


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def program(**parts: Any) -> Program:
    parts.setdefault("points", PointScheme(earn=(PointsPerPurchase(id="p", points=1),)))
    return Program(name="Shop", currency="EUR", timezone="Europe/Berlin", **parts)


def codes(findings: list[Any]) -> list[tuple[str, str, str | None]]:
    return [(f.severity, f.code, f.rule_id or f.tier_id) for f in findings]


def gifts(gift: Gift, **limits: Any) -> GiftScheme:
    return GiftScheme(rules=(FirstOrderGift(id="first", gift=gift, **limits),),
                      budgets=(Budget(id="b", count=0),), stock=(Stock(id="s", units=0),))


MUG = Gift(id="mug", name="mug", kind="physical", value=eur("8.00"))


def test_the_seed_program_is_consistent() -> None:
    assert seed_program().check() == []
    assert check_terms(seed_program()) == []


class TestValues:
    def test_a_reward_without_a_value(self) -> None:
        p = program(points=PointScheme(earn=(PointsPerPurchase(id="p", points=1),), rewards=(
            Reward(id="drink", name="free drink", points=5),)))
        (finding,) = check_terms(p)
        assert codes([finding]) == [("warning", "reward-value-not-stated", "drink")]
        assert "give value=Money(...)" in finding.message
        assert str(finding).startswith("warning [reward-value-not-stated] drink: ")

    def test_a_gift_worth_nothing(self) -> None:
        """A sample worth 0 is not stated; early access may be worth 0."""
        sample = Gift(id="tea", name="tea", kind="sample", value=eur("0"))
        access = Gift(id="sale", name="sale", kind="early-access", value=eur("0"))
        assert codes(check_terms(program(gifts=GiftScheme(rules=(
            FirstOrderGift(id="first", gift=sample),))))) == [
            ("warning", "gift-value-not-stated", "first")]
        assert check_terms(program(gifts=GiftScheme(rules=(
            FirstOrderGift(id="first", gift=access),)))) == []


class TestConditions:
    def test_a_condition_without_a_phrase(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A condition the catalogue has no phrase for (here: tiers, made unknown) is named
        with its rule and the locales that cannot say it."""
        pytest.importorskip("babel")
        from reciprocity.terms.phrases import Ctx

        said = Ctx.condition

        def condition(self: Ctx, cond: Any) -> str:
            if isinstance(cond, InTier):
                raise KeyError("no phrase for condition InTier")
            return said(self, cond)

        monkeypatch.setattr(Ctx, "condition", condition)
        p = program(points=PointScheme(earn=(
            PointsPerPurchase(id="gold-only", points=1, when=InTier(tiers=("gold",))),
            PointsPerPurchase(id="all", points=1))))
        (finding,) = check_terms(p)
        assert codes([finding]) == [("warning", "condition-not-stated", "gold-only")]
        assert "in de, en" in finding.message
        assert "add its phrase to the catalogue" in finding.message

    def test_every_condition_has_a_phrase_today(self) -> None:
        pytest.importorskip("babel")
        p = program(points=PointScheme(earn=(
            PointsPerPurchase(id="gold-only", points=1, when=InTier(tiers=("gold",))),)))
        assert check_terms(p) == []

    def test_without_babel(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without Babel the phrases are not tried; an info finding says so (no failure)."""
        import sys

        from reciprocity.terms.catalog import catalogue

        catalogue.cache_clear()
        monkeypatch.setitem(sys.modules, "babel", None)
        p = program(points=PointScheme(earn=(
            PointsPerPurchase(id="gold-only", points=1, when=InTier(tiers=("gold",))),)))
        try:
            assert codes(check_terms(p)) == [("info", "terms-not-checked", None)]
        finally:
            catalogue.cache_clear()


class TestContradictions:
    def test_reward_cheaper_than_the_minimum_balance(self) -> None:
        p = program(points=PointScheme(earn=(PointsPerPurchase(id="p", points=1),), rewards=(
            Reward(id="v5", name="voucher", points=10, value=eur("5.00")),
            Reward(id="v50", name="big voucher", points=200, value=eur("50.00"))),
            min_balance=200))
        (finding,) = check_terms(p)
        assert codes([finding]) == [("warning", "reward-below-min-balance", "v5")]
        assert "lower min_balance to 10 or raise the reward's points to 200" in finding.message

    @pytest.mark.parametrize(("limits", "why"), [
        ({"cap": Cap(count=0)}, "its cap (at most 0 in all) allows none"),
        ({"cap": Cap(amount=eur("5.00"))}, "its cap (at most 5.00 EUR in value in all)"),
        ({"budget": "b"}, "its budget 'b'"),
    ])
    def test_a_gift_that_is_never_given(self, limits: dict[str, Any], why: str) -> None:
        (finding,) = check_terms(program(gifts=gifts(MUG, **limits)))
        assert codes([finding]) == [("error", "gift-never-given", "first")]
        assert why in finding.message
        assert finding.message.endswith("raise the limit or remove the rule")

    def test_a_gift_out_of_stock_from_the_start(self) -> None:
        mug = Gift(id="mug", name="mug", kind="physical", value=eur("8.00"), stock="s")
        assert codes(check_terms(program(gifts=gifts(mug)))) == [
            ("error", "gift-never-given", "first")]

    def test_a_cap_that_allows_the_gift_is_fine(self) -> None:
        assert check_terms(program(gifts=gifts(MUG, cap=Cap(count=1)))) == []

    def test_a_tier_that_earns_fewer_points(self) -> None:
        ladder = TierLadder(tiers=(
            Tier(id="basic", name="Basic", requires=MinSpend(amount=eur("1.00")),
                 benefits=TierBenefits(points_multiplier=Decimal("0.5"))),))
        (finding,) = check_terms(program(tiers=ladder))
        assert codes([finding]) == [("warning", "multiplier-below-one", "basic")]
        assert "raise points_multiplier to 1 or more" in finding.message

    def test_points_that_expire_before_they_are_released(self) -> None:
        scheme = PointScheme(earn=(PointsPerPurchase(id="p", points=1),), pending_days=30,
                             expiry=FixedLifetime(days=14))
        (finding,) = check_terms(program(points=scheme))
        assert codes([finding]) == [("error", "expiry-before-release", "expiry")]
        longer = PointScheme(earn=(PointsPerPurchase(id="p", points=1),), pending_days=30,
                             expiry=FixedLifetime(months=12))
        assert check_terms(program(points=longer)) == []

    def test_program_check_lists_them_most_serious_first(self) -> None:
        p = program(points=PointScheme(earn=(PointsPerPurchase(id="p", points=1),), rewards=(
            Reward(id="drink", name="free drink", points=5),), pending_days=30,
            expiry=FixedLifetime(days=14)))
        assert codes(p.check()) == [("error", "expiry-before-release", "expiry"),
                                    ("warning", "reward-value-not-stated", "drink")]
