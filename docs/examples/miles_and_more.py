"""A Miles & More-like programme: award miles and status miles, two balances of one account.

What the published terms of Lufthansa's Miles & More programme say about award miles, and how
each part is declared here:

- **Partners name the miles.** A hotel stay, a car rental, a credit-card statement or a flight
  on a partner airline is credited with the award miles the partner reports: the programme
  does not compute them from an amount. Each partner sends a ``Custom`` event
  (``partner_credit`` or ``flight_credit``) whose payload says how many miles it gives
  (``payload.miles``); ``PointsForEvent(points_from="miles")`` credits exactly that number.
- **Within bounds.** A shop's own plausibility limit, not a published term: a partner credit
  names 1 to 100,000 miles, a flight credit 1 to 60,000 (the most a long-haul First Class
  return earns in the published award chart, rounded up). A credit with no miles, a
  non-whole number, 0 or more than the bound is refused (``PointsOutOfBounds``, naming
  ``payload.miles``) and credits nothing, so a partner's faulty file is noticed, not paid.
- **Expiry.** Award miles expire 36 months after they were credited, at the end of that
  quarter ("Prämienmeilen verfallen nach 36 Monaten zum Quartalsende"), in the programme's
  zone (Europe/Berlin): ``EndOfQuarterAfter(months=36)``.
- **Flights earn by ticket price.** Lufthansa Group flights bought as orders earn 4 award
  miles per euro of the fare and the carrier surcharge, not of taxes and fees (order lines
  ``fare``, ``surcharge``, ``tax``); Frequent Travellers earn 6 and Senators 7 per euro
  (tier multipliers x1.5 and x1.75).
- **Status miles are a balance of their own.** Since Lufthansa made award miles depend on the
  ticket price, status miles are still credited per flight by distance and booking class.
  They buy nothing and only count towards a status; award miles never count. Here they are
  the balance ``Program.balances["status"]`` (``redeemable=False``), earned per flight
  segment by the zone and cabin the order declares (facts ``zone`` and ``cabin``), one
  earning rule per cell of ``STATUS_MILES``. Partner credits earn award miles only.
- **Status.** Frequent Traveller from 35,000 and Senator from 100,000 status miles in a
  calendar year in the programme's zone (``MinPoints(balance="status")``). Status is valid
  until the end of February of the year after next (``UntilEndOfMonth(month=2, years=2)``):
  reached in 2026, it lasts to 29 February 2028. A returned ticket takes back its award and
  its status miles.
- **Redemption.** Award miles buy awards; the 7,000-mile upgrade below is illustrative (award
  prices change with the route and the season). Status miles buy nothing. A redemption may
  name the balance the member chose, ``balance=None`` for award miles (the programme's own
  points); naming ``"status"`` is refused.
- **Words.** Both balances carry ``labels`` in English and German ("award miles",
  "Prämienmeilen"; "status miles", "Statusmeilen") and count in their own ``unit`` ("award
  mile"/"award miles", "Prämienmeile"/"Prämienmeilen"; "status mile"/"status miles",
  "Statusmeile"/"Statusmeilen"): every sentence of the terms and statements, and every
  effect's reason, says award or status miles, never "points" ("Jeder Einkauf bringt Ihnen
  500 Statusmeilen"; "1500 award miles for partner_credit H-1", "Frequent Traveller
  erreicht mit 42.000 Statusmeilen im Jahr 2026: Prämienmeilen ×1,5"). The facts carry
  labels ("flight zone", "Flugzone"; "cabin", "Reiseklasse") and so do their values
  (``value_labels``: "Inland", "Kontinental", "Interkontinental"; "Economy Class" ...), so
  a condition reads „Flugzone“ „Inland“, not „domestic“. Still in the shop's own words: the
  reward's name, the partner events' names and the order lines' categories.

The status-mile figures of ``STATUS_MILES`` are illustrative, of the published chart's shape
(more for a longer zone and a higher cabin), not its values: the published chart has more
distance bands and counts booking classes within a cabin. Also simplified: HON Circle, the
30-segment route to Frequent Traveller, qualifying points and the 2024 points system; the
expiry protection for status holders and co-branded credit-card holders; the six-month window
for claiming missing miles; and partner airlines' flights, which are credited as partner
credits.

Run it to print the programme in words::

    python docs/examples/miles_and_more.py

``tests/test_example_miles.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from decimal import Decimal

from reciprocity import (
    CalendarYear,
    EndOfQuarterAfter,
    Fact,
    FactIs,
    MinPoints,
    Money,
    NameLabels,
    PointScheme,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Reward,
    Tier,
    TierBenefits,
    TierLadder,
    TierMultiplier,
    UnitWords,
    UntilEndOfMonth,
)

PARTNER = "partner_credit"
FLIGHT = "flight_credit"
ZONES = ("domestic", "continental", "intercontinental")
CABINS = ("economy", "premium_economy", "business", "first")
STATUS_MILES = {
    ("domestic", "economy"): 500, ("domestic", "business"): 1_000,
    ("continental", "economy"): 750, ("continental", "business"): 1_500,
    ("intercontinental", "economy"): 3_000, ("intercontinental", "premium_economy"): 4_500,
    ("intercontinental", "business"): 6_000, ("intercontinental", "first"): 9_000,
}
"""Status miles per flight segment by zone and cabin (illustrative figures, see above)."""

PROGRAM = Program(
    name="Miles",
    currency="EUR",
    timezone="Europe/Berlin",
    facts=(Fact(name="zone", type="str", values=ZONES,
                labels={"en": "flight zone", "de": "Flugzone"},
                value_labels={
                    "domestic": {"en": "domestic", "de": "Inland"},
                    "continental": {"en": "continental", "de": "Kontinental"},
                    "intercontinental": {"en": "intercontinental", "de": "Interkontinental"},
                }),
           Fact(name="cabin", type="str", values=CABINS,
                labels={"en": "cabin", "de": "Reiseklasse"},
                value_labels={
                    "economy": {"en": "Economy Class", "de": "Economy Class"},
                    "premium_economy": {"en": "Premium Economy", "de": "Premium Economy"},
                    "business": {"en": "Business Class", "de": "Business Class"},
                    "first": {"en": "First Class", "de": "First Class"},
                })),
    points=PointScheme(
        earn=[PointsPerAmount(id="flights", points=4, per=Money("1.00", "EUR"),
                              include_categories=("fare", "surcharge"),
                              multipliers=(TierMultiplier(),))],
        events=[
            PointsForEvent(id="partner-miles", on="custom", name=PARTNER,
                           points_from="miles", min_points=1, max_points=100_000),
            PointsForEvent(id="flight-miles", on="custom", name=FLIGHT,
                           points_from="miles", min_points=1, max_points=60_000),
        ],
        expiry=EndOfQuarterAfter(months=36),
        rewards=[Reward(id="upgrade-eu", name="Upgrade voucher, Europe", points=7_000)],
        labels={"en": "award miles", "de": "Prämienmeilen"},
        unit={"en": UnitWords(one="award mile", other="award miles"),
              "de": UnitWords(one="Prämienmeile", other="Prämienmeilen")},
    ),
    balances={"status": PointScheme(
        earn=[PointsPerPurchase(id=f"{zone}-{cabin}", points=miles,
                                when=FactIs(fact="zone", value=zone)
                                & FactIs(fact="cabin", value=cabin))
              for (zone, cabin), miles in STATUS_MILES.items()],
        redeemable=False,
        labels={"en": "status miles", "de": "Statusmeilen"},
        unit={"en": UnitWords(one="status mile", other="status miles"),
              "de": UnitWords(one="Statusmeile", other="Statusmeilen")},
    )},
    tiers=TierLadder(
        tiers=(
            Tier(id="ftl", name="Frequent Traveller",
                 requires=MinPoints(points=35_000, balance="status", label="status miles"),
                 benefits=TierBenefits(points_multiplier=Decimal("1.5"))),
            Tier(id="sen", name="Senator",
                 requires=MinPoints(points=100_000, balance="status", label="status miles"),
                 benefits=TierBenefits(points_multiplier=Decimal("1.75"))),
        ),
        period=CalendarYear(),
        validity=UntilEndOfMonth(month=2, years=2),
    ),
    labels=NameLabels(
        categories={"fare": {"en": "fare", "de": "Flugpreis"},
                    "surcharge": {"en": "carrier surcharge", "de": "Carrier-Zuschlag"}},
        events={PARTNER: {"en": "partner credit", "de": "Partnergutschrift"},
                FLIGHT: {"en": "flight credit", "de": "Fluggutschrift"}},
    ),
)
"""Award miles, status miles and the status ladder as declared policy."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("en"))
    print()
    print(PROGRAM.terms("de"))
