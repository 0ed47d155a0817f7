"""A Douglas-like perfumery programme (Germany): a free sample claimed in store with no
purchase, online with an order of at least 30 EUR, and a gift for orders at full price.

What such a programme's terms say (an in-store sample claim as perfumeries and coffee
chains run them; the figures are this example's, not quoted from any retailer), and how
each part is declared here:

- **A sample in store, no purchase needed.** A member shows their card at the till and
  claims one free sample a calendar month. The till sends a ``Custom`` event
  ``sample_claimed`` with ``channel="store"``; ``ClaimGift`` with
  ``ChannelIs(channels=("store",))`` and ``Cap(count=1, per=Period.MONTH)`` gives it. Months
  are calendar months in Berlin time: a claim at 00:15 on 1 February is February's, although
  it is still 31 January in UTC.
- **Online, with an order of at least 30 EUR.** The same sample comes with a web order of at
  least 30.00 EUR (exactly 30.00 qualifies), once a month: an ``OrderOverGift`` with
  ``inclusive=True`` and ``ChannelIs(channels=("web",))``. A claim made online, without an
  order, gives nothing.
- **While stocks last.** Both channels give from one stock of samples (``Stock``); when it is
  used up, neither gives, and the trace says so.
- **A gift for orders at full price.** An order of at least 60 EUR whose every line is at full
  price gets a travel-size fragrance: ``LineFact(fact="discounted", value=False,
  match="all")``; the shop marks each line ``{"discounted": true|false}`` in its metadata (a
  declared ``on="line"`` fact). A line not marked is not known to be at full price, so it
  does not count as one.

Simplified: "one sample a month" holds per channel (a member may get one in store and one
online in the same month); the sample assortment, points and tiers are not modelled.

Run it to print the programme in words::

    python docs/examples/perfumery_sample_claim.py

``tests/test_example_perfumery.py`` checks the edge cases against it.
"""

from __future__ import annotations

from reciprocity import (
    Cap,
    ChannelIs,
    ClaimGift,
    Fact,
    Gift,
    GiftScheme,
    LineFact,
    Money,
    NameLabels,
    OrderOverGift,
    Period,
    Program,
    Stock,
)

CLAIM = "sample_claimed"
"""The name of the ``Custom`` event the till sends when a member claims a sample."""


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


SAMPLE = Gift(id="sample", name="fragrance sample", kind="sample", value=eur("2.00"),
              stock="samples")
TRAVEL_SIZE = Gift(id="travel", name="travel-size fragrance", kind="physical",
                   value=eur("9.00"))

PROGRAM = Program(
    labels=NameLabels(events={"sample_claimed": {"en": "sample request",
                                                 "de": "Probenanforderung"}}),
    name="Perfumery samples",
    currency="EUR",
    timezone="Europe/Berlin",
    facts=(Fact(name="discounted", type="bool", on="line"),),
    gifts=GiftScheme(
        rules=(
            ClaimGift(id="sample-in-store", on=CLAIM, gift=SAMPLE,
                      when=ChannelIs(channels=("store",)),
                      cap=Cap(count=1, per=Period.MONTH)),
            OrderOverGift(id="sample-online", amount=eur("30.00"), inclusive=True,
                          gift=SAMPLE, when=ChannelIs(channels=("web",)),
                          cap=Cap(count=1, per=Period.MONTH)),
            OrderOverGift(id="full-price", amount=eur("60.00"), inclusive=True,
                          gift=TRAVEL_SIZE,
                          when=LineFact(fact="discounted", value=False, match="all")),
        ),
        stock=(Stock(id="samples", units=1000),),
    ),
)

if __name__ == "__main__":
    print(PROGRAM.explain())
