"""English says "an" before a vowel sound, also where the text is a value put in: "an 8.00
EUR voucher", "an 18.00 BRL voucher", "an 11 % chance", in reasons, the terms and
``Program.explain`` (they said "a 8.00 EUR voucher"). German is untouched."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reciprocity import (
    Complaint,
    CreditCompensation,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    Money,
    Program,
    Purchase,
    SurpriseGift,
    VoucherCompensation,
)
from reciprocity._reason_template import articled, indefinite

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(("text", "said"), [
    ("8.00 EUR voucher", "an 8.00 EUR voucher"), ("18.00 EUR voucher", "an 18.00 EUR voucher"),
    ("11 % chance", "an 11 % chance"), ("11,500 miles", "an 11,500 miles"),
    ("80 points", "an 80 points"), ("1,800 miles", "a 1,800 miles"),
    ("5.00 EUR voucher", "a 5.00 EUR voucher"), ("110 points", "a 110 points"),
    ("e-book", "an e-book"), ("user guide", "a user guide"), ("hour", "an hour")])
def test_indefinite(text: str, said: str) -> None:
    assert indefinite(text) == said


def test_articled_only_where_the_value_starts_a_vowel_sound() -> None:
    template = "a {value} voucher and a {other} credit, a {missing} gift"
    assert articled(template, {"value": "8.00 EUR", "other": "5.00 EUR"}) == (
        "an {value} voucher and a {other} credit, a {missing} gift")
    assert articled("Take a {x}", {"x": "11 %"}) == "Take an {x}"
    assert articled("data {x}", {"x": "8"}) == "data {x}"  # not the article "a"


def goodwill(value: str, compensation: type = VoucherCompensation) -> Program:
    return Program(name="Shop", currency="EUR", goodwill=GoodwillPolicy(rules=(
        GoodwillRule(id="late", categories=("late_delivery",),
                     compensation=compensation(value=Money(value, "EUR"))),)))


@pytest.mark.parametrize(("value", "article"), [("8.00", "an"), ("18.00", "an"),
                                                ("5.00", "a"), ("180.00", "a")])
def test_a_goodwill_reason_and_explain(value: str, article: str) -> None:
    program = goodwill(value)
    state = program.apply(None, Purchase(id="A-1", member_id="m", at=AT,
                                         amount=Money("200.00", "EUR"))).state
    decision = program.apply(state, Complaint(id="C-1", member_id="m", at=AT, order_id="A-1",
                                              category="late_delivery", severity=2))
    [effect] = decision.effects
    assert f": {article} {value} EUR voucher" in effect.render("en")
    assert f"- late delivery: {article} {value} EUR voucher" in program.explain()
    credit = goodwill(value, CreditCompensation)
    assert f"- late delivery: {article} {value} EUR credit" in credit.explain()


def test_german_is_untouched() -> None:
    pytest.importorskip("babel")
    program = goodwill("8.00")
    state = program.apply(None, Purchase(id="A-1", member_id="m", at=AT,
                                         amount=Money("200.00", "EUR"))).state
    [effect] = program.apply(state, Complaint(id="C-1", member_id="m", at=AT, order_id="A-1",
                                              category="late_delivery", severity=2)).effects
    assert "ein Gutschein über 8,00 EUR" in effect.render("de")


def test_a_surprise_gift_in_the_terms_and_explain() -> None:
    pytest.importorskip("babel")
    program = Program(name="Shop", currency="EUR", gifts=GiftScheme(rules=(
        SurpriseGift(id="lucky", probability=Decimal("0.08"),
                     gift=Gift(id="choc", name="chocolate", kind="physical",
                               value=Money("3.00", "EUR"))),)))
    assert "an 8 % chance of" in program.explain()
    assert "has an 8% chance of" in program.terms("en")
    assert "a 5 % chance of" in program.model_copy(update={"gifts": GiftScheme(rules=(
        SurpriseGift(id="lucky", probability=Decimal("0.05"),
                     gift=Gift(id="choc", name="chocolate", kind="physical",
                               value=Money("3.00", "EUR"))),))}).explain()
