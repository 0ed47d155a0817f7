"""Thawing shares what did not change: a state's purchase records keep their hot form once made,
every later thaw reuses it, and a return copies a record before changing it. Whatever a later
decision does, an earlier state thaws and decides exactly as the same state loaded from its
JSON (which has no hot form yet) does."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    Decision,
    History,
    MemberState,
    Money,
    Program,
    Purchase,
    ReciprocityError,
    RefusedEvent,
    Return,
    seed_program,
)
from reciprocity._engine import Member, lots_due
from reciprocity.testing import full_programs, member_streams

PROPERTY = settings(max_examples=20, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def fresh(state: MemberState) -> MemberState:
    """The same state read from its JSON: no hot form kept on any record."""
    return MemberState.model_validate_json(state.model_dump_json())


def same(a: Decision, b: Decision) -> None:
    assert a.model_dump_json() == b.model_dump_json()


def hot(program: Program, state: MemberState) -> dict[str, list[object]]:
    """The hot records of a thaw of ``state``; an empty mapping (a step's ``{}``) and none
    (a thaw's ``None``) are the same record: every reader takes them alike."""
    return {pid: [None if value == {} else value for value in record]
            for pid, record in program._pipeline.thaw(state).purchases.items()}


def test_a_return_does_not_change_the_state_it_came_from() -> None:
    """Two returns of the same order applied to the same state each see the order as that
    state holds it: the first one's change is its own copy."""
    program = seed_program()
    state = program.apply(None, Purchase(id="A-1", member_id="m-1", at=AT,
                                         amount=Money("80.00", "EUR"))).state
    later = program.apply(state, Purchase(id="A-2", member_id="m-1", at=AT + timedelta(hours=1),
                                          amount=Money("20.00", "EUR"))).state
    back = Return(id="R-1", member_id="m-1", at=AT + timedelta(hours=2), purchase_id="A-1",
                  amount=Money("40.00", "EUR"))
    first = program.apply(later, back)
    again = program.apply(later, back.model_copy(update={"id": "R-2"}))
    assert first.state.purchases[0].returned == again.state.purchases[0].returned
    assert later.purchases[0].returned == 0
    assert program._pipeline.thaw(later).purchases["A-1"][2] == 0  # P_RETURNED
    same(program.apply(later, back), program.apply(fresh(later), back))


@PROPERTY
@given(full_programs().flatmap(
    lambda p: st.tuples(st.just(p), member_streams(program=p, max_size=12))))
def test_shared_thaw_equals_a_fresh_thaw(case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """On random streams of every program of ``reciprocity.testing``: after the whole stream
    (returns included) has been applied, every state of the chain thaws to the same hot
    records as its JSON copy, and the next event and a year's advance decide alike on both."""
    program, events = case
    chain: list[tuple[MemberState, object]] = []
    state, shared = None, None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        if state is not None:
            chain.append((state, event))
        state, shared = decision.state, decision.shared
    for before, event in chain:
        copy = fresh(before)
        assert hot(program, before) == hot(program, copy)
        if not program.uses_shared_state:
            same(program.apply(before, event), program.apply(copy, event))
            if before.as_of is not None:
                until = before.as_of + timedelta(days=365)
                same(program.advance(before, until), program.advance(copy, until))


def _decide(program: Program, events: list[object]) -> list[str]:
    """The JSON of every decision of ``events`` applied one by one (refusals as their
    error's class); every state keeps its purchase records oldest first."""
    said: list[str] = []
    state, shared = None, None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)  # type: ignore[arg-type]
        except ReciprocityError as exc:
            said.append(type(exc).__name__)
            continue
        said.append(decision.model_dump_json())
        state, shared = decision.state, decision.shared
        kept = [(record.at, record.id) for record in state.purchases]
        assert kept == sorted(kept)  # oldest first, whatever order the orders came in
    return said


@st.composite
def folding_streams(draw: st.DrawFn) -> tuple[Program, list[object]]:
    """A program of ``reciprocity.testing`` with short history windows (so orders fold and
    ids are forgotten), and a stream of its events with a few neighbours swapped (so some
    arrive late)."""
    base = draw(full_programs())
    history = History(return_days=draw(st.integers(0, 30)),
                      event_days=draw(st.integers(1, 30)))
    program = Program.model_validate({**base.model_dump(), "history": history.model_dump()})
    events = draw(member_streams(program=base, max_size=25))
    for i in draw(st.lists(st.integers(0, 30), max_size=5)):
        if i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
    return program, events


@PROPERTY
@given(st.one_of(
    folding_streams(),
    full_programs().flatmap(lambda p: st.tuples(
        st.just(p), member_streams(program=p, max_size=12).flatmap(st.permutations)))))
def test_freezing_only_what_was_added_equals_freezing_all(
        case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """On random streams (orders folding, ids forgotten, orders arriving late), states frozen
    by looking at the added records only and reusing unchanged lots equal states frozen by
    building every record and lot anew."""
    import reciprocity._pipeline as pipeline_module

    program, events = case
    fast = _decide(program, events)
    thaw = pipeline_module.thaw

    def thaw_without_base(state: MemberState, *args: bool) -> object:
        m = thaw(state, *args)
        m.base = None
        m.lot_models = None
        return m

    pipeline_module.thaw = thaw_without_base  # type: ignore[assignment]
    try:
        slow = _decide(program, events)
    finally:
        pipeline_module.thaw = thaw
    assert fast == slow


def thawed_one_by_one(state: MemberState) -> Member:
    """A hot member whose lots are added one by one (``Member.add_lot``), as before lots
    were thawed at once."""
    m = Member(state.member_id, state.currency)
    for lot in state.lots:
        m.add_lot([lot.id, lot.rule_id, lot.source_event_id, lot.earned_at, lot.points,
                   lot.remaining, lot.status == "pending", lot.available_at, lot.expires_at])
    m.available += state.pooled_points
    return m


def due_order(m: Member) -> list[tuple[object, ...]]:
    """Every entry of the due heap in the order it is popped (without the lot itself)."""
    heap = list(m.lot_due)
    return [entry[:4] for entry in (heapq.heappop(heap) for _ in range(len(heap)))]


@PROPERTY
@given(st.one_of(folding_streams(), full_programs().flatmap(lambda p: st.tuples(
    st.just(p), member_streams(program=p, max_size=14)))))
def test_lots_thawed_at_once_equal_lots_added_one_by_one(
        case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """Every state of random streams thaws to the lots, balances, empty count and due heap
    (popped in the same order, hence the same next due time) that adding its lots one by one
    gives."""
    program, events = case
    state, shared = None, None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except ReciprocityError:
            continue
        state, shared = decision.state, decision.shared
        at_once, one_by_one = program._pipeline.thaw(state), thawed_one_by_one(state)
        assert at_once.lots == one_by_one.lots
        assert (at_once.available - at_once.pooled, at_once.pending, at_once.empty_lots) == (
            one_by_one.available - state.pooled_points, one_by_one.pending,
            one_by_one.empty_lots)
        assert due_order(at_once) == due_order(one_by_one)
        assert lots_due(at_once) == lots_due(one_by_one)


def _decide_from_json(program: Program, events: list[object]) -> list[str]:
    """As :func:`_decide`, but every state is read back from its JSON before the next event:
    no state or record carries a hot form kept by the decision that made it."""
    said: list[str] = []
    state, shared = None, None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)  # type: ignore[arg-type]
        except ReciprocityError as exc:
            said.append(type(exc).__name__)
            continue
        said.append(decision.model_dump_json())
        state, shared = fresh(decision.state), decision.shared
    return said


@PROPERTY
@given(st.one_of(
    folding_streams(),
    full_programs().flatmap(lambda p: st.tuples(
        st.just(p), member_streams(program=p, max_size=12).flatmap(st.permutations)))))
def test_a_state_kept_hot_decides_as_its_json_copy(
        case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """A state made by ``apply`` keeps its records and applied ids in hot form for the next
    thaw (``_frozen.keep_hot``). On random streams (orders folding, ids forgotten, orders and
    returns arriving late), every decision equals the one made on the state read back from
    JSON, and every state thaws to the same records (in order), applied ids and their times
    (oldest first) as its JSON copy."""
    from reciprocity._frozen import _state_hot_of

    program, events = case
    assert _decide(program, events) == _decide_from_json(program, events)
    state, shared = None, None
    pipeline = program._pipeline
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)  # type: ignore[arg-type]
        except ReciprocityError:
            continue
        state, shared = decision.state, decision.shared
        try:
            _state_hot_of(state)
        except AttributeError:
            continue  # a late order sorted into place: the next thaw builds it anew
        a, b = pipeline.thaw(state), pipeline.thaw(fresh(state))
        def records(m: Member) -> list[tuple[str, list[object]]]:
            return [(pid, [None if value == {} else value for value in record])
                    for pid, record in m.purchases.items()]  # {} and None alike, see hot()

        assert records(a) == records(b)
        assert a.applied == b.applied
        assert (a.applied_at is None) == (b.applied_at is None)
        if a.applied_at is not None and b.applied_at is not None:
            key = lambda item: (item[1], item[0])  # noqa: E731
            assert sorted(a.applied_at.items(), key=key) == list(b.applied_at.items())
            times = list(a.applied_at.values())
            assert times == sorted(times)


def test_a_state_from_json_or_a_replay_keeps_no_hot_form() -> None:
    """Only the state of an ``apply`` or ``advance`` keeps a hot form: a loaded state and the
    states a replay yields (its members change on) do not; a copy does not either."""
    from reciprocity._frozen import _state_hot_of, hot_form

    program = Program.model_validate({**seed_program().model_dump(),
                                      "history": {"return_days": 30, "event_days": 14}})
    orders = [Purchase(id=f"A-{i}", member_id="m-1", at=AT + timedelta(days=i),
                       amount=Money("60.00", "EUR")) for i in range(3)]
    state = None
    for order in orders:
        state = program.apply(state, order).state
    assert state is not None
    assert _state_hot_of(state)[0].keys() == {"A-0", "A-1", "A-2"}
    later = program.advance(state, AT + timedelta(days=90)).state
    assert _state_hot_of(later)[1].keys() == set(later.applied_event_ids)
    for other in (fresh(state), state.model_copy(), *[d.state for d in program.replay(orders)]):
        # (a load sets the slot to None: the next apply reads it without an AttributeError)
        assert hot_form(other) is None, "a state that no apply made kept a hot form"


def test_frozen_fields_are_in_declared_order() -> None:
    """``_frozen.freeze_fields`` writes every field of a state in declared order (as a
    validated state holds them, so both dump alike), with each field's default where the
    families put theirs."""
    from reciprocity._frozen import freeze_fields

    program = seed_program()
    m = program._pipeline.thaw(MemberState.new("m-1", currency="EUR"))
    fields = freeze_fields(m)
    assert list(fields) == list(MemberState.model_fields)
    for name in ("earn_counters", "last_activity_at", "goodwill", "gifts", "tier", "credit",
                 "balances"):
        info = MemberState.model_fields[name]
        assert fields[name] == info.get_default(call_default_factory=True)
    assert MemberState.model_validate_json(MemberState.new("m-1", currency="EUR")
                                           .model_dump_json()).__dict__ == {
        **fields, **program._pipeline.stages[0].freeze(m)}
