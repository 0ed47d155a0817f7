"""Real order histories as events: a loader for the UCI "Online Retail" file.

Analysts replay a year of real orders through candidate programs before launch. The package
ships no third-party data: :func:`load_online_retail` reads the file from a path you give
(``online_retail_2010-12_2011-12.csv.gz``: every order line of a UK online gift retailer,
2010-12-01 to 2011-12-09, CC BY 4.0, UCI Machine Learning Repository dataset 352), and returns
validated :class:`~reciprocity.Purchase` and :class:`~reciprocity.Return` events for
:meth:`Program.replay <reciprocity.Program.replay>`, the purchases again as fast
:class:`~reciprocity.PurchaseColumns`, the cancellations it could not match, and a report that
counts every row it used or dropped, and why.

How each row becomes an event, or is dropped, is documented on :func:`load_online_retail`;
the report models are in :mod:`reciprocity.retail`.

It is the reader of :func:`reciprocity.experiments.sources.load_orders` with the file's
column mapping (``ONLINE_RETAIL_COLUMNS``), its line categories, and its words in the report.

Imports: ``errors``, ``money``, ``retail`` and ``experiments.columns``, ``.orders``,
``.sources`` (no optional dependency); no family.
"""

from __future__ import annotations

import csv
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidEvent
from .experiments.columns import LoadedOrders, OrderColumns
from .experiments.orders import read_order_rows
from .experiments.sources import open_text
from .money import validate_currency
from .retail import (
    _COLUMNS,
    ONLINE_RETAIL_FILE,
    OnlineRetail,
    OnlineRetailReport,
    UnmatchedCancellation,
    category_of,
)

__all__ = ["OnlineRetail", "OnlineRetailReport", "UnmatchedCancellation", "load_online_retail"]


def _resolve(path: str | PathLike[str]) -> Path:
    found = Path(path)
    if found.is_dir():
        for candidate in (found / ONLINE_RETAIL_FILE, found / "online-retail" / ONLINE_RETAIL_FILE):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{found} holds neither {ONLINE_RETAIL_FILE} nor online-retail/{ONLINE_RETAIL_FILE}")
    return found


ONLINE_RETAIL_COLUMNS = OrderColumns(
    order_id="InvoiceNo", member_id="CustomerID", at="InvoiceDate", sku="StockCode",
    quantity="Quantity", unit_price="UnitPrice", timezone="Europe/London",
    cancellation_prefix="C", skip_prefixes=("A",), numeric_order_ids=True,
    negative_lines="drop", member_ids="integer",
)
"""The Online Retail file's column mapping: the loader below is :func:`load_orders` with it."""


def load_online_retail(path: str | PathLike[str], *, currency: str = "GBP",
                       timezone: str = "Europe/London") -> OnlineRetail:
    """Read the UCI "Online Retail" file into purchases and returns.

    Each row is looked at in this order; the first rule that applies decides:

    1. an exact duplicate of an earlier row (all columns equal) is dropped: it would count an
       order line twice;
    2. rows of ``A`` invoices ("Adjust bad debt") are bookkeeping, not orders, and are dropped;
    3. rows without a ``CustomerID`` belong to no member and are dropped;
    4. rows with ``UnitPrice <= 0`` (free items, corrections) move no money and are dropped;
    5. rows whose quantity has the wrong sign for their invoice (not positive on an order, not
       negative on a ``C`` cancellation) are dropped;
    6. what is left is an order line (a :class:`~reciprocity.Purchase` line) or a cancelled line.

    **Purchases.** The lines of one ``InvoiceNo`` make one purchase: ``id`` is the invoice number,
    ``member_id`` the customer number as an integer string (``17850.0`` becomes ``"17850"``),
    ``at`` the invoice's earliest ``InvoiceDate`` (a few invoices span two minutes), read as local
    time in ``timezone`` and kept in UTC like every instant in reciprocity, and ``amount`` the
    exact ``Decimal`` sum of ``Quantity x UnitPrice``: nothing is rounded (a few prices have
    three decimals, kept as written). Each row is a :class:`~reciprocity.Line` with
    ``sku=StockCode``, its quantity and unit price, and a ``category``. The file has no product
    categories, and its ``Description`` is a product name (about 4,000 of them), so it is not
    used. The category separates goods from the service codes an earning rule should leave out:
    ``"postage"`` (``POST``, ``DOT``, ``C2``), ``"manual"`` (``M``), ``"fee"`` (``BANK
    CHARGES``, ``AMAZONFEE``, ``CRUK``), ``"discount"`` (``D``), ``"samples"`` (``S``),
    ``"gift-voucher"`` (``gift_0001_*``), and ``"goods"`` for everything else.

    **Cancellations.** The file does not say which order a ``C`` invoice cancels. Each cancelled
    line is matched to the member's most recent purchase at or before the cancellation that
    still has at least that quantity of the ``StockCode`` not cancelled yet and at least the line's
    value not refunded yet. The matched lines of one cancellation become one
    :class:`~reciprocity.Return` per purchase, with ``id`` ``"<cancellation>/<purchase>"``,
    ``at`` the cancellation's time and ``amount`` the exact sum of the lines' ``Quantity x
    UnitPrice`` as the cancellation states them: that is what the shop credited, and it differs
    from the order's price on a few hundred lines. A line with no such purchase is never guessed:
    it is listed in :attr:`OnlineRetail.unmatched` with the reason, and counted in the report.

    Local times that a daylight-saving change repeats are read as the first of the two (summer
    time); times that it skips are read with the offset before the change. The report counts
    rows of both kinds (the file has none).

    Args:
        path: the ``.csv.gz`` file (or the same as plain ``.csv``), or a folder holding it
            directly or under ``online-retail/``.
        currency: the currency of the amounts; the file's are GBP. Another code relabels
            them (nothing is converted).
        timezone: the IANA zone ``InvoiceDate`` is written in.

    Returns:
        An :class:`OnlineRetail`.

    Raises:
        InvalidEvent: a column is missing, or a value cannot be read (naming file, line,
            column and value); nothing is returned then.
        FileNotFoundError: ``path`` does not exist.

    A tiny file in the same format:

    >>> import tempfile
    >>> from pathlib import Path
    >>> rows = '''InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
    ... 536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,UK
    ... 536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,UK
    ... 536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,UK
    ... 536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,UK
    ... C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-2,2010-12-01 09:41:00,2.55,17850.0,UK
    ... C536380,D,Discount,-1,2010-12-01 09:45:00,5.00,17850.0,UK
    ... '''
    >>> path = Path(tempfile.mkdtemp()) / "orders.csv"
    >>> _ = path.write_text(rows, encoding="utf-8")
    >>> shop = load_online_retail(path)
    >>> [(type(e).__name__, e.id, str(e.amount)) for e in shop.events]
    [('Purchase', '536365', '33.30 GBP'), ('Return', 'C536379/536365', '5.10 GBP')]
    >>> shop.report.duplicate_rows, shop.report.rows_without_customer
    (1, 1)
    >>> [(u.invoice, u.stock_code, u.reason) for u in shop.unmatched]
    [('C536380', 'D', 'not-bought')]

    A value the loader cannot read stops it, naming the line:

    >>> bad = Path(tempfile.mkdtemp()) / "bad.csv"
    >>> _ = bad.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,"
    ...                    "CustomerID,Country\\n536365,85123A,X,six,2010-12-01 08:26:00,"
    ...                    "2.55,17850.0,UK\\n", encoding="utf-8")
    >>> load_online_retail(bad)
    Traceback (most recent call last):
    ...
    reciprocity.InvalidEvent: bad.csv line 2: Quantity='six' is not a whole number; ...
    """
    currency = validate_currency(currency, field="currency")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidEvent(f"timezone={timezone!r} is not an IANA time zone",
                           hint="use a name such as 'Europe/London'") from None
    columns = ONLINE_RETAIL_COLUMNS.model_copy(update={"timezone": timezone})
    source = _resolve(path)
    with open_text(source) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InvalidEvent(f"{source.name} is empty", hint="give the Online Retail file")
        names = [name.strip().lstrip("\ufeff") for name in header]
        missing = [name for name in _COLUMNS if name not in names]
        if missing:
            raise InvalidEvent(f"{source.name} has no column {', '.join(missing)}",
                               hint=f"its header must name {', '.join(_COLUMNS)}")
        loaded = read_order_rows(
            reader, names, columns, currency=currency, source=source.name,
            categorize=category_of, hint=_HINT, aware_times=False,
            line_of=lambda: reader.line_num, words=("customer", "invoice"))
    return _online_retail(loaded)


_HINT = "check the file is the UCI Online Retail export, unchanged"


def _online_retail(loaded: LoadedOrders) -> OnlineRetail:
    """The generic load, with the report in the Online Retail file's words."""
    r = loaded.report
    report = OnlineRetailReport(
        currency=r.currency, rows=r.rows, invoices=r.orders, customers=r.members,
        revenue=r.value, gross=r.gross, cancellation_rows=r.cancellation_rows,
        cancellation_invoices=r.cancellation_orders, cancelled=r.cancelled,
        customers_with_cancellations=r.members_with_cancellations,
        rows_without_customer=r.rows_without_member,
        negative_quantity_rows=r.negative_quantity_rows, adjust_invoices=r.skipped_orders,
        nonpositive_price_rows=r.nonpositive_price_rows, duplicate_rows=r.duplicate_rows,
        ambiguous_local_times=r.ambiguous_local_times,
        nonexistent_local_times=r.nonexistent_local_times,
        dropped_duplicates=r.dropped_duplicates, dropped_adjustments=r.dropped_skipped,
        dropped_without_customer=r.dropped_without_member,
        dropped_nonpositive_price=r.dropped_nonpositive_price,
        dropped_wrong_sign=r.dropped_wrong_sign, purchase_lines=r.purchase_lines,
        purchases=r.purchases, purchase_value=r.purchase_value, members=r.purchasing_members,
        spanning_invoices=r.spanning_orders, cancelled_lines=r.cancelled_lines,
        matched_lines=r.matched_lines, returns=r.returns, returned_value=r.returned_value,
        unmatched_lines=r.unmatched_lines, unmatched_value=r.unmatched_value,
        unmatched_reasons=dict(r.unmatched_reasons),
    )
    return OnlineRetail(events=loaded.events, purchases=loaded.purchases,
                        unmatched=loaded.unmatched, report=report)
