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

Imports: the core (``_model``, ``errors``, ``events``, ``money``) and ``retail``; no family.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path
from sys import intern
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidEvent
from .events import Line, Purchase, PurchaseColumns, Return
from .money import Money, validate_currency
from .retail import (
    _COLUMNS,
    _REASONS,
    _ZERO,
    ONLINE_RETAIL_FILE,
    OnlineRetail,
    OnlineRetailReport,
    UnmatchedCancellation,
    UnmatchedReason,
    _bad,
    category_of,
)

__all__ = ["OnlineRetail", "OnlineRetailReport", "UnmatchedCancellation", "load_online_retail"]


@contextmanager
def _open(path: Path) -> Iterator[TextIO]:
    """The file as text, gzip-compressed or not (by its first bytes, not its name)."""
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    try:
        if compressed:
            with gzip.open(path, "rt", encoding="utf-8", newline="") as unzipped:
                yield unzipped
        else:
            with path.open(encoding="utf-8", newline="") as plain:
                yield plain
    except UnicodeDecodeError:
        raise InvalidEvent(f"{path.name} is not UTF-8 text",
                           hint="convert it first, e.g. iconv -f cp1252 -t utf-8") from None


def _resolve(path: str | PathLike[str]) -> Path:
    found = Path(path)
    if found.is_dir():
        for candidate in (found / ONLINE_RETAIL_FILE, found / "online-retail" / ONLINE_RETAIL_FILE):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{found} holds neither {ONLINE_RETAIL_FILE} nor online-retail/{ONLINE_RETAIL_FILE}")
    return found


class _Clock:
    """``InvoiceDate`` text -> UTC instant, parsed once per distinct text."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.seen: dict[str, tuple[datetime, int]] = {}

    def parse(self, text: str) -> tuple[datetime, int] | None:
        """``(instant, 0 plain | 1 ambiguous | 2 nonexistent)``, or ``None`` if malformed."""
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:
            return None
        if naive.tzinfo is not None:
            return None
        local = naive.replace(tzinfo=self.zone)
        flag = 0
        if local.utcoffset() != local.replace(fold=1).utcoffset():
            back = local.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None)
            flag = 1 if back == naive else 2
        found = (local.astimezone(UTC), flag)
        self.seen[text] = found
        return found


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
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidEvent(f"timezone={timezone!r} is not an IANA time zone",
                           hint="use a name such as 'Europe/London'") from None
    source = _resolve(path)
    with _open(source) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InvalidEvent(f"{source.name} is empty", hint="give the Online Retail file")
        names = [name.strip().lstrip("\ufeff") for name in header]
        missing = [name for name in _COLUMNS if name not in names]
        if missing:
            raise InvalidEvent(f"{source.name} has no column {', '.join(missing)}",
                               hint=f"its header must name {', '.join(_COLUMNS)}")
        state = _Reader(source, [names.index(name) for name in _COLUMNS], len(names), zone)
        state.read(reader)
    return state.build(currency)


class _Reader:
    """One pass over the rows: the file's figures, and the rows kept, grouped by invoice."""

    def __init__(self, path: Path, index: list[int], width: int, zone: ZoneInfo) -> None:
        self.path = path
        self.index = index
        self.width = width
        self.clock = _Clock(zone)
        self.counts: dict[str, Any] = dict.fromkeys(
            ("rows", "cancellation_rows", "rows_without_customer", "negative_quantity_rows",
             "nonpositive_price_rows", "duplicate_rows", "ambiguous_local_times",
             "nonexistent_local_times", "dropped_duplicates", "dropped_adjustments",
             "dropped_without_customer", "dropped_nonpositive_price", "dropped_wrong_sign",
             "purchase_lines", "cancelled_lines"), 0)
        self.invoices: set[str] = set()
        self.customers: set[str] = set()
        self.cancelling_customers: set[str] = set()
        self.cancellation_invoices: set[str] = set()
        self.adjust_invoices: set[str] = set()
        self.revenue = self.gross = self.cancelled = _ZERO
        # invoice -> [member, earliest at, first at, lines [(sku, quantity, price)]]
        self.orders: dict[str, list[Any]] = {}
        self.cancellations: dict[str, list[Any]] = {}
        self.spanning: set[str] = set()

    def read(self, reader: Any) -> None:
        i_inv, i_sku, _, i_qty, i_at, i_price, i_cust, _ = self.index
        width = self.width
        path = self.path
        counts = self.counts
        # Every row's columns, for the duplicate check; interned, because the same few
        # thousand strings repeat across half a million rows.
        seen: set[tuple[str, ...]] = set()
        prices: dict[str, Decimal] = {}
        members: dict[str, str] = {}
        times = self.clock.seen
        parse_time = self.clock.parse
        invoices = self.invoices
        customers = self.customers
        orders = self.orders
        cancellations = self.cancellations
        revenue = gross = cancelled = _ZERO
        rows = cancellation_rows = without_customer = duplicates = 0
        for row in reader:
            rows += 1
            line = reader.line_num
            if len(row) != width:
                raise InvalidEvent(f"{path.name} line {line} has {len(row)} columns, the "
                                   f"header {width}", hint="check the file is complete")
            invoice = row[i_inv]
            if invoice not in invoices:
                kind = invoice[:1]
                number = invoice[1:] if kind in ("C", "A") else invoice
                if not number.isdigit():
                    raise _bad(path, line, "InvoiceNo", invoice,
                               "is not an invoice number (digits, or C or A and digits)")
                invoices.add(invoice)
                if kind == "C":
                    self.cancellation_invoices.add(invoice)
                elif kind == "A":
                    self.adjust_invoices.add(invoice)
            kind = invoice[0]
            try:
                quantity = int(row[i_qty])
            except ValueError:
                raise _bad(path, line, "Quantity", row[i_qty], "is not a whole number") from None
            price_text = row[i_price]
            price = prices.get(price_text)
            if price is None:
                try:
                    price = Decimal(price_text)
                except InvalidOperation:
                    price = None
                if price is None or not price.is_finite():
                    raise _bad(path, line, "UnitPrice", price_text, "is not a number")
                prices[price_text] = price
            when_text = row[i_at]
            when = times.get(when_text) or parse_time(when_text)
            if when is None:
                raise _bad(path, line, "InvoiceDate", when_text,
                           "is not a date and time like 2010-12-01 08:26:00")
            if when[1]:
                key_name = "ambiguous_local_times" if when[1] == 1 else "nonexistent_local_times"
                counts[key_name] += 1
            value = price * quantity
            revenue += value
            customer = row[i_cust]
            if kind == "C":
                cancellation_rows += 1
                cancelled += value
                if customer:
                    self.cancelling_customers.add(customer)
            else:
                gross += value
                if quantity < 0:
                    counts["negative_quantity_rows"] += 1
            if customer:
                customers.add(customer)
            else:
                without_customer += 1
            if price <= 0:
                counts["nonpositive_price_rows"] += 1
            key = tuple(map(intern, row))
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            # What to do with the row: the first rule that applies.
            if kind == "A":
                counts["dropped_adjustments"] += 1
                continue
            if not customer:
                counts["dropped_without_customer"] += 1
                continue
            if price <= 0:
                counts["dropped_nonpositive_price"] += 1
                continue
            if (quantity >= 0) if kind == "C" else (quantity <= 0):
                counts["dropped_wrong_sign"] += 1
                continue
            member = members.get(customer)
            if member is None:
                member = _member_id(path, line, customer)
                members[customer] = member
            groups = cancellations if kind == "C" else orders
            group = groups.get(invoice)
            if group is None:
                groups[invoice] = [member, when[0], when[0], [(row[i_sku], quantity, price)]]
                continue
            if group[0] != member:
                raise _bad(path, line, "CustomerID", customer,
                           f"differs from the customer {group[0]} of invoice {invoice}'s "
                           "earlier rows")
            if when[0] != group[2]:
                self.spanning.add(invoice)
                if when[0] < group[1]:
                    group[1] = when[0]
            group[3].append((row[i_sku], quantity, price))
        counts["rows"] = rows
        counts["cancellation_rows"] = cancellation_rows
        counts["rows_without_customer"] = without_customer
        counts["duplicate_rows"] = counts["dropped_duplicates"] = duplicates
        counts["purchase_lines"] = sum(len(group[3]) for group in orders.values())
        counts["cancelled_lines"] = sum(len(group[3]) for group in cancellations.values())
        self.revenue, self.gross, self.cancelled = revenue, gross, cancelled

    def build(self, currency: str) -> OnlineRetail:
        """Purchases, the cancellations matched to them, and the report."""
        # Lines are immutable, and the same (sku, quantity, price) recurs across invoices:
        # each distinct one is validated once and shared.
        known: dict[tuple[str, int, Decimal], Line] = {}
        moneys: dict[Decimal, Money] = {}
        bought: list[Purchase] = []
        for invoice, (member, at, _, rows) in self.orders.items():
            lines = []
            total = _ZERO
            for entry in rows:
                line = known.get(entry)
                if line is None:
                    sku, quantity, price = entry
                    unit = moneys.get(price)
                    if unit is None:
                        unit = moneys[price] = Money(price, currency)
                    line = known[entry] = Line(sku=sku, category=category_of(sku),
                                               quantity=quantity, unit_price=unit)
                lines.append(line)
                total += entry[2] * entry[1]
            bought.append(Purchase(id=invoice, member_id=member, at=at,
                                   amount=Money(total, currency), lines=tuple(lines)))
        purchases = sorted(bought, key=_event_key)
        returns, unmatched = self._match(purchases, currency)
        events: list[Purchase | Return] = sorted((*purchases, *returns), key=_event_key)
        columns = PurchaseColumns(
            ids=[p.id for p in purchases], member_ids=[p.member_id for p in purchases],
            at=[p.at for p in purchases], amounts=[p.amount.amount for p in purchases],
            currency=currency)
        counts = self.counts
        spanning = self.spanning
        report = OnlineRetailReport(
            currency=currency, **counts,
            invoices=len(self.invoices), customers=len(self.customers),
            revenue=self.revenue, gross=self.gross, cancelled=self.cancelled,
            cancellation_invoices=len(self.cancellation_invoices),
            customers_with_cancellations=len(self.cancelling_customers),
            adjust_invoices=len(self.adjust_invoices),
            purchases=len(purchases),
            purchase_value=sum(columns.amounts, _ZERO),
            members=len(set(columns.member_ids)),
            spanning_invoices=sum(1 for invoice in spanning
                                  if invoice in self.orders or invoice in self.cancellations),
            matched_lines=counts["cancelled_lines"] - len(unmatched),
            returns=len(returns),
            returned_value=sum((r.amount.amount for r in returns if r.amount is not None),
                               _ZERO),
            unmatched_lines=len(unmatched),
            unmatched_value=sum((u.amount.amount for u in unmatched), _ZERO),
            unmatched_reasons={reason: count for reason in _REASONS
                               if (count := sum(1 for u in unmatched if u.reason == reason))},
        )
        return OnlineRetail(events=tuple(events), purchases=columns, unmatched=tuple(unmatched),
                            report=report)

    def _match(self, purchases: list[Purchase], currency: str,
               ) -> tuple[list[Return], list[UnmatchedCancellation]]:
        """Match each cancelled line to the member's latest purchase that can take it back."""
        # In the order a replay applies them: purchases before a cancellation at the same
        # time ("5..." sorts before "C...").
        timeline: list[tuple[datetime, str, Purchase | None]] = [
            (p.at, p.id, p) for p in purchases]
        timeline += [(group[1], invoice, None) for invoice, group in self.cancellations.items()]
        timeline.sort(key=lambda item: (item[0], item[1]))
        # member -> their purchases so far: [id, {sku: quantity left}, value left]
        bought: dict[str, list[list[Any]]] = {}
        returns: list[Return] = []
        unmatched: list[UnmatchedCancellation] = []
        for at, invoice, purchase in timeline:
            if purchase is not None:
                left: dict[str, int] = {}
                for line in purchase.lines:
                    left[line.sku] = left.get(line.sku, 0) + line.quantity
                bought.setdefault(purchase.member_id, []).append(
                    [purchase.id, left, purchase.amount.amount])
                continue
            member, _, _, rows = self.cancellations[invoice]
            history = bought.get(member, [])
            credited: dict[str, Decimal] = {}
            for sku, quantity, price in rows:
                quantity = -quantity
                value = price * quantity
                for record in reversed(history):
                    if record[1].get(sku, 0) >= quantity and record[2] >= value:
                        record[1][sku] -= quantity
                        record[2] -= value
                        credited[record[0]] = credited.get(record[0], _ZERO) + value
                        break
                else:
                    unmatched.append(UnmatchedCancellation(
                        invoice=invoice, member_id=member, at=at, stock_code=sku,
                        quantity=quantity, amount=Money(value, currency),
                        reason=_why_unmatched(history, sku, quantity)))
            returns += [
                Return(id=f"{invoice}/{purchase_id}", member_id=member, at=at,
                       purchase_id=purchase_id, amount=Money(amount, currency))
                for purchase_id, amount in credited.items()
            ]
        return returns, unmatched


def _why_unmatched(history: list[list[Any]], sku: str, quantity: int) -> UnmatchedReason:
    having = [record[1][sku] for record in history if sku in record[1]]
    if not having:
        return "not-bought"
    if sum(having) < quantity:
        return "exceeds"
    if max(having) < quantity:
        return "spread"
    return "value"


def _event_key(event: Purchase | Return) -> tuple[datetime, str]:
    return (event.at, event.id)


def _member_id(path: Path, line: int, customer: str) -> str:
    """``"17850.0"`` (the file writes customer numbers as floats) -> ``"17850"``."""
    whole, dot, fraction = customer.partition(".")
    if not whole.isdigit() or (dot and fraction.strip("0")):
        raise _bad(path, line, "CustomerID", customer, "is not a customer number like 17850.0")
    return str(int(whole))
