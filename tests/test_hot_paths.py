"""The engine's fast paths agree with the slow ones they replace (issue 12, speed).

- A lot's due times are kept in a heap (``Member.lot_due``); the next one found from its top
  equals a walk over every lot, after every event and every advance of random streams.
- A purchase with its optional fields at their defaults is fingerprinted from a template;
  the fingerprint equals the canonical one, with and without optional fields.
- ``construct`` builds what ``model_construct`` builds (values, field order, fields set).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    Decision,
    FixedLifetime,
    Line,
    MemberState,
    Money,
    PointScheme,
    PointsEarned,
    PointsPerPurchase,
    Program,
    Purchase,
    RefusedEvent,
    SharedState,
    TraceEntry,
)
from reciprocity._engine import L_AVAILABLE_AT, L_EXPIRES, L_PENDING, Member, lots_due
from reciprocity._fingerprint import canonical, event_fingerprint, row_fingerprint
from reciprocity._trusted import construct
from reciprocity.testing import full_programs, member_streams

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def walk_lots(m: Member) -> datetime | None:
    """The next release or expiry, by walking every lot (what the heap replaces)."""
    due: datetime | None = None
    for lot in m.lots:
        for when in ((lot[L_AVAILABLE_AT], lot[L_EXPIRES]) if lot[L_PENDING]
                     else (lot[L_EXPIRES],)):
            if when is not None and (due is None or when < due):
                due = when
    return due


def _lot_programs() -> st.SearchStrategy[Program]:
    """Programs whose points live in lots (pending days or an expiry) most of the time."""
    return full_programs(shared=False).filter(
        lambda p: p.points.pending_days > 0 or p.points.expiry is not None)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_due_heap_agrees_with_a_walk_over_every_lot(data: st.DataObject) -> None:
    """After every step of one hot member (and after an advance past the end), the next
    release or expiry from the heap is the one a walk over every lot finds."""
    program = data.draw(_lot_programs())
    events = data.draw(member_streams(program=program, max_size=25))
    pipeline = program._pipeline
    state: MemberState | None = None
    shared: SharedState | None = None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        state, shared = decision.state, decision.shared
        m = pipeline.thaw(state)  # the heap as thawed from the saved lots
        assert lots_due(m) == walk_lots(m)
        m = pipeline.thaw(state)
        pipeline.step(m, _next_purchase(event.member_id, state), [], None)
        assert lots_due(m) == walk_lots(m)  # the heap as a step leaves it
    if state is not None and state.as_of is not None:
        for days in (10, 40, 200, 800):
            m = pipeline.thaw(state)
            pipeline.due(m, state.as_of + timedelta(days=days), [], None)
            assert lots_due(m) == walk_lots(m)


def _next_purchase(member_id: str, state: MemberState) -> tuple[Any, ...]:
    assert state.as_of is not None
    return Purchase(id=f"{member_id}-next", member_id=member_id,
                    at=state.as_of + timedelta(days=3),
                    amount=Money("80.00", state.currency))._row()


def test_due_heap_skips_spent_and_released_lots() -> None:
    """Lots that were redeemed away or released leave stale entries; the next due time is
    still the walk's (an example with pending points and an expiry)."""
    program = Program(
        name="lots", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=[PointsPerPurchase(id="p", points=5)], pending_days=14,
                           expiry=FixedLifetime(months=6)))
    state = None
    for i in range(6):
        state = program.apply(state, Purchase(
            id=f"A-{i}", member_id="m-1", at=T0 + timedelta(days=20 * i),
            amount=Money("10.00", "EUR"))).state
    assert state is not None
    m = program._pipeline.thaw(state)
    assert lots_due(m) == walk_lots(m) is not None
    later = program.advance(state, T0 + timedelta(days=150)).state
    m = program._pipeline.thaw(later)
    assert lots_due(m) == walk_lots(m)
    assert program.next_due(later) == walk_lots(m)


_IDS = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=10)


@settings(max_examples=60, deadline=None, database=None)
@given(eid=_IDS, cents=st.integers(0, 10**7), channel=st.none() | _IDS,
       note=st.none() | _IDS, lines=st.integers(0, 2))
def test_purchase_fingerprint_fast_path(eid: str, cents: int, channel: str | None,
                                        note: str | None, lines: int) -> None:
    """A purchase's row fingerprint equals the canonical one, whichever optional fields it
    carries (the template serves only purchases with none)."""
    amount = Money(Decimal(cents).scaleb(-2), "EUR")
    purchase = Purchase(
        id=eid, member_id="m-1", at=T0, amount=amount * lines if lines else amount,
        channel=channel, metadata={} if note is None else {"note": note},
        lines=tuple(Line(sku=f"S{i}", quantity=1, unit_price=amount) for i in range(lines)))
    assert row_fingerprint(purchase._row(), "EUR") == event_fingerprint(purchase)
    assert event_fingerprint(purchase) == event_fingerprint(
        Purchase.model_validate_json(purchase.model_dump_json()))
    assert canonical(purchase)["channel"] == channel


def test_construct_is_model_construct() -> None:
    """Values, their order and the fields set equal ``model_construct``'s."""
    kwargs: dict[str, Any] = dict(rule_id="r", reason="1 point", member_id="m-1",
                                  event_id="A-1", at=T0, points=1, lot_id=None,
                                  status="available", available_at=None, expires_at=None)
    for cls, values in ((PointsEarned, kwargs),
                        (TraceEntry, dict(rule_id="r", outcome="note", detail="d")),
                        (Decision, dict(state=MemberState.new("m-1", currency="EUR")))):
        fast, slow = construct(cls, **values), cls.model_construct(**values)
        assert fast == slow
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.model_dump_json() == slow.model_dump_json()
