"""A goodwill reduction without a reason of its own says its condition in the customer's
language, with the program's fact labels, wherever the program is at hand (a statement,
``Program.render_effect``); the stored English reason and the effect's JSON do not change."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reciprocity import (
    Complaint,
    FactIs,
    GoodwillPolicy,
    GoodwillRule,
    Money,
    Program,
    Reduction,
    VoucherCompensation,
    seed_program,
)

pytest.importorskip("babel", reason="German needs Babel: pip install 'reciprocity[i18n]'")

AT = datetime(2026, 3, 1, tzinfo=UTC)


def program(reason: str = "") -> Program:
    policy = GoodwillPolicy(rules=(GoodwillRule(
        id="late", categories=("late_delivery",),
        compensation=VoucherCompensation(value=Money("10.00", "EUR"), reductions=(
            Reduction(when=FactIs(fact="ticket", value="return"), factor=Decimal("0.5"),
                      reason=reason),))),))
    return Program.model_validate({
        **seed_program().model_dump(), "goodwill": policy.model_dump(),
        "facts": [{"name": "ticket", "type": "str",
                   "labels": {"de": "Fahrkarte", "en": "ticket type"}}]})


COMPLAINT = Complaint(id="C-1", member_id="m", at=AT, category="late_delivery",
                      metadata={"ticket": "return"})
GERMAN = ("Kulanz für Ihre Reklamation C-1 (Verspätete Lieferung): ein Gutschein über "
          "5,00 EUR (×0,5: wenn „Fahrkarte“ „return“ ist)")


def test_the_german_reason_says_the_condition_in_german() -> None:
    shop = program()
    decision = shop.apply(None, COMPLAINT)
    effect = decision.effects[0]
    assert shop.render_effect(effect, "de") == GERMAN
    statement = shop.statement(decision.state, AT, "de", effects=decision.effects)
    assert f"01.03.2026: {GERMAN}" in statement.to_text()
    assert "Kürzungen: ×0,5, wenn „Fahrkarte“ „return“ ist." in shop.terms(locale="de")


def test_the_english_reason_and_the_json_stay_as_they_were() -> None:
    shop = program()
    effect = shop.apply(None, COMPLAINT).effects[0]
    assert effect.reason == ("Goodwill for your complaint C-1 (late delivery): a 5.00 EUR "
                             "voucher (x0.5: when ticket is return)")
    assert shop.render_effect(effect, "en") == effect.reason
    assert '"condition":["str","ticket is return"]' in effect.model_dump_json()
    loaded = type(effect).model_validate_json(effect.model_dump_json())
    assert shop.render_effect(loaded, "de") == GERMAN  # a stored effect, said anew


def test_a_reduction_with_its_own_reason_says_that() -> None:
    shop = program(reason="Rückfahrkarte: halber Preis")
    effect = shop.apply(None, COMPLAINT).effects[0]
    assert shop.render_effect(effect, "de").endswith("(×0,5: Rückfahrkarte: halber Preis)")
