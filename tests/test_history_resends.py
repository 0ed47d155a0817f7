"""An order sent again to a program with a ``History`` never earns twice.

A bounded state forgets an order's applied event id after the event horizon but keeps its
record for the longer order window. A purchase under that id in between is refused
(``event-id-conflict``): it cannot be told from the order (the fingerprint is gone), and
applying it would earn for the order twice and overwrite its record (issue 12's bug: the
record's returns and points were reset in place). An identical re-delivery is older than the
horizon and refused (``event-too-old``). Once the order has folded, the state knows nothing
of it: recognising a re-delivery then is the ledger's work (the store keeps every event id).

The property test sends orders again, unchanged, re-stamped or with another amount, on random
streams, against the same program without ``History``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    EventConflict,
    EventTooOld,
    History,
    MemberState,
    Money,
    OrderFolded,
    Program,
    Purchase,
    RefusedEvent,
    Return,
    SharedState,
    seed_program,
)
from reciprocity.testing import full_programs, member_streams
from test_history import (
    STATE_ONLY,
    assert_gifts_folded,
    assert_tier_folded,
    roundtrip,
    with_history,
)

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
PROGRAM = with_history(seed_program(), History(return_days=30, event_days=14))


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def buy(order_id: str, days: float, amount: str = "60.00") -> Purchase:
    return Purchase(id=order_id, member_id="m", at=T0 + timedelta(days=days),
                    amount=eur(amount))


def forgotten_but_kept() -> MemberState:
    """Order A-1 (60.00 EUR, 20.00 of it returned), then a later order: A-1's event id is
    past the 14-day horizon, its record inside the 45-day order window."""
    state = PROGRAM.apply(None, buy("A-1", 0)).state
    state = PROGRAM.apply(state, Return(id="R-1", member_id="m", at=T0 + timedelta(days=1),
                                        purchase_id="A-1", amount=eur("20.00"))).state
    state = PROGRAM.apply(state, buy("A-2", 20)).state
    assert state.applied_event_ids == ("A-2",)
    assert [p.id for p in state.purchases] == ["A-1", "A-2"]
    return state


def test_the_windows_of_the_case() -> None:
    """The horizon forgets ids long before the order window folds their records."""
    assert PROGRAM.history_window() == (45, 14)


@pytest.mark.parametrize("resent", [buy("A-1", 20), buy("A-1", 20, "70.00"),
                                    buy("A-1", 0, "70.00").model_copy(
                                        update={"at": T0 + timedelta(days=19)})])
def test_a_kept_order_sent_again_under_its_forgotten_id_is_refused(resent: Purchase) -> None:
    """Re-stamped or changed, it is an id conflict, and nothing changes: it used to earn
    again, count a third order with two records and reset the kept record's return."""
    state = forgotten_but_kept()
    with pytest.raises(EventConflict, match=r"Purchase\.id='A-1'.*keeps order 'A-1'") as caught:
        PROGRAM.apply(state, resent)
    assert caught.value.code == "event-id-conflict"
    assert caught.value.event_id == "A-1"
    assert caught.value.hint is not None
    assert "purchase_id='A-1'" in caught.value.hint
    assert state.purchases[0].returned == eur("20.00").amount
    assert state.purchase_count == 2
    assert state.available_points == 1


def test_an_identical_redelivery_is_too_old_and_says_the_order_is_kept() -> None:
    state = forgotten_but_kept()
    with pytest.raises(EventTooOld, match="order 'A-1' is still kept: it was applied before"):
        PROGRAM.apply(state, buy("A-1", 0))


def test_a_new_order_id_is_still_taken() -> None:
    state = forgotten_but_kept()
    decision = PROGRAM.apply(state, buy("A-3", 20))
    assert decision.state.purchase_count == 3
    assert [e.type for e in decision.effects] == ["points_earned"]


def test_replay_refuses_the_resend_as_apply_does() -> None:
    events = [buy("A-1", 0), buy("A-2", 20), buy("A-1", 21)]
    replay = PROGRAM.replay(events, errors="skip")
    assert [(eid, type(error)) for eid, error in replay.rejected] == [("A-1", EventConflict)]
    assert replay.states["m"].purchase_count == 2
    with pytest.raises(EventConflict):
        PROGRAM.replay(events).states  # noqa: B018


# -- the property -------------------------------------------------------------------------

@st.composite
def resend_cases(draw: st.DrawFn) -> tuple[Program, Program, list[Any]]:
    """A program with a short horizon and its twin without ``History``; a member's stream
    with some of its orders sent again later, unchanged, re-stamped at a later event's
    time, or re-stamped with another amount."""
    base = draw(full_programs())
    history = History(return_days=draw(st.integers(0, 60)),
                      complaint_days=draw(st.none() | st.integers(0, 90)),
                      event_days=draw(st.integers(1, 30)))
    events: list[Any] = draw(member_streams(program=base, max_size=25))
    orders = [n for n, event in enumerate(events) if isinstance(event, Purchase)]
    resends: list[tuple[int, Any]] = []
    for _ in range(draw(st.integers(1, 4)) if orders else 0):
        first = draw(st.sampled_from(orders))
        later = draw(st.integers(first, len(events) - 1))
        event = events[first]
        how = draw(st.sampled_from(["same", "restamped", "changed"]))
        if how != "same":
            update: dict[str, Any] = {"at": events[later].at}
            if how == "changed":
                update["amount"] = event.amount + Money("1.00", event.amount.currency)
                update["lines"] = ()
            event = event.model_copy(update=update)
        resends.append((later + 1, event))
    for position, event in sorted(resends, key=lambda item: -item[0]):
        events.insert(position, event)
    return with_history(base, history), with_history(base, None), events


def _outcome(program: Program, state: MemberState | None, event: Any,
             shared: SharedState | None) -> tuple[Any, Any]:
    try:
        return program.apply(state, event, shared=shared), None
    except RefusedEvent as exc:
        return None, exc


def _knows(state: MemberState | None, event_id: str) -> bool:
    """Whether a bounded state still holds the event's id or its order's record."""
    return state is not None and (event_id in state.applied_event_ids
                                  or any(p.id == event_id for p in state.purchases))


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(resend_cases())
def test_a_resent_order_never_earns_twice(case: tuple[Program, Program, list[Any]]) -> None:
    """Every resend the bounded state can still recognise is a duplicate or a typed refusal,
    never a change; wherever both programs take an event they decide it alike, and every
    record the bounded state keeps is the keeping twin's."""
    bounded, keeping, events = case
    fstate: MemberState | None = None
    kstate: MemberState | None = None
    fshared: SharedState | None = None
    kshared: SharedState | None = None
    seen: set[str] = set()
    for event in events:
        resend = event.id in seen
        if resend and not _knows(fstate, event.id):
            continue  # folded and forgotten: the ledger's unique event ids refuse it
        fdecision, ferror = _outcome(bounded, fstate, event, fshared)
        if resend:
            assert fdecision is None or (fdecision.effects == ()
                                         and fdecision.trace[0].outcome == "duplicate"
                                         and fdecision.state == fstate), event
            assert ferror is None or isinstance(ferror, EventConflict | EventTooOld), ferror
        if isinstance(ferror, OrderFolded | EventTooOld):
            continue  # what folding may refuse that the keeping twin takes
        kdecision, kerror = _outcome(keeping, kstate, event, kshared)
        assert type(ferror) is type(kerror), (ferror, kerror)
        if fdecision is None or kdecision is None:
            continue
        seen.add(event.id)
        assert fdecision.effects == kdecision.effects
        assert [t.outcome for t in fdecision.trace] == [t.outcome for t in kdecision.trace]
        fstate, kstate = roundtrip(fdecision.state), kdecision.state
        fshared, kshared = fdecision.shared, kdecision.shared
        assert fstate.model_dump(exclude=STATE_ONLY | {"gifts", "tier"}) == \
            kstate.model_dump(exclude=STATE_ONLY | {"gifts", "tier"})
        assert_tier_folded(fstate, kstate)
        assert_gifts_folded(fstate, kstate, bounded)
        records = {p.id: p for p in kstate.purchases}
        assert all(records[p.id] == p for p in fstate.purchases)
        folded = 0 if fstate.folded is None else fstate.folded.count
        assert len(fstate.purchases) + folded == fstate.purchase_count
