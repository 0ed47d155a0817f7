"""Property tests over full programs (every family together) and shop streams.

Programs come from ``reciprocity.testing.full_programs`` (point schemes with every earning
rule, multiplier, cap, expiry mode and reward; tier ladders; gift schemes; goodwill), streams
from ``shop_streams(program=...)`` (the events those families react to). A program with
program-wide state (budgets, stock, rankings) is folded across members in global ``(at, id)``
order, threading ``Decision.shared``, with every member's time-driven effects fired earliest
first across members, as its replay does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reciprocity import (
    Approval,
    BirthdayGift,
    Budget,
    Complaint,
    Custom,
    Decision,
    During,
    Effect,
    Event,
    FirstOrderGift,
    FixedLifetime,
    Gift,
    GiftScheme,
    InsufficientPoints,
    MemberState,
    MinOrders,
    Money,
    NotAwaitingApproval,
    Period,
    PointsAsCurrency,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    ReciprocityError,
    Redemption,
    RefusedEvent,
    Return,
    ReturnedLine,
    ReturnExceedsPurchase,
    SharedState,
    SignUp,
    Tier,
    TierLadder,
    UnknownPurchase,
    UnknownReward,
    parse_event,
)
from reciprocity.testing import (
    DEFAULT_END,
    approvals,
    full_programs,
    member_states,
    redemptions,
    returns,
    shop_streams,
)

# The profile (tests/conftest.py) sets the number of examples; FEW is for the slowest tests.
SOME = settings(deadline=None)
FEW = settings(deadline=None, max_examples=max(10, settings().max_examples // 3))
LATER = DEFAULT_END + timedelta(days=1)
"""After every generated event: ``advance``/``until`` to here fires all that is due."""


@st.composite
def program_and_shop(draw: st.DrawFn, /, members: int = 3, per_member: int = 10,
                     **kwargs: Any) -> tuple[Program, list[Event]]:
    """A full program (in EUR mostly, else a currency with 0 or 3 minor digits) and a shop
    stream its families react to, in replay order."""
    if "currency" not in kwargs:
        kwargs["currency"] = draw(st.sampled_from(("EUR", "EUR", "JPY", "KWD")))
    program = draw(full_programs(**kwargs))
    return program, draw(shop_streams(members, program=program,
                                      max_events_per_member=per_member))


# -- the fold ----------------------------------------------------------------------------------

@dataclass
class Fold:
    """What folding ``apply`` over a stream gave."""

    states: dict[str, MemberState] = field(default_factory=dict)
    shared: SharedState | None = None
    decisions: list[tuple[Event | None, Decision | None]] = field(default_factory=list)
    """Per event, its decision, or ``None`` when it was refused; with program-wide state also
    ``(None, decision)`` for each ``advance`` to a member's due time between events."""
    refused_on: dict[str, MemberState | None] = field(default_factory=dict)
    """Per refused event, the state it was refused on (``None``: a member not seen yet)."""
    effects: list[Effect] = field(default_factory=list)
    """Every effect, in the order they happened (time-driven ones included)."""
    rejected: list[str] = field(default_factory=list)
    overdue: bool = False
    """Whether a state had something due at or before its own time (see
    ``test_points_released_after_their_expiry_are_not_available``): its replay fires that
    at the next row, which a fold of public calls cannot do."""


def fire_due(program: Program, fold: Fold, until: datetime) -> None:
    """Advance members to their due times up to ``until``, earliest first across members
    (ties: the lower member id), as a backend's scheduler does with ``Program.next_due`` and
    as the replay of a program with program-wide state does: a birthday gift due before
    another member's order takes the budget first."""
    while True:
        first: tuple[datetime, str] | None = None
        for mid, state in fold.states.items():
            due = program.next_due(state)
            if due is not None and due <= until:
                fold.overdue = fold.overdue or (state.as_of is not None and due <= state.as_of)
                first = (due, mid) if first is None or (due, mid) < first else first
        if first is None or fold.overdue:
            return
        when, mid = first
        step = program.advance(fold.states[mid], when, shared=fold.shared)
        fold.states[mid], fold.shared = step.state, step.shared
        fold.effects += step.effects
        fold.decisions.append((None, step))


def _json(state: MemberState | None, shared: SharedState | None) -> tuple[str, str]:
    return ("null" if state is None else state.model_dump_json(),
            "null" if shared is None else shared.model_dump_json())


def fold(program: Program, events: Iterable[Event], *, until: datetime | None = None) -> Fold:
    """Apply events one by one in their (``(at, id)``) order, leaving out refused ones.

    ``apply`` never changes its inputs: after it, refused or not, the input state's and
    shared state's JSON are as they were.
    """
    shared_program = program.uses_shared_state
    done = Fold(shared=SharedState.new(program.currency) if shared_program else None)
    for event in events:
        state = done.states.get(event.member_id)
        if shared_program:
            fire_due(program, done, event.at)
            state = done.states.get(event.member_id)
        before = _json(state, done.shared)
        try:
            decision = program.apply(state, event, shared=done.shared)
        except RefusedEvent:
            assert _json(state, done.shared) == before
            done.decisions.append((event, None))
            done.rejected.append(event.id)
            done.refused_on[event.id] = state
            continue
        assert _json(state, done.shared) == before
        done.states[event.member_id], done.shared = decision.state, decision.shared
        done.decisions.append((event, decision))
        done.effects += decision.effects
    if until is not None:
        if shared_program:
            fire_due(program, done, until)
        for mid, state in done.states.items():
            step = program.advance(state, until, shared=done.shared)
            done.states[mid], done.shared = step.state, step.shared
            done.effects += step.effects
    return done


def dumps(items: Iterable[Any], exclude: set[str] | None = None) -> list[str]:
    return [item.model_dump_json(exclude=exclude) for item in items]


def conserved(state: MemberState) -> bool:
    return state.points_earned == (state.available_points + state.pending_points
                                   + state.points_redeemed + state.points_expired
                                   + state.points_revoked)


def check_balances(state: MemberState) -> None:
    """Points are conserved and nothing is negative."""
    assert conserved(state), state.model_dump_json()
    assert state.available_points >= 0
    assert state.pending_points >= 0
    assert state.pooled_points >= 0
    assert state.debt >= 0
    assert all(0 <= lot.remaining <= lot.points for lot in state.lots)


# -- the strategies keep their promises -----------------------------------------------------

class TestStreams:
    @FEW
    @given(program_and_shop())
    def test_streams_tell_a_consistent_story(self, case: tuple[Program, list[Event]]) -> None:
        """Returns, complaints, approvals and "delivered" events name the member's own earlier
        events; orders cost what their lines add up to; points redemptions are valid."""
        program, events = case
        seen: dict[str, Event] = {}
        for event in events:
            assert event.id not in seen
            if isinstance(event, Purchase) and event.lines:
                assert event.amount.amount == sum(line.total.amount for line in event.lines)
                assert len({line.sku for line in event.lines}) == len(event.lines)
            if isinstance(event, Return):
                assert seen[event.purchase_id].member_id == event.member_id
            if isinstance(event, Complaint) and event.order_id is not None:
                assert event.order_id == f"{event.member_id}-unknown" or seen[
                    event.order_id].member_id == event.member_id
            if isinstance(event, Approval) and event.ref_event_id in seen:
                assert seen[event.ref_event_id].type == "complaint"
            if isinstance(event, Custom) and "order_id" in event.payload:
                assert seen[str(event.payload["order_id"])].member_id == event.member_id
            if isinstance(event, Redemption) and event.points is not None:
                reward = next(r for r in program.points.rewards if r.id == event.reward_id)
                assert isinstance(reward, PointsAsCurrency)
                assert event.points >= reward.min_points
                assert event.points % reward.step == 0
            seen[event.id] = event
        for member in {e.member_id for e in events}:
            assert sum(e.type == "signup" and e.member_id == member for e in events) <= 1


# -- balances --------------------------------------------------------------------------------

class TestBalances:
    @SOME
    @given(program_and_shop())
    def test_conserved_and_never_negative(self, case: tuple[Program, list[Event]]) -> None:
        """earned == available + pending + redeemed + expired + revoked, and no balance, lot or
        debt is negative, in every state of the fold and after every member is advanced."""
        program, events = case
        done = fold(program, events)
        for _, decision in done.decisions:
            if decision is not None:
                check_balances(decision.state)
        for state in fold(program, events, until=LATER).states.values():
            check_balances(state)

    @FEW
    @given(program_and_shop())
    def test_balance_is_the_sum_of_effects(self, case: tuple[Program, list[Event]]) -> None:
        """Nothing changes a balance without an effect: every member's available points equal
        the sum of ``points_delta`` over their effects, after the stream and after advancing."""
        program, events = case
        # Pending points that expire break it: test_expired_pending_points_leave_the_balance.
        assume(not (program.points.has_pending and program.points.expiry is not None))
        for until in (None, LATER):
            done = fold(program, events, until=until)
            for mid, state in done.states.items():
                assert state.available_points == sum(
                    e.points_delta for e in done.effects if e.member_id == mid)


# -- replay ----------------------------------------------------------------------------------

def _grouped(effects: Iterable[Effect]) -> dict[str, list[Effect]]:
    out: dict[str, list[Effect]] = {}
    for effect in effects:
        out.setdefault(effect.member_id, []).append(effect)
    return out


def _by_member(effects: Iterable[Effect]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for effect in effects:
        out.setdefault(effect.member_id, []).append(effect.model_dump_json())
    return out


class TestReplay:
    @SOME
    @given(program_and_shop(shared=False))
    def test_without_shared_state_replay_is_a_fold(self, case: tuple[Program,
                                                                    list[Event]]) -> None:
        """Without program-wide state, ``replay(errors="skip")`` gives the states and effects
        of folding ``apply``, and with ``until`` those of advancing every member after it."""
        program, events = case
        assert not program.uses_shared_state
        done = fold(program, events)
        plain = program.replay(events, errors="skip")
        states = plain.states  # runs the replay (`rejected` is filled by the run)
        assert dumps(states[m] for m in done.states) == dumps(done.states.values())
        assert [eid for eid, _ in plain.rejected] == done.rejected
        assert dumps(plain.effects()) == dumps(done.effects)
        assert plain.shared is None

        later = fold(program, events, until=LATER)
        until = program.replay(events, errors="skip", until=LATER)
        assert dumps(until.states[m] for m in later.states) == dumps(later.states.values())
        assert _by_member(until.effects()) == _by_member(later.effects)

    @FEW
    @given(program_and_shop(shared=True))
    def test_with_shared_state_replay_is_a_global_fold(self, case: tuple[Program,
                                                                        list[Event]]) -> None:
        """With program-wide state, the replay equals the fold in global ``(at, id)`` order
        that threads ``Decision.shared`` and fires time-driven effects across members in time
        order: the same states, shared state and effects, in the same order."""
        program, events = case
        assert program.uses_shared_state
        done = fold(program, events, until=LATER)
        assume(not done.overdue)
        replay = program.replay(events, errors="skip", until=LATER)
        states = replay.states  # runs the replay (`rejected` is filled by the run)
        assert dumps(states[m] for m in done.states) == dumps(done.states.values())
        assert replay.shared is not None
        assert done.shared is not None
        assert replay.shared.model_dump_json() == done.shared.model_dump_json()
        assert [eid for eid, _ in replay.rejected] == done.rejected
        assert dumps(replay.effects()) == dumps(done.effects)

    @FEW
    @given(program_and_shop())
    def test_iteration_gives_the_fold_decisions_and_the_fast_pass_result(
            self, case: tuple[Program, list[Event]]) -> None:
        """Iterating a replay yields each event's decision as ``apply`` made it in the fold
        (refused events keep the state as it was) and, with program-wide state, each
        ``advance`` to a member's due time between events; afterwards the replay holds what
        the fast pass computes."""
        program, events = case
        done = fold(program, events)
        assume(not done.overdue)
        iterated = program.replay(events, errors="skip")
        decisions = list(iterated)
        assert len(decisions) == len(done.decisions)
        for got, (event, expected) in zip(decisions, done.decisions, strict=True):
            if expected is None:
                assert event is not None
                assert got.effects == ()
                assert got.trace[-1].outcome == "refused"
                before = done.refused_on[event.id] or MemberState.new(
                    event.member_id, currency=program.currency)
                assert got.state.model_dump_json() == before.model_dump_json()
                continue
            assert got.state.model_dump_json() == expected.state.model_dump_json()
            assert dumps(got.effects) == dumps(expected.effects)
            assert dumps(got.trace) == dumps(expected.trace)
            assert (got.shared is None) == (expected.shared is None)
            if got.shared is not None and expected.shared is not None:
                assert got.shared.model_dump_json() == expected.shared.model_dump_json()
        fast = program.replay(events, errors="skip")
        assert dumps(iterated.states[m] for m in sorted(iterated.states)) == dumps(
            fast.states[m] for m in sorted(fast.states))
        assert dumps(iterated.effects()) == dumps(fast.effects())
        assert iterated.summary() == fast.summary()
        if program.uses_shared_state:
            assert iterated.shared == fast.shared


    @FEW
    @given(program_and_shop(), st.data())
    def test_a_replay_resumes_from_saved_states(self, case: tuple[Program, list[Event]],
                                                data: st.DataObject) -> None:
        """Replaying a stream in two parts, the second from the first's states and shared
        state saved as JSON, gives what one replay gives, byte for byte."""
        program, events = case
        cut = data.draw(st.integers(0, len(events)))
        first = program.replay(events[:cut], errors="skip")
        saved = {m: MemberState.model_validate_json(s.model_dump_json())
                 for m, s in first.states.items()}
        shared = None if first.shared is None else SharedState.model_validate_json(
            first.shared.model_dump_json())
        second = program.replay(events[cut:], saved, shared=shared, errors="skip", until=LATER)
        whole = program.replay(events, errors="skip", until=LATER)
        assert dumps(second.states[m] for m in sorted(second.states)) == dumps(
            whole.states[m] for m in sorted(whole.states))
        assert (None if second.shared is None else second.shared.model_dump_json()) == (
            None if whole.shared is None else whole.shared.model_dump_json())
        # Per member: `until` advances the members one after another, in the replay's order.
        assert _by_member([*first.effects(), *second.effects()]) == _by_member(
            whole.effects())
        assert len(first.rejected) + len(second.rejected) == len(whole.rejected)


# -- determinism and explanations ------------------------------------------------------------

def _run(program: Program, events: list[Event]) -> list[str]:
    """Everything a replay and a fold produce, as JSON."""
    replay = program.replay(events, errors="skip", until=LATER)
    done = fold(program, events, until=LATER)
    out = dumps(replay.states[m] for m in sorted(replay.states)) + dumps(replay.effects())
    out += dumps(done.states[m] for m in sorted(done.states)) + dumps(done.effects)
    out += dumps(d for _, d in done.decisions if d is not None)
    for shared in (replay.shared, done.shared):
        out.append("null" if shared is None else shared.model_dump_json())
    return out


class TestDeterminism:
    @FEW
    @given(program_and_shop())
    def test_same_inputs_give_the_same_bytes(self, case: tuple[Program, list[Event]]) -> None:
        """The same program and stream, run twice or through the program loaded from its
        JSON, give byte-identical states, shared state, decisions and effects."""
        program, events = case
        first = _run(program, events)
        assert _run(program, events) == first
        assert _run(Program.model_validate_json(program.model_dump_json()), events) == first


class TestExplained:
    @FEW
    @given(program_and_shop())
    def test_every_effect_names_its_rule_and_a_reason(self, case: tuple[Program,
                                                                       list[Event]]) -> None:
        """Every effect of a replay and of the fold, time-driven ones included, carries a
        non-empty rule id and a non-empty reason, and belongs to a member of the stream."""
        program, events = case
        members = {e.member_id for e in events}
        replay = program.replay(events, errors="skip", until=LATER)
        for effect in [*replay.effects(), *fold(program, events).effects]:
            assert effect.rule_id.strip(), effect
            assert effect.reason.strip(), effect
            assert effect.member_id in members


# -- JSON ------------------------------------------------------------------------------------

def ambiguous_times(value: Any) -> list[datetime]:
    """Datetimes in ``value`` whose wall time a DST change repeats or skips: Python never
    finds them equal to the same instant in another tzinfo (PEP 495), so ``==`` after a JSON
    round trip is False for them (see ``test_window_in_a_dst_fold_survives_a_round_trip``)."""
    if isinstance(value, datetime):
        other = value.replace(fold=1 - value.fold)
        return [value] if other.utcoffset() != value.utcoffset() else []
    if isinstance(value, dict):
        return [t for item in value.values() for t in ambiguous_times(item)]
    if isinstance(value, list | tuple):
        return [t for item in value for t in ambiguous_times(item)]
    return []


LOCAL_OFFSET = re.compile(r'T\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d"')
"""An ISO instant in JSON written with an offset other than ``Z``."""


def assert_round_trip(model: Any) -> None:
    """``Model.model_validate_json(x.model_dump_json()) == x``, and the re-dump is the same
    bytes: every instant is kept in UTC, so a saved document is a fixed point."""
    text = model.model_dump_json()
    again = type(model).model_validate_json(text)
    assert again.model_dump_json() == text
    if not ambiguous_times(model.model_dump()):
        assert again == model


class TestJson:
    @SOME
    @given(full_programs())
    def test_full_programs(self, program: Program) -> None:
        """A program with every family survives a JSON round trip exactly, explains itself
        the same afterwards, and its JSON Schema accepts its own document."""
        assert_round_trip(program)
        again = Program.model_validate_json(program.model_dump_json())
        assert again.explain() == program.explain()
        assert again.uses_shared_state == program.uses_shared_state

    @FEW
    @given(full_programs(tiers=True, gifts=True, goodwill=True).flatmap(
        lambda p: st.tuples(st.just(p), member_states(p, max_events=14))))
    def test_states_with_every_family(self, case: tuple[Program, MemberState]) -> None:
        """States with tier, gift and goodwill parts survive a JSON round trip exactly, and
        a program applies the loaded state as it applies the original."""
        program, state = case
        assert_round_trip(state)
        loaded = MemberState.model_validate_json(state.model_dump_json())
        assert program.advance(loaded, LATER).model_dump_json() == program.advance(
            state, LATER).model_dump_json()

    @FEW
    @given(program_and_shop(members=2))
    def test_shared_state_and_decisions(self, case: tuple[Program, list[Event]]) -> None:
        """Decisions (with their effects and shared state) of full programs survive a JSON
        round trip exactly."""
        program, events = case
        done = fold(program, events, until=LATER)
        for _, decision in done.decisions:
            if decision is not None:
                assert_round_trip(decision)
        if done.shared is not None:
            assert_round_trip(done.shared)

    @FEW
    @given(program_and_shop(members=2))
    def test_states_and_effects_keep_instants_in_utc(
            self, case: tuple[Program, list[Event]]) -> None:
        """Every instant in every state and effect of a fold and a replay (tier reviews, gift
        dates and goodwill vouchers included) is written in UTC: no other offset appears."""
        program, events = case
        done = fold(program, events, until=LATER)
        replay = program.replay(events, errors="skip", until=LATER)
        texts = [*dumps(done.states.values()), *dumps(done.effects),
                 *dumps(replay.states.values()), *dumps(replay.effects())]
        offsets = [m.group(0) for text in texts for m in LOCAL_OFFSET.finditer(text)]
        assert offsets == []

    @SOME
    @given(st.one_of(approvals(), returns(by_lines=True), redemptions(points=True)))
    def test_new_event_shapes(self, event: Event) -> None:
        """Approvals, returns by lines and points redemptions survive a JSON round trip."""
        assert_round_trip(event)
        assert parse_event(event.model_dump_json()) == event


# -- idempotency -----------------------------------------------------------------------------

class TestIdempotency:
    @SOME
    @given(program_and_shop(), st.randoms(use_true_random=False))
    def test_reapplying_an_applied_event_is_a_noop(self, case: tuple[Program, list[Event]],
                                                   rnd: Any) -> None:
        """Re-applying any event a member's state has applied returns that state and shared
        state byte for byte, with no effect and a ``duplicate`` trace."""
        program, events = case
        done = fold(program, events)
        applied: dict[str, list[Event]] = {}
        for event, decision in done.decisions:
            if decision is None or event is None:
                continue
            applied.setdefault(event.member_id, []).append(event)
            for again in (event, rnd.choice(applied[event.member_id])):
                repeat = program.apply(decision.state, again, shared=decision.shared)
                assert repeat.state.model_dump_json() == decision.state.model_dump_json()
                assert repeat.effects == ()
                assert [t.outcome for t in repeat.trace] == ["duplicate"]
                assert (None if repeat.shared is None else repeat.shared.model_dump_json()) == (
                    None if decision.shared is None else decision.shared.model_dump_json())


# -- refusals --------------------------------------------------------------------------------

@st.composite
def refusal_case(draw: st.DrawFn) -> tuple[Program, MemberState, SharedState | None, Event,
                                           type[ReciprocityError]]:
    """A full program, a state of it (and its shared state), and an event the state must
    refuse, with the error it must raise."""
    program, events = draw(program_and_shop(members=1, per_member=14))
    done = fold(program, events)
    state = done.states.get("m-1") or MemberState.new("m-1", currency=program.currency)
    at = (state.as_of or LATER) + timedelta(seconds=draw(st.integers(0, 3600)))
    kind = draw(st.sampled_from(("points", "reward", "unknown", "exceeds", "lines",
                                 "approval", "currency")))
    base = dict(id="refused", member_id="m-1", at=at)
    rewards = program.points.rewards
    if kind == "points" and rewards:
        reward = draw(st.sampled_from(rewards))
        owned = state.available_points + state.pending_points
        if isinstance(reward, PointsAsCurrency):
            points = (owned // reward.step + 1) * reward.step + reward.min_points * reward.step
            event: Event = Redemption(**base, reward_id=reward.id, points=points)
        else:
            event = Redemption(**base, reward_id=reward.id, quantity=owned // reward.points + 1)
        return program, state, done.shared, event, InsufficientPoints
    open_ = [p for p in state.purchases if not p.fully_returned]
    if kind == "exceeds" and open_:
        record = draw(st.sampled_from(open_))
        extra = Money("0.01", program.currency).quantize()
        if extra.amount == 0:
            extra = Money(1, program.currency)
        amount = Money(record.amount - record.returned + extra.amount, program.currency)
        return program, state, done.shared, Return(**base, purchase_id=record.id,
                                                   amount=amount), ReturnExceedsPurchase
    if kind == "lines" and open_:
        record = draw(st.sampled_from(open_))
        return program, state, done.shared, Return(
            **base, purchase_id=record.id, lines=(ReturnedLine(sku="NO-SUCH-SKU", quantity=1),)
        ), ReturnExceedsPurchase
    if kind == "approval" and program.goodwill is not None:
        return program, state, done.shared, Approval(**base, ref_event_id="no-such-complaint"), \
            NotAwaitingApproval
    if kind == "currency":
        other = "USD" if program.currency != "USD" else "EUR"
        return program, state, done.shared, Purchase(**base, amount=Money("60.00", other)), \
            ReciprocityError
    if kind == "reward":
        return program, state, done.shared, Redemption(**base, reward_id="no-such-reward"), \
            UnknownReward
    return program, state, done.shared, Return(**base, purchase_id="no-such-order"), \
        UnknownPurchase


class TestRefusals:
    @SOME
    @given(refusal_case())
    def test_refused_event_changes_nothing(
        self, case: tuple[Program, MemberState, SharedState | None, Event,
                          type[ReciprocityError]],
    ) -> None:
        """A refused event raises its error, leaves the input state's and shared state's JSON
        as they were, and is not recorded: applied again, it is refused again."""
        program, state, shared, event, error = case
        before = state.model_dump_json(), None if shared is None else shared.model_dump_json()
        for _ in range(2):
            with pytest.raises(error):
                program.apply(state, event, shared=shared)
            assert (state.model_dump_json(),
                    None if shared is None else shared.model_dump_json()) == before
        assert not state.has_applied(event.id)
        if issubclass(error, RefusedEvent) and not program.uses_shared_state:
            # A replay leaves the refused event out and keeps the state as it was (the
            # housekeeping due before it is discarded with it, as `apply` discards it).
            replay = program.replay([event], {"m-1": state}, errors="skip")
            assert replay.states["m-1"].model_dump_json() == state.model_dump_json()
            assert [eid for eid, _ in replay.rejected] == [event.id]


# -- bugs the properties found: regression tests with minimal reproductions -------------------

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_engine_keeps_tier_instants_in_utc() -> None:
    """A state with a tier dumps the same JSON after a load (every instant kept in UTC)."""
    program = Program(name="p", timezone="Europe/Berlin", tiers=TierLadder(
        tiers=(Tier(id="bronze", requires=MinOrders(count=1)),)))
    decision = program.apply(None, Purchase(id="A", member_id="m", at=T0, amount=eur("10")))
    text = decision.state.model_dump_json()
    assert MemberState.model_validate_json(text).model_dump_json() == text
    assert decision.state.tier is not None
    assert decision.state.tier.valid_until == datetime(2027, 12, 31, 23, tzinfo=UTC)
    assert decision.state.tier.valid_until.tzinfo is UTC


def test_engine_keeps_gift_instants_in_utc() -> None:
    """A state with a birthday gift dumps the same JSON after a load."""
    gift = Gift(id="v", name="birthday voucher", kind="voucher", value=eur("5.00"))
    program = Program(name="p", timezone="Europe/Berlin",
                      gifts=GiftScheme(rules=(BirthdayGift(id="bday", gift=gift),)))
    state = program.apply(None, SignUp(id="S", member_id="m", at=T0,
                                       birthday=date(1990, 3, 10))).state
    state = program.advance(state, datetime(2026, 3, 11, tzinfo=UTC)).state
    assert state.gifts is not None
    assert state.gifts.grants[0].at.tzinfo is UTC
    text = state.model_dump_json()
    assert MemberState.model_validate_json(text).model_dump_json() == text


def test_window_in_a_dst_fold_survives_a_round_trip() -> None:
    """A program with a window that starts in a repeated DST hour equals its round trip."""
    start = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    program = Program(name="p", points=PointScheme(earn=(
        PointsPerPurchase(id="e", points=1, when=During(start=start)),)))
    again = Program.model_validate_json(program.model_dump_json())
    assert again.model_dump_json() == program.model_dump_json()
    assert again == program


def test_points_released_after_their_expiry_are_not_available() -> None:
    """Points whose lot expired while pending are not available once the order is
    delivered: the decision's state has nothing due at or before its own time."""
    program = Program(name="p", points=PointScheme(
        earn=(PointsPerPurchase(id="e", points=5),), release_on="delivered",
        expiry=FixedLifetime(days=1)))
    state = program.apply(None, Purchase(id="A", member_id="m", at=T0, amount=eur("10"))).state
    delivered = program.apply(state, Custom(id="D", member_id="m", at=T0 + timedelta(days=4),
                                            name="delivered", payload={"order_id": "A"}))
    later = program.advance(delivered.state, T0 + timedelta(days=30))
    assert [e for e in later.effects if e.at <= T0 + timedelta(days=4)] == []
    assert delivered.state.available_points == 0


def test_iterating_a_shared_replay_reports_every_effect() -> None:
    """Every effect of a replay comes with one of its iterated decisions, with or without
    program-wide state: here member a's birthday gift, due before a's next order."""
    gift = Gift(id="v", name="birthday voucher", kind="voucher", value=eur("5.00"))
    rule = BirthdayGift(id="bday", gift=gift, budget="gifts")
    program = Program(name="p", timezone="Europe/Berlin", gifts=GiftScheme(
        rules=(rule,), budgets=(Budget(id="gifts", count=10, per=Period.YEAR),)))
    events: list[Event] = [
        SignUp(id="S", member_id="a", at=T0, birthday=date(1990, 3, 10)),
        Purchase(id="P", member_id="b", at=T0 + timedelta(days=19), amount=eur("10")),
        Purchase(id="Q", member_id="a", at=T0 + timedelta(days=20), amount=eur("10")),
    ]
    replay = program.replay(events)
    iterated = [e.type for d in replay for e in d.effects]
    assert [e.type for e in replay.effects()] == ["gift_granted"]
    assert iterated == ["gift_granted"]


def test_replay_counts_are_right_when_read_first() -> None:
    """``rejected`` and ``applied``, read before anything else, describe the whole replay."""
    program = Program(name="p", points=PointScheme(
        earn=(PointsPerPurchase(id="e", points=1),),
        rewards=(PointsAsCurrency(id="pay", name="pay", point_value=eur("0.01")),)))
    events: list[Event] = [
        Purchase(id="A", member_id="m", at=T0, amount=eur("10")),
        Redemption(id="R", member_id="m", at=T0, reward_id="pay", points=5)]
    replay = program.replay(events, errors="skip")
    assert [eid for eid, _ in replay.rejected] == ["R"]
    assert replay.applied == 1


def test_expired_pending_points_leave_the_balance_alone() -> None:
    """Pending points that expire before release change no available balance: the balance
    still equals the sum of ``points_delta`` over the member's effects."""
    program = Program(name="p", points=PointScheme(
        earn=(PointsPerPurchase(id="e", points=1),), pending_days=10,
        expiry=FixedLifetime(days=1)))
    first = program.apply(None, Purchase(id="A", member_id="m", at=T0, amount=eur("10")))
    later = program.advance(first.state, T0 + timedelta(days=60))
    assert later.state.available_points == 0
    assert sum(e.points_delta for e in (*first.effects, *later.effects)) == 0


def test_replay_advances_other_members_as_a_scheduler_would() -> None:
    """With program-wide state, the replay releases m-2's pending point at its due time while
    m-3's order is applied, and m-2's state says so: it is ``advance(state, next_due)`` of
    the state ``apply`` gave, as a backend's scheduler makes it (the issue's example)."""
    program = Program(name="p", points=PointScheme(
        earn=(PointsPerPurchase(id="e", points=1),), pending_days=1), gifts=GiftScheme(
        rules=(FirstOrderGift(id="f", budget="b", gift=Gift(
            id="g", name="sample", kind="sample", value=eur("1.00"))),),
        budgets=(Budget(id="b", count=10, per=Period.YEAR),)))
    assert program.uses_shared_state
    events: list[Event] = [
        Purchase(id="A", member_id="m-2", at=T0, amount=eur("0.00")),
        Purchase(id="B", member_id="m-3", at=T0 + timedelta(days=1, hours=1),
                 amount=eur("5.00"))]
    replayed = program.replay(events).states["m-2"]
    first = program.apply(None, events[0])
    assert (first.state.available_points, first.state.pending_points) == (0, 1)
    due = program.next_due(first.state)
    assert due == T0 + timedelta(days=1)
    scheduled = program.advance(first.state, due, shared=first.shared).state
    assert (replayed.available_points, replayed.pending_points) == (1, 0)
    assert replayed.model_dump_json() == scheduled.model_dump_json()
    decisions = list(program.replay(events))
    assert [(d.state.member_id, [e.type for e in d.effects]) for d in decisions] == [
        ("m-2", ["points_earned", "gift_granted"]), ("m-2", ["points_released"]),
        ("m-3", ["points_earned", "gift_granted"])]


def test_a_late_purchase_past_its_pending_window_is_released_at_once() -> None:
    """A purchase older than the member's time, whose pending days ended before it, earns
    available points in its own decision (not at some later event)."""
    program = Program(name="p", points=PointScheme(
        earn=(PointsPerPurchase(id="e", points=1),), pending_days=1))
    state = program.apply(None, Purchase(id="X", member_id="m", at=T0 + timedelta(days=10),
                                         amount=eur("5"))).state
    late = program.apply(state, Purchase(id="L", member_id="m", at=T0, amount=eur("5")))
    assert [e.type for e in late.effects] == ["points_earned", "points_released"]
    assert (late.state.available_points, late.state.pending_points) == (1, 1)
    assert program.next_due(late.state) == T0 + timedelta(days=11)
    assert late.state.as_of == T0 + timedelta(days=10)
