"""A replay keeps its effects only when asked (issue 12, replay memory).

By default a pass that ``effects()`` does not start drops its effects as it goes, and a later
``effects()`` replays the same input once more; ``keep_effects=True`` keeps them during any
pass. Whichever way they are produced, the effects, the summary, the states and the refused
events are the same, for every family and for programs with program-wide state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    FixedLifetime,
    PointScheme,
    PointsPerPurchase,
    Program,
    Replay,
    seed_program,
    synthetic_purchases,
)
from reciprocity.replay import LOG_SPAN
from reciprocity.testing import full_programs, shop_streams

FAMILIES: dict[str, st.SearchStrategy[Program]] = {
    "points": full_programs(tiers=False, gifts=False, goodwill=False, shared=False),
    "tiers": full_programs(tiers=True, gifts=False, goodwill=False, shared=False),
    "gifts": full_programs(tiers=False, gifts=True, goodwill=False, shared=False),
    "goodwill": full_programs(tiers=False, gifts=False, goodwill=True, shared=False),
    "all": full_programs(tiers=True, gifts=True, goodwill=True, shared=False),
    "shared": full_programs(shared=True),
}


def outcome(replay: Replay) -> dict[str, Any]:
    """Everything a caller reads from a replay but its effects."""
    return {
        "summary": replay.summary(),
        "states": replay.states,
        "shared": replay.shared,
        "rejected": [(eid, type(error), str(error)) for eid, error in replay.rejected],
    }


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(family=st.sampled_from(sorted(FAMILIES)), data=st.data())
def test_effects_and_summaries_are_the_same_kept_or_replayed_again(
        family: str, data: st.DataObject) -> None:
    program = data.draw(FAMILIES[family])
    events = data.draw(shop_streams(3, program=program, max_events_per_member=8))
    until = data.draw(st.none() | st.just(events[-1].at + timedelta(days=400)
                                          if events else datetime(2027, 1, 1, tzinfo=UTC)))

    def replay(**options: Any) -> Replay:
        return program.replay(events, errors="skip", until=until, **options)

    kept = replay(keep_effects=True)
    reference = outcome(kept)
    expected = list(kept.effects())

    later = replay()  # the pass keeps nothing; effects() replays the events again
    assert outcome(later) == reference
    assert list(later.effects()) == expected
    assert list(later.effects()) == expected  # read twice: the second from the kept log

    first = replay()  # effects() starts the pass, which keeps them
    assert list(first.effects()) == expected
    assert outcome(first) == reference

    iterated = replay()  # every decision's effects (then those of ``until``), then the replay's
    decided = [effect for decision in iterated for effect in decision.effects]
    assert decided == expected[:len(decided)]
    assert list(iterated.effects()) == expected
    assert outcome(iterated) == reference


def expiring_program() -> Program:
    """Points pending 14 days and expiring after 6 months: releases and expiries fire between
    purchases, so the log holds more than one effect per event."""
    seed = seed_program()
    return Program.model_validate({**seed.model_dump(), "points": PointScheme(
        earn=(PointsPerPurchase(id="per-order", points=2),),
        rewards=seed.points.rewards, pending_days=14, expiry=FixedLifetime(months=6))})


def test_columns_are_read_again_for_effects_after_a_long_pass() -> None:
    """More effects than one span of the log: the pass empties it as it goes and holds none
    at the end; the columns are read again, and yield what a pass that kept them yields."""
    program = expiring_program()
    columns = synthetic_purchases(3 * LOG_SPAN, members=40, seed=7, days=400)
    until = datetime(2027, 1, 1, tzinfo=UTC)
    kept = program.replay(columns, until=until, keep_effects=True)
    expected = list(kept.effects())
    assert len(expected) > 3 * LOG_SPAN  # earned, released and expired points

    later = program.replay(columns, until=until)
    assert later.summary() == kept.summary()
    assert later._log == []  # nothing kept: the memory of the pass is its members'
    assert list(later.effects()) == expected
    assert later.states == kept.states


def test_an_iterable_that_cannot_be_read_again_keeps_its_effects() -> None:
    """Rows from a generator cannot be replayed: such a replay keeps every effect."""
    program = seed_program()
    rows = list(synthetic_purchases(50, members=5, seed=3)._rows())
    kept = Replay(program, rows, {}, None, None, False, keep_effects=True)
    expected = list(kept.effects())
    assert expected  # some orders are over 50.00 EUR
    once = Replay(program, iter(rows), {}, None, None, False)
    assert once.summary() == kept.summary()
    assert list(once.effects()) == expected


def test_keep_effects_reads_summary_then_effects_in_one_pass() -> None:
    """With ``keep_effects=True`` the effects are there after ``summary()`` without a
    second pass (the input is not read again)."""
    program = seed_program()
    columns = synthetic_purchases(200, members=10, seed=5)
    replay = program.replay(columns, keep_effects=True)
    replay.summary()
    replay._again = None  # a second pass would fail now
    assert len(list(replay.effects())) == replay.summary().points_earned
