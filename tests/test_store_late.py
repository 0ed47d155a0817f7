"""Late and out-of-order events in the ledger store: re-derived from the ledger in
``(at, id)`` order with the changed effects recorded as corrections, or refused.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    FixedLifetime,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Redemption,
    Reward,
    seed_program,
)
from reciprocity.store import LateEvent, Store

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def auto_voucher(expiry_months: int = 0) -> Program:
    """1 point per 10 EUR; a 10 EUR voucher issued as soon as 20 points are collected."""
    return Program(
        name="Shop", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"),
                            auto_issue=True)],
            expiry=FixedLifetime(months=expiry_months) if expiry_months else None))


def buy(number: int, days: float, amount: str = "100.00", member: str = "m-1") -> Purchase:
    return Purchase(id=f"A-{number}", member_id=member, at=T0 + timedelta(days=days),
                    amount=eur(amount))


def in_order(program: Program, events: list[Any]) -> tuple[Any, Counter[str]]:
    state = None
    effects: Counter[str] = Counter()
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        decision = program.apply(state, event)
        state = decision.state
        effects.update(e.model_dump_json() for e in decision.effects)
    return state, effects


def assert_as_in_order(store: Store, program: Program, events: list[Any]) -> None:
    state, effects = in_order(program, events)
    stored = store.state(events[0].member_id)
    assert stored is not None
    assert stored.model_copy(update={"revision": 0}) == state.model_copy(update={"revision": 0})
    assert Counter(e.model_dump_json() for e in store.effects(events[0].member_id)) == effects


class TestRederive:
    def test_late_purchase_moves_the_voucher_and_records_corrections(
            self, store_url: str) -> None:
        """A late order placed before the one that reached 20 points moves the voucher to it."""
        program = auto_voucher()
        a, b, late = buy(1, 0), buy(2, 10), buy(3, 5)
        with Store(store_url, program) as store:
            store.apply(a)
            first = store.apply(b)
            assert "points_redeemed" in [e.type for e in first.effects]
            applied = store.apply(late)
            assert applied.late
            assert "points_redeemed" in [e.type for e in applied.effects]  # now its own
            kinds = Counter((c.kind, c.effect.type) for c in applied.corrections)
            assert kinds[("reversal", "points_redeemed")] == 1  # B's voucher is reversed
            assert applied.points_delta == 10
            assert_as_in_order(store, program, [a, b, late])
            again = store.apply(late)
            assert again.duplicate
            assert again.late

    def test_late_event_before_an_advance_corrects_expiry(self, store_url: str) -> None:
        """An advance expired points; a late order before it changes what expired."""
        program = auto_voucher(expiry_months=1)
        a = buy(1, 0, amount="150.00")
        with Store(store_url, program) as store:
            store.apply(a)
            expired = store.advance(T0 + timedelta(days=40))
            assert [e.type for e in expired[0].effects] == ["points_expired"]
            late = buy(2, 20, amount="50.00")  # 15 + 5 points reach the voucher at day 20
            applied = store.apply(late)
            assert applied.late
            assert any(c.kind == "reversal" and c.effect.type == "points_expired"
                       for c in applied.corrections)
            state, _ = in_order(program, [a, late])
            expected = program.advance(state, T0 + timedelta(days=40))
            stored = store.state("m-1")
            assert stored is not None
            assert stored.model_copy(update={"revision": 0}) == expected.state.model_copy(
                update={"revision": 0})

    def test_same_instant_smaller_id_is_late(self, store_url: str) -> None:
        """Ledger order is (at, id): an event at the same time with a smaller id is late."""
        program = auto_voucher()
        with Store(store_url, program) as store:
            store.apply(buy(2, 0))
            assert store.apply(buy(1, 0)).late
            assert not store.apply(buy(3, 0)).late

    def test_late_event_that_history_cannot_take_is_refused(self, store_url: str) -> None:
        """A late redemption that would leave a later one without points is refused."""
        program = seed_program()
        events = [buy(n, n) for n in range(10)]
        with Store(store_url, program) as store:
            for event in events:
                store.apply(event)
            store.apply(Redemption(id="R-2", member_id="m-1", at=T0 + timedelta(days=12),
                                   reward_id="voucher-10"))
            count = store.count("events"), store.count("effects")
            with pytest.raises(LateEvent, match="R-2") as caught:
                store.apply(Redemption(id="R-1", member_id="m-1", at=T0 + timedelta(days=11),
                                       reward_id="voucher-10"))
            assert caught.value.event_id == "R-1"
            assert (store.count("events"), store.count("effects")) == count


def test_refuse_mode(tmp_path: Path) -> None:
    """With late="refuse" a late event raises LateEvent and writes nothing."""
    with Store(tmp_path / "l.db", auto_voucher(), late="refuse") as store:
        store.apply(buy(2, 10))
        with pytest.raises(LateEvent, match="late=\"rederive\""):
            store.apply(buy(1, 5))
        assert store.count("events") == 1
        assert not store.apply(buy(3, 10)).late


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_delivery_order_gives_the_in_order_result(data: st.DataObject) -> None:
    """Whatever order a member's events arrive in, with repeats, the store ends as in order."""
    program = auto_voucher(expiry_months=2)
    count = data.draw(st.integers(2, 7), label="orders")
    events = [buy(n, data.draw(st.floats(0, 120), label=f"day {n}"),
                  amount=f"{data.draw(st.integers(20, 150), label=f'eur {n}')}.00")
              for n in range(count)]
    sent = data.draw(st.permutations(events + data.draw(
        st.lists(st.sampled_from(events), max_size=3), label="repeats")), label="order")
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "l.db",
                                                        program) as store:
        for event in sent:
            store.apply(event)
        assert_as_in_order(store, program, events)
        assert store.count("events") == len(events)
