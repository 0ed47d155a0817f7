"""Complaints and sign-ups from columns; the Olist reviews as complaints (real data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reciprocity import (
    ComplaintColumns,
    InvalidEvent,
    SignUpColumns,
    load_complaints,
    load_signups,
)

OLIST = (Path(__file__).resolve().parent.parent.parent / "shared" / "data"
         / "olist-classified" / "olist_classified_public_dataset.csv.gz")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    return path


COMPLAINTS = ComplaintColumns(
    member_id="customer", order_id="order", at="at", category="kind",
    categories={"late": "late_delivery", "broken": "damaged"}, severity="stars",
    severities={"1": 5, "2": 4, "3": 3}, first_response_at="answered", text="comment",
    amount_affected="value", timezone="Europe/Berlin", keep={"complaint": ("yes",)})
HEADER = "customer,order,at,kind,stars,answered,comment,value,complaint\n"


class TestComplaints:
    """Rows become complaints; the others are counted."""

    def test_mapping(self, tmp_path: Path) -> None:
        """Category and severity are mapped; times read in the zone; ids from the order."""
        path = write(tmp_path, HEADER
                     + "ann,A-1,2026-03-01 10:00,late,1,2026-03-01 12:00,where is it,30.00,yes\n"
                     + "bob,B-1,2026-03-02 10:00,odd,3,,meh,,yes\n")
        loaded = load_complaints(path, COMPLAINTS, currency="EUR")
        first, second = loaded.events
        assert (first.id, first.member_id, first.order_id) == ("A-1/complaint", "ann", "A-1")
        assert (first.category, first.severity, first.text) == ("late_delivery", 5, "where is it")
        assert first.at.isoformat() == "2026-03-01T09:00:00+00:00"
        assert first.first_response_at is not None
        assert first.amount_affected is not None
        assert str(first.amount_affected) == "30.00 EUR"
        assert (second.category, second.severity, second.amount_affected) == ("other", 3, None)

    def test_dropped_rows_are_counted(self, tmp_path: Path) -> None:
        """Rows not kept, without a member, or invalid are counted, the invalid named."""
        path = write(tmp_path, HEADER
                     + "ann,A-1,2026-03-01 10:00,late,1,,,,no\n"
                     + ",A-2,2026-03-01 10:00,late,1,,,,yes\n"
                     + "cid,A-3,2026-03-01 10:00,late,1,2026-02-01 10:00,,,yes\n"
                     + "dan,A-4,2026-03-01 10:00,late,9,,,,yes\n")
        report = load_complaints(path, COMPLAINTS, currency="EUR").report
        assert (report.rows, report.events) == (4, 0)
        assert report.dropped == {"not-kept": 1, "no-member": 1, "invalid": 2}
        assert report.problems[0].startswith("line 4: Complaint: Complaint.first_response_at=")
        assert report.problems[1] == "line 5: stars='9' is no severity"

    def test_missing_column(self, tmp_path: Path) -> None:
        """A mapped column the table lacks is named."""
        with pytest.raises(InvalidEvent, match="has no column kind"):
            load_complaints(write(tmp_path, "customer,order,at\n"),
                            ComplaintColumns(member_id="customer", order_id="order",
                                             category="kind"), currency="EUR")

    def test_bad_zone(self) -> None:
        """A zone that is not IANA is refused in the mapping."""
        with pytest.raises(InvalidEvent, match="not an IANA time zone"):
            ComplaintColumns(timezone="Berlin")

    def test_polars(self, tmp_path: Path) -> None:
        """A DataFrame reads like the CSV."""
        polars = pytest.importorskip("polars")
        text = HEADER + "ann,A-1,2026-03-01 10:00,late,1,,x,,yes\n"
        frame = polars.read_csv(write(tmp_path, text), infer_schema=False)
        assert load_complaints(frame, COMPLAINTS, currency="EUR").events == load_complaints(
            write(tmp_path, text), COMPLAINTS, currency="EUR").events


class TestSignUps:
    """Members joining, with birthdays."""

    def test_birthdays(self, tmp_path: Path) -> None:
        """A 29 February birthday is kept; an empty one is unknown; a future one is dropped."""
        path = write(tmp_path, "id,joined,born\nm-1,2026-01-05,1992-02-29\nm-2,2026-01-06,\n"
                               "m-3,2026-01-07,2030-01-01\n,2026-01-08,\n")
        loaded = load_signups(path, SignUpColumns(member_id="id", at="joined", birthday="born"))
        assert [(e.member_id, e.birthday) for e in loaded.events] == [
            ("m-1", date(1992, 2, 29)), ("m-2", None)]
        assert loaded.report.dropped == {"invalid": 1, "no-member": 1}


@pytest.mark.skipif(not OLIST.is_file(), reason=f"real data not found: {OLIST} is absent "
                    "(CI has the shared data folder at ../shared/data)")
def test_olist_reviews_as_complaints() -> None:
    """The delivery and quality problems of the Olist file (950 + 480, as its README counts
    them) become complaints, each order its own member; severity from the review score."""
    columns = ComplaintColumns(
        member_id=None, order_id="id", at="review_creation_date",
        first_response_at="review_answer_timestamp", category="most_voted_subclass",
        categories={"atrasado": "late_delivery", "entrega_parcial": "partial_delivery",
                    "diferente_do_anunciado": "not_as_described",
                    "baixa_qualidade": "quality"},
        severity="review_score", severities={"1": 5, "2": 4, "3": 3, "4": 2, "5": 1},
        text="review_comment_message", timezone="America/Sao_Paulo",
        keep={"most_voted_class": ("problemas_de_entrega", "problemas_de_qualidade")})
    loaded = load_complaints(OLIST, columns, currency="BRL")
    r = loaded.report
    assert r.rows == 3_584
    assert r.events + r.dropped.get("invalid", 0) == 950 + 480
    assert r.dropped["not-kept"] == 1_983 + 171
    assert {e.member_id for e in loaded.events} == {e.order_id for e in loaded.events}
    assert {e.category for e in loaded.events} >= {"late_delivery", "quality"}
