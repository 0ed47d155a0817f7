"""Cold records: a purchase on a points-only program thaws a state's purchase records lazily
(``_frozen.thaw(cold=True)``): records the step does not read stay their frozen models, and
the ones it reads (folding's oldest, an order under the new id) are made hot first
(``_frozen.warm_front``). Whatever the stream, every decision equals the one made with every
record thawed at once, on the state as made and on its JSON copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    EventConflict,
    History,
    MemberState,
    Money,
    Program,
    Purchase,
    ReciprocityError,
    Return,
    seed_program,
)
from reciprocity._engine import Member
from reciprocity.events import PURCHASE
from reciprocity.testing import full_programs, member_streams, programs

PROPERTY = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def fresh(state: MemberState) -> MemberState:
    """The same state read from its JSON: no hot form kept on it or on any record."""
    return MemberState.model_validate_json(state.model_dump_json())


def seed(**history: int) -> Program:
    return Program.model_validate({**seed_program().model_dump(), "history": history})


@st.composite
def points_only_streams(draw: st.DrawFn) -> tuple[Program, list[object]]:
    """A points-only program (pooled or with lots, pending, expiry) with short history
    windows (orders fold, ids are forgotten), and a stream of its events (returns,
    complaints, redemptions) with a few neighbours swapped (late events)."""
    base = draw(st.one_of(programs(), full_programs(tiers=False, gifts=False, goodwill=False)))
    history = History(return_days=draw(st.integers(0, 30)),
                      event_days=draw(st.integers(1, 30)))
    program = Program.model_validate({**base.model_dump(), "history": history.model_dump()})
    events = draw(member_streams(program=base, max_size=25))
    for i in draw(st.lists(st.integers(0, 30), max_size=5)):
        if i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
    return program, events


def decide(program: Program, events: list[object], *, from_json: bool) -> list[str]:
    """The JSON of every decision (a refusal as its error's class), each event applied to
    the state as the last decision made it, or to its JSON copy."""
    said: list[str] = []
    state = None
    for event in events:
        try:
            decision = program.apply(state, event)  # type: ignore[arg-type]
        except ReciprocityError as exc:
            said.append(type(exc).__name__)
            continue
        said.append(decision.model_dump_json())
        state = fresh(decision.state) if from_json else decision.state
    return said


def records(m: Member) -> list[tuple[str, list[object]]]:
    """A thawed member's records, in order; an empty mapping and none alike (see
    ``test_shared_thaw.hot``)."""
    return [(pid, [None if value == {} else value for value in record])
            for pid, record in m.purchases.items()]


@PROPERTY
@given(points_only_streams())
def test_cold_records_decide_as_records_thawed_at_once(
        case: tuple[Program, list[object]]) -> None:
    """On random streams of points-only programs (orders folding, ids forgotten, late
    orders and returns), decisions with cold records (on states as made, which carry them
    from one apply to the next, and on their JSON copies) equal decisions with every record
    thawed at once; and every state thaws at once to the same records as its JSON copy."""
    program, events = case
    pipeline = program._pipeline
    assert pipeline.cold_kinds == frozenset({PURCHASE})
    cold_kept = decide(program, events, from_json=False)
    cold_loaded = decide(program, events, from_json=True)
    pipeline.cold_kinds = frozenset()
    try:
        at_once = decide(program, events, from_json=True)
    finally:
        pipeline.cold_kinds = frozenset({PURCHASE})
    assert cold_kept == cold_loaded == at_once
    state = None
    for event in events:
        try:
            state = program.apply(state, event).state  # type: ignore[arg-type]
        except ReciprocityError:
            continue
        a, b = pipeline.thaw(state), pipeline.thaw(fresh(state))
        assert not a.cold
        assert not b.cold
        assert records(a) == records(b)
        assert all(type(record) is list for record in a.purchases.values())


def test_a_loaded_state_thaws_cold_for_a_purchase_only() -> None:
    """A purchase on a state read from JSON leaves the records it does not read cold; any
    other event (a return), ``advance`` and ``next_due`` thaw every record."""
    program = seed(return_days=30, event_days=14)
    state = None
    for i in range(10):
        state = program.apply(state, Purchase(
            id=f"A-{i}", member_id="m-1", at=AT + timedelta(days=2 * i),
            amount=Money("60.00", "EUR"))).state
    assert state is not None
    loaded = fresh(state)
    new = Purchase(id="B-1", member_id="m-1", at=AT + timedelta(days=40),
                   amount=Money("70.00", "EUR"))
    m = program._pipeline.thaw(loaded, new._row())
    assert m.cold
    kinds = [type(record) is list for record in m.purchases.values()]
    # folding at day 40 (45-day window) reads the oldest only: it stays
    assert kinds[0]
    assert not any(kinds[1:])
    back = Return(id="R-1", member_id="m-1", at=AT + timedelta(days=40), purchase_id="A-5")
    assert not program._pipeline.thaw(loaded, back._row()).cold
    assert not program._pipeline.thaw(loaded).cold
    # the state made by the cold apply keeps cold records; a return on it thaws them
    after = program.apply(loaded, new).state
    assert program.apply(after, back).model_dump_json() == program.apply(
        fresh(after), back).model_dump_json()


def test_a_resent_order_past_the_horizon_is_refused_from_a_cold_state() -> None:
    """A purchase under the id of a kept order whose applied id was forgotten is refused
    naming the order (its record is read, so made hot first), on a loaded state too."""
    program = seed(return_days=30, event_days=2)
    state = None
    for i in range(6):
        state = program.apply(state, Purchase(
            id=f"A-{i}", member_id="m-1", at=AT + timedelta(days=2 * i),
            amount=Money("60.00", "EUR"))).state
    assert state is not None
    again = Purchase(id="A-1", member_id="m-1", at=AT + timedelta(days=11),
                     amount=Money("60.00", "EUR"))
    for start in (state, fresh(state)):
        with pytest.raises(EventConflict, match="keeps order 'A-1'"):
            program.apply(start, again)


def test_only_a_points_only_program_thaws_cold() -> None:
    """A program with another family reads kept records on purchases: no cold thaw."""
    from reciprocity import GoodwillPolicy, GoodwillRule, PointsCompensation

    policy = GoodwillPolicy(rules=(GoodwillRule(
        id="late", categories=("late_delivery",), compensation=PointsCompensation(points=5)),))
    program = seed(return_days=30).model_copy(update={"goodwill": policy})
    program = Program.model_validate(program.model_dump())
    assert program._pipeline.cold_kinds == frozenset()
