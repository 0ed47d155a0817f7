"""The rows a replay reads: validating a stream of events once, at the edge, and sorting it;
the error for an event id applied before with other content.

Imports: the core (``_engine``, ``_fingerprint``, ``errors``, ``events``); ``program`` only for
typing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._engine import Member, Row
from ._fingerprint import row_canonical, row_fingerprint
from .errors import CurrencyMismatch, EventConflict, InvalidEvent
from .events import PurchaseColumns, _in_order, parse_event, refuse_one_text

if TYPE_CHECKING:
    from .program import Program

__all__ = ["conflict", "event_rows", "row_conflict"]


def conflict(event_id: str, kind: str, member_id: str,
             differs: list[str] | None = None) -> EventConflict:
    """The error for an event that reuses an applied event's id with other content."""
    what = ("its fingerprint differs (the state keeps a fingerprint of each applied event, not "
            "the event)" if differs is None else "it differs in " + ", ".join(differs))
    return EventConflict(
        f"{kind}.id={event_id!r} was applied to member {member_id!r} before, as another "
        f"event: {what}",
        event_id=event_id,
        hint="give a new event an id of its own; send an event again only unchanged",
    )


def row_conflict(m: Member, row: Row) -> EventConflict | None:
    """``None`` if ``row`` repeats the event applied under its id, else the error."""
    prior = m.applied[row[1]]
    currency = m.currency
    if type(prior) is str:
        if prior == row_fingerprint(row, currency):
            return None
        differs = None
    else:
        before, now = row_canonical(prior, currency), row_canonical(row, currency)
        if before == now:
            return None
        differs = sorted(key for key in before.keys() | now.keys()
                         if before.get(key) != now.get(key))
    kind = "Purchase" if row[5] is None else type(row[5]).__name__
    return conflict(row[1], kind, m.member_id, differs)


def event_rows(program: Program, events: Iterable[Any] | PurchaseColumns) -> Iterable[Row]:
    """Validate once at the edge and sort by (at, id) unless already sorted."""
    if isinstance(events, PurchaseColumns):
        if events.currency != program.currency:
            raise CurrencyMismatch(
                f"PurchaseColumns.currency={events.currency!r} but the program uses "
                f"{program.currency}", hint=f"send amounts in {program.currency}",
            )
        if events.in_order:
            return events._rows()
        return sorted(events._rows(), key=_row_key)
    refuse_one_text(events)
    rows: list[Row] = []
    ats: list[datetime] = []
    ids: list[str] = []
    for position, item in enumerate(events):
        try:
            event = parse_event(item)
            program._check(event)
        except InvalidEvent as exc:
            raise type(exc)(f"event #{position}: {exc.message}", hint=exc.hint) from None
        rows.append(event._row())
        ats.append(event.at)
        ids.append(event.id)
    if not _in_order(ats, ids):
        rows.sort(key=_row_key)
    return rows


def _row_key(row: Row) -> tuple[datetime, str]:
    return (row[3], row[1])
