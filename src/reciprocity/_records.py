"""A member state's kept purchase records, held as rows: what pydantic-core reads and writes
without building a model per record.

``MemberState.purchases`` is a :class:`Records`: a sequence of
:class:`~reciprocity.PurchaseRecord` (indexing, ``len``, iteration, slicing, ``==`` with a
tuple of records, ``repr``) over a tuple of *rows*, one per record, in ``R_*`` order::

    (id, at, amount, returned, earned, revoked, lines, fully_returned)

``earned`` and ``revoked`` are tuples of ``(rule id, points)`` pairs, ``lines`` a tuple of
line rows in ``LR_*`` order, ``(sku, category, quantity, unit_price, returned)``. The models
are built from the rows on first read and kept (``Records.models``); the engine reads and
writes the rows only.

In JSON each record is an array in that order: ``["A-1", "2025-05-13T12:16:00Z", "104.32",
"0", [["base", 104]], [], [], false]`` (a line ``["SKU-1", "shoes", 2, "49.90", 0]``). A
reader accepts a row with trailing items left out (their defaults), and a record in the
object form written before rows (``{"id": "A-1", "at": ...}``), which loads to the same row.
A malformed row is refused naming the field, as the object form was
(``MemberState.purchases[3].returned``): :func:`~reciprocity._fastpath.without_fast_branch`
drops the other form's errors and names each position.

An array of rows all in the form the library writes (each instant and amount the very text
the dump writes of its value, ``_fastpath.INSTANT_TEXT`` and ``AMOUNT_TEXT``) is first read
as it is, in pydantic-core alone: :meth:`Records.of_json`, ``Records.raw``. The rows are made
from those texts when first read (``typed_row_of``: the values the fast JSON branches make),
and ``MemberState.model_dump_json`` writes the texts back as they are. Any other array takes
the way above (a union's fast branch: its errors are dropped).

Imports: ``_fastpath``, ``_model``, ``_state_base`` and ``_trusted``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, overload

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, SchemaSerializer, core_schema

from ._fastpath import (
    _AMOUNTS,
    AMOUNT_TEXT,
    CHECKED,
    FAST,
    INSTANT_TEXT,
    LINE_NAMES,
    OBJECT,
    ROW,
    ROW_NAMES,
)
from ._model import Instant, NonEmptyStr
from ._state_base import Amount, Count, _StateModel
from ._trusted import built

__all__ = ["EMPTY", "LINE_FIELDS", "ROW_FIELDS", "PurchaseRecord", "RecordLine", "RecordRow",
           "Records", "amount_of_text", "amount_text", "instant_of_text", "json_form_serializer",
           "json_row_of", "record_of", "records_of", "row_of", "rows_for_json", "typed_row_of"]


class RecordLine(_StateModel):
    """A line of a remembered purchase, so a return by line is priced as it was sold."""

    sku: NonEmptyStr
    category: str | None = None
    quantity: Annotated[int, Field(gt=0, strict=True)]
    unit_price: Amount
    returned: Count = 0


class PurchaseRecord(_StateModel):
    """What the state remembers of a purchase, so a later return is handled exactly."""

    id: NonEmptyStr
    at: Instant
    amount: Amount
    returned: Amount = Decimal(0)
    """Amount returned so far."""
    earned: tuple[tuple[str, Count], ...] = ()
    """Points earned, per rule id, as stored at earning time (never recomputed)."""
    revoked: tuple[tuple[str, Count], ...] = ()
    """Points taken back so far, per rule id."""
    lines: tuple[RecordLine, ...] = ()
    """The order's lines, when it had any."""
    fully_returned: bool = False
    """Whether everything was returned (also for an order of 0.00)."""


R_ID, R_AT, R_AMOUNT, R_RETURNED, R_EARNED, R_REVOKED, R_LINES, R_CLOSED = range(8)
"""RecordRow positions of a purchase record (``PurchaseRecord``'s fields, in declared order)."""
LR_SKU, LR_CATEGORY, LR_QUANTITY, LR_PRICE, LR_RETURNED = range(5)
"""RecordRow positions of a record's line (``RecordLine``'s fields, in declared order)."""
ROW_FIELDS = tuple(PurchaseRecord.model_fields)
LINE_FIELDS = tuple(RecordLine.model_fields)
_REQUIRED = 3  # id, at, amount: the items a row always has; the rest have defaults
_LINE_REQUIRED = 4  # sku, category, quantity, unit_price

_RECORD_NAMES = set(ROW_FIELDS)
_LINE_NAMES = set(LINE_FIELDS)

RecordRow = tuple[Any, ...]


def record_of(row: RecordRow) -> PurchaseRecord:
    """The model of a row (trusted: the row was validated or made by the engine)."""
    lines = row[R_LINES]
    return built(PurchaseRecord, {
        "id": row[R_ID], "at": row[R_AT], "amount": row[R_AMOUNT],
        "returned": row[R_RETURNED], "earned": row[R_EARNED], "revoked": row[R_REVOKED],
        "lines": tuple(built(RecordLine, dict(zip(LINE_FIELDS, line, strict=True)),
                             _LINE_NAMES) for line in lines) if lines else (),
        "fully_returned": row[R_CLOSED]}, _RECORD_NAMES)


def row_of(record: PurchaseRecord) -> RecordRow:
    """The row of a (validated) model."""
    d = record.__dict__
    lines = d["lines"]
    return (d["id"], d["at"], d["amount"], d["returned"], d["earned"], d["revoked"],
            tuple(tuple(line.__dict__.values()) for line in lines) if lines else (),
            d["fully_returned"])


instant_of_text = datetime.fromisoformat
"""The instant of a row's time in its JSON form (``INSTANT_TEXT``), as the load makes it."""
amount_of_text = _AMOUNTS.__getitem__
"""The amount of a row's amount in its JSON form (``AMOUNT_TEXT``), as the load makes it."""


def typed_row_of(raw: RecordRow) -> RecordRow:
    """The row of a row kept in its JSON form (see :class:`Records`): what the JSON fast
    branches of its instant and amounts make of the same texts."""
    lines = raw[R_LINES]
    return (raw[R_ID], instant_of_text(raw[R_AT]), amount_of_text(raw[R_AMOUNT]),
            amount_of_text(raw[R_RETURNED]), raw[R_EARNED], raw[R_REVOKED],
            tuple([(line[0], line[1], line[2], amount_of_text(line[3]), line[4])
                   for line in lines]) if lines else (),
            raw[R_CLOSED])


_INSTANT_JSON = SchemaSerializer(core_schema.datetime_schema()).to_json


_ZERO_AMOUNT = _AMOUNTS["0"]
"""The shared ``Decimal`` of ``"0"`` (nothing returned): the load's, and the express
purchase's for a new record."""


def amount_text(value: Decimal) -> str:
    """An amount's text as the dump writes it, ``format(value, "f")``: ``str``'s when it has
    no exponent (the same text, about a third of the cost), and ``"0"`` for the shared zero."""
    if value is _ZERO_AMOUNT:
        return "0"
    text = str(value)  # an exponent: "E" ("e" while the context's capitals is 0)
    return format(value, "f") if "E" in text or "e" in text else text


def json_row_of(row: RecordRow) -> RecordRow:
    """A row in its JSON form: each instant and amount the text the dump writes of it (of a
    UTC instant, ``isoformat``'s with ``Z`` for ``+00:00``, as pydantic writes it; of an
    amount, :func:`amount_text`)."""
    lines = row[R_LINES]
    at = row[R_AT]
    return (row[R_ID],
            at.isoformat()[:-6] + "Z" if at.tzinfo is UTC else _INSTANT_JSON(at)[1:-1].decode(),
            amount_text(row[R_AMOUNT]),
            amount_text(row[R_RETURNED]), row[R_EARNED], row[R_REVOKED],
            tuple([(line[0], line[1], line[2], amount_text(line[3]), line[4])
                   for line in lines]) if lines else (),
            row[R_CLOSED])


def records_of(items: Any) -> Records:
    """The records of ``items``: :class:`PurchaseRecord` models or their dicts (validated)."""
    if type(items) is Records:
        return items
    return Records(tuple(row_of(item if isinstance(item, PurchaseRecord)
                                else PurchaseRecord.model_validate(item)) for item in items))


class Records(Sequence[PurchaseRecord]):
    """A state's kept purchase records: rows (``.rows``), read as
    :class:`~reciprocity.PurchaseRecord` models built on first read and kept.

    Records read from JSON in the form the library writes (each instant and amount the
    text the dump writes of it: ``INSTANT_TEXT``, ``AMOUNT_TEXT``) are kept in that form
    too, ``.raw``: rows of JSON values (``"2025-05-13T12:16:00Z"``, ``"104.32"``), read by
    pydantic-core without a Python call per value and written back by it as they are
    (``MemberState.model_dump_json``). ``.rows`` is then made from them when first read
    (:func:`typed_row_of`, the values the JSON fast branches make), except the newest
    ones an ``apply`` added, whose rows it kept (``_tail``). ``raw`` is ``None`` for
    records made otherwise.
    """

    __slots__ = ("_models", "_tail", "raw", "rows")
    _models: tuple[PurchaseRecord, ...]
    _tail: tuple[RecordRow, ...]
    raw: tuple[RecordRow, ...] | None
    rows: tuple[RecordRow, ...]

    def __init__(self, rows: tuple[RecordRow, ...] = ()) -> None:
        self.rows = rows
        self.raw = None

    @classmethod
    def of_json(cls, raw: tuple[RecordRow, ...],
                tail: tuple[RecordRow, ...] = ()) -> Records:
        """Records kept in their JSON form ``raw``; ``tail``: the rows of its last
        ``len(tail)`` ones, if known."""
        records = _new_records(cls)
        records.raw = raw
        records._tail = tail
        return records

    def __getattr__(self, name: str) -> Any:
        # called only when a slot is unset: ``rows`` of records kept in their JSON form
        if name != "rows":
            raise AttributeError(name)
        raw = self.raw
        if raw is None:  # pragma: no cover - every Records sets one of them
            raise AttributeError(name)
        tail = self._tail
        cut = len(raw) - len(tail)
        rows = self.rows = (*map(typed_row_of, raw[:cut]), *tail) if cut > 0 else tail
        return rows

    def known_rows(self) -> tuple[RecordRow, ...]:
        """Of records kept in their JSON form, the rows of the newest ones, known without
        making any: those an ``apply`` added (``Records.of_json``'s ``tail``)."""
        return self._tail

    def models(self) -> tuple[PurchaseRecord, ...]:
        """The records as models, built once."""
        try:
            models: tuple[PurchaseRecord, ...] = self._models
        except AttributeError:
            models = self._models = tuple(map(record_of, self.rows))
        return models

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @overload
    def __getitem__(self, index: int) -> PurchaseRecord: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[PurchaseRecord, ...]: ...

    def __getitem__(self, index: int | slice) -> PurchaseRecord | tuple[PurchaseRecord, ...]:
        return self.models()[index]

    def __iter__(self) -> Iterator[PurchaseRecord]:
        return iter(self.models())

    def __reversed__(self) -> Iterator[PurchaseRecord]:
        return reversed(self.models())

    def __eq__(self, other: object) -> bool:
        if type(other) is Records:
            raw = self.raw
            if raw is not None and raw == other.raw:
                return True  # the same texts: the same values
            return self.rows == other.rows
        if isinstance(other, tuple | list):
            return self.models() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.rows)

    def __repr__(self) -> str:
        return repr(self.models())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Records, (self.rows,))

    def __copy__(self) -> Records:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Records:
        return self  # immutable

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return _records_schema(handler)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema["json_schema"]["choices"][1][0])  # the checked branch
        # pydantic writes minItems of a tuple as its length; a row's trailing items may be
        # left out (their defaults), so say how many a row and a line row need.
        resolved = handler.resolve_ref_schema(json_schema)
        for choice in resolved.get("items", {}).get("anyOf", ()):
            items = choice.get("prefixItems")
            if items is not None and len(items) == len(ROW_FIELDS):
                choice["minItems"] = _REQUIRED
                line = items[R_LINES].get("items", {})
                if len(line.get("prefixItems", ())) == len(LINE_FIELDS):
                    line["minItems"] = _LINE_REQUIRED
        return json_schema


EMPTY = Records()
"""The records of a state that keeps none (shared: immutable)."""
_new_records = object.__new__


def rows_for_json(records: Records) -> tuple[RecordRow, ...]:
    """What the JSON of ``records`` is written from (``MemberState``'s own serializer): the
    rows (made first from the JSON form, if kept so)."""
    return records.rows


def _json_form(records: Records) -> tuple[RecordRow, ...] | None:
    """What ``MemberState.model_dump_json`` writes of records kept in their JSON form."""
    return records.raw


def _defaults(items: list[CoreSchema], required: int, defaults: tuple[Any, ...]) -> None:
    for index in range(required, len(items)):
        items[index] = core_schema.with_default_schema(items[index],
                                                       default=defaults[index - required])


def _row_schema(handler: GetCoreSchemaHandler) -> CoreSchema:
    """A row as a tuple schema: each position the model field's type, the trailing ones with
    the field's default when left out."""
    line: Any = tuple[NonEmptyStr, str | None, Annotated[int, Field(gt=0, strict=True)],
                      Amount, Count]
    line_schema = handler.generate_schema(line)
    _defaults(line_schema["items_schema"], _LINE_REQUIRED, (0,))
    pairs: Any = tuple[tuple[str, Count], ...]
    row: Any = tuple[NonEmptyStr, Instant, Amount, Amount, pairs, pairs, tuple[Any, ...], bool]
    schema = handler.generate_schema(row)
    items = schema["items_schema"]
    items[R_LINES] = core_schema.tuple_schema([line_schema], variadic_item_index=0)
    _defaults(items, _REQUIRED, (Decimal(0), (), (), (), False))
    return schema


def _json_row_schema(handler: GetCoreSchemaHandler) -> CoreSchema:
    """A row in its JSON form as a tuple schema: the instants and amounts strict strings of
    the texts the dump writes (``INSTANT_TEXT``, ``AMOUNT_TEXT``), the rest as in
    :func:`_row_schema` but strict (a ``bool`` only ``true`` or ``false``), so that a row
    it accepts is written back as it was read; defaults as the dump writes them."""
    amount = core_schema.str_schema(strict=True, pattern=AMOUNT_TEXT)
    line: Any = tuple[NonEmptyStr, str | None, Annotated[int, Field(gt=0, strict=True)],
                      str, Count]
    line_schema = handler.generate_schema(line)
    line_items = line_schema["items_schema"]
    line_items[LR_PRICE] = amount
    _defaults(line_items, _LINE_REQUIRED, (0,))
    pairs: Any = tuple[tuple[str, Count], ...]
    row: Any = tuple[NonEmptyStr, str, str, str, pairs, pairs, tuple[Any, ...], bool]
    schema = handler.generate_schema(row)
    items = schema["items_schema"]
    items[R_AT] = core_schema.str_schema(strict=True, pattern=INSTANT_TEXT)
    items[R_AMOUNT] = items[R_RETURNED] = amount
    items[R_LINES] = core_schema.tuple_schema([line_schema], variadic_item_index=0)
    items[R_CLOSED] = core_schema.bool_schema(strict=True)
    _defaults(items, _REQUIRED, ("0", (), (), (), False))
    return schema


def json_form_serializer(schema: Any) -> core_schema.SerSchema:
    """How ``MemberState.model_dump_json`` writes records kept in their JSON form: with the
    serializer of the schema that read them (found in ``schema``, a model's core schema),
    each text as it is."""
    found = _json_form_schema(schema)
    assert found is not None, "no Records in the schema"
    return core_schema.plain_serializer_function_ser_schema(
        _json_form, when_used="json", return_schema=found)


def _json_form_schema(node: Any) -> Any:
    if isinstance(node, dict):
        if (node.get("type") == "function-after"
                and node["function"].get("function") == Records.of_json):
            return node["schema"]
        values: Any = node.values()
    elif isinstance(node, list | tuple):  # a union's choices are (schema, label) pairs
        values = node
    else:
        return None
    for value in values:
        found = _json_form_schema(value)
        if found is not None:
            return found
    return None


def _python_input(value: Any, handler: Any) -> Records:
    """Python input: a :class:`Records` as it is (immutable), else records (models or dicts)
    or rows validated."""
    if type(value) is Records:
        return value
    records: Records = handler(value)
    return records


def _records_schema(handler: GetCoreSchemaHandler) -> CoreSchema:
    row = _row_schema(handler)
    # the object form (and, in Python, a model or its dict) made a row as it is read
    model = core_schema.no_info_after_validator_function(
        row_of, handler.generate_schema(PurchaseRecord))
    either = core_schema.union_schema([(row, ROW), (model, OBJECT)], mode="left_to_right")
    json_rows = core_schema.tuple_schema([either], variadic_item_index=0)
    python_either = core_schema.union_schema([(model, OBJECT), (row, ROW)],
                                             mode="left_to_right")
    python_rows = core_schema.tuple_schema([python_either], variadic_item_index=0)
    as_json = core_schema.no_info_after_validator_function(
        Records.of_json,
        core_schema.tuple_schema([_json_row_schema(handler)], variadic_item_index=0))
    return core_schema.json_or_python_schema(
        # records as the library writes them kept so (the fast branch), else rows or
        # objects read as before (the checked branch; its errors: ``without_fast_branch``)
        json_schema=core_schema.union_schema(
            [(as_json, FAST),
             (core_schema.no_info_after_validator_function(Records, json_rows), CHECKED)],
            mode="left_to_right"),
        python_schema=core_schema.no_info_wrap_validator_function(
            _python_input, core_schema.no_info_after_validator_function(Records, python_rows),
            serialization=core_schema.plain_serializer_function_ser_schema(
                Records.models,
                return_schema=core_schema.tuple_schema(
                    [handler.generate_schema(PurchaseRecord)], variadic_item_index=0))),
        serialization=core_schema.plain_serializer_function_ser_schema(
            rows_for_json, when_used="json",
            return_schema=core_schema.tuple_schema([row], variadic_item_index=0)),
    )


assert ROW_FIELDS == ROW_NAMES  # the errors name positions by these
assert LINE_FIELDS == LINE_NAMES
