"""The express purchase (``reciprocity._express``): a seed-shaped program's purchase on a
state its pipeline froze is decided from the state's fields, without thawing a member. On
random streams (orders folding, ids forgotten, late orders, returns, redemptions, debt,
re-sent events), every decision equals the general way's byte for byte, on states as made
and on their JSON copies; the input state never changes; and every state it makes thaws to
the same member as the general way's. Also: the shared state's freeze builds what
``model_construct`` built."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    MemberState,
    Money,
    Program,
    Purchase,
    ReciprocityError,
    Redemption,
    Return,
    SignUp,
    seed_program,
)
from reciprocity._engine import Row
from reciprocity._express import Express
from reciprocity.shared import BudgetUse, Shared, SharedState
from reciprocity.testing import DEFAULT_END, DEFAULT_START, member_streams, programs

PROPERTY = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def fresh(state: MemberState) -> MemberState:
    """The same state read from its JSON: no hot form kept on it."""
    return MemberState.model_validate_json(state.model_dump_json())


@st.composite
def seed_shaped(draw: st.DrawFn) -> Program:
    """The seed program with another threshold, points, zone and history windows (or none):
    the shape the express purchase takes."""
    data = seed_program().model_dump(mode="json")
    rule = data["points"]["earn"][0]
    limit = draw(st.sampled_from([None, "0.00", "10.00", "50.00", "120.00"]))
    rule["min_amount"] = None if limit is None else {"amount": limit, "currency": "EUR"}
    rule["inclusive"] = draw(st.booleans())
    rule["points"] = draw(st.integers(1, 5))
    data["timezone"] = draw(st.sampled_from(["Europe/Berlin", "UTC", "America/New_York"]))
    if draw(st.integers(0, 4)):
        data["history"] = {"return_days": draw(st.integers(0, 20)),
                           "event_days": draw(st.one_of(st.none(), st.integers(1, 20)))}
    return Program.model_validate(data)


@st.composite
def streams(draw: st.DrawFn) -> tuple[Program, list[Any]]:
    """A program (mostly seed-shaped, sometimes any points-only one) and a stream of its
    events, with a few neighbours swapped (late events) and a few events sent twice."""
    program = draw(st.one_of(seed_shaped(), seed_shaped(), seed_shaped(), programs()))
    end = draw(st.sampled_from([DEFAULT_END, DEFAULT_START + timedelta(days=90)]))
    events: list[Any] = draw(member_streams(program=program, max_size=30, end=end))
    for i in draw(st.lists(st.integers(0, 30), max_size=4)):
        if i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
    for i in draw(st.lists(st.integers(0, 30), max_size=3)):
        if i < len(events):
            events.insert(min(len(events), i + draw(st.integers(1, 5))), events[i])
    return program, events


@contextmanager
def general(program: Program) -> Iterator[None]:
    """Every event of ``program`` the general way: its express purchase switched off."""
    pipeline = program._pipeline
    kept = pipeline.express
    pipeline.express = None
    try:
        yield
    finally:
        pipeline.express = kept


def decide(program: Program, events: list[Any], *, from_json: bool = False,
           every: int = 0) -> list[tuple[str, Any]]:
    """Every decision's JSON and its state (a refusal as its error's class), each event
    applied to the state as the last decision made it, or to its JSON copy (every one, or
    every ``every``-th); checks that no apply changes its input state."""
    said: list[tuple[str, Any]] = []
    state: MemberState | None = None
    for event in events:
        before = None if state is None else (state.model_dump_json(), dict(state.__dict__),
                                             member(program, state))
        try:
            decision = program.apply(state, event)
        except ReciprocityError as exc:
            said.append((type(exc).__name__, None))
            continue
        finally:
            if state is not None:
                assert before is not None
                assert state.model_dump_json() == before[0]
                assert all(state.__dict__[k] is v for k, v in before[1].items())
                assert member(program, state) == before[2]  # its kept hot form too
        text = decision.model_dump_json()
        assert decision.model_validate_json(text) == decision
        said.append((text, decision))
        reload = from_json or (every and len(said) % every == 0)
        state = fresh(decision.state) if reload else decision.state
    return said


def member(program: Program, state: MemberState) -> tuple[Any, ...]:
    """What a thaw of ``state`` makes of it: records (an empty mapping and none alike, see
    ``test_shared_thaw.hot``), applied ids, their times, counts."""
    m = program._pipeline.thaw(state)
    records = [(pid, [None if value == {} else value for value in record])
               for pid, record in m.purchases.items()]
    return (records, list(m.applied.items()),
            None if m.applied_at is None else list(m.applied_at.items()),
            m.available, m.pooled, m.earned, m.purchase_count, m.spend, m.folded, m.revision)


def unordered(thawed: tuple[Any, ...]) -> tuple[Any, ...]:
    """``thawed`` with its applied ids and times as mappings: a thaw of a state read from
    JSON has them in id order, a kept one in the order applied (neither order decides)."""
    return (thawed[0], dict(thawed[1]), None if thawed[2] is None else dict(thawed[2]),
            *thawed[3:])


@PROPERTY
@given(streams())
def test_the_express_purchase_decides_as_the_general_way(case: tuple[Program, list[Any]]) -> None:
    """Decisions with the express purchase (on states as made and on their JSON copies)
    equal those without it, byte for byte and as models (with the same fields set); each
    state thaws to the same member either way, and so does its JSON copy."""
    program, events = case
    fast = decide(program, events)
    loaded = decide(program, events, from_json=True)
    mixed = decide(program, events, every=3)  # loaded states' cold records, kept on
    with general(program):
        slow = decide(program, events)
        slow_mixed = decide(program, events, every=3)
    assert [text for text, _ in fast] == [text for text, _ in slow] == [
        text for text, _ in loaded] == [text for text, _ in mixed]
    for (_, a), (_, b) in zip(mixed, slow_mixed, strict=True):
        if a is None:
            continue
        assert a == b
        # A state the express purchase made from records in their JSON form (a load's)
        # keeps no hot form, so its thaw, and the thaw of what the general way makes of it,
        # has the applied ids of the events since the load in (time, id) order, the general
        # way's kept form in the order applied: they differ only among ids of one instant
        # (the express purchase takes no late event), forgotten together (``unordered``).
        assert unordered(member(program, a.state)) == unordered(member(program, b.state))
    for (_, a), (_, b) in zip(fast, slow, strict=True):
        if a is None:
            continue
        assert a == b
        assert a.state.__pydantic_fields_set__ == b.state.__pydantic_fields_set__
        assert list(a.state.__dict__) == list(b.state.__dict__)
        assert [e.reason for e in a.effects] == [e.reason for e in b.effects]
        assert [t.detail for t in a.trace] == [t.detail for t in b.trace]
        assert member(program, a.state) == member(program, b.state)
        assert unordered(member(program, a.state)) == unordered(member(program,
                                                                       fresh(a.state)))


def orders(program: Program, n: int, every: timedelta = timedelta(days=2)) -> MemberState:
    """A member after a sign-up and ``n`` orders over 50.00, one every ``every``."""
    state = program.apply(None, SignUp(id="S-1", member_id="m-1", at=AT)).state
    for i in range(n):
        state = program.apply(state, Purchase(
            id=f"A-{i:04d}", member_id="m-1", at=AT + (i + 1) * every,
            amount=Money("60.00", "EUR"))).state
    return state


def taken(program: Program) -> list[bool]:
    """A spy on ``program``'s express purchase: one entry per call, whether it decided."""
    pipeline = program._pipeline
    express = pipeline.express
    assert express is not None
    calls: list[bool] = []

    class Spy(Express):
        __slots__ = ()

        def __call__(self, state: MemberState, row: Row, index: int) -> Any:
            decided = express(state, row, index)
            calls.append(decided is not None)
            return decided

    spy = Spy(pipeline, pipeline.points, program.currency)
    pipeline.express = spy
    return calls


def test_the_seed_shape_takes_the_express_way() -> None:
    """An order that earns, on a state the program made in this process or read from JSON,
    goes the express way, folding and forgetting included; late, or not earning, or on a
    state another program made, or one whose fields the general way would write otherwise
    (unsorted consents), the general way; programs of another shape have none."""
    program = Program.model_validate({**seed_program().model_dump(),
                                      "history": {"return_days": 30, "event_days": 14}})
    state = orders(program, 60)
    calls = taken(program)
    new = Purchase(id="NEW", member_id="m-1", at=AT + timedelta(days=124),
                   amount=Money("75.00", "EUR"))
    a = program.apply(state, new)
    assert calls == [True]
    assert state.folded is not None
    assert a.state.folded is not None
    assert a.state.folded.count > state.folded.count
    assert len(a.state.applied_event_ids) <= len(state.applied_event_ids)
    b = program.apply(fresh(state), new)
    assert calls == [True, True]
    assert a.model_dump_json() == b.model_dump_json()
    small = new.model_copy(update={"amount": Money("20.00", "EUR")})
    program.apply(state, small)
    late = new.model_copy(update={"at": AT + timedelta(days=119)})  # the last order: 120
    program.apply(state, late)
    assert calls == [True, True, False, False]
    twin = Program.model_validate(program.model_dump())
    other = program.apply(twin.apply(state, new.model_copy(update={"id": "TWIN"})).state, new)
    data = json.loads(state.model_dump_json())
    data["consents"] = ["sms", "email"]
    unsorted = MemberState.load_trusted(json.dumps(data))
    odd = program.apply(unsorted, new)
    assert calls == [True, True, False, False, False, False]
    with general(program):
        assert other == program.apply(twin.apply(state, new.model_copy(
            update={"id": "TWIN"})).state, new)
        assert odd.model_dump_json() == program.apply(unsorted, new).model_dump_json()
    assert odd.state.consents == ("email", "sms")
    assert seed_program()._pipeline.express is not None
    tiers = Program.model_validate({
        **seed_program().model_dump(),
        "points": {**seed_program().points.model_dump(), "pending_days": 14}})
    assert tiers._pipeline.express is None


def test_the_general_way_takes_debt_a_kept_order_and_an_order_sorting_earlier() -> None:
    """A state with debt, an order under the id of a kept order whose id was forgotten
    (refused), and an order at the newest one's instant with a smaller id (sorted into
    place) go the general way, and decide as it does."""
    program = Program.model_validate({**seed_program().model_dump(),
                                      "history": {"return_days": 30, "event_days": 3}})
    state = orders(program, 10)  # A-0000 ... A-0009, one every two days, a point each
    calls = taken(program)
    last = AT + 10 * timedelta(days=2)
    resent = Purchase(id="A-0007", member_id="m-1", at=last, amount=Money("60.00", "EUR"))
    earlier = Purchase(id="A-0000-B", member_id="m-1", at=last, amount=Money("60.00", "EUR"))
    redeem = Redemption(id="R-1", member_id="m-1", at=last, reward_id="voucher-10")
    spent = program.apply(state, redeem).state
    back = Return(id="X-1", member_id="m-1", at=last, purchase_id="A-0009")
    owing = program.apply(spent, back).state
    assert owing.debt == 1
    later = Purchase(id="Z-1", member_id="m-1", at=last + timedelta(hours=1),
                     amount=Money("60.00", "EUR"))
    cases = [(state, resent), (state, earlier), (owing, later)]
    fast = [decide_one(program, s, e) for s, e in cases]
    assert calls == [False, False, False]
    with general(program):
        assert fast == [decide_one(program, s, e) for s, e in cases]
    assert fast[0] == "EventConflict"


def decide_one(program: Program, state: MemberState, event: Any) -> str:
    try:
        return program.apply(state, event).model_dump_json()
    except ReciprocityError as exc:
        return type(exc).__name__


@settings(max_examples=50, deadline=None, database=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8),
                       st.tuples(st.integers(0, 10**6), st.decimals(
                           min_value=0, max_value=10**6, places=2)), max_size=6),
       st.dictionaries(st.text(min_size=1, max_size=8), st.integers(0, 10**6), max_size=4),
       st.dictionaries(st.text(min_size=1, max_size=8), st.dictionaries(
           st.text(min_size=1, max_size=8), st.decimals(min_value=0, max_value=10**6,
                                                        places=2), max_size=3), max_size=3))
def test_a_shared_state_freezes_as_model_construct_builds_it(
        budgets: dict[str, tuple[int, Any]], stock: dict[str, int],
        metrics: dict[str, dict[str, Any]]) -> None:
    """``Shared.freeze`` (every apply of a program with budgets) builds what
    ``model_construct`` built: equal fields in the same order, fields set, JSON."""
    hot = Shared("EUR")
    hot.budgets = {key: [count, amount] for key, (count, amount) in budgets.items()}
    hot.stock_used = dict(stock)
    hot.metrics = {key: dict(values) for key, values in metrics.items()}
    frozen = hot.freeze()
    old = SharedState.model_construct(
        currency=hot.currency,
        budgets={key: BudgetUse.model_construct(count=int(use[0]), amount=Decimal(use[1]))
                 for key, use in sorted(hot.budgets.items())},
        stock_used=dict(sorted(hot.stock_used.items())),
        metrics={key: dict(sorted(values.items()))
                 for key, values in sorted(hot.metrics.items())})
    assert frozen == old
    assert list(frozen.__dict__.items()) == list(old.__dict__.items())
    assert frozen.__pydantic_fields_set__ == old.__pydantic_fields_set__
    assert frozen.__pydantic_private__ == old.__pydantic_private__
    assert frozen.__pydantic_extra__ == old.__pydantic_extra__
    for key, use in frozen.budgets.items():
        assert use.__pydantic_fields_set__ == old.budgets[key].__pydantic_fields_set__
        assert list(use.__dict__.items()) == list(old.budgets[key].__dict__.items())
    assert frozen.model_dump_json() == old.model_dump_json()
