"""Amounts dump in fixed-point form everywhere (program, events, state, effects, summaries),
however they were written ("1E+2" dumps as "100"), and every dump passes the published
JSON Schemas (``program_json_schema()`` and the schema of events)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from reciprocity import (
    Always,
    CampaignMultiplier,
    MemberState,
    Money,
    PointScheme,
    PointsPerPurchase,
    Program,
    Reward,
    parse_event,
    program_json_schema,
)
from reciprocity.events import Event

jsonschema = pytest.importorskip("jsonschema")

FIXED = re.compile(r"-?\d+(\.\d+)?")
EXPONENT = re.compile(r"\d[eE][-+]?\d")
SETTINGS = settings(max_examples=60, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def validator(schema: dict[str, Any]) -> Any:
    """A validator of ``schema``, checked against its meta-schema once (not per example)."""
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


PROGRAM_SCHEMA = validator(program_json_schema())
EVENT_SCHEMA = validator(TypeAdapter(Event).json_schema(mode="serialization"))
STATE_SCHEMA = validator(MemberState.model_json_schema(mode="serialization"))


@st.composite
def written_amounts(draw: st.DrawFn, places: int = 2, high: int = 10**9,
                    low: int = 0) -> tuple[str, Decimal]:
    """An amount with at most ``places`` decimals, written the way a shop might: plain,
    normalised ("1E+2"), or as a mantissa and an exponent ("1000E-1"); and its value."""
    units = draw(st.integers(low, high * 10**places))
    value = Decimal(units).scaleb(-places)
    shift = draw(st.integers(0, 4))
    form = draw(st.sampled_from(["plain", "normalised", "mantissa"]))
    if form == "plain":
        text = str(value)
    elif form == "normalised":
        text = str(value.normalize())
    else:
        text = f"{units * 10**shift}E-{places + shift}"
    assert Decimal(text) == value
    return text, value


def strings(data: Any) -> list[str]:
    """Every string value inside a JSON document."""
    if isinstance(data, dict):
        return [s for value in data.values() for s in strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in strings(value)]
    return [data] if isinstance(data, str) else []


def money_amounts(data: Any) -> list[str]:
    """The ``amount`` of every money object inside a JSON document."""
    if isinstance(data, dict):
        found = [data["amount"]] if set(data) == {"amount", "currency"} else []
        return found + [s for value in data.values() for s in money_amounts(value)]
    if isinstance(data, list):
        return [s for value in data for s in money_amounts(value)]
    return []


def assert_fixed_point(text: str) -> None:
    """No number in the JSON text is in exponent form, and every money amount is fixed."""
    data = json.loads(text)
    for value in strings(data):
        if re.fullmatch(r"[-+]?[\d.]+[eE][-+]?\d+", value):
            raise AssertionError(f"exponent form {value!r} in {text[:200]}")
    for amount in money_amounts(data):
        assert FIXED.fullmatch(amount), amount


EXPONENT_FACTORS = st.sampled_from(["1E+1", "2E+1", "1.5E+0", "15E-1", "5E-1", "1E+0"])


@SETTINGS
@given(written_amounts(), written_amounts(),
       st.one_of(EXPONENT_FACTORS.map(lambda t: (t, Decimal(t))),
                 written_amounts(places=1, high=10)),
       written_amounts())
@example(("1E+2", Decimal(100)), ("0", Decimal(0)), ("1E+1", Decimal(10)),
         ("1E+1", Decimal(10)))
def test_program_dumps_fixed_point_and_passes_its_schema(
        threshold: tuple[str, Decimal], value: tuple[str, Decimal],
        factor: tuple[str, Decimal], reward_value: tuple[str, Decimal]) -> None:
    """A program whose amounts and factors were written in any form dumps fixed-point JSON
    that the published schema accepts, and loads back equal."""
    factor_text = factor[0] if factor[1] > 0 else "1E+0"
    program = Program.model_validate({
        "name": "P", "currency": "EUR", "timezone": "Europe/Berlin",
        "points": {
            "earn": [{"type": "points_per_purchase", "id": "r", "points": 1,
                      "min_amount": f"{threshold[0]} EUR",
                      "multipliers": [{"type": "campaign", "name": "c", "factor": factor_text,
                                       "when": {"type": "always"}}]}],
            "rewards": [{"id": "v", "name": "voucher", "points": 10,
                         "value": {"amount": reward_value[0], "currency": "EUR"}}],
        },
    })
    text = program.model_dump_json()
    assert_fixed_point(text)
    dumped = program.model_dump(mode="json")
    assert Decimal(dumped["points"]["earn"][0]["min_amount"]["amount"]) == threshold[1]
    PROGRAM_SCHEMA.validate(dumped)
    PROGRAM_SCHEMA.validate(json.loads(text))
    assert Program.model_validate_json(text) == program
    del value


@SETTINGS
@given(written_amounts(low=1), written_amounts(places=3, high=10**4), st.integers(1, 5))
@example(("1E+2", Decimal(100)), ("1E+1", Decimal(10)), 3)
def test_events_dump_fixed_point_and_pass_the_event_schema(
        amount: tuple[str, Decimal], unit: tuple[str, Decimal], quantity: int) -> None:
    """Purchases (with lines, paying their exact sum), returns and complaints dump
    fixed-point amounts that the events' JSON Schema accepts, and parse back equal."""
    lines_total = unit[1] * quantity
    events = [
        {"type": "purchase", "id": "A", "member_id": "m", "at": "2026-03-01T12:00:00+01:00",
         "amount": f"{amount[0]} EUR"},
        {"type": "purchase", "id": "B", "member_id": "m", "at": "2026-03-01T12:00:00+01:00",
         "amount": f"{format(lines_total, 'E')} EUR",
         "lines": [{"sku": "X", "quantity": quantity, "unit_price": f"{unit[0]} EUR"}]},
        {"type": "return", "id": "R", "member_id": "m", "at": "2026-03-02T12:00:00+01:00",
         "purchase_id": "A", "amount": {"amount": amount[0], "currency": "EUR"}},
        {"type": "complaint", "id": "C", "member_id": "m", "at": "2026-03-02T12:00:00+01:00",
         "amount_affected": f"{amount[0]} EUR"},
    ]
    for data in events:
        event = parse_event(data)
        text = event.model_dump_json()
        assert_fixed_point(text)
        EVENT_SCHEMA.validate(json.loads(text))
        assert parse_event(text) == event


@SETTINGS
@given(written_amounts(high=10**6), written_amounts(high=10**4), st.integers(1, 4))
@example(("1E+2", Decimal(100)), ("1E+1", Decimal(10)), 2)
def test_state_effects_and_summary_dump_fixed_point(threshold: tuple[str, Decimal],
                                                    voucher: tuple[str, Decimal],
                                                    power: int) -> None:
    """A purchase and an issued voucher written in exponent form: the member state, the
    effects and the replay summary all dump fixed-point amounts; the state passes its own
    schema and loads back equal."""
    program = Program(
        name="P", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerPurchase(
                id="r", points=10, min_amount=Money(threshold[0], "EUR"),
                multipliers=(CampaignMultiplier(name="c", factor=Decimal("1E+0"),
                                               when=Always()),)),),
            rewards=(Reward(id="v", name="voucher", points=10, auto_issue=True,
                            value=Money(voucher[0], "EUR")),),
        ),
    )
    paid_text = f"{int(threshold[1]) // 10**power + 1}E+{power}"  # over the threshold
    paid = Decimal(paid_text)
    event = {"type": "purchase", "id": "A", "member_id": "m",
             "at": "2026-03-01T12:00:00+01:00", "amount": f"{paid_text} EUR"}
    decision = program.apply(None, event)
    state_text = decision.state.model_dump_json()
    assert_fixed_point(state_text)
    STATE_SCHEMA.validate(json.loads(state_text))
    assert MemberState.model_validate_json(state_text) == decision.state
    assert Decimal(json.loads(state_text)["spend"]) == paid
    assert decision.effects, "the purchase earns points and issues the voucher"
    for effect in decision.effects:
        assert_fixed_point(effect.model_dump_json())
    issued = [e for e in decision.effects if e.type == "voucher_issued"]
    assert issued
    dumped = json.loads(issued[0].model_dump_json())["voucher"]["value"]["amount"]
    assert Decimal(dumped) == voucher[1]
    assert_fixed_point(program.replay([event]).summary().model_dump_json())


def test_the_reported_amount() -> None:
    """Issue 10's example: "1E+2" dumps as "100", never "1E+2"."""
    text = Money("1E+2", "EUR")
    assert json.loads(PointsPerPurchase(id="r", points=1, min_amount=text)
                      .model_dump_json())["min_amount"]["amount"] == "100"
    assert not EXPONENT.search(Program(
        name="P", currency="EUR", points=PointScheme(earn=(PointsPerPurchase(
            id="r", points=1, min_amount=text),))).model_dump_json())
