"""Terms of fact conditions (FactIs, HasFact, Elapsed), a shop's own complaint categories and
money compensations that read facts (band tables, each, reductions, max_percent, minimum), in
English and German. The passenger-rights examples' whole terms are goldens in test_terms."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    Band,
    BandTable,
    Elapsed,
    Fact,
    FactIs,
    GoodwillPolicy,
    GoodwillRule,
    HasFact,
    InvalidProgram,
    Money,
    Program,
    Range,
    Reduction,
    RefundShare,
    VoucherCompensation,
)
from reciprocity._condition_base import _ConditionBase

pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")

from reciprocity.terms.catalog import catalogue
from reciprocity.terms.phrases import Ctx

BERLIN = ZoneInfo("Europe/Berlin")
WAIT = Elapsed(start="scheduled_arrival", end="actual_arrival")


def ctx(locale: str) -> Ctx:
    return Ctx(catalogue(locale), BERLIN)


CONDITIONS: list[tuple[_ConditionBase, str, str]] = [
    (FactIs(fact=WAIT, op=">=", value=180),
     "if “actual arrival” is at least 3 hours after “scheduled arrival”",
     "wenn „actual arrival“ mindestens 3 Stunden nach „scheduled arrival“ liegt"),
    (FactIs(fact=WAIT, op=">", value=90),
     "if “actual arrival” is more than 90 minutes after “scheduled arrival”",
     "wenn „actual arrival“ mehr als 90 Minuten nach „scheduled arrival“ liegt"),
    (~FactIs(fact=Elapsed(start="informed_at", end="departure", unit="days"), op=">=",
             value=14),
     "if “departure” is less than 14 days after “informed at”",
     "wenn „departure“ weniger als 14 Tage nach „informed at“ liegt"),
    (FactIs(fact="distance_km", op="<=", value=1500),
     "if “distance km” is at most 1,500", "wenn „distance km“ höchstens 1.500 beträgt"),
    (FactIs(fact="fare", op=">=", value=Money("10.00", "EUR")),
     "if “fare” is at least 10.00 EUR", "wenn „fare“ mindestens 10,00 EUR beträgt"),
    (FactIs(fact="weight", op="<", value=Decimal("2.5")),
     "if “weight” is under 2.5", "wenn „weight“ unter 2,5 liegt"),
    (FactIs(fact="deadline", op="<", value=datetime(2026, 3, 1, 12, tzinfo=BERLIN)),
     "if “deadline” is before Mar 1, 2026, 12:00 PM",
     "wenn „deadline“ vor dem 01.03.2026, 12:00 liegt"),
    (FactIs(fact="ticket", op="in", value=("single", "return")),
     "if “ticket” is “single” or “return”", "wenn „ticket“ „single“ oder „return“ ist"),
    (~FactIs(fact="ticket", op="in", value=("single", "return")),
     "if “ticket” is none of “single” and “return”",
     "wenn „ticket“ keiner der Werte „single“ und „return“ ist"),
    (FactIs(fact="code", op="!=", value="X1"),
     "if “code” is not “X1”", "wenn „code“ nicht „X1“ ist"),
    (~FactIs(fact="travel_class", value=1),
     "if “travel class” is not 1", "wenn „travel class“ nicht 1 ist"),
    (FactIs(fact="extraordinary", value=True),
     "if “extraordinary” applies", "wenn „extraordinary“ zutrifft"),
    (~FactIs(fact="extraordinary", value=True),
     "if “extraordinary” does not apply", "wenn „extraordinary“ nicht zutrifft"),
    (HasFact(fact="rerouted_arrival"),
     "if “rerouted arrival” is given", "wenn „rerouted arrival“ angegeben ist"),
    (~HasFact(fact="line.country_code"),
     "if “country code” of an order line is not given",
     "wenn „country code“ eines Artikels nicht angegeben ist"),
    (FactIs(fact="category", op="in", value=("flight_cancelled", "denied_boarding")),
     "if the complaint is about “flight cancelled” or “denied boarding”",
     "wenn die Reklamation „flight cancelled“ oder „denied boarding“ betrifft"),
    (~FactIs(fact="category", value="late_delivery"),
     "if the complaint is not about “late delivery”",
     "wenn die Reklamation nicht „Verspätete Lieferung“ betrifft"),
]


@pytest.mark.parametrize(("cond", "en", "de"), CONDITIONS)
def test_fact_conditions(cond: _ConditionBase, en: str, de: str) -> None:
    """Each comparison, its negation, presence and elapsed times read in both languages."""
    assert ctx("en").condition(cond) == en
    assert ctx("de").condition(cond) == de


TWO_KEYS = BandTable(keys={"w": "weight_kg", "d": Elapsed(start="a", end="b", unit="days")},
                     bands=(Band(when={"w": Range(below=5), "d": Range(at_least=1)},
                                 percent=Decimal(10)),
                            Band(value=Money("3.00", "EUR"))))
COMPENSATIONS: list[tuple[object, str, str]] = [
    (VoucherCompensation(table=TWO_KEYS, max=Money("20.00", "EUR"), valid_days=30),
     "a voucher by “weight kg” and the time from “a” to “b”: 10% of the order value for "
     "“weight kg” below 5 and the time from “a” to “b” from 1 day and 3.00 EUR otherwise, at "
     "most 20.00 EUR, valid for 30 days",
     "einen Gutschein nach „weight kg“ und der Zeit von „a“ bis „b“: 10 % des Bestellwerts "
     "bei „weight kg“ unter 5 und der Zeit von „a“ bis „b“ ab 1 Tag und sonst 3,00 EUR, "
     "höchstens 20,00 EUR, 30 Tage gültig"),
    (RefundShare(table=BandTable(keys={"km": "distance_km"}, bands=(
        Band(when={"km": Range(over=1500, up_to=3500)}, value=Money("400.00", "EUR")),)),
        max_percent=Decimal(30), minimum=Money("2.00", "EUR")),
     "a refund by “distance km”: 400.00 EUR over 1,500 and up to 3,500, at most 30% of the "
     "order value; below 2.00 EUR nothing is paid",
     "eine Erstattung nach „distance km“: 400,00 EUR über 1.500 bis 3.500, höchstens 30 % "
     "des Bestellwerts; unter 2,00 EUR wird nichts ausgezahlt"),
    (RefundShare(percent=Decimal(50), of="fare"),
     "a refund of 50% of the “fare”", "eine Erstattung von 50 % des Werts „fare“"),
]


@pytest.mark.parametrize(("comp", "en", "de"), COMPENSATIONS)
def test_compensations_that_read_facts(comp: object, en: str, de: str) -> None:
    """Band tables (one key, two keys, a catch-all band), a fact as the base, the share cap
    and the payout minimum."""
    assert ctx("en").compensation(comp) == en
    assert ctx("de").compensation(comp) == de


def test_reductions_are_a_sentence() -> None:
    """Each reduction says its factor and when it applies."""
    from reciprocity.terms.facts import reductions

    comp = VoucherCompensation(value=Money("5.00", "EUR"), reductions=(
        Reduction(when=FactIs(fact="ticket", value="return"), factor=Decimal("0.5")),
        Reduction(when=HasFact(fact="voucher"), factor=Decimal("0.8"))))
    assert reductions(ctx("en"), comp) == (
        "Reductions: ×0.5 if “ticket” is “return”; ×0.8 if “voucher” is given.")
    assert reductions(ctx("de"), comp) == (
        "Kürzungen: ×0,5, wenn „ticket“ „return“ ist; ×0,8, wenn „voucher“ angegeben ist.")
    assert reductions(ctx("de"), VoucherCompensation(value=Money("5.00", "EUR"))) is None


def test_facts_together_say_if_once() -> None:
    """Conditions on facts joined by & or | are one clause with one "if" ("wenn" and the
    verbs at the end); beside another condition they stay one clause where the first of
    them stood."""
    from reciprocity import AmountOver

    season = FactIs(fact="ticket", value="season") & ~FactIs(fact="extraordinary", value=True)
    assert ctx("en").condition(season) == (
        "if “ticket” is “season” and “extraordinary” does not apply")
    assert ctx("de").condition(season) == (
        "wenn „ticket“ „season“ ist und „extraordinary“ nicht zutrifft")
    nested = FactIs(fact="a", value=1) | (FactIs(fact="b", value=2) & HasFact(fact="c"))
    assert ctx("de").condition(nested) == (
        "wenn „a“ 1 ist oder („b“ 2 ist und „c“ angegeben ist)")
    mixed = AmountOver(amount=Money("50.00", "EUR")) & FactIs(fact="a", value=1) \
        & HasFact(fact="c")
    assert ctx("en").condition(mixed) == (
        "to orders over 50.00 EUR and if “a” is 1 and “c” is given")
    assert ctx("de").condition(mixed) == (
        "für Einkäufe über 50,00 EUR und wenn „a“ 1 ist und „c“ angegeben ist")


class TestLabels:
    """A shop names its facts and categories in each locale's words; the terms use them."""

    def program(self) -> Program:
        return Program(
            name="Air", facts=(
                Fact(name="actual_arrival", type="datetime",
                     labels={"en": "actual arrival", "de": "tatsächliche Ankunft"}),
                Fact(name="scheduled_arrival", type="datetime",
                     labels={"de": "planmäßige Ankunft"}),
            ),
            goodwill=GoodwillPolicy(
                categories=("flight_delayed",),
                category_labels={"flight_delayed": {"de": "Flugverspätung"}},
                rules=(GoodwillRule(id="late", categories=("flight_delayed",),
                                    when=FactIs(fact=WAIT, op=">=", value=180),
                                    compensation=VoucherCompensation(
                                        value=Money("10.00", "EUR"))),)))

    def test_labels_in_the_locale_and_names_elsewhere(self) -> None:
        """German says every label; English has one label, and the name where none is
        given."""
        program = self.program()
        german = str(program.terms(locale="de"))
        assert "„Flugverspätung“" in german
        assert "„tatsächliche Ankunft“ mindestens 3 Stunden nach „planmäßige Ankunft“" in german
        english = str(program.terms(locale="en"))
        assert "“actual arrival” is at least 3 hours after “scheduled arrival”" in english
        assert "flight delayed" in english

    @pytest.mark.parametrize(("build", "mentions"), [
        (lambda: Fact(name="x", type="int", labels={"German": "x"}), "labels"),
        (lambda: Fact(name="x", type="int", labels={"de": ""}), "labels"),
        (lambda: GoodwillPolicy(rules=(GoodwillRule(id="a", compensation=VoucherCompensation(
            value=Money("1.00", "EUR"))),), category_labels={"flight": {"de": "Flug"}}),
         "category_labels names 'flight'"),
    ])
    def test_bad_labels_are_refused(self, build: Any, mentions: str) -> None:
        """A locale that is no locale tag, an empty label, a label for an unknown category."""
        with pytest.raises(InvalidProgram, match=mentions):
            build()
