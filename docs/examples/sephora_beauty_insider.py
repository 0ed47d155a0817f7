"""A Sephora Beauty Insider-like programme (US): points per dollar and three tiers on the
year's spend, with gift cards, tax and shipping left out of both.

What the published terms of Sephora's Beauty Insider say, and how each part is declared here:

- **Tiers on calendar-year spend.** Insider when you join (no spend needed), VIB from
  $350 and Rouge from $1,000 spent in a calendar year (``MinSpend`` over ``CalendarYear``),
  in Pacific time (the programme's zone): a purchase at 10 p.m. on 31 December in San
  Francisco counts towards that year, although it is already 1 January in UTC.
- **Status lasts the rest of the year and all of the next**: ``RestOfPeriodAndNext``; a
  member who does not qualify again drops at the review on 1 January to the tier their spend
  then earns.
- **What counts.** Spend is net of returns; gift cards, taxes and shipping count neither
  towards a tier nor for points: the ladder's ``exclude_categories`` and the earning rule's
  take the same list (order lines carry a category).
- **Points.** 1 point per $1 spent on eligible items, rounded down once on the exact amount
  (``PointsPerAmount``; "1 point per dollar" on $24.99 is 24 points).
- **Redemption.** 500 points for $10 off (Beauty Insider Cash); the catalogue of products
  is not modelled.

Simplified: Rouge's and VIB's extra perks (birthday gift choices, seasonal savings events,
free shipping), points multiplier events, the 1,000-point reward options, and the points of
purchases made in stores without a Beauty Insider account.

Run it to print the programme in words::

    python docs/examples/sephora_beauty_insider.py

``tests/test_example_sephora.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from reciprocity import (
    CalendarYear,
    MinSpend,
    Money,
    NameLabels,
    PointScheme,
    PointsPerAmount,
    Program,
    RestOfPeriodAndNext,
    Reward,
    Tier,
    TierLadder,
)

EXCLUDED = ("gift_card", "tax", "shipping")
"""Order line categories that neither earn points nor count towards a tier."""


def usd(amount: str) -> Money:
    return Money(amount, "USD")


PROGRAM = Program(
    labels=NameLabels(categories={
        "gift_card": {"en": "gift cards", "de": "Geschenkkarten"},
        "tax": {"en": "taxes", "de": "Steuern"},
        "shipping": {"en": "shipping", "de": "Versand"},
    }),
    name="Beauty Insider",
    currency="USD",
    timezone="America/Los_Angeles",
    points=PointScheme(
        earn=[PointsPerAmount(id="per-dollar", points=1, per=usd("1.00"),
                              exclude_categories=EXCLUDED)],
        rewards=[Reward(id="cash-10", name="$10 Beauty Insider Cash", points=500,
                        value=usd("10.00"))],
    ),
    tiers=TierLadder(
        tiers=(
            Tier(id="insider", name="Insider", requires=MinSpend(amount=usd("0.00"))),
            Tier(id="vib", name="VIB", requires=MinSpend(amount=usd("350.00"))),
            Tier(id="rouge", name="Rouge", requires=MinSpend(amount=usd("1000.00"))),
        ),
        period=CalendarYear(),
        validity=RestOfPeriodAndNext(),
        exclude_categories=EXCLUDED,
    ),
)
"""The programme as declared policy."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("en"))
