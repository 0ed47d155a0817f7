"""Reading states shares equal parts: a frozen order line is one model for every equal line.

``_engine._record_line`` hands out one :class:`~reciprocity.state.RecordLine` per distinct
line (SKU, category, quantity, price as written, returned), and ``_fingerprint._line`` finds
the text of a line object it wrote before by identity. These tests hold both to the strict
path: a state equals itself validated again from JSON, each record line says what its
order's lines say (prices as written: ``2.5`` and ``2.50`` never share), and a shared line
is never changed by a later return or replay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Line, MemberState, Money, Purchase, Return, seed_program
from reciprocity._fingerprint import _LINES, _text, canonical
from reciprocity._records import LR_PRICE, R_LINES
from reciprocity.events import ReturnedLine

AT = datetime(2026, 1, 2, tzinfo=UTC)
PRICES = ("2.5", "2.50", "0", "0.00", "1E+1", "10", "4.99")
LINE = st.tuples(st.sampled_from(("TEA", "CUP", "POT")), st.integers(1, 3),
                 st.sampled_from(PRICES), st.sampled_from((None, "goods")))


def strict_text(event: object) -> str:
    return json.dumps(canonical(event), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)


def order(oid: str, member: str, day: int, lines: tuple[Line, ...]) -> Purchase:
    total = sum((line.unit_price.amount * line.quantity for line in lines), Decimal(0))
    return Purchase(id=oid, member_id=member, at=AT + timedelta(days=day),
                    amount=Money(total, "GBP"), lines=lines)


def expected_lines(event: Purchase) -> list[tuple[str, str | None, int, str]]:
    """What a record must say of its order's lines: by SKU, quantities summed, the price of
    the SKU's first line as written."""
    found: dict[str, list[object]] = {}
    for line in event.lines:
        entry = found.get(line.sku)
        if entry is None:
            found[line.sku] = [line.category, line.quantity, str(line.unit_price.amount)]
        else:
            entry[1] = int(str(entry[1])) + line.quantity
    return [(sku, e[0], e[1], e[2]) for sku, e in sorted(found.items())]  # type: ignore[misc]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.lists(LINE, min_size=1, max_size=4), min_size=1, max_size=8),
       st.booleans())
def test_records_say_what_the_orders_say(orders: list[list[tuple[str, int, str, str | None]]],
                                         reuse: bool) -> None:
    """Whatever spellings of a price meet, and whether the loader made each distinct line
    once (``reuse``) or every line afresh, each record line is its order's, the state equals
    itself validated again, and each fingerprint text is the general form's."""
    made: dict[tuple[str, int, str, str | None], Line] = {}

    def line(spec: tuple[str, int, str, str | None]) -> Line:
        if reuse and spec in made:
            return made[spec]
        sku, quantity, price, category = spec
        made[spec] = Line(sku=sku, quantity=quantity, category=category,
                          unit_price=Money(Decimal(price), "GBP"))
        return made[spec]

    events = [order(f"A-{i}", f"m-{i % 3}", i, tuple(line(spec) for spec in specs))
              for i, specs in enumerate(orders)]
    program = seed_program(currency="GBP", timezone="Europe/London")
    states = program.replay(events).states
    by_id = {event.id: event for event in events}
    for state in states.values():
        assert MemberState.model_validate_json(state.model_dump_json()) == state
        for record in state.purchases:
            got = [(rl.sku, rl.category, rl.quantity, str(rl.unit_price))
                   for rl in record.lines]
            assert got == expected_lines(by_id[record.id])
            assert all(rl.returned == 0 for rl in record.lines)
    for event in events:
        assert _text(event) == strict_text(event)


def test_equal_lines_share_one_model() -> None:
    """Two orders of equal lines (distinct objects) freeze to the same record line; a price
    written otherwise gets its own."""
    a = order("A-1", "m-1", 0, (Line(sku="TEA", quantity=2, unit_price=Money("2.50", "GBP")),))
    b = order("A-2", "m-2", 1, (Line(sku="TEA", quantity=2, unit_price=Money("2.50", "GBP")),))
    c = order("A-3", "m-3", 2, (Line(sku="TEA", quantity=2, unit_price=Money("2.5", "GBP")),))
    states = seed_program(currency="GBP").replay([a, b, c]).states
    # the line rows (``_records``: a record's lines at R_LINES, a line's price at LR_PRICE)
    first, second, third = (states[m].purchases.rows[0][R_LINES][0]
                            for m in ("m-1", "m-2", "m-3"))
    assert first is second
    assert third is not first
    assert str(third[LR_PRICE]) == "2.5"
    assert str(states["m-3"].purchases[0].lines[0].unit_price) == "2.5"
    assert '[["TEA",null,2,"2.5",0]]' in states["m-3"].model_dump_json()  # a line row


def test_a_shared_line_is_never_changed() -> None:
    """A return on one member's order changes that member's record line only: the state
    read before, and another member's equal line, keep what they said."""
    tea = Line(sku="TEA", quantity=3, unit_price=Money("4.00", "GBP"))
    program = seed_program(currency="GBP")
    orders = [order("A-1", "m-1", 0, (tea,)), order("A-2", "m-2", 0, (tea,))]
    before = program.replay(orders).states
    dumped = {mid: state.model_dump_json() for mid, state in before.items()}
    back = Return(id="R-1", member_id="m-1", at=AT + timedelta(days=3), purchase_id="A-1",
                  lines=(ReturnedLine(sku="TEA", quantity=1),))
    after = program.replay([*orders, back]).states
    assert after["m-1"].purchases[0].lines[0].returned == 1
    assert after["m-2"].purchases[0].lines[0].returned == 0
    assert (after["m-2"].purchases.rows[0][R_LINES][0]
            is before["m-1"].purchases.rows[0][R_LINES][0])
    assert {mid: state.model_dump_json() for mid, state in before.items()} == dumped


def test_lines_found_by_identity() -> None:
    """A line object written once keeps its text on itself, and still gives the general form
    after the value cache is emptied; a copy with other values writes its own."""
    tea = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "GBP"), category="drinks")
    event = order("A-1", "m-1", 0, (tea, tea))
    assert _text(event) == strict_text(event)
    assert tea._text == strict_text(tea)  # type: ignore[attr-defined]
    _LINES.clear()
    assert _text(event) == strict_text(event)
    more = tea.model_copy(update={"quantity": 3})
    other = order("A-2", "m-1", 0, (tea, more))
    assert _text(other) == strict_text(other)
    assert '"quantity":3' in more._text  # type: ignore[attr-defined]


def test_full_caches_start_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches bounded to two entries empty themselves when full; every text and every record
    line is still the strict path's."""
    from reciprocity import _engine, _fingerprint

    monkeypatch.setattr(_fingerprint, "_LINES_KEPT", 2)
    monkeypatch.setattr(_engine, "_RECORD_LINES_KEPT", 2)
    lines = [Line(sku=f"S-{i}", quantity=1 + i % 2, unit_price=Money(f"{i}.50", "GBP"))
             for i in range(7)]
    events = [order(f"A-{i}", "m-1", i, (lines[i], lines[(i + 3) % 7])) for i in range(7)]
    states = seed_program(currency="GBP").replay(events).states
    assert len(_fingerprint._LINES) <= 2
    assert len(_engine._RECORD_LINES) <= 2
    by_id = {event.id: event for event in events}
    for record in states["m-1"].purchases:
        got = [(rl.sku, rl.category, rl.quantity, str(rl.unit_price)) for rl in record.lines]
        assert got == expected_lines(by_id[record.id])
    for event in events:
        assert _text(event) == strict_text(event)
