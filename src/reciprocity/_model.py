"""Shared base for reciprocity's immutable pydantic models and the edge-validation helpers.

Imports: ``_bounds``, ``_fastpath`` and ``errors``.
"""

from __future__ import annotations

import difflib
import re
import sys
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic_core import CoreSchema

from ._bounds import EARLIEST_INSTANT, LATEST_INSTANT, MAX_ID_LENGTH
from ._fastpath import FIXED_SER, FastPath, without_fast_branch
from .errors import InvalidEvent, NaiveDatetime, ReciprocityError

__all__ = ["Day", "EdgeInstant", "Frozen", "Id", "Instant", "NonEmptyStr", "RuleId",
           "error_from_validation", "fixed_point", "require_aware", "require_in_range", "utc"]


def fixed_point(value: Decimal) -> str:
    """A ``Decimal`` as fixed-point text, never in exponent form.

    >>> fixed_point(Decimal("1E+2")), fixed_point(Decimal("0.50"))
    ('100', '0.50')
    """
    return format(value, "f")


@typing.overload
def utc(value: datetime) -> datetime: ...
@typing.overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC (``None`` stays ``None``): how the engine hands an instant it computed
    in the program's zone to a state or an effect, which keep every instant in UTC.

    >>> from zoneinfo import ZoneInfo
    >>> utc(datetime(2028, 1, 1, tzinfo=ZoneInfo("Europe/Berlin")))
    datetime.datetime(2027, 12, 31, 23, 0, tzinfo=datetime.timezone.utc)
    """
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def require_aware(value: datetime) -> datetime:
    """Reject a naive datetime with a message that says how to fix it; return it in UTC.

    Every instant inside reciprocity is UTC. Python compares two datetimes of one
    ``ZoneInfo`` by their wall clocks and ignores ``fold``, so in the hour a DST change
    repeats, a later time could sort before an earlier one. In UTC that cannot happen, and
    no result depends on the zone a time was written in. Calendar rules convert to the
    program's zone explicitly.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> require_aware(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")))
    datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.timezone.utc)
    """
    tz = value.tzinfo if isinstance(value, datetime) else None
    if tz is UTC:
        return value  # the usual case, first: a state's instants are all in UTC
    if not isinstance(value, datetime):
        raise TypeError(f"{value!r} is not a datetime")
    if tz is None or tz.utcoffset(value) is None:
        raise NaiveDatetime(
            f"{value.isoformat(sep=' ')} is naive",
            hint='pass an aware datetime, e.g. tzinfo=ZoneInfo("Europe/Berlin"), '
            'or an ISO string with an offset such as "2026-03-01T12:00:00+01:00"',
        )
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: not a time in UTC's range
        raise _out_of_range(value) from None


def _out_of_range(value: datetime) -> InvalidEvent:
    return InvalidEvent(
        f"{value.isoformat()} is outside the supported range "
        f"{EARLIEST_INSTANT.isoformat()} to {LATEST_INSTANT.isoformat()}",
        hint="send a time between 1900-01-01 and 2999-12-31 UTC "
        "(reciprocity.EARLIEST_INSTANT and LATEST_INSTANT)",
    )


def require_in_range(value: datetime) -> datetime:
    """:func:`require_aware`, and refuse an instant outside the supported range.

    >>> from datetime import datetime, timezone
    >>> require_in_range(datetime(9999, 12, 31, tzinfo=timezone.utc))
    Traceback (most recent call last):
    ...
    reciprocity.InvalidEvent: 9999-12-31T00:00:00+00:00 is outside the supported range ...
    """
    value = require_aware(value)
    if not EARLIEST_INSTANT <= value <= LATEST_INSTANT:
        raise _out_of_range(value)
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    """Refuse epoch numbers (which pydantic's lax mode would read as times or dates)."""
    if type(value) is str and value[:4].isdigit() and value[4:5] == "-":
        return value  # an ISO date or time ("2026-..."): no number has a "-" there
    if isinstance(value, int | float | Decimal) or (
            isinstance(value, str | bytes) and _NUMBER.fullmatch(
                value if isinstance(value, str) else value.decode("latin-1"))):
        raise ValueError(
            f"{value!r} is a number, not a time; reciprocity does not read epoch seconds: "
            'write an ISO 8601 text with an offset, e.g. "2026-03-01T12:00:00+01:00"'
        )
    return value


Instant = Annotated[datetime, FastPath("instant", Annotated[
    datetime, BeforeValidator(_not_a_number), AfterValidator(require_aware)])]
"""An aware datetime, kept in UTC; naive ones are refused with
:class:`~reciprocity.NaiveDatetime`, epoch numbers with :class:`~reciprocity.InvalidEvent`.
In JSON, a UTC text as the library writes it is read in pydantic-core alone (``_fastpath``)."""

EdgeInstant = Annotated[datetime, BeforeValidator(_not_a_number),
                        AfterValidator(require_in_range)]
"""An :data:`Instant` given from outside (an event's time, a condition's window): also
inside ``EARLIEST_INSTANT`` .. ``LATEST_INSTANT``."""


def _day(value: date) -> date:
    if not EARLIEST_INSTANT.date() <= value <= LATEST_INSTANT.date():
        raise ValueError(
            f"{value.isoformat()} is outside the supported range "
            f"{EARLIEST_INSTANT.date()} to {LATEST_INSTANT.date()}; send a date in it"
        )
    return value


Day = Annotated[date, BeforeValidator(_not_a_number), AfterValidator(_day)]
"""A calendar date given from outside (a birthday): ISO text or a ``date``, in range."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]


def _printable(value: str, what: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(
            f"{what} has {len(value):,} characters, more than MAX_ID_LENGTH={MAX_ID_LENGTH}; "
            "use a shorter id (a key or a hash of a long one)"
        )
    if not value.isprintable():
        bad = next(ch for ch in value if not ch.isprintable())
        raise ValueError(
            f"{what} holds the non-printable character U+{ord(bad):04X}; "
            "use printable characters only"
        )
    return value


def _id(value: str) -> str:
    if not value.strip():
        raise ValueError("an id cannot be empty or only spaces; give the id")
    return _printable(value, "the id")


Id = Annotated[str, AfterValidator(_id)]
"""An id given from outside (event, member, purchase, reward, SKU): not empty after trimming,
printable, at most ``MAX_ID_LENGTH`` characters."""


def _rule_id(value: str) -> str:
    if not value or "/" in value or any(ch.isspace() for ch in value):
        raise ValueError(
            f"{value!r} is not a usable id: ids name lots and vouchers as "
            "'<event id>/<rule id>', so they cannot be empty or contain '/' or spaces; "
            "use letters, digits, '-' or '_'"
        )
    return _printable(value, "the id")


RuleId = Annotated[str, AfterValidator(_rule_id)]
"""The id of a rule, reward or budget: non-empty, without ``/`` or whitespace."""


_EVENT_CLASSES = frozenset(
    {"Purchase", "Return", "Complaint", "SignUp", "ProfileUpdate", "Redemption", "Custom",
     "Approval"}
)
_TAGS: dict[str, str] = {}
"""Discriminator tag -> class name, for every tagged model (filled by ``Frozen``)."""
_FIELDS: set[str] = set()
"""Every field name of every model: a tag that is also a field name is never dropped."""


_MODELS: dict[str, type[BaseModel]] = {}
"""Class name -> class, for every ``Frozen`` model (to list a model's fields in errors)."""


def _model_at(owner: str, loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that holds the field at the end of ``loc`` (best effort)."""
    current = _MODELS.get(owner)
    for item in loc:
        if current is None:
            return None
        if isinstance(item, int):
            continue
        if item in current.model_fields:
            inner = _models_in(current.model_fields[item].annotation, current.__module__)
            current = inner[0] if inner else None
        elif item in _TAGS:
            current = _MODELS.get(_TAGS[item])
        else:
            return None
    return current


def _unknown_tag(field: str, err: Any, owner: str) -> str:
    ctx = err.get("ctx") or {}
    expected = [tag.strip().strip("'") for tag in str(ctx.get("expected_tags", "")).split(",")]
    expected = [tag for tag in expected if tag]
    if not expected and owner == "event":
        expected = [tag for tag, name in _TAGS.items() if name in _EVENT_CLASSES]
    key = str(ctx.get("discriminator", "'type'")).strip("'")
    where = f"{field}.{key}"
    if err["type"] == "union_tag_not_found":
        return f"{where} is missing; add it" + (
            f", one of: {', '.join(expected)}" if expected else "")
    tag = ctx.get("tag")
    near = difflib.get_close_matches(str(tag), expected, n=1)
    return (f"{where}={tag!r} is not a known {key}; "
            + (f"did you mean {near[0]!r}? " if near else "")
            + f"use one of: {', '.join(expected)}")


def _models_in(annotation: Any, module: str,
               seen: set[int] | None = None) -> list[type[BaseModel]]:
    """Every model class inside a field's annotation (unions, ``Annotated``, containers and
    forward references resolved in ``module`` or the public package), in order."""
    seen = set() if seen is None else seen
    if isinstance(annotation, typing.ForwardRef):
        name = annotation.__forward_arg__
        for where in (module, "reciprocity"):
            found = getattr(sys.modules.get(where), name, None)
            if found is not None:
                annotation = found
                break
        else:
            return []
    if id(annotation) in seen or typing.get_origin(annotation) is typing.Literal:
        return []
    seen.add(id(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation)
            for model in _models_in(arg, module, seen)]


def _field_suggestion(holder: type[BaseModel], key: str, fields: list[str]) -> str | None:
    """What an unknown keyword ``key`` of ``holder`` most likely meant, if anything.

    A misspelt field (``pionts`` -> ``points``); a rule type written as a field
    (``Tier(min_spend=...)`` -> ``requires=MinSpend(...)``); or a field of a nested model
    (``Program(earn=...)`` -> ``points=PointScheme(earn=...)``).
    """
    near = difflib.get_close_matches(key, fields, n=1)
    if near:
        return repr(near[0])
    nested = [(field, model) for field in fields
              for model in _models_in(holder.model_fields[field].annotation, holder.__module__)]
    tags = {str(model.model_fields["type"].default): (field, model) for field, model in nested
            if "type" in model.model_fields and isinstance(model.model_fields["type"].default, str)}
    near = difflib.get_close_matches(key, list(tags), n=1)
    if near:
        field, model = tags[near[0]]
        return (f"{field}={model.__name__}(...), written in a file under {field!r} with "
                f"type {near[0]!r}")
    for field, model in nested:
        inner = [name for name in model.model_fields if name != "type"]
        near = difflib.get_close_matches(key, inner, n=1, cutoff=0.8)
        if near:
            return (f"{field}={model.__name__}({near[0]}=...), written in a file under "
                    f"{field!r} as {near[0]!r}")
    return None


def _unknown_field(owner: str, loc: tuple[int | str, ...]) -> str:
    """The message for an unknown keyword: "Tier has no field 'min_spend'; did you mean ...?"
    and the fields the model has."""
    key = str(loc[-1]) if loc else "?"
    shown = key if len(key) <= 60 else key[:57] + "..."
    holder = _model_at(owner, loc[:-1])
    head = _describe_loc(loc[:-1])
    if holder is None:  # never guess the owner: "Program has no field" would be wrong here
        return f"{owner}{'.' + head if head else ''} has no field {shown!r}; check the spelling"
    name = holder.__name__
    where = f"{owner}.{head}: " if head else ("" if name == owner else f"{owner}: ")
    text = f"{where}{name} has no field {shown!r}"
    fields = [f for f in holder.model_fields if f != "type"]
    suggestion = _field_suggestion(holder, key, fields)
    text += f"; did you mean {suggestion}?" if suggestion else "; check the spelling:"
    possessive = f"{name}'" if name.endswith("s") else f"{name}'s"
    text += f" {possessive} fields are: {', '.join(fields)}"
    if name in _EVENT_CLASSES:
        text += "; put a shop's own data under 'metadata'"
    return text


def _describe_loc(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, str) and item in _TAGS and item not in _FIELDS:
            continue  # a union's tag: the class is named by the owner or the message

        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _without_echoes(errors: list[Any]) -> list[Any]:
    """The errors without pydantic's echoes: a list or tuple whose item failed is also "too
    short" after validation; only the item's own problem is worth reading."""
    failed = [tuple(err["loc"]) for err in errors]
    return [err for err in errors
            if err["type"] != "too_short"
            or not any(len(loc) > len(err["loc"]) and loc[:len(err["loc"])] == tuple(err["loc"])
                       for loc in failed)]


def error_from_validation(
    owner: str, exc: ValidationError, default: type[ReciprocityError],
    hint: str | None = None,
) -> ReciprocityError:
    """Turn a pydantic ``ValidationError`` into one of ours, naming field, value and fix.

    When the first problem was raised by our own validators (a naive datetime, a currency
    mismatch), its class is kept so callers can catch it precisely. ``hint`` is the fix of
    the owner's problems in general, given when no problem of ours brought its own.
    """
    errors = _without_echoes(without_fast_branch(exc.errors(include_url=False)))
    first = errors[0]["loc"][:1] if errors and errors[0]["loc"] else ()
    tag = None
    if (owner == "event" and first and isinstance(first[0], str)
            and _TAGS.get(first[0]) in _EVENT_CLASSES):
        tag = first[0]
        owner = _TAGS[tag]  # parse_event: name the event class, not "event"
    lines = []
    chosen: type[ReciprocityError] = default
    for position, err in enumerate(errors):
        if tag is not None and err["loc"] and err["loc"][0] == tag:
            err["loc"] = tuple(err["loc"])[1:]
        where = _describe_loc(tuple(err["loc"]))
        field = f"{owner}.{where}" if where else owner
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ReciprocityError):
            if position == 0 and issubclass(type(original), default):
                chosen = type(original)
            if original.hint:
                hint = None
            text = original.message + (f"; {original.hint}" if original.hint else "")
            # A nested model's own __init__ already named the field ("Purchase.at: ...").
            located = getattr(original, "located", False)
            lines.append(text if located else f"{field}: {text}")
            continue
        value = err.get("input")
        shown = "" if isinstance(value, dict | list | tuple) else "=" + repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            lines.append(f"{field} is missing; add it")
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            lines.append(_unknown_tag(field, err, owner))
        elif err["type"] == "extra_forbidden":
            lines.append(_unknown_field(owner, tuple(err["loc"])))
        else:
            lines.append(f"{field}{shown}: {message}")
    head = lines[0] if len(lines) == 1 else f"{len(lines)} problems: " + " | ".join(lines)
    error = chosen(head, hint=hint) if chosen.__init__ is ReciprocityError.__init__ \
        else chosen(head)
    error.located = True  # type: ignore[attr-defined]
    return error




def _fixed_decimals(node: Any) -> None:
    """Give every ``decimal`` schema under ``node`` the fixed-point JSON serializer."""
    if isinstance(node, dict):
        if node.get("type") == "decimal" and "serialization" not in node:
            node["serialization"] = FIXED_SER
        for value in node.values():
            if isinstance(value, dict | list):
                _fixed_decimals(value)
    elif isinstance(node, list):
        for value in node:
            _fixed_decimals(value)


class Frozen(BaseModel):
    """Immutable, strict-about-unknown-fields base for policies, events, effects and states."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # Decimals dump in fixed-point form ("100", never "1E+2"), which the JSON Schema's
        # patterns and other languages' decimal parsers accept.
        schema = handler(source)
        _fixed_decimals(schema)
        return schema

    _error_class: ClassVar[type[ReciprocityError]] = InvalidEvent
    _error_hint: ClassVar[str | None] = None
    """How to fix invalid data of this model in general (when no check gave its own fix)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _FIELDS.update(cls.model_fields)
        _MODELS.setdefault(cls.__name__, cls)
        field = cls.model_fields.get("type")
        if field is not None and isinstance(field.default, str):
            _TAGS.setdefault(field.default, cls.__name__)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise error_from_validation(
                type(self).__name__, exc, type(self)._error_class, type(self)._error_hint
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):  # private attributes, set by the model itself
            super().__setattr__(name, value)
            return
        raise AttributeError(
            f"{type(self).__name__} is immutable, so .{name} cannot be set; build a changed "
            f"copy with .model_copy(update={{{name!r}: ...}}), or, for a member's state, "
            "apply an event with Program.apply"
        )

    # Tell pydantic this __init__ only wraps the base one, so nested models are validated in
    # the core (errors keep their full path, "Purchase.lines[0].quantity") rather than through
    # this method.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise error_from_validation(cls.__name__, exc, cls._error_class,
                                        cls._error_hint) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise error_from_validation(cls.__name__, exc, cls._error_class,
                                        cls._error_hint) from None
