"""Shared base for reciprocity's immutable pydantic models and the edge-validation helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from .errors import InvalidEvent, ReciprocityError

__all__ = ["Frozen", "Instant", "NonEmptyStr", "RuleId", "error_from_validation",
           "require_aware"]


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
    from .errors import NaiveDatetime

    if not isinstance(value, datetime):
        raise TypeError(f"{value!r} is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetime(
            f"{value.isoformat(sep=' ')} is naive",
            hint='pass an aware datetime, e.g. tzinfo=ZoneInfo("Europe/Berlin"), '
            'or an ISO string with an offset such as "2026-03-01T12:00:00+01:00"',
        )
    return value if value.tzinfo is UTC else value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(require_aware)]
"""An aware datetime, kept in UTC; naive ones are refused with
:class:`~reciprocity.NaiveDatetime`."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]


def _rule_id(value: str) -> str:
    if not value or "/" in value or any(ch.isspace() for ch in value):
        raise ValueError(
            f"{value!r} is not a usable id: ids name lots and vouchers as "
            "'<event id>/<rule id>', so they cannot be empty or contain '/' or spaces; "
            "use letters, digits, '-' or '_'"
        )
    return value


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


def error_from_validation(
    owner: str, exc: ValidationError, default: type[ReciprocityError],
    hint: str | None = None,
) -> ReciprocityError:
    """Turn a pydantic ``ValidationError`` into one of ours, naming field, value and fix.

    When the first problem was raised by our own validators (a naive datetime, a currency
    mismatch), its class is kept so callers can catch it precisely. ``hint`` is the fix of
    the owner's problems in general, given when no problem of ours brought its own.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]["loc"][:1] if errors and errors[0]["loc"] else ()
    if (owner == "event" and first and isinstance(first[0], str) and first[0] in _TAGS
            and first[0] not in _FIELDS):
        owner = _TAGS[first[0]]  # parse_event: name the event class, not "event"
    lines = []
    chosen: type[ReciprocityError] = default
    for position, err in enumerate(errors):
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
        elif err["type"] == "extra_forbidden":
            lines.append(
                f"{field} is not a field of {owner}; check the spelling"
                + (", or put a shop's own data under 'metadata'"
                   if owner in _EVENT_CLASSES else "")
            )
        else:
            lines.append(f"{field}{shown}: {message}")
    head = lines[0] if len(lines) == 1 else f"{len(lines)} problems: " + " | ".join(lines)
    error = chosen(head, hint=hint) if chosen.__init__ is ReciprocityError.__init__ \
        else chosen(head)
    error.located = True  # type: ignore[attr-defined]
    return error


class Frozen(BaseModel):
    """Immutable, strict-about-unknown-fields base for policies, events, effects and states."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)

    _error_class: ClassVar[type[ReciprocityError]] = InvalidEvent
    _error_hint: ClassVar[str | None] = None
    """How to fix invalid data of this model in general (when no check gave its own fix)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _FIELDS.update(cls.model_fields)
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
