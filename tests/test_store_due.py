"""The stored ``next_due`` of each member: written with every apply and advance, indexed, the
only way ``advance`` finds members; migrated and backfilled on an existing ledger.

The example tests run on a SQLite file and on PostgreSQL (``store_url`` in conftest.py).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select, text

import reciprocity.store._advance as advance_module
from reciprocity import (
    FixedLifetime,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Reward,
    seed_program,
)
from reciprocity.store import Store
from reciprocity.store._advance import DUE
from reciprocity.store._schema import MIGRATIONS, UNKNOWN_DUE, members, migrate, ts

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def rich_program(version: str = "1") -> Program:
    """Points per 10 EUR, pending 14 days, expiry after 3 months."""
    return Program(
        name="Shop", version=version, timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=Money("10.00", "EUR"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20,
                            value=Money("10.00", "EUR"))],
            pending_days=14, expiry=FixedLifetime(months=3)))


def order(number: int, member: str, days: float, amount: str = "100.00") -> Purchase:
    return Purchase(id=f"A-{number}", member_id=member, at=T0 + timedelta(days=days),
                    amount=Money(amount, "EUR"))


def stored_due(store: Store) -> dict[str, str | None]:
    with store._engine.connect() as c:
        return dict(c.execute(select(members.c.member_id, members.c.next_due)).all())


def engine_for(url: str) -> Any:
    return create_engine(url if "://" in url else f"sqlite:///{url}")


def expected_due(program: Program, store: Store) -> dict[str, str | None]:
    found = {}
    for member_id, state in store.states().items():
        when = program.next_due(state)
        found[member_id] = None if when is None else ts(when)
    return found


class TestNextDue:
    def test_every_apply_and_advance_stores_the_next_due_instant(self, store_url: str) -> None:
        """After each write, the column holds Program.next_due of the stored state."""
        program = rich_program()
        with Store(store_url, program) as store:
            store.apply(order(1, "m-1", 0))
            store.apply(order(2, "m-2", 3))
            assert stored_due(store) == expected_due(program, store)
            assert stored_due(store)["m-1"] == ts(T0 + timedelta(days=14))  # pending release
            store.advance(T0 + timedelta(days=15))
            assert stored_due(store) == expected_due(program, store)
            store.apply(order(3, "m-1", 1))  # late: re-derived, due again
            assert stored_due(store) == expected_due(program, store)
            store.advance(T0 + timedelta(days=400))
            assert stored_due(store) == expected_due(program, store)
            assert set(stored_due(store).values()) == {None}  # everything expired

    def test_advance_visits_only_the_due_members(self, store_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """Members whose next due time is after ``until`` are never read by advance."""
        visited: list[str] = []
        original = advance_module._member

        def counting(store: Store, c: Any, **kwargs: Any) -> Any:
            visited.append(kwargs["member_id"])
            return original(store, c, **kwargs)

        monkeypatch.setattr(advance_module, "_member", counting)
        with Store(store_url, rich_program()) as store:
            for n in range(20):
                store.apply(order(n, f"m-{n:02d}", days=10 * n))
            done = store.advance(T0 + timedelta(days=45))
            # due by day 45: the members who ordered on days 0, 10, 20 and 30 (14 days pending)
            assert visited == ["m-00", "m-01", "m-02", "m-03"]
            assert [a.member_id for a in done] == visited
            visited.clear()
            assert store.advance(T0 + timedelta(days=45)) == ()
            assert visited == []

    def test_a_due_time_without_effects_only_moves_next_due(self, store_url: str) -> None:
        """A version switch makes every member due; one with nothing due under the new
        version writes no ledger row, and its next_due goes to what the new version says."""
        with Store(store_url, seed_program()) as store:
            store.apply(order(1, "m-1", 0))
            assert stored_due(store) == {"m-1": None}  # the seed program has nothing timed
            switch = T0 + timedelta(days=10)
            store.add_version(seed_program().model_copy(update={"version": "2"}),
                              effective_from=switch)
            assert stored_due(store) == {"m-1": ts(switch)}
            events = store.count("events")
            assert store.advance(switch + timedelta(days=1)) == ()
            assert store.count("events") == events
            assert stored_due(store) == {"m-1": None}

    def test_members_are_selected_through_the_index(self, tmp_path: Path) -> None:
        """SQLite's plan for the due members is a search of the next_due index."""
        with Store(tmp_path / "ledger.db", seed_program()) as store, \
                store._engine.connect() as c:
            plan = c.exec_driver_sql("EXPLAIN QUERY PLAN " + str(DUE.compile(store._engine)),
                                     ("2026",)).all()
        assert "USING INDEX reciprocity_members_next_due" in plan[0][-1]


class TestMigration:
    def _downgrade_to_first_schema(self, url: str) -> None:
        engine = engine_for(url)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        engine.dispose()

    def test_existing_ledger_gets_the_column_and_a_backfill(self, store_url: str) -> None:
        """A ledger written before next_due: the migration adds the column (every row
        UNKNOWN, so due), opening a store computes it, and advance finds the due members."""
        program = rich_program()
        with Store(store_url, program) as store:
            store.apply(order(1, "m-1", 0))
            store.apply(order(2, "m-2", 30))
        self._downgrade_to_first_schema(store_url)
        engine = engine_for(store_url)
        assert "next_due" not in {c["name"] for c in inspect(engine).get_columns(
            "reciprocity_members")}
        migrate(engine)
        with engine.connect() as c:
            assert set(c.execute(text("SELECT next_due FROM reciprocity_members")).scalars()) \
                == {UNKNOWN_DUE}
        engine.dispose()
        with Store(store_url, program) as store:
            assert stored_due(store) == expected_due(program, store)
            assert stored_due(store)["m-2"] == ts(T0 + timedelta(days=44))
            done = store.advance(T0 + timedelta(days=20))
            assert [a.member_id for a in done] == ["m-1"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["m-1", "m-2", "m-3"]),
                          st.floats(min_value=0, max_value=200),
                          st.sampled_from(["apply", "advance"])), min_size=1, max_size=12))
def test_next_due_always_matches_the_stored_state(steps: list[tuple[str, float, str]]) -> None:
    """Whatever the order of applies (late ones too) and advances: the stored next_due is
    Program.next_due of the stored state, and advance leaves no member due before ``until``."""
    program = rich_program()
    with tempfile.TemporaryDirectory() as folder, \
            Store(Path(folder) / "ledger.db", program) as store:
        for number, (member, days, action) in enumerate(steps):
            if action == "apply":
                store.apply(order(number, member, days))
                assert stored_due(store) == expected_due(program, store)
            else:
                until = T0 + timedelta(days=days)
                store.advance(until)
                assert all(due is None or due > ts(until) for due in stored_due(store).values())
