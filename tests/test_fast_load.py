"""The fast JSON paths of instants, amounts and money (``reciprocity._fastpath``) give what the
checked paths they stand in front of give: the same values, the same errors.

Each case is loaded twice, through a model whose fields have the fast path (the library's own
``Instant`` and ``Amount``) and through one with the checked types alone (the validators the
fields had before the fast path), and the outcomes must be equal: the value (and that every
instant is in ``datetime.UTC``) or the error's class and message.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator

from reciprocity import InvalidState, MemberState, Money
from reciprocity._fastpath import _AMOUNTS, FIXED_TEXT, UTC_TEXT
from reciprocity._model import Instant, _not_a_number, require_aware
from reciprocity._state_base import Amount, _no_float, _StateModel
from reciprocity.money import _validate_money

CheckedInstant = Annotated[datetime, BeforeValidator(_not_a_number),
                           AfterValidator(require_aware)]
CheckedAmount = Annotated[Decimal, BeforeValidator(_no_float), Field(ge=0, allow_inf_nan=False)]


class Doc(_StateModel):
    at: Instant | None = None
    amount: Amount = Decimal(0)
    times: tuple[Instant, ...] = ()


class _Checked:
    class Doc(_StateModel):
        at: CheckedInstant | None = None
        amount: CheckedAmount = Decimal(0)
        times: tuple[CheckedInstant, ...] = ()


def outcome(model: type[_StateModel], text: str) -> tuple[Any, ...]:
    try:
        doc = model.model_validate_json(text)
    except Exception as exc:  # the class and message, compared between the paths
        return ("error", type(exc).__name__, str(exc))
    values = doc.model_dump()
    instants = [values["at"], *values["times"]]
    assert all(t is None or t.tzinfo is UTC for t in instants), instants
    amount = values["amount"]
    return ("ok", repr(values), amount.as_tuple(), doc.model_dump_json())


def same_both_ways(text: str) -> None:
    assert outcome(Doc, text) == outcome(_Checked.Doc, text)


TEXTS = [
    '"2026-03-02T12:00:00Z"', '"2026-03-02T12:00:00.5Z"', '"2026-03-02T12:00:00.123456Z"',
    '"2026-03-02T12:00:00.1234567Z"', '"2026-03-02T12:00:00"', '"2026-03-02T12:00:00+01:00"',
    '"2026-03-02T12:00:00+00:00"', '"2026-03-02T12:00:00-00:00"', '"2026-03-02 12:00:00Z"',
    '"2026-03-02T12:00:00z"', '"2026-02-29T12:00:00Z"', '"2024-02-29T12:00:00Z"',
    '"2026-02-30T12:00:00Z"', '"2026-04-31T00:00:00Z"', '"2026-03-02T24:00:00Z"',
    '"2026-03-02T23:59:60Z"', '"2026-03-02T12:00Z"', '"0000-01-01T00:00:00Z"',
    '"0001-01-01T00:00:00Z"', '"9999-12-31T23:59:59.999999Z"', '"1700000000"', "1700000000",
    "1.5e9", '"2026-03-02"', "null", '""', '"x"', "true", "[]", "{}",
]
AMOUNTS = [
    '"1.50"', '"1"', "1", "1.5", '"1e2"', '"1E+2"', '"-0"', '"-1.00"', '"NaN"', '"Infinity"',
    '"-Infinity"', '" 1.5"', '"1.5 "', '"1_000"', '"+1"', '".5"', '"5."', "null", "true", '""',
    '"00012.50"', '"' + "1" * 40 + '.' + "9" * 40 + '"', "[]", "{}", '"0.0000001"', '"0"',
]


def test_edge_case_instants_load_as_before() -> None:
    for text in TEXTS:
        same_both_ways(f'{{"at": {text}}}')
        same_both_ways(f'{{"times": ["2026-01-01T00:00:00Z", {text}]}}')


def test_edge_case_amounts_load_as_before() -> None:
    for text in AMOUNTS:
        same_both_ways(f'{{"amount": {text}}}')


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)),
                                               timezone(timedelta(hours=-5, minutes=-30))])))
def test_written_instants_load_as_before(value: datetime) -> None:
    """Every instant as pydantic writes it (in UTC: ``...Z``; or with another offset)."""
    for written in (Doc(at=value).model_dump_json(),
                    json.dumps({"at": value.isoformat()})):
        same_both_ways(written)
    assert Doc.model_validate_json(Doc(at=value).model_dump_json()).at == value


@settings(max_examples=300, deadline=None)
@given(st.from_regex(UTC_TEXT, fullmatch=True) | st.from_regex(FIXED_TEXT, fullmatch=True)
       | st.text(max_size=40))
def test_any_text_loads_as_before(text: str) -> None:
    """Texts of the fast paths' forms (impossible days included) and any text at all."""
    same_both_ways(json.dumps({"at": text}))
    same_both_ways(json.dumps({"amount": text}))


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, allow_nan=False, allow_infinity=False, places=None)
       | st.decimals(min_value=0, max_value=10**9, places=2))
def test_written_amounts_load_as_before(value: Decimal) -> None:
    written = Doc(amount=value).model_dump_json()
    same_both_ways(written)
    loaded = Doc.model_validate_json(written).amount
    assert loaded == value


def test_python_input_takes_the_checked_path() -> None:
    """``model_validate`` of Python objects runs the field's own validators, as before."""
    berlin = timezone(timedelta(hours=1))
    doc = Doc.model_validate({"at": datetime(2026, 3, 2, 13, tzinfo=berlin),
                              "amount": "2.50", "times": ["2026-03-02T12:00:00Z"]})
    assert doc.at == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert doc.at.tzinfo is UTC
    assert doc.times[0].tzinfo is UTC
    for bad in ({"at": datetime(2026, 3, 2)}, {"amount": 2.5}):
        checked = outcome(_Checked.Doc, json.dumps(bad, default=str))
        assert checked[0] == "error"


def test_state_errors_name_the_field_not_the_paths() -> None:
    """A broken instant or amount in a saved state: the same error as the checked path, with
    no trace of the fast path's union in the message."""
    data = json.loads(MemberState.new("m-1", currency="EUR").model_dump_json())
    for field, value, error, part in (
            ("as_of", "2026-03-02T12:00:00", InvalidState, "MemberState.as_of: 2026-03-02 "
                                                           "12:00:00 is naive"),
            ("as_of", 1700000000, InvalidState, "is a number, not a time"),
            ("spend", 4.5, InvalidState, "MemberState.spend=4.5: 4.5 is a float"),
            ("spend", "-1.00", InvalidState, "MemberState.spend='-1.00': Input should be "
                                             "greater than or equal to 0")):
        text = json.dumps({**data, field: value})
        with pytest.raises(error) as caught:
            MemberState.model_validate_json(text)
        message = str(caught.value)
        assert part in message
        assert "fast" not in message
        assert "checked" not in message


def test_other_offsets_and_integer_amounts_still_load() -> None:
    """Documents the library never writes, but accepted before, load as before: in UTC."""
    data = json.loads(MemberState.new("m-1", currency="EUR").model_dump_json())
    state = MemberState.model_validate_json(json.dumps(
        {**data, "as_of": "2026-03-02T13:00:00+01:00", "spend": 12}))
    assert state.as_of == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert state.as_of.tzinfo is UTC
    assert state.spend == Decimal(12)


def test_the_json_schema_is_the_checked_types() -> None:
    schema = MemberState.model_json_schema()
    as_of = schema["properties"]["as_of"]["anyOf"][0]
    assert as_of == {"format": "date-time", "type": "string"}
    spend = schema["properties"]["spend"]
    assert spend["anyOf"] == [{"type": "number"}, {"type": "string"}]
    assert spend["ge"] == 0


class MoneyDoc(_StateModel):
    value: Money | None = None


class _CheckedMoney:
    class MoneyDoc(_StateModel):
        value: Annotated[Any, PlainValidator(_validate_money)] | None = None


def money_outcome(model: type[_StateModel], text: str) -> tuple[Any, ...]:
    try:
        doc = model.model_validate_json(text)
    except Exception as exc:  # the class and message, compared between the paths
        return ("error", type(exc).__name__, str(exc).replace("_CheckedMoney.", ""))
    value = doc.value  # type: ignore[attr-defined]
    return ("ok", repr(value), None if value is None else value.amount.as_tuple())


MONIES = [
    {"amount": "12.50", "currency": "EUR"}, {"amount": "-12.50", "currency": "EUR"},
    {"amount": "12", "currency": "JPY"}, {"amount": "1E+2", "currency": "EUR"},
    {"amount": 12.5, "currency": "EUR"}, {"amount": 12, "currency": "EUR"},
    {"amount": "NaN", "currency": "EUR"}, {"amount": "12.50", "currency": "XYZ"},
    {"amount": "12.50", "currency": "eur"}, {"amount": "12.50"}, {"currency": "EUR"},
    {"amount": "12.50", "currency": "EUR", "x": 1}, {"amount": " 12.50", "currency": "EUR"},
    {"amount": "12.50", "currency": "XAU"}, "12.50 EUR", "12.50", 12, None, [],
]


def test_edge_case_money_loads_as_before() -> None:
    for value in MONIES:
        text = json.dumps({"value": value})
        assert money_outcome(MoneyDoc, text) == money_outcome(_CheckedMoney.MoneyDoc, text)


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None),
       st.sampled_from(["EUR", "JPY", "KWD", "USD", "ABC", "XAU"]))
def test_written_money_loads_as_before(amount: Decimal, currency: str) -> None:
    text = json.dumps({"value": {"amount": format(amount, "f"), "currency": currency}})
    assert money_outcome(MoneyDoc, text) == money_outcome(_CheckedMoney.MoneyDoc, text)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(FIXED_TEXT, fullmatch=True) | st.sampled_from(["0", "0.00", "0.0", "00"]))
def test_the_amount_table_gives_decimal_of_the_text_and_never_grows(text: str) -> None:
    before = dict(_AMOUNTS)
    value = _AMOUNTS[text]
    assert type(value) is Decimal
    assert value.as_tuple() == Decimal(text).as_tuple()
    same_both_ways(json.dumps({"amount": text}))
    assert _AMOUNTS == before == {"0": Decimal("0"), "0.00": Decimal("0.00")}
