"""A validated load keeps the purchase records by id that its invariants pass builds
(``state.loaded_records``), and the express purchase reads them instead of building them
again. On random streams (orders folding, ids forgotten, late orders, returns, re-sent
events), every decision on a validated load equals the decision on a trusted load of the
same text (which has none) and on the state as made, byte for byte and as models; the kept
records are the state's own, in order, and no apply changes them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from reciprocity import InvalidState, MemberState, Program, ReciprocityError, seed_program
from reciprocity.state import loaded_records
from test_express import PROPERTY, orders, streams


def kept_as_read(state: MemberState) -> None:
    """``state``'s kept records are its purchase records by id, in order, the very rows."""
    by_id = loaded_records(state)
    assert by_id is not None
    assert list(by_id) == [record.id for record in state.purchases]
    assert all(by_id[row[0]] is row for row in state.purchases.rows)


def chain(program: Program, events: list[Any], load: Any) -> list[str]:
    """Every decision's JSON (a refusal as its error's class), each event applied to the
    previous state read back by ``load``; checks that no apply changes the kept records."""
    said: list[str] = []
    state: MemberState | None = None
    for event in events:
        before = None if state is None else loaded_records(state)
        copy = None if before is None else list(before.items())
        try:
            decision = program.apply(state, event)
        except ReciprocityError as exc:
            said.append(type(exc).__name__)
            continue
        finally:
            if before is not None:
                assert list(before.items()) == copy
        said.append(decision.model_dump_json())
        state = load(decision.state.model_dump_json())
        if load == MemberState.model_validate_json:
            kept_as_read(state)
        else:
            assert loaded_records(state) is None
    return said


@PROPERTY
@given(streams())
def test_validated_and_trusted_loads_decide_alike(case: tuple[Program, list[Any]]) -> None:
    """Decisions on validated loads (records kept) equal those on trusted loads (none
    kept) and on the states as made, byte for byte."""
    program, events = case
    validated = chain(program, events, MemberState.model_validate_json)
    trusted = chain(program, events, MemberState.load_trusted)
    as_made: list[str] = []
    state: MemberState | None = None
    for event in events:
        try:
            decision = program.apply(state, event)
        except ReciprocityError as exc:
            as_made.append(type(exc).__name__)
            continue
        as_made.append(decision.model_dump_json())
        state = decision.state
    assert validated == trusted == as_made


def test_only_a_validated_state_keeps_its_records() -> None:
    """A validated load or construction keeps them; a trusted load, a state the engine
    made and a copy keep none; a broken state is refused as before."""
    program = seed_program()
    state = orders(program, 5)
    assert loaded_records(state) is None  # made by apply
    text = state.model_dump_json()
    kept_as_read(MemberState.model_validate_json(text))
    kept_as_read(MemberState.model_validate(state.model_dump()))
    assert loaded_records(MemberState.load_trusted(text)) is None
    assert loaded_records(MemberState.model_validate_json(text).model_copy()) is None
    assert loaded_records(MemberState.new("m-1", currency="EUR")) == {}
    broken = text.replace('"applied_event_ids":["A-0000"', '"applied_event_ids":["Z-0000"')
    with pytest.raises(InvalidState, match="applied_event_ids"):
        MemberState.model_validate_json(broken)
