"""Property tests of the engine's contracts, with the strategies of ``reciprocity.testing``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    AllOf,
    AnyOf,
    Condition,
    CurrencyMismatch,
    Decision,
    During,
    Event,
    FixedLifetime,
    InsufficientPoints,
    InvalidProgram,
    MemberState,
    Money,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    PurchaseColumns,
    ReciprocityError,
    Redemption,
    RefusedEvent,
    Return,
    ReturnExceedsPurchase,
    Reward,
    UnknownPurchase,
    UnknownReward,
    all_of,
    any_of,
    currency_exponent,
    not_,
    parse_event,
    seed_program,
)
from reciprocity.testing import (
    DEFAULT_END,
    aware_datetimes,
    complaints,
    conditions,
    customs,
    member_states,
    member_streams,
    money,
    profile_updates,
    programs,
    purchases,
    redemptions,
    returns,
    shop_streams,
    signups,
)

# The profile (tests/conftest.py) sets the number of examples; FEW is for the slowest tests.
SOME = settings(deadline=None)
FEW = settings(deadline=None, max_examples=max(10, settings().max_examples // 2))
LATER = DEFAULT_END + timedelta(days=1)
"""After every generated event: ``advance``/``until`` to here fires all that is due."""


# -- helpers ---------------------------------------------------------------------------------

def fold(
    program: Program, events: Iterable[Event], states: dict[str, MemberState] | None = None,
) -> tuple[dict[str, MemberState], list[Decision], list[Event]]:
    """Apply events one by one, leaving out refused ones: (states, decisions, applied)."""
    states = dict(states or {})
    decisions: list[Decision] = []
    applied: list[Event] = []
    for event in events:
        try:
            decision = program.apply(states.get(event.member_id), event)
        except RefusedEvent:
            continue
        states[event.member_id] = decision.state
        decisions.append(decision)
        applied.append(event)
    return states, decisions, applied


def ambiguous_times(value: Any) -> list[datetime]:
    """Datetimes in ``value`` whose wall time a DST change repeats or skips.

    Python never calls such a datetime equal to one in another tzinfo, so ``==`` after a JSON
    round trip is False for them (see ``test_round_trip_equality_survives_dst_fold``).
    """
    if isinstance(value, datetime):
        other = value.replace(fold=1 - value.fold)
        return [value] if other.utcoffset() != value.utcoffset() else []
    if isinstance(value, dict):
        return [t for item in value.values() for t in ambiguous_times(item)]
    if isinstance(value, list | tuple):
        return [t for item in value for t in ambiguous_times(item)]
    return []


def assert_round_trip(model: Any) -> None:
    """``Model.model_validate_json(x.model_dump_json()) == x``, and the re-dump is identical."""
    text = model.model_dump_json()
    again = type(model).model_validate_json(text)
    assert again.model_dump_json() == text
    if not ambiguous_times(model.model_dump()):
        assert again == model


@st.composite
def program_and_stream(draw: st.DrawFn, /, **kwargs: Any) -> tuple[Program, list[Event]]:
    """A program and one member's stream that redeems from its catalogue."""
    program = draw(programs(**{k: kwargs.pop(k) for k in ("auto_issue", "conditions")
                               if k in kwargs}))
    if not kwargs.pop("expiry", True):
        data = program.model_dump(mode="json")
        data["points"]["expiry"] = None
        program = Program.model_validate(data)
    events = draw(member_streams(rewards=program.points.rewards, **kwargs))
    return program, events


@st.composite
def program_and_shop(draw: st.DrawFn, /, **kwargs: Any) -> tuple[Program, list[Event]]:
    """A program and a shop stream of three members, in replay order."""
    program = draw(programs())
    events = draw(shop_streams(rewards=program.points.rewards, **kwargs))
    return program, events


def available(state: MemberState) -> int:
    return state.available_points


# -- the strategies keep their promises -------------------------------------------------------

class TestStrategies:
    @SOME
    @given(shop_streams(max_events_per_member=12))
    def test_streams_are_valid(self, events: list[Event]) -> None:
        """Unique ids in (at, id) order, aware times, returns within earlier purchases."""
        assert len({e.id for e in events}) == len(events)
        keys = [(e.at.astimezone(UTC), e.id) for e in events]
        assert keys == sorted(keys)
        left: dict[str, Any] = {}
        for event in events:
            assert event.at.utcoffset() is not None
            if isinstance(event, Purchase):
                left[event.id] = (event.member_id, event.amount.amount)
            elif isinstance(event, Return):
                member, rest = left[event.purchase_id]
                assert member == event.member_id
                taken = rest if event.amount is None else event.amount.amount
                assert 0 < taken <= rest
                left[event.purchase_id] = (member, rest - taken)

    @SOME
    @given(st.sampled_from(("EUR", "JPY", "KWD")).flatmap(
        lambda c: st.tuples(st.just(c), money(c, 0, 1000))))
    def test_money_is_quantized(self, case: tuple[str, Money]) -> None:
        """Amounts carry exactly the currency's minor-unit places, within the bounds."""
        currency, amount = case
        assert amount.currency == currency
        assert amount.amount.as_tuple().exponent == -currency_exponent(currency)
        assert Money(0, currency).amount <= amount.amount <= 1000


# -- balances --------------------------------------------------------------------------------

class TestBalances:
    @SOME
    @given(program_and_stream())
    def test_never_negative(self, case: tuple[Program, list[Event]]) -> None:
        """No balance, lot or debt is ever negative, after any event."""
        program, events = case
        state = None
        for event in events:
            try:
                state = program.apply(state, event).state
            except RefusedEvent:
                continue
            assert state.available_points >= 0
            assert state.pending_points >= 0
            assert state.pooled_points >= 0
            assert all(lot.remaining >= 0 for lot in state.lots)
            assert state.debt >= 0

    @SOME
    @given(program_and_stream())
    def test_points_are_conserved(self, case: tuple[Program, list[Event]]) -> None:
        """earned == available + pending + redeemed + expired + revoked after every event."""
        program, events = case
        state = None
        for event in events:
            try:
                state = program.apply(state, event).state
            except RefusedEvent:
                continue
            assert state.points_earned == (
                state.available_points + state.pending_points + state.points_redeemed
                + state.points_expired + state.points_revoked
            )
        if state is not None:
            state = program.advance(state, LATER).state
            assert state.points_earned == (
                state.available_points + state.pending_points + state.points_redeemed
                + state.points_expired + state.points_revoked
            )

    @SOME
    @given(program_and_stream())
    def test_balance_is_the_sum_of_effects(self, case: tuple[Program, list[Event]]) -> None:
        """The available balance equals the sum of ``points_delta`` over every effect."""
        program, events = case
        states, decisions, _ = fold(program, events)
        if not decisions:
            return
        final = states["m-1"]
        assert final.available_points == sum(e.points_delta for d in decisions for e in d.effects)
        later = program.advance(final, LATER)
        assert later.state.available_points == final.available_points + sum(
            e.points_delta for e in later.effects)


# -- idempotency and determinism -------------------------------------------------------------

class TestIdempotency:
    @SOME
    @given(program_and_stream(), st.randoms(use_true_random=False))
    def test_reapplying_changes_nothing(self, case: tuple[Program, list[Event]],
                                        rnd: Any) -> None:
        """Re-applying an applied event returns the same state, no effects, a duplicate note."""
        program, events = case
        state = None
        applied: list[Event] = []
        for event in events:
            try:
                state = program.apply(state, event).state
            except RefusedEvent:
                continue
            applied.append(event)
            for again in {event.id: event, rnd.choice(applied).id: rnd.choice(applied)}.values():
                decision = program.apply(state, again)
                assert decision.state == state
                assert decision.state.model_dump_json() == state.model_dump_json()
                assert decision.effects == ()
                assert [t.outcome for t in decision.trace] == ["duplicate"]

    @FEW
    @given(program_and_stream())
    def test_apply_is_deterministic(self, case: tuple[Program, list[Event]]) -> None:
        """The same stream applied twice gives byte-identical states and effects."""
        program, events = case

        def run() -> list[str]:
            _, decisions, _ = fold(program, events)
            return [d.state.model_dump_json() for d in decisions] + [
                e.model_dump_json() for d in decisions for e in d.effects]

        assert run() == run()


# -- order -----------------------------------------------------------------------------------

def _groups(events: Sequence[Event]) -> list[list[Event]]:
    """Runs of consecutive events with an equal ``at``."""
    return [list(group) for _, group in itertools.groupby(events, key=lambda e: e.at)]


class TestOrder:
    @FEW
    @given(program_and_shop(), st.data())
    def test_replay_sorts_any_input_order(self, case: tuple[Program, list[Event]],
                                          data: st.DataObject) -> None:
        """Replay gives the same states whatever the input order (it sorts by (at, id))."""
        program, events = case
        shuffled = data.draw(st.permutations(events))
        within = [e for group in _groups(events) for e in data.draw(st.permutations(group))]
        expected = {m: s.model_dump_json()
                    for m, s in program.replay(events, errors="skip").states.items()}
        for order in (shuffled, within):
            states = program.replay(order, errors="skip").states
            assert {m: s.model_dump_json() for m, s in states.items()} == expected

    @SOME
    @given(program_and_stream(kinds=("purchase", "return"), same_instant_returns=False,
                              auto_issue=False, conditions=False, expiry=False),
           st.data())
    def test_same_instant_purchases_commute(self, case: tuple[Program, list[Event]],
                                            data: st.DataObject) -> None:
        """Purchases and returns (of earlier purchases) at one ``at`` commute under apply.

        Only while no return falls short of points to take back. Order inside an instant
        rightly matters with auto-issued rewards (the voucher is named after the purchase
        that reached the threshold), ``PurchaseCountAtLeast`` (the n-th purchase earns) and
        expiry (a return whose points expired takes newer points if they came first, else it
        leaves debt, repaid from the first new lot, or is absorbed). ``replay`` fixes the
        order as (at, id).
        """
        program, events = case
        permuted: list[Event] = []
        for group in _groups(events):
            # Returns of one purchase keep their order: "the rest" (a full return) and a
            # partial one do not commute, nor are they meant to.
            queues: dict[str, list[Event]] = {}
            for event in group:
                if isinstance(event, Return):
                    queues.setdefault(event.purchase_id, []).append(event)
            permuted += [queues[e.purchase_id].pop(0) if isinstance(e, Return) else e
                         for e in data.draw(st.permutations(group))]
        expected, _, applied = fold(program, events)
        got, _, applied_permuted = fold(program, permuted)
        assert len(applied) == len(events) == len(applied_permuted)
        # Equal, not byte-identical: two equal instants written in two zones are one group,
        # and the state keeps the first one's offset (e.g. in `as_of`).
        assert got == expected


# -- replay ----------------------------------------------------------------------------------

def _by_member(effects: Iterable[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for effect in effects:
        out.setdefault(effect.member_id, []).append(effect.model_dump_json())
    return out


def _is_empty(state: MemberState) -> bool:
    return (state.points_earned == 0 and not state.purchases and not state.applied_event_ids
            and not state.lots and state.debt == 0)


class TestReplay:
    @SOME
    @given(program_and_shop())
    def test_replay_is_a_fold_of_apply(self, case: tuple[Program, list[Event]]) -> None:
        """``replay(errors="skip")`` gives the states and effects of folding ``apply``."""
        program, events = case
        states, decisions, applied = fold(program, events)
        applied_ids = {e.id for e in applied}
        fold_effects = [e.model_dump_json() for d in decisions for e in d.effects]

        plain = program.replay(events, errors="skip")
        got = plain.states
        for mid, state in states.items():
            assert got[mid] == state
            assert got[mid].model_dump_json() == state.model_dump_json()
        # A member whose every event was refused has an empty state in the replay.
        assert all(_is_empty(got[mid]) for mid in set(got) - set(states))
        assert plain.applied == len(applied)
        assert [eid for eid, _ in plain.rejected] == [
            e.id for e in events if e.id not in applied_ids]
        assert [e.model_dump_json() for e in plain.effects()] == fold_effects

        # Iterating a fresh replay: a decision per event, the fold's effects in its order.
        iterated = list(program.replay(events, errors="skip"))
        assert len(iterated) == len(events)
        assert [e.model_dump_json() for d in iterated for e in d.effects] == fold_effects
        assert [d.state for d, e in zip(iterated, events, strict=True)
                if e.id in applied_ids] == [d.state for d in decisions]

        # With `until`: the fold, then `advance` of every member.
        advanced = {m: program.advance(s, LATER) for m, s in states.items()}
        until = program.replay(events, errors="skip", until=LATER)
        for mid, decision in advanced.items():
            assert until.states[mid] == decision.state
            assert until.states[mid].model_dump_json() == decision.state.model_dump_json()
        later = [e for d in decisions for e in d.effects]
        later += [e for d in advanced.values() for e in d.effects]
        assert _by_member(until.effects()) == _by_member(later)

    @FEW
    @given(program_and_shop(kinds=("purchase",)))
    def test_purchase_columns_replay_like_events(self, case: tuple[Program, list[Event]]) -> None:
        """Replaying ``PurchaseColumns`` equals replaying the same purchases as events."""
        program, events = case
        columns = PurchaseColumns(
            ids=[e.id for e in events], member_ids=[e.member_id for e in events],
            at=[e.at for e in events],
            amounts=[e.amount.amount for e in events if isinstance(e, Purchase)],
            currency=program.currency,
        )
        as_events = columns.to_events()  # no channel or lines: conditions see the same data
        from_columns = program.replay(columns, until=LATER)
        from_events = program.replay(as_events, until=LATER)
        folded, _, _ = fold(program, as_events)
        assert from_columns.states == from_events.states
        assert {m: s.model_dump_json() for m, s in from_columns.states.items()} == {
            m: program.advance(s, LATER).state.model_dump_json() for m, s in folded.items()}
        assert [e.model_dump_json() for e in from_columns.effects()] == [
            e.model_dump_json() for e in from_events.effects()]


# -- refusals --------------------------------------------------------------------------------

@st.composite
def refused_case(draw: st.DrawFn) -> tuple[Program, MemberState, Event, type[ReciprocityError]]:
    """A program, a state of it, and an event that state must refuse, with the error class."""
    program = draw(programs(min_rewards=1))
    state = draw(member_states(program, max_events=12))
    at = draw(aware_datetimes())
    kind = draw(st.sampled_from(("points", "reward", "unknown", "exceeds", "currency")))
    bought = [p for p in state.purchases if p.amount - p.returned > 0]
    if kind == "points":
        reward = draw(st.sampled_from([r for r in program.points.rewards
                                       if isinstance(r, Reward)]))
        # A quantity the balance cannot pay, whatever falls due before `at`.
        quantity = (state.available_points + state.pending_points) // reward.points + 1
        return program, state, Redemption(id="refused", member_id=state.member_id, at=at,
                                          reward_id=reward.id, quantity=quantity), \
            InsufficientPoints
    if kind == "reward":
        return program, state, Redemption(id="refused", member_id=state.member_id, at=at,
                                          reward_id="no-such-reward"), UnknownReward
    if kind == "exceeds" and bought:
        record = draw(st.sampled_from(bought))
        extra = draw(money(program.currency, "0.01", 100))
        amount = Money(record.amount - record.returned + extra.amount, program.currency)
        return program, state, Return(id="refused", member_id=state.member_id, at=at,
                                      purchase_id=record.id, amount=amount), \
            ReturnExceedsPurchase
    if kind == "currency":
        return program, state, Purchase(id="refused", member_id=state.member_id, at=at,
                                        amount=Money("60.00", "USD")), CurrencyMismatch
    return program, state, Return(id="refused", member_id=state.member_id, at=at,
                                  purchase_id="no-such-order"), UnknownPurchase


@SOME
@given(refused_case())
def test_refused_event_changes_nothing(
    case: tuple[Program, MemberState, Event, type[ReciprocityError]],
) -> None:
    """A refused event raises its ReciprocityError and leaves the input state as it was."""
    program, state, event, error = case
    before = state.model_dump_json()
    with pytest.raises(error) as raised:
        program.apply(state, event)
    assert isinstance(raised.value, ReciprocityError)
    assert state.model_dump_json() == before
    # The refused id was not recorded: the same event is refused again, not a duplicate.
    assert not state.has_applied(event.id)
    with pytest.raises(error):
        program.apply(state, event)


# -- exploits --------------------------------------------------------------------------------

@st.composite
def buy_and_return_case(draw: st.DrawFn, /, **kwargs: Any) -> tuple[Program, MemberState, Purchase,
                                                                 Return]:
    """A state, then a purchase and its full return no earlier than it."""
    program = draw(programs(**kwargs))
    state = draw(member_states(program, max_events=12))
    start = state.as_of or datetime(2025, 1, 1, tzinfo=program_zone(program))
    at = draw(aware_datetimes(start, start + timedelta(days=60)))
    purchase = Purchase(id="buy", member_id=state.member_id, at=at,
                        amount=draw(money(program.currency)))
    back = at + timedelta(seconds=draw(st.integers(0, 40 * 86400)))
    return program, state, purchase, Return(id="return", member_id=state.member_id, at=back,
                                            purchase_id="buy")


def program_zone(program: Program) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(program.timezone)


class TestBuyAndReturn:
    @SOME
    @given(buy_and_return_case(auto_issue=False))
    def test_never_profits(self, case: tuple[Program, MemberState, Purchase, Return]) -> None:
        """A purchase and its full return leave available + pending no higher, no new voucher."""
        program, state, purchase, back = case
        before = program.advance(state, back.at).state if (
            state.as_of is None or back.at > state.as_of) else state
        after = program.apply(program.apply(state, purchase).state, back).state
        assert after.available_points + after.pending_points <= (
            before.available_points + before.pending_points)
        assert after.debt >= before.debt
        assert len(after.vouchers) == len(before.vouchers)

    @SOME
    @given(buy_and_return_case(auto_issue=True))
    def test_auto_issue_never_profits_points(
        self, case: tuple[Program, MemberState, Purchase, Return],
    ) -> None:
        """With auto-issued rewards, buy-and-return gains no points: vouchers kept are paid."""
        program, state, purchase, back = case
        before = program.advance(state, back.at).state if (
            state.as_of is None or back.at > state.as_of) else state
        after = program.apply(program.apply(state, purchase).state, back).state
        cost = {r.id: getattr(r, "points", 0) for r in program.points.rewards}
        kept = sum(cost[v.reward_id] for v in after.vouchers if v not in before.vouchers)
        net_before = before.available_points + before.pending_points - before.debt
        net_after = after.available_points + after.pending_points - after.debt
        if program.points.clawback == "debt":
            assert net_after + kept <= net_before
        else:  # the shop absorbs what was spent; still no more than the purchase earned
            assert net_after <= net_before


# -- JSON ------------------------------------------------------------------------------------

class TestJson:
    @FEW
    @given(st.data())
    def test_member_state_and_program(self, data: st.DataObject) -> None:
        """States and programs survive a JSON round trip exactly."""
        program = data.draw(programs())
        assert_round_trip(program)
        assert_round_trip(data.draw(member_states(program)))

    @SOME
    @given(st.one_of(purchases(), returns(), redemptions(), signups(), profile_updates(),
                     complaints(), customs()))
    def test_every_event_type(self, event: Event) -> None:
        """Every event type survives a JSON round trip, by its class and by parse_event."""
        assert_round_trip(event)
        parsed = parse_event(event.model_dump_json())
        assert type(parsed) is type(event)
        assert parsed.model_dump_json() == event.model_dump_json()

    @FEW
    @given(program_and_stream())
    def test_effects_and_decisions(self, case: tuple[Program, list[Event]]) -> None:
        """Every effect and decision an engine makes survives a JSON round trip."""
        program, events = case
        states, decisions, _ = fold(program, events)
        for decision in decisions + [program.advance(s, LATER) for s in states.values()]:
            assert_round_trip(decision)
            for effect in decision.effects:
                assert_round_trip(effect)


# -- conditions ------------------------------------------------------------------------------

BASE = Program(name="base", currency="EUR", timezone="Europe/Berlin", points=PointScheme(
    earn=(PointsPerPurchase(id="any", points=1),)))
"""Makes member states with purchases and consents for the conditions to look at."""


def evaluate(named: dict[str, Condition], state: MemberState, purchase: Purchase,
             timezone: str) -> dict[str, bool]:
    """Evaluate conditions on (state, purchase) through the public API: one rule each."""
    program = Program(name="probe", currency="EUR", timezone=timezone, points=PointScheme(
        earn=tuple(PointsPerPurchase(id=name, points=1, when=c) for name, c in named.items())))
    earned = {e.rule_id for e in program.apply(state, purchase).effects
              if e.type == "points_earned"}
    return {name: name in earned for name in named}


@st.composite
def condition_case(draw: st.DrawFn, count: int) -> tuple[list[Condition], MemberState,
                                                         Purchase, str]:
    """Conditions, a member state, an unseen purchase of that member, and a time zone."""
    found = [draw(conditions()) for _ in range(count)]
    state = draw(member_states(BASE, max_events=8, kinds=("purchase", "signup",
                                                          "profile_update")))
    purchase = draw(purchases(member_id=state.member_id))
    return found, state, purchase.model_copy(update={"id": "probe-order"}), draw(
        st.sampled_from(("UTC", "Europe/Berlin", "Asia/Kolkata")))


class TestConditionLaws:
    @SOME
    @given(condition_case(1))
    def test_double_negation_evaluates_alike(self, case: tuple[list[Condition], MemberState,
                                                                Purchase, str]) -> None:
        """``~~c`` holds exactly when ``c`` holds (a law on evaluation, not structure)."""
        (c,), state, purchase, zone = case
        got = evaluate({"c": c, "not-not-c": ~~c, "not-c": ~c, "not_": not_(not_(c))},
                       state, purchase, zone)
        assert got["c"] == got["not-not-c"] == got["not_"] != got["not-c"]

    @SOME
    @given(condition_case(2))
    def test_de_morgan(self, case: tuple[list[Condition], MemberState, Purchase, str]) -> None:
        """``~(a & b)`` is ``~a | ~b`` and ``~(a | b)`` is ``~a & ~b``, on evaluation."""
        (a, b), state, purchase, zone = case
        got = evaluate({"nand": ~(a & b), "or-nots": ~a | ~b, "nor": ~(a | b),
                        "and-nots": ~a & ~b, "a": a, "b": b}, state, purchase, zone)
        assert got["nand"] == got["or-nots"] == (not (got["a"] and got["b"]))
        assert got["nor"] == got["and-nots"] == (not (got["a"] or got["b"]))

    @SOME
    @given(conditions(), conditions(), conditions())
    def test_operators_build_the_combinators(self, a: Condition, b: Condition,
                                             c: Condition) -> None:
        """``a & b`` dumps like ``all_of(a, b)``, ``a | b`` like ``any_of``, ``~a`` like not_."""
        assert (a & b).model_dump_json() == all_of(a, b).model_dump_json()
        assert (a | b).model_dump_json() == any_of(a, b).model_dump_json()
        assert (~a).model_dump_json() == not_(a).model_dump_json()
        three = a & b & c
        assert isinstance(three, AllOf)
        assert not any(isinstance(child, AllOf) for child in three.conditions)
        assert three.model_dump_json() == all_of(a, b, c).model_dump_json()
        either = a | b | c
        assert isinstance(either, AnyOf)
        assert not any(isinstance(child, AnyOf) for child in either.conditions)
        assert either.model_dump_json() == any_of(a, b, c).model_dump_json()


# -- bugs the properties found: regression tests ---------------------------------------------

NEW_YORK = "America/New_York"


def test_round_trip_equality_survives_dst_fold() -> None:
    """A model whose time falls in a DST fold still equals its JSON round trip."""
    at = datetime(2025, 10, 26, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # fold=0: 00:30 UTC
    purchase = Purchase(id="A", member_id="m", at=at, amount=Money("60.00", "EUR"))
    again = Purchase.model_validate_json(purchase.model_dump_json())
    assert again.model_dump_json() == purchase.model_dump_json()
    assert again == purchase


def test_program_equals_its_round_trip() -> None:
    """``Program.model_validate_json(p.model_dump_json()) == p``; equal programs are equal."""
    program = seed_program()
    assert Program.model_validate_json(program.model_dump_json()) == program
    assert seed_program() == program


def test_explain_survives_save_and_load() -> None:
    """A program's customer-facing explanation is the same after a JSON round trip."""
    start = datetime(2026, 12, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    program = Program(name="x", currency="EUR", points=PointScheme(earn=(
        PointsPerPurchase(id="december", points=1, when=During(start=start)),)))
    assert Program.model_validate_json(program.model_dump_json()).explain() == program.explain()


def test_replay_orders_events_in_a_dst_fold_by_instant() -> None:
    """Replay applies events in true time order, also inside a repeated DST hour."""
    zone = ZoneInfo(NEW_YORK)
    bought = datetime(2025, 11, 2, 1, 50, fold=0, tzinfo=zone)  # 05:50 UTC
    redeemed = datetime(2025, 11, 2, 1, 10, fold=1, tzinfo=zone)  # 06:10 UTC, 20 min later
    events: list[Event] = [
        Purchase(id="P", member_id="m", at=bought, amount=Money("60.00", "EUR")),
        Purchase(id="Q", member_id="m", at=bought, amount=Money("60.00", "EUR")),
        Redemption(id="R", member_id="m", at=redeemed, reward_id="voucher-10"),
    ]
    program = Program(name="x", currency="EUR", points=PointScheme(
        earn=(PointsPerPurchase(id="p", points=5),),
        rewards=(Reward(id="voucher-10", name="v", points=10, value=Money("10", "EUR")),)))
    folded, _, applied = fold(program, events)
    assert len(applied) == 3
    assert program.replay(events).states["m"] == folded["m"]


def test_decision_does_not_depend_on_the_zone_of_at() -> None:
    """The same instant, written in UTC or in the program's zone, gets the same decision."""
    zone = ZoneInfo(NEW_YORK)
    program = Program(name="x", currency="EUR", timezone=NEW_YORK, points=PointScheme(
        earn=(PointsPerPurchase(id="p", points=10),),
        rewards=(Reward(id="v", name="v", points=10, value=Money("10", "EUR")),),
        expiry=FixedLifetime(days=1)))
    earned = datetime(2025, 11, 1, 1, 50, tzinfo=zone)  # expires 2025-11-02 01:50 EDT = 05:50Z
    state = program.apply(None, Purchase(id="P", member_id="m", at=earned,
                                         amount=Money("60", "EUR"))).state
    local = datetime(2025, 11, 2, 1, 10, fold=1, tzinfo=zone)  # 06:10Z: after the expiry
    outcomes = []
    for at in (local, local.astimezone(UTC)):
        try:
            program.apply(state, Redemption(id="R", member_id="m", at=at, reward_id="v"))
            outcomes.append("redeemed")
        except InsufficientPoints:
            outcomes.append("refused")
    assert outcomes == ["refused", "refused"]


def test_during_accepts_a_window_across_a_dst_fold() -> None:
    """``During`` accepts an end that is later in time, though earlier on the wall clock."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 25, 2, 50, fold=0, tzinfo=zone)  # 00:50 UTC
    end = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=zone)  # 01:10 UTC
    window = During(start=start, end=end)
    assert window.end is not None
    assert window.end.timestamp() == end.timestamp()


def test_pending_release_does_not_depend_on_the_zone_of_at() -> None:
    """Writing a purchase's ``at`` in another zone does not move its release time."""
    program = Program(name="x", currency="EUR", timezone="Europe/Berlin", points=PointScheme(
        earn=(PointsPerPurchase(id="p", points=1),), pending_days=7))
    at = datetime(2026, 3, 25, 12, tzinfo=ZoneInfo("Europe/Berlin"))  # DST starts 29 March
    released = set()
    for written in (at, at.astimezone(UTC), at.astimezone(ZoneInfo("Asia/Kolkata"))):
        state = program.apply(None, Purchase(id="P", member_id="m", at=written,
                                             amount=Money("60", "EUR"))).state
        release = state.lots[0].available_at
        assert release is not None
        released.add(release.astimezone(UTC))
    assert len(released) == 1


def test_replay_skip_drops_housekeeping_of_refused_event() -> None:
    """A refused last event leaves the member's replayed state as the fold of apply has it."""
    program = Program(name="x", currency="EUR", points=PointScheme(
        earn=(PointsPerPurchase(id="p", points=1),),
        rewards=(Reward(id="v", name="v", points=1, value=Money("1", "EUR")),),
        expiry=FixedLifetime(days=1)))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[Event] = [
        Purchase(id="P", member_id="m", at=at, amount=Money("10", "EUR")),
        Redemption(id="R", member_id="m", at=at + timedelta(days=2), reward_id="v"),
    ]
    folded, _, applied = fold(program, events)
    assert [e.id for e in applied] == ["P"]  # the redemption comes after the points expired
    assert program.replay(events, errors="skip").states["m"] == folded["m"]


def test_rule_ids_with_a_slash_are_refused() -> None:
    """Lot ids are ``<event id>/<rule id>``: a rule id with ``/`` could make two orders' lots
    share an id (order ``a`` + rule ``b/c`` and order ``a/b`` + rule ``c``), so it is refused
    with a message that says why and what to use instead."""
    with pytest.raises(InvalidProgram, match=r"cannot be empty or contain '/'"):
        PointsPerPurchase(id="b/c", points=1)
    with pytest.raises(InvalidProgram, match=r"contain '/' or spaces"):
        Reward(id="ten euro", name="voucher", points=10, value=Money("10", "EUR"))
