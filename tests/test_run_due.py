"""The time loop keeps each stage's next due time instead of asking again (issue 12, replay
speed).

``reciprocity._stage.run_due`` asks every stage for its next due time once, and after a
firing asks only the stage that fired, unless the firing scheduled something (then every
stage). The oracle is the loop as it was, asking every stage at every turn and again at the
end. On random programs of every family (with and without program-wide state) and random
streams, with ``until`` firing what is left: the same effects, summaries, states and
refusals; and after every run the member's next due time is exactly the earliest one the
stages report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reciprocity._pipeline as pipeline_module
from reciprocity import MemberState, Program, ReciprocityError, Replay
from reciprocity._engine import Log, Member, Trace
from reciprocity._pipeline import Pipeline
from reciprocity._stage import NEVER, Kept, Stage, run_due
from reciprocity.testing import full_programs, shop_streams

FAMILIES: dict[str, st.SearchStrategy[Program]] = {
    "points": full_programs(tiers=False, gifts=False, goodwill=False, shared=False),
    "tiers": full_programs(tiers=True, gifts=False, goodwill=False, shared=False),
    "gifts": full_programs(tiers=False, gifts=True, goodwill=False, shared=False),
    "all": full_programs(tiers=True, gifts=True, goodwill=True, shared=False),
    "shared": full_programs(shared=True),
}


def asking_every_time(stages: tuple[Stage, ...], m: Member, until: datetime, log: Log,
                      trace: Trace, kept: Kept | None = None) -> None:
    """``run_due`` as it was: every stage asked at every turn, and again at the end (it
    takes no kept times, and leaves none for the replay to hand back)."""
    while True:
        earliest: datetime | None = None
        chosen: Stage | None = None
        for stage in stages:
            due = stage.next_due(m)
            if due is not None and due <= until and (earliest is None or due < earliest):
                earliest, chosen = due, stage
        if chosen is None or earliest is None:
            break
        chosen.housekeeping(m, earliest, log, trace)
        after = chosen.next_due(m)
        if after is not None and after <= earliest:
            raise RuntimeError(f"stage {chosen.name!r} did not move past {earliest}")
    m.next_due = None
    for stage in stages:
        m.schedule(stage.next_due(m))


def asked(stages: tuple[Stage, ...], m: Member) -> Kept:
    """Every stage's next due time asked now, and its key (in UTC, or ``NEVER``)."""
    dues = [stage.next_due(m) for stage in stages]
    return dues, [NEVER if due is None else due.astimezone(UTC) for due in dues]


def checked(stages: tuple[Stage, ...], m: Member, until: datetime, log: Log,
            trace: Trace, kept: Kept | None = None) -> Kept:
    """``run_due``, then: the next due time it leaves is what every stage says now; the
    stages' times handed in (a replay's kept times) are what they say before, and the
    times it returns what they say after."""
    if kept is not None:
        assert kept == asked(stages, m)
    left = run_due(stages, m, until, log, trace, kept)
    times = [due.astimezone(UTC) for due in (stage.next_due(m) for stage in stages)
             if due is not None]
    assert m.next_due == (min(times) if times else None)
    assert m.next_due is None or m.next_due > until
    assert left == asked(stages, m)
    return left


@contextmanager
def loop(runner: Any) -> Iterator[None]:
    """Let the pipeline fire due effects with ``runner`` (it looks ``run_due`` up per call);
    with :func:`checked`, every ``Pipeline.reschedule`` is checked too."""
    kept = pipeline_module.run_due
    reschedule = Pipeline.reschedule

    def checked_reschedule(pipeline: Pipeline, m: Member, kept: Kept | None = None) -> Kept:
        left = reschedule(pipeline, m, kept)
        times = [due for due in asked(pipeline.timed, m)[1] if due != NEVER]
        assert m.next_due == (min(times) if times else None)
        assert left == asked(pipeline.timed, m)
        return left

    pipeline_module.run_due = runner
    if runner is checked:
        Pipeline.reschedule = checked_reschedule  # type: ignore[method-assign]
    try:
        yield
    finally:
        pipeline_module.run_due = kept
        Pipeline.reschedule = reschedule  # type: ignore[method-assign]


def outcome(replay: Replay) -> dict[str, Any]:
    return {
        "effects": list(replay.effects()),
        "summary": replay.summary(),
        "states": replay.states,
        "shared": replay.shared,
        "rejected": [(eid, type(error), str(error)) for eid, error in replay.rejected],
    }


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(family=st.sampled_from(sorted(FAMILIES)), data=st.data())
def test_kept_due_times_decide_as_asking_every_time(family: str, data: st.DataObject) -> None:
    """Same effects, summaries, states and refusals; exact next due times after each run."""
    program = data.draw(FAMILIES[family])
    events = data.draw(shop_streams(3, program=program, max_events_per_member=10))
    until = data.draw(st.none() | st.just(events[-1].at + timedelta(days=500)
                                          if events else datetime(2027, 1, 1, tzinfo=UTC)))

    def replay() -> Replay:
        return program.replay(events, errors="skip", until=until, keep_effects=True)

    with loop(asking_every_time):
        expected = outcome(replay())
    with loop(checked):
        assert outcome(replay()) == expected
    # apply and advance, one event at a time, take the same loop
    with loop(checked):
        states: dict[str, MemberState | None] = {}
        shared = None
        for event in events:
            try:
                decision = program.apply(states.get(event.member_id), event, shared=shared)
            except ReciprocityError:
                continue  # a refusal changes nothing
            states[event.member_id], shared = decision.state, decision.shared
        if until is not None:
            for state in states.values():
                assert state is not None
                shared = program.advance(state, until, shared=shared).shared
