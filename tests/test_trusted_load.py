"""``MemberState.load_trusted``: the fast load of a state the backend wrote itself.

It must give exactly the state ``model_validate_json`` gives for every document the engine
writes (every family's part, folded orders, event times), and still refuse a document of the
wrong shape, as an ``InvalidState``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import History, InvalidState, MemberState, Money, Program, Purchase, seed_program
from reciprocity.testing import full_programs, member_states


@st.composite
def written_states(draw: st.DrawFn) -> tuple[Program, MemberState]:
    program = draw(full_programs())
    if draw(st.booleans()):
        program = Program.model_validate({**program.model_dump(), "history": History(
            return_days=draw(st.integers(0, 40)), event_days=draw(st.none() | st.integers(1, 60)),
        ).model_dump()})
    return program, draw(member_states(program, max_events=15))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(written_states())
def test_a_trusted_load_is_the_validated_load(case: tuple[Program, MemberState]) -> None:
    _program, state = case
    text = state.model_dump_json()
    trusted = MemberState.load_trusted(text)
    assert trusted == MemberState.model_validate_json(text) == state
    assert trusted.model_dump_json() == text
    assert MemberState.load_trusted(text.encode()) == state


def test_a_trusted_load_keeps_folded_orders_and_event_times() -> None:
    program = Program.model_validate({**seed_program().model_dump(),
                                      "history": {"return_days": 10}})
    state = None
    for n in range(30):
        state = program.apply(state, Purchase(
            id=f"A-{n}", member_id="m", at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n),
            amount=Money("70.00", "EUR"))).state
    assert state is not None
    assert state.folded is not None
    loaded = MemberState.load_trusted(state.model_dump_json())
    assert loaded == state
    assert loaded.folded == state.folded
    assert loaded.applied_event_times == state.applied_event_times
    assert type(loaded.purchases[0]).__name__ == "PurchaseRecord"


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.pop("member_id"), "member_id"),
    (lambda d: d.update(points_earned=-1), "points_earned"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d.update(purchases=[{"id": "A-1"}]), "purchases"),
    (lambda d: d.update(applied_event_fingerprints=["XYZ"], applied_event_ids=["A"]),
     "applied_event_fingerprints"),
])
def test_a_trusted_load_still_refuses_a_document_of_the_wrong_shape(
        change: Callable[[dict[str, Any]], object], where: str) -> None:
    data = json.loads(MemberState.new("m-1", currency="EUR").model_dump_json())
    change(data)
    with pytest.raises(InvalidState, match=where):
        MemberState.load_trusted(json.dumps(data))


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.update(as_of="2026-03-02T12:00:00"), "is naive"),
    (lambda d: d.update(spend=4.5), "is a float"),
    (lambda d: d.update(currency="EURO"), "currency"),
])
def test_a_trusted_load_checks_instants_amounts_and_the_currency(
        change: Callable[[dict[str, Any]], object], where: str) -> None:
    """Since the checks of each instant and amount run in pydantic-core (``_fastpath``), a
    trusted load makes them too; it leaves out only the cross-field invariants."""
    data = json.loads(MemberState.new("m-1", currency="EUR").model_dump_json())
    change(data)
    with pytest.raises(InvalidState, match=where):
        MemberState.load_trusted(json.dumps(data))


def test_an_other_offset_loads_in_utc() -> None:
    data = json.loads(MemberState.new("m-1", currency="EUR").model_dump_json())
    data["as_of"] = "2026-03-02T13:00:00+01:00"
    loaded = MemberState.load_trusted(json.dumps(data))
    assert loaded.as_of == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert loaded.as_of is not None
    assert loaded.as_of.tzinfo is UTC
