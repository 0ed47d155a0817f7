"""A state made by ``apply`` or ``advance`` keeps its hot gift history; the next thaw shares
its grants, copy on write (``gifts.frozen.thaw_kept_grants``, ``Hot.shared``, ``Hot.own``).
It keeps its lot models by id too (``HotForm.lot_models``), shared by the next thaw.

On random streams of programs with order gifts that a return revokes or charges back (and
every other family), with short history windows and states read back from JSON every few
steps: each decision equals the one made on the state's JSON copy and a second apply of the
same event to the same state; the kept history's grants are never changed by an apply of the
state that kept them (a revocation changes a private copy); a thaw that shares the grants
makes the gift part a thaw of the models makes, and freezes to the same history (the very
one when nothing changed); the kept
lot models by id are the state's lots, each its very model, and no apply changes them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _load import load_file
from reciprocity import History, MemberState, Money, Program, ReciprocityError, Return
from reciprocity._frozen import HotForm, hot_form
from reciprocity.gifts.frozen import freeze_history, thaw_grants, thaw_kept_grants
from reciprocity.gifts.hot import Grant, Hot
from reciprocity.gifts.stage import CompiledGifts
from reciprocity.testing import full_programs, member_streams

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_state.py"
PROPERTY = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fresh(state: MemberState) -> MemberState:
    """The same state read from its JSON: no hot form kept."""
    return MemberState.model_validate_json(state.model_dump_json())


def revoking(program: Program, how: str) -> Program:
    """``program`` with every order gift revoked (or charged back) on a return."""
    data = program.model_dump()
    gifts = data.get("gifts")
    if gifts:
        for rule in gifts["rules"]:
            if "on_return" in rule:
                rule["on_return"] = how
    return Program.model_validate(data)


@st.composite
def streams(draw: st.DrawFn) -> tuple[Program, list[Any], int]:
    base = draw(full_programs(tiers=True, gifts=True, goodwill=True))
    program = revoking(base, draw(st.sampled_from(["revoke", "charge_back"])))
    history = History(return_days=draw(st.integers(0, 30)),
                      event_days=draw(st.integers(1, 30)))
    program = Program.model_validate({**program.model_dump(), "history": history.model_dump()})
    kinds = draw(st.sampled_from([None, ("purchase", "return"),
                                  ("purchase", "return", "complaint", "signup")]))
    events = draw(member_streams(program=base, kinds=kinds, max_size=25))
    for i in draw(st.lists(st.integers(0, 30), max_size=5)):
        if i + 1 < len(events):
            events[i], events[i + 1] = events[i + 1], events[i]
    return program, events, draw(st.integers(2, 5))


def gifts_stage(program: Program) -> tuple[int, CompiledGifts] | None:
    for index, stage in enumerate(program._pipeline.stages):
        if isinstance(stage, CompiledGifts):
            return index, stage
    return None


def kept_history(program: Program, state: MemberState) -> Hot | None:
    """The hot gift history ``state`` keeps for its next thaw, if any."""
    found = gifts_stage(program)
    hot = hot_form(state)
    if found is None or type(hot) is not HotForm or not hot.stages:
        return None
    kept: Hot | None = hot.stages.get(found[0])
    return kept


def grant_slots(g: Grant) -> tuple[object, ...]:
    return tuple(getattr(g, name) for name in Grant.__slots__)


def gift_part(h: Hot | None) -> tuple[object, ...] | None:
    if h is None:
        return None
    return ([grant_slots(g) for g in h.grants], h.occurrences, h.due, h.spells,
            h.birthday_seen, h.birthday_changed_at, h.last_order, h.counters, h.categories)


def kept_lot_models(state: MemberState) -> dict[str, Any] | None:
    """The lot models by id ``state`` keeps for its next thaw, checked: its very lots."""
    hot = hot_form(state)
    if type(hot) is not HotForm or hot.lots is None:
        return None
    models = hot.lot_models
    assert models is not None
    assert list(models) == [lot.id for lot in state.lots]
    assert all(models[lot.id] is lot for lot in state.lots)
    return models


def check_shared_thaw(program: Program, state: MemberState) -> None:
    """A thaw sharing the kept grants makes what a thaw of the models makes, and both
    freeze to the state's very history (models reused, none rebuilt)."""
    kept = kept_history(program, state)
    saved = state.gifts
    if kept is None or saved is None:
        return
    shared = thaw_kept_grants(saved, kept)
    assert shared is not None  # a state keeps the history it was frozen from
    plain = thaw_grants(saved)
    assert [grant_slots(g) for g in shared.grants] == [grant_slots(g) for g in plain.grants]
    assert shared.occurrences == plain.occurrences
    assert shared.shared == bool(saved.grants)
    for h in (shared, plain):
        h.due, h.spells = dict(saved.due), dict(saved.spells)
        h.birthday_seen, h.birthday_changed_at = saved.birthday_seen, saved.birthday_changed_at
        made = freeze_history(h, program.currency)
        assert made.model_dump_json() == saved.model_dump_json()
        assert all(a is b for a, b in zip(made.grants, saved.grants, strict=True))
        # nothing changed: a shared thaw's freeze is the very history, a plain one's is not
        assert (made is saved) == (h is shared)
    m = program._pipeline.thaw(state)
    assert gift_part(m.gifts) == gift_part(program._pipeline.thaw(fresh(state)).gifts)


@PROPERTY
@given(streams())
def test_shared_grants_decide_as_the_json_copy_and_stay_unchanged(
        case: tuple[Program, list[Any], int]) -> None:
    program, events, every = case
    state: MemberState | None = None
    shared = None
    for step, event in enumerate(events):
        kept = None if state is None else kept_history(program, state)
        before = None if kept is None else (list(kept.grants),
                                            [grant_slots(g) for g in kept.grants])
        models = None if state is None else kept_lot_models(state)
        lot_models = None if models is None else dict(models)
        try:
            decision = program.apply(state, event, shared=shared)
        except ReciprocityError:
            continue
        if state is not None:
            if kept is not None and before is not None:  # the kept grants: not changed
                assert kept_history(program, state) is kept
                assert list(kept.grants) == before[0]
                assert [grant_slots(g) for g in kept.grants] == before[1]
            if models is not None:  # nor the kept lot models
                assert kept_lot_models(state) is models
                assert models == lot_models
            again = program.apply(state, event, shared=shared)
            assert again.model_dump_json() == decision.model_dump_json()
            copy = program.apply(fresh(state), event, shared=shared)
            assert copy.model_dump_json() == decision.model_dump_json()
        state, shared = decision.state, decision.shared
        kept_lot_models(state)
        check_shared_thaw(program, state)
        if state.as_of is not None:
            until = state.as_of + timedelta(days=200)
            a = program.advance(state, until, shared=shared)
            b = program.advance(fresh(state), until, shared=shared)
            assert a.model_dump_json() == b.model_dump_json()
            check_shared_thaw(program, a.state)
        if step % every == every - 1:
            state = fresh(state)


def test_a_return_revokes_a_private_copy_of_a_shared_grant() -> None:
    """The four-family member of ``bench_state.py``: a return of an order over 100.00 EUR
    revokes its tea sample, twice from the same state; the state's kept grants and its
    history stay as they were, and both decisions equal the one on the JSON copy."""
    bench = load_file(BENCH, keep=False)
    program = revoking(bench.four_family_program(), "revoke")
    built = bench.build_member(program, 100, seed=2026)
    state, new, shared = built.state, built.new, built.shared
    assert state.gifts is not None
    tea = next(g for g in state.gifts.grants if g.rule_id == "over-100")
    kept = kept_history(program, state)
    assert kept is not None
    slots = [grant_slots(g) for g in kept.grants]
    bought = next(r for r in state.purchases if r.id == tea.source_event_id)
    back = Return(id="R-1", member_id=state.member_id, at=new.at,
                  purchase_id=bought.id, amount=Money(bought.amount, "EUR"))
    first = program.apply(state, back, shared=shared)
    second = program.apply(state, back, shared=shared)
    third = program.apply(fresh(state), back, shared=shared)
    assert first.model_dump_json() == second.model_dump_json() == third.model_dump_json()
    assert any(e.type == "gift_revoked" for e in first.effects)
    assert [grant_slots(g) for g in kept.grants] == slots
    after = first.state.gifts
    assert after is not None
    assert next(g for g in after.grants if g.id == tea.id).revoked
    assert not next(g for g in state.gifts.grants if g.id == tea.id).revoked
    check_shared_thaw(program, first.state)
    # the next purchase on the state made by the return shares its (private) grants again
    later = program.apply(first.state, new, shared=first.shared)
    assert later.model_dump_json() == program.apply(
        fresh(first.state), new, shared=first.shared).model_dump_json()
