"""A line's hot record kept on the line, and its frozen model found by identity.

``points.returns.line_record`` makes each order line's hot record once, a tuple kept on the
``Line`` (``_hot``) and shared by every order holding that line object; a SKU on two lines
of one order gets a list of its own. ``_engine._frozen_lines`` finds the frozen model of a
shared tuple by identity. These tests hold both to the code they replace: ``line_record`` as
it was (a verbatim copy below) and a ``RecordLine`` built from each line's own values, on
orders of every shape (lines shared between orders, odd decimals, SKUs on two lines, lines
built without validation, lines returned), read twice and with small caches.
"""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Line, Money, Purchase, Return, _engine, seed_program
from reciprocity._engine import LN_QUANTITY, LN_SKU, _frozen_lines
from reciprocity._trusted import built
from reciprocity.events import ReturnedLine
from reciprocity.points.returns import line_record
from reciprocity.state import RecordLine

SOME = settings(deadline=None, max_examples=150)
PRICES = ("2.5", "2.50", "0", "0.00", "1E+1", "10", "4.99", "0.001")
AT = datetime(2026, 1, 2, tzinfo=UTC)


def old_line_record(event: Purchase) -> dict[str, list[Any]]:
    """``line_record`` before lines kept their hot record (verbatim)."""
    lines: dict[str, list[Any]] = {}
    for line in event.lines:
        entry = lines.get(line.sku)
        if entry is None:
            lines[line.sku] = [line.unit_price.amount, line.category, line.quantity, 0]  # LN_*
        else:
            entry[LN_QUANTITY] += line.quantity
    return lines


def strict_line(sku: Any, line: Any) -> RecordLine:
    return built(RecordLine, {"sku": sku, "category": line[1], "quantity": line[2],
                              "unit_price": line[0], "returned": line[3]})


def same(a: RecordLine, b: RecordLine) -> bool:
    """The same values of the same types (``2.5`` is not ``2.50``)."""
    x, y = a.__dict__, b.__dict__
    return (list(x) == list(y)
            and all(type(x[k]) is type(y[k]) and str(x[k]) == str(y[k]) for k in x)
            and a.model_dump_json() == b.model_dump_json() and a == b)


@st.composite
def orders(draw: st.DrawFn) -> list[Purchase]:
    """Purchases sharing line objects (as a loader makes them), some SKUs on two lines of one
    order, some lines made anew with equal values, some purchases built without validation."""
    pool: list[Line] = []
    found = []
    for i in range(draw(st.integers(1, 6))):
        lines = []
        for _ in range(draw(st.integers(1, 5))):
            if pool and draw(st.booleans()):
                lines.append(draw(st.sampled_from(pool)))
                continue
            line = Line(sku=draw(st.sampled_from(("TEA", "CUP", "pot-ä"))),
                        quantity=draw(st.integers(1, 4)),
                        unit_price=Money(Decimal(draw(st.sampled_from(PRICES))), "EUR"),
                        category=draw(st.sampled_from((None, "goods"))))
            if draw(st.integers(0, 9)) == 0:  # built without validation
                line = Line.model_construct(**line.__dict__)
            pool.append(line)
            lines.append(line)
        total = sum((line.unit_price.amount * line.quantity for line in lines), Decimal(0))
        fields = {"id": f"A-{i}", "member_id": "m-1", "at": AT + timedelta(days=i),
                  "amount": Money(total, "EUR"), "lines": tuple(lines)}
        if draw(st.integers(0, 4)) == 0:
            found.append(Purchase.model_construct(**{**fields, "lines": lines}))
        else:
            found.append(Purchase(**fields))
    return found


@SOME
@given(orders())
def test_line_record_equals_the_old_one(events: list[Purchase]) -> None:
    """The same SKUs in the same order with the same values (the very objects), each entry
    naming its SKU; a line's tuple is the same object in every order that holds it, and an
    entry that sums two lines is a list of its own."""
    for _ in range(2):  # the second time from the lines' slots
        for event in events:
            got, want = line_record(event), old_line_record(event)
            assert list(got) == list(want)
            for sku, entry in got.items():
                assert entry[LN_SKU] is sku or entry[LN_SKU] == sku
                assert len(entry) == 5
                assert all(a is b for a, b in zip(entry[:4], want[sku], strict=True))
                skus = [line.sku for line in event.lines]
                if skus.count(sku) > 1:
                    assert type(entry) is list
                else:
                    assert type(entry) is tuple
                    line = event.lines[skus.index(sku)]
                    assert entry is line._hot  # type: ignore[attr-defined]


@SOME
@given(orders(), st.booleans())
def test_frozen_lines_of_kept_records_equal_the_strict_path(events: list[Purchase],
                                                            small: bool) -> None:
    """Each order's frozen lines, from shared tuples, own lists, copies of them with lines
    returned (what a return makes) or four-slot lines (what a thaw makes): a model of the
    line's own values, sorted by SKU; the same twice, and with room for two lines only."""
    _engine._HOT_RECORDS.clear()
    _engine._HOT_HELD.clear()
    with pytest.MonkeyPatch.context() as patch:
        if small:
            patch.setattr(_engine, "_HOT_RECORDS_KEPT", 2)
            patch.setattr(_engine, "_RECORD_LINES_KEPT", 2)
        records = []
        for event in events:
            lines = line_record(event)
            records.append(lines)
            copied = {sku: list(line) for sku, line in lines.items()}
            next(iter(copied.values()))[3] += 1  # a line returned, in a copy
            records.append(copied)
            records.append({sku: list(line[:4]) for sku, line in lines.items()})
        for _ in range(2):
            for lines in records:
                got = _frozen_lines(lines)
                want = [strict_line(sku, lines[sku]) for sku in sorted(lines)]
                assert len(got) == len(want)
                assert all(same(a, b) for a, b in zip(got, want, strict=True))
        if small:
            assert len(_engine._HOT_HELD) <= 2
        assert set(map(id, _engine._HOT_HELD)) >= set(_engine._HOT_RECORDS)
        assert all(type(entry) is tuple for entry in _engine._HOT_HELD)


def test_a_return_by_line_changes_a_copy() -> None:
    """Two members' orders hold one line object: a return by line on one changes that
    order's record only; the line's own hot record and the other order keep what they
    said, in the states read before and after."""
    tea = Line(sku="TEA", quantity=3, unit_price=Money("4.00", "GBP"))
    cup = Line(sku="CUP", quantity=1, unit_price=Money("2.50", "GBP"))
    orders_ = [Purchase(id=f"A-{m}", member_id=m, at=AT, amount=Money("14.50", "GBP"),
                        lines=(tea, cup)) for m in ("m-1", "m-2")]
    program = seed_program(currency="GBP")
    before = program.replay(orders_).states
    hot = tea._hot  # type: ignore[attr-defined]
    back = Return(id="R-1", member_id="m-1", at=AT + timedelta(days=2), purchase_id="A-m-1",
                  lines=(ReturnedLine(sku="TEA", quantity=2),))
    after = program.replay([*orders_, back]).states
    assert tea._hot is hot  # type: ignore[attr-defined]
    assert hot == (Decimal("4.00"), None, 3, 0, "TEA")
    assert [line.returned for line in after["m-1"].purchases[0].lines] == [0, 2]  # CUP, TEA
    assert [line.returned for line in after["m-2"].purchases[0].lines] == [0, 0]
    assert after["m-2"] == before["m-2"]


def test_the_slots_are_not_fields() -> None:
    """What the engine keeps on a line is not dumped, compared, copied or pickled, and a line
    is as immutable as before."""
    a = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "EUR"))
    b = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "EUR"))
    event = Purchase(id="A", member_id="m", at=AT, amount=Money("1.10", "EUR"), lines=(a,))
    line_record(event)
    from reciprocity._fingerprint import event_fingerprint
    event_fingerprint(event)
    assert hasattr(a, "_hot")
    assert hasattr(a, "_text")
    assert a == b
    assert a.model_dump() == b.model_dump()
    assert a.model_dump_json() == b.model_dump_json()
    for other in (a.model_copy(), a.model_copy(update={"quantity": 2}), copy.deepcopy(a),
                  pickle.loads(pickle.dumps(a))):
        assert not hasattr(other, "_hot")
        assert not hasattr(other, "_text")
    with pytest.raises(Exception, match="immutable"):
        a.quantity = 2  # type: ignore[misc]
