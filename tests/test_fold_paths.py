"""Folding in O(orders folded) (issue 12, replay speed) decides and keeps what it did before.

The tier ladder's ``fold_orders`` adds a plain spend ladder's totals inline and finds a
folded order's period from the one last looked at; the gifts' ``fold_grants`` decides each
grant with the rule's limit worked out once per fold and skips the leading grants kept for
ever (``Hot.kept_head``). The oracles are the functions as they were: ``c.key`` and
``c.add`` per order, and ``Hot.fold`` with a ``keep`` test per grant from the first grant
on. On random programs of every family with history windows, and random streams over
years, a replay's effects, states and refusals are the same, and so are an ``apply`` per
event and an ``advance`` far past the stream.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reciprocity.gifts.stage as gift_stage
import reciprocity.tiers.stage as tier_stage
from reciprocity import (
    CalendarYear,
    History,
    Lifetime,
    MembershipYear,
    MemberState,
    MonthsFromQualifying,
    NoExpiry,
    Program,
    ReciprocityError,
    RestOfPeriodAndNext,
    UntilEndOfMonth,
)
from reciprocity._engine import P_AT, Member
from reciprocity.gifts.folding import fold_grants
from reciprocity.gifts.hot import Grant, Hot
from reciprocity.testing import full_programs, shop_streams
from reciprocity.tiers.folding import _ROLLING, _id, _stale, fold_orders


def old_fold_orders(c: Any, m: Member, gone: list[tuple[str, list[Any]]],
                    cutoff: datetime) -> None:
    """The tier fold as it was: ``c.key`` and ``c.add`` per order, sets of ids."""
    h = m.tier
    if h is None or c.kind == _ROLLING:
        return
    folded = h.folded
    bounds = h.bounds
    drop: set[str] = set()
    changed: set[str] = set()
    new = False
    for pid, record in gone:
        at = record[P_AT]
        key = c.key(h, at)
        fid = _id(key)
        slot = folded.get(fid)
        if slot is None:
            slot = folded[fid] = [at, c.zero(), key]
            new = True
        elif at > slot[0]:
            slot[0] = at
        c.add(slot[1], record)
        drop.add(pid)
        changed.add(fid)
    if new:
        for fid in _stale(c, h, cutoff):
            del folded[fid]
            changed.discard(fid)
            drop.add(fid)
    h.bounds = bounds
    drop |= changed
    order = h.order
    cut = bisect_left(order, (cutoff,))
    head = [entry for entry in order[:cut] if entry[1] not in drop]
    head.extend((folded[fid][0], fid) for fid in changed)
    head.sort()
    order[:cut] = head


def old_fold_grants(held: dict[str, timedelta | None], shortest: timedelta | None,
                    m: Member) -> None:
    """The gift fold as it was: ``Hot.fold`` with a ``keep`` test, from the first grant."""
    h: Hot | None = m.gifts
    if h is None or not h.grants or m.folded is None or shortest is None:
        return
    through: datetime = m.folded[3]
    purchases = m.purchases

    def keep(g: Grant) -> bool:
        span = held.get(g.rule_id)
        return (span is None or g.at >= through - span
                or (g.source is not None and g.source in purchases))

    h.fold(through - shortest, keep)


def checked_fold_grants(held: dict[str, timedelta | None], shortest: timedelta | None,
                        m: Member) -> None:
    """``fold_grants``, then: the kept head is grants kept for ever, all looked at."""
    fold_grants(held, shortest, m)
    h: Hot | None = m.gifts
    if h is None or m.folded is None or shortest is None:
        return
    before = m.folded[3] - shortest
    assert all(held.get(g.rule_id) is None and g.at < before
               for g in h.grants[:h.kept_head])


@contextmanager
def folds(tiers: Any, gifts: Any) -> Iterator[None]:
    kept = tier_stage.fold_orders, gift_stage.fold_grants
    tier_stage.fold_orders, gift_stage.fold_grants = tiers, gifts
    try:
        yield
    finally:
        tier_stage.fold_orders, gift_stage.fold_grants = kept


@st.composite
def cases(draw: st.DrawFn) -> tuple[Program, list[Any], datetime]:
    base = draw(full_programs(shared=draw(st.booleans())))
    if base.tiers is not None and draw(st.booleans()):
        period = draw(st.sampled_from([CalendarYear(), MembershipYear(), Lifetime()]))
        validities: list[Any] = [MonthsFromQualifying(months=2), NoExpiry()]
        if not isinstance(period, Lifetime):
            validities.append(RestOfPeriodAndNext())
        if isinstance(period, CalendarYear):
            validities.append(UntilEndOfMonth(month=3))
        tiers = base.tiers.model_dump()
        tiers.update(period=period.model_dump(),
                     validity=draw(st.sampled_from(validities)).model_dump())
        base = Program.model_validate({**base.model_dump(), "tiers": tiers})
    history = History(return_days=draw(st.integers(0, 30)),
                      complaint_days=draw(st.none() | st.integers(0, 30)),
                      event_days=draw(st.integers(1, 20)))
    program = Program.model_validate({**base.model_dump(), "history": history.model_dump()})
    events = draw(shop_streams(2, program=program, max_events_per_member=30,
                               start=datetime(2021, 1, 1, tzinfo=UTC),
                               end=datetime(2025, 1, 1, tzinfo=UTC)))
    return program, events, datetime(2026, 6, 1, tzinfo=UTC)


def outcome(program: Program, events: list[Any], until: datetime) -> dict[str, Any]:
    replay = program.replay(events, errors="skip", until=until, keep_effects=True)
    states: dict[str, MemberState] = {}
    shared = None
    applied: list[Any] = []
    for event in events:
        try:
            decision = program.apply(states.get(event.member_id), event, shared=shared)
        except ReciprocityError as exc:
            applied.append((event.id, type(exc), str(exc)))
            continue
        states[event.member_id], shared = decision.state, decision.shared
        applied.append(decision.effects)
    for mid, state in states.items():
        decision = program.advance(state, until, shared=shared)
        states[mid], shared = decision.state, decision.shared
        applied.append(decision.effects)
    return {
        "effects": list(replay.effects()),
        "states": {mid: s.model_dump_json() for mid, s in replay.states.items()},
        "rejected": [(eid, type(error), str(error)) for eid, error in replay.rejected],
        "applied": applied,
        "advanced": {mid: s.model_dump_json() for mid, s in states.items()},
    }


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_folds_decide_and_keep_as_before(case: tuple[Program, list[Any], datetime]) -> None:
    """The same effects, states (as JSON) and refusals, replayed and applied one by one."""
    program, events, until = case
    with folds(old_fold_orders, old_fold_grants):
        expected = outcome(program, events, until)
    with folds(fold_orders, checked_fold_grants):
        assert outcome(program, events, until) == expected
