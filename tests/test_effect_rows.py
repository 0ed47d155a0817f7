"""``simulate``'s tables read the effect log's rows instead of building every effect model
(``reciprocity._effect_rows``): each row says what its model says, and the tables made from
the log equal those made from the models (which equal the reference's, see
``tests/test_experiments_tables.py``), reasons included, written only when read."""

from __future__ import annotations

import importlib.util
import pickle
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Event, Program, seed_program, simulate, synthetic_purchases
from reciprocity._effect_rows import entry_reason, lookup, rows_of
from reciprocity.experiments.metrics import build_tables
from reciprocity.experiments.periods import Periods
from reciprocity.experiments.prepared import Prepared
from reciprocity.experiments.table import Table
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams

_SPEC = importlib.util.spec_from_file_location(
    "tables_reference", Path(__file__).with_name("tables_reference.py"))
assert _SPEC is not None
assert _SPEC.loader is not None
reference: Any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(reference)

LATER = DEFAULT_END + timedelta(days=1)
SOME = settings(deadline=None, max_examples=25)
_REASON = {"reason", "reason_key", "reason_args"}


@st.composite
def program_shop_and_start(draw: st.DrawFn) -> tuple[Program, list[Event], int]:
    program = draw(full_programs(currency="EUR"))
    rewards = program.points.rewards if program.points is not None else None
    events = draw(shop_streams(4, rewards=rewards or None, program=program, currency="EUR"))
    return program, events, draw(st.integers(0, len(events)))


def _run(program: Program, events: list[Event], before: int) -> tuple[Any, ...]:
    start = dict(program.replay(events[:before], errors="skip").states) if before else {}
    prepared = Prepared(events[before:], start)
    replay = prepared.replay(program, until=LATER, errors="skip", keep_effects=True)
    log = replay.effect_log()
    facts = prepared.facts(eid for eid, _ in replay.rejected)
    return log, facts, start


def _same(ours: Table, theirs: Table) -> None:
    assert ours.names == theirs.names
    assert (ours.money, ours.currency, ours.title) == (theirs.money, theirs.currency,
                                                        theirs.title)
    for name in theirs.names:
        assert ours[name] == theirs[name], name
        assert [type(v) for v in ours[name]] == [type(v) for v in theirs[name]], name


class TestRows:
    @SOME
    @given(program_shop_and_start())
    def test_each_row_is_its_models_fields(self,
                                           case: tuple[Program, list[Event], int]) -> None:
        """For every logged effect with a row: its type, every field but the reason (no
        more, no fewer), and its reason equal the model's; the model has no balance."""
        log, _, _ = _run(*case)
        for entry in log:
            found = lookup(entry[0])
            if found is None:
                continue
            kind, row, _ = found
            effect = entry[0](*entry[1:])
            fields = row(*entry[1:])
            assert kind == effect.type
            assert effect.__dict__.get("balance") is None
            assert set(fields) == set(effect.__dict__) - _REASON - {"type", "balance"}
            for name, value in fields.items():
                assert value == effect.__dict__[name], name
                assert type(value) is type(effect.__dict__[name]), name
            assert entry_reason(entry) == effect.reason
            assert type(entry_reason(entry)) is str

    @SOME
    @given(program_shop_and_start(), st.sampled_from("DWMQY"))
    def test_tables_from_the_log(self, case: tuple[Program, list[Event], int],
                                 freq: str) -> None:
        """The tables made from the log equal the reference's, made from the models."""
        program, events, before = case
        log, facts, start = _run(program, events, before)
        effects = [entry[0](*entry[1:]) for entry in log]
        ours = build_tables(program, (), facts, start, Periods(freq, program.timezone), log)
        theirs = reference.build_tables(program, effects, facts, start,
                                        Periods(freq, program.timezone))
        for mine, old in zip(ours[:3], theirs[:3], strict=True):
            _same(mine, old)
        assert ours[3] == theirs[3]

    def test_rows_of_gives_models_for_builders_without_rows(self) -> None:
        """A builder without a row is read through its model."""
        columns = synthetic_purchases(300, members=10, seed=3)
        log = seed_program().replay(columns, keep_effects=True).effect_log()
        for (kind, fields, reason, model), entry in zip(rows_of(log), log, strict=True):
            if model is not None:
                assert fields is model.__dict__
                assert lookup(entry[0]) is None
            else:
                assert reason is entry
            assert kind == entry[0](*entry[1:]).type


class TestWrittenWhenRead:
    def test_reasons_written_once_on_first_read(self) -> None:
        calls: list[int] = []

        def write(values: list[Any]) -> list[Any]:
            calls.append(1)
            return [str(v) for v in values]

        table = Table({"a": [1, 2], "b": [3, 4]}, written={"b": write, "zz": write})
        assert (table.names, len(table), calls) == (("a", "b"), 2, [])
        assert table["a"] == [1, 2]
        assert table["b"] == ["3", "4"]
        assert table.columns["b"] == ["3", "4"]
        assert calls == [1]

    def test_pickled_table_has_its_reasons(self) -> None:
        result = simulate(seed_program(), synthetic_purchases(200, members=8, seed=5),
                          until=LATER, progress=False)
        again = pickle.loads(pickle.dumps(result.effects))
        assert again["reason"] == result.effects["reason"]
        assert all(type(text) is str for text in again["reason"])

    def test_simulate_reasons_are_the_models(self) -> None:
        """The effects table's reasons, written when read, are the models' reasons."""
        columns = synthetic_purchases(400, members=12, seed=9)
        program = seed_program()
        result = simulate(program, columns, until=LATER, progress=False)
        models = list(program.replay(columns, until=LATER).effects())
        assert result.effects["reason"] == [e.reason for e in models]
        assert result.effects["effect"] == [e.type for e in models]


@pytest.mark.parametrize("freq", ["M", "Q"])
def test_columns_tables_equal_the_models_tables(freq: str) -> None:
    """On purchase columns (pending points, expiry, tiers: the benchmark's shape), the
    tables from the log equal those from the models."""
    from reciprocity import (
        FixedLifetime,
        MinSpend,
        Money,
        PointScheme,
        PointsPerAmount,
        Tier,
        TierBenefits,
        TierLadder,
        TierMultiplier,
    )

    program = Program(
        name="rich", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=(PointsPerAmount(id="base", per=Money("1.00", "EUR"),
                                                 multipliers=(TierMultiplier(),)),),
                           pending_days=30, expiry=FixedLifetime(months=3)),
        tiers=TierLadder(tiers=(
            Tier(id="bronze", name="Bronze", requires=MinSpend(amount=Money("50", "EUR")),
                 benefits=TierBenefits(points_multiplier=2)),)))
    columns = synthetic_purchases(500, members=15, seed=11)
    prepared = Prepared(columns)
    replay = prepared.replay(program, until=LATER, keep_effects=True)
    log = replay.effect_log()
    facts = prepared.facts(())
    periods = Periods(freq, program.timezone)
    ours = build_tables(program, (), facts, {}, periods, log)
    theirs = reference.build_tables(program, [e[0](*e[1:]) for e in log], facts, {}, periods)
    assert {e[0](*e[1:]).type for e in log} >= {"points_earned", "points_released",
                                                   "points_expired", "tier_changed"}
    for mine, old in zip(ours[:3], theirs[:3], strict=True):
        _same(mine, old)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(-10**6, 10**6), max_size=40),
       st.decimals(min_value=0, max_value=100, places=4, allow_nan=False),
       st.sampled_from(["EUR", "JPY", "BHD"]))
def test_liabilities_worked_out_once_per_points(points: list[int], rate: Any,
                                                currency: str) -> None:
    """The members table's liabilities, worked out once per distinct points, are each
    member's ``Money(rate * points).quantize()`` amount, value for value and type for type."""
    from reciprocity import Money
    from reciprocity.experiments.metrics import _liabilities

    ours = _liabilities(points + points[:5], rate, currency)
    theirs = [Money(rate * o, currency).quantize().amount for o in points + points[:5]]
    assert ours == theirs
    assert [str(a) for a in ours] == [str(a) for a in theirs]
