"""An REI Co-op-like annual member reward (US): 10 % of the year's eligible full-price
purchases, paid as store credit in March of the next year, spent in part and expiring at the
end of the year after.

What REI's published pages and member guides say, and how each part is declared here
(figures marked *illustrative* are this example's, not REI's):

- **A share of the year's eligible purchases.** Members receive an annual member reward,
  typically 10 % of their eligible purchases in a calendar year (the co-op sets it each
  year; it is not guaranteed): ``PeriodicReward(share="10", period="year")``, rounded down to
  the cent, in the programme's zone (*illustrative*: Pacific time, REI is in Washington):
  a purchase at 11:30 p.m. on 31 December in Seattle counts in that year, although it is
  already 1 January in UTC.
- **Full price only.** Sale, clearance and REI Outlet items do not count (order lines say
  ``{"discounted": true}`` in their metadata: ``exclude_discounted=True``), nor do gift
  cards, the membership fee, rentals, tax and shipping (*illustrative* categories
  ``gift_card``, ``membership``, ``rental``, ``tax``, ``shipping``).
- **Returns.** A return before the reward is issued takes its eligible part off the year;
  a return after it changes nothing.
- **Issued in March.** The reward arrives in March of the next year (*illustrative* day:
  15 March, at midnight Pacific time; ``issue_on="03-15"``).
- **Store credit, spent in part.** The reward is a balance to spend at REI, in part, oldest
  first (``StoreCredit``: the till sends ``credit_spent`` with the amount); it expires "in
  early January, two years after it was issued" (a member guide; *illustrative* day:
  1 January): valid one year, to the end of that calendar year
  (``expires_after_years=1, until_end_of="year"``), so the reward of 15 March 2027 can be
  spent until 31 December 2028.

Not modelled: the REI Co-op Mastercard's 5 % back (paid with the reward; a second periodic
reward on card purchases would need a second ``PeriodicReward``, and a credit scheme has
one), the annual vote on the percentage, the $10 of purchases that keep a member "active",
and using the reward for a cash refund (a paper check) once a year.

Run it to print the programme in words::

    python docs/examples/rei_member_reward.py

``tests/test_example_rei.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from reciprocity import NameLabels, PeriodicReward, Program, StoreCredit

EXCLUDED = ("gift_card", "membership", "rental", "tax", "shipping")
"""Order line categories that do not count towards the reward (illustrative)."""

SPEND = "credit_spent"
"""The ``Custom`` event the till sends when a member pays with the reward."""

PROGRAM = Program(
    labels=NameLabels(categories={
        "gift_card": {"en": "gift cards", "de": "Geschenkkarten"},
        "membership": {"en": "memberships", "de": "Mitgliedschaften"},
        "rental": {"en": "rentals", "de": "Verleih"},
        "tax": {"en": "taxes", "de": "Steuern"},
        "shipping": {"en": "shipping", "de": "Versand"},
    }),
    name="REI Co-op member reward",
    currency="USD",
    timezone="America/Los_Angeles",
    credit=StoreCredit(
        issue_event="credit_issued",
        spend_event=SPEND,
        expires_after_years=1,
        until_end_of="year",
        periodic=PeriodicReward(
            id="member-reward", share="10", period="year", issue_on="03-15",
            exclude_categories=EXCLUDED, exclude_discounted=True),
    ),
)
"""The programme as declared policy."""


if __name__ == "__main__":  # pragma: no cover - run by hand
    print(PROGRAM.terms("en"))
