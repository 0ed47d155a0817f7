"""A PAYBACK-like multi-partner points programme (Germany): 1 point per 2 EUR, coupons that
multiply the points of a purchase, points worth 0.01 EUR paid out from 200, and the yearly
expiry on 30 September of points at least 36 months old.

What PAYBACK's published terms and help pages say, and how each part is declared here
(figures marked *illustrative* are this example's, not quoted from PAYBACK):

- **1 point per 2 EUR.** Most partners (dm, REWE, ...) credit 1 point per full 2 EUR of the
  purchase, in the Berlin zone: ``PointsPerAmount(points=1, per=2.00 EUR)``, rounded down
  once on the exact amount (3.99 EUR earns 1 point, 4.00 EUR earns 2). The rate varies by
  partner (fuel partners credit per litre); a shop declares its own rate. Lines that partners
  leave out (deposits, gift cards, tobacco, books under fixed book prices) earn nothing:
  *illustrative* categories ``deposit``, ``gift_card``, ``tobacco``, ``books``.
- **Coupons multiply the points.** An activated coupon ("10fach °Punkte") multiplies the base
  points of the purchase it is used with: x5, x10 or x20. The till says which coupon was
  used in the purchase's metadata (``{"coupon": "x10"}``, a declared fact with those three
  values, so ``"x15"`` is refused); each is a ``CampaignMultiplier`` whose condition reads
  it. The fact and its values carry labels, so the terms say "gilt, wenn „Coupon“
  „10fach-Coupon“ ist" rather than the till's code ``x10``. One multiplying coupon counts per
  purchase (``stacking="best"``).
- **1 point = 0.01 EUR, paid out from 200 points.** Points are paid out to a bank account
  (or redeemed with partners) only once the account holds at least 200 points
  (``min_balance=200``), and a payout is at least 200 points (``PointsAsCurrency`` with
  ``min_points=200``): 199 points are refused with ``BelowMinimumBalance``, 200 pay 2.00 EUR.
- **Expiry.** "PAYBACK points expire at the end of 30 September of each calendar year, but
  not before 36 months from their crediting": ``CalendarCutoff(month=9, day=30, years=3)``.
  Points credited on 5 July 2023 expire at the end of 30 September 2026; points credited on
  1 October 2023 live another year, to the end of 30 September 2027. (Neither the end of the
  calendar year nor of a quarter: that is Miles & More's rule.)
- **°Punkte.** PAYBACK writes its points "°Punkte" ("°Punkt" for one), with the degree sign:
  the scheme's ``unit`` says so in German, so the terms, statements and every effect's
  reason count °Punkte ("Für je 2,00 EUR Einkaufswert erhalten Sie 1 °Punkt.", "20 °Punkte
  für Bestellung P-1: 1 °Punkt pro 2,00 EUR auf 40,00 EUR"). In English, as this page and
  PAYBACK's English pages write them, they stay "points" (declared too, so ``check`` finds
  words for every catalogue locale).

Not modelled: points per litre at fuel partners, "Extra-Punkte" coupons that add a fixed
number of points, the inactivity rule some pages mention, transfers to Miles & More, the
rewards shop's catalogue, and protection from expiry for PAYBACK credit-card holders.

Run it to print the programme in words::

    python docs/examples/payback.py

``tests/test_example_payback.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from decimal import Decimal

from reciprocity import (
    CalendarCutoff,
    CampaignMultiplier,
    Fact,
    FactIs,
    Money,
    NameLabels,
    PointsAsCurrency,
    PointScheme,
    PointsPerAmount,
    Program,
    UnitWords,
)

COUPONS = {"x5": 5, "x10": 10, "x20": 20}
"""The multiplying coupons a purchase's ``metadata["coupon"]`` may name, with their factor."""

EXCLUDED = ("deposit", "gift_card", "tobacco", "books")
"""Order line categories that earn no points (illustrative)."""

PROGRAM = Program(
    labels=NameLabels(categories={
        "deposit": {"en": "bottle deposit", "de": "Pfand"},
        "gift_card": {"en": "gift cards", "de": "Geschenkkarten"},
        "tobacco": {"en": "tobacco", "de": "Tabakwaren"},
        "books": {"en": "books", "de": "Bücher"},
    }),
    name="PAYBACK",
    currency="EUR",
    timezone="Europe/Berlin",
    facts=(Fact(name="coupon", type="str", values=tuple(COUPONS),
                labels={"en": "coupon", "de": "Coupon"},
                value_labels={code: {"en": f"{factor}x coupon", "de": f"{factor}fach-Coupon"}
                              for code, factor in COUPONS.items()}),),
    points=PointScheme(
        earn=[PointsPerAmount(
            id="base", points=1, per=Money("2.00", "EUR"), exclude_categories=EXCLUDED,
            multipliers=tuple(
                CampaignMultiplier(name=f"{factor}fach-Coupon", factor=Decimal(factor),
                                   when=FactIs(fact="coupon", value=code))
                for code, factor in COUPONS.items()),
            stacking="best")],
        expiry=CalendarCutoff(month=9, day=30, years=3),
        min_balance=200,
        rewards=[PointsAsCurrency(id="payout", name="Auszahlung auf ein Bankkonto",
                                  point_value=Money("0.01", "EUR"), min_points=200)],
        unit={"de": UnitWords(one="°Punkt", other="°Punkte"),
              "en": UnitWords(one="point", other="points")},
    ),
)
"""The programme as declared policy."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("de"))
