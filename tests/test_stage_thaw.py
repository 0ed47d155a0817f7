"""The general way's thaw and freeze made cheaper, each against its plain form.

- A state made by ``apply`` or ``advance`` keeps its member's lot lists beside its lot models
  (``_frozen.HotForm.lots``): the next thaw copies them (``_frozen_lots.thaw_kept_lots``)
  instead of reading every model, and makes what a thaw of the models makes.
- The tier ladder counts its running totals with the period test and a plain ladder's sums
  inline (``tiers.folding.thaw_totals``): what ``key`` and ``add_entry`` per entry made.
- The gift stage thaws grants with their slots set directly (``gifts.frozen.thaw_grants``)
  and freezes with ``_trusted.built`` (``gifts.frozen.freeze_history``); the tier stage's
  freeze too: the same models as ``model_construct``'s.

On random streams of every program of ``reciprocity.testing`` with short history windows
(orders fold, ids are forgotten, orders and returns arrive late), with states read back from
JSON every few steps: every decision equals the one made on the state's JSON copy, every
state thaws to the same member either way, and no apply changes its input state.
"""

from __future__ import annotations

import heapq
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _load import load_file
from reciprocity import History, MemberState, Program, ReciprocityError
from reciprocity._engine import Member
from reciprocity._frozen import HotForm, hot_form
from reciprocity.gifts.frozen import freeze_history, thaw_grants
from reciprocity.gifts.hot import Grant, Hot
from reciprocity.gifts.stage import CompiledGifts
from reciprocity.shared import BudgetUse, SharedState
from reciprocity.state import FoldedTierPeriod, GiftGrant, GiftHistory, TierStatus
from reciprocity.testing import full_programs, member_streams
from reciprocity.tiers.periods import _Hot
from reciprocity.tiers.report import _ROLLING
from reciprocity.tiers.stage import CompiledTiers

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_state.py"
PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fresh(state: MemberState) -> MemberState:
    """The same state read from its JSON: no hot form kept."""
    return MemberState.model_validate_json(state.model_dump_json())


@st.composite
def streams(draw: st.DrawFn) -> tuple[Program, list[Any], int]:
    """A program with every family drawn (tiers, gifts and goodwill always), short history
    windows (orders fold, ids are forgotten), a stream of its events with a few neighbours
    swapped (late orders and returns), and how often a state is read back from JSON."""
    base = draw(full_programs(tiers=True, gifts=True, goodwill=True))
    history = History(return_days=draw(st.integers(0, 30)),
                      event_days=draw(st.integers(1, 30)))
    program = Program.model_validate({**base.model_dump(), "history": history.model_dump()})
    events = draw(member_streams(program=base, max_size=25))
    for i in draw(st.lists(st.integers(0, 30), max_size=5)):
        if i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
    return program, events, draw(st.integers(2, 5))


def due_order(m: Member) -> list[tuple[object, ...]]:
    """Every entry of the due heap in the order it is popped (without the lot itself)."""
    heap = list(m.lot_due)
    return [entry[:4] for entry in (heapq.heappop(heap) for _ in range(len(heap)))]


def tier_part(h: _Hot | None) -> tuple[object, ...] | None:
    if h is None:
        return None
    return (h.index, h.since, h.valid_until, h.grace_until, h.anchor, h.anchor_date, h.order,
            h.folded, h.acc, h.window, h.left)


def gift_part(h: Hot | None) -> tuple[object, ...] | None:
    if h is None:
        return None
    return ([grant_slots(g) for g in h.grants], h.occurrences, h.due, h.spells,
            h.birthday_seen, h.birthday_changed_at, h.last_order, h.counters, h.categories)


def grant_slots(g: Grant) -> tuple[object, ...]:
    return tuple(getattr(g, name) for name in Grant.__slots__)


def same_member(a: Member, b: Member) -> None:
    """``a`` and ``b`` thawed alike: lots, due order, counts, lot models, tier and gifts."""
    assert a.lots == b.lots
    assert due_order(a) == due_order(b)
    assert (a.available, a.pending, a.empty_lots, a.next_due) == (
        b.available, b.pending, b.empty_lots, b.next_due)
    assert a.lot_models == b.lot_models
    assert tier_part(a.tier) == tier_part(b.tier)
    assert gift_part(a.gifts) == gift_part(b.gifts)


def stage_of(program: Program, kind: type[Any]) -> Any:
    return next((s for s in program._pipeline.stages if isinstance(s, kind)), None)


def plain_tier_totals(stage: CompiledTiers, m: Member, h: _Hot) -> dict[int, list[Any]]:
    """The running totals as the thaw counted them before ``thaw_totals``: one ``key`` and
    one ``add_entry`` per entry of ``h.order``."""
    acc: dict[int, list[Any]] = {}
    for at, pid in h.order:
        key = stage.key(h, at)
        metrics = acc.get(key)
        if metrics is None:
            metrics = acc[key] = stage.zero()
        stage.add_entry(metrics, m, pid)
    return acc


def plain_grants(saved: GiftHistory) -> Hot:
    """The grants as the gift stage thawed them before ``thaw_grants``."""
    h = Hot()
    for g in saved.grants:
        grant = Grant(g.rule_id, g.gift_id, g.name, g.kind, g.value.amount, g.at,
                      g.occurrence, g.source_event_id, g.valid_until)
        grant.id = g.id
        grant.revoked_at = g.revoked_at if g.revoked else None
        if g.revoked and grant.revoked_at is None:
            grant.revoked_at = g.at
        grant.charged_back = g.charged_back
        grant.frozen = g
        h.add(grant)
    return h


def same_model(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    assert list(a.__dict__.items()) == list(b.__dict__.items())
    assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
    assert a.__pydantic_extra__ == b.__pydantic_extra__
    assert a.__pydantic_private__ == b.__pydantic_private__
    assert a.model_dump_json() == b.model_dump_json()


def check_parts(program: Program, state: MemberState) -> None:
    """The state's cheaper thaw and freeze parts against their plain forms."""
    tiers = stage_of(program, CompiledTiers)
    gifts = stage_of(program, CompiledGifts)
    m = program._pipeline.thaw(state)
    if tiers is not None and m.tier is not None and tiers.kind != _ROLLING:
        h = m.tier
        h.bounds = None
        assert plain_tier_totals(tiers, m, h) == h.acc
        frozen = tiers.freeze(m)["tier"]
        assert frozen is not None
        same_model(frozen, TierStatus.model_construct(**dict(frozen.__dict__)))
        for period in frozen.folded:
            same_model(period, FoldedTierPeriod.model_construct(**dict(period.__dict__)))
    if gifts is not None and state.gifts is not None:
        saved = state.gifts
        assert gift_part(thaw_grants(saved))[:2] == gift_part(plain_grants(saved))[:2]  # type: ignore[index]
        h = plain_grants(saved)
        h.due, h.spells = dict(saved.due), dict(saved.spells)
        h.birthday_seen, h.birthday_changed_at = saved.birthday_seen, saved.birthday_changed_at
        for g in h.grants:
            g.frozen = None  # every grant frozen anew
        made = freeze_history(h, program.currency)
        same_model(made, GiftHistory.model_construct(
            grants=tuple(GiftGrant.model_construct(**dict(g.__dict__)) for g in made.grants),
            due=dict(sorted(saved.due.items())), spells=dict(sorted(saved.spells.items())),
            birthday_seen=saved.birthday_seen, birthday_changed_at=saved.birthday_changed_at))
        for ours, theirs in zip(made.grants, saved.grants, strict=True):
            same_model(ours, theirs)


@PROPERTY
@given(streams())
def test_kept_parts_thaw_and_decide_as_the_json_copy(
        case: tuple[Program, list[Any], int]) -> None:
    """Along a chain of applies (every ``every``-th state read back from JSON), each state
    thaws to the same member as its JSON copy (lots, due heap, counts, lot models, tier and
    gift parts), its next event and an advance decide alike on both, the apply leaves its
    input state as it was, and the cheaper parts equal their plain forms."""
    program, events, every = case
    state: MemberState | None = None
    shared = None
    pipeline = program._pipeline
    for step, event in enumerate(events):
        before = None if state is None else state.model_dump_json()
        kept = None if state is None else hot_form(state)
        lists = (None if type(kept) is not HotForm or kept.lots is None
                 else [list(lot) for lot in kept.lots[1]])
        try:
            decision = program.apply(state, event, shared=shared)
        except ReciprocityError as exc:
            refused = type(exc)
            if state is not None:
                assert state.model_dump_json() == before  # a refusal changes nothing
                with pytest.raises(refused):  # and its JSON copy is refused alike
                    program.apply(fresh(state), event, shared=shared)
                assert hot_form(state) is kept
                same_member(pipeline.thaw(state), pipeline.thaw(fresh(state)))
                if lists is not None:
                    assert type(kept) is HotForm
                    assert kept.lots is not None
                    assert [list(lot) for lot in kept.lots[1]] == lists
            continue
        if state is not None:
            assert state.model_dump_json() == before  # the input state is never changed
            assert hot_form(state) is kept  # nor its kept hot form, nor the lots in it
            same_member(pipeline.thaw(state), pipeline.thaw(fresh(state)))
            if lists is not None:
                assert type(kept) is HotForm
                assert kept.lots is not None
                assert [list(lot) for lot in kept.lots[1]] == lists
            again = program.apply(fresh(state), event, shared=shared)
            assert again.model_dump_json() == decision.model_dump_json()
        state, shared = decision.state, decision.shared
        same_member(pipeline.thaw(state), pipeline.thaw(fresh(state)))
        check_parts(program, state)
        if shared is not None:  # budget uses reused while unchanged: model_construct's
            same_model(shared, SharedState.model_construct(
                currency=shared.currency, stock_used=dict(shared.stock_used),
                budgets={key: BudgetUse.model_construct(count=use.count, amount=use.amount)
                         for key, use in shared.budgets.items()},
                metrics={key: dict(values) for key, values in shared.metrics.items()}))
            for use in shared.budgets.values():
                same_model(use, BudgetUse.model_construct(count=use.count, amount=use.amount))
        if state.as_of is not None:
            until = state.as_of + timedelta(days=200)
            a = program.advance(state, until, shared=shared)
            b = program.advance(fresh(state), until, shared=shared)
            assert a.model_dump_json() == b.model_dump_json()
            same_member(pipeline.thaw(a.state), pipeline.thaw(fresh(a.state)))
        if step % every == every - 1:
            state = fresh(state)


def test_a_kept_tier_part_with_every_period_dropped_counts_nothing() -> None:
    """Found by the property above: three orders of 0.00 on New Year's Eve 2024 (New York
    time), then a redemption in January 2026. Every order folded and the 2024 period was
    dropped, so a thaw of the state's JSON counts no period; the kept tier part still held
    2024's running totals (``thaw_kept`` pruned them only while an entry was left)."""
    from datetime import UTC, datetime

    from reciprocity import (
        CalendarYear,
        Cap,
        FirstOrderGift,
        Gift,
        GiftScheme,
        GoodwillPolicy,
        GoodwillRule,
        MinSpend,
        Money,
        MonthsFromQualifying,
        PointsAsCurrency,
        PointScheme,
        PointsCompensation,
        PointsPerPurchase,
        Purchase,
        Redemption,
        Tier,
        TierLadder,
    )

    def eur(amount: str) -> Money:
        return Money(amount, "EUR")

    program = Program(
        name="Test program", currency="EUR", timezone="America/New_York",
        points=PointScheme(earn=(PointsPerPurchase(id="earn-1", points=1),),
                           rewards=(PointsAsCurrency(id="pay-1", name="points payment",
                                                     point_value=eur("0.01")),)),
        tiers=TierLadder(tiers=(Tier(id="bronze", name="Bronze",
                                     requires=MinSpend(amount=eur("1.00"))),),
                         period=CalendarYear(), validity=MonthsFromQualifying(months=1)),
        gifts=GiftScheme(rules=(FirstOrderGift(
            id="first", tiers=("bronze",), cap=Cap(amount=eur("1.00"), per="day"),
            gift=Gift(id="first", name="first gift", kind="sample", value=eur("0.00"))),)),
        goodwill=GoodwillPolicy(rules=(GoodwillRule(
            id="goodwill-1", compensation=PointsCompensation(points=1),
            categories=("late_delivery",), tiers=("bronze",), approval=True),),
            return_window_days=0),
        history=History(return_days=0, event_days=1))
    at = datetime(2025, 1, 1, tzinfo=UTC)
    events: list[Any] = [Purchase(id=f"P-{i}", member_id="m-1", at=at, amount=eur("0.00"))
                         for i in range(3)]
    events.append(Redemption(id="V-1", member_id="m-1", at=datetime(2026, 1, 3, 5, tzinfo=UTC),
                             reward_id="pay-1", points=1))
    test_kept_parts_thaw_and_decide_as_the_json_copy.hypothesis.inner_test(  # type: ignore[attr-defined]
        (program, events, 2))


def test_a_kept_lot_form_is_used_and_left_unchanged() -> None:
    """A state with lots made by ``apply`` keeps the lot lists it was frozen from; a thaw
    copies them: the step that follows changes its copies, never the kept lists."""
    bench = load_file(BENCH, keep=False)
    program = bench.four_family_program()
    built = bench.build_member(program, 12, seed=2026)
    state, new, shared = built.state, built.new, built.shared
    hot = hot_form(state)
    assert type(hot) is HotForm
    assert hot.lots is not None
    frozen, lists = hot.lots
    assert frozen is state.lots
    kept = [list(lot) for lot in lists]
    first = program.apply(state, new, shared=shared)
    second = program.apply(state, new, shared=shared)
    assert first.model_dump_json() == second.model_dump_json()
    assert [list(lot) for lot in lists] == kept
    same_member(program._pipeline.thaw(state), program._pipeline.thaw(fresh(state)))
    later = program.advance(first.state, new.at + timedelta(days=400))
    assert later.model_dump_json() == program.advance(
        fresh(first.state), new.at + timedelta(days=400)).model_dump_json()




def test_a_kept_tier_part_leaves_out_the_periods_folding_dropped() -> None:
    """Over four years of orders, folding drops the ladder's oldest periods (their totals
    stay in the running ones): the state of that apply keeps a tier part with them, and
    thaws without them, as its JSON copy does; both decide alike."""
    bench = load_file(BENCH, keep=False)
    program = bench.four_family_program()
    built = bench.build_member(program, 10, seed=7)
    state, shared = built.state, built.shared
    pipeline = program._pipeline
    dropped = 0
    for i in range(800):
        at = built.new.at + timedelta(days=2 * i)
        event = built.new.model_copy(update={"id": f"N-{i}", "at": at})
        decision = program.apply(state, event, shared=shared)
        state, shared = decision.state, decision.shared
        hot = hot_form(state)
        assert type(hot) is HotForm
        assert hot.stages
        kept = next(iter(hot.stages.values()))
        fresh_thaw = pipeline.thaw(fresh(state))
        if len(kept.acc) > len(fresh_thaw.tier.acc):  # a period's running totals, dropped
            dropped += 1
            same_member(pipeline.thaw(state), fresh_thaw)
            later = event.model_copy(update={"id": "LATER", "at": at + timedelta(days=1)})
            assert (program.apply(state, later, shared=shared).model_dump_json()
                    == program.apply(fresh(state), later, shared=shared).model_dump_json())
    assert dropped >= 3
