"""One pass over the loaded events for every program: ``compare`` and the redemption model
replay rows prepared once (``reciprocity.experiments.prepared``), with the same results as
replaying the events program by program."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    CurrencyMismatch,
    Event,
    Money,
    Program,
    Purchase,
    Redemption,
    RedemptionModel,
    compare,
    seed_program,
    simulate,
    synthetic_purchases,
)
from reciprocity.experiments.prepared import Prepared
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams

SOME = settings(deadline=None, max_examples=25)
LATER = DEFAULT_END + timedelta(days=1)


def _tables(result: Any) -> dict[str, Any]:
    return {name: list(table.rows()) for name, table in result.tables().items()}


def _effects(replay: Any) -> list[str]:
    return [e.model_dump_json() for e in replay.effects()]


@st.composite
def two_programs_and_shop(draw: st.DrawFn) -> tuple[Program, Program, list[Event]]:
    a = draw(full_programs(currency="EUR"))
    b = draw(full_programs(currency="EUR"))
    rewards = a.points.rewards if a.points is not None else None
    events = draw(shop_streams(rewards=rewards or None, program=a, currency="EUR"))
    return a, b, events


class TestPreparedReplay:
    @SOME
    @given(two_programs_and_shop(), st.randoms(use_true_random=False))
    def test_equals_program_replay(self, case: tuple[Program, Program, list[Event]],
                                   rng: random.Random) -> None:
        """Each program's replay over the shared rows equals its own replay of the events
        (in any input order), effects, states, refusals and summary alike."""
        a, b, events = case
        shuffled = list(events)
        rng.shuffle(shuffled)
        prepared = Prepared(shuffled)
        for program in (a, b):
            ours = prepared.replay(program, until=LATER, errors="skip")
            theirs = program.replay(shuffled, until=LATER, errors="skip")
            assert _effects(ours) == _effects(theirs)
            assert ours.summary() == theirs.summary()
            assert ours.states == theirs.states
            assert [eid for eid, _ in ours.rejected] == [eid for eid, _ in theirs.rejected]

    @SOME
    @given(shop_streams(3, max_events_per_member=8, kinds=("purchase", "return")),
           st.integers(1, 4))
    def test_extra_events_merge_like_a_sorted_concatenation(self, events: list[Event],
                                                            count: int) -> None:
        """Redemptions added to the prepared rows land where sorting the whole list puts
        them, ties included."""
        program = seed_program()
        times = [e.at for e in events] or [datetime(2026, 1, 1, tzinfo=UTC)]
        extra = [Redemption(id=f"sim-{i}", member_id="m-1", at=times[i % len(times)],
                            reward_id="voucher-10") for i in range(count)]
        ours = Prepared(events).replay(program, until=LATER, errors="skip", extra=extra)
        theirs = program.replay([*events, *extra], until=LATER, errors="skip")
        assert _effects(ours) == _effects(theirs)
        assert [eid for eid, _ in ours.rejected] == [eid for eid, _ in theirs.rejected]

    def test_checks_run_per_program(self) -> None:
        """The edge checks depend on the program: a EUR history is refused by a GBP
        program, naming the event's position, though the rows were prepared once."""
        at = datetime(2026, 1, 2, tzinfo=UTC)
        prepared = Prepared([Purchase(id="A", member_id="m", at=at,
                                      amount=Money("60.00", "EUR"))])
        assert prepared.replay(seed_program()).summary().points_earned == 1
        with pytest.raises(CurrencyMismatch, match="event #0"):
            prepared.replay(seed_program(currency="GBP"))

    def test_rows_and_facts_are_made_once(self) -> None:
        """The sorted rows are one list for every replay; the applied orders are worked
        out once per set of refused events."""
        at = datetime(2026, 1, 2, tzinfo=UTC)
        prepared = Prepared([Purchase(id=f"A-{i}", member_id="m", at=at - timedelta(days=i),
                                      amount=Money("60.00", "EUR")) for i in range(3)])
        assert prepared.rows() is prepared.rows()
        assert [row[1] for row in prepared.rows()] == ["A-2", "A-1", "A-0"]
        assert prepared.facts(()) is prepared.facts([])
        assert len(prepared.facts(["A-1"])) == 2


class TestCompareSharesOnePass:
    @settings(deadline=None, max_examples=15)
    @given(two_programs_and_shop())
    def test_compare_equals_separate_simulations(
            self, case: tuple[Program, Program, list[Event]]) -> None:
        """Every program's simulation inside ``compare`` equals ``simulate`` on its own."""
        a, b, events = case
        comparison = compare({"a": a, "b": b}, events, errors="skip", until=LATER)
        for name, program in (("a", a), ("b", b)):
            alone = simulate(program, events, errors="skip", until=LATER)
            assert _tables(comparison.results[name]) == _tables(alone)
            assert comparison.results[name].totals == alone.totals

    def test_with_a_redemption_model_and_columns(self) -> None:
        """Columns and a redemption model: compare's runs equal separate simulations."""
        columns = synthetic_purchases(400, members=20, seed=5)
        rewarded = seed_program()
        model = RedemptionModel(probability=Decimal("0.8"), breakage=Decimal("0.1"), seed=2)
        comparison = compare({"a": rewarded, "b": rewarded}, columns, redemption=model)
        alone = simulate(rewarded, columns, redemption=model)
        assert alone.totals.points_redeemed > 0
        for name in ("a", "b"):
            assert _tables(comparison.results[name]) == _tables(alone)
        assert all(not value for value in comparison.totals["b - a"])
