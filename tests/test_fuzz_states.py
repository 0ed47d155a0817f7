"""Fuzzing saved states: a mutated state document either is refused with a reciprocity error
or loads into a state the program can apply events to; a valid one round-trips exactly."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import MemberState, Program, ReciprocityError, RefusedEvent
from reciprocity.testing import full_programs, member_streams

FAMILIES = full_programs(tiers=True, gifts=True, goodwill=True, shared=False)


@st.composite
def saved_states(draw: st.DrawFn) -> tuple[Program, MemberState, list[Any]]:
    """A program with all four families, a state it reached by a replay of a drawn stream,
    and events to apply after it."""
    program = draw(FAMILIES)
    events = draw(member_streams("m-1", program=program, max_size=14))
    cut = draw(st.integers(0, len(events)))
    state = program.replay(events[:cut], errors="skip").states.get(
        "m-1", MemberState.new("m-1", currency=program.currency))
    return program, state, events[cut:]


LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True),
    st.sampled_from(["", "EUR", "USD", "-1", "1E+30", "NaN", "2026-01-01T00:00:00",
                     "2026-01-01T00:00:00Z", "0000000000000000", "pending", "bronze"]),
    st.text(max_size=8), st.just([]), st.just({}),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with one to three edits: a value replaced, a key dropped, a list item
    repeated or two list items swapped."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)[1:]))
        *parents, last = path
        target: Any = doc
        for part in parents:
            target = target[part]
        action = draw(st.sampled_from(["replace", "drop", "repeat", "swap", "nudge"]))
        if action == "drop":
            del target[last]
        elif action == "repeat" and isinstance(target, list):
            target.insert(last, target[last])
        elif action == "swap" and isinstance(target, list) and len(target) > 1:
            other = draw(st.integers(0, len(target) - 1))
            target[last], target[other] = target[other], target[last]
        elif action == "nudge" and isinstance(target[last], int) \
                and not isinstance(target[last], bool):
            target[last] += draw(st.sampled_from([-1, 1, 10**9]))
        else:
            target[last] = draw(LEAVES)
    return doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=saved_states(), data=st.data())
def test_mutated_state_is_refused_or_usable(case: tuple[Program, MemberState, list[Any]],
                                            data: st.DataObject) -> None:
    """Loading a mutated document raises only ReciprocityError; a state that loads takes
    the member's next events and an advance, failing (if at all) with ReciprocityError."""
    program, state, later = case
    doc = data.draw(mutated(json.loads(state.model_dump_json())))
    text = json.dumps(doc)
    try:
        loaded = MemberState.model_validate_json(text)
    except ReciprocityError:
        return
    assert MemberState.model_validate(json.loads(text)) == loaded
    current = loaded
    for event in later[:4]:
        try:
            current = program.apply(current, event).state
        except RefusedEvent:
            continue
        except ReciprocityError:
            return
    if current.as_of is not None:
        try:
            program.advance(current, current.as_of + timedelta(days=400))
        except ReciprocityError:
            return


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=saved_states())
def test_valid_state_round_trips_exactly(case: tuple[Program, MemberState, list[Any]]) -> None:
    """A state the engine wrote loads (its checks pass) into an equal state, from JSON text
    and from a parsed dict, and a loaded state dumps byte for byte the same again.

    (The first dump is not always byte-identical yet: tier and gift instants are kept in the
    program's zone until they pass through JSON; issue 10 fixes that separately.)"""
    _, state, _ = case
    text = state.model_dump_json()
    loaded = MemberState.model_validate_json(text)
    assert loaded == state
    assert MemberState.model_validate(json.loads(text)) == loaded
    again = loaded.model_dump_json()
    assert MemberState.model_validate_json(again).model_dump_json() == again
