"""Accounting exports of the ledger store: points liability at a date, effects by period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from reciprocity import (
    FixedLifetime,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Return,
    Reward,
)
from reciprocity.store import Store, StoreError

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def program() -> Program:
    eur = lambda amount: Money(amount, "EUR")  # noqa: E731
    return Program(
        name="Shop", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"),
                            auto_issue=True)],
            expiry=FixedLifetime(months=2)))


def events() -> list[object]:
    found: list[object] = []
    for m in range(3):
        for n in range(5):
            found.append(Purchase(id=f"{m}/A-{n}", member_id=f"m-{m}",
                                  at=T0 + timedelta(days=17 * n + m),
                                  amount=Money(f"{45 + 20 * n + m}.00", "EUR")))
    found.append(Return(id="1/R", member_id="m-1", at=T0 + timedelta(days=50),
                        purchase_id="1/A-2", amount=Money("30.00", "EUR")))
    return found


@pytest.fixture
def store(store_url: str) -> object:
    with Store(store_url, program()) as store:
        for event in events():
            store.apply(event)  # type: ignore[arg-type]
        store.advance(T0 + timedelta(days=200))
        yield store


def in_memory_points(until: datetime) -> int:
    """The balance change of every effect up to ``until``, computed without a store."""
    p = program()
    states: dict[str, object] = {}
    total = 0
    for event in sorted(events(), key=lambda e: (e.at, e.id)):  # type: ignore[attr-defined]
        d = p.apply(states.get(event.member_id), event)  # type: ignore[arg-type, attr-defined]
        states[event.member_id] = d.state  # type: ignore[attr-defined]
        total += sum(e.points_delta for e in d.effects if e.at <= until)
    for state in states.values():
        d = p.advance(state, T0 + timedelta(days=200))  # type: ignore[arg-type]
        total += sum(e.points_delta for e in d.effects if e.at <= until)
    return total


class TestLiability:
    def test_now_equals_the_members_balances(self, store: Store) -> None:
        """After the last effect the liability is the sum of the available balances."""
        owed = store.liability(T0 + timedelta(days=400))
        balances = [s.available_points for s in store.states().values()]
        assert owed.points == sum(balances)
        assert owed.members == sum(1 for b in balances if b)
        assert owed.value == Money(Decimal(owed.points), "EUR")  # 1 point = 1.00 EUR

    @pytest.mark.parametrize("days", [0, 20, 45, 70, 130])
    def test_at_a_past_date(self, store: Store, days: int) -> None:
        """At any date it is the sum of the effects up to that date."""
        at = T0 + timedelta(days=days)
        assert store.liability(at).points == in_memory_points(at)

    def test_before_anything(self, store: Store) -> None:
        """Before the first effect nothing is owed."""
        owed = store.liability(T0 - timedelta(days=1))
        assert (owed.points, owed.members) == (0, 0)


class TestEffectsByPeriod:
    def test_months_add_up_to_the_liability(self, store: Store) -> None:
        """The points of every month's rows sum to the liability at the end."""
        start, end = T0 - timedelta(days=10), T0 + timedelta(days=400)
        report = store.effects_by_period(start, end)
        assert sum(row.points for row in report.rows) == store.liability(end).points
        periods = sorted({row.period for row in report.rows})
        assert periods[0] == "2026-01"
        assert {row.type for row in report.rows} >= {"points_earned", "points_expired",
                                                     "points_redeemed", "points_revoked"}

    def test_csv(self, store: Store, tmp_path: Path) -> None:
        """The CSV has a header and one line per row, and is written to a path if given."""
        report = store.effects_by_period(T0, T0 + timedelta(days=31), period="day")
        text = report.to_csv(tmp_path / "effects.csv")
        assert (tmp_path / "effects.csv").read_text(encoding="utf-8") == text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(report.rows)
        assert rows[0]["period"] == "2026-01-05"
        assert {row["currency"] for row in rows} == {"EUR"}
        vouchers = [r for r in report.rows if r.type == "voucher_issued"]
        assert all(r.value == Decimal("10.00") * r.count for r in vouchers)

    def test_dataframe(self, store: Store) -> None:
        """With pandas installed the report is a DataFrame with the same rows."""
        pd = pytest.importorskip("pandas", reason="EffectsReport.to_dataframe needs pandas")
        report = store.effects_by_period(T0, T0 + timedelta(days=400), period="year")
        frame = report.to_dataframe()
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == ["period", "type", "kind", "count", "points", "value",
                                       "currency"]
        assert int(frame["points"].sum()) == sum(r.points for r in report.rows)

    def test_bad_arguments(self, store: Store) -> None:
        """An unknown period, or an end before the start, is refused."""
        with pytest.raises(StoreError, match="period"):
            store.effects_by_period(T0, T0 + timedelta(days=1), period="week")  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="not after"):
            store.effects_by_period(T0, T0)
