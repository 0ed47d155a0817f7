"""The declared column mapping of order lines, and the report of what a load used and dropped.

A shop's order history is a table of order lines: one row per product in an order. An
:class:`OrderColumns` names the columns that hold each fact (member, order id, time, quantity
and unit price or a line amount, SKU, category, channel, currency) and declares how to read
the rest: the time zone of times written without one, an order-id prefix that marks
cancellations, prefixes of bookkeeping rows to leave out, and what a negative line is.
It is data: save it as JSON (``model_dump_json``) and load it back, or give it to the CLI
with ``--mapping``.

Imports: the core's models (``_model``, ``errors``, ``events``, ``money``) and ``retail``
(for :class:`~reciprocity.UnmatchedCancellation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from .._model import Frozen
from ..errors import InvalidEvent
from ..events import Purchase, PurchaseColumns, Return
from ..money import validate_currency
from ..retail import UnmatchedCancellation

__all__ = ["LoadReport", "LoadedOrders", "OrderColumns", "check_zone"]

_ZERO = Decimal(0)


def check_zone(value: str) -> str:
    """``value`` if it is an IANA time zone, else a ``ValueError`` naming the fix."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone={value!r} is not an IANA time zone; use a name such "
                         "as 'Europe/London'") from None
    return value


class OrderColumns(Frozen):
    """Which column holds what, in a table of order lines, and how to read it.

    Give ``quantity`` and ``unit_price``, or ``amount`` (the line's value; each line is then
    one unit at that price). Optional columns left out are not read.

    >>> columns = OrderColumns(order_id="InvoiceNo", member_id="CustomerID",
    ...                        at="InvoiceDate", sku="StockCode", quantity="Quantity",
    ...                        unit_price="UnitPrice", timezone="Europe/London",
    ...                        cancellation_prefix="C")
    >>> columns.required()
    ('InvoiceNo', 'CustomerID', 'InvoiceDate', 'StockCode', 'Quantity', 'UnitPrice')
    >>> OrderColumns.model_validate_json(columns.model_dump_json()) == columns
    True
    """

    order_id: str = "order_id"
    """The order number; the lines of one order share it."""
    member_id: str = "member_id"
    """The customer; rows with an empty value belong to no member and are dropped."""
    at: str = "at"
    """When the order was placed: ISO text, or datetimes (naive ones are read in ``timezone``)."""
    sku: str | None = "sku"
    quantity: str | None = "quantity"
    unit_price: str | None = "unit_price"
    amount: str | None = None
    """The line's value, instead of ``quantity`` x ``unit_price``."""
    category: str | None = None
    channel: str | None = None
    currency: str | None = None
    """A column with each row's ISO 4217 code; rows in another currency than the load's are
    dropped and counted."""
    timezone: str = "UTC"
    """The IANA zone of times written without an offset."""
    cancellation_prefix: str | None = None
    """An order id starting with it is a cancellation (its lines have negative quantities)."""
    skip_prefixes: tuple[str, ...] = ()
    """Order ids starting with one of these are bookkeeping, not orders, and are dropped."""
    numeric_order_ids: bool = False
    """Order ids must be digits after any prefix; another value stops the load."""
    negative_lines: Literal["return", "drop"] = "return"
    """A negative line outside a cancellation: ``"return"`` reads it as a cancelled line,
    ``"drop"`` drops it (counted as a wrong sign)."""
    member_ids: Literal["as-is", "integer"] = "as-is"
    """``"integer"`` reads ``17850.0`` as ``"17850"`` (ids exported as floats)."""
    deduplicate: bool = True
    """Drop a row equal in every column to an earlier one."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @model_validator(mode="after")
    def _one_value(self) -> OrderColumns:
        if self.amount is None and (self.quantity is None or self.unit_price is None):
            raise InvalidEvent("OrderColumns needs amount, or quantity and unit_price",
                               hint="name the column of the line's value or of both")
        if self.amount is None and self.sku is None:
            raise InvalidEvent("OrderColumns.sku is needed with quantity and unit_price",
                               hint="name the product column, or give amount instead")
        return self

    def required(self) -> tuple[str, ...]:
        """The source columns this mapping reads, in its reading order."""
        names = (self.order_id, self.member_id, self.at, self.sku,
                 self.amount if self.amount is not None else self.quantity,
                 self.unit_price if self.amount is None else None,
                 self.category, self.channel, self.currency)
        return tuple(name for name in names if name is not None)


class LoadReport(Frozen):
    """What a load read, used and dropped: every row is accounted for.

    The first group counts the table as it is, each figure on its own (a row can be a
    duplicate and have no member). The second says what the loader did with each row:
    every row is counted in exactly one of ``dropped_*``, ``purchase_lines`` or
    ``cancelled_lines``. Money is exact, never rounded.

    >>> LoadReport(currency="EUR").rows
    0
    """

    currency: str
    rows: int = 0
    orders: int = 0
    """Distinct order ids, of every kind."""
    members: int = 0
    """Distinct member ids."""
    value: Decimal = _ZERO
    """Line values summed over every row."""
    gross: Decimal = _ZERO
    """The same over every row that is not a cancellation."""
    cancellation_rows: int = 0
    cancellation_orders: int = 0
    cancelled: Decimal = _ZERO
    """Line values of the cancellation rows (negative, as written)."""
    members_with_cancellations: int = 0
    rows_without_member: int = 0
    negative_quantity_rows: int = 0
    """Rows with a negative quantity that are not cancellations."""
    skipped_orders: int = 0
    """Orders with one of the ``skip_prefixes``."""
    nonpositive_price_rows: int = 0
    duplicate_rows: int = 0
    ambiguous_local_times: int = 0
    nonexistent_local_times: int = 0
    dropped_duplicates: int = 0
    dropped_skipped: int = 0
    dropped_without_member: int = 0
    dropped_other_currency: int = 0
    dropped_nonpositive_price: int = 0
    dropped_wrong_sign: int = 0
    purchase_lines: int = 0
    purchases: int = 0
    purchase_value: Decimal = _ZERO
    purchasing_members: int = 0
    spanning_orders: int = 0
    """Orders whose rows carry more than one time (the earliest counts)."""
    cancelled_lines: int = 0
    matched_lines: int = 0
    returns: int = 0
    returned_value: Decimal = _ZERO
    unmatched_lines: int = 0
    unmatched_value: Decimal = _ZERO
    unmatched_reasons: dict[str, int] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validate_currency(value, field="currency")

    def dropped(self) -> int:
        """Rows dropped, for every reason."""
        return (self.dropped_duplicates + self.dropped_skipped + self.dropped_without_member
                + self.dropped_other_currency + self.dropped_nonpositive_price
                + self.dropped_wrong_sign)


@dataclass(frozen=True, slots=True)
class LoadedOrders:
    """Loaded order lines: events for ``replay`` or ``simulate``, and what the load did.

    Attributes:
        events: every purchase and return, validated, sorted by ``(at, id)``.
        purchases: the purchases alone, as columns (the fast input of ``replay``).
        unmatched: cancelled lines that match no purchase, in table order.
        report: what was read, used and dropped.
    """

    events: tuple[Purchase | Return, ...]
    purchases: PurchaseColumns
    unmatched: tuple[UnmatchedCancellation, ...]
    report: LoadReport
