"""``simulate`` and ``compare``: tables and metrics that match hand-computed histories, the
replay's totals, and known differences between programs."""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Comparison,
    FixedLifetime,
    InvalidEvent,
    InvalidProgram,
    MinSpend,
    MissingDependency,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    RedemptionModel,
    Return,
    Reward,
    Tier,
    TierLadder,
    compare,
    plot_comparison,
    plot_cost_by_family,
    plot_liability,
    plot_tier_mix,
    seed_program,
    simulate,
)
from reciprocity.events import Event
from reciprocity.testing import full_programs, shop_streams

BERLIN = ZoneInfo("Europe/Berlin")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def at(month: int, day: int, hour: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


def shop_program() -> Program:
    """1 point per whole EUR, pending 14 days, expiring after 2 months; Bronze from 1 EUR,
    Silver from 500 EUR; 100 points buy a 5 EUR voucher."""
    return Program(
        name="Shop", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerAmount(id="base", per=eur("1.00")),),
            pending_days=14, expiry=FixedLifetime(months=2),
            rewards=(Reward(id="v5", name="5 EUR voucher", points=100, value=eur("5.00")),)),
        tiers=TierLadder(tiers=(
            Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
            Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("500.00"))))),
    )


def history() -> list[Event]:
    return [
        Purchase(id="A-1", member_id="ann", at=at(1, 10), amount=eur("120.50")),
        Purchase(id="B-1", member_id="bob", at=at(1, 20), amount=eur("40.00")),
        Purchase(id="A-2", member_id="ann", at=at(2, 5), amount=eur("400.00")),
        Return(id="R-1", member_id="ann", at=at(2, 10), purchase_id="A-2",
               amount=eur("100.00")),
    ]


class TestHandComputed:
    """A two-member history whose every figure is worked out by hand."""

    @pytest.fixture(scope="class")
    @classmethod
    def result(cls) -> Any:
        return simulate(shop_program(), history(), until=at(6, 1, 0))

    def test_totals(self, result: Any) -> None:
        """120 + 40 + 400 points earned; 100 revoked with the return; the rest expires."""
        t = result.totals
        assert (t.members, t.orders, t.revenue) == (2, 3, Decimal("460.50"))
        assert (t.points_earned, t.points_revoked, t.points_expired) == (560, 100, 460)
        assert (t.points_outstanding, t.liability) == (0, Decimal("0.00"))
        assert t.breakage_pct == Decimal("82.14")

    def test_metrics_per_month(self, result: Any) -> None:
        """Earned in January and February; expired in March and April (2 months after)."""
        m = result.metrics
        assert m["period"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
        assert m["points_earned"] == [160, 400, 0, 0]
        assert m["points_revoked"] == [0, 100, 0, 0]
        assert m["points_expired"] == [0, 0, 160, 300]
        assert m["points_outstanding"] == [160, 460, 300, 0]
        # 20 points are worth 1 EUR (the voucher's rate)
        assert m["liability"] == [Decimal("8.00"), Decimal("23.00"), Decimal("15.00"),
                                  Decimal("0.00")]
        assert m["revenue"] == [Decimal("160.50"), Decimal("300.00"), Decimal(0), Decimal(0)]
        assert m["orders"] == [2, 1, 0, 0]
        assert m["cost"] == [Decimal("8.00"), Decimal("15.00"), Decimal("-8.00"),
                             Decimal("-15.00")]
        assert m["cost_pct"][:2] == [Decimal("4.98"), Decimal("5.00")]
        assert m["cost_pct"][2:] == [None, None]

    def test_tier_mix(self, result: Any) -> None:
        """Both reach Bronze with their first order; Ann reaches Silver in February."""
        m = result.metrics
        assert m["tier_bronze"] == [2, 1, 1, 1]
        assert m["tier_silver"] == [0, 1, 1, 1]
        assert m["first_tier_reached"] == [2, 0, 0, 0]
        assert m["members"] == [2, 2, 2, 2]
        assert result.totals.median_days_to_first_tier == 0.0

    def test_members(self, result: Any) -> None:
        """One row per member with the final figures."""
        rows = {row["member_id"]: row for row in result.members.rows()}
        assert rows["ann"]["tier"] == "silver"
        assert (rows["ann"]["orders"], rows["ann"]["spend"]) == (2, Decimal("420.50"))
        assert (rows["ann"]["points_earned"], rows["ann"]["points_revoked"]) == (520, 100)
        assert rows["bob"]["points_expired"] == 40

    def test_effects(self, result: Any) -> None:
        """One row per effect, each with its family, rule and reason."""
        e = result.effects
        assert len(e) == len(list(shop_program().replay(history(), until=at(6, 1, 0))
                                  .effects()))
        assert set(e["family"]) == {"points", "tiers"}
        assert all(reason for reason in e["reason"])
        assert sum(e["outstanding_delta"]) == 0

    def test_repr(self, result: Any) -> None:
        """Plain and HTML displays format money; no nested dicts."""
        text = repr(result)
        assert "Revenue (net of returns)  460.50 EUR" in text
        assert "{" not in text
        assert "<table>" in result._repr_html_()
        assert "460.50 EUR" in result._repr_html_()


def test_quarters_and_years_add_up() -> None:
    """Coarser periods hold the same totals."""
    months = simulate(shop_program(), history(), until=at(6, 1, 0))
    quarters = simulate(shop_program(), history(), until=at(6, 1, 0), freq="Q")
    assert quarters.metrics["period"] == ["2026Q1", "2026Q2"]
    assert quarters.totals == months.totals


def test_bad_freq() -> None:
    """An unknown period is refused before anything runs."""
    with pytest.raises(InvalidEvent, match="freq='X' is not a period"):
        simulate(seed_program(), [], freq="X")


def test_columns_input() -> None:
    """PurchaseColumns simulate like the same purchases as events."""
    events = [e for e in history() if isinstance(e, Purchase)]
    from reciprocity import PurchaseColumns

    columns = PurchaseColumns(ids=[e.id for e in events], member_ids=[e.member_id for e in events],
                              at=[e.at for e in events],
                              amounts=[e.amount.amount for e in events], currency="EUR")
    assert simulate(shop_program(), columns).totals == simulate(shop_program(), events).totals


class TestOutputs:
    """Every table as pandas and polars (equal), CSV and Parquet."""

    @pytest.fixture(scope="class")
    @classmethod
    def result(cls) -> Any:
        return simulate(shop_program(), history(), until=at(6, 1, 0))

    @pytest.mark.parametrize("name", ["effects", "members", "metrics"])
    def test_pandas_equals_polars(self, result: Any, name: str) -> None:
        """The two libraries hold the same values, money exact in both."""
        pytest.importorskip("pandas")
        pytest.importorskip("polars")
        frame = result.to_pandas()[name]
        other = result.to_polars()[name]
        assert list(frame.columns) == other.columns
        for column in frame.columns:
            left = [None if _missing(v) else v for v in frame[column].tolist()]
            assert left == other[column].to_list(), column
        if name == "metrics":
            assert frame["revenue"].tolist()[0] == Decimal("160.50")

    def test_csv_and_parquet(self, result: Any, tmp_path: Path) -> None:
        """write() puts one file per table; Parquet reads back equal to polars."""
        polars = pytest.importorskip("polars")
        written = result.write(tmp_path / "csv")
        assert sorted(p.name for p in written) == ["effects.csv", "members.csv", "metrics.csv"]
        header = (tmp_path / "csv" / "metrics.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("period,start,end,orders,revenue,points_earned")
        result.write(tmp_path / "pq", format="parquet")
        back = polars.read_parquet(tmp_path / "pq" / "metrics.parquet")
        assert back.equals(result.to_polars()["metrics"])


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value) in (
        "NaT", "<NA>")


@settings(max_examples=25)
@given(full_programs().flatmap(
    lambda p: st.tuples(st.just(p), shop_streams(3, program=p))), st.sampled_from("MQY"))
def test_periods_sum_to_the_totals_and_the_replay(case: tuple[Program, list[Event]],
                                                   freq: str) -> None:
    """Per-period flows sum to the totals, and they and the members table agree with
    Replay.summary() and the final member states, for any program and shop."""
    program, events = case
    result = simulate(program, events, errors="skip", freq=freq)
    summary = program.replay(events, errors="skip").summary()
    m, t = result.metrics, result.totals
    for name in ("points_earned", "points_redeemed", "points_expired", "points_revoked",
                 "vouchers", "voucher_value", "gifts", "gift_cost", "goodwill_paid", "revenue",
                 "orders", "first_tier_reached", "cost"):
        assert sum(m[name]) == getattr(t, name), name
    assert (t.points_earned, t.points_redeemed, t.points_expired, t.points_revoked) == (
        summary.points_earned, summary.points_redeemed, summary.points_expired,
        summary.points_revoked)
    assert (t.points_available, t.points_pending, t.points_debt) == (
        summary.points_available, summary.points_pending, summary.points_debt)
    assert (t.vouchers, t.voucher_value) == (summary.vouchers_issued, summary.voucher_value.amount)
    assert t.liability == summary.liability.amount
    assert t.orders == summary.purchases
    if len(m):
        assert m["points_outstanding"][-1] == t.points_outstanding
        assert m["liability"][-1] == t.liability
    states = program.replay(events, errors="skip").states
    for row in result.members.rows():
        state = states[row["member_id"]]
        assert (row["available"], row["pending"], row["debt"]) == (
            state.available_points, state.pending_points, state.debt), row["member_id"]
        assert (row["orders"], row["spend"]) == (state.purchase_count, state.spend)
        assert row["tier"] == (None if state.tier is None else state.tier.tier_id)


class TestRedemptionModel:
    """The seeded redemption-and-breakage model generates redemptions during the run."""

    def test_every_affordable_reward_is_redeemed_at_period_end(self) -> None:
        """p=1, no breakage: Ann redeems 100 points at the start of February, March and
        April; Bob never reaches 100; what is left expires."""
        model = RedemptionModel(probability=Decimal(1), breakage=Decimal(0))
        result = simulate(shop_program(), history(), until=at(6, 1, 0), redemption=model)
        t = result.totals
        assert (t.points_redeemed, t.vouchers, t.voucher_value) == (300, 3, Decimal("15.00"))
        assert (t.points_earned, t.points_revoked, t.points_expired) == (560, 100, 160)
        assert t.points_outstanding == 0
        assert result.metrics["points_redeemed"] == [0, 100, 100, 100]
        redeemed = [row for row in result.effects.rows() if row["effect"] == "points_redeemed"]
        assert [(r["member_id"], r["at"].astimezone(BERLIN).strftime("%m-%d %H:%M"))
                for r in redeemed] == [("ann", "02-01 00:00"), ("ann", "03-01 00:00"),
                                       ("ann", "04-01 00:00")]
        assert result.summary.points_redeemed == 300
        assert "p=1, 0% of members never redeem, seed 0" in repr(result)

    def test_full_breakage_redeems_nothing(self) -> None:
        """With every member a never-redeemer the run equals one without the model."""
        model = RedemptionModel(breakage=Decimal(1))
        plain = simulate(shop_program(), history(), until=at(6, 1, 0))
        modelled = simulate(shop_program(), history(), until=at(6, 1, 0), redemption=model)
        assert modelled.totals == plain.totals
        assert modelled.summary == plain.summary

    def test_seeded(self) -> None:
        """The same seed gives the same redemptions; draws do not depend on call order."""
        model = RedemptionModel(probability=Decimal("0.5"), breakage=Decimal("0.3"), seed=3)
        assert [model.draw("m", str(i)) for i in range(5)] == [
            model.draw("m", str(i)) for i in range(5)]
        assert model.draw("a") != RedemptionModel(seed=4).draw("a")
        members = [f"m-{i}" for i in range(400)]
        share = sum(not model.redeems(m) for m in members) / len(members)
        assert 0.2 < share < 0.4

    def test_a_program_without_rewards_is_refused(self) -> None:
        """A program with nothing to redeem cannot run the model."""
        program = Program(name="No rewards", currency="EUR", points=PointScheme(
            earn=(PointsPerAmount(id="base", per=eur("1.00")),)))
        with pytest.raises(InvalidProgram, match="has no reward"):
            simulate(program, history(), redemption=RedemptionModel())

    @settings(max_examples=15)
    @given(shop_streams(3, max_events_per_member=8), st.integers(0, 5))
    def test_totals_match_the_run(self, events: list[Event], seed: int) -> None:
        """With redemptions drawn, the periods still sum to the totals and the summary."""
        program = seed_program()
        result = simulate(program, events, errors="skip",
                          redemption=RedemptionModel(probability=Decimal("0.7"), seed=seed))
        t, s = result.totals, result.summary
        assert sum(result.metrics["points_redeemed"]) == t.points_redeemed == s.points_redeemed
        assert (t.points_available, t.points_debt, t.vouchers) == (
            s.points_available, s.points_debt, s.vouchers_issued)
        assert t.liability == s.liability.amount


# -- compare -------------------------------------------------------------------------------
def doubled() -> Program:
    """The shop program with 1 point per 0.50 EUR, and Silver from 30 EUR."""
    base = shop_program()
    assert base.points is not None
    points = PointScheme(earn=(PointsPerAmount(id="base", per=eur("0.50")),),
                         pending_days=14, expiry=base.points.expiry, rewards=base.points.rewards)
    tiers = TierLadder(tiers=(
        Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
        Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("30.00")))))
    return Program(name="Doubled", currency="EUR", timezone=base.timezone, points=points,
                   tiers=tiers)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare({"today": shop_program(), "doubled": doubled()}, history(),
                   until=at(6, 1, 0))


def test_metric_differences_per_period(comparison: Comparison) -> None:
    """Twice the points, per started 0.50 EUR: the difference is the baseline's own figure,
    period by period, plus the point Ann's 120.50 EUR order earns for its 0.50 EUR."""
    assert comparison.difference("points_earned") == [161, 400, 0, 0]
    assert comparison.difference("points_revoked") == [0, 100, 0, 0]
    assert comparison.difference("points_expired") == [0, 0, 161, 300]
    assert comparison.difference("liability") == [
        Decimal("8.05"), Decimal("23.05"), Decimal("15.00"), Decimal("0.00")]
    assert comparison.difference("revenue") == [Decimal(0)] * 4


def test_totals_side_by_side(comparison: Comparison) -> None:
    """The totals table has a column per program and the difference."""
    rows = {row["metric"]: row for row in comparison.totals.rows()}
    earned = rows["points_earned"]
    assert (earned["today"], earned["doubled"], earned["doubled - today"]) == (560, 1121, 561)


def test_member_value_and_deciles(comparison: Comparison) -> None:
    """Each member's value doubles: Ann gets 26.05 EUR more (1,041 against 520 points at
    0.05 EUR), Bob 2.00 EUR."""
    rows = {row["member_id"]: row for row in comparison.members.rows()}
    assert rows["ann"]["value doubled - today"] == Decimal("26.05")
    assert rows["bob"]["value doubled - today"] == Decimal("2.00")
    deciles = comparison.deciles
    assert sum(deciles["members"]) == 2
    assert sum(deciles["better_off"]) == 2
    assert sum(deciles["worse_off"]) == 0


def test_tier_moves(comparison: Comparison) -> None:
    """Bob reaches Silver from 30 EUR: one member gains a tier, none loses one."""
    moves = next(comparison.tier_moves.rows())
    assert (moves["gain_a_tier"], moves["lose_a_tier"], moves["same_tier"]) == (1, 0, 1)


def test_display(comparison: Comparison) -> None:
    """Plain and HTML displays with formatted money."""
    text = repr(comparison)
    assert "doubled - today" in text
    assert "liability" in text
    assert "<table>" in comparison._repr_html_()


def test_each_program_keeps_its_simulation(comparison: Comparison) -> None:
    """The per-program results are there in full."""
    assert comparison.results["doubled"].totals.points_earned == 1121


@pytest.mark.parametrize(("programs", "message"), [
    ({"one": "x"}, "needs two programs or more"),
])
def test_refused(programs: dict[str, Any], message: str) -> None:
    """Fewer than two programs are refused."""
    with pytest.raises(InvalidProgram, match=message):
        compare(programs, [])


def test_currencies_must_agree() -> None:
    """Programs in different currencies cannot be compared."""
    gbp = shop_program().model_copy(update={"currency": "GBP"})
    with pytest.raises(InvalidProgram, match="different currencies"):
        compare({"a": shop_program(), "b": gbp}, [])


# -- plots -----------------------------------------------------------------------------------


class TestPlots:
    """Each plot is a Figure with a title, units on the axes and a legend."""

    @pytest.fixture(scope="class")
    @classmethod
    def result(cls) -> Any:
        pytest.importorskip("matplotlib")
        return simulate(shop_program(), history(), until=at(6, 1, 0), redemption=RedemptionModel(
            probability=Decimal(1), breakage=Decimal(0)))

    def test_liability(self, result: Any) -> None:
        """Liability in money on the left, points on the right, on one scale."""
        axis, points = plot_liability(result).axes
        assert axis.get_title() == "Shop: points liability over time"
        assert axis.get_ylabel() == "Liability at period end (EUR)"
        assert points.get_ylabel() == "Points outstanding"
        assert [t.get_text() for t in axis.get_legend().get_texts()] == [
            "Liability (EUR)", "Points outstanding"]
        assert points.get_ylim()[1] == pytest.approx(axis.get_ylim()[1] * 20)
        assert [t.get_text() for t in axis.get_xticklabels()] == [
            "2026-01", "2026-02", "2026-03", "2026-04"]

    def test_tier_mix(self, result: Any) -> None:
        """Stacked members per tier, named as the ladder names them."""
        (axis,) = plot_tier_mix(result).axes
        assert [t.get_text() for t in axis.get_legend().get_texts()] == ["Bronze", "Silver"]
        heights = [p.get_height() for p in axis.patches]
        assert heights == [2, 1, 1, 1, 0, 1, 1, 1]

    def test_cost_by_family(self, result: Any) -> None:
        """Vouchers and the change of liability, with the total cost line."""
        (axis,) = plot_cost_by_family(result).axes
        labels = [t.get_text() for t in axis.get_legend().get_texts()]
        assert labels == ["Total cost", "Vouchers issued", "Change of points liability"]
        assert axis.get_ylabel() == "Cost (EUR)"
        total = axis.get_lines()[0].get_ydata()
        assert list(total) == [float(c) for c in result.metrics["cost"]]

    def test_comparison(self) -> None:
        """One panel per metric, one line per program."""
        pytest.importorskip("matplotlib")
        comparison = compare({"today": shop_program(), "doubled": doubled()}, history(),
                             until=at(6, 1, 0))
        figure = plot_comparison(comparison, metrics=("liability", "points_earned"))
        assert len(figure.axes) == 2
        assert figure.axes[0].get_title() == "Liability at period end"
        assert [t.get_text() for t in figure.axes[1].get_legend().get_texts()] == [
            "today", "doubled"]
        assert list(figure.axes[1].get_lines()[1].get_ydata()) == [321, 800, 0, 0]

    def test_png(self, result: Any, tmp_path: Path) -> None:
        """A figure saves as PNG."""
        path = tmp_path / "liability.png"
        plot_liability(result).savefig(path)
        assert path.read_bytes()[:4] == b"\x89PNG"

    def test_without_matplotlib(self, result: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without matplotlib, a plot names the extra to install."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(MissingDependency, match=r"reciprocity\[plot\]"):
            plot_liability(result)


def test_progress_bar_runs_when_asked() -> None:
    """progress=True draws a bar (rich) and changes nothing in the result."""
    pytest.importorskip("rich")
    shown = simulate(shop_program(), history(), until=at(6, 1, 0), progress=True)
    assert shown.totals == simulate(shop_program(), history(), until=at(6, 1, 0),
                                    progress=False).totals


def test_progress_is_silent_outside_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal or a notebook the default shows nothing."""
    import io

    from reciprocity.experiments.progress import Progress, interactive

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert interactive() is False
    bar = Progress(2, "x")
    assert bar._bar is None
