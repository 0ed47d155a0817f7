"""The simulation tables built by the lean pass equal those of the reference (the code before
it, kept verbatim in ``tests/tables_reference.py``), for any program and shop: every column
of every table, the totals, and the tables as pandas and polars; the applied orders too."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Event,
    Money,
    Program,
    Purchase,
    Redemption,
    RedemptionModel,
    Return,
    seed_program,
    simulate,
    synthetic_purchases,
)
from reciprocity.experiments.metrics import build_tables
from reciprocity.experiments.periods import Periods
from reciprocity.experiments.prepared import Prepared, applied_facts
from reciprocity.experiments.progress import Progress
from reciprocity.experiments.table import Table
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams

_SPEC = importlib.util.spec_from_file_location(
    "tables_reference", Path(__file__).with_name("tables_reference.py"))
assert _SPEC is not None
assert _SPEC.loader is not None
reference: Any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(reference)

LATER = DEFAULT_END + timedelta(days=1)
SOME = settings(deadline=None, max_examples=30)


def _same(ours: Table, theirs: Table) -> None:
    assert ours.names == theirs.names
    assert (ours.money, ours.currency, ours.title) == (theirs.money, theirs.currency,
                                                        theirs.title)
    for name in theirs.names:
        assert ours[name] == theirs[name], name
        assert [type(v) for v in ours[name]] == [type(v) for v in theirs[name]], name


@st.composite
def program_shop_and_start(draw: st.DrawFn) -> tuple[Program, list[Event], int]:
    """A program, a shop's events for it, and how many of the events (a prefix) the
    members had applied before the history (their starting states)."""
    program = draw(full_programs(currency="EUR"))
    rewards = program.points.rewards if program.points is not None else None
    events = draw(shop_streams(4, rewards=rewards or None, program=program, currency="EUR"))
    return program, events, draw(st.integers(0, len(events)))


def _inputs(program: Program, events: list[Event], before: int
            ) -> tuple[list[Any], list[Any], dict[str, Any], Prepared]:
    start = dict(program.replay(events[:before], errors="skip").states) if before else {}
    prepared = Prepared(events[before:], start)
    replay = prepared.replay(program, until=LATER, errors="skip", keep_effects=True)
    effects = list(replay.effects())
    facts = prepared.facts(eid for eid, _ in replay.rejected)
    return effects, facts, start, prepared


class TestLeanPassEqualsReference:
    @SOME
    @given(program_shop_and_start(), st.sampled_from("DWMQY"))
    def test_tables_and_totals(self, case: tuple[Program, list[Event], int],
                               freq: str) -> None:
        """Effects, members and metrics tables and the totals equal the reference's,
        column by column and type by type, with and without starting states."""
        program, events, before = case
        effects, facts, start, _ = _inputs(program, events, before)
        ours = build_tables(program, effects, facts, start, Periods(freq, program.timezone))
        theirs = reference.build_tables(program, effects, facts, start,
                                        Periods(freq, program.timezone))
        for mine, old in zip(ours[:3], theirs[:3], strict=True):
            _same(mine, old)
        assert ours[3] == theirs[3]

    @SOME
    @given(program_shop_and_start())
    def test_effects_table_is_the_effect_models(self,
                                                case: tuple[Program, list[Event], int]) -> None:
        """Each row of the effects table says what its effect model says."""
        program, events, before = case
        effects, facts, start, _ = _inputs(program, events, before)
        table = build_tables(program, effects, facts, start, Periods("M", program.timezone))[0]
        assert len(table) == len(effects)
        for row, effect in zip(table.rows(), effects, strict=True):
            assert (row["at"], row["member_id"], row["effect"], row["rule_id"],
                    row["event_id"], row["points_delta"], row["reason"]) == (
                effect.at, effect.member_id, effect.type, effect.rule_id, effect.event_id,
                effect.points_delta, effect.reason)

    @SOME
    @given(program_shop_and_start())
    def test_applied_orders(self, case: tuple[Program, list[Event], int]) -> None:
        """The applied orders (revenue facts) equal the reference's, refused events left
        out, returns valued by their lines from a price looked up only when needed."""
        program, events, before = case
        _, facts, start, prepared = _inputs(program, events, before)
        refused = [e.id for e in events[before:][::3]]
        assert applied_facts(prepared.events, start, refused) == (
            reference.applied_facts(prepared.events, start, refused))
        replay = prepared.replay(program, until=LATER, errors="skip")
        assert facts == reference.applied_facts(
            prepared.events, start, [eid for eid, _ in replay.rejected])

    @settings(deadline=None, max_examples=10)
    @given(program_shop_and_start())
    def test_pandas_and_polars(self, case: tuple[Program, list[Event], int]) -> None:
        """The tables convert to the same pandas and polars frames as the reference's."""
        pytest.importorskip("pandas")
        pytest.importorskip("polars")
        program, events, before = case
        effects, facts, start, _ = _inputs(program, events, before)
        periods = Periods("M", program.timezone)
        ours = build_tables(program, effects, facts, start, periods)
        theirs = reference.build_tables(program, effects, facts, start,
                                        Periods("M", program.timezone))
        for mine, old in zip(ours[:3], theirs[:3], strict=True):
            assert mine.to_pandas().equals(old.to_pandas())
            assert mine.to_polars().equals(old.to_polars())


def test_columns_and_a_redemption_model() -> None:
    """Columns, and a redemption model's effects (models it drew): the same tables."""
    columns = synthetic_purchases(600, members=25, seed=7)
    program = seed_program()
    model = RedemptionModel(probability=Decimal("0.7"), breakage=Decimal("0.1"), seed=3)
    result = simulate(program, columns, redemption=model, until=LATER)
    assert result.totals.points_redeemed > 0
    prepared = Prepared(columns)
    with Progress(3, "test", enabled=False) as bar:
        run = model.run(program, prepared, prepared.start, LATER, "raise",
                        Periods("M", program.timezone), bar)
    facts = prepared.facts((eid for eid, _ in run.rejected), as_events=True)
    theirs = reference.build_tables(program, run.effects, facts, prepared.start,
                                    Periods("M", program.timezone))
    for mine, old in zip((result.effects, result.members, result.metrics), theirs[:3],
                         strict=True):
        _same(mine, old)
    assert result.totals == theirs[3]


def test_debt_and_its_clawback() -> None:
    """A return after the points were spent leaves debt, and the next earning repays it
    (the ``clawback`` revocation): the same tables, and the debt is repaid in them."""
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    program = seed_program()
    events: list[Event] = [
        Purchase(id=f"A-{i}", member_id="ann", at=when + timedelta(days=i),
                 amount=Money("60.00", "EUR")) for i in range(10)]
    events += [
        Redemption(id="R-1", member_id="ann", at=when + timedelta(days=11),
                   reward_id="voucher-10"),
        Return(id="X-1", member_id="ann", at=when + timedelta(days=12), purchase_id="A-3",
               amount=Money("60.00", "EUR")),
        Purchase(id="A-99", member_id="ann", at=when + timedelta(days=40),
                 amount=Money("70.00", "EUR")),
    ]
    effects, facts, start, _ = _inputs(program, events, 0)
    ours = build_tables(program, effects, facts, start, Periods("M", program.timezone))
    theirs = reference.build_tables(program, effects, facts, start,
                                    Periods("M", program.timezone))
    for mine, old in zip(ours[:3], theirs[:3], strict=True):
        _same(mine, old)
    assert ours[3] == theirs[3]
    assert "clawback" in ours[0]["rule_id"]
    assert ours[1]["debt"] == [0]
    assert sum(ours[2]["points_outstanding"][-1:]) == 0
