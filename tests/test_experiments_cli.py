"""``reciprocity simulate`` and ``compare``, and ``replay``'s handling of unreadable lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reciprocity import (
    Money,
    OrderColumns,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    Reward,
)
from reciprocity.cli import main

LINES = "\n".join(
    Purchase(id=f"A-{day}", member_id=member, at=f"2026-0{month}-{day:02d}T12:00:00+00:00",
             amount=Money(amount, "EUR")).model_dump_json()
    for month, day, member, amount in ((1, 5, "ann", "60.00"), (1, 9, "bob", "20.00"),
                                       (2, 3, "ann", "80.00"), (3, 7, "bob", "55.00")))


def program(tmp_path: Path, name: str, points: int) -> Path:
    path = tmp_path / f"{name}.json"
    Program(name=name, currency="EUR", points=PointScheme(
        earn=[PointsPerPurchase(id="order", points=points)],
        rewards=[Reward(id="v", name="voucher", points=2, value=Money("5.00", "EUR"))],
    )).save(path)
    return path


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(LINES + "\n", encoding="utf-8")
    return path


def test_simulate_prints_and_writes(tmp_path: Path, events: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The summary is printed and the three tables are written as CSV."""
    code = main(["simulate", str(program(tmp_path, "today", 1)), str(events),
                 "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Points earned             4" in out
    assert "Revenue (net of returns)  215.00 EUR" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "effects.csv", "members.csv", "metrics.csv"]


def test_simulate_with_a_redemption_model(tmp_path: Path, events: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--redeem draws redemptions; --json prints the totals."""
    code = main(["simulate", str(program(tmp_path, "today", 1)), str(events), "--redeem", "1",
                 "--breakage", "0", "--json"])
    totals = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (totals["points_redeemed"], totals["vouchers"]) == (2, 1)


def test_simulate_order_lines_through_a_mapping(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """CSV order lines are read through the --mapping file."""
    lines = tmp_path / "lines.csv"
    lines.write_text("o,c,t,s,q,p\n1,ann,2026-01-05 12:00,X,2,30.00\n"
                     "2,bob,2026-01-06 12:00,X,1,30.00\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(OrderColumns(order_id="o", member_id="c", at="t", sku="s",
                                    quantity="q", unit_price="p").model_dump_json(),
                       encoding="utf-8")
    code = main(["simulate", str(program(tmp_path, "today", 1)), str(lines),
                 "--mapping", str(mapping), "--freq", "Q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Orders                    2" in out


def test_compare(tmp_path: Path, events: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Programs side by side with the difference; the tables written per program."""
    code = main(["compare", str(program(tmp_path, "today", 1)),
                 str(program(tmp_path, "triple", 3)), str(events), "--out",
                 str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    earned = next(line for line in out.splitlines() if line.startswith("points earned"))
    assert earned.split() == ["points", "earned", "4", "12", "8"]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "compare-metrics.csv" in names
    assert "triple-members.csv" in names


def test_compare_needs_two_programs(tmp_path: Path, events: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """One program and events is an error, exit code 2."""
    assert main(["compare", str(program(tmp_path, "today", 1)), str(events)]) == 2
    assert "needs two programs or more" in capsys.readouterr().err


class TestReplayLines:
    """replay names the line of a bad event; --skip leaves unreadable lines out."""

    def bad(self, events: Path) -> Path:
        lines = events.read_text(encoding="utf-8").splitlines()
        lines.insert(2, '{"type": "purchase", "id": "X"}')
        events.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return events

    def test_line_number(self, tmp_path: Path, events: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
        """The error names the file and line."""
        code = main(["replay", str(program(tmp_path, "today", 1)), str(self.bad(events))])
        assert code == 2
        assert "events.jsonl', line 3:" in capsys.readouterr().err

    def test_skip_covers_unreadable_lines(self, tmp_path: Path, events: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        """--skip replays the rest and says which line it left out."""
        code = main(["replay", str(program(tmp_path, "today", 1)), str(self.bad(events)),
                     "--skip"])
        captured = capsys.readouterr()
        assert code == 0
        assert "unreadable lines skipped" in captured.out
        assert "skipped: events file " in captured.err
