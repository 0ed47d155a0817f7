"""Program versions in the ledger store: recorded per decision, added from an instant, and a
dry run of a switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reciprocity import (
    Money,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    Redemption,
    Reward,
    seed_program,
)
from reciprocity.store import Store, StoreError

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def per_order(points: int, version: str, minimum: str = "50.00") -> Program:
    """``points`` per order over ``minimum``; 10 points buy a 10 EUR voucher."""
    return Program(name="Shop", version=version, timezone="Europe/Berlin", points=PointScheme(
        earn=[PointsPerPurchase(id="per-order", points=points,
                                min_amount=Money(minimum, "EUR"))],
        rewards=[Reward(id="voucher-10", name="voucher", points=10,
                        value=Money("10.00", "EUR"))]))


def buy(n: int, days: float, member: str = "m-1") -> Purchase:
    return Purchase(id=f"A-{n}", member_id=member, at=T0 + timedelta(days=days),
                    amount=Money("60.00", "EUR"))


class TestVersions:
    def test_each_decision_records_its_version(self, store_url: str) -> None:
        """Events before the switch are decided by v1, those from it on by v2."""
        with Store(store_url, per_order(1, "1")) as store:
            assert store.apply(buy(1, 0)).program_version == "1"
            store.add_version(per_order(2, "2"), effective_from=T0 + timedelta(days=10))
            store.add_version(per_order(2, "2"), effective_from=T0 + timedelta(days=10))  # again
            applied = store.apply(buy(2, 10))
            assert applied.program_version == "2"
            assert [e.points for e in applied.effects] == [2]  # type: ignore[union-attr]
            assert store.apply(buy(1, 0)).program_version == "1"  # as recorded
            assert store.apply(buy(2, 10)).program_version == "2"
        with Store(store_url, per_order(1, "1")) as store:  # a worker not yet updated
            applied = store.apply(buy(3, 11))
            assert (applied.program_version, applied.effects[0].points) == ("2", 2)  # type: ignore[union-attr]
            assert applied.state.available_points == 5

    def test_switch_cannot_change_recorded_decisions(self, store_url: str) -> None:
        """A version starting at or before a recorded event, a reused label, another
        currency, or a start before the newest version's, is refused."""
        with Store(store_url, per_order(1, "1")) as store:
            store.apply(buy(1, 5))
            with pytest.raises(StoreError, match="newest event"):
                store.add_version(per_order(2, "2"), effective_from=T0 + timedelta(days=5))
            with pytest.raises(StoreError, match="in the store already"):
                store.add_version(per_order(2, "1"), effective_from=T0 + timedelta(days=9))
            other = seed_program(currency="GBP").model_copy(update={"version": "3"})
            with pytest.raises(StoreError, match="currency"):
                store.add_version(Program.model_validate(other.model_dump()),
                                  effective_from=T0 + timedelta(days=9))
            store.add_version(per_order(2, "2"), effective_from=T0 + timedelta(days=20))
            with pytest.raises(StoreError, match="newest version"):
                store.add_version(per_order(3, "3"), effective_from=T0 + timedelta(days=15))
            assert store.apply(buy(2, 19)).program_version == "1"

    def test_due_effects_before_a_switch_belong_to_the_old_version(self, tmp_path: Path) -> None:
        """The old version advances the member to the switch before the new one decides."""
        old = seed_program()
        new = per_order(2, "2")
        with Store(tmp_path / "l.db", old) as store:
            first = store.apply(buy(1, 0))
            switch = T0 + timedelta(days=30)
            store.add_version(new, effective_from=switch)
            applied = store.apply(buy(2, 40))
            expected = new.apply(old.advance(first.state, switch - timedelta(microseconds=1))
                                 .state, buy(2, 40))
            assert applied.state == expected.state


class TestPreview:
    def test_dry_run_of_a_switch_in_the_past(self, store_url: str) -> None:
        """Doubling points from the start would double every balance; nothing is written."""
        with Store(store_url, per_order(1, "1")) as store:
            for n in range(3):
                store.apply(buy(n, n, member="m-1"))
            store.apply(buy(9, 1, member="m-2"))
            events, effects = store.count("events"), store.count("effects")
            impacts = store.preview_version(per_order(2, "2"), effective_from=T0)
            assert [(i.member_id, i.balance_before, i.balance_after) for i in impacts] == [
                ("m-1", 3, 6), ("m-2", 1, 2)]
            assert all(i.changed for i in impacts)
            assert impacts[0].effects_added == impacts[0].effects_removed == 3
            assert (store.count("events"), store.count("effects")) == (events, effects)
            same = store.preview_version(per_order(1, "1b"), effective_from=T0)
            assert not any(i.changed for i in same)
            later = store.preview_version(per_order(2, "2"), effective_from=T0 + timedelta(
                days=1, hours=12))
            assert [(i.member_id, i.balance_after) for i in later] == [("m-1", 4), ("m-2", 1)]

    def test_dry_run_names_an_event_the_new_version_would_refuse(self, store_url: str) -> None:
        """A version that earns nothing could not take a recorded redemption."""
        with Store(store_url, per_order(5, "1")) as store:
            store.apply(buy(1, 0))
            store.apply(buy(2, 1))
            store.apply(Redemption(id="R-1", member_id="m-1", at=T0 + timedelta(days=2),
                                   reward_id="voucher-10"))
            impact, = store.preview_version(per_order(5, "2", minimum="500.00"),
                                            effective_from=T0)
            assert impact.refused is not None
            assert "R-1" in impact.refused
            assert impact.changed
