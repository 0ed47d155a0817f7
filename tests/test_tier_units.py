"""A tier's points requirement is said in the words of the unit the program declares
(``PointScheme.unit``): "Gold: 500 Stars" in ``Program.explain`` and "380 Stars to Gold" in
``tier_progress``, as the terms and the reasons already said it; never "500 points" beside
"1.2x Stars"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reciprocity import (
    MinOrders,
    MinPoints,
    MinSpend,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Tier,
    TierLadder,
    UnitWords,
    tier_progress,
)
from reciprocity.tiers.progress import MetricGap

STARS = {"en": UnitWords(one="Star", other="Stars"), "de": UnitWords(one="Star", other="Stars")}


def program(unit: dict[str, UnitWords] | None = None, gold: int = 500) -> Program:
    return Program(
        name="Cafe", currency="USD", timezone="UTC",
        points=PointScheme(earn=(PointsPerAmount(id="base", points=1,
                                                   per=Money("1.00", "USD")),),
                           **({} if unit is None else {"unit": unit})),
        tiers=TierLadder(tiers=(Tier(id="green", name="Green", requires=MinPoints(points=0)),
                                Tier(id="gold", name="Gold",
                                     requires=MinPoints(points=gold)))))


def buy(p: Program, amount: str) -> object:
    return p.apply(None, Purchase(id="A-1", member_id="m-1", at=datetime(2026, 4, 1, tzinfo=UTC),
                                  amount=Money(amount, "USD"))).state


class TestExplain:
    def test_the_requirement_says_the_units_words(self) -> None:
        text = program(STARS).explain()
        assert "- Green: 0 Stars; brings no extra benefits" in text
        assert "- Gold: 500 Stars; brings no extra benefits" in text
        assert "points" not in text.split("Tiers")[1]

    def test_one_is_singular(self) -> None:
        assert "- Gold: 1 Star;" in program(STARS, gold=1).explain()

    def test_without_words_it_says_points(self) -> None:
        assert "- Gold: 500 points;" in program().explain()
        assert "- Gold: 1 point;" in program(gold=1).explain()


class TestProgress:
    def test_the_gap_says_the_units_words(self) -> None:
        p = program(STARS)
        progress = tier_progress(p, buy(p, "120.00"))  # type: ignore[arg-type]
        assert progress.message.startswith("380 Stars to Gold")
        assert progress.missing[0][0].unit == "Stars"

    def test_a_gap_of_one_is_singular(self) -> None:
        p = program(STARS)
        progress = tier_progress(p, buy(p, "499.00"))  # type: ignore[arg-type]
        assert progress.message.startswith("1 Star to Gold")

    def test_without_words_it_says_points(self) -> None:
        p = program()
        progress = tier_progress(p, buy(p, "120.00"))  # type: ignore[arg-type]
        assert progress.message.startswith("380 points to Gold")


@pytest.mark.parametrize(("requirement", "words", "said"), [
    (MinPoints(points=500), {}, "500 points"),
    (MinPoints(points=1), {}, "1 point"),
    (MinPoints(points=1, rules=("flights",)), {}, "1 point from flights"),
    (MinPoints(points=2, rules=("flights",)), {None: ("Star", "Stars")}, "2 Stars from flights"),
    (MinPoints(points=1, balance="status"), {}, "1 status point"),
    (MinPoints(points=9, balance="status"), {"status": ("status mile", "status miles")},
     "9 status miles"),
    (MinPoints(points=9, balance="status"), {None: ("Star", "Stars")}, "9 status points"),
    (MinPoints(points=1, label="qualifying points"), {None: ("Star", "Stars")},
     "1 qualifying point"),
    (MinPoints(points=500) | MinOrders(count=2), {None: ("Star", "Stars")},
     "500 Stars or 2 orders"),
    (MinSpend(amount=Money("10", "USD")) & (MinPoints(points=1) | MinOrders(count=1)),
     {None: ("Star", "Stars")}, "spend 10.00 USD and (1 Star or 1 order)"),
])
def test_describe_in(requirement: MinPoints, words: dict[str | None, tuple[str, str]],
                     said: str) -> None:
    assert requirement.describe_in(words) == said


@pytest.mark.parametrize(("unit", "said"), [
    ("Stars", "1 Star"), ("points from r1, r2", "1 point from r1, r2"),
    ("status miles", "1 status mile"), ("qualifying points", "1 qualifying point")])
def test_a_gap_of_one_says_the_singular(unit: str, said: str) -> None:
    assert MetricGap(metric="points", unit=unit, have=0, need=1, missing=1).describe() == said
