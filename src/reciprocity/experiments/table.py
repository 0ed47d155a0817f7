"""A small column table: what simulations return, convertible to pandas and polars, written to
CSV or Parquet, readable in a notebook.

Money columns hold exact ``Decimal`` values (never floats): pandas gets them as ``Decimal``
objects, polars as its ``Decimal`` type, CSV as written, Parquet as ``decimal128``. A plot
converts them to floats at drawing time only.

Imports: ``experiments.sources`` (for :func:`require`); pandas, polars and pyarrow only inside
functions.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any

from .sources import require

__all__ = ["Table", "format_value"]


def format_value(value: Any, money: bool = False, currency: str = "") -> str:
    """A cell as a person reads it: thousands separated, money with two places and its code.

    >>> format_value(Decimal("1234.5"), money=True, currency="EUR"), format_value(12345)
    ('1,234.50 EUR', '12,345')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        text = f"{value:,.2f}" if money else f"{value:,}"
        return f"{text} {currency}".strip() if money else text
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


class Table:
    """Named columns of equal length, in order.

    Args:
        columns: column name -> values.
        money: the names of the money columns (exact ``Decimal``).
        currency: the money columns' currency.
        title: what the table is, shown in a notebook.

    >>> t = Table({"period": ["2026-01", "2026-02"], "cost": [Decimal("1.5"), Decimal(2)]},
    ...           money=("cost",), currency="EUR", title="Cost")
    >>> len(t), t.names, t["cost"][1]
    (2, ('period', 'cost'), Decimal('2'))
    >>> print(t)
    Cost (2 rows)
    period       cost
    2026-01  1.50 EUR
    2026-02  2.00 EUR
    """

    def __init__(self, columns: Mapping[str, Sequence[Any]], *, money: Sequence[str] = (),
                 currency: str = "", title: str = "",
                 written: Mapping[str, Callable[[list[Any]], list[Any]]] | None = None,
                 ) -> None:
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns differ in length: {sorted(lengths)}")
        self._columns: dict[str, list[Any]] = {name: list(values)
                                               for name, values in columns.items()}
        self._unwritten = {name: write for name, write in (written or {}).items()
                           if name in self._columns}
        self.money = tuple(name for name in money if name in self._columns)
        self.currency = currency
        self.title = title

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Column name -> values. A column given in ``written`` holds what its function
        turns into the values (a simulation's reasons, as messages) until the first read of
        any column, which writes them (once)."""
        if self._unwritten:
            unwritten, self._unwritten = self._unwritten, {}
            for name, write in unwritten.items():
                self._columns[name] = write(self._columns[name])
        return self._columns

    def __getstate__(self) -> dict[str, Any]:
        self.columns  # noqa: B018  (written before pickling: the recipes stay behind)
        return self.__dict__.copy()

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(self._columns)

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), ()))

    def __getitem__(self, name: str) -> list[Any]:
        return self.columns[name]

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict."""
        names = self.names
        for values in zip(*self.columns.values(), strict=True):
            yield dict(zip(names, values, strict=True))

    # -- conversions ------------------------------------------------------------------------
    def to_pandas(self) -> Any:
        """A pandas DataFrame (money as exact ``Decimal`` objects). Needs ``reciprocity[data]``."""
        pandas = require("pandas", "data", "Table.to_pandas")
        return pandas.DataFrame({name: pandas.Series(values, dtype=_pandas_dtype(values))
                                 for name, values in self.columns.items()})

    def to_polars(self) -> Any:
        """A polars DataFrame (money as ``Decimal``). Needs ``reciprocity[data]``."""
        polars = require("polars", "data", "Table.to_polars")
        return polars.DataFrame(
            {name: polars.Series(name, values, dtype=_polars_dtype(polars, values),
                                 strict=False)
             for name, values in self.columns.items()})

    def to_csv(self, path: str | PathLike[str]) -> Path:
        """Write the table as CSV (UTF-8, a header row; instants in ISO 8601). Needs nothing."""
        target = Path(path)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.names)
            for values in zip(*self.columns.values(), strict=True):
                writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime)
                                 else v for v in values])
        return target

    def to_parquet(self, path: str | PathLike[str]) -> Path:
        """Write the table as Parquet (money as ``decimal128``). Needs ``reciprocity[data]``."""
        require("pyarrow", "data", "Table.to_parquet")
        parquet = require("pyarrow.parquet", "data", "Table.to_parquet")
        target = Path(path)
        parquet.write_table(self.to_polars().to_arrow(), target)
        return target

    # -- display ------------------------------------------------------------------------------
    def _cells(self, limit: int) -> tuple[list[str], list[list[str]]]:
        names = list(self.names)
        shown = []
        for index, values in enumerate(zip(*self.columns.values(), strict=True)):
            if index >= limit:
                break
            shown.append([format_value(v, name in self.money, self.currency)
                          for name, v in zip(names, values, strict=True)])
        return names, shown

    def __str__(self) -> str:
        names, shown = self._cells(20)
        widths = [max([len(name), *(len(row[i]) for row in shown)])
                  for i, name in enumerate(names)]
        lines = [f"{self.title or 'Table'} ({len(self):,} rows)",
                 "  ".join(name.rjust(width) if i else name.ljust(width)
                           for i, (name, width) in enumerate(zip(names, widths, strict=True)))]
        lines += ["  ".join(cell.rjust(width) if i else cell.ljust(width)
                            for i, (cell, width) in enumerate(zip(row, widths, strict=True)))
                  for row in shown]
        if len(self) > len(shown):
            lines.append(f"... {len(self) - len(shown):,} more rows")
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        return (f"<Table {self.title or ''!s} {len(self):,} rows x {len(self.names)} columns: "
                f"{', '.join(self.names[:8])}{', ...' if len(self.names) > 8 else ''}>")

    def _repr_html_(self) -> str:
        names, shown = self._cells(30)
        head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:{"left" if i == 0 else "right"}">'
                             f"{html.escape(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
            for row in shown)
        more = (f"<p>... {len(self) - len(shown):,} more rows</p>"
                if len(self) > len(shown) else "")
        return (f"<div><strong>{html.escape(self.title)}</strong> ({len(self):,} rows)"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>")


def _kind(values: Sequence[Any]) -> type | None:
    for value in values:
        if value is not None:
            return type(value)
    return None


def _pandas_dtype(values: Sequence[Any]) -> str | None:
    kind = _kind(values)
    if kind is Decimal or kind is None:
        return "object"
    if kind is int and any(v is None for v in values):
        return "Int64"
    return None


def _polars_dtype(polars: Any, values: Sequence[Any]) -> Any:
    kind = _kind(values)
    if kind is Decimal:
        return polars.Decimal(38, 9)
    if kind is None:
        return polars.Null
    return None
