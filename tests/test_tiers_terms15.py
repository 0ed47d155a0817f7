"""Tier features from issue 15: qualifying spend with the earning rules' line filter, validity
to the end of a named month after the qualification year, and every metric read out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CalendarYear,
    InvalidProgram,
    Line,
    MembershipYear,
    MetricValue,
    MinOrders,
    MinPoints,
    MinSpend,
    Money,
    MonthsFromQualifying,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    Return,
    ReturnedLine,
    RollingMonths,
    Tier,
    TierChanged,
    TierLadder,
    UntilEndOfMonth,
    tier_progress,
)

BERLIN = ZoneInfo("Europe/Berlin")


def eur(amount: str | Decimal) -> Money:
    return Money(amount, "EUR")


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


GOLD = Tier(id="gold", requires=MinSpend(amount=eur("500.00")))
BASE = Tier(id="base", requires=MinSpend(amount=eur("1.00")))


def program(**ladder: Any) -> Program:
    return Program(name="T", currency="EUR", timezone="Europe/Berlin",
                   tiers=TierLadder(tiers=(BASE, GOLD), **ladder))


def line(sku: str, category: str, price: str, quantity: int = 1) -> Line:
    return Line(sku=sku, category=category, quantity=quantity, unit_price=eur(price))


def buy(prog: Program, state: Any, oid: str, amount: str, when: datetime,
        lines: list[Line] | None = None) -> Any:
    return prog.apply(state, Purchase(id=oid, member_id="m-1", at=when, amount=eur(amount),
                                      lines=lines or []))


def spend(prog: Program, state: Any, when: datetime) -> Money:
    value = tier_progress(prog, state, when).metrics[0]
    assert value.metric == "spend"
    assert isinstance(value.current, Money)
    return value.current


EXCLUDING = {"exclude_categories": ("gift_card", "tax", "shipping")}
BASKET = [line("CREAM", "skincare", "200.00", 2), line("GC", "gift_card", "100.00"),
          line("VAT", "tax", "76.00"), line("SHIP", "shipping", "5.00")]


class TestQualifyingSpend:
    def test_gift_cards_tax_and_shipping_do_not_count(self) -> None:
        prog = program(**EXCLUDING)
        decision = buy(prog, None, "A-1", "581.00", at(2026, 4, 1), BASKET)
        assert decision.state.tier is not None
        assert decision.state.tier.tier_id == "base"
        assert spend(prog, decision.state, at(2026, 4, 1)) == eur("400.00")
        assert "400.00 EUR spent" in decision.effects[-1].reason

    def test_without_a_filter_the_whole_amount_counts(self) -> None:
        state = buy(program(), None, "A-1", "581.00", at(2026, 4, 1), BASKET).state
        assert state.tier is not None
        assert state.tier.tier_id == "gold"

    def test_the_purchase_that_crosses_the_threshold_exactly(self) -> None:
        prog = program(**EXCLUDING)
        state = buy(prog, None, "A-1", "581.00", at(2026, 4, 1), BASKET).state
        crossing = buy(prog, state, "A-2", "110.00", at(2026, 4, 2),
                       [line("LIP", "makeup", "100.00"), line("SHIP", "shipping", "10.00")])
        assert [e.to_tier for e in crossing.effects if isinstance(e, TierChanged)] == ["gold"]
        assert spend(prog, crossing.state, at(2026, 4, 2)) == eur("500.00")

    def test_include_categories_and_skus(self) -> None:
        prog = program(include_categories=("skincare", "makeup"), exclude_skus=("CREAM",))
        state = buy(prog, None, "A-1", "581.00", at(2026, 4, 1),
                    [*BASKET, line("LIP", "makeup", "30.00")]).state
        assert spend(prog, state, at(2026, 4, 1)) == eur("30.00")

    def test_an_order_without_lines_counts_in_full(self) -> None:
        prog = program(**EXCLUDING)
        state = buy(prog, None, "A-1", "500.00", at(2026, 4, 1)).state
        assert state.tier is not None
        assert state.tier.tier_id == "gold"

    def test_a_returned_line_lowers_spend_only_if_it_counted(self) -> None:
        prog = program(**EXCLUDING)
        state = buy(prog, None, "A-1", "581.00", at(2026, 4, 1), BASKET).state
        gift_back = prog.apply(state, Return(id="R-1", member_id="m-1", at=at(2026, 4, 5),
                                             purchase_id="A-1",
                                             lines=[ReturnedLine(sku="GC", quantity=1)]))
        assert spend(prog, gift_back.state, at(2026, 4, 5)) == eur("400.00")
        cream_back = prog.apply(gift_back.state, Return(
            id="R-2", member_id="m-1", at=at(2026, 4, 6), purchase_id="A-1",
            lines=[ReturnedLine(sku="CREAM", quantity=1)]))
        assert spend(prog, cream_back.state, at(2026, 4, 6)) == eur("200.00")

    def test_an_amount_return_lowers_the_counted_lines_in_proportion(self) -> None:
        prog = program(**EXCLUDING)
        state = buy(prog, None, "A-1", "581.00", at(2026, 4, 1), BASKET).state
        back = prog.apply(state, Return(id="R-1", member_id="m-1", at=at(2026, 4, 5),
                                        purchase_id="A-1", amount=eur("58.10")))
        assert spend(prog, back.state, at(2026, 4, 5)) == eur("360.00")  # 400 x 90 %
        full = prog.apply(back.state, Return(id="R-2", member_id="m-1", at=at(2026, 4, 6),
                                             purchase_id="A-1"))
        assert spend(prog, full.state, at(2026, 4, 6)) == eur("0.00")

    def test_terms_in_english_and_german(self) -> None:
        pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
        prog = program(**EXCLUDING)
        assert ("Items from “gift_card”, “tax”, and “shipping” do not count towards the spend "
                "for a tier.") in prog.terms("en")
        assert ("Artikel aus „gift_card“, „tax“ und „shipping“ zählen nicht zum Umsatz für "
                "eine Stufe.") in prog.terms("de")

    def test_explained(self) -> None:
        assert ("Qualifying spend counts order lines: not gift_card, tax, shipping."
                in program(**EXCLUDING).explain())

    def test_round_trip(self) -> None:
        prog = program(**EXCLUDING, exclude_skus=("DEPOSIT",))
        assert Program.model_validate_json(prog.model_dump_json()) == prog


class TestUntilEndOfMonth:
    @pytest.mark.parametrize(("month", "years", "reached", "until"), [
        (3, 2, at(2026, 6, 1), datetime(2028, 4, 1, tzinfo=BERLIN)),
        (2, 2, at(2026, 1, 1, 0), datetime(2028, 3, 1, tzinfo=BERLIN)),   # a leap year
        (2, 1, at(2026, 12, 31, 23), datetime(2027, 3, 1, tzinfo=BERLIN)),
        (12, 1, at(2026, 7, 1), datetime(2028, 1, 1, tzinfo=BERLIN)),
        (12, 2, at(2026, 7, 1), datetime(2029, 1, 1, tzinfo=BERLIN)),
    ])
    def test_the_tier_lasts_to_the_named_month_end(self, month: int, years: int,
                                                   reached: datetime, until: datetime) -> None:
        prog = program(validity=UntilEndOfMonth(month=month, years=years))
        state = buy(prog, None, "A-1", "600.00", reached).state
        assert state.tier is not None
        assert state.tier.valid_until == until.astimezone(UTC)
        before = prog.advance(state, until - timedelta(seconds=1))
        assert before.state.tier is not None
        assert before.state.tier.tier_id == "gold"
        after = prog.advance(before.state, until)
        assert after.state.tier is not None
        assert after.state.tier.tier_id is None

    def test_the_year_is_the_programs_zone(self) -> None:
        # 31 Dec 23:30 UTC is 1 Jan in Berlin: the reach belongs to 2027
        prog = program(validity=UntilEndOfMonth(month=3, years=1))
        state = buy(prog, None, "A-1", "600.00", at(2026, 12, 31, 12)).state
        late = prog.apply(None, Purchase(id="A-1", member_id="m-1", amount=eur("600.00"),
                                         at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))).state
        assert state.tier is not None
        assert late.tier is not None
        assert state.tier.valid_until == datetime(2027, 4, 1, tzinfo=BERLIN)
        assert late.tier.valid_until == datetime(2028, 4, 1, tzinfo=BERLIN)

    def test_reaching_it_again_renews_it(self) -> None:
        prog = program(validity=UntilEndOfMonth(month=3, years=2))
        state = buy(prog, None, "A-1", "600.00", at(2026, 6, 1)).state
        renewed = buy(prog, state, "A-2", "600.00", at(2027, 2, 1))
        (change,) = [e for e in renewed.effects if isinstance(e, TierChanged)]
        assert change.change == "renewal"
        assert change.valid_until == datetime(2029, 4, 1, tzinfo=BERLIN)
        kept = prog.advance(renewed.state, at(2028, 4, 2))
        assert kept.state.tier is not None
        assert kept.state.tier.tier_id == "gold"

    def test_the_review_drops_to_what_a_still_valid_year_earns(self) -> None:
        prog = program(validity=UntilEndOfMonth(month=3, years=2))
        state = buy(prog, None, "A-1", "600.00", at(2026, 6, 1)).state
        state = buy(prog, state, "A-2", "20.00", at(2027, 6, 1)).state  # base in 2027
        review = prog.advance(state, at(2028, 4, 1, 1))
        (change,) = [e for e in review.effects if isinstance(e, TierChanged)]
        assert (change.change, change.to_tier) == ("downgrade", "base")
        assert change.valid_until == datetime(2029, 4, 1, tzinfo=BERLIN)

    def test_progress_says_what_keeps_the_tier(self) -> None:
        prog = program(validity=UntilEndOfMonth(month=3, years=2))
        state = buy(prog, None, "A-1", "600.00", at(2026, 6, 1)).state
        message = tier_progress(prog, state, at(2027, 6, 1)).message
        assert message.endswith("500.00 EUR by 31 Dec 2027 to keep gold")

    @pytest.mark.parametrize("period", [MembershipYear(), RollingMonths(months=12)])
    def test_needs_a_calendar_year(self, period: Any) -> None:
        with pytest.raises(InvalidProgram, match="needs a calendar year"):
            program(validity=UntilEndOfMonth(month=3), period=period)

    @pytest.mark.parametrize("kw", [{"month": 0}, {"month": 13}, {"month": 3, "years": 3}])
    def test_bounds(self, kw: dict[str, int]) -> None:
        with pytest.raises(InvalidProgram):
            UntilEndOfMonth(**kw)

    def test_terms_in_english_and_german(self) -> None:
        pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
        prog = program(validity=UntilEndOfMonth(month=3, years=2))
        assert ("A tier lasts until the end of March of the second year after the calendar "
                "year in which you reach it.") in prog.terms("en")
        assert ("Eine Stufe gilt bis Ende März des übernächsten Jahres nach dem Kalenderjahr, "
                "in dem Sie sie erreichen.") in prog.terms("de")
        nxt = program(validity=UntilEndOfMonth(month=2, years=1))
        assert "bis Ende Februar des Jahres, das auf das Kalenderjahr folgt" in nxt.terms("de")


class TestMetrics:
    def test_every_metric_now_and_in_the_last_period(self) -> None:
        points = MinPoints(points=100, rules=("each",), label="qualifying points")
        prog = Program(
            name="M", currency="EUR", timezone="Europe/Berlin",
            points=PointScheme(earn=[PointsPerPurchase(id="each", points=10)]),
            tiers=TierLadder(tiers=(Tier(id="a", requires=MinOrders(count=1)),
                                    Tier(id="b", requires=points | MinSpend(amount=eur("900"))))))
        state = buy(prog, None, "A-1", "100.00", at(2025, 5, 1)).state
        state = buy(prog, state, "A-2", "50.00", at(2025, 12, 31, 23)).state
        state = buy(prog, state, "A-3", "70.00", at(2026, 1, 1, 0)).state
        progress = tier_progress(prog, state, at(2026, 2, 1))
        assert progress.metrics == (
            MetricValue(metric="spend", unit="spend", current=eur("70.00"),
                        previous=eur("150.00")),
            MetricValue(metric="orders", unit="orders", current=1, previous=2),
            MetricValue(metric="points", unit="qualifying points", current=10, previous=20))
        assert progress.period_start == datetime(2026, 1, 1, tzinfo=BERLIN)
        assert progress.previous_start == datetime(2025, 1, 1, tzinfo=BERLIN)

    def test_rolling_and_lifetime_have_no_previous_period(self) -> None:
        prog = program(period=RollingMonths(months=3),
                       validity=MonthsFromQualifying(months=3))
        state = buy(prog, None, "A-1", "100.00", at(2026, 1, 10)).state
        state = buy(prog, state, "A-2", "40.00", at(2026, 3, 10)).state
        progress = tier_progress(prog, state, at(2026, 4, 20))
        assert [(v.current, v.previous) for v in progress.metrics] == [
            (eur("40.00"), None), (1, None)]
        assert progress.previous_start is None

    def test_the_statement_lists_them(self) -> None:
        pytest.importorskip("babel", reason="statements need Babel")
        prog = program(period=CalendarYear())
        state = buy(prog, None, "A-1", "100.00", at(2025, 5, 1)).state
        state = buy(prog, state, "A-2", "70.00", at(2026, 1, 5)).state
        text = prog.statement(state, at(2026, 2, 1)).to_text()
        assert "Counted towards tiers so far: 70.00 EUR spend and one order." in text
        assert "Counted in the last period: 100.00 EUR spend and one order." in text
        german = prog.statement(state, at(2026, 2, 1), locale="de").to_text()
        assert "Bisher für Ihre Stufe gezählt: 70,00 EUR Umsatz und ein Einkauf." in german


# -- properties -------------------------------------------------------------------------------

_LINES = st.lists(st.tuples(st.sampled_from(("skincare", "gift_card", "tax", "makeup")),
                            st.integers(1, 3), st.integers(0, 30_000)),
                  min_size=1, max_size=4)


@given(st.lists(_LINES, min_size=1, max_size=5))
def test_qualifying_spend_is_the_sum_of_the_counted_lines(orders: list[Any]) -> None:
    prog = program(**EXCLUDING)
    state = None
    expected = Decimal(0)
    for n, drawn in enumerate(orders):
        lines = [Line(sku=f"S{n}-{i}", category=cat, quantity=qty,
                      unit_price=eur(Decimal(cents) / 100))
                 for i, (cat, qty, cents) in enumerate(drawn)]
        total = sum((ln.unit_price.amount * ln.quantity for ln in lines), Decimal(0))
        expected += sum((ln.unit_price.amount * ln.quantity for ln in lines
                         if ln.category not in EXCLUDING["exclude_categories"]), Decimal(0))
        state = buy(prog, state, f"A-{n}", str(total or Decimal("0.01")),
                    at(2026, 3, 1 + n), lines).state
    assert spend(prog, state, at(2026, 4, 1)) == eur(expected)


@given(_LINES, st.sampled_from(("gift_card", "tax")))
def test_excluded_lines_never_change_the_tier(drawn: list[Any], excluded: str) -> None:
    """Adding lines the ladder excludes to an order changes no tier effect."""
    prog = program(**EXCLUDING)
    lines = [Line(sku=f"S-{i}", category=cat, quantity=qty, unit_price=eur(Decimal(c) / 100))
             for i, (cat, qty, c) in enumerate(drawn)]
    extra = [*lines, Line(sku="X", category=excluded, quantity=1, unit_price=eur("999.00"))]

    def tiers(basket: list[Line]) -> list[Any]:
        total = sum((ln.unit_price.amount * ln.quantity for ln in basket), Decimal(0))
        decision = buy(prog, None, "A-1", str(total or Decimal("0.01")), at(2026, 3, 1), basket)
        return [(e.change, e.to_tier, e.valid_until) for e in decision.effects
                if isinstance(e, TierChanged)]

    assert tiers(lines) == tiers(extra)


@given(st.integers(1, 12), st.integers(1, 2), st.integers(2020, 2030), st.integers(1, 365))
def test_until_end_of_month_is_the_first_of_the_next_month(month: int, years: int, year: int,
                                                           day: int) -> None:
    prog = program(validity=UntilEndOfMonth(month=month, years=years))
    when = datetime(year, 1, 1, 12, tzinfo=BERLIN) + timedelta(days=day - 1)
    state = buy(prog, None, "A-1", "600.00", when).state
    assert state.tier is not None
    assert state.tier.valid_until is not None
    local = state.tier.valid_until.astimezone(BERLIN)
    assert (local.day, local.hour, local.minute) == (1, 0, 0)
    assert local.month == month % 12 + 1
    assert local.year == when.year + years + month // 12
