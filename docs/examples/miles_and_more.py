"""A Miles & More-like award-miles account: partner credits that name their own miles.

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
- **Redemption.** Miles buy awards; the 7,000-mile upgrade below is illustrative (award
  prices change with the route and the season).

Simplified: status miles, qualifying points and HON Circle points (a second balance that only
counts towards tiers; this library has one point balance per program), the expiry protection
for status holders and co-branded credit-card holders, the six-month window for claiming
missing miles, and mileage computed per flight by zone and booking class (the operating
airline reports the miles here, as partners do).

Run it to print the programme in words::

    python docs/examples/miles_and_more.py

``tests/test_example_miles.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from reciprocity import (
    EndOfQuarterAfter,
    PointScheme,
    PointsForEvent,
    Program,
    Reward,
)

PARTNER = "partner_credit"
FLIGHT = "flight_credit"

PROGRAM = Program(
    name="Miles (award miles)",
    currency="EUR",
    timezone="Europe/Berlin",
    points=PointScheme(
        events=[
            PointsForEvent(id="partner-miles", on="custom", name=PARTNER,
                           points_from="miles", min_points=1, max_points=100_000),
            PointsForEvent(id="flight-miles", on="custom", name=FLIGHT,
                           points_from="miles", min_points=1, max_points=60_000),
        ],
        expiry=EndOfQuarterAfter(months=36),
        rewards=[Reward(id="upgrade-eu", name="Upgrade voucher, Europe", points=7_000)],
    ),
)
"""The award-miles account as a declared point scheme."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("en"))
    print()
    print(PROGRAM.terms("de"))
