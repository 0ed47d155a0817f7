"""Program.terms: golden texts for the seed program and one program per family, in English and
German, and example tests of the phrases the goldens do not reach.

The goldens live in ``tests/golden/terms/<program>.<locale>.<ext>``; they were read for
grammar (no doubled words, singular and plural, German capitalisation and number format).
After a deliberate change of wording, rewrite them with ``RECIPROCITY_UPDATE_GOLDENS=1`` and
read the diff.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from _load import EXAMPLES, load_file
from reciprocity import (
    AnniversaryGift,
    BirthdayGift,
    Budget,
    CalendarCutoff,
    CampaignMultiplier,
    Cap,
    CategoryGift,
    CategoryMultiplier,
    CategorySample,
    ChannelIs,
    Diminishing,
    Downgrade,
    DriftRule,
    During,
    EndOfMonthAfter,
    FeedbackRequest,
    FirstOrderGift,
    FixedLifetime,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    Inactivity,
    LateResponseStep,
    MinOrders,
    MinPoints,
    MinSpend,
    Money,
    MonthsFromQualifying,
    NthOrderGift,
    OrderOverGift,
    Period,
    PointsAsCurrency,
    PointsCap,
    PointScheme,
    PointsCompensation,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    PurchaseCountAtLeast,
    RefundShare,
    ResponseTime,
    Reward,
    RollingMonths,
    SeasonalGift,
    Stock,
    SurpriseGift,
    ThankYouGift,
    Tier,
    TierBenefits,
    TierGift,
    TierLadder,
    TierMultiplier,
    Validity,
    VoucherCompensation,
    WelcomeGift,
    seed_program,
)

pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")

GOLDEN = Path(__file__).resolve().parent / "golden" / "terms"
BERLIN = ZoneInfo("Europe/Berlin")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def gift(gift_id: str, name: str, kind: str, value: str, **extra: object) -> Gift:
    return Gift(id=gift_id, name=name, kind=kind, value=eur(value), **extra)  # type: ignore[arg-type]


def points_program() -> Program:
    """Every point feature: per amount with filters, multipliers, caps, events, pending,
    calendar cut-off expiry, a voucher and points as money."""
    black_week = During(start=datetime(2026, 11, 23, tzinfo=BERLIN),
                        end=datetime(2026, 11, 30, tzinfo=BERLIN))
    return Program(
        name="Kaffeeclub", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerAmount(
                id="base", per=eur("2.00"), exclude_categories=("gift-card", "shipping"),
                multipliers=(CategoryMultiplier(categories=("coffee",), factor=Decimal(2)),
                             CampaignMultiplier(name="Black Week", factor=Decimal("1.5"),
                                                when=black_week)),
                stacking="best", caps=(PointsCap(points=500, per="month"),),
                when=~ChannelIs(channels=("marketplace",))),),
            events=(PointsForEvent(id="signup", on="signup", points=50),
                    PointsForEvent(id="profile", on="profile_completed", points=1,
                                   required_fields=("birthday", "email")),
                    PointsForEvent(id="review", on="custom", name="review_written",
                                   points=20, caps=(PointsCap(points=40, per="month"),))),
            rewards=(PointsAsCurrency(id="pay", name="Punkte als Zahlungsmittel",
                                      point_value=eur("0.01"), min_points=200, step=100),
                     Reward(id="v5", name="5-Euro-Gutschein", points=500, value=eur("5.00"),
                             validity=Validity(months=3, start="next_month"),
                             auto_issue=True)),
            pending_days=14, release_on="delivered",
            expiry=CalendarCutoff(month=9, day=30, years=3),
            clawback="absorb",
        ))


def tiers_program() -> Program:
    """A three-step ladder: a first tier at once, then spend or orders, then both."""
    return Program(
        name="Modehaus", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=(PointsPerPurchase(id="order", points=1,
                                                   multipliers=(TierMultiplier(),)),)),
        tiers=TierLadder(
            tiers=(Tier(id="bronze", name="Bronze", requires=MinOrders(count=1)),
                   Tier(id="silver", name="Silber",
                        requires=MinSpend(amount=eur("350.00")) | MinOrders(count=10),
                        benefits=TierBenefits(points_multiplier=Decimal("1.5"),
                                              free_shipping=True)),
                   Tier(id="gold", name="Gold",
                        requires=MinSpend(amount=eur("1000.00")) & (
                            MinOrders(count=20) | MinPoints(points=1)),
                        benefits=TierBenefits(points_multiplier=Decimal(2),
                                              early_access_days=3,
                                              goodwill_factor=Decimal("1.5"),
                                              perks=("birthday-gift",)))),
            period=RollingMonths(months=12), validity=MonthsFromQualifying(months=12),
            downgrade=Downgrade(to="one_step", grace_months=2, grace_days=1, floor="silver",
                                on_return=True)))


def gifts_program() -> Program:
    """Every gift rule, with budgets, stock, caps, consents and what a return does."""
    return Program(
        name="Teehaus", currency="EUR", timezone="Europe/Berlin",
        gifts=GiftScheme(
            rules=(
                WelcomeGift(id="welcome", consents=("email",), within_days=30,
                            gift=gift("ebook", "Tee-E-Book", "e-book", "4.99")),
                FirstOrderGift(id="first", gift=gift("mug", "Teetasse", "physical", "8.00")),
                NthOrderGift(id="fifth", every=5,
                             gift=gift("box", "Probenbox", "sample", "4.00")),
                OrderOverGift(id="over-80", amount=eur("80.00"), budget="samples",
                              gift=gift("tea", "Teeprobe", "sample", "2.50")),
                CategoryGift(id="matching", samples=(
                    CategorySample(category="Grüntee",
                                   gift=gift("green", "Grüntee-Probe", "sample", "2.00")),
                    CategorySample(category="Schwarztee",
                                   gift=gift("black", "Schwarztee-Probe", "sample", "2.00")))),
                SurpriseGift(id="lucky", probability=Decimal("0.05"), min_amount=eur("30.00"),
                             gift=gift("choc", "Schokolade", "sample", "3.00")),
                BirthdayGift(id="birthday", window="month", min_order=eur("20.00"),
                             ignore_changed_days=30, cap=Cap(count=1, per=Period.YEAR),
                             gift=gift("bday", "Geburtstagsgutschein", "voucher", "5.00",
                                       valid_days=30)),
                AnniversaryGift(id="anniversary", years=(1, 5),
                                gift=gift("anniv", "Jubiläumsgutschein", "voucher", "10.00")),
                TierGift(id="gold", reached=("gold",),
                         gift=gift("goldbox", "Gold-Box", "physical", "15.00")),
                SeasonalGift(id="xmas", start="12-01", end="12-24", top_percent=Decimal(10),
                             gift=gift("basket", "Weihnachtskorb", "physical", "40.00",
                                       stock="baskets")),
                SeasonalGift(id="sale", start="03-01", end="03-07", years=(2027,),
                             gift=gift("early", "Frühjahrsvorverkauf", "early-access", "0")),
                ThankYouGift(id="thanks", orders=5, spend=eur("300.00"), match="any",
                             percent_of_spend=Decimal(5), cooldown_days=1,
                             gift=gift("ty", "Dankeschön-Gutschein", "voucher", "20.00")),
                DriftRule(id="drift", quiet_days=90, consents=("email",),
                          message=FeedbackRequest(id="miss-you", text="Wir vermissen Sie!"),
                          gift=gift("comeback", "Willkommen-zurück-Gutschein", "voucher",
                                    "5.00")),
            ),
            budgets=(Budget(id="samples", count=100, per=Period.MONTH),),
            stock=(Stock(id="baskets", units=200),)))


def goodwill_program() -> Program:
    """Goodwill with every criterion, step, bound and outcome."""
    return Program(
        name="Elektronikmarkt", currency="EUR", timezone="Europe/Berlin",
        goodwill=GoodwillPolicy(
            rules=(
                GoodwillRule(id="late", categories=("late_delivery",),
                             compensation=VoucherCompensation(value=eur("5.00"),
                                                              valid_days=90)),
                GoodwillRule(id="damaged", categories=("damaged", "quality"), min_severity=2,
                             min_order_value=eur("20.00"),
                             by_severity=(Decimal(1), Decimal(1), Decimal("1.5"), Decimal(2),
                                          Decimal(2)),
                             compensation=VoucherCompensation(percent=Decimal(10),
                                                              max=eur("20.00"))),
                GoodwillRule(id="kulanz", categories=("quality",), tiers=("gold",),
                             past_return_window=30, approval=True,
                             compensation=RefundShare(percent=Decimal(100))),
                GoodwillRule(id="slow", late_response=True,
                             when=PurchaseCountAtLeast(count=3),
                             compensation=PointsCompensation(points=1)),
            ),
            response_time=ResponseTime(promised_hours=24, steps=(
                LateResponseStep(factor=Decimal("1.5")),
                LateResponseStep(late_by_hours=48, factor=Decimal(2)))),
            diminishing=Diminishing(window_days=30, factors=(Decimal(1), Decimal(1),
                                                             Decimal("0.5"), Decimal(0))),
            caps=(Cap(amount=eur("50.00"), per=Period.MONTH),),
            budget=Budget(id="goodwill", amount=eur("2000.00"), per=Period.MONTH,
                          when_exhausted="approval"),
            max_per_complaint=eur("40.00"), approval_above=eur("30.00"),
            point_value=eur("0.10"),
            on_unknown_order="no_compensation", on_duplicate="refer_to_service"))


def example_program(name: str) -> Program:
    """The program of ``docs/examples/<name>.py`` (the passenger-rights examples: a shop's
    own complaint categories, fact conditions, Elapsed times and band tables)."""
    program: Program = load_file(EXAMPLES / f"{name}.py", f"terms_{name}").program()
    return program


PROGRAMS = {"seed": seed_program, "points": points_program, "tiers": tiers_program,
            "gifts": gifts_program, "goodwill": goodwill_program,
            "eu261": lambda: example_program("eu261_air_passengers"),
            "rail": lambda: example_program("rail_passenger_rights")}
DOUBLED = re.compile(r"\b(\w+) \1\b")  # case matters: "Sie sie" is German


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("RECIPROCITY_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; write it with RECIPROCITY_UPDATE_GOLDENS=1"
    assert text == path.read_text(encoding="utf-8")


class TestGoldens:
    @pytest.mark.parametrize("locale", ["en", "de"])
    @pytest.mark.parametrize("name", sorted(PROGRAMS))
    def test_text(self, name: str, locale: str) -> None:
        """The terms of each program read as in the golden file."""
        check_golden(f"{name}.{locale}.txt", PROGRAMS[name]().terms(locale))

    @pytest.mark.parametrize("locale", ["en", "de"])
    def test_markdown(self, locale: str) -> None:
        """The Markdown of the gifts program (labels, escaping) reads as in the golden file."""
        check_golden(f"gifts.{locale}.md", gifts_program().terms(locale, "markdown"))

    @pytest.mark.parametrize("locale", ["en", "de"])
    @pytest.mark.parametrize("name", sorted(PROGRAMS))
    def test_no_doubled_word_or_placeholder(self, name: str, locale: str) -> None:
        """No word is doubled ("after they are earned after they are earned") and no
        placeholder is left."""
        text = PROGRAMS[name]().terms(locale)
        assert DOUBLED.search(text) is None
        assert "{" not in text
        assert "}" not in text


def one_rule_terms(locale: str, **points: object) -> str:
    points.setdefault("earn", (PointsPerPurchase(id="r", points=1),))
    program = Program(name="P", currency="EUR", timezone="Europe/Berlin",
                      points=PointScheme(**points))  # type: ignore[arg-type]
    return program.terms(locale)


class TestExpiry:
    @pytest.mark.parametrize(("expiry", "en", "de"), [
        (None, "Points never expire.", "Punkte verfallen nicht."),
        (FixedLifetime(months=24), "Points expire 24 months after you earn them.",
         "Punkte verfallen 24 Monate, nachdem Sie sie gesammelt haben."),
        (FixedLifetime(months=1, days=1),
         "Points expire 1 month and 1 day after you earn them.",
         "Punkte verfallen 1 Monat und 1 Tag, nachdem Sie sie gesammelt haben."),
        (EndOfMonthAfter(months=0), "Points expire at the end of the month in which you earn "
         "them.", "Punkte verfallen am Ende des Monats, in dem Sie sie sammeln."),
        (EndOfMonthAfter(months=1), "Points expire one month after the end of the month in "
         "which you earn them.", "Punkte verfallen einen Monat nach Ende des Monats, in dem "
         "Sie sie sammeln."),
        (CalendarCutoff(month=12, day=31, years=1), "Every year at the end of December 31, "
         "the points you collected before January 1 of the year before expire.",
         "Jedes Jahr mit Ablauf des 31. Dezember verfallen die Punkte, die Sie vor dem "
         "1. Januar des Vorjahres gesammelt haben."),
        (Inactivity(months=18), "All your points expire when you have had no activity (a "
         "purchase, a redemption or points earned) for 18 months.",
         "Alle Ihre Punkte verfallen, wenn Sie 18 Monate lang keine Aktivität (Einkauf, "
         "Einlösung oder Punktegutschrift) hatten."),
    ])
    def test_every_mode(self, expiry: object, en: str, de: str) -> None:
        """Each expiry mode has its own sentence, in both languages."""
        assert f"- {en}\n" in one_rule_terms("en", expiry=expiry)
        assert f"- {de}\n" in one_rule_terms("de", expiry=expiry)


class TestPhrases:
    def test_brief_sentences(self) -> None:
        """The seed program reads as a German shop would publish it."""
        text = seed_program().terms("de")
        assert "- Jeder Einkauf über 50,00 EUR bringt Ihnen einen Punkt.\n" in text
        assert "Für 10 Punkte erhalten Sie einen Gutschein über 10,00 EUR." in text

    @pytest.mark.parametrize(("points", "en", "de"), [
        (1, "earns you one point.", "bringt Ihnen einen Punkt."),
        (2, "earns you 2 points.", "bringt Ihnen 2 Punkte."),
        (1000, "earns you 1,000 points.", "bringt Ihnen 1.000 Punkte."),
    ])
    def test_plural_and_number_format(self, points: int, en: str, de: str) -> None:
        """Singular and plural, and thousands separators, per locale."""
        earn = (PointsPerPurchase(id="r", points=points, min_amount=eur("1050.00")),)
        assert f"Every purchase over 1,050.00 EUR {en}" in one_rule_terms("en", earn=earn)
        assert f"Jeder Einkauf über 1.050,00 EUR {de}" in one_rule_terms("de", earn=earn)

    def test_currency_decimals(self) -> None:
        """Money shows the currency's own decimals: none for yen."""
        program = Program(name="P", currency="JPY", points=PointScheme(earn=(
            PointsPerPurchase(id="r", points=1, min_amount=Money("5000", "JPY")),)))
        assert "über 5.000 JPY" in program.terms("de")

    def test_inclusive_threshold(self) -> None:
        """"At least" reads "ab" in German."""
        earn = (PointsPerPurchase(id="r", points=3, min_amount=eur("50"), inclusive=True),)
        assert "Jeder Einkauf ab 50,00 EUR bringt Ihnen 3 Punkte." in one_rule_terms(
            "de", earn=earn)

    def test_format_is_checked(self) -> None:
        """An unknown format is refused, naming the choices."""
        with pytest.raises(ValueError, match='use "text" or "markdown"'):
            seed_program().terms("en", "html")

    def test_markdown_escapes_shop_data(self) -> None:
        """A name with Markdown characters is escaped, so it shows as written."""
        program = Program(name="P *shop*", points=PointScheme(rewards=(Reward(
            id="v", name="voucher_[10]", points=10, value=eur("10.00")),)))
        text = program.terms("en", "markdown")
        assert "# P \\*shop\\*" in text
        assert "**voucher\\_\\[10\\]**" in text


class TestExplain:
    @pytest.mark.parametrize(("expiry", "line"), [
        (FixedLifetime(months=12), "Points expire 12 months after they are earned."),
        (Inactivity(months=18), "Points expire 18 months after the member's last activity."),
    ])
    def test_expiry_line_says_it_once(self, expiry: object, line: str) -> None:
        """explain() no longer says "after they are earned after they are earned"."""
        program = Program(name="P", points=PointScheme(expiry=expiry))  # type: ignore[arg-type]
        assert program.explain().splitlines()[-1] == line
        assert DOUBLED.search(program.explain()) is None
