"""Complaints and sign-ups (with birthdays) from columns, where the data has them.

Like order lines (:mod:`reciprocity.experiments.orders`), a table of complaints or of
sign-ups is read through a declared mapping, from CSV, Parquet, pandas or polars, into
validated events and a report that counts every row used or dropped, and why:

- :class:`ComplaintColumns` -> :class:`~reciprocity.Complaint` events: member (or, for data
  without customer ids such as the Olist reviews, the order as its own member), order, time,
  category (mapped from the data's own values), severity (mapped, e.g. from a review score),
  first response, resolution, amount affected, text; ``keep`` selects the rows that are
  complaints at all;
- :class:`SignUpColumns` -> :class:`~reciprocity.SignUp` events with the birthday.

A row whose values make no valid event (a response before the complaint, a birthday after
the sign-up) is dropped and counted with the first reasons, never guessed.

Imports: ``_model``, ``errors``, ``events``, ``money``, ``experiments.columns``,
``experiments.orders`` (the clock), ``experiments.sources``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from os import PathLike
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from .._model import Frozen
from ..errors import InvalidEvent
from ..events import Complaint, ComplaintCategory, SignUp
from ..money import Money, validate_currency
from .columns import check_zone
from .orders import _Clock
from .sources import read_table

__all__ = ["ComplaintColumns", "LoadedEvents", "RowReport", "SignUpColumns",
           "load_complaints", "load_signups"]


class ComplaintColumns(Frozen):
    """Which column holds what, in a table of complaints, and how to read it.

    >>> columns = ComplaintColumns(member_id=None, order_id="id", at="review_creation_date",
    ...                            severity="review_score",
    ...                            severities={"1": 5, "2": 4, "3": 3, "4": 2, "5": 1},
    ...                            keep={"classe": ("problemas_de_entrega",)})
    >>> columns.member_id is None
    True
    """

    id: str | None = None
    """The complaint's id; without it ``"<order>/complaint"`` (or the row's line)."""
    member_id: str | None = "member_id"
    """``None``: the data has no customer id, and each order is its own member."""
    order_id: str | None = "order_id"
    at: str = "at"
    category: str | None = None
    categories: dict[str, ComplaintCategory] = Field(default_factory=dict)
    """The data's value -> a complaint category; values not listed are ``"other"``. Without
    entries the column's values are taken as categories."""
    severity: str | None = None
    severities: dict[str, int] = Field(default_factory=dict)
    """The data's value -> severity 1 to 5 (e.g. a review score); without entries the value
    is the severity."""
    first_response_at: str | None = None
    resolved_at: str | None = None
    amount_affected: str | None = None
    text: str | None = None
    timezone: str = "UTC"
    """The IANA zone of times written without an offset."""
    keep: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Column -> values: a row is a complaint only if each such column holds one of them."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)


class SignUpColumns(Frozen):
    """Which column holds what, in a table of members: id, when they joined, birthday.

    >>> SignUpColumns(birthday="born").birthday
    'born'
    """

    member_id: str = "member_id"
    at: str = "at"
    birthday: str | None = None
    """A date (``YYYY-MM-DD``); empty when unknown."""
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)


class RowReport(Frozen):
    """What a load of complaints or sign-ups read, used and dropped."""

    rows: int = 0
    events: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)
    """Rows dropped, by reason: ``"not-kept"``, ``"no-member"``, ``"invalid"``."""
    problems: tuple[str, ...] = ()
    """The first (at most 20) reasons of invalid rows, each naming its line."""


@dataclass(frozen=True, slots=True)
class LoadedEvents:
    """Events loaded from columns, in time order, and the report."""

    events: tuple[Complaint | SignUp, ...]
    report: RowReport


class _Rows:
    """The common part: columns by name, times, the report's counts."""

    def __init__(self, names: Sequence[str], wanted: Iterable[str | None], source: str,
                 zone: str) -> None:
        missing = [name for name in wanted if name is not None and name not in names]
        if missing:
            raise InvalidEvent(f"{source} has no column {', '.join(missing)}",
                               hint="name the table's columns in the mapping")
        self.index = {name: position for position, name in enumerate(names)}
        self.clock = _Clock(ZoneInfo(zone), True)
        self.source = source
        self.dropped: dict[str, int] = {}
        self.problems: list[str] = []

    def get(self, row: Sequence[str], name: str | None) -> str:
        return "" if name is None else row[self.index[name]]

    def time(self, row: Sequence[str], name: str | None, line: int) -> datetime | None:
        text = self.get(row, name)
        if not text:
            return None
        found = self.clock.seen.get(text) or self.clock.parse(text)
        if found is None:
            raise InvalidEvent(f"{self.source} line {line}: {name}={text!r} is not a date and "
                               "time", hint="check the column mapping against the data")
        return found[0]

    def drop(self, reason: str, problem: str | None = None) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        if problem is not None and len(self.problems) < 20:
            self.problems.append(problem)

    def done(self, rows: int, events: list[Any]) -> LoadedEvents:
        events.sort(key=lambda e: (e.at, e.id))
        return LoadedEvents(events=tuple(events), report=RowReport(
            rows=rows, events=len(events), dropped=self.dropped,
            problems=tuple(self.problems)))


def load_complaints(source: str | PathLike[str] | Any, columns: ComplaintColumns, *,
                    currency: str) -> LoadedEvents:
    """Read complaints through a column mapping (CSV, Parquet, pandas or polars).

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "reviews.csv"
    >>> _ = path.write_text("id,score,class,created,answered\\n"
    ...                     "o-1,1,late,2017-09-09 00:00,2017-09-10 03:27\\n"
    ...                     "o-2,5,fine,2017-09-11 00:00,\\n", encoding="utf-8")
    >>> loaded = load_complaints(path, ComplaintColumns(
    ...     member_id=None, order_id="id", at="created", first_response_at="answered",
    ...     category="class", categories={"late": "late_delivery"}, severity="score",
    ...     severities={"1": 5, "5": 1}, keep={"class": ("late",)}), currency="BRL")
    >>> [(e.member_id, e.category, e.severity) for e in loaded.events]
    [('o-1', 'late_delivery', 5)]
    >>> loaded.report.dropped
    {'not-kept': 1}
    """
    currency = validate_currency(currency, field="currency")
    c = columns

    def read(names: Sequence[str], rows: Iterable[Sequence[str]], name: str,
             line_of: Callable[[], int]) -> LoadedEvents:
        table = _Rows(names, (c.id, c.member_id, c.order_id, c.at, c.category, c.severity,
                              c.first_response_at, c.resolved_at, c.amount_affected, c.text,
                              *c.keep), name, c.timezone)
        events: list[Any] = []
        count = 0
        for row in rows:
            count += 1
            line = line_of()
            if any(table.get(row, column) not in values for column, values in c.keep.items()):
                table.drop("not-kept")
                continue
            order = table.get(row, c.order_id) or None
            member = table.get(row, c.member_id) if c.member_id is not None else order
            if not member:
                table.drop("no-member")
                continue
            try:
                events.append(_complaint(table, row, line, member, order, c, currency))
            except InvalidEvent as exc:
                table.drop("invalid", f"line {line}: {exc.message}")
        return table.done(count, events)

    result: LoadedEvents = read_table(source, read)
    return result


def _complaint(table: _Rows, row: Sequence[str], line: int, member: str, order: str | None,
               c: ComplaintColumns, currency: str) -> Complaint:
    at = table.time(row, c.at, line)
    if at is None:
        raise InvalidEvent(f"{c.at} is empty", hint="every complaint needs a time")
    category: Any = "other"
    if c.category is not None:
        value = table.get(row, c.category)
        category = c.categories.get(value, "other") if c.categories else (value or "other")
    severity = 1
    if c.severity is not None:
        value = table.get(row, c.severity)
        try:
            severity = c.severities[value] if c.severities else int(value)
        except (KeyError, ValueError):
            raise InvalidEvent(f"{c.severity}={value!r} is no severity",
                               hint="map it in severities") from None
    affected = None
    if c.amount_affected is not None and table.get(row, c.amount_affected):
        try:
            affected = Money(Decimal(table.get(row, c.amount_affected)), currency)
        except (InvalidOperation, ValueError):
            raise InvalidEvent(f"{c.amount_affected} is not a number",
                               hint="give the amount as a decimal number") from None
    ident = table.get(row, c.id) or (f"{order}/complaint" if order else f"complaint-{line}")
    return Complaint(id=ident, member_id=member, at=at, order_id=order, category=category,
                     severity=severity, amount_affected=affected,
                     first_response_at=table.time(row, c.first_response_at, line),
                     resolved_at=table.time(row, c.resolved_at, line),
                     text=table.get(row, c.text))


def load_signups(source: str | PathLike[str] | Any,
                 columns: SignUpColumns | None = None) -> LoadedEvents:
    """Read sign-ups (with birthdays) through a column mapping.

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "members.csv"
    >>> _ = path.write_text("member_id,at,born\\nm-1,2026-01-05 10:00,1990-02-28\\n"
    ...                     "m-2,2026-01-06 10:00,\\n", encoding="utf-8")
    >>> loaded = load_signups(path, SignUpColumns(birthday="born"))
    >>> [(e.member_id, e.birthday) for e in loaded.events]
    [('m-1', datetime.date(1990, 2, 28)), ('m-2', None)]
    """
    c = columns or SignUpColumns()

    def read(names: Sequence[str], rows: Iterable[Sequence[str]], name: str,
             line_of: Callable[[], int]) -> LoadedEvents:
        table = _Rows(names, (c.member_id, c.at, c.birthday), name, c.timezone)
        events: list[Any] = []
        count = 0
        for row in rows:
            count += 1
            line = line_of()
            member = table.get(row, c.member_id)
            if not member:
                table.drop("no-member")
                continue
            try:
                at = table.time(row, c.at, line)
                if at is None:
                    raise InvalidEvent(f"{c.at} is empty", hint="every sign-up needs a time")
                born = table.get(row, c.birthday)
                try:
                    birthday = date.fromisoformat(born[:10]) if born else None
                except ValueError:
                    raise InvalidEvent(f"{c.birthday}={born!r} is not a date",
                                       hint="write it as YYYY-MM-DD") from None
                events.append(SignUp(id=f"signup-{member}", member_id=member, at=at,
                                     birthday=birthday))
            except InvalidEvent as exc:
                table.drop("invalid", f"line {line}: {exc.message}")
        return table.done(count, events)

    result: LoadedEvents = read_table(source, read)
    return result
