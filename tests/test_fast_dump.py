"""``MemberState.model_dump_json()`` (``_fastpath.PlainDecimalDump``) writes what pydantic's own
serializer of the model writes, byte for byte, on states programs reach and on states whose
amounts need an exponent in ``str`` (``1E+2``, ``1E-7``, ``0E-8``), which it writes in
fixed-point form as before; with any decimal context, and with arguments (pydantic's path).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reciprocity import MemberState
from reciprocity._fastpath import has_exponent
from reciprocity.state import _DUMP, _TRUSTED
from reciprocity.testing import full_programs, member_states

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EXOTIC = [Decimal("1E+2"), Decimal("5E+3"), Decimal("1E-7"), Decimal("0E-8"), Decimal("0E+2"),
          Decimal("0.000001"), Decimal("0.0000010"), Decimal("123.4500"), Decimal("0"),
          Decimal("12345678901234567890.123456789"), Decimal("1.5E+10")]
AMOUNTS = st.sampled_from(EXOTIC) | st.decimals(min_value=0, max_value=10**9, allow_nan=False,
                                                allow_infinity=False, places=None)


def pydantic_dump(state: MemberState, **kwargs: Any) -> str:
    """What ``BaseModel.model_dump_json`` writes (the model's own serializer)."""
    return state.__pydantic_serializer__.to_json(state, **kwargs).decode()


@st.composite
def states(draw: st.DrawFn) -> MemberState:
    program = draw(full_programs(tiers=True, gifts=True, goodwill=True, shared=False))
    return draw(member_states(program, max_events=12))


def with_amounts(state: MemberState, draw: st.DrawFn) -> MemberState:
    """``state`` with every non-negative decimal replaced by a drawn one (invariants not
    checked: only the dump is under test)."""
    def walk(value: Any) -> Any:
        if isinstance(value, Decimal) and value >= 0:
            return draw(AMOUNTS)
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return value
    data = walk(state.model_dump())
    loaded: MemberState = MemberState.__pydantic_validator__.validate_python(
        data, context=_TRUSTED)
    return loaded


@SETTINGS
@given(states())
def test_states_dump_as_pydantic_writes_them(state: MemberState) -> None:
    assert state.model_dump_json() == pydantic_dump(state)


@SETTINGS
@given(states(), st.data())
def test_amounts_that_need_an_exponent_dump_in_fixed_point(
        state: MemberState, data: st.DataObject) -> None:
    changed = with_amounts(state, data.draw)
    text = changed.model_dump_json()
    assert text == pydantic_dump(changed)
    assert MemberState.load_trusted(text) == changed


@SETTINGS
@given(states(), st.data())
def test_any_decimal_context_dumps_the_same(state: MemberState, data: st.DataObject) -> None:
    changed = with_amounts(state, data.draw)
    expected = pydantic_dump(changed)
    with localcontext() as ctx:
        ctx.capitals = data.draw(st.sampled_from([0, 1]))
        ctx.prec = data.draw(st.sampled_from([3, 28, 50]))
        assert changed.model_dump_json() == expected


def seed_state(amount: Decimal = Decimal("12.50"), member_id: str = "m-1") -> MemberState:
    doc = MemberState.new(member_id, currency="EUR").model_dump()
    doc.update(purchase_count=1, spend=amount, purchases=[
        {"id": "A-1", "at": "2026-03-01T12:00:00Z", "amount": amount}])
    state: MemberState = MemberState.model_validate(doc)
    return state


def test_the_fast_text_is_kept_unless_it_holds_an_exponent() -> None:
    slow = "slow"
    ordinary = seed_state()
    assert _DUMP.dump(ordinary, lambda: slow) == pydantic_dump(ordinary)
    for state in (seed_state(Decimal("1E+2")), seed_state(Decimal("1E-7")),
                  seed_state(member_id="m-E+1")):  # a string with E+: slow, still exact
        assert _DUMP.dump(state, lambda: slow) == slow
        assert state.model_dump_json() == pydantic_dump(state)
    assert '["A-1","2026-03-01T12:00:00Z","100",' in seed_state(Decimal("1E+2")).model_dump_json()
    with localcontext() as ctx:
        ctx.capitals = 0  # str would write 1e+2: the check looks for E only, so slow
        assert _DUMP.dump(ordinary, lambda: slow) == slow


@example(b'{"a":"1E+2"}', True)
@example(b'{"a":"0E-8"}', True)
@example(b'{"currency":"EUR","a":"12.50"}', False)
@example(b'{"a":"E"}', False)
@given(st.binary(max_size=40).map(lambda raw: b"{" + raw + b"}"), st.just(None))
def test_has_exponent_finds_e_plus_and_e_minus(raw: bytes, expected: bool | None) -> None:
    found = has_exponent(raw)
    assert found == (b"E+" in raw or b"E-" in raw)
    if expected is not None:
        assert found is expected


def test_arguments_take_pydantics_path() -> None:
    state = seed_state(Decimal("1E+2"))
    for kwargs in ({"indent": 2}, {"exclude": {"purchases"}}, {"round_trip": True}):
        assert state.model_dump_json(**kwargs) == pydantic_dump(state, **kwargs)
