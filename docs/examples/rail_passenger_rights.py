"""German and EU rail passenger rights (Regulation (EU) 2021/782, Article 19, as German rail
operators apply it with the Eisenbahn-Verkehrsordnung) as a declared goodwill policy.

What the rules say, and how each part is declared here:

- **Article 19(1)**: a passenger facing a delay of 60 to 119 minutes at the final destination
  gets 25 % of the ticket price, and of 120 minutes or more 50 %. A most-generous band table
  over the ``Elapsed`` minutes from ``scheduled_arrival`` to ``actual_arrival``, as a
  percentage of the ``fare`` fact (the base), declared monotone.
- **Article 19(3)**, return tickets: the compensation for a delay on either the outward or
  the return journey is calculated in relation to half the price paid for the ticket. A
  reduction of x0.5 when ``ticket`` is ``return``.
- **The minimum**: the Regulation lets an operator set a threshold of at most 4 EUR below
  which compensation is not paid; German operators pay nothing below 4 EUR (4.00 EUR is
  paid). ``minimum=4.00 EUR``.
- **Season tickets** (Article 19(2) leaves them to the operator's scheme): a flat 1.50 EUR
  (2nd class) or 2.25 EUR (1st class) per delay of 60 minutes or more in the ticket's
  validity, added up over the month's delays (an ``items`` fact), at most 25 % of the season
  ticket's price, and paid when the sum reaches 4 EUR. These are Deutsche Bahn's figures
  for local-transport season tickets; long-distance season tickets get 5.00 / 7.50 EUR and
  the BahnCard 100 10 / 15 EUR per delay, under the same 25 % cap and 4 EUR threshold,
  which an operator declares the same way with a further fact and rule (left out here).
- **Article 19(10)**, extraordinary circumstances (severe weather, natural disasters,
  persons on the track, police action; not strikes of the operator's own staff): no
  compensation (``extraordinary``, set by the operator from its incident records).
- One claim per passenger and journey: the duplicate key.

Run it to print the policy in words::

    python docs/examples/rail_passenger_rights.py

``tests/test_passenger_rights.py`` checks the published edge cases against it.
"""

from __future__ import annotations

from decimal import Decimal

from reciprocity import (
    Band,
    BandTable,
    CreditCompensation,
    Elapsed,
    Fact,
    FactIs,
    GoodwillPolicy,
    GoodwillRule,
    Money,
    Program,
    Range,
    Reduction,
)

DELAYED = "train_delayed"

FACTS = (
    Fact(name="passenger_id", type="str",
         labels={"en": "passenger", "de": "Fahrgast"}),
    Fact(name="journey", type="str",
         labels={"en": "journey", "de": "Fahrt"}),
    Fact(name="ticket", type="str", values=("single", "return", "season"),
         labels={"en": "ticket", "de": "Fahrkarte"}),
    Fact(name="travel_class", type="int",
         labels={"en": "travel class", "de": "Wagenklasse"}),
    Fact(name="fare", type="money",
         labels={"en": "fare paid", "de": "gezahlter Fahrpreis"}),
    Fact(name="scheduled_arrival", type="datetime",
         labels={"en": "scheduled arrival", "de": "planmäßige Ankunft"}),
    Fact(name="actual_arrival", type="datetime",
         labels={"en": "actual arrival", "de": "tatsächliche Ankunft"}),
    Fact(name="extraordinary", type="bool",
         labels={"en": "extraordinary circumstances", "de": "außergewöhnliche Umstände"}),
    Fact(name="delays", type="items", items=(Fact(name="delay_minutes", type="int"),),
         labels={"en": "delays", "de": "Verspätungen"}),
)

FOUR_EUROS = Money("4.00", "EUR")
delay = Elapsed(start="scheduled_arrival", end="actual_arrival")
not_extraordinary = ~FactIs(fact="extraordinary", value=True)

SHARE_OF_FARE = BandTable(
    keys={"delay": delay}, match="most_generous", monotone=True, bands=(
        Band(when={"delay": Range(at_least=60)}, percent=Decimal(25)),
        Band(when={"delay": Range(at_least=120)}, percent=Decimal(50))))


def _season(amount: str) -> CreditCompensation:
    table = BandTable(keys={"delay": "delay_minutes"}, bands=(
        Band(when={"delay": Range(at_least=60)}, value=Money(amount, "EUR")),))
    return CreditCompensation(table=table, each="delays", of="fare",
                              max_percent=Decimal(25), minimum=FOUR_EUROS)


def program() -> Program:
    """The rules as a program (amounts in EUR)."""
    single = GoodwillRule(
        id="rail-ticket", categories=(DELAYED,),
        when=FactIs(fact="ticket", op="in", value=("single", "return")) & not_extraordinary,
        compensation=CreditCompensation(
            table=SHARE_OF_FARE, of="fare", minimum=FOUR_EUROS, reductions=(
                Reduction(when=FactIs(fact="ticket", value="return"), factor=Decimal("0.5"),
                          reason="half the price of a return ticket: Article 19(3)"),)))
    season = FactIs(fact="ticket", value="season") & not_extraordinary
    second = GoodwillRule(id="rail-season", categories=(DELAYED,),
                          when=season & ~FactIs(fact="travel_class", value=1),
                          compensation=_season("1.50"))
    first = GoodwillRule(id="rail-season-first", categories=(DELAYED,),
                         when=season & FactIs(fact="travel_class", value=1),
                         compensation=_season("2.25"))
    return Program(
        name="Rail passenger compensation", currency="EUR", timezone="Europe/Berlin",
        facts=FACTS,
        goodwill=GoodwillPolicy(
            rules=(single, second, first), categories=(DELAYED,),
            category_labels={DELAYED: {"en": "train delayed", "de": "Zugverspätung"}},
            duplicate_key=("passenger_id", "journey"), may_exceed_order_value=True,
            on_unknown_order="ignore_order"))


if __name__ == "__main__":
    print(program().explain())
