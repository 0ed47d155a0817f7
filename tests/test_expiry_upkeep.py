"""Lot expiry logs its reason's values and drops the oldest lot at once (issue 12, replay speed).

``ExpiryStage.housekeeping`` logs an expired lot as ``_build_lot_expired`` with the lot's id,
earning time, zone and rule note, so the message and its local day are made only when the
effect is read, and drops an expired lot that leads ``m.lots`` on the spot instead of through
``Member.drop_empty_lots`` after the loop. The oracle is the housekeeping as it was (below,
verbatim but for names): the message made at once, every emptied lot dropped after the
loop. On random programs of every family (units, auto-issued rewards, every expiry mode) and
random streams run past every lot's end: the same effects (models, rows and reasons read
from the log), decisions with their traces, summaries, states and refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from heapq import heappop
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import Program, Replay
from reciprocity._effect_rows import entry_reason, rows_of
from reciprocity._engine import (
    DROPPED,
    DUE_RELEASE,
    L_AT,
    L_ID,
    L_PENDING,
    L_REMAINING,
    L_SOURCE,
    Log,
    Member,
    Trace,
    lots_due_until,
)
from reciprocity._reason import Msg
from reciprocity.points.expiry import ExpiryStage
from reciprocity.points.lots import _build_expired, _build_released
from reciprocity.points.rules import local_day
from reciprocity.points.units import counted
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams

FAMILIES: dict[str, st.SearchStrategy[Program]] = {
    "points": full_programs(tiers=False, gifts=False, goodwill=False, shared=False),
    "all": full_programs(tiers=True, gifts=True, goodwill=True, shared=False),
    "shared": full_programs(shared=True),
}


def old_housekeeping(self: ExpiryStage, m: Member, until: datetime, log: Log,
                     trace: Trace) -> None:
    """The housekeeping before: each expired lot's message made at once, every lot that
    ran out dropped by ``drop_empty_lots`` after the loop."""
    note: Msg | None = None
    heap = m.lot_due
    taken = lots_due_until(m, until) if self.auto_rewards else None
    index = 0
    while True:
        if taken is None:
            if not heap or heap[0][0] > until:
                break
            when, kind, _, _, lot = heappop(heap)
            if not (lot[L_PENDING] if kind == DUE_RELEASE
                    else lot[L_REMAINING] or lot[L_PENDING] is not DROPPED):
                continue
        elif index < len(taken):
            when, kind, lot = taken[index]
            index += 1
        else:
            break
        points = lot[L_REMAINING]
        if kind == 0:
            m.pending -= points
            m.available += points
            lot[L_PENDING] = False
            if points:
                log.append(self.said((_build_released, m.member_id, when, points,
                                      lot[L_ID], None, None)))
                if self.auto_rewards:
                    self._auto_issue(m, lot[L_SOURCE], when, log, trace)
        elif points:
            lot[L_REMAINING] = 0
            m.empty_lots += 1
            if lot[L_PENDING]:
                from_pending = points
                m.pending -= points
            else:
                from_pending = 0
                m.available -= points
            m.expired += points
            if note is None:
                note = self._expiry_note()
            log.append(self.said((_build_expired, m.member_id, when, points, lot[L_ID],
                                  Msg("reason.expired.lot", {
                                      "n": points, "date": local_day(lot[L_AT], self.zone),
                                      "rule": note}), from_pending)))
            if trace is not None:
                trace.append(("expiry", "applied", f"{counted(points, self.unit)} of lot "
                              f"{lot[L_ID]} expired"))
    if m.empty_lots:
        m.drop_empty_lots()
    if self.inactivity is not None and m.last_activity is not None:
        when = self.inactivity.due(m.last_activity, self.zone)
        if when <= until and (m.available or m.pending):
            self._expire_all(m, when, log, trace)


@contextmanager
def old_expiry() -> Iterator[None]:
    kept = ExpiryStage.housekeeping
    ExpiryStage.housekeeping = old_housekeeping  # type: ignore[method-assign]
    try:
        yield
    finally:
        ExpiryStage.housekeeping = kept  # type: ignore[method-assign]


def _log_view(log: Log) -> list[tuple[Any, ...]]:
    """Each logged effect's type, row fields and English reason, read from the log (as
    ``simulate``'s tables read it), and its model."""
    memo: dict[Any, Any] = {}
    view = []
    for entry, (kind, fields, _, _) in zip(log, rows_of(log), strict=True):
        model = entry[0](*entry[1:])
        reason = entry_reason(entry, memo)
        assert reason == model.reason
        view.append((kind, {k: v for k, v in fields.items() if k not in {
            "reason", "reason_key", "reason_args"}}, reason, model))
    return view


def outcome(replay: Replay) -> dict[str, Any]:
    return {
        "log": _log_view(replay.effect_log()),
        "summary": replay.summary(),
        "states": {mid: state.model_dump_json() for mid, state in replay.states.items()},
        "shared": replay.shared,
        "rejected": [(eid, type(error), str(error)) for eid, error in replay.rejected],
    }


def decisions(replay: Replay) -> list[Any]:
    return [(d.effects, d.trace, d.state.model_dump_json()) for d in replay]


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(family=st.sampled_from(sorted(FAMILIES)), data=st.data())
def test_expiry_decides_as_before(family: str, data: st.DataObject) -> None:
    """Same effects (rows and reasons from the log too), traces, states and refusals."""
    program = data.draw(FAMILIES[family])
    events = data.draw(shop_streams(3, program=program, max_events_per_member=12))
    until = data.draw(st.sampled_from((None, DEFAULT_END + timedelta(days=900))))

    def replay() -> Replay:
        return program.replay(events, errors="skip", until=until, keep_effects=True)

    with old_expiry():
        expected, expected_decisions = outcome(replay()), decisions(replay())
    assert outcome(replay()) == expected
    assert decisions(replay()) == expected_decisions


def test_an_expired_leading_lot_goes_at_once() -> None:
    """The oldest lot expires and leaves ``m.lots`` in the same step; a later lot stays."""
    from reciprocity import FixedLifetime, PointScheme, PointsPerPurchase, Purchase
    from reciprocity.money import Money

    program = Program(name="t", version="1", currency="EUR", timezone="Europe/Berlin",
                      points=PointScheme(earn=(PointsPerPurchase(id="p", points=1),),
                                         expiry=FixedLifetime(days=10)))
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    events = [Purchase(id=f"o{n}", member_id="m", at=t0 + timedelta(days=5 * n),
                       amount=Money("10.00", "EUR")) for n in range(3)]
    states = program.replay(events, until=t0 + timedelta(days=12)).states
    assert [lot.id for lot in states["m"].lots] == ["o1/p", "o2/p"]
    assert states["m"].points_expired == 1


def _stage(units: bool) -> ExpiryStage:
    from reciprocity import FixedLifetime, PointScheme, PointsPerPurchase
    from reciprocity.points.units import UnitWords

    scheme = PointScheme(earn=(PointsPerPurchase(id="p", points=1),), pending_days=3,
                         expiry=FixedLifetime(months=6),
                         unit={"en": UnitWords(one="mile", other="miles")} if units else {})
    program = Program(name="t", version="1", currency="EUR", timezone="Europe/Berlin",
                      points=scheme)
    return program._pipeline.points


_T0 = datetime(2026, 3, 1, tzinfo=UTC)
_LOTS = st.lists(st.tuples(
    st.integers(0, 24 * 90),                      # earned, hours after _T0
    st.integers(0, 4),                            # points (0: a lot that ran out)
    st.booleans(),                                # pending
    st.none() | st.integers(1, 24 * 20),          # released, hours after earned
    st.none() | st.integers(-24 * 30, 24 * 120),  # expires, hours after earned (any order)
), max_size=25)


@settings(max_examples=300, deadline=None, database=None)
@given(lots=_LOTS, untils=st.lists(st.integers(0, 24 * 240), max_size=6).map(sorted),
       units=st.booleans(), trace=st.booleans())
def test_any_lots_expire_as_before(lots: list[tuple[Any, ...]], untils: list[int],
                                   units: bool, trace: bool) -> None:
    """Lots whose expiry is in any order against their earning order (a state saved under
    another lifetime, ties broken by lot id): the same lots kept, balances, due times,
    effects and trace after every housekeeping run."""
    stage = _stage(units)
    members = Member("m-1", "EUR"), Member("m-1", "EUR")
    for n, (hours, points, pending, release, expiry) in enumerate(lots):
        at = _T0 + timedelta(hours=hours)
        for m in members:  # a lot, in L_* order
            m.add_lot([f"o{n:02d}/p", "p", f"o{n:02d}", at, points, points, pending,
                       None if not pending or release is None else at + timedelta(hours=release),
                       None if expiry is None else at + timedelta(hours=expiry)])
    for m in members:
        m.drop_empty_lots()
    for hours in untils:
        until = _T0 + timedelta(hours=hours)
        seen = []
        for m, run in zip(members, (ExpiryStage.housekeeping, old_housekeeping), strict=True):
            log: Log = []
            notes: list[Any] | None = [] if trace else None
            run(stage, m, until, log, notes)
            seen.append((
                [(lot[L_ID], lot[L_REMAINING], lot[L_PENDING]) for lot in m.lots],
                m.available, m.pending, m.expired, m.empty_lots, stage.next_due(m),
                [entry[0](*entry[1:]) for entry in log], [entry_reason(e) for e in log],
                None if notes is None else [(r, o, str(d)) for r, o, d in notes]))
        assert seen[0] == seen[1]
