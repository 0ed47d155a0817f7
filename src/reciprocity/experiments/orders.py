"""Order lines to events: one pass over rows of text, grouped into purchases and returns.

The rows come from :mod:`reciprocity.experiments.sources` (CSV, Parquet, pandas, polars) as
sequences of text, with the header's names; an :class:`~reciprocity.OrderColumns` says which
column holds what. Each row is looked at in this order; the first rule that applies decides:

1. an exact duplicate of an earlier row (all columns equal) is dropped (``deduplicate``);
2. rows of orders with one of the ``skip_prefixes`` are bookkeeping and are dropped;
3. rows without a member are dropped;
4. rows in another currency than the load's are dropped (with a ``currency`` column);
5. rows with a unit price (or line amount) of 0 or less in value move no money, and are
   dropped; with ``amount``, a negative amount is a returned line, not a price;
6. rows whose quantity has the wrong sign for their order (not positive on an order, not
   negative on a cancellation; or negative at all with ``negative_lines="drop"``) are dropped;
7. what is left is a purchase line, or a cancelled line.

The lines of one order id make one :class:`~reciprocity.Purchase` (at its earliest time, the
exact sum of its lines). Cancelled lines (of a cancellation order, or negative lines) are
matched to the member's most recent purchase at or before them that still has the SKU's
quantity and the line's value not yet returned, and become one :class:`~reciprocity.Return`
per cancellation and purchase, id ``"<cancellation>/<purchase>"``; a line with no such
purchase is never guessed, but listed as unmatched with the reason.

Imports: the core's models (``errors``, ``events``, ``money``), ``retail`` (unmatched lines)
and ``experiments.columns``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from sys import intern
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidEvent
from ..events import Line, Purchase, PurchaseColumns, Return
from ..money import Money, validate_currency
from ..retail import UnmatchedCancellation, UnmatchedReason
from .columns import LoadedOrders, LoadReport, OrderColumns

__all__ = ["read_order_rows"]

_ZERO = Decimal(0)
_REASONS: tuple[UnmatchedReason, ...] = ("not-bought", "exceeds", "spread", "value")


def _bad(source: str, line: int, column: str, value: str, what: str,
         hint: str) -> InvalidEvent:
    return InvalidEvent(f"{source} line {line}: {column}={value!r} {what}", hint=hint)


class _Clock:
    """Time text -> UTC instant, parsed once per distinct text."""

    def __init__(self, zone: ZoneInfo, aware: bool) -> None:
        self.zone = zone
        self.aware = aware
        self.seen: dict[str, tuple[datetime, int]] = {}

    def parse(self, text: str) -> tuple[datetime, int] | None:
        """``(instant, 0 plain | 1 ambiguous | 2 nonexistent)``, or ``None`` if malformed."""
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:
            return None
        if naive.tzinfo is not None:
            if not self.aware:
                return None
            found = (naive.astimezone(UTC), 0)
            self.seen[text] = found
            return found
        local = naive.replace(tzinfo=self.zone)
        flag = 0
        if local.utcoffset() != local.replace(fold=1).utcoffset():
            back = local.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None)
            flag = 1 if back == naive else 2
        found = (local.astimezone(UTC), flag)
        self.seen[text] = found
        return found


def read_order_rows(
    rows: Iterable[Sequence[str]], names: Sequence[str], columns: OrderColumns, *,
    currency: str, source: str = "orders",
    categorize: Callable[[str], str | None] | None = None,
    hint: str = "check the column mapping against the data", aware_times: bool = True,
    first_line: int = 2, line_of: Callable[[], int] | None = None,
    words: tuple[str, str] = ("member", "order"),
) -> LoadedOrders:
    """Read rows of text (in the order of ``names``) into purchases and returns.

    Args:
        rows: the rows, each as long as ``names``.
        names: the column names (a CSV header).
        columns: which column holds what.
        currency: the currency of every amount.
        source: how errors name the data (a file name).
        categorize: a line's category from its SKU, when ``columns.category`` is not given.
        hint: the fix errors suggest.
        aware_times: accept times with an offset (else only local times in the zone).
        first_line: the line number of the first row (errors name it).
        line_of: the current row's line number, if the reader knows it better (CSV).
        words: what errors call a member and an order (``("customer", "invoice")``).

    Raises:
        InvalidEvent: a missing column or an unreadable value, naming line, column, value.
    """
    currency = validate_currency(currency, field="currency")
    missing = [name for name in columns.required() if name not in names]
    if missing:
        keys = ("order_id", "member_id", "at", "sku", "amount", "quantity", "unit_price",
                "category", "channel", "currency")
        fields = [f"{name} (OrderColumns.{next(k for k in keys if getattr(columns, k) == name)})"
                  for name in missing]
        raise InvalidEvent(f"{source} has no column {', '.join(fields)}",
                           hint=f"its header must name {', '.join(columns.required())}, or "
                           "the mapping name the columns it has")
    reader = _Reader(columns, list(names), source, hint, aware_times, categorize, words)
    reader.read(rows, currency, first_line, line_of)
    return reader.build(currency)


class _Reader:
    """One pass over the rows: the table's figures, and the rows kept, grouped by order."""

    def __init__(self, columns: OrderColumns, names: list[str], source: str, hint: str,
                 aware: bool, categorize: Callable[[str], str | None] | None,
                 words: tuple[str, str]) -> None:
        self.columns = columns
        self.words = words
        self.names = names
        self.source = source
        self.hint = hint
        self.categorize = categorize
        self.clock = _Clock(ZoneInfo(columns.timezone), aware)
        self.counts: dict[str, Any] = dict.fromkeys(
            ("rows", "cancellation_rows", "rows_without_member", "negative_quantity_rows",
             "nonpositive_price_rows", "duplicate_rows", "ambiguous_local_times",
             "nonexistent_local_times", "dropped_duplicates", "dropped_skipped",
             "dropped_without_member", "dropped_other_currency", "dropped_nonpositive_price",
             "dropped_wrong_sign", "purchase_lines", "cancelled_lines"), 0)
        self.orders_seen: set[str] = set()
        self.members: set[str] = set()
        self.cancelling: set[str] = set()
        self.cancellation_orders: set[str] = set()
        self.skipped: set[str] = set()
        self.value = self.gross = self.cancelled = _ZERO
        # order -> [member, earliest at, first at, [(sku, quantity, price, category, channel)]]
        self.orders: dict[str, list[Any]] = {}
        self.cancellations: dict[str, list[Any]] = {}
        self.spanning: set[str] = set()

    def _index(self, name: str | None) -> int:
        return -1 if name is None else self.names.index(name)

    def read(self, rows: Iterable[Sequence[str]], currency: str, first_line: int,
             line_of: Callable[[], int] | None) -> None:
        c = self.columns
        i_order, i_member, i_at = (self._index(c.order_id), self._index(c.member_id),
                                   self._index(c.at))
        i_sku, i_cat, i_chan, i_cur = (self._index(c.sku), self._index(c.category),
                                       self._index(c.channel), self._index(c.currency))
        by_amount = c.amount is not None
        i_qty = self._index(c.amount if by_amount else c.quantity)
        i_price = -1 if by_amount else self._index(c.unit_price)
        q_name = (c.amount if by_amount else c.quantity) or ""
        p_name = c.unit_price or ""
        cancel = c.cancellation_prefix
        skips = c.skip_prefixes
        numeric = c.numeric_order_ids
        negative_returns = c.negative_lines == "return"
        as_integer = c.member_ids == "integer"
        dedupe = c.deduplicate
        width = len(self.names)
        source, hint = self.source, self.hint
        counts = self.counts
        seen: set[tuple[str, ...]] = set()
        prices: dict[str, Decimal] = {}
        members: dict[str, str] = {}
        times = self.clock.seen
        parse_time = self.clock.parse
        kinds: dict[str, int] = {}  # order id -> 0 order, 1 cancellation, 2 skipped
        member_set = self.members
        orders = self.orders
        cancellations = self.cancellations
        value_sum = gross = cancelled = _ZERO
        n = cancellation_rows = without_member = duplicates = 0
        line = first_line - 1
        for row in rows:
            n += 1
            line = line_of() if line_of is not None else line + 1
            if len(row) != width:
                raise InvalidEvent(f"{source} line {line} has {len(row)} columns, the "
                                   f"header {width}", hint="check the file is complete")
            order = row[i_order]
            kind = kinds.get(order)
            if kind is None:
                kind = 0
                number = order
                if cancel and order.startswith(cancel):
                    kind, number = 1, order[len(cancel):]
                else:
                    for prefix in skips:
                        if order.startswith(prefix):
                            kind, number = 2, order[len(prefix):]
                            break
                if not order or (numeric and not number.isdigit()):
                    raise _bad(source, line, c.order_id, order,
                               f"is not an {self.words[1]} number" + (
                                   " (digits, or a prefix and digits)" if numeric else ""),
                               hint)
                kinds[order] = kind
                if kind == 1:
                    self.cancellation_orders.add(order)
                elif kind == 2:
                    self.skipped.add(order)
            if by_amount:
                text = row[i_qty]
                amount = prices.get(text)
                if amount is None:
                    try:
                        amount = Decimal(text)
                    except InvalidOperation:
                        amount = None
                    if amount is None or not amount.is_finite():
                        raise _bad(source, line, q_name, text, "is not a number", hint)
                    prices[text] = amount
                quantity = -1 if amount < 0 else 1
                price = -amount if amount < 0 else amount
            else:
                try:
                    quantity = int(row[i_qty])
                except ValueError:
                    raise _bad(source, line, q_name, row[i_qty], "is not a whole number",
                               hint) from None
                text = row[i_price]
                known = prices.get(text)
                if known is None:
                    try:
                        known = Decimal(text)
                    except InvalidOperation:
                        known = None
                    if known is None or not known.is_finite():
                        raise _bad(source, line, p_name, text, "is not a number", hint)
                    prices[text] = known
                price = known
            when_text = row[i_at]
            when = times.get(when_text) or parse_time(when_text)
            if when is None:
                raise _bad(source, line, c.at, when_text,
                           "is not a date and time like 2010-12-01 08:26:00", hint)
            if when[1]:
                counts["ambiguous_local_times" if when[1] == 1
                       else "nonexistent_local_times"] += 1
            value = price * quantity
            value_sum += value
            customer = row[i_member]
            if kind == 1:
                cancellation_rows += 1
                cancelled += value
                if customer:
                    self.cancelling.add(customer)
            else:
                gross += value
                if quantity < 0:
                    counts["negative_quantity_rows"] += 1
            if customer:
                member_set.add(customer)
            else:
                without_member += 1
            if price <= 0:
                counts["nonpositive_price_rows"] += 1
            if dedupe:
                key = tuple(map(intern, row))
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
            # What to do with the row: the first rule that applies.
            if kind == 2:
                counts["dropped_skipped"] += 1
                continue
            if not customer:
                counts["dropped_without_member"] += 1
                continue
            if i_cur >= 0 and row[i_cur] != currency:
                counts["dropped_other_currency"] += 1
                continue
            if price <= 0:
                counts["dropped_nonpositive_price"] += 1
                continue
            returned = False
            if kind == 1:
                if quantity >= 0:
                    counts["dropped_wrong_sign"] += 1
                    continue
                returned = True
            elif quantity <= 0:
                if quantity == 0 or not negative_returns:
                    counts["dropped_wrong_sign"] += 1
                    continue
                returned = True
            member = members.get(customer)
            if member is None:
                member = _member_id(source, line, c.member_id, customer, as_integer, hint)
                members[customer] = member
            sku = row[i_sku] if i_sku >= 0 else "line"
            entry = (sku, quantity, price, row[i_cat] if i_cat >= 0 else None,
                     row[i_chan] if i_chan >= 0 else None)
            groups = cancellations if returned else orders
            group = groups.get(order)
            if group is None:
                groups[order] = [member, when[0], when[0], [entry]]
                continue
            if group[0] != member:
                raise _bad(source, line, c.member_id, customer,
                           f"differs from the {self.words[0]} {group[0]} of "
                           f"{self.words[1]} {order}'s "
                           "earlier rows", hint)
            if when[0] != group[2]:
                self.spanning.add(order)
                if when[0] < group[1]:
                    group[1] = when[0]
            group[3].append(entry)
        counts["rows"] = n
        counts["cancellation_rows"] = cancellation_rows
        counts["rows_without_member"] = without_member
        counts["duplicate_rows"] = counts["dropped_duplicates"] = duplicates
        counts["purchase_lines"] = sum(len(group[3]) for group in orders.values())
        counts["cancelled_lines"] = sum(len(group[3]) for group in cancellations.values())
        self.value, self.gross, self.cancelled = value_sum, gross, cancelled
        self.orders_seen = set(kinds)

    def build(self, currency: str) -> LoadedOrders:
        """Purchases, the cancellations matched to them, and the report."""
        # Lines are immutable and recur across orders: each distinct one is validated once.
        known: dict[tuple[Any, ...], Line] = {}
        moneys: dict[Decimal, Money] = {}
        categorize = self.categorize
        bought: list[Purchase] = []
        for order, (member, at, _, rows) in self.orders.items():
            lines = []
            total = _ZERO
            channel = None
            for entry in rows:
                sku, quantity, price, category, chan = entry
                channel = channel or chan or None
                key = entry[:4]
                line = known.get(key)
                if line is None:
                    unit = moneys.get(price)
                    if unit is None:
                        unit = moneys[price] = Money(price, currency)
                    if category is None and categorize is not None:
                        category = categorize(sku)
                    line = known[key] = Line(sku=sku, category=category or None,
                                             quantity=quantity, unit_price=unit)
                lines.append(line)
                total += price * quantity
            bought.append(Purchase(id=order, member_id=member, at=at, channel=channel,
                                   amount=Money(total, currency), lines=tuple(lines)))
        purchases = sorted(bought, key=_event_key)
        returns, unmatched = self._match(purchases, currency)
        events: list[Purchase | Return] = sorted((*purchases, *returns), key=_event_key)
        columns = PurchaseColumns(
            ids=[p.id for p in purchases], member_ids=[p.member_id for p in purchases],
            at=[p.at for p in purchases], amounts=[p.amount.amount for p in purchases],
            currency=currency)
        counts = self.counts
        report = LoadReport(
            currency=currency, **counts,
            orders=len(self.orders_seen), members=len(self.members),
            value=self.value, gross=self.gross, cancelled=self.cancelled,
            cancellation_orders=len(self.cancellation_orders),
            members_with_cancellations=len(self.cancelling),
            skipped_orders=len(self.skipped),
            purchases=len(purchases),
            purchase_value=sum(columns.amounts, _ZERO),
            purchasing_members=len(set(columns.member_ids)),
            spanning_orders=sum(1 for order in self.spanning
                                if order in self.orders or order in self.cancellations),
            matched_lines=counts["cancelled_lines"] - len(unmatched),
            returns=len(returns),
            returned_value=sum((r.amount.amount for r in returns if r.amount is not None),
                               _ZERO),
            unmatched_lines=len(unmatched),
            unmatched_value=sum((u.amount.amount for u in unmatched), _ZERO),
            unmatched_reasons={reason: count for reason in _REASONS
                               if (count := sum(1 for u in unmatched if u.reason == reason))},
        )
        return LoadedOrders(events=tuple(events), purchases=columns,
                            unmatched=tuple(unmatched), report=report)

    def _match(self, purchases: list[Purchase], currency: str,
               ) -> tuple[list[Return], list[UnmatchedCancellation]]:
        """Match each cancelled line to the member's latest purchase that can take it back."""
        # In the order a replay applies them: purchases before a cancellation at the same
        # time and id (a negative line of the order itself).
        timeline: list[tuple[datetime, str, int, Purchase | None]] = [
            (p.at, p.id, 0, p) for p in purchases]
        timeline += [(group[1], order, 1, None) for order, group in self.cancellations.items()]
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        # member -> their purchases so far: [id, {sku: quantity left}, value left]
        bought: dict[str, list[list[Any]]] = {}
        returns: list[Return] = []
        unmatched: list[UnmatchedCancellation] = []
        for at, order, _, purchase in timeline:
            if purchase is not None:
                left: dict[str, int] = {}
                for line in purchase.lines:
                    left[line.sku] = left.get(line.sku, 0) + line.quantity
                bought.setdefault(purchase.member_id, []).append(
                    [purchase.id, left, purchase.amount.amount])
                continue
            member, _, _, rows = self.cancellations[order]
            history = bought.get(member, [])
            credited: dict[str, Decimal] = {}
            for sku, quantity, price, _, _ in rows:
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
                        invoice=order, member_id=member, at=at, stock_code=sku,
                        quantity=quantity, amount=Money(value, currency),
                        reason=_why_unmatched(history, sku, quantity)))
            returns += [
                Return(id=f"{order}/{purchase_id}", member_id=member, at=at,
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


def _member_id(source: str, line: int, column: str, customer: str, as_integer: bool,
               hint: str) -> str:
    """The member id; with ``as_integer``, ``"17850.0"`` (ids exported as floats) -> ``"17850"``."""
    if not as_integer:
        return customer
    whole, dot, fraction = customer.partition(".")
    if not whole.isdigit() or (dot and fraction.strip("0")):
        raise _bad(source, line, column, customer, "is not a customer number like 17850.0",
                   hint)
    return str(int(whole))
