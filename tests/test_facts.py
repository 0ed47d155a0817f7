"""Facts and conditions over them: declarations, typed values, FactIs, HasFact, Elapsed, and
their checks when a program is built and when an event is validated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from reciprocity import (
    AmountOver,
    ChannelIs,
    Complaint,
    Condition,
    ConditionNeverApplies,
    CreditCompensation,
    Custom,
    Elapsed,
    Fact,
    FactIs,
    FactTypeMismatch,
    GoodwillPolicy,
    GoodwillRule,
    HasFact,
    InCategory,
    InvalidFact,
    InvalidProgram,
    Line,
    Money,
    Program,
    Purchase,
    UnknownFact,
    all_of,
)
from reciprocity.conditions import CompileContext
from reciprocity.facts import typed_value

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
FACTS = (
    Fact(name="delay_minutes", type="int"),
    Fact(name="distance_km", type="int"),
    Fact(name="intra_eu", type="bool"),
    Fact(name="ticket", type="str", values=("single", "return", "season")),
    Fact(name="fare", type="money"),
    Fact(name="share", type="decimal"),
    Fact(name="scheduled_arrival", type="datetime"),
    Fact(name="actual_arrival", type="datetime"),
    Fact(name="origin", type="str", on="line"),
)
CTX = CompileContext("EUR", "Europe/Berlin", FACTS)


def complaint(**metadata: Any) -> Complaint:
    return Complaint(id="C-1", member_id="m-1", at=T0, metadata=metadata)


def holds(condition: Any, event: Any) -> bool:
    return bool(condition.compile(CTX)(None, event._row()))


class TestDeclarations:
    """A program's own facts: names, types, allowed values."""

    def test_describe(self) -> None:
        """A declaration reads in plain words."""
        assert Fact(name="fare", type="money").describe() == "fare: an amount of money"
        assert Fact(name="origin", type="str", on="line").describe() == \
            "origin (of an order line): a text"

    @pytest.mark.parametrize(("data", "words"), [
        ({"name": "severity", "type": "int"}, "is a field of complaint events"),
        ({"name": "at", "type": "datetime"}, "is a field of every event"),
        ({"name": "sku", "type": "str", "on": "line"}, "is a field of an order line"),
        ({"name": "n", "type": "int", "values": ["a"]}, "values only restrict a str fact"),
        ({"name": "t", "type": "str", "values": ["a", "a"]}, "has a value twice"),
        ({"name": "Delay", "type": "int"}, "name"),
        ({"name": "delay", "type": "float"}, "type"),
    ])
    def test_invalid_declarations(self, data: dict[str, Any], words: str) -> None:
        """A declaration that shadows an event field, or is malformed, is refused."""
        with pytest.raises(InvalidProgram, match=words):
            Fact(**data)

    def test_declared_twice(self) -> None:
        """A program declares each fact once."""
        with pytest.raises(InvalidProgram, match="declares 'fare' twice"):
            Program(name="p", facts=(Fact(name="fare", type="money"),
                                     Fact(name="fare", type="decimal")))

    def test_same_name_on_an_event_and_a_line(self) -> None:
        """An event fact and a line fact may share a name: lines are read as line.<name>."""
        Program(name="p", facts=(Fact(name="origin", type="str"),
                                 Fact(name="origin", type="str", on="line")))


class TestTypedValues:
    """What each type accepts, from JSON or Python."""

    @pytest.mark.parametrize(("kind", "raw", "value"), [
        ("int", 3, 3),
        ("decimal", 3, Decimal(3)),
        ("decimal", "49.90", Decimal("49.90")),
        ("decimal", 49.9, Decimal("49.9")),
        ("bool", False, False),
        ("str", "return", "return"),
        ("money", "12.50 EUR", Decimal("12.50")),
        ("money", {"amount": "12.50", "currency": "EUR"}, Decimal("12.50")),
        ("datetime", "2026-03-01T14:00:00+01:00", datetime(2026, 3, 1, 13, tzinfo=UTC)),
    ])
    def test_accepted(self, kind: Any, raw: Any, value: Any) -> None:
        """Each type reads its JSON forms exactly."""
        assert typed_value(kind, raw, "EUR", ("return",) if kind == "str" else ()) == value

    @pytest.mark.parametrize(("kind", "raw", "words"), [
        ("int", True, "not a whole number"),
        ("int", 1.5, "not a whole number"),
        ("int", "3", "not a whole number"),
        ("bool", 1, "not true or false"),
        ("decimal", "NaN", "not a decimal"),
        ("decimal", float("inf"), "not a finite"),
        ("str", "retrun", "did you mean 'return'"),
        ("money", "12.50 USD", "not in the program's currency EUR"),
        ("money", "twelve", "not an amount of money"),
        ("datetime", "2026-03-01T14:00:00", "naive"),
        ("datetime", 1700000000, "ISO 8601"),
    ])
    def test_refused(self, kind: Any, raw: Any, words: str) -> None:
        """A value of another type is refused, saying what it is not."""
        with pytest.raises(ValueError, match=words):
            typed_value(kind, raw, "EUR", ("single", "return") if kind == "str" else ())


class TestFactIs:
    """Comparisons over event fields, metadata, payloads and lines."""

    @pytest.mark.parametrize(("op", "value", "expected"), [
        ("==", 180, True), ("!=", 180, False), ("<", 180, False), ("<=", 180, True),
        (">", 180, False), (">=", 180, True), (">=", 181, False), ("in", (1, 180), True),
        ("in", (1, 2), False),
    ])
    def test_operators_at_the_threshold(self, op: Any, value: Any, expected: bool) -> None:
        """Each operator, with the fact exactly at the value."""
        assert holds(FactIs(fact="delay_minutes", op=op, value=value),
                     complaint(delay_minutes=180)) is expected

    def test_missing_fact_is_false_and_its_negation_true(self) -> None:
        """A comparison with a fact the event does not carry is false, whatever the op."""
        for op in ("==", "!=", ">="):
            condition = FactIs(fact="delay_minutes", op=op, value=1)
            assert holds(condition, complaint()) is False
            assert holds(~condition, complaint()) is True

    def test_event_fields(self) -> None:
        """Typed fields of the event are facts without a declaration."""
        event = Complaint(id="C-1", member_id="m-1", at=T0, severity=4,
                          amount_affected=Money("20.00", "EUR"), category="damaged")
        assert holds(FactIs(fact="severity", op=">=", value=4), event)
        assert holds(FactIs(fact="amount_affected", op=">", value=Money("19.99", "EUR")), event)
        assert holds(FactIs(fact="category", op="in", value=("damaged", "quality")), event)
        assert holds(FactIs(fact="at", op="<", value=T0 + timedelta(seconds=1)), event)

    def test_money_decimal_and_bool_metadata(self) -> None:
        """Declared facts are read with their types."""
        event = complaint(fare="49.90 EUR", share="0.5", intra_eu=True)
        assert holds(FactIs(fact="fare", op="<", value=Money("50.00", "EUR")), event)
        assert holds(FactIs(fact="share", op="==", value=Decimal("0.50")), event)
        assert holds(FactIs(fact="intra_eu", value=True), event)
        assert not holds(FactIs(fact="intra_eu", value=False), event)

    def test_custom_payload_before_metadata(self) -> None:
        """A Custom event's payload is read first, then its metadata."""
        event = Custom(id="X-1", member_id="m-1", at=T0, name="trip",
                       payload={"distance_km": 2000}, metadata={"distance_km": 10})
        assert holds(FactIs(fact="distance_km", op=">", value=1500), event)

    def test_line_facts_hold_when_any_line_does(self) -> None:
        """``line.<name>`` reads every line; the condition holds if one line meets it."""
        price = Money("5.00", "EUR")
        lines = (Line(sku="A", quantity=1, unit_price=price, metadata={"origin": "FR"}),
                 Line(sku="B", quantity=2, unit_price=price, category="tea"))
        event = Purchase(id="A-1", member_id="m-1", at=T0, amount=Money("15.00", "EUR"),
                         lines=lines)
        assert holds(FactIs(fact="line.origin", value="FR"), event)
        assert not holds(FactIs(fact="line.origin", value="DE"), event)
        assert holds(FactIs(fact="line.quantity", op=">=", value=2), event)
        assert holds(HasFact(fact="line.origin"), event)
        assert not holds(HasFact(fact="line.origin"), Purchase(
            id="A-2", member_id="m-1", at=T0, amount=Money("1.00", "EUR")))

    def test_describe(self) -> None:
        """Facts read in words; booleans as true/false."""
        assert FactIs(fact="intra_eu", value=False).describe() == "intra eu is false"
        assert FactIs(fact="line.origin", op="!=", value="FR").describe() == \
            "an order line's origin is not FR"

    @pytest.mark.parametrize(("data", "words"), [
        ({"fact": "x", "op": "in", "value": 1}, "takes a list"),
        ({"fact": "x", "op": "==", "value": [1]}, "takes one value"),
        ({"fact": "x", "op": "in", "value": []}, "at least one value"),
        ({"fact": "x", "op": "~=", "value": 1}, "op"),
    ])
    def test_malformed(self, data: dict[str, Any], words: str) -> None:
        """A value that does not fit the operator is refused when the condition is made."""
        with pytest.raises(InvalidProgram, match=words):
            FactIs(**data)


class TestElapsedAndPresence:
    """The time between two datetime facts, and presence."""

    def test_elapsed_minutes_are_exact(self) -> None:
        """179 minutes 59 seconds is under 180 minutes; 180 exactly is not."""
        late = FactIs(fact=Elapsed(start="scheduled_arrival", end="actual_arrival"),
                      op=">=", value=180)
        scheduled = datetime(2026, 3, 1, 12, tzinfo=UTC)
        for seconds, expected in ((180 * 60 - 1, False), (180 * 60, True)):
            event = complaint(scheduled_arrival=scheduled.isoformat(),
                              actual_arrival=(scheduled + timedelta(seconds=seconds))
                              .astimezone(timezone(timedelta(hours=1))).isoformat())
            assert holds(late, event) is expected

    def test_elapsed_needs_both(self) -> None:
        """Without one of the two times, the elapsed time is missing."""
        late = FactIs(fact=Elapsed(start="scheduled_arrival", end="actual_arrival"),
                      op=">=", value=0)
        assert not holds(late, complaint(scheduled_arrival="2026-03-01T12:00:00+00:00"))
        assert not holds(HasFact(fact=Elapsed(start="scheduled_arrival", end="at")),
                         complaint())

    def test_elapsed_of_non_datetimes_is_refused(self) -> None:
        """Elapsed reads two datetime facts of the event."""
        with pytest.raises(FactTypeMismatch, match="two datetime facts"):
            FactIs(fact=Elapsed(start="delay_minutes", end="at"), op=">", value=1).compile(CTX)

    def test_has_fact(self) -> None:
        """Presence: a null value counts as absent."""
        assert holds(HasFact(fact="ticket"), complaint(ticket="single"))
        assert not holds(HasFact(fact="ticket"), complaint(ticket=None))
        assert HasFact(fact="ticket").describe() == "ticket is given"


class TestProgramChecks:
    """A misspelt fact, a wrong value or a condition its rule never meets is refused."""

    def build(self, when: Any) -> Program:
        rule = GoodwillRule(id="r", when=when,
                            compensation=CreditCompensation(value=Money("5.00", "EUR")))
        return Program(name="p", facts=FACTS, goodwill=GoodwillPolicy(rules=(rule,)))

    @pytest.mark.parametrize(("when", "error", "words"), [
        (FactIs(fact="delay_minute", value=1), UnknownFact, "did you mean 'delay_minutes'"),
        (FactIs(fact="line.orign", value="FR"), UnknownFact, "did you mean 'line.origin'"),
        (FactIs(fact="delay_minutes", value="1"), FactTypeMismatch, "is a whole number"),
        (FactIs(fact="ticket", value="retrun"), FactTypeMismatch, "did you mean 'return'"),
        (FactIs(fact="ticket", op=">", value="a"), FactTypeMismatch, "compares sizes"),
        (FactIs(fact="fare", op=">", value=Money("1", "USD")), FactTypeMismatch, "currency"),
        (AmountOver(amount=Money("5", "EUR")), ConditionNeverApplies, "needs purchase events"),
        (ChannelIs(channels=("web",)) | HasFact(fact="ticket"), ConditionNeverApplies,
         "channel is web"),
        (~InCategory(categories=("tea",)), ConditionNeverApplies, "order contains tea"),
        (FactIs(fact="line.origin", value="FR"), ConditionNeverApplies, "purchase"),
        (FactIs(fact="name", value="trip"), ConditionNeverApplies, "custom"),
    ])
    def test_refused_when_built(self, when: Any, error: type, words: str) -> None:
        """Each mistake has its own error, naming the rule and the fix."""
        with pytest.raises(error, match=words) as info:
            self.build(when)
        assert "goodwill rule 'r'" in str(info.value) or error is not ConditionNeverApplies

    def test_wrong_fact_in_an_event_is_refused_and_nothing_changes(self) -> None:
        """An event carrying a declared fact with a wrong type is refused at the edge."""
        program = self.build(FactIs(fact="delay_minutes", op=">=", value=180))
        with pytest.raises(InvalidFact, match=r"metadata\['delay_minutes'\]: '200'"):
            program.apply(None, complaint(delay_minutes="200"))
        with pytest.raises(InvalidFact, match="did you mean 'return'"):
            program.apply(None, complaint(ticket="retrun"))
        with pytest.raises(InvalidFact, match=r"lines\[0\]\.metadata\['origin'\]"):
            program.apply(None, Purchase(
                id="A-1", member_id="m-1", at=T0, amount=Money("1.00", "EUR"), lines=(
                    Line(sku="A", quantity=1, unit_price=Money("1.00", "EUR"),
                         metadata={"origin": 7}),)))
        with pytest.raises(InvalidFact):
            program.replay([complaint(fare="1.00 USD")]).states  # noqa: B018

    def test_undeclared_metadata_is_carried_untouched(self) -> None:
        """Metadata nobody declared is the shop's own: never refused."""
        program = self.build(FactIs(fact="delay_minutes", op=">=", value=180))
        decision = program.apply(None, complaint(delay_minutes=181, note={"any": [1, "x"]}))
        assert decision.effects[0].kind == "credit"


CONDITIONS = st.sampled_from([
    FactIs(fact="delay_minutes", op=">=", value=180),
    FactIs(fact="ticket", op="in", value=("single", "return")),
    FactIs(fact="fare", op="<", value=Money("50.00", "EUR")),
    FactIs(fact="share", op="==", value=Decimal("0.5")),
    FactIs(fact=Elapsed(start="scheduled_arrival", end="actual_arrival", unit="hours"),
           op=">", value=3),
    HasFact(fact="line.origin"),
    FactIs(fact="at", op=">=", value=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
])


@given(st.lists(CONDITIONS, min_size=1, max_size=3), st.booleans())
def test_json_round_trip(parts: list[Any], negate: bool) -> None:
    """Any fact condition, combined, reads back from JSON equal and compiles the same."""
    condition: Any = all_of(*parts)
    if negate:
        condition = ~condition
    adapter: TypeAdapter[Any] = TypeAdapter(Condition)
    again = adapter.validate_json(condition.model_dump_json())
    assert again == condition
    assert again.describe() == condition.describe()
    event = complaint(delay_minutes=200, ticket="single", fare="10.00 EUR", share="0.50",
                      scheduled_arrival="2026-03-01T10:00:00+00:00",
                      actual_arrival="2026-03-01T14:00:00+00:00")
    assert holds(again, event) == holds(condition, event)


def test_an_earn_rule_reading_a_complaint_fact_is_refused() -> None:
    """A purchase rule's condition must be able to hold for a purchase."""
    from reciprocity import PointScheme, PointsPerPurchase

    with pytest.raises(ConditionNeverApplies, match="earn rule 'sev' when"):
        Program(name="p", points=PointScheme(earn=[PointsPerPurchase(
            id="sev", points=1, when=FactIs(fact="severity", op=">=", value=3))]))
    Program(name="p", facts=FACTS, points=PointScheme(earn=[PointsPerPurchase(
        id="origin", points=1, when=FactIs(fact="line.origin", value="FR"))]))
