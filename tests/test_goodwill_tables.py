"""Band tables, bases from facts, reductions, minimum payouts, caps as a share of a base,
summed items, and the gap/overlap checks of ``reciprocity check``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Band,
    BandTable,
    Complaint,
    ConditionNeverApplies,
    CreditCompensation,
    Fact,
    FactIs,
    FactTypeMismatch,
    GoodwillDeclined,
    GoodwillGranted,
    GoodwillPolicy,
    GoodwillRule,
    InvalidProgram,
    Money,
    Program,
    Range,
    Reduction,
    RefundShare,
    UnknownCategory,
    UnknownFact,
)
from reciprocity.cli import main

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
FACTS = (
    Fact(name="delay_minutes", type="int"),
    Fact(name="fare", type="money"),
    Fact(name="ticket", type="str", values=("single", "return", "season")),
    Fact(name="delays", type="items", items=(Fact(name="delay_minutes", type="int"),)),
    Fact(name="label", type="str"),
)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


RAIL = BandTable(keys={"delay": "delay_minutes"}, match="most_generous", monotone=True, bands=(
    Band(when={"delay": Range(at_least=60)}, percent=Decimal(25)),
    Band(when={"delay": Range(at_least=120)}, percent=Decimal(50))))


def program(compensation: Any, **policy: Any) -> Program:
    rule = GoodwillRule(id="rail", compensation=compensation)
    return Program(name="Rail", facts=FACTS, goodwill=GoodwillPolicy(rules=(rule,), **policy))


def claim(**metadata: Any) -> Complaint:
    return Complaint(id="C-1", member_id="m-1", at=T0, metadata=metadata)


def outcome(prog: Program, event: Complaint) -> Any:
    (effect,) = [e for e in prog.apply(None, event).effects
                 if isinstance(e, GoodwillGranted | GoodwillDeclined)]
    return effect


RAIL_CREDIT = CreditCompensation(
    table=RAIL, of="fare", minimum=eur("4.00"),
    reductions=(Reduction(when=FactIs(fact="ticket", value="return"), factor=Decimal("0.5"),
                          reason="half the fare of a return ticket"),))


class TestRanges:
    """One key's band."""

    @pytest.mark.parametrize(("data", "words"), [
        ({"at_least": 1, "over": 1}, "at_least or over"),
        ({"below": 1, "up_to": 1}, "below or up_to"),
        ({"at_least": 5, "below": 5}, "is empty"),
        ({"over": 5, "up_to": 4}, "is empty"),
        ({}, "at least one bound"),
    ])
    def test_invalid(self, data: dict[str, Any], words: str) -> None:
        """A range with two bounds on a side, or none, or empty, is refused."""
        with pytest.raises(InvalidProgram, match=words):
            Range(**data)

    @pytest.mark.parametrize(("rng", "value", "inside"), [
        (Range(at_least=60), 60, True), (Range(at_least=60), 59, False),
        (Range(over=1500), 1500, False), (Range(over=1500), 1501, True),
        (Range(up_to=1500), 1500, True), (Range(below=120), 120, False),
        (Range(at_least=5, up_to=5), 5, True),
    ])
    def test_edges(self, rng: Range, value: int, inside: bool) -> None:
        """Each bound includes or excludes exactly its threshold."""
        assert rng.contains(Decimal(value)) is inside


class TestTables:
    """Lookups and declarations."""

    def test_first_and_most_generous(self) -> None:
        """First match takes the first band; most generous the largest."""
        bands = (Band(when={"d": Range(at_least=60)}, value=eur("5.00")),
                 Band(when={"d": Range(at_least=120)}, value=eur("10.00")))
        first = BandTable(keys={"d": "delay_minutes"}, bands=bands)
        best = BandTable(keys={"d": "delay_minutes"}, bands=bands, match="most_generous")
        assert first.lookup({"d": Decimal(130)}) == bands[0]
        assert best.lookup({"d": Decimal(130)}) == bands[1]
        assert best.lookup({}) is None

    def test_key_must_be_declared_by_the_table(self) -> None:
        """A band reads only the table's keys."""
        with pytest.raises(InvalidProgram, match="reads key 'km'"):
            BandTable(keys={"d": "delay_minutes"},
                      bands=(Band(when={"km": Range(over=1)}, value=eur("1.00")),))

    def test_monotone_promise_is_checked(self) -> None:
        """A table declared monotone that gives less for more is refused."""
        with pytest.raises(InvalidProgram, match="declared monotone but gives less at d=120"):
            BandTable(keys={"d": "delay_minutes"}, monotone=True, bands=(
                Band(when={"d": Range(at_least=60, below=120)}, value=eur("5.00")),
                Band(when={"d": Range(at_least=120)}, value=eur("4.00"))))

    def test_band_needs_one_amount(self) -> None:
        """A band gives money or a percentage."""
        with pytest.raises(InvalidProgram, match="either value or percent"):
            Band(value=eur("1.00"), percent=Decimal(1))


class TestPayouts:
    """A rail-style rule: 25 % / 50 % of the fare, half for a return, nothing under 4 EUR."""

    prog = program(RAIL_CREDIT)

    @pytest.mark.parametrize(("delay", "fare", "ticket", "value"), [
        (59, "40.00 EUR", "single", None),
        (60, "40.00 EUR", "single", "10.00"),
        (119, "40.00 EUR", "single", "10.00"),
        (120, "40.00 EUR", "single", "20.00"),
        (120, "40.00 EUR", "return", "10.00"),
        (60, "15.98 EUR", "single", None),   # 3.995 -> 4.00? no: rounded to 4.00 is paid
        (60, "15.00 EUR", "single", None),   # 3.75 < 4.00: not paid
        (60, "32.00 EUR", "return", "4.00"),  # 25 % of 32 halved: exactly the minimum
    ])
    def test_edges(self, delay: int, fare: str, ticket: str, value: str | None) -> None:
        """Thresholds, the return ticket's half and the minimum payout, at their edges."""
        effect = outcome(self.prog, claim(delay_minutes=delay, fare=fare, ticket=ticket))
        if fare == "15.98 EUR":
            assert isinstance(effect, GoodwillGranted)
            assert effect.value == eur("4.00")
            return
        if value is None:
            assert isinstance(effect, GoodwillDeclined)
        else:
            assert isinstance(effect, GoodwillGranted)
            assert effect.value == eur(value)

    def test_reasons_speak_of_the_facts(self) -> None:
        """The reason names the band, the base and the reduction; a refusal says why."""
        granted = outcome(self.prog, claim(delay_minutes=125, fare="40.00 EUR", ticket="return"))
        assert "delay 125: 50 % of the fare 40.00 EUR" in granted.reason
        assert "x0.5: half the fare of a return ticket" in granted.reason
        declined = outcome(self.prog, claim(delay_minutes=60, fare="15.00 EUR"))
        assert "3.75 EUR is below the minimum payout of 4.00 EUR" in declined.reason
        trace = self.prog.apply(None, claim(delay_minutes=30, fare="15.00 EUR")).trace
        assert any("no band of the table covers delay 30" in t.detail for t in trace)
        trace = self.prog.apply(None, claim(delay_minutes=70)).trace
        assert any("needs the fare" in t.detail for t in trace)

    def test_describe(self) -> None:
        """The rule reads in words."""
        assert RAIL_CREDIT.describe() == (
            "a credit by delay minutes (most generous band): at least 60 -> 25 % of the fare; "
            "at least 120 -> 50 % of the fare, x0.5: half the fare of a return ticket; nothing "
            "below 4.00 EUR")

    def test_cap_as_a_share_of_the_base(self) -> None:
        """max_percent bounds the value by a share of the base."""
        prog = program(CreditCompensation(value=eur("30.00"), of="fare", max_percent=25))
        effect = outcome(prog, claim(fare="100.00 EUR"))
        assert effect.value == eur("25.00")
        assert "at most 25 % of the base 100.00 EUR" in effect.reason

    def test_season_ticket_delays_add_up_under_one_cap(self) -> None:
        """Each delay of the month is looked up; the sum is capped at 25 % of the fare."""
        season = BandTable(keys={"delay": "delay_minutes"},
                           bands=(Band(when={"delay": Range(at_least=60)}, value=eur("1.50")),))
        prog = program(CreditCompensation(table=season, each="delays", of="fare",
                                          max_percent=25, minimum=eur("4.00")))
        delays = [{"delay_minutes": m} for m in (61, 75, 20, 90, 200)]
        effect = outcome(prog, claim(delays=delays, fare="100.00 EUR"))
        assert effect.value == eur("6.00")
        assert "4 of 5 delays covered: 6.00 EUR together" in effect.reason
        many = [{"delay_minutes": 60}] * 30
        assert outcome(prog, claim(delays=many, fare="100.00 EUR")).value == eur("25.00")
        few = [{"delay_minutes": 60}] * 2
        assert isinstance(outcome(prog, claim(delays=few, fare="100.00 EUR")), GoodwillDeclined)

    @pytest.mark.parametrize(("comp", "error", "words"), [
        (CreditCompensation(table=RAIL, of="fair"), UnknownFact, "did you mean 'fare'"),
        (CreditCompensation(table=RAIL, of="ticket"), FactTypeMismatch, "not money"),
        (CreditCompensation(table=RAIL, each="ticket"), UnknownFact, "not a declared items"),
        (CreditCompensation(table=BandTable(keys={"t": "label"}, bands=(
            Band(when={"t": Range(over=1)}, value=eur("1.00")),))), FactTypeMismatch,
         "bands need a number"),
        (CreditCompensation(table=BandTable(keys={"a": "amount"}, bands=(
            Band(when={"a": Range(over=1)}, value=eur("1.00")),))), ConditionNeverApplies,
         "complaints never carry"),
        (CreditCompensation(value=eur("5.00"), reductions=(Reduction(
            when=FactIs(fact="channel", value="web"), factor=Decimal("0.5")),)),
         ConditionNeverApplies, "reductions"),
        (RefundShare(table=BandTable(keys={"d": "delay_minutes"}, bands=(
            Band(when={"d": Range(over=1)}, value=Money("1.00", "USD")),))),
         InvalidProgram, "USD"),
    ])
    def test_refused_when_built(self, comp: Any, error: type, words: str) -> None:
        """A base, an items fact or a key that cannot work is refused when the program is built."""
        with pytest.raises(error, match=words):
            program(comp)

    @pytest.mark.parametrize(("data", "words"), [
        ({"value": "5 EUR", "table": RAIL.model_dump()}, "one of them"),
        ({"value": "5 EUR", "max": "9 EUR"}, "max only bounds"),
        ({"value": "5 EUR", "each": "delays"}, "give a table"),
        ({"percent": 10, "max": "5 EUR", "minimum": "6 EUR"}, "is above max"),
        ({"percent": 10, "minimum": "0 EUR"}, "more than zero"),
    ])
    def test_invalid_compensation(self, data: dict[str, Any], words: str) -> None:
        """Inconsistent payout fields are refused with the fix."""
        with pytest.raises(InvalidProgram, match=words):
            CreditCompensation(**data)

    def test_round_trip(self) -> None:
        """A program with tables, reductions and items saves to JSON and back unchanged."""
        again = Program.model_validate_json(self.prog.model_dump_json())
        assert again == self.prog
        assert outcome(again, claim(delay_minutes=130, fare="40.00 EUR")).value == eur("20.00")


class TestCheck:
    """Gaps and overlaps between bands, reported by Program.check and `reciprocity check`."""

    def test_gap_and_overlap(self) -> None:
        """A first-match table with a hole and two bands over one case."""
        table = BandTable(keys={"km": "delay_minutes"}, bands=(
            Band(when={"km": Range(up_to=1500)}, value=eur("250.00")),
            Band(when={"km": Range(at_least=1500, up_to=2000)}, value=eur("400.00")),
            Band(when={"km": Range(over=3500)}, value=eur("600.00"))))
        codes = {f.code: f.message for f in program(CreditCompensation(table=table)).check()}
        assert "km=1500 (bands 0, 1)" in codes["band-table-overlap"]
        assert "km=2750" in codes["band-table-gap"]

    def test_contiguous_int_bands_have_no_gap(self) -> None:
        """up_to 1500 then at_least 1501 leaves no whole number out."""
        table = BandTable(keys={"km": "delay_minutes"}, bands=(
            Band(when={"km": Range(up_to=1500)}, value=eur("250.00")),
            Band(when={"km": Range(at_least=1501)}, value=eur("400.00"))))
        assert program(CreditCompensation(table=table)).check() == []

    def test_most_generous_overlaps_are_meant(self) -> None:
        """Overlapping bands of a most-generous table are not reported."""
        assert program(RAIL_CREDIT).check() == []

    def test_cli_reports_findings(self, tmp_path: Path, capsys: Any) -> None:
        """`reciprocity check` prints the findings and exits 1."""
        table = BandTable(keys={"d": "delay_minutes"}, bands=(
            Band(when={"d": Range(at_least=60, below=90)}, value=eur("5.00")),
            Band(when={"d": Range(at_least=120)}, value=eur("10.00"))))
        path = tmp_path / "p.json"
        path.write_text(json.dumps(program(CreditCompensation(table=table))
                                   .model_dump(mode="json")), encoding="utf-8")
        assert main(["check", str(path)]) == 1
        assert "band-table-gap" in capsys.readouterr().out


BOUNDS = st.integers(min_value=0, max_value=400)


@st.composite
def tables(draw: Any) -> BandTable:
    """Random one- or two-key tables of money bands."""
    keys = draw(st.sampled_from([("d",), ("d", "k")]))
    bands = []
    for _ in range(draw(st.integers(1, 4))):
        when = {}
        for key in keys:
            low, high = sorted(draw(st.lists(BOUNDS, min_size=2, max_size=2, unique=True)))
            when[key] = Range(at_least=low, below=high) if draw(st.booleans()) else \
                Range(at_least=low)
        bands.append(Band(when=when, value=eur(f"{draw(st.integers(0, 500))}.00")))
    facts = {"d": "delay_minutes", "k": "distance_km"}
    return BandTable(keys={k: facts[k] for k in keys}, bands=tuple(bands),
                     match=draw(st.sampled_from(["first", "most_generous"])))


@settings(max_examples=60, deadline=None)
@given(tables(), st.lists(st.integers(-10, 450), min_size=4, max_size=4))
def test_monotone_tables_are_monotone(table: BandTable, values: list[int]) -> None:
    """Where a table accepts monotone=True, a larger value of a key never gives less."""
    try:
        promised = BandTable(**{**table.__dict__, "monotone": True})
    except InvalidProgram:
        return
    keys = list(promised.keys)
    low = {k: Decimal(min(values[i], values[i + 2])) for i, k in enumerate(keys)}
    high = {k: Decimal(max(values[i], values[i + 2])) for i, k in enumerate(keys)}
    a, b = promised.lookup(low), promised.lookup(high)
    if a is not None:
        assert b is not None
        assert b.value is not None
        assert a.value is not None
        assert b.value >= a.value


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(1, 50000), st.sampled_from(["single", "return"]),
       st.integers(1, 100), st.integers(1, 200))
def test_never_pays_above_the_caps(delay: int, cents: int, ticket: str, share: int,
                                   cap: int) -> None:
    """Whatever the facts, a rule pays at most its max and its share of the base."""
    comp = RAIL_CREDIT.model_copy(update={"max_percent": Decimal(share),
                                          "max": eur(f"{cap}.00"), "minimum": None})
    prog = program(CreditCompensation.model_validate(comp.model_dump()))
    fare = Decimal(cents) / 100
    effect = outcome(prog, claim(delay_minutes=delay, fare=f"{fare} EUR", ticket=ticket))
    if isinstance(effect, GoodwillGranted):
        assert effect.value.amount <= cap
        assert effect.value.amount <= fare * share / 100
        assert effect.value.amount <= fare / 2 + Decimal("0.005")  # the band's own rounding


class TestCategoriesAndDuplicates:
    """Shop-defined categories, and duplicates keyed by declared facts."""

    FLIGHT_FACTS = (Fact(name="passenger_id", type="str"), Fact(name="flight", type="str"))

    def flights(self, **policy: Any) -> Program:
        rule = GoodwillRule(id="eu261", categories=("flight_delayed", "flight_cancelled"),
                            compensation=CreditCompensation(value=eur("250.00")))
        return Program(name="Air", facts=self.FLIGHT_FACTS, goodwill=GoodwillPolicy(
            rules=(rule,), categories=("flight_delayed", "flight_cancelled"), **policy))

    def complaint(self, cid: str, category: str, **metadata: Any) -> Complaint:
        return Complaint(id=cid, member_id="m-1", at=T0, category=category, metadata=metadata)

    def test_declared_categories_are_accepted_and_read_in_words(self) -> None:
        """A declared category works like a built-in one; its words are its name."""
        effect = outcome(self.flights(), self.complaint("C-1", "flight_cancelled"))
        assert effect.value == eur("250.00")
        assert "(flight cancelled)" in effect.reason
        assert "flight delayed or flight cancelled: a 250.00 EUR credit" in \
            self.flights().explain()

    def test_unknown_category_is_refused(self) -> None:
        """An undeclared category in a complaint or a rule is refused, with the nearest."""
        with pytest.raises(UnknownCategory, match="did you mean 'flight_delayed'"):
            self.flights().apply(None, self.complaint("C-1", "flight_delay"))
        with pytest.raises(UnknownCategory):
            Program(name="p").apply(None, self.complaint("C-1", "flight_delayed"))
        with pytest.raises(InvalidProgram, match="did you mean 'flight_delayed'"):
            GoodwillPolicy(rules=(GoodwillRule(
                id="r", categories=("flight_delay",),
                compensation=CreditCompensation(value=eur("1.00"))),),
                categories=("flight_delayed",))

    def test_duplicate_key_of_facts(self) -> None:
        """One claim per passenger and flight, whatever the category; the reason names the key."""
        prog = self.flights(duplicate_key=("passenger_id", "flight"))
        first = prog.apply(None, self.complaint("C-1", "flight_delayed", passenger_id="P1",
                                                flight="LH100"))
        again = prog.apply(first.state, self.complaint("C-2", "flight_cancelled",
                                                       passenger_id="P1", flight="LH100"))
        (effect,) = again.effects
        assert isinstance(effect, GoodwillDeclined)
        assert "repeats complaint C-1 of 2026-03-01 with the same passenger id and flight" \
            in effect.reason
        assert "order" not in effect.reason
        other = prog.apply(first.state, self.complaint("C-3", "flight_delayed",
                                                       passenger_id="P2", flight="LH100"))
        assert isinstance(other.effects[0], GoodwillGranted)
        saved = type(first.state).model_validate_json(first.state.model_dump_json())
        replayed = prog.apply(saved, self.complaint("C-2", "flight_cancelled",
                                                    passenger_id="P1", flight="LH100"))
        assert isinstance(replayed.effects[0], GoodwillDeclined)
        assert "duplicate (same passenger id, flight)" in prog.explain()

    def test_without_the_key_facts_no_duplicate_is_spotted(self) -> None:
        """A complaint missing a key fact is never taken for a duplicate."""
        prog = self.flights(duplicate_key=("passenger_id", "flight"))
        first = prog.apply(None, self.complaint("C-1", "flight_delayed", flight="LH100"))
        again = prog.apply(first.state, self.complaint("C-2", "flight_delayed",
                                                       flight="LH100"))
        assert isinstance(again.effects[0], GoodwillGranted)

    @pytest.mark.parametrize(("key", "error"), [
        (("passenger",), UnknownFact), (("channel",), ConditionNeverApplies),
    ])
    def test_bad_duplicate_key(self, key: tuple[str, ...], error: type) -> None:
        """A key fact nobody declared, or that complaints never carry, is refused."""
        with pytest.raises(error):
            self.flights(duplicate_key=key)
