"""The UCI "Online Retail" data as the loader sees it: line categories, and the report models.

Holds :class:`UnmatchedCancellation`, :class:`OnlineRetailReport`, :class:`OnlineRetail`,
:func:`category_of` and the file's constants; the loader itself is
:func:`reciprocity.datasets.load_online_retail`.

Imports: the core's models only (``_model``, ``errors``, ``events``, ``money``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field

from ._model import Frozen, Instant
from .errors import InvalidEvent
from .events import Purchase, PurchaseColumns, Return
from .money import Money

__all__ = [
    "ONLINE_RETAIL_FILE",
    "OnlineRetail",
    "OnlineRetailReport",
    "UnmatchedCancellation",
    "UnmatchedReason",
    "category_of",
]


ONLINE_RETAIL_FILE = "online_retail_2010-12_2011-12.csv.gz"
"""The file's name in the shared data folder (under ``online-retail/``)."""

_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
            "CustomerID", "Country")
_SERVICE_CODES = {
    "POST": "postage", "DOT": "postage", "C2": "postage",
    "M": "manual", "m": "manual",
    "BANK CHARGES": "fee", "AMAZONFEE": "fee", "CRUK": "fee",
    "D": "discount", "S": "samples",
}
_ZERO = Decimal(0)

UnmatchedReason = Literal["not-bought", "exceeds", "spread", "value"]
_REASONS: tuple[UnmatchedReason, ...] = ("not-bought", "exceeds", "spread", "value")


def category_of(stock_code: str) -> str:
    """The line category the loader gives a ``StockCode``.

    >>> category_of("85123A"), category_of("POST"), category_of("gift_0001_20")
    ('goods', 'postage', 'gift-voucher')
    """
    found = _SERVICE_CODES.get(stock_code)
    if found is not None:
        return found
    return "gift-voucher" if stock_code.startswith("gift_") else "goods"


class UnmatchedCancellation(Frozen):
    """A cancelled line the loader could not tie to one of the member's purchases.

    ``reason`` says why:

    - ``"not-bought"``: no purchase of the member at or before the cancellation has this
      ``StockCode`` (the order may predate the file, or it is a discount or a fee);
    - ``"exceeds"``: the member's purchases have fewer of it left, all together, than were
      cancelled;
    - ``"spread"``: enough are left, but only across several purchases, not in one;
    - ``"value"``: a purchase has the quantity left, but less value left to refund than the
      cancellation credits (it states a higher price).

    >>> from datetime import datetime, timezone
    >>> UnmatchedCancellation(invoice="C536380", member_id="17850", stock_code="D",
    ...                       quantity=1, amount=Money("5.00", "GBP"), reason="not-bought",
    ...                       at=datetime(2010, 12, 1, 9, 45, tzinfo=timezone.utc)).amount
    Money('5.00', 'GBP')
    """

    invoice: str
    """The cancellation's invoice number (``C...``)."""
    member_id: str
    at: Instant
    stock_code: str
    quantity: int
    """Units cancelled (positive)."""
    amount: Money
    """The line's value, ``quantity x UnitPrice`` (positive)."""
    reason: UnmatchedReason


class OnlineRetailReport(Frozen):
    """What :func:`load_online_retail` read, used and dropped: every row is accounted for.

    The first group counts the whole file, each figure on its own (a row can be a duplicate
    and have no customer), as the data's README publishes them. The second group says what
    the loader did with each row: every row is counted in exactly one of ``dropped_*``,
    ``purchase_lines`` or ``cancelled_lines``. Money is exact, never rounded.

    >>> OnlineRetailReport().describe().splitlines()[0]
    'File: 0 rows, 0 invoices, 0 customers; Quantity x UnitPrice 0 GBP'
    """

    currency: str = "GBP"
    # -- the file as it is -------------------------------------------------------------
    rows: int = 0
    """Rows (order lines) in the file, without the header."""
    invoices: int = 0
    """Distinct ``InvoiceNo`` values, of every kind."""
    customers: int = 0
    """Distinct ``CustomerID`` values."""
    revenue: Decimal = _ZERO
    """``Quantity x UnitPrice`` summed over every row."""
    gross: Decimal = _ZERO
    """The same over every row that is not a cancellation."""
    cancellation_rows: int = 0
    """Rows of ``C`` invoices."""
    cancellation_invoices: int = 0
    cancelled: Decimal = _ZERO
    """``Quantity x UnitPrice`` over the cancellation rows (negative, as in the file)."""
    customers_with_cancellations: int = 0
    rows_without_customer: int = 0
    negative_quantity_rows: int = 0
    """Rows with a negative quantity that are not cancellations."""
    adjust_invoices: int = 0
    """``A`` invoices ("Adjust bad debt")."""
    nonpositive_price_rows: int = 0
    """Rows with ``UnitPrice <= 0``."""
    duplicate_rows: int = 0
    """Rows equal in every column to an earlier row."""
    ambiguous_local_times: int = 0
    """Rows at a local time a daylight-saving change repeats (read as the first)."""
    nonexistent_local_times: int = 0
    """Rows at a local time a daylight-saving change skips."""
    # -- what the loader did with each row ---------------------------------------------------
    dropped_duplicates: int = 0
    dropped_adjustments: int = 0
    dropped_without_customer: int = 0
    dropped_nonpositive_price: int = 0
    dropped_wrong_sign: int = 0
    """Order rows with a quantity <= 0, or cancellation rows with a quantity >= 0."""
    purchase_lines: int = 0
    """Rows used as purchase lines."""
    purchases: int = 0
    """Purchase events (invoices)."""
    purchase_value: Decimal = _ZERO
    """Sum of the purchases' amounts."""
    members: int = 0
    """Customers with at least one purchase."""
    spanning_invoices: int = 0
    """Purchases and cancellations whose rows carry more than one time (the earliest counts)."""
    cancelled_lines: int = 0
    """Rows used as cancelled lines (matched or not)."""
    matched_lines: int = 0
    returns: int = 0
    """Return events: one per cancellation and matched purchase."""
    returned_value: Decimal = _ZERO
    """Sum of the returns' amounts (positive)."""
    unmatched_lines: int = 0
    unmatched_value: Decimal = _ZERO
    """Value of the cancelled lines left unmatched (positive)."""
    unmatched_reasons: dict[str, int] = Field(default_factory=dict)
    """Unmatched lines by reason (see :class:`UnmatchedCancellation`)."""

    def describe(self) -> str:
        """The report in a few lines of plain text."""
        cur = self.currency

        def money(value: Decimal) -> str:
            return f"{value:,} {cur}"

        return "\n".join((
            f"File: {self.rows:,} rows, {self.invoices:,} invoices, {self.customers:,} "
            f"customers; Quantity x UnitPrice {money(self.revenue)}",
            f"  cancellations: {self.cancellation_rows:,} rows in "
            f"{self.cancellation_invoices:,} invoices, {money(self.cancelled)}, "
            f"{self.customers_with_cancellations:,} customers",
            f"  oddities: {self.rows_without_customer:,} rows without customer, "
            f"{self.negative_quantity_rows:,} non-cancellation rows with a negative quantity, "
            f"{self.adjust_invoices:,} adjust invoices, {self.nonpositive_price_rows:,} rows "
            f"with UnitPrice <= 0, {self.duplicate_rows:,} exact duplicates",
            f"Dropped: {self.dropped_duplicates:,} duplicates, {self.dropped_adjustments:,} "
            f"adjustments, {self.dropped_without_customer:,} without customer, "
            f"{self.dropped_nonpositive_price:,} with UnitPrice <= 0, "
            f"{self.dropped_wrong_sign:,} with a quantity of the wrong sign",
            f"Purchases: {self.purchases:,} of {self.members:,} members, "
            f"{self.purchase_lines:,} lines, {money(self.purchase_value)}",
            f"Returns: {self.returns:,} from {self.matched_lines:,} of "
            f"{self.cancelled_lines:,} cancelled lines, {money(self.returned_value)}; "
            f"unmatched: {self.unmatched_lines:,} lines, {money(self.unmatched_value)}"
            + ("" if not self.unmatched_reasons else " (" + ", ".join(
                f"{count:,} {reason}" for reason, count in self.unmatched_reasons.items()) + ")"),
        ))


@dataclass(frozen=True, slots=True)
class OnlineRetail:
    """The loaded file: events for :meth:`Program.replay <reciprocity.Program.replay>`, the
    purchases as :class:`~reciprocity.PurchaseColumns`, the unmatched cancellations and the
    report.

    Attributes:
        events: every purchase and return, validated, sorted by ``(at, id)``.
        purchases: the purchases alone, as columns (no lines; the fast input of ``replay``).
        unmatched: cancelled lines that match no purchase, in file order.
        report: what was read, used and dropped.
    """

    events: tuple[Purchase | Return, ...]
    purchases: PurchaseColumns
    unmatched: tuple[UnmatchedCancellation, ...]
    report: OnlineRetailReport


def _bad(path: Path, line: int, column: str, value: str, hint: str) -> InvalidEvent:
    return InvalidEvent(f"{path.name} line {line}: {column}={value!r} {hint}",
                        hint="check the file is the UCI Online Retail export, unchanged")
