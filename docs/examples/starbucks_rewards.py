"""A Starbucks Rewards-like programme (US, as relaunched on 10 March 2026): Stars per dollar
at a rate that grows with the tier, Green, Gold and Reserve on the Stars of the last 12
months, and rewards from 25 to 400 Stars that are items, not money.

What Starbucks' published terms and announcement say, and how each part is declared here
(figures marked *illustrative* are this example's, not Starbucks'):

- **Stars per dollar.** 1 Star per $1 for Green members, 1.2 for Gold and 1.7 for Reserve
  (``PointsPerAmount`` with the tier's ``points_multiplier``), applied to the exact amount
  and rounded down once: $4.95 earns 4 Stars at Green and 5 at Gold (5.94). Since the
  relaunch the rate no longer depends on how a member pays (a registered Starbucks Card
  used to earn 2 per $1). Alcohol, loading a gift card, tax and tips earn nothing
  (*illustrative* categories ``alcohol``, ``gift_card``, ``tax``, ``tip``).
- **Tiers.** Green on joining; Gold from 500 Stars and Reserve from 2,500 Stars earned in
  12 months (``MinPoints`` over ``RollingMonths(12)``); status lasts 12 months and is kept
  by earning the same again (``MonthsFromQualifying(12)``). The purchase that crosses 500
  earns at the Green rate; the next one at Gold's.
- **Rewards are items.** 25 Stars: a drink customization; 60 Stars: $2 off any item (the
  only reward with a money value); 100: brewed coffee or tea, a bakery item or snack; 200: a
  handcrafted drink or hot breakfast; 300: a sandwich, protein box or packaged coffee; 400:
  select merchandise (up to $20). ``Reward.value`` is left out where the reward is a thing.
- **Expiry.** "Stars expire six (6) months after the calendar month in which they were
  earned": Stars of 15 December 2026 expire at the start of 1 July 2027, in the programme's
  zone (*illustrative*: Pacific time, Starbucks is in Seattle): ``EndOfMonthAfter(months=6)``.

- **Gold and Reserve Stars never expire** (since the relaunch): ``TierBenefits(
  points_expire=False)`` on both tiers. While a member holds either, none of their Stars
  expire; when Gold lapses, every Star they then hold expires as if earned that day.

Not declarable (see the page ``docs/examples/starbucks_rewards.md``): Green members keep
their Stars "with monthly activity", a rule the library has no expiry mode for (and the
terms do not define the activity), so this example applies the six-month rule to Green
members. Also not modelled: Double Star Days, the
birthday reward, Free Mod Mondays, partner (employee) rates, and Stars for purchases paid
with a co-branded credit card.

Run it to print the programme in words::

    python docs/examples/starbucks_rewards.py

``tests/test_example_starbucks.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from decimal import Decimal

from reciprocity import (
    EndOfMonthAfter,
    MinPoints,
    Money,
    MonthsFromQualifying,
    NameLabels,
    PointScheme,
    PointsPerAmount,
    Program,
    Reward,
    RollingMonths,
    Tier,
    TierBenefits,
    TierLadder,
    TierMultiplier,
    UnitWords,
)

EXCLUDED = ("alcohol", "gift_card", "tax", "tip")
"""Order line categories that earn no Stars (illustrative)."""


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def stars(points: int) -> MinPoints:
    return MinPoints(points=points)


PROGRAM = Program(
    labels=NameLabels(categories={
        "alcohol": {"en": "alcoholic drinks", "de": "alkoholische Getränke"},
        "gift_card": {"en": "gift cards", "de": "Geschenkkarten"},
        "tax": {"en": "taxes", "de": "Steuern"},
        "tip": {"en": "tips", "de": "Trinkgeld"},
    }),
    name="Starbucks Rewards",
    currency="USD",
    timezone="America/Los_Angeles",
    points=PointScheme(
        unit={"en": UnitWords(one="Star", other="Stars"),
              "de": UnitWords(one="Star", other="Stars")},
        earn=[PointsPerAmount(id="stars", points=1, per=usd("1.00"),
                              exclude_categories=EXCLUDED, multipliers=(TierMultiplier(),))],
        expiry=EndOfMonthAfter(months=6),
        rewards=[
            Reward(id="stars-25", name="drink customization", points=25),
            Reward(id="stars-60", name="$2 off any item", points=60, value=usd("2.00")),
            Reward(id="stars-100", name="brewed coffee or tea, bakery item or snack",
                   points=100),
            Reward(id="stars-200", name="handcrafted drink or hot breakfast", points=200),
            Reward(id="stars-300", name="sandwich, protein box or packaged coffee",
                   points=300),
            Reward(id="stars-400", name="select merchandise (up to $20)", points=400),
        ],
    ),
    tiers=TierLadder(
        tiers=(
            Tier(id="green", name="Green", requires=stars(0)),
            Tier(id="gold", name="Gold", requires=stars(500),
                 benefits=TierBenefits(points_multiplier=Decimal("1.2"),
                                       points_expire=False)),
            Tier(id="reserve", name="Reserve", requires=stars(2_500),
                 benefits=TierBenefits(points_multiplier=Decimal("1.7"),
                                       points_expire=False)),
        ),
        period=RollingMonths(months=12),
        validity=MonthsFromQualifying(months=12),
    ),
)
"""The programme as declared policy."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("en"))
