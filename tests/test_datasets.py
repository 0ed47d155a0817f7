"""The Online Retail loader's rules, on small files written here (no real data needed).

The acceptance tests on the real file are in ``tests/test_real_data.py``.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from reciprocity import (
    InvalidEvent,
    Money,
    OnlineRetail,
    Purchase,
    Return,
    load_online_retail,
    seed_program,
)

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def write(tmp_path: Path, *rows: str, name: str = "orders.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def load(tmp_path: Path, *rows: str) -> OnlineRetail:
    return load_online_retail(write(tmp_path, *rows))


def row(invoice: str, sku: str, quantity: int, at: str, price: str,
        customer: str = "17850.0") -> str:
    return f"{invoice},{sku},ITEM {sku},{quantity},{at},{price},{customer},United Kingdom"


def purchases(shop: OnlineRetail) -> list[Purchase]:
    return [e for e in shop.events if isinstance(e, Purchase)]


def returns(shop: OnlineRetail) -> list[Return]:
    return [e for e in shop.events if isinstance(e, Return)]


def accounted(shop: OnlineRetail) -> int:
    r = shop.report
    return (r.dropped_duplicates + r.dropped_adjustments + r.dropped_without_customer
            + r.dropped_nonpositive_price + r.dropped_wrong_sign + r.purchase_lines
            + r.cancelled_lines)


class TestRowRules:
    """Which rows are used and which are dropped, each counted."""

    def test_exact_duplicate_rows_are_dropped_once(self, tmp_path: Path) -> None:
        """A row repeated in every column is used once and counted as a duplicate."""
        line = row("1", "A", 2, "2011-01-05 10:00:00", "1.50")
        shop = load(tmp_path, line, line, line)
        assert shop.report.duplicate_rows == shop.report.dropped_duplicates == 2
        assert purchases(shop)[0].amount == Money("3.00", "GBP")

    def test_rows_differing_in_one_column_are_both_kept(self, tmp_path: Path) -> None:
        """Same item twice in one invoice with another quantity is not a duplicate."""
        shop = load(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.50"),
                    row("1", "A", 3, "2011-01-05 10:00:00", "1.50"))
        assert shop.report.duplicate_rows == 0
        assert purchases(shop)[0].amount == Money("7.50", "GBP")
        assert len(purchases(shop)[0].lines) == 2

    def test_adjust_invoices_are_not_orders(self, tmp_path: Path) -> None:
        """``A`` invoices are bookkeeping: counted, never a purchase, even with a customer."""
        shop = load(tmp_path, row("A563185", "B", 1, "2011-08-12 14:50:00", "11062.06"),
                    row("A563186", "B", 1, "2011-08-12 14:51:00", "-11062.06", customer=""))
        assert shop.events == ()
        assert shop.report.adjust_invoices == 2
        assert shop.report.dropped_adjustments == 2
        assert shop.report.nonpositive_price_rows == 1

    def test_rows_without_customer_are_dropped(self, tmp_path: Path) -> None:
        """No CustomerID: the row belongs to no member."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00", customer=""),
                    row("2", "A", 1, "2011-01-05 10:00:00", "1.00"))
        assert [p.id for p in purchases(shop)] == ["2"]
        assert shop.report.rows_without_customer == shop.report.dropped_without_customer == 1

    def test_nonpositive_prices_are_dropped(self, tmp_path: Path) -> None:
        """UnitPrice 0 (a free item) moves no money: dropped, and the order keeps the rest."""
        shop = load(tmp_path, row("1", "A", 5, "2011-01-05 10:00:00", "0"),
                    row("1", "B", 1, "2011-01-05 10:00:00", "4.00"))
        assert [line.sku for line in purchases(shop)[0].lines] == ["B"]
        assert shop.report.nonpositive_price_rows == shop.report.dropped_nonpositive_price == 1

    def test_negative_quantity_outside_a_cancellation_is_dropped(self, tmp_path: Path) -> None:
        """A negative quantity on an order invoice is neither a purchase nor a return."""
        shop = load(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", -2, "2011-01-06 10:00:00", "1.00"))
        assert [type(e).__name__ for e in shop.events] == ["Purchase"]
        assert shop.report.negative_quantity_rows == shop.report.dropped_wrong_sign == 1

    def test_positive_quantity_on_a_cancellation_is_dropped(self, tmp_path: Path) -> None:
        """A ``C`` row must take goods back; a positive quantity there is dropped."""
        shop = load(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.00"),
                    row("C2", "A", 2, "2011-01-06 10:00:00", "1.00"))
        assert returns(shop) == []
        assert shop.report.dropped_wrong_sign == 1
        assert shop.report.cancellation_rows == 1

    def test_first_rule_decides(self, tmp_path: Path) -> None:
        """A duplicate without a customer is dropped as a duplicate, counted in both figures."""
        line = row("1", "A", 1, "2011-01-05 10:00:00", "1.00", customer="")
        shop = load(tmp_path, line, line)
        assert shop.report.rows_without_customer == 2
        assert shop.report.dropped_without_customer == 1
        assert shop.report.dropped_duplicates == 1

    def test_every_row_is_accounted_for(self, tmp_path: Path) -> None:
        """Each row is in exactly one of the dropped counts, purchase lines or cancelled lines."""
        line = row("1", "A", 2, "2011-01-05 10:00:00", "1.00")
        shop = load(tmp_path, line, line,
                    row("1", "B", 1, "2011-01-05 10:00:00", "0.00"),
                    row("2", "A", 1, "2011-01-05 10:00:00", "1.00", customer=""),
                    row("A3", "B", 1, "2011-01-05 10:00:00", "1.00"),
                    row("4", "A", -1, "2011-01-05 10:00:00", "1.00"),
                    row("C5", "A", -1, "2011-01-06 10:00:00", "1.00"),
                    row("C6", "Z", -1, "2011-01-06 10:00:00", "1.00"))
        assert shop.report.rows == 8 == accounted(shop)
        assert shop.report.cancelled_lines == 2
        assert shop.report.matched_lines == shop.report.unmatched_lines == 1


class TestPurchases:
    """One purchase per invoice: member, time, exact amount, lines."""

    def test_member_id_is_the_integer_customer_number(self, tmp_path: Path) -> None:
        """``17850.0`` in the file is member ``"17850"``."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00", "17850.0"))
        assert purchases(shop)[0].member_id == "17850"

    def test_times_are_uk_local_kept_in_utc(self, tmp_path: Path) -> None:
        """Winter times equal UTC; summer (BST) times are an hour ahead of it."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", 1, "2011-06-05 10:00:00", "1.00"))
        assert [p.at for p in purchases(shop)] == [datetime(2011, 1, 5, 10, tzinfo=UTC),
                                                  datetime(2011, 6, 5, 9, tzinfo=UTC)]

    def test_another_timezone(self, tmp_path: Path) -> None:
        """``timezone=`` says which zone the file's times are written in."""
        path = write(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00"))
        shop = load_online_retail(path, timezone="Europe/Berlin")
        assert purchases(shop)[0].at == datetime(2011, 1, 5, 9, tzinfo=UTC)

    def test_an_invoice_spanning_two_minutes_takes_the_earliest(self, tmp_path: Path) -> None:
        """Rows of one invoice at 10:01 and 10:00: the purchase is at 10:00, and counted."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:01:00", "1.00"),
                    row("1", "B", 1, "2011-01-05 10:00:00", "1.00"))
        assert purchases(shop)[0].at == datetime(2011, 1, 5, 10, tzinfo=UTC)
        assert shop.report.spanning_invoices == 1

    def test_amount_is_exact(self, tmp_path: Path) -> None:
        """Quantity x UnitPrice summed as Decimal; three-decimal prices are kept, not rounded."""
        shop = load(tmp_path, row("1", "PADS", 3, "2011-01-05 10:00:00", "0.001"),
                    row("1", "A", 7, "2011-01-05 10:00:00", "0.29"))
        purchase = purchases(shop)[0]
        assert purchase.amount == Money(Decimal("2.033"), "GBP")
        assert purchase.amount.amount == sum(
            (line.total.amount for line in purchase.lines), Decimal(0))
        assert shop.purchases.amounts == [Decimal("2.033")]
        assert shop.report.purchase_value == Decimal("2.033")

    def test_lines_carry_sku_quantity_price_and_category(self, tmp_path: Path) -> None:
        """StockCode is the sku; service codes get their own categories, the rest "goods"."""
        shop = load(tmp_path, row("1", "85123A", 6, "2011-01-05 10:00:00", "2.55"),
                    row("1", "POST", 1, "2011-01-05 10:00:00", "18.00"),
                    row("1", "M", 1, "2011-01-05 10:00:00", "3.00"),
                    row("1", "gift_0001_20", 1, "2011-01-05 10:00:00", "16.67"))
        lines = purchases(shop)[0].lines
        assert [(line.sku, line.category, line.quantity) for line in lines] == [
            ("85123A", "goods", 6), ("POST", "postage", 1), ("M", "manual", 1),
            ("gift_0001_20", "gift-voucher", 1)]
        assert lines[0].unit_price == Money("2.55", "GBP")

    def test_currency_relabels_without_converting(self, tmp_path: Path) -> None:
        """``currency="EUR"`` gives the same figures in EUR."""
        path = write(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.25"))
        shop = load_online_retail(path, currency="EUR")
        assert purchases(shop)[0].amount == Money("2.50", "EUR")
        assert shop.purchases.currency == "EUR"

    def test_events_and_columns_are_sorted_and_agree(self, tmp_path: Path) -> None:
        """Events come sorted by (at, id); the columns hold the same purchases."""
        shop = load(tmp_path, row("9", "A", 1, "2011-01-06 10:00:00", "1.00", "2.0"),
                    row("8", "A", 1, "2011-01-05 10:00:00", "2.00", "1.0"),
                    row("7", "A", 1, "2011-01-06 10:00:00", "3.00", "1.0"))
        assert [e.id for e in shop.events] == ["8", "7", "9"]
        assert shop.purchases.in_order
        assert shop.purchases.ids == ["8", "7", "9"]
        assert shop.purchases.member_ids == ["1", "1", "2"]
        assert shop.report.members == 2


class TestCancellations:
    """Each cancelled line goes back to the member's latest purchase that can take it."""

    def test_matches_the_most_recent_earlier_purchase(self, tmp_path: Path) -> None:
        """Two orders of the item: the cancellation returns to the later one."""
        shop = load(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", 2, "2011-01-06 10:00:00", "1.00"),
                    row("C3", "A", -1, "2011-01-07 10:00:00", "1.00"))
        [back] = returns(shop)
        assert (back.id, back.purchase_id, back.amount) == ("C3/2", "2", Money("1.00", "GBP"))

    def test_skips_a_purchase_without_enough_left(self, tmp_path: Path) -> None:
        """The latest order has 1 left, so 2 cancelled go to the older order with 5."""
        shop = load(tmp_path, row("1", "A", 5, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", 1, "2011-01-06 10:00:00", "1.00"),
                    row("C3", "A", -2, "2011-01-07 10:00:00", "1.00"))
        assert [r.purchase_id for r in returns(shop)] == ["1"]

    def test_cancelled_quantities_are_used_up(self, tmp_path: Path) -> None:
        """A second cancellation cannot take back what the first already took."""
        shop = load(tmp_path, row("1", "A", 2, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", 2, "2011-01-06 10:00:00", "1.00"),
                    row("C3", "A", -2, "2011-01-07 10:00:00", "1.00"),
                    row("C4", "A", -2, "2011-01-08 10:00:00", "1.00"))
        assert [(r.id, r.purchase_id) for r in returns(shop)] == [("C3/2", "2"), ("C4/1", "1")]

    def test_never_matches_a_later_purchase(self, tmp_path: Path) -> None:
        """An order placed after the cancellation is not what it cancels."""
        shop = load(tmp_path, row("C1", "A", -1, "2011-01-05 10:00:00", "1.00"),
                    row("2", "A", 1, "2011-01-06 10:00:00", "1.00"))
        assert returns(shop) == []
        assert [u.reason for u in shop.unmatched] == ["not-bought"]

    def test_same_time_purchase_can_be_cancelled(self, tmp_path: Path) -> None:
        """Ordered and cancelled in the same minute: matched, and replayed in that order."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "60.00"),
                    row("C2", "A", -1, "2011-01-05 10:00:00", "60.00"))
        assert [e.id for e in shop.events] == ["1", "C2/1"]
        summary = seed_program(currency="GBP").replay(shop.events).summary()
        assert (summary.points_earned, summary.points_revoked) == (1, 1)

    def test_only_the_members_own_purchases(self, tmp_path: Path) -> None:
        """Another customer's order of the item is never matched."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00", "1.0"),
                    row("C2", "A", -1, "2011-01-06 10:00:00", "1.00", "2.0"))
        assert returns(shop) == []
        assert shop.unmatched[0].member_id == "2"

    def test_one_return_per_matched_purchase(self, tmp_path: Path) -> None:
        """A cancellation of items from two orders is two returns; lines of one order add up."""
        shop = load(tmp_path, row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
                    row("2", "B", 1, "2011-01-06 10:00:00", "2.00"),
                    row("2", "C", 1, "2011-01-06 10:00:00", "3.00"),
                    row("C3", "A", -1, "2011-01-07 10:00:00", "1.00"),
                    row("C3", "B", -1, "2011-01-07 10:00:00", "2.00"),
                    row("C3", "C", -1, "2011-01-07 10:00:00", "3.00"))
        assert [(r.id, r.amount) for r in returns(shop)] == [
            ("C3/1", Money("1.00", "GBP")), ("C3/2", Money("5.00", "GBP"))]
        assert shop.report.returns == 2
        assert shop.report.returned_value == Decimal("6.00")

    def test_amount_is_what_the_cancellation_credits(self, tmp_path: Path) -> None:
        """Bought at 2.00, credited at 1.50: the return is 1.50, as the file states it."""
        shop = load(tmp_path, row("1", "A", 4, "2011-01-05 10:00:00", "2.00"),
                    row("C2", "A", -1, "2011-01-07 10:00:00", "1.50"))
        assert returns(shop)[0].amount == Money("1.50", "GBP")

    @pytest.mark.parametrize(("rows", "reason"), [
        ([row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
          row("C2", "Z", -1, "2011-01-06 10:00:00", "1.00")], "not-bought"),
        ([row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
          row("C2", "A", -3, "2011-01-06 10:00:00", "1.00")], "exceeds"),
        ([row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
          row("2", "A", 1, "2011-01-05 11:00:00", "1.00"),
          row("C3", "A", -2, "2011-01-06 10:00:00", "1.00")], "spread"),
        ([row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
          row("C2", "A", -1, "2011-01-06 10:00:00", "9.00")], "value"),
    ], ids=["not-bought", "exceeds", "spread", "value"])
    def test_unmatched_lines_say_why(self, tmp_path: Path, rows: list[str], reason: str) -> None:
        """No purchase fits: nothing is guessed; the line is listed with its reason."""
        shop = load(tmp_path, *rows)
        assert returns(shop) == []
        [unmatched] = shop.unmatched
        assert unmatched.reason == reason
        assert shop.report.unmatched_lines == 1
        assert shop.report.unmatched_value == unmatched.amount.amount
        assert shop.report.unmatched_reasons == {reason: 1}
        assert shop.report.describe().endswith(f"(1 {reason})")

    def test_unmatched_line_details(self, tmp_path: Path) -> None:
        """The listing names invoice, member, time, stock code, quantity and value."""
        shop = load(tmp_path, row("C2", "D", -2, "2011-01-06 10:00:00", "2.50"))
        [u] = shop.unmatched
        assert (u.invoice, u.member_id, u.stock_code, u.quantity, u.amount) == (
            "C2", "17850", "D", 2, Money("5.00", "GBP"))
        assert u.at == datetime(2011, 1, 6, 10, tzinfo=UTC)

    def test_replay_takes_every_return(self, tmp_path: Path) -> None:
        """The loader's matching never produces a return the engine refuses."""
        shop = load(tmp_path, row("1", "A", 10, "2011-01-05 10:00:00", "6.00"),
                    row("1", "B", 1, "2011-01-05 10:00:00", "1.00"),
                    row("C2", "A", -9, "2011-01-06 10:00:00", "6.50"),
                    row("C3", "B", -1, "2011-01-06 10:00:00", "1.00"),
                    row("C4", "A", -1, "2011-01-07 10:00:00", "6.00"))
        replay = seed_program(currency="GBP").replay(shop.events)
        summary = replay.summary()
        assert summary.rejected == 0
        assert summary.events == len(shop.events)
        [state] = replay.states.values()
        assert state.purchases[0].returned == sum(
            (r.amount.amount for r in returns(shop) if r.amount is not None), Decimal(0))


class TestLocalTimes:
    """Times a daylight-saving change repeats or skips are read by a stated rule, and counted."""

    def test_repeated_hour_reads_as_the_first(self, tmp_path: Path) -> None:
        """01:30 on 30 Oct 2011 happened twice in London; it is read as 00:30 UTC (BST)."""
        shop = load(tmp_path, row("1", "A", 1, "2011-10-30 01:30:00", "1.00"))
        assert purchases(shop)[0].at == datetime(2011, 10, 30, 0, 30, tzinfo=UTC)
        assert shop.report.ambiguous_local_times == 1

    def test_skipped_hour_is_counted(self, tmp_path: Path) -> None:
        """01:30 on 27 Mar 2011 never happened in London; read with the winter offset."""
        shop = load(tmp_path, row("1", "A", 1, "2011-03-27 01:30:00", "1.00"))
        assert purchases(shop)[0].at == datetime(2011, 3, 27, 1, 30, tzinfo=UTC)
        assert shop.report.nonexistent_local_times == 1


class TestFiles:
    """Paths, compression and the header."""

    def test_gzip_is_detected_by_content(self, tmp_path: Path) -> None:
        """A gzip file is read as such whatever its name."""
        path = tmp_path / "orders.data"
        text = "\n".join((HEADER, row("1", "A", 1, "2011-01-05 10:00:00", "1.00"))) + "\n"
        path.write_bytes(gzip.compress(text.encode()))
        assert len(load_online_retail(path).events) == 1

    def test_a_folder_holding_the_file(self, tmp_path: Path) -> None:
        """A folder is searched for the file's published name, directly or in online-retail/."""
        folder = tmp_path / "online-retail"
        folder.mkdir()
        write(folder, row("1", "A", 1, "2011-01-05 10:00:00", "1.00"),
              name="online_retail_2010-12_2011-12.csv.gz")
        assert len(load_online_retail(tmp_path).events) == 1
        assert len(load_online_retail(folder).events) == 1

    def test_a_folder_without_the_file(self, tmp_path: Path) -> None:
        """A folder without it raises FileNotFoundError naming what was looked for."""
        with pytest.raises(FileNotFoundError, match="online_retail_2010-12_2011-12"):
            load_online_retail(tmp_path)

    def test_columns_in_another_order(self, tmp_path: Path) -> None:
        """Columns are found by name."""
        header = "CustomerID,InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,Country"
        path = write(tmp_path, "17850.0,1,A,ITEM,2,2011-01-05 10:00:00,1.50,UK", header=header)
        assert load_online_retail(path).events[0].amount == Money("3.00", "GBP")


BAD_INPUT = [
    ("quantity", [row("1", "A", 1, "2011-01-05 10:00:00", "1.00").replace(",1,", ",one,")],
     "line 2: Quantity='one' is not a whole number"),
    ("price", [row("1", "A", 1, "2011-01-05 10:00:00", "a.b")],
     "line 2: UnitPrice='a.b' is not a number"),
    ("nan price", [row("1", "A", 1, "2011-01-05 10:00:00", "NaN")],
     "UnitPrice='NaN' is not a number"),
    ("date", [row("1", "A", 1, "05/01/2011 10:00", "1.00")],
     "InvoiceDate='05/01/2011 10:00' is not a date"),
    ("aware date", [row("1", "A", 1, "2011-01-05T10:00:00+00:00", "1.00")],
     "InvoiceDate='2011-01-05T10:00:00+00:00' is not a date"),
    ("invoice", [row("X1", "A", 1, "2011-01-05 10:00:00", "1.00")],
     "InvoiceNo='X1' is not an invoice number"),
    ("customer", [row("1", "A", 1, "2011-01-05 10:00:00", "1.00", customer="17850.5")],
     "CustomerID='17850.5' is not a customer number"),
    ("two customers", [row("1", "A", 1, "2011-01-05 10:00:00", "1.00", customer="1.0"),
                       row("1", "B", 1, "2011-01-05 10:00:00", "1.00", customer="2.0")],
     "line 3: CustomerID='2.0' differs from the customer 1 of invoice 1"),
    ("columns", ["1,A,ITEM,1,2011-01-05 10:00:00,1.00,17850.0"],
     "line 2 has 7 columns, the header 8"),
]


class TestBadInput:
    """A file the loader cannot read raises InvalidEvent naming line, column and value."""

    @pytest.mark.parametrize(("rows", "message"), [case[1:] for case in BAD_INPUT],
                             ids=[case[0] for case in BAD_INPUT])
    def test_bad_rows(self, tmp_path: Path, rows: list[str], message: str) -> None:
        """Each bad value is named."""
        with pytest.raises(InvalidEvent, match=re.escape(message)) as caught:
            load(tmp_path, *rows)
        assert caught.value.code == "invalid-event"

    def test_missing_column(self, tmp_path: Path) -> None:
        """A header without CustomerID names the missing column."""
        path = write(tmp_path, header=HEADER.replace(",CustomerID", ""))
        with pytest.raises(InvalidEvent, match="has no column CustomerID"):
            load_online_retail(path)

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file says so."""
        path = tmp_path / "empty.csv"
        path.write_text("", encoding="utf-8")
        with pytest.raises(InvalidEvent, match="is empty"):
            load_online_retail(path)

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A file in another encoding gets a hint to convert it."""
        path = tmp_path / "latin.csv"
        path.write_bytes((HEADER + "\n1,A,CAF\xc9,1,2011-01-05 10:00:00,1.0,1.0,UK\n")
                         .encode("latin-1"))
        with pytest.raises(InvalidEvent, match="is not UTF-8 text"):
            load_online_retail(path)

    @pytest.mark.parametrize(("option", "message"), [
        ({"currency": "gbp"}, "currency='gbp' is not an ISO 4217 code"),
        ({"timezone": "London"}, "timezone='London' is not an IANA time zone"),
    ])
    def test_bad_options(self, tmp_path: Path, option: dict[str, str], message: str) -> None:
        """A bad currency or zone is refused before the file is read."""
        with pytest.raises(InvalidEvent, match=message):
            load_online_retail(tmp_path / "never-read.csv", **option)
