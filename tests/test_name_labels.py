"""A program's own names in its customers' words (``Program.labels``), counts with a
thousands separator in English reasons, trace lines in a scheme's unit, tiers by name."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    CategoryMultiplier,
    Custom,
    GoodwillPolicy,
    GoodwillRule,
    Line,
    MinOrders,
    Money,
    NameLabels,
    PointScheme,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    RefundShare,
    Tier,
    TierLadder,
    UnitWords,
)
from reciprocity._reason import Msg, Named, decode_args, encode_args, english, render
from reciprocity._reason_forms import Form
from reciprocity.cli import main

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
LABELS = NameLabels(
    categories={"deposit": {"en": "bottle deposit", "de": "Flaschenpfand"},
                "gift_card": {"en": "gift cards", "de": "Geschenkkarten"}},
    events={"partner_credit": {"en": "partner credit", "de": "Partnergutschrift"}})


def shop(labels: NameLabels | None = None, unit: bool = False) -> Program:
    """Points per euro except deposits and gift cards, a partner event, a category bonus."""
    return Program(
        name="Shop", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="euro", points=1, per=Money("1.00", "EUR"),
                                  exclude_categories=("deposit", "gift_card"),
                                  multipliers=(CategoryMultiplier(categories=("gift_card",),
                                                                  factor=Decimal(2)),))],
            events=[PointsForEvent(id="partner", on="custom", name="partner_credit",
                                   points_from="points", min_points=1, max_points=100_000)],
            unit={"en": UnitWords(one="mile", other="miles"),
                  "de": UnitWords(one="Meile", other="Meilen")} if unit else {}),
        **({} if labels is None else {"labels": labels}))


def partner(program: Program, points: int) -> Any:
    return program.apply(None, Custom(id="P-1", member_id="m-1", at=AT, name="partner_credit",
                                      payload={"points": points}))


class TestDeclaration:
    def test_round_trip_in_json_and_yaml(self, tmp_path: Path) -> None:
        """Labels are saved with the program and read back from JSON and YAML files."""
        program = shop(LABELS)
        assert Program.model_validate_json(program.model_dump_json()) == program
        path = tmp_path / "program.yaml"
        path.write_text(yaml.safe_dump(json.loads(program.model_dump_json())),
                        encoding="utf-8")
        assert Program.load(path) == program

    def test_left_out_of_json_without_labels(self) -> None:
        """A program that labels nothing dumps as before (no ``labels`` key)."""
        assert "labels" not in json.loads(shop().model_dump_json())

    def test_in_the_json_schema(self) -> None:
        schema = json.dumps(Program.model_json_schema())
        assert "NameLabels" in schema
        assert "categories" in schema

    def test_regional_locale_falls_back(self) -> None:
        assert LABELS.category("deposit", "de_AT") == "Flaschenpfand"
        assert LABELS.event("partner_credit", "fr") is None


class TestTerms:
    @pytest.fixture(autouse=True)
    def _babel(self) -> None:
        pytest.importorskip("babel")

    @pytest.mark.parametrize(("locale", "said"), [
        ("en", ["“bottle deposit” and “gift cards”", "“partner credit”"]),
        ("de", ["„Flaschenpfand“ und „Geschenkkarten“", "„Partnergutschrift“"]),
    ])
    def test_terms_say_the_labels(self, locale: str, said: list[str]) -> None:
        terms = shop(LABELS).terms(locale)
        for text in said:
            assert text in terms
        assert "deposit“" not in terms
        assert "gift_card" not in terms
        assert "partner_credit" not in terms

    def test_without_labels_the_names(self) -> None:
        terms = shop().terms("en")
        assert "“deposit” and “gift_card”" in terms
        assert "“partner_credit”" in terms

    @settings(max_examples=25, deadline=None)
    @given(name=st.from_regex(r"[a-z]{3,8}_[a-z]{3,8}", fullmatch=True),
           label=st.from_regex(r"[A-Z][a-z]{3,10} [a-z]{3,10}", fullmatch=True),
           locale=st.sampled_from(["en", "de"]))
    def test_a_label_stands_wherever_the_name_would(self, name: str, label: str,
                                                    locale: str) -> None:
        """The terms with a label are the terms without, the quoted name replaced."""
        def program(labels: NameLabels | None) -> Program:
            return Program(name="S", currency="EUR", points=PointScheme(
                earn=[PointsPerAmount(id="e", points=1, per=Money("1.00", "EUR"),
                                      include_categories=(name,))],
                events=[PointsForEvent(id="x", on="custom", name=name, points=5)]),
                **({} if labels is None else {"labels": labels}))
        labelled = program(NameLabels(categories={name: {locale: label}},
                                      events={name: {locale: label}}))
        plain = program(None).terms(locale)
        quote = ("“{}”" if locale == "en" else "„{}“").format
        assert quote(name) in plain
        assert labelled.terms(locale) == plain.replace(quote(name), quote(label))


class TestReasons:
    def test_an_event_reason_says_its_label(self) -> None:
        (earned,) = partner(shop(LABELS), 1500).effects
        assert earned.reason == "1,500 points for partner credit P-1"
        assert earned.reason_args["name"] == Named(
            "partner_credit", (("de", "Partnergutschrift"), ("en", "partner credit")))
        pytest.importorskip("babel")
        assert earned.render("de") == "1.500 Punkte für Partnergutschrift P-1"

    def test_without_labels_the_reason_is_as_before(self) -> None:
        (earned,) = partner(shop(), 1500).effects
        assert earned.reason_args["name"] == "partner_credit"
        assert earned.reason == "1,500 points for partner_credit P-1"

    def test_a_category_note_says_its_label(self) -> None:
        program = Program(name="S", currency="EUR", labels=LABELS, points=PointScheme(earn=[
            PointsPerPurchase(id="p", points=10, multipliers=(
                CategoryMultiplier(categories=("gift_card",), factor=Decimal(2)),))]))
        line = Line(sku="G-1", category="gift_card", quantity=1,
                    unit_price=Money("30.00", "EUR"))
        decision = program.apply(None, Purchase(id="A-1", member_id="m-1", at=AT,
                                                amount=Money("30.00", "EUR"), lines=[line]))
        (earned,) = decision.effects
        assert earned.reason == "20 points for order A-1 (x2 for gift cards)"
        pytest.importorskip("babel")
        assert "Geschenkkarten" in earned.render("de")

    def test_json_keeps_the_labels(self) -> None:
        (earned,) = partner(shop(LABELS), 2).effects
        dumped = json.loads(earned.model_dump_json())
        assert dumped["reason_args"]["name"] == [
            "named", ["partner_credit", {"de": "Partnergutschrift", "en": "partner credit"}]]
        assert type(earned).model_validate_json(earned.model_dump_json()) == earned

    @given(st.text(min_size=1, max_size=8), st.dictionaries(
        st.sampled_from(["en", "de", "fr"]), st.text(min_size=1, max_size=8), max_size=3))
    def test_named_round_trip(self, name: str, labels: dict[str, str]) -> None:
        named = Named(name, tuple(sorted(labels.items())))
        assert decode_args(json.loads(json.dumps(encode_args({"x": named})))) == {"x": named}
        assert english("reason.note.categories", {"factor": Decimal(2), "categories": (
            named,)}) == f"x2 for {labels.get('en', name)}"


class TestCounts:
    @given(st.integers(1000, 10**12), st.text(alphabet="ABC-123", min_size=1, max_size=6))
    def test_english_counts_from_1000_carry_a_separator(self, n: int, order: str) -> None:
        """Counts of 1,000 and more are grouped, and the compiled form writes the same."""
        text = english("reason.earned.order", {"n": n, "order": order})
        assert text == f"{n:,} points for order {order}"
        assert Form("reason.earned.order", "n", "order").write(n, order) == text
        assert Form("reason.earned.order", "n", "order", unit=("mile", "miles")).write(
            n, order) == f"{n:,} miles for order {order}"

    @given(st.integers(-999, 999))
    def test_small_counts_are_as_before(self, n: int) -> None:
        assert english("reason.earned.order", {"n": n, "order": "A"}).startswith(f"{n} ")

    def test_years_and_ids_are_never_grouped(self) -> None:
        """A year and an order id are texts in a reason: never grouped."""
        assert english("reason.tier.window.year", {"year": "2026"}) == "in 2026"
        assert english("reason.earned.order", {"n": 1, "order": "10000"}) == (
            "1 point for order 10000")

    def test_money_and_decimal_counts(self) -> None:
        args = {"n": 2000, "order": "A-1", "eligible": Money("12345.5", "EUR"),
                "rate": Msg("reason.rate", {"n": Decimal("1500.5"), "per": Money("1", "EUR")})}
        assert english("reason.earned.amount", args) == (
            "2,000 points for order A-1: 12,345.50 EUR at 1,500.5 points per 1.00 EUR")
        pytest.importorskip("babel")
        assert render("reason.earned.amount", args, "de").startswith("2.000 Punkte")


class TestTrace:
    def test_trace_lines_count_in_the_unit(self) -> None:
        decision = partner(shop(LABELS, unit=True), 1500)
        details = [entry.detail for entry in decision.trace]
        assert "1,500 miles for partner credit P-1" in details

    def test_a_rule_that_earns_nothing_says_the_unit(self) -> None:
        program = Program(name="S", currency="EUR", points=PointScheme(
            earn=[PointsPerAmount(id="e", points=1, per=Money("10.00", "EUR"))],
            unit={"en": UnitWords(one="star", other="stars")}))
        decision = program.apply(None, Purchase(id="A-1", member_id="m-1", at=AT,
                                                amount=Money("5.00", "EUR")))
        assert any(entry.detail.startswith("no stars for order A-1")
                   for entry in decision.trace), decision.trace


class TestTierNames:
    def test_goodwill_rule_and_explain_name_tiers(self) -> None:
        program = Program(
            name="S", currency="EUR",
            points=PointScheme(earn=[PointsPerPurchase(id="p", points=1)]),
            tiers=TierLadder(tiers=[Tier(id="gold", name="Gold Club",
                                         requires=MinOrders(count=5))]),
            goodwill=GoodwillPolicy(rules=[GoodwillRule(
                id="k", tiers=("gold",), compensation=RefundShare(percent=10))]))
        assert "- any complaint, for Gold Club members: " in program.explain()
        assert program.goodwill is not None
        assert "for gold members" in program.goodwill.rules[0].describe()


class TestCheck:
    def test_a_locale_without_a_label_for_a_named_category_or_event(self) -> None:
        labels = NameLabels(categories={"deposit": {"de": "Flaschenpfand"}},
                            events={"partner_credit": {"en": "partner credit"}})
        found = {(f.code, f.severity) for f in shop(labels).check()}
        assert ("category-label-missing", "warning") in found
        messages = [f.message for f in shop(labels).check()
                    if f.code == "category-label-missing"]
        assert messages
        assert "'gift_card'" in messages[0]
        assert not any(f.code == "event-label-missing" for f in shop(labels).check())

    def test_no_warning_without_labels_or_with_all(self) -> None:
        for program in (shop(), shop(LABELS)):
            assert not any(f.code.endswith("-label-missing") for f in program.check())

    def test_the_cli_reports_it(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                ) -> None:
        labels = NameLabels(categories={"deposit": {"de": "Flaschenpfand"}})
        path = tmp_path / "program.json"
        path.write_text(shop(labels).model_dump_json(), encoding="utf-8")
        main(["check", str(path)])
        assert "category-label-missing" in capsys.readouterr().out
