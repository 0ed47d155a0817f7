"""Two workers race on one member: compare-and-set on ``MemberState.revision``, reload, retry.

The "table" is a dict behind a lock, as a database row is behind ``UPDATE ... WHERE revision =
:old``. Whatever the interleaving, the end state equals applying the committed events one after
the other: no lost order, no double redemption.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Event,
    History,
    InsufficientPoints,
    MemberState,
    Money,
    Program,
    Purchase,
    Redemption,
    seed_program,
)

T0 = datetime(2026, 2, 2, 9, tzinfo=UTC)
PROGRAM = Program.model_validate({**seed_program().model_dump(),
                                  "history": History(return_days=30).model_dump()})


class Table:
    """One row per member: ``(revision, state JSON)``, and the order of committed events."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, str]] = {}
        self.committed: list[Event] = []
        self.conflicts = 0
        self._lock = threading.Lock()

    def load(self, member_id: str) -> MemberState | None:
        with self._lock:
            row = self.rows.get(member_id)
        return None if row is None else MemberState.model_validate_json(row[1])

    def compare_and_set(self, member_id: str, old: int | None, state: MemberState,
                        event: Event) -> bool:
        """``UPDATE members SET revision = :new, state = :json WHERE id = :id AND revision =
        :old`` (an ``INSERT`` for a new member): ``False`` when another worker wrote first."""
        with self._lock:
            row = self.rows.get(member_id)
            if (None if row is None else row[0]) != old:
                self.conflicts += 1
                return False
            self.rows[member_id] = (state.revision, state.model_dump_json())
            self.committed.append(event)
            return True


def handle(table: Table, event: Event, start: threading.Barrier | None = None) -> None:
    """The backend pattern: load, apply, compare-and-set; on a conflict reload and retry."""
    while True:
        state = table.load(event.member_id)
        if start is not None:
            start.wait()  # both workers have read the same revision
            start = None
        try:
            decision = PROGRAM.apply(state, event)
        except InsufficientPoints:
            return  # refused: nothing to write
        if decision.state is state:
            return  # a duplicate: nothing changed
        if table.compare_and_set(event.member_id, None if state is None else state.revision,
                                 decision.state, event):
            return


def buy(n: int, day: int) -> Purchase:
    return Purchase(id=f"A-{n}", member_id="m-1", at=T0 + timedelta(hours=day, minutes=n),
                    amount=Money("60.00", "EUR"))


def redeem(n: int, day: int) -> Redemption:
    return Redemption(id=f"R-{n}", member_id="m-1", at=T0 + timedelta(hours=day, minutes=n),
                      reward_id="voucher-10")


def race(first: list[Event], second: list[Event]) -> Table:
    table = Table()
    start = threading.Barrier(2)

    def worker(events: list[Event]) -> None:
        for index, event in enumerate(events):
            handle(table, event, start if index == 0 else None)

    threads = [threading.Thread(target=worker, args=(events,)) for events in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return table


def sequential(events: list[Event]) -> MemberState | None:
    state = None
    for event in events:
        with contextlib.suppress(InsufficientPoints):
            state = PROGRAM.apply(state, event).state
    return state


def test_two_workers_race_and_the_loser_retries() -> None:
    first = [buy(n, n) for n in range(0, 40, 2)] + [redeem(1, 41)]
    second = [buy(n, n) for n in range(1, 40, 2)] + [redeem(2, 41), buy(1, 1)]  # A-1 twice
    table = race(first, second)
    assert table.conflicts >= 1  # the barrier made the first writes collide
    final = table.load("m-1")
    assert final is not None
    assert final == sequential(table.committed)
    assert final.purchase_count == 40  # no lost order, A-1 once
    assert final.points_redeemed == 20  # both redemptions, each once
    assert final.available_points == 20
    assert final.revision == len(table.committed) == 42


@settings(max_examples=15, deadline=None, database=None)
@given(st.lists(st.sampled_from(["buy", "redeem"]), min_size=2, max_size=14))
def test_any_split_between_two_workers_ends_as_the_sequential_state(kinds: list[str]) -> None:
    events: list[Event] = [buy(n, n) if kind == "buy" else redeem(n, n)
                           for n, kind in enumerate(kinds)]
    first = [e for n, e in enumerate(events) if n % 2 == 0]
    second = [e for n, e in enumerate(events) if n % 2 == 1]
    table = race(first, second)
    final = table.load("m-1")
    assert final == sequential(table.committed)
    committed_ids = [event.id for event in table.committed]
    assert len(committed_ids) == len(set(committed_ids))  # nothing applied twice
    if final is not None:
        assert final.purchase_count == sum(kind == "buy" for kind in kinds)  # none lost
        assert final.points_redeemed == 10 * sum(isinstance(e, Redemption)
                                                 for e in table.committed)
