"""Purchase records kept in their JSON form (``Records.raw``, see ``reciprocity._records``).

A state read from a JSON document the library wrote keeps its purchase records as the texts
it read (instants and amounts checked in pydantic-core against the exact form the dump
writes), makes the rows only when read, and writes the texts back as they are. On random
streams (the seed shape and the four families: folding, forgetting, late orders, returns,
lines), a state loaded so decides exactly as the same state loaded the way before (each
record's values made on the load), byte for byte, also over several applies without a
reload; its rows equal those values, type for type; its dump is the document. A record the
patterns refuse goes the way before, with its errors.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError, core_schema

from reciprocity import MemberState, Program
from reciprocity._fastpath import AMOUNT_TEXT, INSTANT_TEXT
from reciprocity._records import Records, json_row_of, typed_row_of
from test_express import PROPERTY, streams
from test_record_rows import RECORDS, decide, old_form, state_of
from test_stage_thaw import PROPERTY as FAMILY_PROPERTY
from test_stage_thaw import streams as family_streams

_INSTANT = SchemaValidator(core_schema.str_schema(strict=True, pattern=INSTANT_TEXT))
_AMOUNT = SchemaValidator(core_schema.str_schema(strict=True, pattern=AMOUNT_TEXT))
_WRITE = SchemaSerializer(core_schema.datetime_schema())


def accepted(validator: SchemaValidator, text: str) -> bool:
    try:
        validator.validate_python(text)
    except ValidationError:
        return False
    return True


def written(value: datetime) -> str:
    return _WRITE.to_json(value)[1:-1].decode()


def same_values(a: Any, b: Any) -> None:
    """Equal, and of the same types and reprs all the way down (a Decimal's exponent, a
    datetime's zone)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_values(x, y)
    else:
        assert a == b
        assert repr(a) == repr(b)


def loaded_before(text: str) -> MemberState:
    """``text`` loaded the way before: each record's values made on the load (the object
    form takes it)."""
    before = MemberState.model_validate_json(old_form(MemberState.model_validate_json(text)))
    assert before.purchases.raw is None or not before.purchases
    return before


def same_state(kept: MemberState, before: MemberState) -> None:
    """A state whose records are kept in their JSON form and one made the way before: the
    same rows, models, dumps (fast and pydantic's own) and equality."""
    same_values(kept.purchases.rows, before.purchases.rows)
    assert tuple(kept.purchases) == tuple(before.purchases)
    assert kept == before
    text = before.model_dump_json()
    assert kept.model_dump_json() == text
    assert super(MemberState, kept).model_dump_json() == text
    assert kept.model_dump(mode="json") == before.model_dump(mode="json")
    assert kept.model_dump() == before.model_dump()


def run(program: Program, events: list[Any], hold: int) -> None:
    """Each event applied to the state as made and to its reloads (JSON form kept, and the
    way before): the same decisions; and from the ``hold``-th event on, the two loads of that
    state carried through the rest of the stream without a reload: the same decisions and
    states, step for step."""
    state: MemberState | None = None
    chains: list[MemberState | None] = []
    for number, event in enumerate(events):
        said, after = decide(program, state, event)
        if state is not None:
            text = state.model_dump_json()
            kept = MemberState.model_validate_json(text)
            assert kept.purchases.raw is not None or not state.purchases  # the lib's form
            before = loaded_before(text)
            same_state(kept, before)
            same_state(MemberState.load_trusted(text), before)
            assert decide(program, kept, event)[0] == said
            assert decide(program, before, event)[0] == said
            if number == hold:
                chains = [kept, before]
        if chains:
            kept_said, chains[0] = decide(program, chains[0], event)
            before_said, chains[1] = decide(program, chains[1], event)
            assert kept_said == before_said
            if chains[0] is not None and chains[1] is not None:
                same_state(chains[0], chains[1])
        state = after


@PROPERTY
@given(streams(), st.integers(0, 30))
def test_seed_shaped_states_kept_as_read_decide_alike(case: tuple[Program, list[Any]],
                                                      hold: int) -> None:
    program, events = case
    run(program, events, hold)


@FAMILY_PROPERTY
@given(family_streams(), st.integers(0, 30))
def test_four_family_states_kept_as_read_decide_alike(case: tuple[Program, list[Any], int],
                                                      hold: int) -> None:
    program, events, _ = case
    run(program, events, hold)


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                    timezones=st.just(UTC)))
def test_every_written_instant_is_kept_as_read(value: datetime) -> None:
    """The dump's text of any UTC instant is of the kept form, and reads back to it."""
    text = written(value)
    assert accepted(_INSTANT, text), text
    assert datetime.fromisoformat(text) == value
    assert written(datetime.fromisoformat(text)) == text


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)),
                                               timezone(timedelta(seconds=30)),
                                               timezone(timedelta(0)), ZoneInfo("UTC"),
                                               ZoneInfo("Europe/Berlin")])),
       st.decimals(min_value=0, allow_nan=False, allow_infinity=False, places=None))
def test_a_new_row_is_written_as_the_dump_writes_it(at: datetime, amount: Decimal) -> None:
    row = ("A-1", at, amount, Decimal(0), (("r", 1),), (), (("S", None, 1, amount, 0),), False)
    state = state_of(Records((row,)))
    doc = json.loads(state.model_dump_json())
    assert json.loads(json.dumps(json_row_of(row))) == doc["purchases"][0]
    assert json_row_of(row)[1] == written(at)


@settings(max_examples=500, deadline=None)
@given(st.from_regex(INSTANT_TEXT, fullmatch=True))
def test_every_kept_instant_dumps_as_read(text: str) -> None:
    assert written(datetime.fromisoformat(text)) == text


def test_the_instant_form_knows_the_calendar() -> None:
    """Of every day number 00..31 of every month of years around each leap rule, exactly the
    days that exist (year 0 never)."""
    for year in (1, 4, 99, 100, 200, 400, 1600, 1900, 2000, 2023, 2024, 2100, 9996, 9999):
        for month in range(1, 13):
            for day in range(32):
                text = f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z"
                try:
                    date(year, month, day)
                except ValueError:
                    real = False
                else:
                    real = True
                assert accepted(_INSTANT, text) is real, text
    for text in ["0000-01-01T00:00:00Z", "2024-02-29T24:00:00Z", "2024-01-01T00:60:00Z",
                 "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.000000Z",
                 "2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00+00:00",
                 "2024-01-01 00:00:00Z", "2024-01-01T00:00:00z", "2024-01-01T00:00:00Z\n"]:
        assert not accepted(_INSTANT, text), text
    assert accepted(_INSTANT, "2024-01-01T00:00:00.000001Z")


@settings(max_examples=500, deadline=None)
@given(st.from_regex(AMOUNT_TEXT, fullmatch=True))
def test_every_kept_amount_dumps_as_read(text: str) -> None:
    assert format(Decimal(text), "f") == text


@settings(max_examples=500, deadline=None)
@given(st.decimals(min_value=0, allow_nan=False, allow_infinity=False, places=None))
def test_every_written_amount_is_kept_as_read(value: Decimal) -> None:
    text = format(value, "f")
    assert accepted(_AMOUNT, text), text
    assert Decimal(text) == value
    for other in ["07.50", "-0", "1E+2", "1e2", ".5", "5.", "", "+1", " 1", "NaN", "1\n"]:
        assert not accepted(_AMOUNT, other), other


def test_rows_made_from_the_json_form_are_the_rows() -> None:
    made = state_of(RECORDS)
    text = made.model_dump_json()
    kept = MemberState.model_validate_json(text)
    raw = kept.purchases.raw
    assert raw is not None
    assert raw == tuple(map(json_row_of, made.purchases.rows))
    same_values(tuple(map(typed_row_of, raw)), loaded_before(text).purchases.rows)
    same_state(kept, loaded_before(text))


def test_json_form_records_behave_as_records() -> None:
    """Equality and hash with the rows they make, pickling and copies, the sequence."""
    made = state_of(RECORDS).purchases
    kept = MemberState.model_validate_json(state_of(RECORDS).model_dump_json()).purchases
    assert isinstance(kept, Records)
    assert isinstance(kept, Sequence)
    fresh = Records.of_json(kept.raw or ())
    assert fresh == made
    assert made == fresh
    assert hash(fresh) == hash(made)
    assert fresh == RECORDS
    assert fresh == Records.of_json(kept.raw or ())
    assert Records.of_json(kept.raw or ()) != Records.of_json((kept.raw or ())[:1])
    assert copy.copy(kept) is kept
    assert copy.deepcopy(kept) is kept
    unpickled = pickle.loads(pickle.dumps(Records.of_json(kept.raw or ())))
    assert unpickled == made
    assert unpickled.raw is None
    assert repr(Records.of_json(kept.raw or ())) == repr(RECORDS)
    assert list(Records.of_json(kept.raw or ())) == list(RECORDS)
    assert len(Records.of_json(kept.raw or ())) == 2
    assert not Records.of_json(())


def test_other_forms_are_read_as_before() -> None:
    """A record the kept form refuses (another offset, a leading zero, a fraction of zero,
    a bool as a number) makes the whole array go the way before."""
    doc = json.loads(state_of(RECORDS).model_dump_json())
    for position, value in [(1, "2026-03-01T13:00:00+01:00"), (2, "0104.32"),
                            (1, "2026-03-01T12:00:00.000000Z"), (3, "0.0"), (3, "0")]:
        changed = copy.deepcopy(doc)
        changed["purchases"][0][position] = value
        text = json.dumps(changed)
        state = MemberState.model_validate_json(text)
        if value in ("0.0", "0"):
            assert state.purchases.raw is not None
        else:
            assert state.purchases.raw is None
        assert state == state_of(RECORDS) or value == "0.0"
        assert state.model_dump_json() == state_of(state.purchases.rows).model_dump_json()
    changed = copy.deepcopy(doc)
    changed["purchases"][1][7] = 0  # lax: false
    assert MemberState.model_validate_json(json.dumps(changed)).purchases.raw is None


def test_an_apply_keeps_the_form_and_the_new_rows() -> None:
    """The express purchase on a state kept in its JSON form writes the new record in that
    form and keeps its row (the event's own values), folding the oldest as before."""
    from reciprocity import Purchase, seed_program
    program = Program.model_validate({**seed_program().model_dump(mode="json"),
                                      "history": {"return_days": 14, "event_days": 14}})
    state = None
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for n in range(5):
        state = program.apply(state, Purchase(id=f"A-{n}", member_id="m", at=at + timedelta(
            days=n), amount={"amount": "75.50", "currency": "EUR"})).state
    assert state is not None
    kept = MemberState.model_validate_json(state.model_dump_json())
    event = Purchase(id="A-9", member_id="m", at=at + timedelta(days=9),
                     amount={"amount": "1E+2", "currency": "EUR"})
    new = program.apply(kept, event).state
    assert new.purchases.raw is not None
    assert new.purchases.raw[-1][2] == "100"
    assert new.purchases.rows[-1][2].as_tuple() == Decimal("1E+2").as_tuple()
    assert new.purchases.rows[-1][1] is event.at
    same_state(new, program.apply(loaded_before(state.model_dump_json()), event).state)
    # several applies without a reload: every added row kept, as the way before keeps it
    kept_chain, before_chain = kept, loaded_before(state.model_dump_json())
    for n in range(10, 100, 3):
        event = Purchase(id=f"A-{n}", member_id="m", at=at + timedelta(days=n),
                         amount={"amount": f"{n}E+1", "currency": "EUR"})
        kept_chain = program.apply(kept_chain, event).state
        before_chain = program.apply(before_chain, event).state
        assert kept_chain.purchases.raw is not None
        same_state(kept_chain, before_chain)
