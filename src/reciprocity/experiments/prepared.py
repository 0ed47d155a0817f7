"""Events prepared once for every run over them: validated, made engine rows, sorted.

``compare`` replays one history through two or more programs, and a redemption model replays
it two or three times per program. What does not depend on the program is done once, here:
the events are validated (``parse_event``), turned into the engine's rows and sorted by
``(at, id)``; the orders the runs applied (the revenue facts of the metrics) are worked out
once per set of refused events. Per program, only what depends on it runs again: the edge
checks of :meth:`Program._check <reciprocity.Program>` (currency, known categories, the
facts the program reads), then the replay itself over the same rows.

:class:`~reciprocity.PurchaseColumns` are already the engine's fast form; they are replayed
as they are, and turned into purchases (without validating them again) only when a
redemption model adds events to them.

Imports: ``_model``, ``events``, ``money``, ``replay``, ``state``, ``errors``, ``program``
(typing), ``experiments.metrics`` (the ``Fact`` type).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._engine import Row
from .._model import require_in_range
from .._records import LR_PRICE, LR_SKU, R_AMOUNT, R_ID, R_LINES, R_RETURNED
from ..errors import InvalidEvent
from ..events import Event, Purchase, PurchaseColumns, Return, _in_order, parse_events
from ..money import Money
from ..replay import Replay
from ..state import MemberState
from .metrics import Fact

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["Prepared", "applied_facts", "as_events"]

_ZERO = Decimal(0)


def as_events(events: Any) -> Any:
    """Loaded orders (``OnlineRetail``, ``LoadedOrders``) give their events."""
    inner = getattr(events, "events", None)
    if inner is not None and not isinstance(events, PurchaseColumns):
        return inner
    return events


def _key(row: Row) -> tuple[datetime, str]:
    return (row[3], row[1])


class Prepared:
    """A history prepared once: validated events (or columns), their sorted rows, the
    members' starting states, and the applied orders by set of refused event ids."""

    def __init__(self, events: Any, states: Mapping[str, MemberState] | None = None) -> None:
        source = as_events(events)
        self.start: dict[str, MemberState] = dict(states or {})
        self.columns: PurchaseColumns | None = None
        self._events: list[Event] | None = None
        if isinstance(source, PurchaseColumns):
            self.columns = source
        else:
            self._events = parse_events(source)  # an error names the bad event's position
        self._rows: list[Row] | None = None
        self._facts: dict[tuple[bool, frozenset[str]], list[Fact]] = {}

    @property
    def source(self) -> list[Event] | PurchaseColumns:
        """The columns, or the validated events, as given."""
        if self.columns is not None:
            return self.columns
        assert self._events is not None
        return self._events

    @property
    def events(self) -> list[Event]:
        """The validated events (columns: their purchases, built without validation)."""
        if self._events is None:
            assert self.columns is not None
            self._events = _purchases(self.columns)
        return self._events

    def rows(self) -> list[Row]:
        """The events' engine rows, sorted by ``(at, id)`` as ``Program.replay`` sorts them."""
        if self._rows is None:
            events = self.events
            rows = [event._row() for event in events]
            if not _in_order([e.at for e in events], [e.id for e in events]):
                rows.sort(key=_key)
            self._rows = rows
        return self._rows

    def replay(self, program: Program, *, until: datetime | None = None,
               errors: str = "raise", extra: Sequence[Event] = (),
               keep_effects: bool = False) -> Replay:
        """``program.replay(events + extra, states, until=..., errors=...,
        keep_effects=...)``, over the rows prepared once: only the program's edge checks run
        per program."""
        if self.columns is not None and not extra:
            return program.replay(self.columns, self.start, until=until, errors=errors,
                                  keep_effects=keep_effects)
        if errors not in ("raise", "skip"):
            raise InvalidEvent(f"errors={errors!r}", hint='use "raise" or "skip"')
        events = self.events
        check = program._check
        for position, event in enumerate((*events, *extra)):
            try:
                check(event)
            except InvalidEvent as exc:
                raise type(exc)(f"event #{position}: {exc.message}", hint=exc.hint) from None
        rows = self.rows()
        if extra:
            rows = list(heapq.merge(rows, sorted((e._row() for e in extra), key=_key),
                                    key=_key))
        return Replay(program, rows, dict(self.start), None,
                      None if until is None else require_in_range(until), errors == "skip",
                      keep_effects=keep_effects)

    def facts(self, refused: Iterable[str], *, as_events: bool = False) -> list[Fact]:
        """The orders applied when the events ``refused`` were left out (each set once)."""
        key = (as_events, frozenset(refused))
        found = self._facts.get(key)
        if found is None:
            source = self.events if as_events else self.source
            found = self._facts[key] = applied_facts(source, self.start, key[1])
        return found


def _purchases(columns: PurchaseColumns) -> list[Event]:
    """The columns' purchases as events, without validating them again: the columns were
    validated as a whole (and may carry amounts finer than the minor unit, which a
    ``Purchase`` accepts only as the sum of its lines)."""
    currency = columns.currency
    return [Purchase.model_construct(id=i, member_id=m, at=t, amount=Money(a, currency))
            for i, m, t, a in zip(columns.ids, columns.member_ids, columns.at, columns.amounts,
                                  strict=True)]


def applied_facts(events: Iterable[Any] | PurchaseColumns, start: Mapping[str, MemberState],
                  refused: Iterable[str]) -> list[Fact]:
    """The orders a replay applied, in time order, with each return's amount."""
    refused = set(refused)
    if isinstance(events, PurchaseColumns):
        rows = sorted(zip(events.at, events.ids, events.member_ids, events.amounts,
                          strict=True))
        seen: set[tuple[str, str]] = set()
        facts: list[Fact] = []
        for at, eid, mid, amount in rows:
            state = start.get(mid)
            if (mid, eid) in seen or eid in refused or (state and state.has_applied(eid)):
                continue
            seen.add((mid, eid))
            facts.append((at, mid, "purchase", amount))
        return facts
    listed = events if isinstance(events, list) else list(events)
    if _in_order([e.at for e in listed], [e.id for e in listed]):
        ordered = listed
    else:
        ordered = sorted(listed, key=lambda e: (e.at, e.id))
    # Per order: amount, returned so far, and its lines; a return by lines reads their unit
    # prices (a map by SKU made then, once per order: most orders are never returned).
    bought: dict[tuple[str, str], list[Any]] = {}
    for state in start.values():
        for row in state.purchases.rows:  # the kept records' rows (no model built)
            lines = row[R_LINES]
            bought[(state.member_id, row[R_ID])] = [
                row[R_AMOUNT], row[R_RETURNED],
                {line[LR_SKU]: line[LR_PRICE] for line in lines} if lines else ()]
    seen = set()
    facts = []
    for event in ordered:
        key = (event.member_id, event.id)
        state = start.get(event.member_id)
        if key in seen or event.id in refused or (state and state.has_applied(event.id)):
            continue
        seen.add(key)
        if isinstance(event, Purchase):
            amount = event.amount.amount
            bought[(event.member_id, event.id)] = [amount, _ZERO, event.lines]
            facts.append((event.at, event.member_id, "purchase", amount))
        elif isinstance(event, Return):
            record = bought.get((event.member_id, event.purchase_id))
            if record is None:
                continue
            if event.amount is not None:
                value = event.amount.amount
            elif event.lines:
                prices = record[2]
                if not isinstance(prices, dict):
                    prices = record[2] = _unit_prices(prices)
                value = sum((prices.get(ln.sku, _ZERO) * ln.quantity for ln in event.lines),
                            _ZERO)
            else:
                value = record[0] - record[1]
            value = min(value, record[0] - record[1])
            record[1] += value
            facts.append((event.at, event.member_id, "return", value))
    return facts


def _unit_prices(lines: Iterable[Any]) -> dict[str, Decimal]:
    """An order's unit price by SKU (the last line of a SKU wins), from an event's lines
    (``Money``) or a kept record's (``Decimal``)."""
    prices: dict[str, Decimal] = {}
    for line in lines:
        price = line.unit_price
        prices[line.sku] = price.amount if isinstance(price, Money) else price
    return prices
