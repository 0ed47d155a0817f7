"""Where order lines come from: a CSV file (plain or gzip), a Parquet file, a pandas or polars
DataFrame; and :func:`load_orders`, which reads any of them through a column mapping.

CSV needs nothing beyond the standard library. Parquet needs pyarrow, DataFrames their own
library (the caller has it already); a missing one raises
:class:`~reciprocity.MissingDependency` naming the extra ``reciprocity[data]``.

Imports: ``errors``, ``experiments.columns``, ``experiments.orders``; pandas, polars and
pyarrow only inside functions.
"""

from __future__ import annotations

import csv
import gzip
import importlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from ..errors import InvalidEvent, MissingDependency
from .columns import LoadedOrders, OrderColumns
from .orders import _bad, _Clock, _member_id, read_order_rows

__all__ = ["load_orders", "open_text", "read_table", "require"]

Reader = Callable[[Sequence[str], Iterable[Sequence[str]], str, Callable[[], int]], Any]
"""What :func:`read_table` calls: ``(names, rows, source name, current line number)``."""


def require(module: str, extra: str, purpose: str) -> Any:
    """Import an optional dependency, or raise :class:`MissingDependency` naming the extra.

    >>> require("json", "data", "reading JSON").__name__
    'json'
    >>> require("no_such_module_here", "plot", "plots")
    Traceback (most recent call last):
    ...
    reciprocity.MissingDependency: plots needs no_such_module_here, which is not installed; ...
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            f"{purpose} needs {module}, which is not installed",
            hint=f"pip install 'reciprocity[{extra}]'") from None


@contextmanager
def open_text(path: Path) -> Iterator[TextIO]:
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


def _text(value: Any) -> str:
    """A cell as the text a CSV would hold: missing is empty, floats as written."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    return "" if text in ("NaT", "nan", "<NA>", "None") else text


def _frame_columns(frame: Any) -> tuple[list[str], list[list[Any]]]:
    """Column names and the columns as Python lists, of a pandas or polars DataFrame."""
    module = type(frame).__module__.split(".")[0]
    if module == "polars":
        return [str(name) for name in frame.columns], [
            frame.get_column(name).to_list() for name in frame.columns]
    if module == "pandas":
        names = [str(name) for name in frame.columns]
        values = []
        for name in frame.columns:
            series = frame[name]
            if str(series.dtype).startswith("datetime64"):
                values.append([None if v is None or str(v) == "NaT" else v.to_pydatetime()
                               for v in series.tolist()])
            else:
                values.append(series.tolist())
        return names, values
    raise InvalidEvent(f"cannot read order lines from a {type(frame).__name__}",
                       hint="give a pandas or polars DataFrame, or a CSV or Parquet path")


def _table_rows(names: list[str], values: list[list[Any]],
                ) -> tuple[list[str], Iterator[Sequence[str]]]:
    """Rows of text; the columns the mapping does not read are kept (duplicates compare
    whole rows)."""
    as_text = [[_text(value) for value in column] for column in values]
    return names, zip(*as_text, strict=True) if as_text else iter(())


def load_orders(
    source: str | PathLike[str] | Any, columns: OrderColumns | None = None, *,
    currency: str, categorize: Callable[[str], str | None] | None = None,
    skipped: list[str] | None = None,
) -> LoadedOrders:
    """Read order lines through a column mapping into purchases, returns and a report.

    Args:
        source: a CSV path (plain or gzip), a ``.parquet`` path, or a pandas or polars
            DataFrame of order lines.
        columns: which column holds what; default :class:`OrderColumns` ``()`` (columns
            named ``order_id``, ``member_id``, ``at``, ``sku``, ``quantity``, ``unit_price``).
        currency: the ISO 4217 currency of every amount.
        categorize: a line's category from its SKU, if the data has no category column.
        skipped: if given, a row with a value that cannot be read (a column count off the
            header's, a quantity, price or time that is not one, a malformed order or
            member number) is left out and described here, by line, instead of raising;
            the report then counts the rows read.

    Returns:
        :class:`LoadedOrders`: events, purchase columns, unmatched lines and the report.
        How each row is read or dropped: :mod:`reciprocity.experiments.orders`.

    Raises:
        InvalidEvent: a missing column or an unreadable value (naming line, column, value).
        MissingDependency: Parquet without pyarrow.

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "lines.csv"
    >>> _ = path.write_text(
    ...     "order_id,member_id,at,sku,quantity,unit_price\\n"
    ...     "A-1,m-1,2026-03-01 10:00:00,TEA,2,4.50\\n"
    ...     "A-1,m-1,2026-03-01 10:00:00,CUP,1,12.00\\n"
    ...     "A-2,m-1,2026-03-09 18:30:00,TEA,-1,4.50\\n"
    ...     "A-3,,2026-03-10 09:00:00,TEA,1,4.50\\n", encoding="utf-8")
    >>> orders = load_orders(path, OrderColumns(timezone="Europe/Berlin"), currency="EUR")
    >>> [(type(e).__name__, e.id, str(e.amount)) for e in orders.events]
    [('Purchase', 'A-1', '21.00 EUR'), ('Return', 'A-2/A-1', '4.50 EUR')]
    >>> orders.report.rows, orders.report.dropped_without_member, orders.report.matched_lines
    (4, 1, 1)
    """
    columns = columns or OrderColumns()

    def read(names: Sequence[str], rows: Iterable[Sequence[str]], name: str,
             line: Callable[[], int]) -> LoadedOrders:
        if skipped is not None and all(n in names for n in columns.required()):
            rows = _readable_rows(rows, list(names), columns, name, line, skipped)
        return read_order_rows(rows, names, columns, currency=currency, source=name,
                               categorize=categorize, line_of=line)

    result: LoadedOrders = read_table(source, read)
    return result


def read_table(source: str | PathLike[str] | Any, reader: Reader) -> Any:
    """Call ``reader`` with the names and rows (as text) of a CSV or Parquet file or a pandas
    or polars DataFrame, the source's name, and a function giving the current row's line
    number (the header is line 1; a DataFrame's first row is line 1)."""
    if isinstance(source, str | PathLike):
        path = Path(source)
        if path.suffix.lower() in (".parquet", ".pq"):
            parquet = require("pyarrow.parquet", "data", "reading Parquet")
            _readable(path)
            try:
                table = parquet.read_table(path)
            except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
                raise InvalidEvent(f"{path.name} cannot be read as Parquet: "
                                   f"{str(exc).rstrip('.')}",
                                   hint="give a Parquet file, or a CSV with a .csv name"
                                   ) from None
            names = [str(name) for name in table.column_names]
            values = [table.column(name).to_pylist() for name in table.column_names]
            return _counted(reader, path.name, *_table_rows(names, values), first=2)
        _readable(path)
        with open_text(path) as handle:
            csv_rows = csv.reader(handle)
            header = next(csv_rows, None)
            if header is None:
                raise InvalidEvent(f"{path.name} is empty", hint="give a CSV with a header")
            names = [name.strip().lstrip("\ufeff") for name in header]
            return reader(names, csv_rows, path.name, lambda: csv_rows.line_num)
    names, values = _frame_columns(source)
    return _counted(reader, "DataFrame", *_table_rows(names, values), first=1)


def _readable_rows(rows: Iterable[Sequence[str]], names: list[str], columns: OrderColumns,
                   source: str, line: Callable[[], int], skipped: list[str],
                   ) -> Iterator[Sequence[str]]:
    """The rows whose values can be read, as :func:`read_order_rows` reads them; each other
    row is described in ``skipped`` (file, line, column, value) and left out."""
    c = columns
    width, clock = len(names), _Clock(ZoneInfo(c.timezone), True)
    by_amount = c.amount is not None
    quantity = (c.amount if by_amount else c.quantity) or ""
    checks: list[tuple[int, str, Callable[[str], object], str]] = [
        (names.index(c.at or ""), c.at or "", clock.parse,
         "is not a date and time like 2010-12-01 08:26:00"),
        (names.index(quantity), quantity, _decimal if by_amount else _whole,
         "is not a number" if by_amount else "is not a whole number")]
    if not by_amount:
        checks.append((names.index(c.unit_price or ""), c.unit_price or "", _decimal,
                       "is not a number"))
    i_order, i_member = names.index(c.order_id or ""), names.index(c.member_id or "")
    prefixes = tuple(p for p in (c.cancellation_prefix, *c.skip_prefixes) if p)
    for row in rows:
        try:
            if len(row) != width:
                raise InvalidEvent(f"{source} line {line()} has {len(row)} columns, the "
                                   f"header {width}")
            for index, name, parse, what in checks:
                if parse(row[index]) is None:
                    raise _bad(source, line(), name, row[index], what, "")
            order = row[i_order]
            number = next((order[len(p):] for p in prefixes if order.startswith(p)), order)
            if not order or (c.numeric_order_ids and not number.isdigit()):
                raise _bad(source, line(), c.order_id, order, "is not an order number", "")
            if row[i_member]:
                _member_id(source, line(), c.member_id, row[i_member],
                           c.member_ids == "integer", "")
        except InvalidEvent as exc:
            skipped.append(exc.message)
            continue
        yield row


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def _whole(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _readable(path: Path) -> None:
    """Refuse a path that is missing or a directory, naming it (an ``OSError``, as the
    reader of event files does)."""
    if not path.exists():
        raise FileNotFoundError(f"order lines file {str(path)!r} does not exist; check the "
                                "path")
    if path.is_dir():
        raise IsADirectoryError(f"order lines file {str(path)!r} is a directory; give a CSV "
                                "or Parquet file")


def _counted(reader: Reader, name: str, names: list[str], rows: Iterator[Sequence[str]],
             first: int) -> Any:
    line = [first - 1]

    def counting() -> Iterator[Sequence[str]]:
        for row in rows:
            line[0] += 1
            yield row

    return reader(names, counting(), name, lambda: line[0])
