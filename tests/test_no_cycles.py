"""``apply``, ``advance``, a state's JSON round trip and ``replay`` leave no cyclic garbage:
every object they make is freed by its reference count, so the cyclic collector never has
anything to find in their wake. A backend worker that holds many states in memory can
therefore raise the collector's thresholds or ``gc.freeze()`` its loaded states
(``docs/concepts.md``, "Many states in one process") without leaking: the
``apply-members`` rows of ``benchmarks/bench_state.py`` measure what full collections cost
such a worker otherwise. Refused events count too: a refusal's exception must not leave a
cycle of frames behind."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings

from reciprocity import MemberState, Program, RefusedEvent, SharedState
from test_program_properties import program_and_shop

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextmanager
def collector_paused() -> Iterator[list[int]]:
    """The collector off inside; on leaving, ``found[0]``: what a full collection then
    found unreachable (cyclic garbage made inside)."""
    gc.collect()
    gc.disable()
    found: list[int] = []
    try:
        yield found
    finally:
        found.append(gc.collect())
        gc.enable()


def backend(program: Program, events: list[Any]) -> None:
    """A worker's life: apply each event (refused ones too), explain the decision, write
    the state to JSON and read it back; then advance every member 400 days."""
    shared = SharedState.new(program.currency) if program.uses_shared_state else None
    states: dict[str, MemberState] = {}
    for event in events:
        try:
            decision = program.apply(states.get(event.member_id), event, shared=shared)
        except RefusedEvent:
            continue
        decision.explain()
        state = MemberState.model_validate_json(decision.state.model_dump_json())
        states[event.member_id], shared = state, decision.shared
    if events:
        until = events[-1].at + timedelta(days=400)
        for mid, state in list(states.items()):
            step = program.advance(state, until, shared=shared)
            states[mid], shared = step.state, step.shared


def replay(program: Program, events: list[Any]) -> None:
    done = program.replay(events, errors="skip")
    done.summary()
    list(done.effects())
    assert isinstance(done.states, dict)


@SETTINGS
@given(program_and_shop(per_member=5))
def test_a_backend_leaves_no_cycles(case: tuple[Program, list[Any]]) -> None:
    """The second time through (the first builds what the program and the library make
    once and keep: compiled templates, validators, lazily imported modules)."""
    program, events = case
    backend(program, events)
    with collector_paused() as found:
        backend(program, events)
    assert found == [0]


@SETTINGS
@given(program_and_shop(per_member=5))
def test_replay_leaves_no_cycles(case: tuple[Program, list[Any]]) -> None:
    program, events = case
    replay(program, events)
    with collector_paused() as found:
        replay(program, events)
    assert found == [0]
