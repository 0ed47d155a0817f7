"""Events: what happened to a member, validated once at the edge, then frozen.

Every event has an ``id`` (idempotency key), a ``member_id``, an aware ``at`` and a ``type``
tag that picks the class when parsing JSON. A shop's own extra data goes under ``metadata``;
any other unknown field is refused, so a typo is caught.

>>> event = parse_event({
...     "type": "purchase", "id": "A-17", "member_id": "m-1",
...     "at": "2026-03-01T12:00:00+01:00", "amount": {"amount": "59.90", "currency": "EUR"},
... })
>>> event.amount
Money('59.90', 'EUR')
>>> parse_event({"type": "purchase", "id": "A-18", "member_id": "m-1",
...              "at": "2026-03-01T12:00:00", "amount": "10.00 EUR"})
Traceback (most recent call last):
...
reciprocity.NaiveDatetime: Purchase.at: 2026-03-01 12:00:00 is naive; pass an aware datetime, ...

Imports: ``_model``, ``errors`` and ``money``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from os import PathLike
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    Field,
    JsonValue,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from ._bounds import MAX_AMOUNT, MAX_POINTS, MAX_QUANTITY, PRICE_EXTRA_PLACES
from ._model import (
    Day,
    EdgeInstant,
    Frozen,
    Id,
    error_from_validation,
    require_in_range,
)
from .errors import CurrencyMismatch, InvalidEvent
from .money import Money, check_amount, currency_exponent, validate_currency

__all__ = [
    "Approval",
    "Complaint",
    "ComplaintCategory",
    "Custom",
    "Event",
    "Line",
    "ProfileUpdate",
    "Purchase",
    "PurchaseColumns",
    "Redemption",
    "Return",
    "ReturnedLine",
    "SignUp",
    "parse_event",
    "parse_events",
]

# Internal kind codes; the hot path dispatches on these instead of on classes.
PURCHASE, RETURN, COMPLAINT, SIGNUP, PROFILE, REDEMPTION, CUSTOM, APPROVAL = range(8)
KINDS = 8
"""Number of event kinds; kind codes are ``range(KINDS)``."""


class _EventBase(Frozen):
    id: Id
    """Unique id of the event; applying an id twice is a no-op."""
    member_id: Id
    at: EdgeInstant
    """When it happened; must carry a time zone."""
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    """A shop's own data, carried along untouched."""

    _kind: ClassVar[int] = -1

    def _row(self) -> tuple[int, str, str, Any, Decimal | None, Any]:
        """The internal row the engine reads: (kind, id, member_id, at, amount, event).

        ``at`` is UTC (validation made it so; ``model_copy(update=...)`` skips validation, so
        the row makes sure).
        """
        return (self._kind, self.id, self.member_id, _utc(self.at), None, self)


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is UTC else require_in_range(when)


class Line(Frozen):
    """One order line.

    >>> Line(sku="TEA-1", quantity=2, unit_price=Money("4.50", "EUR")).total
    Money('9.00', 'EUR')
    """

    __slots__ = ("_text",)  # its canonical JSON, kept by ``_fingerprint._line``; not a field

    sku: Id
    category: str | None = None
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_price: Money
    """At least 0, and as fine as the minor unit with ``PRICE_EXTRA_PLACES`` more places."""
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    """A shop's own data about the line (``line.<name>`` facts read it)."""

    @field_validator("unit_price")
    @classmethod
    def _price(cls, value: Money) -> Money:
        return check_amount(value, "unit_price", extra_places=PRICE_EXTRA_PLACES,
                            negative=False)

    @property
    def total(self) -> Money:
        """``quantity * unit_price``, exact."""
        return self.unit_price * self.quantity


class Purchase(_EventBase):
    """An order. ``amount`` is what the customer paid for it; ``lines`` are optional detail.

    >>> from datetime import datetime, timezone
    >>> Purchase(id="A-1", member_id="m-1", at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    ...          amount=Money("50.01", "EUR")).amount.amount
    Decimal('50.01')
    """

    type: Literal["purchase"] = "purchase"
    amount: Money
    lines: tuple[Line, ...] = ()
    channel: str | None = None

    _kind: ClassVar[int] = PURCHASE

    @field_validator("amount")
    @classmethod
    def _non_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError("a purchase amount cannot be negative; send a Return instead")
        return check_amount(value, "amount", extra_places=PRICE_EXTRA_PLACES)

    @model_validator(mode="after")
    def _lines_share_currency(self) -> Purchase:
        for index, line in enumerate(self.lines):
            if line.unit_price.currency != self.amount.currency:
                raise CurrencyMismatch(
                    f"lines[{index}].unit_price is in {line.unit_price.currency} but the "
                    f"purchase amount is in {self.amount.currency}",
                    hint="use one currency per purchase",
                )
        amount = self.amount.amount
        places = currency_exponent(self.amount.currency)
        if amount.as_tuple().exponent < -places and amount != amount.quantize(  # type: ignore[operator]
                Decimal(1).scaleb(-places)):
            total = sum((line.unit_price.amount * line.quantity for line in self.lines),
                        Decimal(0))
            if not self.lines or total != amount:
                raise InvalidEvent(
                    f"Purchase.amount={self.amount} is finer than the minor unit of "
                    f"{self.amount.currency} and is not the exact sum of the lines",
                    hint=f"send what the customer paid, rounded to {places} decimal places; "
                    "only an amount that adds up its lines' unit prices may be finer",
                )
        return self

    def _row(self) -> tuple[int, str, str, Any, Decimal | None, Any]:
        return (PURCHASE, self.id, self.member_id, _utc(self.at), self.amount.amount, self)


class ReturnedLine(Frozen):
    """Part of a return: how many of a purchased SKU came back."""

    sku: Id
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class Return(_EventBase):
    """Goods sent back. Leave ``amount`` and ``lines`` out for a full return.

    ``amount`` is the refunded value; ``lines`` name returned SKUs, priced at the purchase's
    unit prices. Give either, or both as real return data has them: then the lines' value
    (rounded half up to the currency's minor unit) must equal ``amount``, or the return is
    refused (:class:`~reciprocity.ReturnMismatch`) and nothing changes.
    """

    type: Literal["return"] = "return"
    purchase_id: Id
    amount: Money | None = None
    lines: tuple[ReturnedLine, ...] = ()

    _kind: ClassVar[int] = RETURN

    @model_validator(mode="after")
    def _one_way(self) -> Return:
        if self.amount is not None and self.amount.amount <= 0:
            raise ValueError("a returned amount must be positive; leave it out for a full return")
        if self.amount is not None:
            check_amount(self.amount, "Return.amount")
        return self


ComplaintCategory = Literal[
    "late_delivery", "missing_item", "partial_delivery", "damaged", "not_as_described",
    "quality", "service", "other",
]
"""The built-in complaint categories: ``late_delivery``, ``missing_item``,
``partial_delivery``, ``damaged``, ``not_as_described``, ``quality``, ``service`` and
``other``. A goodwill policy may declare more (``GoodwillPolicy.categories``)."""

BUILTIN_CATEGORIES: tuple[str, ...] = get_args(ComplaintCategory)

CategoryName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""A complaint category: lower-case letters, digits and ``_`` (``flight_cancelled``)."""


class Complaint(_EventBase):
    """A customer's complaint, optionally about one order.

    ``severity`` runs from 1 (minor annoyance) to 5 (serious harm).
    """

    type: Literal["complaint"] = "complaint"
    order_id: Id | None = None
    category: CategoryName = "other"
    """A built-in category, or one the program's goodwill policy declares."""
    severity: int = Field(default=1, ge=1, le=5)
    amount_affected: Money | None = None
    first_response_at: EdgeInstant | None = None
    resolved_at: EdgeInstant | None = None
    text: str = ""

    _kind: ClassVar[int] = COMPLAINT

    @field_validator("amount_affected")
    @classmethod
    def _affected(cls, value: Money | None) -> Money | None:
        return None if value is None else check_amount(value, "amount_affected",
                                                        negative=False)

    @model_validator(mode="after")
    def _in_order(self) -> Complaint:
        for name in ("first_response_at", "resolved_at"):
            when: datetime | None = getattr(self, name)
            if when is not None and when < self.at:
                raise InvalidEvent(
                    f"Complaint.{name}={when.isoformat()} is before the complaint was made "
                    f"(at={self.at.isoformat()})",
                    hint=f"send a {name} at or after at, or leave it out",
                )
        return self


def _birthday_check(event: SignUp | ProfileUpdate) -> None:
    # The latest local date anywhere on earth (UTC+14) at the event's time.
    if event.birthday is not None and event.birthday > (event.at + timedelta(hours=14)).date():
        raise InvalidEvent(
            f"{type(event).__name__}.birthday={event.birthday.isoformat()} is after the "
            f"event's date ({event.at.date().isoformat()})",
            hint="send the member's real date of birth, which cannot be in the future",
        )


class SignUp(_EventBase):
    """A member joins the program."""

    type: Literal["signup"] = "signup"
    birthday: Day | None = None
    consents: tuple[str, ...] = ()
    referred_by: Id | None = None

    _kind: ClassVar[int] = SIGNUP

    @model_validator(mode="after")
    def _born(self) -> SignUp:
        _birthday_check(self)
        return self


class ProfileUpdate(_EventBase):
    """A member changes their profile: birthday, consents, completed fields."""

    type: Literal["profile_update"] = "profile_update"
    birthday: Day | None = None
    consents_granted: tuple[str, ...] = ()
    consents_revoked: tuple[str, ...] = ()
    fields_completed: tuple[str, ...] = ()

    _kind: ClassVar[int] = PROFILE

    @model_validator(mode="after")
    def _born(self) -> ProfileUpdate:
        _birthday_check(self)
        return self


class Redemption(_EventBase):
    """A member spends points on a reward from the program's catalogue."""

    type: Literal["redemption"] = "redemption"
    reward_id: Id
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    points: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    """For rewards that take points as money (``PointsAsCurrency``): how many to spend."""
    balance: Id | None = Field(default=None, exclude_if=lambda value: value is None)
    """Which of ``Program.balances`` pays, said by the caller (optional: the reward id picks
    it); checked when applied. Left out of the JSON and the fingerprint when unset."""

    _kind: ClassVar[int] = REDEMPTION


class Custom(_EventBase):
    """Anything else a shop wants a policy to react to: ``name`` plus a JSON ``payload``.

    ``channel`` is where it happened (``"store"``, ``"web"``...), optional, as on a
    :class:`Purchase`: :class:`~reciprocity.ChannelIs` reads it (a sample claimed in store).
    """

    type: Literal["custom"] = "custom"
    name: Id
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    channel: str | None = None

    _kind: ClassVar[int] = CUSTOM


class Approval(_EventBase):
    """A person's answer to a decision that waited for approval (``approval_required``).

    ``ref_event_id`` is the event whose decision waited (a complaint, say); nothing that
    waits for approval is granted until an ``Approval`` with ``approved=True`` arrives.
    """

    type: Literal["approval"] = "approval"
    ref_event_id: Id
    approved: bool = True
    approved_by: str | None = None
    note: str = ""

    _kind: ClassVar[int] = APPROVAL


Event = Annotated[
    Purchase | Return | Complaint | SignUp | ProfileUpdate | Redemption | Custom | Approval,
    Field(discriminator="type"),
]
"""Any event; the ``type`` field picks the class."""

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
_EVENT_TYPES = (
    Purchase, Return, Complaint, SignUp, ProfileUpdate, Redemption, Custom, Approval,
)


def parse_event(data: Mapping[str, Any] | str | bytes | _EventBase) -> Event:
    """Validate one event from a dict or a JSON document; the ``type`` field picks the class.

    Raises:
        InvalidEvent: naming the field, the bad value and the fix.
    """
    if isinstance(data, _EVENT_TYPES):
        return data
    try:
        if isinstance(data, str | bytes):
            return _EVENT_ADAPTER.validate_json(data)
        return _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise error_from_validation("event", exc, InvalidEvent) from None


def refuse_one_text(items: object) -> None:
    """Refuse a path or a text where many events belong (iterating it would read letters)."""
    if isinstance(items, str | bytes | PathLike):
        raise InvalidEvent(
            f"events: got {type(items).__name__} {str(items)[:60]!r}, not events",
            hint="pass event models or dicts, or PurchaseColumns; read a file first, with "
                 "reciprocity.load_orders(path) (CSV, Parquet, a DataFrame) or one "
                 "parse_event per line of a JSON Lines file")


def parse_events(items: Iterable[Mapping[str, Any] | str | bytes | _EventBase]) -> list[Event]:
    """Validate many events; the error names the position of the first bad one."""
    refuse_one_text(items)
    out: list[Event] = []
    for position, item in enumerate(items):
        try:
            out.append(parse_event(item))
        except InvalidEvent as exc:
            raise type(exc)(f"event #{position}: {exc.message}", hint=exc.hint) from None
    return out


def _in_order(at: Sequence[Any], ids: Sequence[str]) -> bool:
    """Whether ``zip(at, ids)`` is sorted, in one pass without building key tuples."""
    for index in range(1, len(at)):
        previous, current = at[index - 1], at[index]
        if current < previous or (current == previous and ids[index] < ids[index - 1]):
            return False
    return True


class PurchaseColumns:
    """Many purchases as columns, validated once as a whole: the fast input of ``replay``.

    Args:
        ids: unique event ids.
        member_ids: one per purchase.
        at: aware datetimes (kept in UTC, like every instant in reciprocity).
        amounts: ``Decimal`` amounts (or strings/ints, converted here once), all >= 0.
        currency: the one currency of every amount.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> cols = PurchaseColumns(ids=["a", "b"], member_ids=["m", "m"], at=[t, t],
    ...                        amounts=["60.00", "20"], currency="EUR")
    >>> len(cols), cols.amounts[1]
    (2, Decimal('20'))
    """

    __slots__ = ("amounts", "at", "currency", "ids", "in_order", "member_ids")

    def __init__(
        self, *, ids: Sequence[str], member_ids: Sequence[str], at: Sequence[Any],
        amounts: Sequence[Decimal | str | int], currency: str,
    ) -> None:
        self.currency = validate_currency(currency, field="PurchaseColumns.currency")
        n = len(ids)
        for name, column in (("member_ids", member_ids), ("at", at), ("amounts", amounts)):
            if len(column) != n:
                raise InvalidEvent(
                    f"PurchaseColumns.{name} has {len(column)} rows but ids has {n}",
                    hint="give every column the same length",
                )
        self.ids = list(ids)
        self.member_ids = list(member_ids)
        for column_name, column in (("ids", self.ids), ("member_ids", self.member_ids)):
            for row, value in enumerate(column):
                if type(value) is not str or not value:
                    raise InvalidEvent(
                        f"PurchaseColumns.{column_name}[{row}]={value!r} is not a non-empty str",
                        hint="convert ids to strings first",
                    )
        self.at = list(at)
        for row, value in enumerate(self.at):
            try:
                self.at[row] = require_in_range(value)
            except (AttributeError, TypeError):
                raise InvalidEvent(
                    f"PurchaseColumns.at[{row}]={value!r} is not a datetime",
                    hint="pass aware datetime objects",
                ) from None
            except InvalidEvent as exc:
                raise type(exc)(
                    f"PurchaseColumns.at[{row}]: {exc.message}", hint=exc.hint
                ) from None
        converted = []
        finest = -(currency_exponent(self.currency) + PRICE_EXTRA_PLACES)
        for row, given in enumerate(amounts):
            amount = given if isinstance(given, Decimal) else Money(given, self.currency).amount
            if not amount.is_finite() or amount < 0:
                raise InvalidEvent(
                    f"PurchaseColumns.amounts[{row}]={given!r} is negative or not finite",
                    hint="send returns as Return events",
                )
            if amount > MAX_AMOUNT or amount.as_tuple().exponent < finest:  # type: ignore[operator]
                check_amount(Money(amount, self.currency), f"PurchaseColumns.amounts[{row}]",
                             extra_places=PRICE_EXTRA_PLACES)
            converted.append(amount)
        self.amounts = converted
        self.in_order = _in_order(self.at, self.ids)
        """Whether the rows are sorted by ``(at, id)`` already (replay then skips sorting)."""

    def __len__(self) -> int:
        return len(self.ids)

    def _rows(self) -> Iterable[tuple[int, str, str, Any, Decimal | None, Any]]:
        from itertools import repeat

        return zip(
            repeat(PURCHASE), self.ids, self.member_ids, self.at, self.amounts, repeat(None),
        )

    def to_events(self) -> list[Purchase]:
        """The same purchases as validated :class:`Purchase` models (slow; for inspection)."""
        return [
            Purchase(id=i, member_id=m, at=t, amount=Money(a, self.currency))
            for i, m, t, a in zip(self.ids, self.member_ids, self.at, self.amounts, strict=True)
        ]
