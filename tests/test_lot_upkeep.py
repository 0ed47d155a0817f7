"""Point-lot upkeep stays exact while it stops walking every lot (issue 12, replay speed).

``Member.drop_empty_lots`` keeps the lots after the leading ones that ran out without
looking at each when those are all that ran out, and marks every dropped lot, so that the
due heap tells a dropped lot from a kept one in O(1) instead of searching ``m.lots``. The
oracle is the engine as it was: a filter over every lot, and a search for liveness. Random
sequences of adds, takes, drops and due-time runs on two members, one of each, must leave
the same lots, balances and due times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from heapq import heappop
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity._engine import (
    DUE_EXPIRY,
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_REMAINING,
    Member,
    lots_due,
    lots_due_until,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class OldMember(Member):
    """The engine before: every lot filtered on a drop."""

    def drop_empty_lots(self) -> None:
        if self.empty_lots:
            self.lots = [lot for lot in self.lots if lot[L_REMAINING]]
            self.empty_lots = 0


def _old_live(m: Member, lot: list[Any]) -> bool:
    return bool(lot[L_REMAINING]) or any(other is lot for other in m.lots)


def old_lots_due(m: Member) -> datetime | None:
    heap = m.lot_due
    while heap:
        when, kind, _, _, lot = heap[0]
        if (kind == DUE_EXPIRY or lot[L_PENDING]) and _old_live(m, lot):
            return when
        heappop(heap)
    return None


def old_lots_due_until(m: Member, until: datetime) -> list[tuple[datetime, int, list[Any]]]:
    heap = m.lot_due
    due = []
    while heap and heap[0][0] <= until:
        when, kind, _, _, lot = heappop(heap)
        if (kind == DUE_EXPIRY or lot[L_PENDING]) and _old_live(m, lot):
            due.append((when, kind, lot))
    return due


def _view(m: Member) -> tuple[Any, ...]:
    lots = tuple((lot[L_ID], lot[L_AT], lot[L_REMAINING], bool(lot[L_PENDING]),
                  lot[L_AVAILABLE_AT], lot[L_EXPIRES]) for lot in m.lots)
    return lots, m.available, m.pending, m.pooled


def _due_view(due: list[tuple[datetime, int, list[Any]]]) -> list[tuple[Any, ...]]:
    return [(when, kind, lot[L_ID]) for when, kind, lot in due]


_HOURS = st.integers(0, 24 * 200)
_OPS = st.lists(st.one_of(
    st.tuples(st.just("add"), _HOURS, st.integers(0, 20), st.booleans(),
              st.none() | st.integers(1, 24 * 30), st.none() | st.integers(1, 24 * 200)),
    st.tuples(st.just("take"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("newest"), st.integers(0, 30)),
    st.tuples(st.just("lot"), st.integers(0, 40), st.integers(0, 20)),
    st.tuples(st.just("due"), _HOURS),
    st.tuples(st.just("next"),),
), max_size=60)


@settings(max_examples=300, deadline=None, database=None)
@given(ops=_OPS)
def test_lot_upkeep_equals_walking_every_lot(ops: list[tuple[Any, ...]]) -> None:
    new, old = Member("m-1", "EUR"), OldMember("m-1", "EUR")
    added = 0
    for op in ops:
        if op[0] == "add":
            _, hours, points, pending, release, expiry = op
            at = T0 + timedelta(hours=hours)
            available_at = None if not pending or release is None else (
                at + timedelta(hours=release))
            expires_at = None if expiry is None else at + timedelta(hours=expiry)
            added += 1
            for m in (new, old):  # a lot, in L_* order
                m.add_lot([f"L{added:03d}", "r", f"E{added}", at, points, points, pending,
                           available_at, expires_at])
        elif op[0] == "take":
            for m in (new, old):
                points = min(op[1], m.available - m.pooled)
                m.take_available(points, newest_first=op[2])
        elif op[0] == "newest":
            for m in (new, old):
                m.take_newest(op[1])
        elif op[0] == "lot":  # one lot's points, as an expiry or a claw-back takes them
            if new.lots:
                index = op[1] % len(new.lots)
                for m in (new, old):
                    lot = m.lots[index]
                    m.take_from_lot(lot, min(op[2], lot[L_REMAINING]))
                    m.drop_empty_lots()
        elif op[0] == "due":
            until = T0 + timedelta(hours=op[1])
            got, want = lots_due_until(new, until), old_lots_due_until(old, until)
            assert _due_view(got) == _due_view(want)
            for m, due in ((new, got), (old, want)):  # expire what is due, as the stage does
                for _, kind, lot in due:
                    if kind == DUE_EXPIRY and lot[L_REMAINING]:
                        m.take_from_lot(lot, lot[L_REMAINING])
                    elif kind != DUE_EXPIRY:
                        m.pending -= lot[L_REMAINING]
                        m.available += lot[L_REMAINING]
                        lot[L_PENDING] = False
                m.drop_empty_lots()
        else:
            assert lots_due(new) == old_lots_due(old)
        assert _view(new) == _view(old)
        assert new.empty_lots == old.empty_lots
    assert lots_due(new) == old_lots_due(old)


def test_a_dropped_lot_is_not_due_and_a_kept_empty_one_is() -> None:
    """A lot that ran out stays due until it is dropped (as the walk finds it), then not."""
    m = Member("m-1", "EUR")
    first = ["L1", "r", "E1", T0, 5, 5, False, None, T0 + timedelta(days=30)]
    second = ["L2", "r", "E2", T0 + timedelta(days=1), 5, 5, False, None,
              T0 + timedelta(days=60)]
    m.add_lot(first)
    m.add_lot(second)
    m.take_from_lot(first, 5)
    assert lots_due(m) == T0 + timedelta(days=30)  # ran out, not dropped yet
    m.drop_empty_lots()
    assert m.lots == [second]
    assert lots_due(m) == T0 + timedelta(days=60)


def test_lots_that_run_out_out_of_order_are_all_dropped() -> None:
    """The newest lot running out (a claw-back) is dropped by the filter, not the prefix."""
    m = Member("m-1", "EUR")
    lots = [[f"L{i}", "r", f"E{i}", T0 + timedelta(days=i), 3, 3, False, None, None]
            for i in range(4)]
    for lot in lots:
        m.add_lot(lot)
    m.take_newest(3)
    assert [lot[L_ID] for lot in m.lots] == ["L0", "L1", "L2"]
    m.take_available(6)
    assert [lot[L_ID] for lot in m.lots] == ["L2"]
    assert m.available == 3
    assert m.empty_lots == 0
