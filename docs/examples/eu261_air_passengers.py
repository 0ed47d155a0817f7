"""EU air passenger rights (Regulation (EC) No 261/2004) as a declared goodwill policy.

What the regulation says, and how each part is declared here:

- **Article 7(1), the amounts**: 250 EUR for flights of 1,500 km or less; 400 EUR for
  intra-Community flights of more than 1,500 km and for all other flights between 1,500 and
  3,500 km; 600 EUR for all other flights. Two rules, for intra-Community flights and for the
  others, each with a first-match band table over ``distance_km`` (great-circle distance).
- **Delay** (Articles 6 and 7 as the Court of Justice read them in *Sturgeon*, C-402/07 and
  C-432/07): an arrival three hours or more after the scheduled arrival is compensated like a
  cancellation. ``Elapsed(scheduled_arrival -> actual_arrival) >= 180`` minutes.
- **Article 7(2)(c)**, the long-haul reduction as *Sturgeon* applies it to delays: for a
  flight over 3,500 km (not intra-Community) arriving between three and four hours late, the
  compensation is halved (300 EUR).
- **Article 5(1)(c), cancellation notice**: no compensation if the passenger was informed
  (i) at least two weeks before the scheduled departure; (ii) between two weeks and seven
  days before and offered re-routing departing no more than two hours before the scheduled
  departure and arriving less than four hours after the scheduled arrival; (iii) less than
  seven days before and offered re-routing departing no more than one hour before and
  arriving less than two hours after. A claim carries ``informed_at`` (the time of departure
  when the passenger learnt it at the gate).
- **Article 7(2)(a)-(c), re-routing**: when a re-routed passenger (cancellation or denied
  boarding) arrives no more than two, three or four hours late by distance band, the
  compensation may be halved; this policy halves it.
- **Article 5(3), extraordinary circumstances**: no compensation (``extraordinary``).
- **Article 4(3), denied boarding**: compensated at once, unless boarding was refused on
  reasonable grounds (health, safety, security, travel documents: ``refused_for_cause``).
- One claim per passenger and flight, whatever the complaint type: the duplicate key.

Run it to print the policy in words::

    python docs/examples/eu261_air_passengers.py

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
    any_of,
)

DELAYED, CANCELLED, DENIED = "flight_delayed", "flight_cancelled", "denied_boarding"

FACTS = (
    Fact(name="passenger_id", type="str",
         labels={"en": "passenger",
                 "de": "Fluggast"}),
    Fact(name="flight", type="str",
         labels={"en": "flight",
                 "de": "Flug"}),
    Fact(name="distance_km", type="int",
         labels={"en": "flight distance in km",
                 "de": "Flugstrecke in km"}),
    Fact(name="intra_eu", type="bool",
         labels={"en": "flight within the EU",
                 "de": "Flug innerhalb der EU"}),
    Fact(name="scheduled_departure", type="datetime",
         labels={"en": "scheduled departure",
                 "de": "planmäßiger Abflug"}),
    Fact(name="scheduled_arrival", type="datetime",
         labels={"en": "scheduled arrival",
                 "de": "planmäßige Ankunft"}),
    Fact(name="actual_arrival", type="datetime",
         labels={"en": "actual arrival",
                 "de": "tatsächliche Ankunft"}),
    Fact(name="informed_at", type="datetime",
         labels={"en": "notice of the cancellation",
                 "de": "Mitteilung der Annullierung"}),
    Fact(name="rerouted_departure", type="datetime",
         labels={"en": "departure of the alternative flight",
                 "de": "Abflug des Ersatzflugs"}),
    Fact(name="rerouted_arrival", type="datetime",
         labels={"en": "arrival of the alternative flight",
                 "de": "Ankunft des Ersatzflugs"}),
    Fact(name="extraordinary", type="bool",
         labels={"en": "extraordinary circumstances",
                 "de": "außergewöhnliche Umstände"}),
    Fact(name="refused_for_cause", type="bool",
         labels={"en": "boarding refused for reasonable grounds",
                 "de": "Beförderung aus triftigem Grund verweigert"}),
)
CATEGORY_LABELS = {
    DELAYED: {"en": "flight delayed", "de": "Flugverspätung"},
    CANCELLED: {"en": "flight cancelled", "de": "Annullierung"},
    DENIED: {"en": "denied boarding", "de": "Nichtbeförderung"},
}


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _band(when: dict[str, Range], amount: str) -> Band:
    return Band(when=when, value=eur(amount))


ALL_FLIGHTS = BandTable(keys={"distance": "distance_km"}, monotone=True, bands=(
    _band({"distance": Range(up_to=1500)}, "250.00"),
    _band({"distance": Range(over=1500, up_to=3500)}, "400.00"),
    _band({"distance": Range(over=3500)}, "600.00")))
INTRA_EU = BandTable(keys={"distance": "distance_km"}, monotone=True, bands=(
    _band({"distance": Range(up_to=1500)}, "250.00"),
    _band({"distance": Range(over=1500)}, "400.00")))

arrival_delay = Elapsed(start="scheduled_arrival", end="actual_arrival")
notice_days = Elapsed(start="informed_at", end="scheduled_departure", unit="days")
left_earlier = Elapsed(start="rerouted_departure", end="scheduled_departure", unit="hours")
arrived_later = Elapsed(start="scheduled_arrival", end="rerouted_arrival", unit="hours")
extraordinary = FactIs(fact="extraordinary", value=True)

delayed = FactIs(fact="category", value=DELAYED) & FactIs(fact=arrival_delay, op=">=",
                                                           value=180)
exempt_by_notice = any_of(
    FactIs(fact=notice_days, op=">=", value=14),
    FactIs(fact=notice_days, op=">=", value=7) & FactIs(fact=left_earlier, op="<=", value=2)
    & FactIs(fact=arrived_later, op="<", value=4),
    FactIs(fact=notice_days, op="<", value=7) & FactIs(fact=left_earlier, op="<=", value=1)
    & FactIs(fact=arrived_later, op="<", value=2))
cancelled = FactIs(fact="category", value=CANCELLED) & ~exempt_by_notice
denied = FactIs(fact="category", value=DENIED) & ~FactIs(fact="refused_for_cause", value=True)
covered = (delayed | cancelled | denied) & ~extraordinary

rerouted = FactIs(fact="category", op="in", value=(CANCELLED, DENIED))
HALF = Decimal("0.5")


def _rerouting(over: int | None, up_to: int | None, hours: int) -> Reduction:
    distance, band = [], []
    if over is not None:
        distance.append(FactIs(fact="distance_km", op=">", value=over))
        band.append(f"over {over:,} km")
    if up_to is not None:
        distance.append(FactIs(fact="distance_km", op="<=", value=up_to))
        band.append(f"up to {up_to:,} km")
    when = rerouted
    for part in distance:
        when = when & part
    return Reduction(when=when & FactIs(fact=arrived_later, op="<=", value=hours), factor=HALF,
                     reason=f"re-routed, arriving at most {hours} hours late (a flight "
                     f"{' and '.join(band)}): Article 7(2)")


LONG_HAUL_DELAY = Reduction(
    when=FactIs(fact="category", value=DELAYED) & FactIs(fact="distance_km", op=">", value=3500)
    & FactIs(fact=arrival_delay, op="<", value=240), factor=HALF,
    reason="a flight over 3,500 km arriving less than 4 hours late: Article 7(2)(c)")


def program() -> Program:
    """The regulation as a program (amounts in EUR)."""
    others = GoodwillRule(
        id="eu261", when=covered & ~FactIs(fact="intra_eu", value=True),
        categories=(DELAYED, CANCELLED, DENIED),
        compensation=CreditCompensation(table=ALL_FLIGHTS, reductions=(
            _rerouting(None, 1500, 2), _rerouting(1500, 3500, 3), _rerouting(3500, None, 4),
            LONG_HAUL_DELAY)))
    intra = GoodwillRule(
        id="eu261-intra", when=covered & FactIs(fact="intra_eu", value=True),
        categories=(DELAYED, CANCELLED, DENIED),
        compensation=CreditCompensation(table=INTRA_EU, reductions=(
            _rerouting(None, 1500, 2), _rerouting(1500, None, 3))))
    return Program(
        name="EU 261/2004 air passenger compensation", currency="EUR", timezone="Europe/Brussels",
        facts=FACTS,
        goodwill=GoodwillPolicy(
            rules=(others, intra), categories=(DELAYED, CANCELLED, DENIED),
            category_labels=CATEGORY_LABELS,
            duplicate_key=("passenger_id", "flight"), may_exceed_order_value=True,
            on_unknown_order="ignore_order"))


if __name__ == "__main__":
    print(program().explain())
