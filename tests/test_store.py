"""The ledger store: atomic, idempotent ``apply``, ``advance``, reopening, refusals.

Every test runs on a SQLite file and on PostgreSQL (``store_url`` in conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from reciprocity import (
    EventConflict,
    FixedLifetime,
    InsufficientPoints,
    InvalidEvent,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Redemption,
    Return,
    Reward,
    seed_program,
)
from reciprocity.store import Store, StoreError

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def rich_program(version: str = "1") -> Program:
    """Points per 10 EUR, pending 14 days, expiry after 3 months, a voucher at 20 points."""
    return Program(
        name="Shop", version=version, timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"))],
            pending_days=14, expiry=FixedLifetime(months=3)))


def order(number: int, member: str = "m-1", days: float = 0, amount: str = "59.90") -> Purchase:
    return Purchase(id=f"A-{number}", member_id=member, at=T0 + timedelta(days=days),
                    amount=eur(amount))


def fold(program: Program, events: list[object]) -> object:
    state = None
    for event in events:
        state = program.apply(state, event).state  # type: ignore[arg-type]
    return state


class TestApply:
    def test_stores_event_effects_and_state_together(self, store_url: str) -> None:
        """One apply writes one event row, its effects and the member's state."""
        with Store(store_url, seed_program()) as store:
            applied = store.apply(order(1))
            assert [e.points for e in applied.effects] == [1]  # type: ignore[union-attr]
            assert not applied.duplicate
            assert applied.program_version == "1"
            assert store.count("events") == 1
            assert store.count("effects") == 1
            assert store.state("m-1") == applied.state
            assert applied.state.revision == 1

    def test_second_delivery_returns_the_stored_decision(self, store_url: str) -> None:
        """A duplicate writes nothing and returns the first decision's effects."""
        with Store(store_url, seed_program()) as store:
            first = store.apply(order(1))
            again = store.apply(order(1).model_dump(mode="json"))
            assert again.duplicate
            assert again.effects == first.effects
            assert again.trace[-1].outcome == "duplicate"
            assert again.state == first.state
            assert store.count("events") == 1
            assert store.count("effects") == 1

    def test_same_id_other_content_is_refused(self, store_url: str) -> None:
        """Another event under an applied id raises EventConflict and writes nothing."""
        with Store(store_url, seed_program()) as store:
            store.apply(order(1))
            with pytest.raises(EventConflict) as caught:
                store.apply(order(1, amount="60.00"))
            assert caught.value.event_id == "A-1"
            assert store.count("events") == 1
            assert store.state("m-1").revision == 1

    def test_refused_event_writes_nothing(self, store_url: str) -> None:
        """A redemption over the balance raises and leaves the ledger as it was."""
        with Store(store_url, seed_program()) as store:
            store.apply(order(1))
            with pytest.raises(InsufficientPoints):
                store.apply(Redemption(id="R-1", member_id="m-1", at=T0 + timedelta(days=1),
                                       reward_id="voucher-10"))
            assert store.count("events") == 1
            assert store.count("effects") == 1
            with pytest.raises(InvalidEvent):
                store.apply({"type": "purchase", "id": "A-9"})
            assert store.count("events") == 1

    def test_state_equals_the_pure_fold(self, store_url: str) -> None:
        """In-order events through the store give exactly the states of Program.apply."""
        program = rich_program()
        events: list[object] = [order(n, member=f"m-{n % 3}", days=n * 9, amount=f"{50 + n}.00")
                                for n in range(12)]
        events.append(Return(id="X-1", member_id="m-1", at=T0 + timedelta(days=120),
                             purchase_id="A-10", amount=eur("20.00")))
        with Store(store_url, program) as store:
            for event in events:
                store.apply(event)  # type: ignore[arg-type]
            for member in ("m-0", "m-1", "m-2"):
                mine = [e for e in events if e.member_id == member]  # type: ignore[attr-defined]
                assert store.state(member) == fold(program, mine)

    def test_reopened_store_keeps_everything(self, store_url: str) -> None:
        """A second Store on the same database (a restart) sees the same ledger and states."""
        with Store(store_url, seed_program()) as store:
            store.apply(order(1))
            before = store.states()
        with Store(store_url, seed_program()) as store:
            assert store.states() == before
            assert store.apply(order(1)).duplicate
            assert store.apply(order(2, days=1)).state.revision == 2

    def test_balance_equals_the_sum_of_stored_effects(self, store_url: str) -> None:
        """The available balance is the sum of the effects in force (nothing without one)."""
        program = rich_program()
        with Store(store_url, program) as store:
            for n in range(6):
                store.apply(order(n, days=n * 5, amount="100.00"))
            store.advance(T0 + timedelta(days=60))
            state = store.state("m-1")
            assert state is not None
            assert sum(e.points_delta for e in store.effects("m-1")) == state.available_points


class TestAdvance:
    def test_fires_due_effects_for_members_behind(self, store_url: str) -> None:
        """advance releases pending points and expires lots, as Program.advance does."""
        program = rich_program()
        with Store(store_url, program) as store:
            store.apply(order(1, member="m-1", amount="100.00"))
            store.apply(order(2, member="m-2", days=30, amount="100.00"))
            until = T0 + timedelta(days=20)
            done = store.advance(until)
            assert [a.member_id for a in done] == ["m-1"]  # m-2's points are not due yet
            assert [e.type for e in done[0].effects] == ["points_released"]
            expected = program.advance(program.apply(None, order(1, amount="100.00")).state, until)
            assert store.state("m-1") == expected.state
            assert store.advance(until) == ()  # nothing written twice
            events = store.count("events")
            later = store.advance(T0 + timedelta(days=200))
            assert {e.type for a in later for e in a.effects} == {"points_expired",
                                                                 "points_released"}
            assert store.count("events") == events + 2

    def test_event_after_advance_applies_in_order(self, store_url: str) -> None:
        """An event after an advance is applied normally (not as a late event)."""
        with Store(store_url, rich_program()) as store:
            store.apply(order(1, amount="100.00"))
            store.advance(T0 + timedelta(days=20))
            applied = store.apply(order(2, days=21))
            assert not applied.late


class TestOpening:
    def test_schema_by_migrations(self, store_url: str) -> None:
        """Opening migrates: the tables and the Alembic version table exist, once."""
        Store(store_url, seed_program()).close()
        Store(store_url, seed_program()).close()
        url = store_url if "://" in store_url else f"sqlite:///{store_url}"
        engine = create_engine(url)
        names = set(inspect(engine).get_table_names())
        engine.dispose()
        assert {"reciprocity_events", "reciprocity_effects", "reciprocity_members",
                "reciprocity_program_versions", "reciprocity_alembic_version"} <= names

    def test_refuses_a_version_label_with_other_content(self, store_url: str) -> None:
        """The same version label with other policies is refused."""
        Store(store_url, seed_program()).close()
        with pytest.raises(StoreError, match="other content"):
            Store(store_url, seed_program(auto_issue=True))
        with pytest.raises(StoreError, match="add_version"):
            Store(store_url, rich_program(version="2"))

    def test_refuses_what_it_cannot_store(self, tmp_path: Path) -> None:
        """An in-memory SQLite URL, another database kind, a bad late= are refused."""
        with pytest.raises(StoreError, match="in-memory"):
            Store("sqlite://", seed_program())
        with pytest.raises(StoreError, match="mysql"):
            Store("mysql://u@h/db", seed_program())
        with pytest.raises(StoreError, match="late="):
            Store(tmp_path / "l.db", seed_program(), late="ignore")  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="Program"):
            Store(tmp_path / "l.db", "seed")  # type: ignore[arg-type]


def test_results_round_trip_through_json(tmp_path: Path) -> None:
    """What a store returns (Applied with corrections, Liability, SwitchImpact) is JSON and back."""
    program = rich_program()
    with Store(tmp_path / "l.db", program) as store:
        store.apply(order(2, days=3, amount="100.00"))
        late = store.apply(order(1, days=1, amount="300.00"))
        impacts = store.preview_version(rich_program("2"), effective_from=T0)
        owed = store.liability(T0 + timedelta(days=90))
    for model in (late, owed, *impacts):
        assert type(model).model_validate_json(model.model_dump_json()) == model
