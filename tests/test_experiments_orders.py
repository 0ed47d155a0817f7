"""The column-mapping loader of order lines: CSV, Parquet, pandas and polars, one report."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import InvalidEvent, MissingDependency, Purchase, Return, seed_program
from reciprocity.experiments.columns import LoadedOrders, LoadReport, OrderColumns
from reciprocity.experiments.sources import load_orders

HEADER = "order_id,member_id,at,sku,quantity,unit_price,channel,category"
ROWS = [
    "A-1,m-1,2026-03-01 10:00:00,TEA,2,4.50,web,food",
    "A-1,m-1,2026-03-01 10:00:00,CUP,1,12.00,web,home",
    "A-1,m-1,2026-03-01 10:00:00,CUP,1,12.00,web,home",   # an exact duplicate
    "A-2,m-2,2026-03-02 11:00:00,TEA,10,4.50,shop,food",
    "A-3,m-1,2026-03-09 18:30:00,TEA,-1,4.50,web,food",  # a negative line: a return
    "A-4,,2026-03-10 09:00:00,TEA,1,4.50,web,food",      # no member
    "A-5,m-2,2026-03-10 09:00:00,FREE,1,0,web,promo",    # no money
    "A-6,m-2,2026-03-11 09:00:00,TEA,0,4.50,web,food",   # no quantity
    "A-7,m-3,2026-03-12 09:00:00,MUG,-1,9.00,web,home",  # a return of nothing bought
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "lines.csv"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


COLUMNS = OrderColumns(timezone="Europe/Berlin", channel="channel", category="category")


def accounted(report: LoadReport) -> int:
    return report.dropped() + report.purchase_lines + report.cancelled_lines


class TestCsv:
    """A CSV of order lines through a mapping."""

    def test_orders_returns_and_drops(self, tmp_path: Path) -> None:
        """Lines group into purchases; a negative line returns against the order; drops count."""
        loaded = load_orders(write(tmp_path, ROWS), COLUMNS, currency="EUR")
        assert [(type(e).__name__, e.id) for e in loaded.events] == [
            ("Purchase", "A-1"), ("Purchase", "A-2"), ("Return", "A-3/A-1")]
        first = loaded.events[0]
        assert isinstance(first, Purchase)
        assert first.amount.amount == Decimal("21.00")
        assert first.channel == "web"
        assert [(line.sku, line.category) for line in first.lines] == [
            ("TEA", "food"), ("CUP", "home")]
        ret = loaded.events[2]
        assert isinstance(ret, Return)
        assert (ret.purchase_id, ret.amount and ret.amount.amount) == ("A-1", Decimal("4.50"))
        r = loaded.report
        assert (r.rows, r.duplicate_rows, r.dropped_without_member,
                r.dropped_nonpositive_price, r.dropped_wrong_sign) == (9, 1, 1, 1, 1)
        assert (r.purchase_lines, r.cancelled_lines, r.matched_lines, r.unmatched_lines) == (
            3, 2, 1, 1)
        assert r.unmatched_reasons == {"not-bought": 1}
        assert accounted(r) == r.rows
        assert r.purchase_value == Decimal("66.00")

    def test_times_are_read_in_the_zone(self, tmp_path: Path) -> None:
        """A naive time is local time in the mapping's zone, kept in UTC."""
        loaded = load_orders(write(tmp_path, ROWS[:1]), COLUMNS, currency="EUR")
        assert loaded.events[0].at.isoformat() == "2026-03-01T09:00:00+00:00"

    def test_negative_lines_can_be_dropped(self, tmp_path: Path) -> None:
        """negative_lines="drop" counts them as a wrong sign."""
        columns = COLUMNS.model_copy(update={"negative_lines": "drop"})
        r = load_orders(write(tmp_path, ROWS), columns, currency="EUR").report
        assert (r.dropped_wrong_sign, r.cancelled_lines) == (3, 0)

    def test_amount_column(self, tmp_path: Path) -> None:
        """With a line amount, each line is one unit at that price; negative is returned."""
        path = write(tmp_path, ["1,m,2026-01-01T10:00:00+00:00,19.99",
                                "1,m,2026-01-01T10:00:00+00:00,5.01",
                                "2,m,2026-01-02T10:00:00+00:00,-5.01"],
                     header="order,member,time,value")
        columns = OrderColumns(order_id="order", member_id="member", at="time", sku=None,
                               quantity=None, unit_price=None, amount="value")
        loaded = load_orders(path, columns, currency="EUR")
        assert [str(e.amount) for e in loaded.events] == ["25.00 EUR", "5.01 EUR"]

    def test_currency_column_drops_other_currencies(self, tmp_path: Path) -> None:
        """Rows in another currency are dropped and counted."""
        path = write(tmp_path, ["1,m,2026-01-01 10:00:00,A,1,2.00,EUR",
                                "2,m,2026-01-01 10:00:00,A,1,2.00,USD"],
                     header="order_id,member_id,at,sku,quantity,unit_price,cur")
        loaded = load_orders(path, OrderColumns(currency="cur"), currency="EUR")
        assert (loaded.report.purchases, loaded.report.dropped_other_currency) == (1, 1)

    def test_loaded_events_replay(self, tmp_path: Path) -> None:
        """The events replay through a program as they are."""
        loaded = load_orders(write(tmp_path, ROWS), COLUMNS, currency="EUR")
        summary = seed_program().replay(loaded.events).summary()
        assert (summary.purchases, summary.events) == (2, 3)

    @pytest.mark.parametrize(("rows", "header", "message"), [
        (["A,m,2026-01-01 10:00:00,T,x,1.00"], None, "line 2: quantity='x' is not a whole"),
        (["A,m,2026-01-01 10:00:00,T,1,abc"], None, "line 2: unit_price='abc' is not a number"),
        (["A,m,yesterday,T,1,1.00"], None, "line 2: at='yesterday' is not a date"),
        (["A,m,2026-01-01 10:00:00,T,1,1.00", "A,n,2026-01-01 10:00:00,U,1,1.00"], None,
         "line 3: member_id='n' differs from the member m of order A"),
        (["A,m,2026-01-01 10:00:00,T,1"], None, "line 2 has 5 columns, the header 6"),
        ([], "order_id,member_id,at,sku,quantity", "has no column unit_price"),
    ])
    def test_bad_input_names_line_column_and_value(self, tmp_path: Path, rows: list[str],
                                                   header: str | None, message: str) -> None:
        """An unreadable value stops the load, naming where it is."""
        path = write(tmp_path, rows, header or "order_id,member_id,at,sku,quantity,unit_price")
        with pytest.raises(InvalidEvent, match=message):
            load_orders(path, currency="EUR")

    def test_mapping_needs_a_value(self) -> None:
        """A mapping without amount or quantity and price is refused."""
        with pytest.raises(InvalidEvent, match="needs amount, or quantity and unit_price"):
            OrderColumns(quantity=None)

    def test_mapping_zone(self) -> None:
        """A zone that is not IANA is refused."""
        with pytest.raises(InvalidEvent, match="is not an IANA time zone"):
            OrderColumns(timezone="Berlin")


def frame_rows() -> dict[str, list[Any]]:
    return {
        "order_id": ["A-1", "A-1", "A-2", "A-3", "A-4"],
        "member_id": [17850.0, 17850.0, 13047.0, 17850.0, None],
        "at": ["2026-03-01 10:00:00", "2026-03-01 10:00:00", "2026-03-02 11:00:00",
               "2026-03-09 18:30:00", "2026-03-10 09:00:00"],
        "sku": ["TEA", "CUP", "TEA", "TEA", "TEA"],
        "quantity": [2, 1, 10, -1, 1],
        "unit_price": [4.5, 12.0, 4.55, 4.5, 4.5],
    }


FRAME_COLUMNS = OrderColumns(member_ids="integer")


def same(a: LoadedOrders, b: LoadedOrders) -> None:
    assert a.events == b.events
    assert a.report == b.report


class TestFrames:
    """pandas, polars and Parquet give what the same CSV gives."""

    @pytest.fixture
    def from_csv(self, tmp_path: Path) -> LoadedOrders:
        data = frame_rows()
        lines = [",".join("" if v is None else str(v) for v in values)
                 for values in zip(*data.values(), strict=True)]
        return load_orders(write(tmp_path, lines, ",".join(data)), FRAME_COLUMNS,
                           currency="GBP")

    def test_pandas(self, from_csv: LoadedOrders) -> None:
        """A pandas DataFrame (float ids, NaN for a missing member) reads like the CSV."""
        pandas = pytest.importorskip("pandas")
        loaded = load_orders(pandas.DataFrame(frame_rows()), FRAME_COLUMNS, currency="GBP")
        same(loaded, from_csv)
        assert loaded.events[0].member_id == "17850"
        assert loaded.report.dropped_without_member == 1

    def test_pandas_datetimes(self, from_csv: LoadedOrders) -> None:
        """A datetime64 column reads as local times in the zone."""
        pandas = pytest.importorskip("pandas")
        frame = pandas.DataFrame(frame_rows())
        frame["at"] = pandas.to_datetime(frame["at"])
        same(load_orders(frame, FRAME_COLUMNS, currency="GBP"), from_csv)

    def test_polars(self, from_csv: LoadedOrders) -> None:
        """A polars DataFrame reads like the CSV."""
        polars = pytest.importorskip("polars")
        same(load_orders(polars.DataFrame(frame_rows()), FRAME_COLUMNS, currency="GBP"),
             from_csv)

    def test_parquet(self, tmp_path: Path, from_csv: LoadedOrders) -> None:
        """A Parquet file reads like the CSV."""
        pandas = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        path = tmp_path / "lines.parquet"
        pandas.DataFrame(frame_rows()).to_parquet(path)
        same(load_orders(path, FRAME_COLUMNS, currency="GBP"), from_csv)

    def test_parquet_without_pyarrow(self, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pyarrow, reading Parquet names the extra to install."""
        monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import raises ImportError
        with pytest.raises(MissingDependency, match=r"reciprocity\[data\]") as caught:
            load_orders(tmp_path / "x.parquet", currency="GBP")
        assert caught.value.code == "missing-dependency"

    def test_not_a_frame(self) -> None:
        """Anything else is refused with the accepted kinds."""
        with pytest.raises(InvalidEvent, match="pandas or polars DataFrame"):
            load_orders([1, 2, 3], currency="GBP")


MEMBER_OF = {"1": "a", "2": "b", "3": "", "4": "a"}
LINE = st.tuples(
    st.sampled_from(sorted(MEMBER_OF)),
    st.sampled_from(["2026-01-01 10:00:00", "2026-01-02 10:00:00"]),
    st.sampled_from(["X", "Y"]), st.integers(-3, 3), st.sampled_from(["0", "1.50", "2"]))


@given(st.lists(LINE, max_size=25))
def test_every_row_is_accounted_for(tmp_path_factory: pytest.TempPathFactory,
                                    lines: list[tuple[str, ...]]) -> None:
    """Whatever the rows, each is dropped, a purchase line or a cancelled line, exactly once."""
    path = tmp_path_factory.mktemp("rows") / "lines.csv"
    text = [",".join(map(str, (line[0], MEMBER_OF[line[0]], *line[1:]))) for line in lines]
    path.write_text("\n".join(("order_id,member_id,at,sku,quantity,unit_price", *text))
                    + "\n", encoding="utf-8")
    loaded = load_orders(path, currency="EUR")
    r = loaded.report
    assert accounted(r) == r.rows == len(lines)
    assert r.matched_lines + r.unmatched_lines == r.cancelled_lines
    assert sum(p.amount.amount for p in loaded.events if isinstance(p, Purchase)) == (
        r.purchase_value)
