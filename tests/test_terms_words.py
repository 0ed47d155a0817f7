"""A program's own words in its terms: its unit ("miles", "Meilen") and its facts' values.

``PointScheme.unit`` names a balance's unit per locale, singular and plural; ``Fact.
value_labels`` names a fact's values per locale. Both are left out of the JSON when unset, so
programs saved before load and dump as they did.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings

from _load import load_example
from reciprocity import (
    Fact,
    FactIs,
    FixedLifetime,
    InvalidProgram,
    LineFact,
    MinPoints,
    Money,
    PointsAsCurrency,
    PointsCap,
    PointScheme,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    Reward,
    Tier,
    TierBenefits,
    TierLadder,
    UnitWords,
    not_,
)
from reciprocity.cli import main
from reciprocity.terms.catalog import LOCALES_DIR, _read, available_locales, catalogue
from reciprocity.testing import full_programs

pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")

BERLIN = ZoneInfo("Europe/Berlin")
MILES = {"en": UnitWords(one="mile", other="miles"), "de": UnitWords(one="Meile", other="Meilen")}
ZONE = Fact(name="zone", type="str", values=("domestic", "continental", "intercontinental"),
            labels={"en": "flight zone", "de": "Flugzone"},
            value_labels={"domestic": {"en": "domestic flight", "de": "Inlandsflug"},
                          "continental": {"de": "Europaflug"}})


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def zone_program(**extra: Any) -> Program:
    return Program(name="Air", currency="EUR", timezone="Europe/Berlin", facts=(ZONE,),
                   points=PointScheme(earn=(
                       PointsPerPurchase(id="dom", points=500,
                                         when=FactIs(fact="zone", value="domestic")),
                       PointsPerPurchase(id="far", points=900, when=FactIs(
                           fact="zone", op="in", value=("continental", "intercontinental"))),
                       PointsPerPurchase(id="not", points=1, when=not_(
                           FactIs(fact="zone", value="continental"))),
                   ), **extra))


class TestValueLabels:
    """A declared fact's values in the customer's words, checked against its choices."""

    def test_the_terms_say_a_labelled_value_by_its_label(self) -> None:
        """German and English say each labelled value in their words; a value without a
        label in the locale is said as it is, quoted, as before."""
        german, english = zone_program().terms("de"), zone_program().terms("en")
        assert "Gilt, wenn „Flugzone“ „Inlandsflug“ ist." in german
        assert "Gilt, wenn „Flugzone“ „Europaflug“ oder „intercontinental“ ist." in german
        assert "Gilt, wenn „Flugzone“ nicht „Europaflug“ ist." in german
        assert "Applies if “flight zone” is “domestic flight”." in english
        assert "“continental” or “intercontinental”" in english

    def test_a_line_fact_value_is_labelled_too(self) -> None:
        """A condition on an order line's declared fact says its values' labels."""
        program = Program(name="Shop", facts=(Fact(
            name="origin", type="str", on="line", values=("eu", "asia"),
            value_labels={"eu": {"de": "EU-Ware"}}),), points=PointScheme(earn=(
                PointsPerPurchase(id="eu", points=1, when=LineFact(fact="origin",
                                                                   value="eu")),)))
        assert "„EU-Ware“" in program.terms("de")
        assert "“eu”" in program.terms("en")

    def test_json_round_trip_and_unchanged_json_without_labels(self) -> None:
        """A labelled fact reads back equal; an unlabelled one dumps no ``value_labels``."""
        program = zone_program()
        assert Program.model_validate_json(program.model_dump_json()) == program
        assert '"value_labels":{"domestic":{"en":"domestic flight"' in program.model_dump_json()
        plain = Fact(name="zone", type="str", values=("a",))
        assert "value_labels" not in plain.model_dump_json()
        assert plain.model_dump_json() == (
            '{"name":"zone","type":"str","values":["a"],"on":"event","items":[],"labels":{}}')

    @pytest.mark.parametrize(("data", "mentions"), [
        ({"type": "str", "values": ["domestic"], "value_labels": {"domestc": {"de": "x"}}},
         r"value_labels names 'domestc', which is not one of values=\('domestic',\) "
         r"\(did you mean 'domestic'\?\)"),
        ({"type": "int", "value_labels": {"1": {"de": "eins"}}},
         "value_labels only name the values of a str fact, not those of the int fact"),
        ({"type": "str", "value_labels": {"a": {"German": "x"}}}, "value_labels"),
        ({"type": "str", "value_labels": {"a": {"de": ""}}}, "value_labels"),
    ])
    def test_a_bad_label_is_refused_naming_the_field(self, data: dict[str, Any],
                                                      mentions: str) -> None:
        """A label for a value the fact does not declare, on a fact that is not text, for
        no locale or empty: ``InvalidProgram`` naming ``Program.facts[0]`` and the field."""
        with pytest.raises(InvalidProgram, match=r"Program\.facts\[0\]") as info:
            Program.model_validate({"name": "x", "facts": [{"name": "zone", **data}]})
        assert re.search(mentions, str(info.value))

    def test_a_free_text_fact_may_label_any_value(self) -> None:
        """A fact without declared values may label whatever values it will take."""
        fact = Fact(name="route", type="str",
                    value_labels={"FRA-JFK": {"de": "Frankfurt–New York"}})
        assert fact.value_label("FRA-JFK", "de") == "Frankfurt–New York"

    def test_check_reports_a_bad_label_in_a_program_file(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """``reciprocity check`` on a YAML file with a label for an undeclared value prints
        one error line naming the field and exits with 2."""
        path = tmp_path / "p.yaml"
        path.write_text(
            "name: Air\nfacts:\n  - name: zone\n    type: str\n    values: [domestic]\n"
            "    value_labels:\n      domestc: {de: Inlandsflug}\n", encoding="utf-8")
        assert main(["check", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ")
        assert len(err.splitlines()) == 1
        assert "value_labels names 'domestc'" in err
        assert "did you mean 'domestic'" in err

    def test_a_program_file_loads_with_labels(self, tmp_path: Path) -> None:
        """YAML and JSON files carry value labels and units, and load back equal."""
        program = zone_program(unit=MILES)
        for suffix in (".json", ".yaml"):
            path = tmp_path / f"p{suffix}"
            program.save(path)
            assert Program.load(path) == program
        path = tmp_path / "hand.yaml"
        path.write_text(
            "name: Air\nfacts:\n  - name: zone\n    type: str\n    values: [domestic]\n"
            "    value_labels:\n      domestic: {de: Inlandsflug}\npoints:\n"
            "  unit:\n    de: {one: Meile, other: Meilen}\n  earn:\n"
            "    - {type: points_per_purchase, id: d, points: 2,\n"
            "       when: {type: fact, fact: zone, value: domestic}}\n", encoding="utf-8")
        assert ("Jeder Einkauf bringt Ihnen 2 Meilen. Gilt, wenn „zone“ „Inlandsflug“ ist."
                in Program.load(path).terms("de"))


def unit_program(unit: dict[str, UnitWords] | None = None) -> Program:
    """One of every sentence that names the unit."""
    return Program(
        name="Air", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerPurchase(id="one", points=1, min_amount=eur("50.00"),
                                    caps=(PointsCap(points=1, per="day"),)),
                  PointsPerAmount(id="per", points=4, per=eur("1.00"))),
            events=(PointsForEvent(id="signup", on="signup", points=1),
                    PointsForEvent(id="partner", on="custom", name="partner_credit",
                                   points_from="miles", max_points=100_000)),
            rewards=(Reward(id="upgrade", name="Upgrade", points=7_000, auto_issue=True),
                     PointsAsCurrency(id="pay", name="pay", point_value=eur("0.01"),
                                      min_points=1, step=100)),
            expiry=FixedLifetime(months=36), pending_days=14, min_balance=1,
            unit=unit or {}),
        balances={"status": PointScheme(
            earn=(PointsPerPurchase(id="flown", points=500),), redeemable=False,
            labels={"en": "status miles", "de": "Statusmeilen"},
            unit={"en": UnitWords(one="status mile", other="status miles"),
                  "de": UnitWords(one="Statusmeile", other="Statusmeilen")})},
        tiers=TierLadder(tiers=(Tier(id="ftl", name="Frequent Traveller", requires=MinPoints(
            points=35_000, balance="status", label="status miles"),
            benefits=TierBenefits(points_multiplier=2)),)))


class TestUnit:
    """A scheme's unit in the words of each locale, wherever the terms count its points."""

    def test_the_terms_count_in_the_unit(self) -> None:
        """Every sentence of the miles program says miles; the status balance its own."""
        english, german = unit_program(MILES).terms("en"), unit_program(MILES).terms("de")
        for sentence in (
                "Earning miles\n", "Every purchase over 50.00 EUR earns you 1 mile.",
                "At most 1 mile per day.", "You earn 4 miles for every 1.00 EUR you spend.",
                "Amounts under a full 1.00 EUR earn no miles.",
                "You get 1 mile for signing up.",
                "gives the miles it states, from 1 up to 100,000 miles.",
                "Miles from a purchase become available 14 days after it",
                "Miles you have already spent are set off against your future miles.",
                "Expiry of miles\n", "Miles expire 36 months after you earn them.",
                "For 7,000 miles you get “Upgrade”.",
                "as soon as you have 7,000 miles.",
                "You can pay with miles: each mile is worth 0.01 EUR. Redeemable from 1 mile. "
                "In steps of 100 miles.",
                "You can redeem miles once your balance is at least 1 mile.",
                "A redemption uses your oldest miles first.",
                "Earning status miles\n",
                "These status miles cannot be redeemed; they only count towards tiers.",
                "Every purchase earns you 500 status miles.",
                "Requirement: 35,000 status miles. Benefits: miles ×2."):
            assert sentence in english, sentence
        for sentence in (
                "Meilen sammeln\n", "Jeder Einkauf über 50,00 EUR bringt Ihnen 1 Meile.",
                "Höchstens 1 Meile pro Tag.", "Für je 1,00 EUR Einkaufswert erhalten Sie 4 Meilen.",
                "Für Restbeträge unter 1,00 EUR gibt es keine Meilen.",
                "Für Ihre Anmeldung erhalten Sie 1 Meile.",
                "bringt Ihnen die darin genannten Meilen, mindestens 1 und höchstens 100.000 "
                "Meilen. Ein Ereignis, dessen Meilen außerhalb dieses Bereichs liegen, wird "
                "abgelehnt und bringt keine Meilen.",
                "Meilen aus einem Einkauf werden 14 Tage danach gutgeschrieben",
                "Für bereits eingelöste Meilen werden künftige Meilen einbehalten.",
                "Verfall der Meilen\n", "Meilen verfallen 36 Monate, nachdem Sie sie gesammelt",
                "Für 7.000 Meilen erhalten Sie „Upgrade“.",
                "sobald Sie 7.000 Meilen haben.",
                "Sie können Meilen wie Geld einlösen: 1 Meile ist 0,01 EUR wert. Mindestens "
                "1 Meile je Einlösung. Einlösbar in Schritten: 100 Meilen oder ein Vielfaches "
                "davon.",
                "Sie können Meilen einlösen, sobald Ihr Guthaben mindestens 1 Meile beträgt.",
                "Beim Einlösen werden zuerst Ihre ältesten Meilen verwendet.",
                "Statusmeilen sammeln\n",
                "Diese Statusmeilen können nicht eingelöst werden; sie zählen nur für Stufen.",
                "Jeder Einkauf bringt Ihnen 500 Statusmeilen.",
                "Voraussetzung: 35.000 Statusmeilen. Vorteile: Meilen ×2."):
            assert sentence in german, sentence
        assert not re.search(r"(?i)\bpoints?\b", english)
        assert "Punkt" not in german

    def test_without_words_in_a_locale_the_catalogue_counts_points(self) -> None:
        """Words declared for German only leave English as it was, word for word."""
        german_only = unit_program({"de": MILES["de"]})
        assert german_only.terms("en") == unit_program().terms("en")
        assert "Jeder Einkauf über 50,00 EUR bringt Ihnen 1 Meile." in german_only.terms("de")
        assert ("Jeder Einkauf über 50,00 EUR bringt Ihnen einen Punkt."
                in unit_program().terms("de"))

    def test_the_statement_counts_in_the_unit(self) -> None:
        """Headings, balances, lots and the tier progress say the units."""
        program = unit_program(MILES)
        at = datetime(2026, 3, 2, 10, tzinfo=BERLIN)
        state = program.apply(None, Purchase(id="A-1", member_id="m-1", at=at,
                                             amount=eur("60.00"))).state
        later = datetime(2026, 3, 20, tzinfo=BERLIN)
        de = program.statement(state, later, "de").to_text()
        en = program.statement(state, later, "en").to_text()
        assert "\nMeilen\n- Verfügbar: 241 Meilen.\n- 1 Meile vom 02.03.2026, gültig" in de
        assert "\n- 240 Meilen vom 02.03.2026, gültig bis 02.03.2029." in de
        assert "\nStatusmeilen\n- Verfügbar: 500 Statusmeilen." in de
        assert "Noch 34.500 Statusmeilen bis Frequent Traveller" in de
        assert "\nMiles\n- Available: 241 miles.\n- 1 mile from Mar 2, 2026, valid" in en
        assert "Still 34,500 status miles to Frequent Traveller" in en

    def test_an_old_effect_is_said_in_its_balance_unit(self) -> None:
        """An effect stored before reasons were data is said from its fields, in the unit of
        the balance it names."""
        program = unit_program(MILES)
        decision = program.apply(None, Purchase(id="A-1", member_id="m-1", at=datetime(
            2026, 3, 2, 10, tzinfo=BERLIN), amount=eur("60.00")))
        said = []
        for effect in decision.effects:
            data = effect.model_dump(mode="json")
            del data["reason_key"], data["reason_args"]
            said.append(program.render_effect(type(effect).model_validate(data), "de"))
        assert said == [
            "1 Meile gesammelt, verfügbar ab 16.03.2026, gültig bis 02.03.2029 (A-1)",
            "240 Meilen gesammelt, verfügbar ab 16.03.2026, gültig bis 02.03.2029 (A-1)",
            "500 Statusmeilen gesammelt (A-1)"]

    def test_explain_says_the_english_words(self) -> None:
        """``Program.explain`` counts in the English unit where the scheme says it."""
        text = unit_program(MILES).explain()
        for line in ("- 1 mile for every order over 50.00 EUR, at most 1 mile per day",
                     "- 4 miles per 1.00 EUR (total rounded down)",
                     "Miles become available 14 days after the order (the return window).",
                     "- 7,000 miles buy an Upgrade, issued automatically",
                     "- miles pay 0.01 EUR each, from 1 mile in steps of 100",
                     "Any redemption needs a balance of at least 1 mile.",
                     "Miles expire 36 months after they are earned.",
                     "- 500 status miles for every order", "Status miles never expire."):
            assert f"\n{line}\n" in text, line
        assert "point" not in unit_program(MILES).points.model_copy(
            update={"unit": {"en": MILES["en"]}}).events[1].describe(MILES["en"])

    def test_json_round_trip_and_unchanged_json_without_unit(self) -> None:
        """A scheme with a unit reads back equal; one without dumps no ``unit`` key."""
        program = unit_program(MILES)
        assert Program.model_validate_json(program.model_dump_json()) == program
        data = json.loads(program.model_dump_json())
        assert data["points"]["unit"] == {"en": {"one": "mile", "other": "miles"},
                                          "de": {"one": "Meile", "other": "Meilen"}}
        assert '"unit"' not in PointScheme().model_dump_json()

    @pytest.mark.parametrize(("unit", "mentions"), [
        ({"de": {"one": "", "other": "Meilen"}}, "one"),
        ({"de": {"one": "Meile"}}, "other"),
        ({"German": {"one": "Meile", "other": "Meilen"}}, "unit"),
        ({"de": {"one": "Meile", "other": "Meilen", "gender": "f"}}, "gender"),
    ])
    def test_bad_words_are_refused(self, unit: dict[str, Any], mentions: str) -> None:
        """Empty or missing words, a key that is no locale, an unknown field."""
        with pytest.raises(InvalidProgram, match=mentions):
            Program.model_validate({"name": "x", "points": {"unit": unit}})


class TestCatalogue:
    """Every message that counts points has a variant in the unit's words, in every locale."""

    def test_every_variant_has_its_message(self) -> None:
        """A ``.unit`` variant varies a message of the catalogue, with as many forms."""
        source = _read(LOCALES_DIR / "reciprocity.pot")[0]
        variants = [key for key in source if key.endswith(".unit")]
        assert len(variants) > 60
        for key in variants:
            assert key[:-5] in source, key
            assert len(source[key]) == len(source[key[:-5]]), key

    def test_every_message_that_says_points_has_a_variant(self) -> None:
        """Each message (reasons too) whose English says "point" has a ``.unit`` variant,
        and no variant says "point"."""
        source = _read(LOCALES_DIR / "reciprocity.pot")[0]
        for key, forms in source.items():
            if key.endswith(".unit"):
                continue
            if any(re.search(r"(?i)\bpoints?\b", re.sub("{[^}]*}", "", form)) for form in forms):
                assert key + ".unit" in source, key
            if key + ".unit" in source:
                assert not any("point" in form for form in source[key + ".unit"]), key

    @pytest.mark.parametrize("locale", available_locales())
    @pytest.mark.parametrize("n", [1, 2, 1_000])
    def test_every_variant_renders(self, locale: str, n: int) -> None:
        """Every variant renders in every locale with the words, and says them."""
        source = _read(LOCALES_DIR / "reciprocity.pot")[0]
        c = catalogue(locale).with_unit(("wordone", "wordother"))
        values = {name: f"<{name}>" for name in (
            "amount", "per", "fields", "name", "low", "factor", "condition", "categories",
            "period", "event", "duration", "cutoff", "start", "item", "value", "rules",
            "earned", "date", "reward", "text", "code", "order", "eligible", "rate",
            "state", "rule", "months", "why", "back", "earning", "about", "tiers")}
        for key in (key[:-5] for key in source if key.endswith(".unit")):
            text = c.t(key, n=n, **values)
            assert "wordone" in text.lower() or "wordother" in text.lower(), (key, text)
            assert "punkt" not in text.lower(), (key, text)
            assert "point" not in text.lower(), (key, text)


class TestCheck:
    """``Program.check`` finds words given for part of what they name."""

    def test_a_value_without_a_label_beside_labelled_ones(self) -> None:
        """German labels two of three zones: the third is named, per locale."""
        found = [f for f in zone_program().check() if f.code == "value-label-missing"]
        assert [(f.severity, f.rule_id) for f in found] == [("warning", "zone")] * 2
        assert "labels its values in de but not 'intercontinental'" in found[0].message
        assert "in en but not 'continental', 'intercontinental'" in found[1].message

    def test_unit_words_for_some_locales(self) -> None:
        """Words in German only: English counts points, an info says so; words in every
        catalogue locale, or none, find nothing."""
        (found,) = [f for f in unit_program({"de": MILES["de"]}).check()
                    if f.code == "unit-words-missing"]
        assert found.severity == "info"
        assert "Program.points.unit has words in de but not in en" in found.message
        for unit in (MILES, None):
            assert not [f for f in unit_program(unit).check() if f.code.endswith("-missing")]

    def test_the_miles_example_is_clean(self) -> None:
        """The worked example labels every value and gives both balances words in both
        locales."""
        program = load_example("miles_and_more").PROGRAM
        assert not [f for f in program.check() if f.code.endswith("-missing")]


WORDS = {"en": {"one": "zorb", "other": "zorbs"}, "de": {"one": "Zorb", "other": "Zorbe"}}
QUOTED = re.compile(r"“[^”]*”|„[^“]*“")  # declared names and labels, said as shop data


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(full_programs())
def test_with_words_no_sentence_counts_points(program: Program) -> None:
    """Any drawn program whose schemes all have unit words states every feature in both
    locales without the word "point" ("Punkt") outside the shop's own quoted names."""
    data = program.model_dump(mode="json")
    data["points"]["unit"] = WORDS
    for scheme in data.get("balances", {}).values():
        scheme["unit"] = WORDS
    worded = Program.model_validate(data)
    names = [reward.name for scheme in (worded.points, *worded.balances.values())
             for reward in scheme.rewards]  # a reward's name heads its item, unquoted
    for locale in ("en", "de"):
        text = QUOTED.sub("", worded.terms(locale))
        for name in names:
            text = text.replace(f"- {name}: ", "- ")
        assert "{" not in text
        assert not re.search(r"(?i)\bpoints?\b|punkt", text), text
        if worded.points.earn:
            assert "zorb" in text.lower()
