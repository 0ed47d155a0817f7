"""Facts: what an event says, by name, typed; declared by a program, read by conditions.

A *fact* is one value an event carries. Some are the typed fields of the events themselves
(a complaint's ``severity``, a purchase's ``amount`` or ``channel``: :data:`EVENT_FIELDS`);
the others are a shop's own, carried in ``metadata`` (of any event), in a ``Custom`` event's
``payload``, or in an order line's ``metadata``. A program declares its own facts with their
types (:class:`Fact`), so that a condition that reads a misspelt fact, or compares it with a
value of the wrong type, is refused when the program is built, and an event that carries a
declared fact with a wrong value is refused when it is validated: never silently false.

>>> Fact(name="delay_minutes", type="int").describe()
'delay_minutes: a whole number'
>>> Fact(name="ticket", type="str", values=("single", "return", "season")).describe()
"ticket: one of 'single', 'return', 'season'"

A fact is named by a string: ``"severity"`` (an event field), ``"delay_minutes"`` (a declared
fact, read from ``metadata``, or first from ``payload`` for a ``Custom`` event), or
``"line.category"`` / ``"line.origin"`` (a field, or a declared ``on="line"`` fact, of an order
line; a condition over a line fact holds when any line meets it).

Imports: ``_model``, ``errors``, ``events`` and ``money``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError, model_validator

from ._model import Frozen, require_in_range
from .errors import InvalidFact, InvalidProgram, ReciprocityError, UnknownFact
from .events import (
    APPROVAL,
    COMPLAINT,
    CUSTOM,
    KINDS,
    PURCHASE,
    REDEMPTION,
    RETURN,
)
from .money import Money

__all__ = ["EVENT_FIELDS", "Fact", "FactType", "Labels", "LocaleTag", "Resolved",
           "check_event_facts", "label_in", "resolve"]

FactType = Literal["int", "decimal", "bool", "str", "datetime", "money", "items"]
"""The type of a fact: a whole number, an exact decimal, yes/no, a text, an aware time, an
amount of money in the program's currency, or a list of items, each a mapping of the facts
declared in ``items`` (the delays of a season ticket's month)."""

FactName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

LocaleTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")]
"""A locale tag: ``de``, ``de_AT``, ``en-GB``."""

Labels = dict[LocaleTag, Annotated[str, StringConstraints(min_length=1, max_length=200)]]
"""A name in the words of each locale, for the terms: ``{"de": "tatsächliche Ankunft"}``."""


def label_in(labels: Mapping[str, str], locale: str) -> str | None:
    """The label for ``locale`` (``de_AT`` falls back to ``de``), or ``None``.

    >>> label_in({"de": "Flugstrecke"}, "de_AT"), label_in({"de": "Flugstrecke"}, "en")
    ('Flugstrecke', None)
    """
    found = labels.get(locale)
    if found is None:
        found = labels.get(locale.replace("-", "_").split("_")[0])
    return found

TYPE_WORDS: dict[str, str] = {
    "int": "a whole number", "decimal": "a decimal number", "bool": "true or false",
    "str": "a text", "datetime": "an aware date and time", "money": "an amount of money",
    "items": "a list of items",
}

ALL_KINDS = frozenset(range(KINDS))
KIND_NAMES = ("purchase", "return", "complaint", "signup", "profile_update", "redemption",
              "custom", "approval")

EVENT_FIELDS: dict[str, tuple[FactType, frozenset[int]]] = {
    "at": ("datetime", ALL_KINDS),
    "amount": ("money", frozenset({PURCHASE, RETURN})),
    "channel": ("str", frozenset({PURCHASE, CUSTOM})),
    "severity": ("int", frozenset({COMPLAINT})),
    "category": ("str", frozenset({COMPLAINT})),
    "order_id": ("str", frozenset({COMPLAINT})),
    "amount_affected": ("money", frozenset({COMPLAINT})),
    "first_response_at": ("datetime", frozenset({COMPLAINT})),
    "resolved_at": ("datetime", frozenset({COMPLAINT})),
    "purchase_id": ("str", frozenset({RETURN})),
    "reward_id": ("str", frozenset({REDEMPTION})),
    "name": ("str", frozenset({CUSTOM})),
    "approved": ("bool", frozenset({APPROVAL})),
}
"""The typed fields of events a condition can read: name -> (type, the event kinds with it)."""

LINE_FIELDS: dict[str, FactType] = {
    "sku": "str", "category": "str", "quantity": "int", "unit_price": "money",
}
"""The typed fields of an order line (``line.<name>``)."""

MISSING: Any = object()
"""What a getter returns for a fact the event does not carry."""


class Fact(Frozen):
    """A fact a program's events may carry in ``metadata`` (or a ``Custom`` payload, or an
    order line's ``metadata`` with ``on="line"``), and its type.

    Args:
        name: lower-case letters, digits and ``_``; not the name of an event field.
        type: ``int``, ``decimal``, ``bool``, ``str``, ``datetime`` or ``money``.
        values: for a ``str`` fact, the only values it may take (empty: any text).
        on: ``"event"`` (the event's metadata) or ``"line"`` (an order line's metadata).
        items: for an ``items`` fact, the facts each item may carry.
        labels: the fact in the words of each locale, for the terms (``{"en": "actual
            arrival", "de": "tatsächliche Ankunft"}``); without one, its name is said.
        value_labels: for a ``str`` fact, its values in the words of each locale, by value
            (``{"domestic": {"en": "domestic flight", "de": "Inlandsflug"}}``): the terms
            say a compared value by its label, else as it is; each labelled value must be
            one of ``values`` when the fact declares them. Left out of the JSON when empty.

    >>> zone = Fact(name="zone", type="str", values=("domestic", "continental"),
    ...             value_labels={"domestic": {"de": "Inlandsflug"}})
    >>> zone.value_label("domestic", "de_AT"), zone.value_label("continental", "de")
    ('Inlandsflug', None)

    >>> Fact(name="severity", type="int")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reciprocity.InvalidProgram: Fact: 'severity' is a field of complaint events; ...
    """

    _error_class = InvalidProgram

    name: FactName
    type: FactType
    values: tuple[Annotated[str, StringConstraints(min_length=1)], ...] = ()
    on: Literal["event", "line"] = "event"
    items: tuple[Fact, ...] = ()
    labels: Labels = Field(default_factory=dict)
    value_labels: dict[Annotated[str, StringConstraints(min_length=1)], Labels] = Field(
        default_factory=dict, exclude_if=lambda labels: not labels)

    def value_label(self, value: str, locale: str) -> str | None:
        """The label of ``value`` in ``locale`` (:func:`label_in`), or ``None``."""
        labels = self.value_labels.get(value)
        return None if labels is None else label_in(labels, locale)

    @model_validator(mode="after")
    def _consistent(self) -> Fact:
        if (self.type == "items") != bool(self.items):
            raise ValueError("an items fact declares the facts of its items in items=(...)"
                             if self.type == "items" else
                             f"items only declare the facts of an items fact, not a {self.type}"
                             " one")
        if any(item.type == "items" for item in self.items):
            raise ValueError("an item cannot hold items itself")
        fields = EVENT_FIELDS if self.on == "event" else LINE_FIELDS
        if self.name in fields:
            kinds = EVENT_FIELDS[self.name][1] if self.on == "event" else {PURCHASE}
            where = "an order line" if self.on == "line" else (
                "every event" if kinds == ALL_KINDS
                else " and ".join(KIND_NAMES[k] for k in sorted(kinds)) + " events")
            raise ValueError(f"{self.name!r} is a field of {where}; conditions read it "
                             "without a declaration: pick another name for your own fact")
        if self.values and self.type != "str":
            raise ValueError(f"values only restrict a str fact, not a {self.type} one")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"values={self.values} has a value twice")
        if self.value_labels and self.type != "str":
            raise ValueError(f"value_labels only name the values of a str fact, not those of "
                             f"the {self.type} fact {self.name!r}; drop them")
        for value in self.value_labels if self.values else ():
            if value not in self.values:
                near = difflib.get_close_matches(value, self.values, n=1)
                raise ValueError(
                    f"value_labels names {value!r}, which is not one of values="
                    f"{self.values}" + (f" (did you mean {near[0]!r}?)" if near else "")
                    + "; label only the values the fact declares")
        return self

    def describe(self) -> str:
        """The declaration in plain words."""
        if self.values:
            return f"{self.name}: one of " + ", ".join(repr(v) for v in self.values)
        where = " (of an order line)" if self.on == "line" else ""
        text = f"{self.name}{where}: {TYPE_WORDS[self.type]}"
        if self.items:
            text += " (each with " + ", ".join(i.describe() for i in self.items) + ")"
        return text

    def read(self, raw: Any, currency: str) -> Any:
        """``raw`` as this fact's typed value (items: a list of dicts of typed values);
        ``ValueError`` if it is not one."""
        if self.type != "items":
            return typed_value(self.type, raw, currency, self.values)
        if not isinstance(raw, list | tuple):
            raise ValueError(f"{raw!r} is not a list of items")
        found = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                raise ValueError(f"item {index} is {item!r}, not a mapping of facts")
            typed = {}
            for fact in self.items:
                value = item.get(fact.name)
                if value is not None:
                    try:
                        typed[fact.name] = fact.read(value, currency)
                    except ValueError as exc:
                        raise ValueError(f"item {index} {fact.name!r}: {exc}") from None
            found.append(typed)
        return found


Fact.model_rebuild()

_MONEY: TypeAdapter[Money] = TypeAdapter(Money)
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


def typed_value(kind: FactType, raw: Any, currency: str, values: tuple[str, ...] = ()) -> Any:
    """``raw`` (JSON or Python) as the typed value of a ``kind`` fact; ``ValueError`` if it
    is not one. Money becomes its ``Decimal`` amount (its currency must be ``currency``).

    >>> typed_value("decimal", 49.9, "EUR"), typed_value("money", "12.50 EUR", "EUR")
    (Decimal('49.9'), Decimal('12.50'))
    >>> typed_value("int", True, "EUR")
    Traceback (most recent call last):
    ...
    ValueError: True is not a whole number
    """
    words = TYPE_WORDS[kind]
    if kind == "items":
        raise ValueError("cannot be compared with a list of items; a band table reads its "
                         "items with each=")
    if kind == "bool":
        if type(raw) is not bool:
            raise ValueError(f"{raw!r} is not {words}")
        return raw
    if kind == "int":
        if type(raw) is not int:
            raise ValueError(f"{raw!r} is not {words}")
        return raw
    if kind == "str":
        if type(raw) is not str:
            raise ValueError(f"{raw!r} is not {words}")
        if values and raw not in values:
            near = difflib.get_close_matches(raw, values, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{raw!r} is not one of {', '.join(map(repr, values))}{hint}")
        return raw
    if kind == "decimal":
        if type(raw) is int or isinstance(raw, Decimal):
            value = Decimal(raw)
        elif type(raw) is float:
            value = Decimal(repr(raw))  # the shortest text that reads back as this float
        elif type(raw) is str and _NUMBER.fullmatch(raw.strip()):
            value = Decimal(raw.strip())
        else:
            raise ValueError(f"{raw!r} is not {words}")
        if not value.is_finite():
            raise ValueError(f"{raw!r} is not a finite number")
        return value
    if kind == "money":
        try:
            money = raw if isinstance(raw, Money) else _MONEY.validate_python(raw)
        except (ValidationError, ValueError, InvalidOperation):
            raise ValueError(f"{raw!r} is not {words} (write '12.50 {currency}')") from None
        if money.currency != currency:
            raise ValueError(f"{money} is not in the program's currency {currency}")
        return money.amount
    # datetime
    if isinstance(raw, datetime):
        when = raw
    elif type(raw) is str:
        try:
            when = _DATETIME.validate_python(raw)
        except ValidationError:
            raise ValueError(f"{raw!r} is not {words} (write ISO 8601 with an offset)") from None
    else:
        raise ValueError(f"{raw!r} is not {words} (write ISO 8601 with an offset)")
    try:
        return require_in_range(when)
    except ReciprocityError as exc:  # naive, or outside the supported range
        raise ValueError(exc.message) from None


Getter = Callable[[Any], Any]
"""``getter(row) -> value`` (or :data:`MISSING`); for a line fact, every line's value.
A row is the engine's ``(kind, id, member id, at in UTC, purchase amount, event)``."""


class Resolved:
    """A fact name resolved against a program's declarations, once, when it is built."""

    __slots__ = ("get", "kinds", "name", "on_lines", "type", "values")

    def __init__(self, name: str, kind: FactType, kinds: frozenset[int], get: Getter,
                 on_lines: bool = False, values: tuple[str, ...] = ()) -> None:
        self.name = name
        self.type: FactType = kind
        self.kinds = kinds
        self.get = get
        self.on_lines = on_lines
        self.values = values


def _event_field(name: str) -> Getter:
    if name == "at":
        return lambda row: row[3]

    def get(row: Any) -> Any:
        if name == "amount" and row[4] is not None:
            return row[4]  # a purchase (also one read from columns, without a model)
        value = getattr(row[5], name, None)
        if value is None:
            return MISSING
        if isinstance(value, datetime):
            return require_in_range(value)
        return value.amount if isinstance(value, Money) else value
    return get


def _declared(fact: Fact, currency: str) -> Getter:
    name, read = fact.name, fact.read

    def get(row: Any) -> Any:
        event = row[5]
        if event is None:
            return MISSING
        payload = getattr(event, "payload", None)
        raw = payload.get(name, MISSING) if payload else MISSING
        if raw is MISSING:
            raw = event.metadata.get(name, MISSING)
        if raw is MISSING or raw is None:
            return MISSING
        return read(raw, currency)  # validated at the edge already
    return get


def _line_getter(name: str, fact: Fact | None, currency: str) -> Getter:
    def get(row: Any) -> list[Any]:
        event = row[5]  # only a purchase's lines carry facts (a return's name SKUs)
        lines = event.lines if event is not None and row[0] == PURCHASE else ()
        found = []
        for line in lines:
            if fact is None:
                value = getattr(line, name)
                if value is not None:
                    found.append(value.amount if isinstance(value, Money) else value)
            else:
                raw = line.metadata.get(name)
                if raw is not None:
                    found.append(fact.read(raw, currency))
        return found
    return get


def resolve(name: str, declared: Mapping[str, Fact], currency: str, where: str) -> Resolved:
    """The fact ``name`` as a type, the event kinds that can carry it, and a getter.

    Raises:
        UnknownFact: ``name`` is neither an event field nor declared (with the nearest name).
    """
    if name.startswith("line."):
        short = name[5:]
        fact = declared.get(name)
        if short in LINE_FIELDS:
            return Resolved(name, LINE_FIELDS[short], frozenset({PURCHASE}),
                            _line_getter(short, None, currency), on_lines=True)
        if fact is not None:
            return Resolved(name, fact.type, frozenset({PURCHASE}),
                            _line_getter(short, fact, currency), True, fact.values)
        known = [f"line.{f}" for f in LINE_FIELDS] + [n for n in declared if n.startswith("line.")]
    else:
        if name in EVENT_FIELDS:
            kind, kinds = EVENT_FIELDS[name]
            return Resolved(name, kind, kinds, _event_field(name))
        fact = declared.get(name)
        if fact is not None:
            return Resolved(name, fact.type, ALL_KINDS, _declared(fact, currency),
                            values=fact.values)
        known = list(EVENT_FIELDS) + [n for n in declared if not n.startswith("line.")]
    near = difflib.get_close_matches(name, known, n=1)
    on_line = ", on='line'" if name.startswith("line.") else ""
    raise UnknownFact(
        f"{where} reads fact {name!r}, which is neither a field of events nor declared by "
        "the program" + (f" (did you mean {near[0]!r}?)" if near else ""),
        hint=f"declare it in Program.facts, e.g. Fact(name={name.removeprefix('line.')!r}, "
        f"type='int'{on_line}), or correct "
        "the spelling",
    )


def declared_facts(facts: Iterable[Fact]) -> dict[str, Fact]:
    """Declarations by the name conditions use (``line.<name>`` for line facts); a name
    declared twice is refused."""
    found: dict[str, Fact] = {}
    for fact in facts:
        key = f"line.{fact.name}" if fact.on == "line" else fact.name
        if key in found:
            raise InvalidProgram(f"Program.facts declares {key!r} twice",
                                 hint="declare each fact once")
        found[key] = fact
    return found


def check_event_facts(event: Any, declared: Mapping[str, Fact], currency: str) -> None:
    """Refuse an event that carries a declared fact with a wrong type or value.

    Facts nobody declared are carried along untouched (``metadata`` is the shop's own).

    Raises:
        InvalidFact: naming the event, where the fact was found, the value and the type.
    """
    if not declared:
        return
    kind = type(event).__name__
    sources: list[tuple[str, Mapping[str, Any]]] = [("metadata", event.metadata)]
    payload = getattr(event, "payload", None)
    if payload:
        sources.insert(0, ("payload", payload))
    for source, data in sources:
        for name, raw in data.items():
            fact = declared.get(name)
            if fact is not None and raw is not None:
                _check_one(kind, f"{source}[{name!r}]", fact, raw, currency)
    for index, line in enumerate(getattr(event, "lines", ())):
        # a return's lines (ReturnedLine) name SKUs and carry no metadata
        for name, raw in getattr(line, "metadata", {}).items():
            fact = declared.get(f"line.{name}")
            if fact is not None and raw is not None:
                _check_one(kind, f"lines[{index}].metadata[{name!r}]", fact, raw, currency)


def _check_one(kind: str, where: str, fact: Fact, raw: Any, currency: str) -> None:
    try:
        fact.read(raw, currency)
    except ValueError as exc:
        raise InvalidFact(
            f"{kind}.{where}: {exc}; the program declares {fact.describe()}",
            hint=f"send {TYPE_WORDS[fact.type]} there, or leave the fact out",
        ) from None

