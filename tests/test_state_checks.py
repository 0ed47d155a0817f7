"""Saved states are checked on load; an event id is an idempotency key; ``revision`` counts
changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Approval,
    Complaint,
    Custom,
    EventConflict,
    FixedLifetime,
    GoodwillPolicy,
    GoodwillRule,
    InvalidState,
    Line,
    MemberState,
    Money,
    PointScheme,
    PointsPerAmount,
    ProfileUpdate,
    Program,
    Purchase,
    PurchaseColumns,
    ReciprocityError,
    Redemption,
    RefundShare,
    RefusedEvent,
    Return,
    Reward,
    SignUp,
)
from reciprocity._fastpath import LINE_NAMES, ROW_NAMES
from reciprocity.testing import full_programs, member_streams

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 12, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


PROGRAM = Program(name="T", currency="EUR", timezone="Europe/Berlin", points=PointScheme(
    earn=[PointsPerAmount(id="base", per=eur("1.00"))], pending_days=14,
    expiry=FixedLifetime(months=12),
    rewards=[Reward(id="v", name="voucher", points=10, value=eur("1.00"))]))

EVENTS = [
    Purchase(id="A-1", member_id="m", at=T0, amount=eur("30.00"),
             lines=(Line(sku="S", quantity=2, unit_price=eur("15.00")),)),
    Purchase(id="A-2", member_id="m", at=T0 + timedelta(days=20), amount=eur("20.00")),
    Redemption(id="R-1", member_id="m", at=T0 + timedelta(days=21), reward_id="v"),
    Return(id="X-1", member_id="m", at=T0 + timedelta(days=22), purchase_id="A-2",
           amount=eur("5.00")),
]


def saved_state() -> MemberState:
    """A state with an available and a pending lot, purchases (one with lines, one partly
    returned), a voucher and four applied events."""
    state = None
    for event in EVENTS:
        state = PROGRAM.apply(state, event).state
    assert state is not None
    return state


def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(saved_state().model_dump_json())
    return data


def _key(target: Any, part: str, field: str) -> Any:
    """``part`` of ``target``: an index, a key, or a field of a purchase record's row (or of
    its line's row, under ``lines``), named as in the object form."""
    if part.isdigit():
        return int(part)
    if isinstance(target, list):  # a row: its fields by position
        return (LINE_NAMES if field == "lines" else ROW_NAMES).index(part)
    return part


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        field = ""
        for part in parents:
            target = target[_key(target, part, field)]
            field = part if not part.isdigit() else field
        target[_key(target, last, field)] = value
    return edit


def _swap_ids(doc: dict[str, Any]) -> None:
    ids = doc["applied_event_ids"]
    ids[0], ids[1] = ids[1], ids[0]


def _repeat_id(doc: dict[str, Any]) -> None:
    doc["applied_event_ids"][1] = doc["applied_event_ids"][0]


def _duplicate_lot(doc: dict[str, Any]) -> None:
    doc["lots"][1]["id"] = doc["lots"][0]["id"]


def _duplicate_purchase(doc: dict[str, Any]) -> None:
    doc["purchases"][1][0] = doc["purchases"][0][0]  # rows: the id first


def _counter(doc: dict[str, Any]) -> None:
    doc["earn_counters"] = {"base@month@2026-03": -3}


def _drop_fingerprint(doc: dict[str, Any]) -> None:
    doc["applied_event_fingerprints"].pop()


def _voucher_valid_after_expiry(doc: dict[str, Any]) -> None:
    doc["vouchers"][0]["expires_at"] = "2026-04-01T00:00:00Z"
    doc["vouchers"][0]["valid_from"] = "2026-05-01T00:00:00Z"


BROKEN = [
    # (id, edit of the saved document, code, part of the message)
    ("negative points_earned", _set("points_earned", -1), "invalid-state",
     "points_earned=-1"),
    ("negative points_redeemed", _set("points_redeemed", -10), "invalid-state",
     "points_redeemed=-10"),
    ("negative purchase_count", _set("purchase_count", -2), "invalid-state",
     "purchase_count=-2"),
    ("negative spend", _set("spend", "-45.00"), "invalid-state", "spend='-45.00'"),
    ("negative earn counter", _counter, "invalid-state", "earn_counters"),
    ("totals do not match the lots", _set("points_earned", 51), "invalid-state",
     "points are conserved"),
    ("remaining above points", _set("lots.0.remaining", 1_000_000_000), "invalid-state",
     "lots[0].remaining=1000000000 is above the lot's points=30"),
    ("duplicate lot ids", _duplicate_lot, "invalid-state", "lots[1].id='A-1/base'"),
    ("unsorted applied ids", _swap_ids, "invalid-state",
     "applied_event_ids[1]='A-1' sorts before"),
    ("repeated applied ids", _repeat_id, "invalid-state", "applied_event_ids[1]='A-1' repeats"),
    ("spend as a JSON float", _set("spend", 45.0), "invalid-state", "is a float"),
    ("purchase with a negative amount", _set("purchases.0.amount", "-30.00"), "invalid-state",
     "purchases[0].amount"),
    ("purchase returned beyond its amount", _set("purchases.1.returned", "25.00"),
     "invalid-state", "purchases[1].returned=25.00 is above its amount=20.00"),
    ("voucher in a foreign currency", _set("vouchers.0.value.currency", "USD"),
     "invalid-state", "vouchers[0].value is in USD"),
    ("voucher valid only after it expires", _voucher_valid_after_expiry, "invalid-state",
     "vouchers[0].valid_from=2026-05-01T00:00:00+00:00 is not before its expires_at"),
    ("points as a JSON float", _set("points_revoked", 5.0), "invalid-state", "points_revoked"),
    ("points as a string", _set("lots.0.points", "30"), "invalid-state", "lots[0].points"),
    ("negative revision", _set("revision", -1), "invalid-state", "revision=-1"),
    ("duplicate purchase ids", _duplicate_purchase, "invalid-state",
     "purchases[1].id='A-1' is the id of an earlier purchase"),
    ("line returned beyond its quantity", _set("purchases.0.lines.0.returned", 3),
     "invalid-state", "purchases[0].lines[0].returned=3 is above its quantity=2"),
    ("unknown lot status", _set("lots.1.status", "frozen"), "invalid-state",
     "lots[1].status='frozen'"),
    ("fewer purchases counted than kept", _set("purchase_count", 1), "invalid-state",
     "purchase_count=1 is below the 2 purchases"),
    ("fingerprint missing", _drop_fingerprint, "invalid-state",
     "applied_event_fingerprints has 3 entries but applied_event_ids has 4"),
    ("fingerprint malformed", _set("applied_event_fingerprints.0", "not-hex"), "invalid-state",
     "applied_event_fingerprints[0]='not-hex'"),
]


class TestLoadChecks:
    def test_saved_state_loads_unchanged(self) -> None:
        """The unedited document loads, equals the state and dumps byte for byte the same."""
        state = saved_state()
        text = state.model_dump_json()
        loaded = MemberState.model_validate_json(text)
        assert loaded == state
        assert loaded.model_dump_json() == text

    @pytest.mark.parametrize(("edit", "code", "part"), [row[1:] for row in BROKEN],
                             ids=[row[0] for row in BROKEN])
    @pytest.mark.parametrize("form", ["json", "dict"])
    def test_broken_invariant_is_refused(self, edit: Callable[[dict[str, Any]], None],
                                         code: str, part: str, form: str) -> None:
        """Each broken invariant raises InvalidState naming the field, the value and a fix."""
        doc = document()
        edit(doc)
        load: Callable[[], MemberState] = (
            (lambda: MemberState.model_validate_json(json.dumps(doc))) if form == "json"
            else (lambda: MemberState.model_validate(doc)))
        with pytest.raises(InvalidState) as caught:
            load()
        error = caught.value
        assert error.code == code
        assert isinstance(error, ValueError)
        assert part in str(error)
        assert "MemberState." in str(error)
        assert "replaying the member's events" in str(error)

    def test_constructing_a_broken_state_is_refused(self) -> None:
        """Building a state in code runs the same checks."""
        with pytest.raises(InvalidState, match="points are conserved"):
            MemberState(member_id="m", currency="EUR", points_earned=3)


def _variant(event: Any) -> Any:
    """Another event of the same type under the same id."""
    return event.model_copy(update={"metadata": {"changed": True}})


def _events_of_every_type() -> list[Any]:
    at = T0 + timedelta(days=30)
    return [
        Purchase(id="E-p", member_id="m", at=at, amount=eur("12.00")),
        Return(id="E-r", member_id="m", at=at, purchase_id="A-1", amount=eur("1.00")),
        Complaint(id="E-c", member_id="m", at=at, order_id="A-1"),
        SignUp(id="E-s", member_id="m", at=at),
        ProfileUpdate(id="E-u", member_id="m", at=at, fields_completed=("phone",)),
        Redemption(id="E-d", member_id="m", at=at, reward_id="v"),
        Custom(id="E-x", member_id="m", at=at, name="delivered"),
    ]


class TestEventConflict:
    @pytest.mark.parametrize("event", _events_of_every_type(), ids=lambda e: e.type)
    def test_same_id_other_content_is_refused(self, event: Any) -> None:
        """Every event type: re-sent unchanged it is a no-op; changed, it is refused."""
        state = PROGRAM.apply(saved_state(), event).state
        again = PROGRAM.apply(state, event)
        assert again.state == state
        assert again.effects == ()
        assert again.trace[0].outcome == "duplicate"
        before = state.model_dump_json()
        with pytest.raises(EventConflict) as caught:
            PROGRAM.apply(state, _variant(event))
        assert caught.value.code == "event-id-conflict"
        assert caught.value.event_id == event.id
        assert repr(event.id) in str(caught.value)
        assert isinstance(caught.value, RefusedEvent)
        assert state.model_dump_json() == before

    def test_same_approval_id_other_content_is_refused(self) -> None:
        """An approval (which needs a complaint that waits for it): re-sent unchanged it is a
        no-op; changed, it is refused and the state is untouched."""
        rule = GoodwillRule(id="all", categories=("damaged",), approval=True,
                            compensation=RefundShare(percent=Decimal(10)))
        program = PROGRAM.model_copy(update={"goodwill": GoodwillPolicy(rules=(rule,))})
        program = Program.model_validate_json(program.model_dump_json())
        at = T0 + timedelta(days=30)
        state = saved_state()
        state = program.apply(state, Complaint(id="E-c", member_id="m", at=at, order_id="A-1",
                                               category="damaged")).state
        approval = Approval(id="E-a", member_id="m", at=at, ref_event_id="E-c",
                            approved_by="lea")
        state = program.apply(state, approval).state
        again = program.apply(state, approval)
        assert again.state == state
        assert again.trace[0].outcome == "duplicate"
        before = state.model_dump_json()
        with pytest.raises(EventConflict) as caught:
            program.apply(state, _variant(approval))
        assert caught.value.code == "event-id-conflict"
        assert state.model_dump_json() == before

    def test_return_with_a_purchase_id_is_refused(self) -> None:
        """A return that reuses its purchase's id is not silently dropped."""
        state = saved_state()
        with pytest.raises(EventConflict, match=r"Return\.id='A-1'"):
            PROGRAM.apply(state, Return(id="A-1", member_id="m", at=T0 + timedelta(days=30),
                                        purchase_id="A-1", amount=eur("1.00")))

    def test_equal_amounts_written_differently_are_one_event(self) -> None:
        """10 and 10.00 are one amount; an offset and UTC one instant."""
        state = saved_state()
        first = Purchase(id="P", member_id="m", at=T0, amount=eur("10"))
        same = Purchase(id="P", member_id="m", at=T0.astimezone(ZoneInfo("UTC")),
                        amount=eur("10.00"))
        state = PROGRAM.apply(state, first).state
        assert PROGRAM.apply(state, same).trace[0].outcome == "duplicate"

    def test_replay_refuses_a_conflict_in_the_stream(self) -> None:
        """In a replay a reused id with other content raises, or is rejected with "skip";
        the same event twice stays a duplicate."""
        conflicting = Return(id="A-1", member_id="m", at=T0 + timedelta(days=30),
                             purchase_id="A-1", amount=eur("1.00"))
        with pytest.raises(EventConflict, match="differs in"):
            PROGRAM.replay([*EVENTS, conflicting]).summary()
        skipped = PROGRAM.replay([*EVENTS, conflicting, EVENTS[1]], errors="skip")
        summary = skipped.summary()
        assert [eid for eid, _ in skipped.rejected] == ["A-1"]
        assert isinstance(skipped.rejected[0][1], EventConflict)
        assert summary.duplicates == 1
        assert skipped.states["m"] == saved_state()

    def test_replay_refuses_a_conflict_with_a_saved_state(self) -> None:
        """A replay from saved states checks ids against the saved fingerprints, and the
        iterated replay records the refusal in the trace."""
        conflicting = _variant(EVENTS[0])
        decisions = list(PROGRAM.replay([conflicting, EVENTS[0]], {"m": saved_state()},
                                        errors="skip"))
        assert decisions[0].trace[-1].outcome == "refused"
        assert "event-id-conflict" in decisions[0].trace[-1].detail
        assert decisions[1].trace[-1].outcome == "duplicate"
        with pytest.raises(EventConflict, match="fingerprint differs"):
            PROGRAM.replay([conflicting], {"m": saved_state()}).summary()

    def test_columns_and_models_fingerprint_alike(self) -> None:
        """A purchase replayed from columns and re-sent as a model is one event."""
        at = T0.astimezone(ZoneInfo("UTC"))
        columns = PurchaseColumns(ids=["C-1"], member_ids=["m"], at=[at], amounts=["12.5"],
                                  currency="EUR")
        state = PROGRAM.replay(columns).states["m"]
        again = PROGRAM.apply(state, Purchase(id="C-1", member_id="m", at=T0,
                                              amount=eur("12.50")))
        assert again.trace[0].outcome == "duplicate"
        with pytest.raises(EventConflict):
            PROGRAM.apply(state, Purchase(id="C-1", member_id="m", at=T0,
                                          amount=eur("12.51")))


def _same_but_revision(a: MemberState, b: MemberState) -> bool:
    return a.model_dump_json(exclude={"revision"}) == b.model_dump_json(exclude={"revision"})


class TestRevision:
    def test_starts_at_zero_and_counts_changes(self) -> None:
        """0 for a new state; one per applied event; a duplicate changes nothing."""
        assert MemberState.new("m", currency="EUR").revision == 0
        state = saved_state()
        assert state.revision == len(EVENTS)
        assert PROGRAM.apply(state, EVENTS[0]).state.revision == len(EVENTS)
        later = PROGRAM.advance(state, T0 + timedelta(days=400)).state
        assert later.revision == len(EVENTS) + 1
        assert PROGRAM.advance(later, T0).state.revision == len(EVENTS) + 1

    def test_replay_counts_like_apply(self) -> None:
        """A replay's states carry the revision a fold of apply and advance reaches."""
        until = T0 + timedelta(days=100)
        replayed = PROGRAM.replay(EVENTS, until=until).states["m"]
        folded = PROGRAM.advance(saved_state(), until).state
        assert replayed == folded
        assert replayed.revision == len(EVENTS) + 1

    @settings(max_examples=40, deadline=None)
    @given(data=st.data(), program=full_programs(shared=False))
    def test_revision_increments_exactly_on_change(self, data: st.DataObject,
                                                   program: Program) -> None:
        """new revision == old + 1 iff the new state differs in anything but revision,
        for apply (duplicates included) and advance (backwards too)."""
        events = data.draw(member_streams("m-1", program=program, max_size=12))
        state = MemberState.new("m-1", currency=program.currency)
        for event in events:
            moves: list[Any] = [event]
            if data.draw(st.booleans()):
                moves.append(event)  # delivered twice
            if data.draw(st.booleans()):
                moves.append(event.at + timedelta(days=data.draw(st.integers(-30, 400))))
            for move in moves:
                try:
                    if isinstance(move, datetime):
                        new = program.advance(state, move).state
                    else:
                        new = program.apply(state, move).state
                except ReciprocityError:
                    continue
                changed = not _same_but_revision(new, state)
                assert new.revision == state.revision + (1 if changed else 0)
                state = new


_IDS = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=12)
"""Ids events accept: no blank or control characters."""


@settings(max_examples=50, deadline=None)
@given(eid=_IDS, mid=_IDS,
       cents=st.integers(0, 10**9), places=st.integers(0, 4), hours=st.integers(-12, 12))
def test_column_rows_fingerprint_like_purchases(eid: str, mid: str, cents: int, places: int,
                                                hours: int) -> None:
    """The fast fingerprint of a column row equals that of the equal Purchase model, for any
    id text, any number of trailing zeros and any offset of the time."""
    from reciprocity._fingerprint import event_fingerprint, row_fingerprint

    amount = Decimal(cents).scaleb(-2).quantize(Decimal(1).scaleb(-places - 2))
    at = T0.astimezone(ZoneInfo("UTC"))
    purchase = Purchase(id=eid, member_id=mid, at=at.astimezone(
        ZoneInfo(f"Etc/GMT{-hours:+d}") if hours else ZoneInfo("UTC")),
        amount=Money(amount, "EUR"))
    row = (0, eid, mid, at, amount, None)
    assert row_fingerprint(row, "EUR") == event_fingerprint(purchase)
    assert row_fingerprint(purchase._row(), "EUR") == event_fingerprint(purchase)


@pytest.mark.parametrize("text", [
    ["msg", ["reason.goodwill.note.cut", {"worth": None}]],
    ["msg", ["limit.amount", {"amount": ["money", [None, "EUR"]]}]],
    ["msg", ["limit.amount", {"amount": ["number", "x"]}]],
])
def test_a_stored_message_that_cannot_be_written_again_is_refused(text: object) -> None:
    """A stored reason with a null or a bad number in it (a hand-edited state) is refused
    when loaded (a ValueError, so the state's InvalidState), not a TypeError at the next
    freeze."""
    from pydantic import TypeAdapter, ValidationError

    from reciprocity._goodwill_state import StoredText

    with pytest.raises(ValidationError, match="is not a stored message"):
        TypeAdapter(StoredText).validate_python(text)
