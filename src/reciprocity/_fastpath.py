"""Fast paths through pydantic-core for the values a saved document holds most: instants and
amounts, in the exact form the library itself writes them.

A state of 1,000 orders has some 35 instants and 50 amounts; checking each with Python
validators (awareness, no epoch numbers, no floats, finite, not negative) was most of the cost
of ``MemberState.model_validate_json``. :func:`fast_or_checked` gives a field two paths:

- JSON input first tries a *fast* schema that pydantic-core checks alone, without calling
  Python code: a UTC instant as the library writes it (``"2026-03-01T12:00:00Z"``, parsed by
  ``datetime.fromisoformat``, a C function, into a ``datetime`` in ``datetime.UTC``), an
  amount as a plain fixed-point text (``"12.50"``, parsed by ``Decimal``).
- Anything else (another offset, a naive time, a JSON number, ``"NaN"``, a negative
  amount), and every Python input, takes the *checked* schema: the very validators the field
  had before, so it is accepted, converted or refused exactly as before, with the same error.

The fast schema accepts a subset of what the checked one accepts and gives the same value
(``tests/test_fast_load.py`` proves it on generated and edge-case texts). When both fail,
the union's errors hold both; :func:`without_fast_branch` drops the fast path's, so an
error names only what the checked path says (``error_from_validation`` calls it).

Dumps have a fast path too (:class:`PlainDecimalDump`): a second serializer of a model whose
decimals are written by ``str`` (called by pydantic-core: about a third of the cost of
``format(value, "f")``), used when ``str`` wrote every decimal of the document in
fixed-point form, which it does unless the value needs an exponent (``1E+2``, ``1E-7``).

Imports: nothing from the package.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, getcontext
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, SchemaSerializer, core_schema

__all__ = ["AMOUNT_TEXT", "CHECKED", "FAST", "FIXED_SER", "INSTANT_TEXT", "OBJECT", "ROW",
           "FastPath", "PlainDecimalDump", "fast_or_checked", "without_fast_branch"]

FAST = "\u00b7fast"
"""The fast branch's label in a union error's location (never a field name)."""
CHECKED = _CHECKED = "\u00b7checked"
"""The checked branch's label (dropped from an error's location)."""
ROW = "\u00b7row"
"""A purchase record's row form's label in a union error's location (``_records``)."""
OBJECT = "\u00b7object"
"""A purchase record's object form's label (the form written before rows)."""
ROW_NAMES = ("id", "at", "amount", "returned", "earned", "revoked", "lines", "fully_returned")
"""The fields a row's positions hold (``PurchaseRecord``'s, ``_records`` checks it)."""
LINE_NAMES = ("sku", "category", "quantity", "unit_price", "returned")
"""The fields a line row's positions hold (``RecordLine``'s)."""
_NOT_AN_ARRAY = frozenset({"tuple_type", "list_type", "iterable_type"})

UTC_TEXT = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
            r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z$")
"""An instant as pydantic writes a UTC ``datetime``: ``2026-03-01T12:00:00Z``, with up to
six digits of a second. ``datetime.fromisoformat`` reads each one (or refuses an impossible
day, such as 30 February, which the checked path then refuses as before)."""
FIXED_TEXT = r"^[0-9]+(\.[0-9]+)?$"
"""An amount as the library writes one: fixed-point digits, never negative, no exponent."""
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
INSTANT_TEXT = (
    rf"^({_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|{_YEAR}-(0[13-9]|1[0-2])-(29|30)"
    rf"|{_YEAR}-(0[13578]|1[02])-31|{_LEAP}-02-29)"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.([1-9][0-9]{5}|0[1-9][0-9]{4}|00[1-9][0-9]{3}|000[1-9][0-9]{2}|0000[1-9][0-9]"
    r"|00000[1-9]))?Z$")
"""A UTC instant exactly as pydantic writes the ``datetime`` that ``datetime.fromisoformat``
reads from it: a real day of the years 1 to 9999, six digits of a second or none (never
``.000000``). A purchase record's text of this form is kept as it is (``_records``): it
dumps as it was read."""
AMOUNT_TEXT = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
"""An amount exactly as ``format(Decimal(text), "f")`` writes it (no leading zero)."""
FIXED_SER = core_schema.format_ser_schema("f", when_used="json")
"""How every decimal of the library's models is written to JSON: ``format(value, "f")``,
fixed-point text ("100", never "1E+2"), called by pydantic-core."""


def fast_or_checked(fast: CoreSchema, checked: CoreSchema,
                    serialization: core_schema.SerSchema) -> CoreSchema:
    """JSON input: ``fast`` if it accepts the value, else ``checked``; Python input:
    ``checked`` only. Serialized with ``serialization`` (the checked schema's own)."""
    return core_schema.json_or_python_schema(
        json_schema=core_schema.union_schema([(fast, FAST), (checked, _CHECKED)],
                                             mode="left_to_right"),
        python_schema=checked,
        serialization=serialization,
    )


def without_fast_branch(errors: list[Any]) -> list[Any]:
    """pydantic errors without the fast branches' (each ``loc`` without the union's labels):
    what the checked path alone would have said. A purchase record read as a row or as an
    object (``_records``) keeps the errors of the form its input has (an array: the row's),
    each position of a row named by its field."""
    if not any(FAST in err["loc"] or ROW in err["loc"] or OBJECT in err["loc"]
               for err in errors):
        return errors
    wrong_form = _wrong_forms(errors)
    kept = []
    for err in errors:
        loc = tuple(err["loc"])
        if FAST in loc:
            continue
        if ROW in loc or OBJECT in loc:
            label = ROW if ROW in loc else OBJECT
            at = loc.index(label)
            if (loc[:at], label) in wrong_form:
                continue
            loc = loc[:at] + (_named(loc[at + 1:]) if label == ROW else loc[at + 1:])
        if _CHECKED in loc:
            loc = tuple(part for part in loc if part != _CHECKED)
        kept.append({**err, "loc": loc})
    return kept


def _wrong_forms(errors: list[Any]) -> set[tuple[tuple[Any, ...], str]]:
    """Per record location, the form whose errors are dropped: the row's if the input was
    not an array and the object form did more than refuse it, else the object form's."""
    not_array: set[tuple[Any, ...]] = set()
    not_object: set[tuple[Any, ...]] = set()
    places: set[tuple[Any, ...]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        for label, refused in ((ROW, not_array), (OBJECT, not_object)):
            if label in loc:
                at = loc.index(label)
                places.add(loc[:at])
                if at == len(loc) - 1 and (label == OBJECT or err["type"] in _NOT_AN_ARRAY):
                    refused.add(loc[:at])
    return {(place, ROW) if place in not_array and place not in not_object
            else (place, OBJECT) for place in places}


def _named(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A location inside a row, its positions named: ``(3,)`` -> ``("returned",)``,
    ``(6, 0, 4)`` -> ``("lines", 0, "returned")``."""
    if not loc or type(loc[0]) is not int or loc[0] >= len(ROW_NAMES):
        return loc
    named: tuple[Any, ...] = (ROW_NAMES[loc[0]], *loc[1:])
    if named[0] == "lines" and len(named) > 2 and type(named[2]) is int \
            and named[2] < len(LINE_NAMES):
        named = (*named[:2], LINE_NAMES[named[2]], *named[3:])
    return named


class _Amounts(dict[str, Decimal]):
    """``Decimal(text)`` for an amount's text, in C: a fixed table of the commonest amount
    (nothing returned), and ``Decimal`` itself for any other text (a ``dict`` calls
    ``__missing__`` on a miss and stores nothing: the table never grows)."""

    __missing__ = Decimal


_AMOUNTS = _Amounts({"0": Decimal("0"), "0.00": Decimal("0.00")})
"""What the fast path of an amount gives for its text: a shared ``Decimal`` (immutable) for
``"0"`` and ``"0.00"``, about 90 ns less than building one (``returned`` is ``"0"`` in
nearly every purchase record), ``Decimal(text)`` for anything else."""


class FastPath:
    """``Annotated`` metadata giving a field a fast JSON path (see the module docstring).

    ``checked`` is the field's type as it was (with its Python validators); ``kind`` is
    ``"instant"`` or ``"amount"``. The JSON Schema stays the checked type's.
    """

    def __init__(self, kind: str, checked: Any) -> None:
        self.kind = kind
        self.checked = checked

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        checked = handler.generate_schema(self.checked)
        if self.kind == "instant":
            fast = core_schema.no_info_after_validator_function(
                datetime.fromisoformat, core_schema.str_schema(strict=True, pattern=UTC_TEXT))
            serialization: core_schema.SerSchema = core_schema.simple_ser_schema("datetime")
        else:
            fast = core_schema.no_info_after_validator_function(
                _AMOUNTS.__getitem__, core_schema.str_schema(strict=True, pattern=FIXED_TEXT))
            serialization = FIXED_SER
        return fast_or_checked(fast, checked, serialization)

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(schema["python_schema"])


_SIGNS = (ord("+"), ord("-"))


def has_exponent(raw: bytes) -> bool:
    """Whether ``raw`` holds ``E+`` or ``E-``: what ``str`` of a ``Decimal`` writes, and
    ``format(value, "f")`` never does, when the value needs an exponent (``1E+2``, ``1E-7``,
    ``0E-8``; upper case while the decimal context's ``capitals`` is set, the default).

    Each ``E`` is found by ``bytes.find`` (a ``memchr``); a state holds few: its currency.
    """
    find = raw.find
    at = find(b"E")
    while at >= 0:
        if raw[at + 1] in _SIGNS:  # never past the end: an object's text ends with }
            return True
        at = find(b"E", at + 1)
    return False


def _plain_decimals(node: Any, models: list[type[BaseModel]],
                    swap: Mapping[Any, core_schema.SerSchema]) -> None:
    """Write every decimal under ``node`` that was written by ``format(value, "f")`` with
    ``str`` instead, and each serializer function named in ``swap`` as ``swap`` says;
    collect the model classes whose schemas ``node`` holds."""
    if isinstance(node, dict):
        if node.get("serialization") == FIXED_SER:
            node["serialization"] = core_schema.to_string_ser_schema()
        if node.get("type") == "function-plain":
            for function, replaced in swap.items():
                if node.get("function") is function:  # a serializer's (a validator's: a dict)
                    node.clear()
                    node.update(copy.deepcopy(replaced))
                    break
        if node.get("type") == "model":
            models.append(node["cls"])
        for value in node.values():
            _plain_decimals(value, models, swap)
    elif isinstance(node, list):
        for value in node:
            _plain_decimals(value, models, swap)


class PlainDecimalDump:
    """``model_dump_json()`` of one model class, byte for byte, about a fifth cheaper for a
    document with many amounts.

    A second serializer of the model writes decimals with ``str`` (pydantic-core's
    ``to-string`` serializer, no Python frame) instead of ``format(value, "f")``. The two
    texts differ only where ``str`` writes an exponent (``1E+2`` where ``format`` writes
    ``100``), and such a text always holds ``E+`` or ``E-``: when the fast text holds neither
    (and the decimal context does not write a lower-case ``e``), :meth:`dump` returns it,
    else the model's own dump. A string that happens to hold ``E+`` costs the slow dump,
    never a wrong one. Built once per class (about 10 ms, at import).

    ``swap``: plain serializer functions of the model's schema, each with the serializer
    that replaces it in this dump (``MemberState``'s purchase records kept in their JSON
    form are written as they are, see ``_records``).
    """

    def __init__(self, model: type[BaseModel],
                 swap: Mapping[Any, core_schema.SerSchema] | None = None) -> None:
        schema = copy.deepcopy(model.__pydantic_core_schema__)
        models: list[type[BaseModel]] = []
        _plain_decimals(schema, models, swap or {})
        # pydantic-core builds a nested model's serializer from the schema only when the
        # class is not complete; a complete one brings its own prebuilt serializer (with
        # the fixed-point decimals), so each is marked incomplete while this one is built.
        hidden = [cls for cls in dict.fromkeys(models)
                  if cls.__dict__.get("__pydantic_complete__") is True]
        for cls in hidden:
            type.__setattr__(cls, "__pydantic_complete__", False)
        try:
            self._serializer = SchemaSerializer(schema)
        finally:
            for cls in hidden:
                type.__setattr__(cls, "__pydantic_complete__", True)

    def dump(self, value: BaseModel, slow: Callable[[], str]) -> str:
        """``value``'s JSON as ``slow()`` writes it: the fast text when it holds no exponent."""
        raw: bytes = self._serializer.to_json(value)
        if getcontext().capitals and not has_exponent(raw):
            return raw.decode()
        return slow()
