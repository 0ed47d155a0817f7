"""The specialised writers of reading states, held to the general paths they replace.

``_fingerprint._purchase`` writes a purchase's canonical JSON in one join and
``_fingerprint._sequence`` finds its lines' texts by identity in one ``map``;
``_engine._frozen_lines`` takes a hot line's shared frozen model when its price is the
very object the model holds.
Each must give exactly what the general form gives: ``json.dumps(canonical(event))`` for the
text, a ``RecordLine`` built from the line's own values (same values, same types, same JSON)
for the record, on purchases and lines of every shape, cached or not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Line, Money, Purchase, Redemption, Return, _engine, _fingerprint
from reciprocity._engine import LN_CATEGORY, LN_PRICE, LN_QUANTITY, LN_RETURNED, _frozen_lines
from reciprocity._fingerprint import _model, _text, canonical, event_fingerprint, row_fingerprint
from reciprocity._records import LINE_FIELDS
from reciprocity._trusted import built
from reciprocity.events import ReturnedLine
from reciprocity.state import RecordLine

SOME = settings(deadline=None, max_examples=150)
AMOUNTS = ("2.5", "2.50", "0", "0.00", "1E+1", "10", "10.00", "4.99")
PRICES = (*AMOUNTS, "0.001", "1E-3")  # a unit price may be finer than the minor unit
ZONES = (UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"),
         timezone(timedelta(hours=5, minutes=30)))


class Sku(str):
    """A str subclass: never shared with a plain ``str`` line."""


class SubLine(Line):
    """A ``Line`` subclass: written by the general walk, never by the line writer."""


def strict_text(event: Any) -> str:
    return json.dumps(canonical(event), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)


@st.composite
def shop_lines(draw: st.DrawFn, pool: list[Line]) -> tuple[Line, ...]:
    """Lines, some taken again from ``pool`` (one object, as a loader makes them), some new."""
    found = []
    for _ in range(draw(st.integers(0, 5))):
        if pool and draw(st.booleans()):
            found.append(draw(st.sampled_from(pool)))
            continue
        line = Line(sku=draw(st.sampled_from(("TEA", "CUP", "pot-ä", 'Q"1'))),
                    quantity=draw(st.integers(1, 4)),
                    unit_price=Money(Decimal(draw(st.sampled_from(PRICES))), "EUR"),
                    category=draw(st.sampled_from((None, "goods", "ä"))),
                    metadata=draw(st.sampled_from(({}, {}, {"a": [1, "x"]}))))
        pool.append(line)
        found.append(line)
    return tuple(found)


@st.composite
def odd_purchases(draw: st.DrawFn, pool: list[Line] | None = None) -> Purchase:
    zone = draw(st.sampled_from(ZONES))
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 3)))
    event = Purchase(
        id=draw(st.sampled_from(("A-1", "ä-\u20ac", 'q"\\', "536365"))),
        member_id=draw(st.sampled_from(("m-1", "17850", "m-\u00e9"))),
        at=at.astimezone(zone),
        amount=Money(Decimal(draw(st.sampled_from(AMOUNTS))), "EUR"),
        lines=draw(shop_lines([] if pool is None else pool)),
        channel=draw(st.sampled_from((None, "web", "störe"))),
        metadata=draw(st.sampled_from(({}, {}, {"k": 1.5}, {"z": None, "a": "b"}))),
    )
    odd = draw(st.sampled_from(("none", "none", "list", "sku", "fewer")))
    if odd == "list":  # built without validation: lines as a list
        return Purchase.model_construct(**{**event.__dict__, "lines": list(event.lines)})
    if odd == "sku":
        return Purchase.model_construct(**{**event.__dict__, "id": Sku(event.id)})
    if odd == "fewer":  # a field left out (model_construct of a partial dict)
        fields = dict(event.__dict__)
        del fields["channel"]
        return Purchase.model_construct(_fields_set=set(fields), **fields)
    return event


@st.composite
def shops(draw: st.DrawFn) -> list[Purchase]:
    """Purchases sharing line objects among them, as a loader's do."""
    pool: list[Line] = []
    return [draw(odd_purchases(pool)) for _ in range(draw(st.integers(1, 6)))]


@SOME
@given(shops())
def test_purchase_writer_equals_the_general_form(events: list[Purchase]) -> None:
    """Every purchase is written as ``canonical`` writes it: the one-join writer for the
    usual shape, the general walk for the rest (metadata, odd types, missing fields), with
    its lines' texts found again by identity or written anew."""
    for _ in range(2):
        for event in events:
            assert _fingerprint._purchase(event) == strict_text(event)
            assert _text(event) == strict_text(event)
            assert _model(event) == strict_text(event)


@SOME
@given(odd_purchases())
def test_purchase_fingerprints(event: Purchase) -> None:
    """The fingerprint of the event and of its engine row, as the general text's digest,
    written twice (the second from the caches)."""
    import hashlib
    want = hashlib.blake2b(strict_text(event).encode("ascii"), digest_size=8).hexdigest()
    if "channel" in event.__dict__:
        assert event_fingerprint(event) == want
        assert row_fingerprint(event._row(), "EUR") == want
        assert row_fingerprint(event._row(), "EUR") == want


@st.composite
def odd_returns(draw: st.DrawFn) -> Return:
    zone = draw(st.sampled_from(ZONES))
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 3)))
    amount = draw(st.sampled_from((None, *(a for a in AMOUNTS if Decimal(a) > 0))))
    event = Return(
        id=draw(st.sampled_from(("R-1", "ä-\u20ac", 'q"\\', "C536365"))),
        member_id=draw(st.sampled_from(("m-1", "17850", "m-\u00e9"))),
        at=at.astimezone(zone), purchase_id=draw(st.sampled_from(("A-1", "ä"))),
        amount=None if amount is None else Money(Decimal(amount), "EUR"),
        lines=tuple(ReturnedLine(sku=sku, quantity=q) for sku, q in draw(st.lists(
            st.tuples(st.sampled_from(("TEA", "pot-ä")), st.integers(1, 3)), max_size=3))),
        metadata=draw(st.sampled_from(({}, {}, {"k": 1.5}))),
    )
    odd = draw(st.sampled_from(("none", "none", "list", "sku", "fewer")))
    if odd == "list":  # built without validation: lines as a list
        return Return.model_construct(**{**event.__dict__, "lines": list(event.lines)})
    if odd == "sku":
        return Return.model_construct(**{**event.__dict__, "purchase_id": Sku("A-1")})
    if odd == "fewer":  # a field left out (model_construct of a partial dict)
        fields = dict(event.__dict__)
        del fields["amount"]
        return Return.model_construct(_fields_set=set(fields), **fields)
    return event


@SOME
@given(odd_returns())
def test_return_writer_equals_the_general_form(event: Return) -> None:
    """A return is written as ``canonical`` writes it: the one-join writer for the usual
    shape, the general walk for the rest; its fingerprint is the general text's digest."""
    import hashlib
    assert _fingerprint._return(event) == strict_text(event)
    assert _text(event) == strict_text(event)
    want = hashlib.blake2b(strict_text(event).encode("ascii"), digest_size=8).hexdigest()
    assert event_fingerprint(event) == want
    assert row_fingerprint(event._row(), "EUR") == want


def test_redemption_balance_unset_and_set() -> None:
    """A field the model leaves out of its JSON when unset (``Redemption.balance``) is left
    out of the text, and written when set."""
    at = datetime(2026, 1, 2, tzinfo=ZoneInfo("Europe/Berlin"))
    for balance in (None, "miles"):
        kwargs: dict[str, Any] = {} if balance is None else {"balance": balance}
        event = Redemption(id="R-1", member_id="m-1", at=at, reward_id="v10", **kwargs)
        assert _text(event) == strict_text(event)
        assert ('"balance"' in _text(event)) is (balance is not None)


def test_a_line_met_again_after_the_caches_are_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for two lines in the cache by values, it empties itself; every text is the
    general form's, and the text kept on each line is its own general form."""
    monkeypatch.setattr(_fingerprint, "_LINES_KEPT", 2)
    lines = [Line(sku=f"S{i}", quantity=1, unit_price=Money("1.10", "EUR")) for i in range(5)]
    at = datetime(2026, 1, 2, tzinfo=UTC)
    for i in range(12):
        event = Purchase(id=f"A-{i}", member_id="m", at=at, amount=Money("1", "EUR"),
                         lines=(lines[i % 5], lines[(i * 3) % 5], lines[i % 5]))
        assert _text(event) == strict_text(event)
        assert len(_fingerprint._LINES) <= 2
    for line in lines:
        assert line._text == strict_text(line)  # type: ignore[attr-defined]


def test_lines_of_other_types_in_a_sequence() -> None:
    """A sequence led by a ``Line`` but holding other things (built without validation): the
    lines' texts from their slots, the rest written the general way, in order; a subclass is
    written the general way and given no text of its own."""
    at = datetime(2026, 1, 2, tzinfo=UTC)
    tea = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "EUR"))
    sub = SubLine(sku="CUP", quantity=2, unit_price=Money("2.50", "EUR"))
    for lines in ([tea, sub], [tea, {"sku": "X"}], [tea, tea], [tea, 1, None]):
        event = Purchase.model_construct(id="A", member_id="m", at=at,
                                         amount=Money("1", "EUR"), lines=lines)
        assert _text(event) == strict_text(event)
        assert _text(event) == strict_text(event)  # tea's text from its slot now
    assert not hasattr(sub, "_text")


# -- frozen record lines -----------------------------------------------------------------------

def strict_line(sku: Any, line: list[Any]) -> tuple[Any, ...]:
    """The frozen line row (``_records.LR_*`` order) of a hot line, built plainly."""
    return (sku, line[LN_CATEGORY], line[LN_QUANTITY], line[LN_PRICE], line[LN_RETURNED])


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """The same values of the same types (``2.5`` is not ``2.50``, ``True`` is not ``1``), and
    the same model and JSON when read as a record's line."""
    return (len(a) == len(b) == 5
            and all(type(x) is type(y) and str(x) == str(y) for x, y in zip(a, b, strict=True))
            and line_model(a).model_dump_json() == line_model(b).model_dump_json()
            and a == b)


def line_model(row: tuple[Any, ...]) -> RecordLine:
    return built(RecordLine, dict(zip(LINE_FIELDS, row, strict=True)))


PRICE_OBJECTS = [Decimal(p) for p in PRICES]  # shared objects, as a loader's lines hold them


@st.composite
def hot_lines(draw: st.DrawFn) -> dict[Any, list[Any]]:
    lines: dict[Any, list[Any]] = {}
    for _ in range(draw(st.integers(1, 6))):
        sku = draw(st.sampled_from(("TEA", "CUP", "POT", "ä")))
        if draw(st.integers(0, 9)) == 0:
            sku = Sku(sku)
        price = (draw(st.sampled_from(PRICE_OBJECTS)) if draw(st.booleans())
                 else Decimal(draw(st.sampled_from(PRICES))))  # a new object, alike or not
        category = draw(st.sampled_from((None, "goods", "goods", Sku("goods"))))
        quantity: Any = draw(st.integers(1, 3))
        returned: Any = draw(st.sampled_from((0, 0, 1)))
        if draw(st.integers(0, 9)) == 0:
            quantity = True if quantity == 1 else quantity
        if draw(st.integers(0, 9)) == 0:
            returned = False if returned == 0 else returned
        lines[sku] = [price, category, quantity, returned]  # LN_* order
    return lines


@SOME
@given(st.lists(hot_lines(), min_size=1, max_size=6), st.booleans())
def test_frozen_lines_equal_the_strict_path(records: list[dict[Any, list[Any]]],
                                            small: bool) -> None:
    """Each frozen line, shared or not, has its hot line's values of their types, sorted by
    SKU; with room for only two lines the caches empty themselves and it still holds."""
    _engine._RECORD_LINES.clear()
    with pytest.MonkeyPatch.context() as patch:
        if small:
            patch.setattr(_engine, "_RECORD_LINES_KEPT", 2)
        for _ in range(2):  # the second time from the caches
            for lines in records:
                got = _frozen_lines(lines)
                want = [strict_line(sku, lines[sku]) for sku in sorted(lines)]
                assert len(got) == len(want)
                assert all(same(a, b) for a, b in zip(got, want, strict=True))
                assert all(type(line) is tuple for line in got)
        if small:
            assert len(_engine._RECORD_LINES) <= 2
        for key, (model, price) in _engine._RECORD_LINES.items():  # the model's very price
            assert model[3] is price == key[1]  # LR_PRICE


def test_equal_values_of_other_types_never_share() -> None:
    """A line equal to a shared one but for a value's type (``True`` for ``1``, a str
    subclass, the same price written otherwise) gets a model of its own values; the very
    same price object and values share."""
    price = Decimal("2.50")
    plain = {"TEA": [price, "goods", 1, 0]}
    first = _frozen_lines(plain)[0]
    assert _frozen_lines({"TEA": [price, "goods", 1, 0]})[0] is first
    assert _frozen_lines({"TEA": [Decimal("2.50"), "goods", 1, 0]})[0] is first  # alike
    for odd_sku, line in ((Sku("TEA"), [price, "goods", 1, 0]),
                          ("TEA", [price, Sku("goods"), 1, 0]),
                          ("TEA", [price, "goods", True, 0]),
                          ("TEA", [price, "goods", 1, False]),
                          ("TEA", [Decimal("2.5"), "goods", 1, 0])):
        got = _frozen_lines({odd_sku: line})[0]
        assert same(got, strict_line(odd_sku, line))
        assert got is not first


def test_the_text_slot_is_not_a_field() -> None:
    """The text kept on a line is not dumped, compared, copied or pickled, and a line is as
    immutable as before."""
    import copy
    import pickle
    at = datetime(2026, 1, 2, tzinfo=UTC)
    a = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "EUR"))
    b = Line(sku="TEA", quantity=1, unit_price=Money("1.10", "EUR"))
    event_fingerprint(Purchase(id="A", member_id="m", at=at, amount=Money("1.10", "EUR"),
                               lines=(a,)))
    assert a._text == strict_text(a)  # type: ignore[attr-defined]
    assert a == b
    assert a.model_dump_json() == b.model_dump_json()
    for other in (a.model_copy(), a.model_copy(update={"quantity": 2}), copy.deepcopy(a),
                  pickle.loads(pickle.dumps(a))):
        assert not hasattr(other, "_text")
    with pytest.raises(Exception, match="immutable"):
        a.quantity = 2  # type: ignore[misc]
