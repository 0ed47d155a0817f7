"""Fingerprints of applied events: the content half of the idempotency-key contract.

An event id is an idempotency key. The state keeps, next to each applied id, a fingerprint of
the event's content, so the same event delivered again is a no-op while another event under
the same id is refused (:class:`~reciprocity.EventConflict`).

The fingerprint is ``blake2b(canonical JSON, digest_size=8)`` in hex: the same in every
process and on every machine (never Python's ``hash()``). The canonical JSON holds every field
of the validated event, defaults included, with keys sorted, instants in UTC, amounts
normalised (``10`` and ``10.00`` are one amount) and money as ``[amount, currency]``. So
equal events have equal fingerprints, whatever way they came in (a model, a dict, JSON, or a
row of :class:`~reciprocity.PurchaseColumns`).

The engine computes fingerprints lazily: the hot path only remembers the row of an applied
event, and the fingerprint is computed when a state is frozen or when an id comes again.

Imports: ``events`` and ``money`` only; ``_engine`` and ``program`` import it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .events import Line, Purchase, Return, _utc
from .money import Money

__all__ = ["canonical", "event_fingerprint", "row_canonical", "row_fingerprint"]


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")


def canonical(value: Any) -> Any:
    """The JSON-ready canonical form of an event (or of any value inside one)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, BaseModel):
        return {name: canonical(item) for name, item in _fields(value).items()}
    if isinstance(value, Money):
        return [_amount(value.amount), value.currency]
    if isinstance(value, Decimal):
        return _amount(value)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    return repr(value)


def _fields(value: Any) -> dict[str, Any]:
    """A model's fields as its JSON has them: less a field its model leaves out there
    (``Field(exclude_if=...)``, as ``Redemption.balance`` when unset). Such a field came
    after fingerprints were stored, so an event without it keeps the fingerprint it had."""
    d: dict[str, Any] = value.__dict__
    cls = type(value)
    omitted = _OMITTED.get(cls)
    if omitted is None:
        omitted = _OMITTED[cls] = tuple(
            (name, field.exclude_if) for name, field in cls.model_fields.items()
            if field.exclude_if is not None)
    if omitted:
        left = {name for name, test in omitted if test(d[name])}
        if left:
            return {name: item for name, item in d.items() if name not in left}
    return d


_OMITTED: dict[type, tuple[tuple[str, Callable[[Any], bool]], ...]] = {}
"""Per model class: its fields with an ``exclude_if``, and the test (see :func:`_fields`)."""


_PURCHASE_DEFAULTS: dict[str, Any] | None = None


def _purchase_defaults() -> dict[str, Any]:
    global _PURCHASE_DEFAULTS
    if _PURCHASE_DEFAULTS is None:
        _PURCHASE_DEFAULTS = {
            name: canonical(field.get_default(call_default_factory=True))
            for name, field in Purchase.model_fields.items() if not field.is_required()
        }
    return _PURCHASE_DEFAULTS


def row_canonical(row: tuple[Any, ...], currency: str) -> dict[str, Any]:
    """The canonical form of an engine row: its event's, or, for a row of
    :class:`~reciprocity.PurchaseColumns` (no model), that of the equal ``Purchase``."""
    event = row[5]
    if event is not None:
        result: dict[str, Any] = canonical(event)
        return result
    return dict(_purchase_defaults(), id=row[1], member_id=row[2],
                at=_utc(row[3]).isoformat(), amount=[_amount(row[4]), currency])


def _dumps(content: Any) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("ascii"), digest_size=8).hexdigest()


_SLOTS = ("\x00id", "\x00member", "\x00at", "\x00amount")
_TEMPLATES: dict[str, list[str]] = {}


def _template(currency: str) -> list[str]:
    """The canonical JSON of a column purchase in ``currency``, split around its id, member,
    time and amount (in the order sorted keys put them), so a row is fingerprinted by one
    join instead of building and sorting a dict."""
    parts = _TEMPLATES.get(currency)
    if parts is None:
        text = _dumps(dict(_purchase_defaults(), id=_SLOTS[0], member_id=_SLOTS[1],
                           at=_SLOTS[2], amount=[_SLOTS[3], currency]))
        marks = sorted((text.index(_dumps(slot)), slot) for slot in _SLOTS)
        order = [slot for _, slot in marks]
        if order != ["\x00amount", "\x00at", "\x00id", "\x00member"]:  # pragma: no cover
            raise RuntimeError("the canonical key order of Purchase changed")
        parts = []
        for slot in order:
            head, text = text.split(_dumps(slot), 1)
            parts.append(head)
        parts.append(text)
        _TEMPLATES[currency] = parts
    return parts


_encode = json.encoder.encode_basestring_ascii


def event_fingerprint(event: BaseModel) -> str:
    """The fingerprint of a validated event: 16 hex digits.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> a = Purchase(id="A-1", member_id="m-1", at=at, amount=Money("10", "EUR"))
    >>> b = Purchase(id="A-1", member_id="m-1", at=at, amount=Money("10.00", "EUR"))
    >>> event_fingerprint(a) == event_fingerprint(b), len(event_fingerprint(a))
    (True, 16)
    """
    return _digest(_text(event))


def row_fingerprint(row: tuple[Any, ...], currency: str) -> str:
    """The fingerprint of an engine row (equal to its event's)."""
    event = row[5]
    if event is not None:
        if type(event) is not Purchase:
            return _digest(_text(event))
        fields = event.__dict__
        if fields["lines"] or fields["metadata"] or fields["channel"] is not None:
            return _digest(_text(event))
        # A purchase with every optional field at its default: its canonical JSON is the
        # column template's (the same keys and values), in its own amount's currency.
        currency = fields["amount"].currency
    p = _TEMPLATES.get(currency) or _template(currency)
    at = row[3]
    # _digest, inline: the one fingerprint every apply of a purchase computes
    return _blake2b("".join((
        p[0], '"', format(row[4].normalize(), "f"), '"', p[1],
        '"', (at if at.tzinfo is UTC else _utc(at)).isoformat(), '"', p[2],
        _encode(row[1]), p[3], _encode(row[2]), p[4])).encode("ascii"),
        digest_size=8).hexdigest()


_blake2b = hashlib.blake2b


# -- the canonical JSON text, written directly -------------------------------------------------
# ``_dumps(canonical(event))`` walks every value through an ``isinstance`` chain and then has
# ``json`` sort every dict again: most of the cost of freezing a state whose events have many
# lines (measured: 3 s for a year of Online Retail orders). ``_text`` writes the same text in
# one walk: a writer per exact type, and per model class its fields in sorted key order,
# found once. Any other type goes the general way, so the text is equal by construction.

_Writer = Any
_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}
_line_text = Line.__dict__["_text"].__get__
"""A ``Line``'s text as :func:`_line` wrote it, kept on the line (``AttributeError`` while
none is): a loader that makes each distinct line once (as the order-lines loader of
``experiments`` does) has its lines' texts found on the objects, and a purchase's lines in one
``map`` (no Python frame per line). Lines are frozen, and the slot is not copied with a line
(``model_copy(update=...)`` makes a line that writes its own text)."""
_keep_line_text = Line.__dict__["_text"].__set__


def _general(value: Any) -> str:
    """A value of a type met for the first time: a model class is remembered (written field
    by field from now on); any other type is written the general way."""
    if isinstance(value, BaseModel):
        _WRITERS[type(value)] = _model
        return _model(value)
    return _dumps(canonical(value))


def _model_fields(cls: type, names: Any) -> tuple[tuple[str, str], ...]:
    """A model class's fields in sorted key order, each with the text before its value."""
    fields = tuple((("{" if i == 0 else ",") + _encode(key) + ":", key)
                   for i, key in enumerate(sorted(names)))
    _FIELDS[cls] = fields
    return fields


def _model(value: Any) -> str:
    d = _fields(value)
    fields = _FIELDS.get(type(value))
    if fields is None or len(fields) != len(d):
        fields = _model_fields(type(value), d)
        if not fields:
            return "{}"
    writers = _WRITERS
    parts = []
    for head, key in fields:
        item = d[key]
        parts.append(head)
        parts.append((writers.get(type(item)) or _general)(item))
    parts.append("}")
    return "".join(parts)


def _sequence(value: Any) -> str:
    if not value:
        return "[]"
    writers = _WRITERS
    if type(value[0]) is Line:  # a purchase's lines: most of its text, kept on each line
        try:
            return "[" + ",".join(map(_line_text, value)) + "]"
        except (AttributeError, TypeError):  # a line not written before (or not a ``Line``)
            return "[" + ",".join(_missing_lines(value)) + "]"
    return "[" + ",".join([(writers.get(type(item)) or _general)(item) for item in value]) + "]"


def _missing_lines(value: Any) -> list[str]:
    """The texts of a sequence whose first item is a ``Line``, some not written yet: each
    line's kept text, or its text written now (and kept)."""
    if set(map(type, value)) != _JUST_LINES:  # only a ``Line``'s slot is its own text
        writers = _WRITERS
        return [(writers.get(type(item)) or _general)(item) for item in value]
    texts: list[str] = []
    append = texts.append
    for line in value:
        try:
            append(_line_text(line))
        except AttributeError:
            append(_write_line(line))
    return texts


_JUST_LINES = {Line}


def _mapping(value: dict[Any, Any]) -> str:
    return "{}" if not value else _general(value)


_WRITERS: dict[type, _Writer] = {
    str: _encode,
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
    type(None): lambda value: "null",
    Decimal: lambda value: '"' + format(value.normalize(), "f") + '"',
    Money: lambda value: ('["' + format(value.amount.normalize(), "f") + '",'
                          + _encode(value.currency) + "]"),
    datetime: lambda value: '"' + _utc(value).isoformat() + '"',
    date: lambda value: '"' + value.isoformat() + '"',
    tuple: _sequence,
    list: _sequence,
    dict: _mapping,
}


_LINES: dict[tuple[Any, ...], str] = {}
_LINES_KEPT = 100_000


def _line(value: Any) -> str:
    """An order line, most of a purchase's text: kept on the line (see :data:`_line_text`),
    and by its values, since real orders repeat the same SKU, quantity and price (the Online
    Retail year: 40,594 distinct of 392,692 lines). The key holds each value's exact type and
    the amount as written, so two lines share a text only when the general form writes them
    alike."""
    try:
        text: str = _line_text(value)
    except AttributeError:
        text = _write_line(value)
    return text


def _write_line(value: Any) -> str:
    """A ``Line``'s text, written now and kept on it (see :data:`_line_text`)."""
    text = _line_by_value(value)
    _keep_line_text(value, text)
    return text


def _line_by_value(value: Any) -> str:
    d = value.__dict__
    price, metadata = d["unit_price"], d["metadata"]
    sku, quantity, category = d["sku"], d["quantity"], d["category"]
    if (len(d) != 5 or metadata or type(metadata) is not dict or type(price) is not Money
            or type(sku) is not str or type(quantity) is not int
            or (category is not None and type(category) is not str)):
        return _model(value)
    key = (sku, quantity, category, str(price.amount), price.currency)
    text = _LINES.get(key)
    if text is None:
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        # ``_model(value)`` for this shape, in one join (keys sorted: category, metadata,
        # quantity, sku, unit_price)
        text = _LINES[key] = "".join((
            '{"category":', "null" if category is None else _encode(category),
            ',"metadata":{},"quantity":', int.__repr__(quantity), ',"sku":', _encode(sku),
            ',"unit_price":["', format(price.amount.normalize(), "f"), '",',
            _encode(price.currency), "]}"))
    return text


_WRITERS[Line] = _line


def _text(event: BaseModel) -> str:
    """``_dumps(canonical(event))``, written in one walk."""
    return str((_WRITERS.get(type(event)) or _general)(event))


# -- a purchase, written by one function --------------------------------------------------------
# A purchase is most of the events a shop sends, and the general model writer looks up a writer
# per field. Its canonical JSON in sorted key order, for the shape nearly every purchase has
# (no metadata, values of their exact types), is written here in one join; any other purchase
# goes the general way (``_model``). ``test_fingerprint_writers`` holds it to ``canonical``.

_PURCHASE_KEYS = ("amount", "at", "channel", "id", "lines", "member_id", "metadata", "type")


def _purchase(event: Any) -> str:
    d = event.__dict__
    try:  # eight fields, and these eight: a purchase's exact field set
        amount, at, channel, eid, lines, member, metadata, kind = (
            d["amount"], d["at"], d["channel"], d["id"], d["lines"], d["member_id"],
            d["metadata"], d["type"])
    except KeyError:
        return _model(event)
    if (len(d) != 8 or type(metadata) is not dict or metadata
            or type(amount) is not Money or type(at) is not datetime
            or type(eid) is not str or type(member) is not str or type(kind) is not str
            or type(lines) is not tuple or (channel is not None and type(channel) is not str)):
        return _model(event)
    return "".join((
        '{"amount":["', format(amount.amount.normalize(), "f"), '",', _encode(amount.currency),
        '],"at":"', _utc(at).isoformat(), '","channel":',
        "null" if channel is None else _encode(channel), ',"id":', _encode(eid),
        ',"lines":', _sequence(lines), ',"member_id":', _encode(member),
        ',"metadata":{},"type":', _encode(kind), "}"))


if (tuple(sorted(Purchase.model_fields)) == _PURCHASE_KEYS
        and not any(field.exclude_if for field in Purchase.model_fields.values())):
    _WRITERS[Purchase] = _purchase


# A return, the other event a year of orders holds many of, the same way.

_RETURN_KEYS = ("amount", "at", "id", "lines", "member_id", "metadata", "purchase_id", "type")


def _return(event: Any) -> str:
    d = event.__dict__
    try:  # eight fields, and these eight: a return's exact field set
        amount, at, eid, lines, member, metadata, purchase, kind = (
            d["amount"], d["at"], d["id"], d["lines"], d["member_id"], d["metadata"],
            d["purchase_id"], d["type"])
    except KeyError:
        return _model(event)
    if (len(d) != 8 or type(metadata) is not dict or metadata
            or (amount is not None and type(amount) is not Money) or type(at) is not datetime
            or type(eid) is not str or type(member) is not str or type(purchase) is not str
            or type(kind) is not str or type(lines) is not tuple):
        return _model(event)
    return "".join((
        '{"amount":', "null" if amount is None else '["' + format(
            amount.amount.normalize(), "f") + '",' + _encode(amount.currency) + "]",
        ',"at":"', _utc(at).isoformat(), '","id":', _encode(eid), ',"lines":', _sequence(lines),
        ',"member_id":', _encode(member), ',"metadata":{},"purchase_id":', _encode(purchase),
        ',"type":', _encode(kind), "}"))


if (tuple(sorted(Return.model_fields)) == _RETURN_KEYS
        and not any(field.exclude_if for field in Return.model_fields.values())):
    _WRITERS[Return] = _return
