"""Exports for accounting: the points liability at an instant, and effects by period.

Both read the effects ledger as it stands (corrections included): a late event that changed
an old effect changes the figures of the period the effect belongs to. ``EffectsReport``
gives rows, CSV text, or a pandas DataFrame when pandas is installed.

Imports: SQLAlchemy, pydantic, the public names of ``reciprocity``, the store's ``_schema``
and ``_models``.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import Engine, func, select

import reciprocity.store._schema as s

from ..effects import Effect
from ..errors import MissingDependency, StoreError
from ..money import Money
from ..program import Program
from ._models import Liability

__all__ = ["EffectsReport", "EffectsRow", "effects_by_period", "liability"]

Period = Literal["day", "month", "year"]
_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_EFFECT: TypeAdapter[Effect] = TypeAdapter(Effect)


def liability(engine: Engine, at: datetime, program: Program) -> Liability:
    """The points liability at ``at``: every effect's balance change up to it, summed."""
    f = s.effects.c
    with engine.connect() as c:
        found = c.execute(select(f.member_id, func.sum(f.points)).where(
            f.at <= s.ts(at)).group_by(f.member_id)).all()
    points = sum(int(total) for _, total in found)
    value = program.point_value()
    return Liability(at=at, points=points, members=sum(1 for _, total in found if total),
                     value=Money(value.amount * points, value.currency))


def money_value(effect: Effect) -> Money | None:
    """The money an effect is worth, if it carries any (a gift, goodwill, a voucher)."""
    value = getattr(effect, "value", None)
    if isinstance(value, Money):
        return value
    voucher = getattr(effect, "voucher", None)
    return None if voucher is None else voucher.value


class EffectsRow(BaseModel):
    """Effects of one type and kind in one period.

    Attributes:
        period: ``2026-03`` (month), ``2026-03-01`` (day) or ``2026`` (year), in the
            program's time zone.
        type: the effect's type (``points_earned``, ``gift_granted``...).
        kind: ``effect`` (as decided), ``correction`` (added by a late event) or
            ``reversal`` (an effect cancelled by a late event; counted negatively).
        count: how many effects.
        points: their change of the available balance.
        value: the money they carry (gifts, goodwill, vouchers), ``0`` if none.
        currency: the program's currency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: str
    type: str
    kind: str
    count: int
    points: int
    value: Decimal
    currency: str


class EffectsReport(BaseModel):
    """Effects grouped by period, type and kind, for accounting.

    >>> EffectsReport(rows=()).to_csv().splitlines()[0]
    'period,type,kind,count,points,value,currency'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: tuple[EffectsRow, ...]

    def to_csv(self, path: str | Path | None = None) -> str:
        """The rows as CSV text (and written to ``path`` if given)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(EffectsRow.model_fields))
        for row in self.rows:
            writer.writerow([row.period, row.type, row.kind, row.count, row.points,
                             format(row.value, "f"), row.currency])
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (values as ``Decimal``)."""
        try:
            pd = importlib.import_module("pandas")
        except ImportError:
            raise MissingDependency("EffectsReport.to_dataframe needs pandas",
                                    hint="pip install pandas, or use to_csv()") from None
        return pd.DataFrame([row.model_dump() for row in self.rows],
                            columns=list(EffectsRow.model_fields))


def effects_by_period(engine: Engine, start: datetime, end: datetime, period: Period,
                      program: Program) -> EffectsReport:
    """The effects with ``start <= at < end``, grouped by period, type and kind."""
    if period not in _FORMATS:
        raise StoreError(f"period={period!r}", hint='use "day", "month" or "year"')
    if end <= start:
        raise StoreError(f"end={end.isoformat()} is not after start={start.isoformat()}",
                         hint="give an end after the start")
    zone = ZoneInfo(program.timezone)
    f = s.effects.c
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    with engine.connect() as c:
        found = c.execute(select(f.at, f.type, f.kind, f.points, f.body).where(
            f.at >= s.ts(start), f.at < s.ts(end)).order_by(f.at, f.seq))
        for at, type_, kind, points, body in found:
            key = (s.from_ts(at).astimezone(zone).strftime(_FORMATS[period]), type_, kind)
            group = groups[key]
            group[0] += 1
            group[1] += int(points)
            money = money_value(_EFFECT.validate_json(body)) if '"value"' in body else None
            if money is not None:
                group[2] += -money.amount if kind == "reversal" else money.amount
    return EffectsReport(rows=tuple(
        EffectsRow(period=key[0], type=key[1], kind=key[2], count=count, points=points,
                   value=value, currency=program.currency)
        for key, (count, points, value) in sorted(groups.items())))
