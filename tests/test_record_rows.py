"""A state's purchase records held as rows (``reciprocity._records``).

A state dumps each kept purchase record as an array (a row) and reads it back without
building a model per record; ``MemberState.purchases`` still reads as ``PurchaseRecord``
models. On random streams (the seed shape and the four families: folding, forgetting, late
orders, partial and full returns, lines, earned and revoked points), every state's JSON loads
to an equal state that writes the same JSON, and the decisions made on it (and on the same
state written in the object form that came before rows) equal those on the state as made.
A document of the object form loads to the same state through every loader; malformed rows
are refused naming the field.
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from reciprocity import (
    InvalidState,
    MemberState,
    Program,
    PurchaseRecord,
    ReciprocityError,
    RecordLine,
)
from reciprocity._model import Frozen, Instant
from reciprocity._records import Records, record_of, row_of
from test_express import PROPERTY, streams
from test_stage_thaw import PROPERTY as FAMILY_PROPERTY
from test_stage_thaw import streams as family_streams


class OldLine(Frozen):
    """A record line as the object form wrote it (the model before rows)."""

    sku: str
    category: str | None = None
    quantity: int
    unit_price: Decimal
    returned: int = 0


class OldRecord(Frozen):
    """A purchase record as the object form wrote it."""

    id: str
    at: Instant
    amount: Decimal
    returned: Decimal = Decimal(0)
    earned: tuple[tuple[str, int], ...] = ()
    revoked: tuple[tuple[str, int], ...] = ()
    lines: tuple[OldLine, ...] = ()
    fully_returned: bool = False


def old_form(state: MemberState) -> str:
    """``state``'s JSON as written before rows: each record an object (pydantic's own
    serializer of the old model), everything else as today."""
    data = json.loads(state.model_dump_json())
    data["purchases"] = [json.loads(OldRecord.model_validate(record.model_dump()).model_dump_json())
                         for record in state.purchases]
    return json.dumps(data, separators=(",", ":"))


def check_loads(state: MemberState) -> list[MemberState]:
    """``state``'s JSON (rows) and its object form load, through every loader, to states
    equal to it that write its JSON again; returns them."""
    text = state.model_dump_json()
    assert '"purchases":[]' in text or '"purchases":[["' in text  # rows
    old = old_form(state)
    loaded = [MemberState.model_validate_json(text), MemberState.load_trusted(text),
              MemberState.model_validate(json.loads(text)),
              MemberState.model_validate_json(old), MemberState.load_trusted(old),
              MemberState.model_validate(json.loads(old)),
              MemberState.model_validate(state.model_dump()),
              pickle.loads(pickle.dumps(state))]
    for other in loaded:
        assert other == state
        assert other.purchases.rows == state.purchases.rows
        assert other.model_dump_json() == text
        assert tuple(other.purchases) == tuple(state.purchases)  # the models, read lazily
        assert [r.model_dump() for r in other.purchases] == \
            [OldRecord.model_validate(r.model_dump()).model_dump() for r in state.purchases]
    return loaded


def decide(program: Program, state: MemberState | None, event: Any) -> tuple[str, Any]:
    try:
        decision = program.apply(state, event)
    except ReciprocityError as exc:
        return type(exc).__name__, state
    return decision.model_dump_json(), decision.state


def run(program: Program, events: list[Any]) -> None:
    """Each event applied to the state as made, and to each of its reloads (rows and the
    object form, validated and trusted): the same decisions, byte for byte."""
    state: MemberState | None = None
    for event in events:
        said, after = decide(program, state, event)
        if state is not None:
            for other in check_loads(state)[:6]:
                assert decide(program, other, event)[0] == said
        state = after
    if state is not None:
        check_loads(state)


@PROPERTY
@given(streams())
def test_seed_shaped_states_round_trip_and_decide_alike(case: tuple[Program, list[Any]]) -> None:
    program, events = case
    run(program, events)


@FAMILY_PROPERTY
@given(family_streams())
def test_four_family_states_round_trip_and_decide_alike(
        case: tuple[Program, list[Any], int]) -> None:
    program, events, _ = case
    run(program, events)


AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
RECORDS = (
    PurchaseRecord(id="A-1", at=AT, amount=Decimal("104.32")),
    PurchaseRecord(id="A-2", at=AT, amount=Decimal("57.18"), returned=Decimal("7.18"),
                   earned=(("over-50", 1), ("x", 3)), revoked=(("x", 1),),
                   lines=(RecordLine(sku="S-1", category="shoes", quantity=2,
                                     unit_price=Decimal("25.00"), returned=1),
                          RecordLine(sku="S-2", quantity=1, unit_price=Decimal("7.18"))),
                   fully_returned=False),
)


def state_of(purchases: Any) -> MemberState:
    return MemberState(member_id="m", currency="EUR", purchase_count=2, purchases=purchases)


def test_records_read_as_a_sequence_of_models() -> None:
    state = state_of(RECORDS)
    records = state.purchases
    assert isinstance(records, Records)
    assert len(records) == 2
    assert records
    assert records[0] == RECORDS[0]
    assert records[-1] == RECORDS[1]
    assert records[0] is records[0]  # built once
    assert records[:1] == RECORDS[:1]
    assert list(records) == list(RECORDS)
    assert list(reversed(records)) == list(RECORDS[::-1])
    assert records == RECORDS
    assert records == list(RECORDS)
    assert records != RECORDS[:1]
    assert repr(records) == repr(RECORDS)
    assert hash(records) == hash(state_of([r.model_dump() for r in RECORDS]).purchases)
    assert not state_of(()).purchases
    assert MemberState.new("m", currency="EUR").purchases == ()
    assert tuple(map(record_of, map(row_of, RECORDS))) == RECORDS
    assert records.rows[1] == ("A-2", AT, Decimal("57.18"), Decimal("7.18"),
                               (("over-50", 1), ("x", 3)), (("x", 1),),
                               (("S-1", "shoes", 2, Decimal("25.00"), 1),
                                ("S-2", None, 1, Decimal("7.18"), 0)), False)


def test_every_way_of_making_a_state_holds_equal_records() -> None:
    """Models, dicts, rows, another state's records, a copy with new records, a pickle."""
    made = state_of(RECORDS)
    same = [state_of(list(RECORDS)), state_of([r.model_dump() for r in RECORDS]),
            state_of([r.model_dump(mode="json") for r in RECORDS]),
            state_of(made.purchases.rows), state_of(made.purchases),
            MemberState.model_validate({**made.model_dump(), "purchases": RECORDS}),
            state_of(()).model_copy(update={"purchases": RECORDS}),
            state_of(()).model_copy(update={"purchases": [r.model_dump() for r in RECORDS]}),
            pickle.loads(pickle.dumps(made))]
    for state in same:
        assert state == made
        assert state.model_dump_json() == made.model_dump_json()
    assert state_of(made.purchases).purchases is made.purchases  # immutable: shared
    check_loads(made)


def test_the_json_form() -> None:
    text = state_of(RECORDS).model_dump_json()
    assert ('"purchases":[["A-1","2026-03-01T12:00:00Z","104.32","0",[],[],[],false],'
            '["A-2","2026-03-01T12:00:00Z","57.18","7.18",[["over-50",1],["x",3]],[["x",1]],'
            '[["S-1","shoes",2,"25.00",1],["S-2",null,1,"7.18",0]],false]]') in text
    short = text.replace(',"0",[],[],[],false]', "]").replace(',1],["S-2",null,1,"7.18",0]]',
                                                              ',1],["S-2",null,1,"7.18"]]')
    assert '["A-1","2026-03-01T12:00:00Z","104.32"],' in short
    assert MemberState.model_validate_json(short) == state_of(RECORDS)  # trailing defaults
    assert state_of(RECORDS).model_dump()["purchases"] == tuple(r.model_dump() for r in RECORDS)


def test_the_json_schema_describes_rows_and_accepts_objects() -> None:
    schema = MemberState.model_json_schema()
    row, old = schema["properties"]["purchases"]["items"]["anyOf"]
    assert row["type"] == "array"
    assert row["minItems"] == 3
    assert row["maxItems"] == 8
    assert len(row["prefixItems"]) == 8
    line = row["prefixItems"][6]["items"]
    assert line["minItems"] == 4
    assert len(line["prefixItems"]) == 5
    assert old == {"$ref": "#/$defs/PurchaseRecord"}


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(state_of(RECORDS).model_dump_json())
    return data


def _at(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = _doc()
    target: Any = doc["purchases"]
    for key in path[:-1]:
        target = target[key]
    if value is _DROP:  # the row cut short there
        del target[path[-1]:]
    elif path[-1] == len(target):  # one item more
        target.append(value)
    else:
        target[path[-1]] = value
    return doc


_DROP = object()

MALFORMED = [
    ("too short", (0, 2), _DROP, "purchases[0].amount is missing"),
    ("no time", (0, 1), _DROP, "purchases[0].at is missing"),
    ("id not a string", (0, 0), 5, "purchases[0].id=5"),
    ("empty id", (0, 0), "", "purchases[0].id=''"),
    ("negative amount", (0, 2), "-1.00", "purchases[0].amount='-1.00'"),
    ("float amount", (0, 2), 104.32, "purchases[0].amount=104.32: 104.32 is a float"),
    ("NaN returned", (1, 3), "NaN", "purchases[1].returned='NaN'"),
    ("naive instant", (0, 1), "2026-03-01T12:00:00",
     "purchases[0].at: 2026-03-01 12:00:00 is naive"),
    ("epoch instant", (0, 1), 1772366400, "purchases[0].at=1772366400"),
    ("unknown trailing item", (1, 8), "x", "purchases[1]: Tuple should have at most 8 items"),
    ("negative earned points", (1, 4, 0, 1), -1, "purchases[1].earned[0][1]=-1"),
    ("float points", (1, 5, 0, 1), 1.5, "purchases[1].revoked[0][1]=1.5"),
    ("line quantity 0", (1, 6, 0, 2), 0, "purchases[1].lines[0].quantity=0"),
    ("line price float", (1, 6, 1, 3), 7.18, "purchases[1].lines[1].unit_price=7.18"),
    ("line returned beyond", (1, 6, 0, 4), 3,
     "purchases[1].lines[0].returned=3 is above its quantity=2"),
    ("returned beyond amount", (1, 3), "60", "purchases[1].returned=60 is above its amount"),
    ("duplicate id", (1, 0), "A-1", "purchases[1].id='A-1' is the id of an earlier purchase"),
    ("fully_returned not a bool", (1, 7), "maybe", "purchases[1].fully_returned='maybe'"),
    ("a number for a record", (0,), 5, "purchases[0]=5"),
]


@pytest.mark.parametrize(("path", "value", "said"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_rows_are_refused_naming_the_field(path: tuple[Any, ...], value: Any,
                                                    said: str) -> None:
    doc = _at(path, value)
    text = json.dumps(doc)
    loaders = [MemberState.model_validate_json, lambda d: MemberState.model_validate(json.loads(d))]
    if "above" not in said and "earlier purchase" not in said:  # the invariants pass's
        loaders.append(MemberState.load_trusted)
    for load in loaders:
        with pytest.raises(InvalidState) as info:
            load(text)
        message = str(info.value)
        assert f"MemberState.{said}" in message, message
        assert "\u00b7" not in message  # no union label shown
