"""A new user's audit of the CLI: every verb, on malformed input, prints one ``error:`` line
naming the file (and line or field) and exits with 2, never a traceback; ``--skip`` names
each unreadable line and each refused event with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reciprocity import Money, PointScheme, PointsPerPurchase, Program, Purchase, Reward
from reciprocity.cli import main

GOOD = Purchase(id="P-1", member_id="m", at="2025-06-01T10:00:00+00:00",
                amount=Money("60.00", "EUR")).model_dump_json()
REDEEM = ('{"type": "redemption", "id": "R-1", "member_id": "m", '
          '"at": "2025-06-02T10:00:00+00:00", "reward_id": "v"}')
RETURN = ('{"type": "return", "id": "RT-1", "member_id": "m", '
          '"at": "2025-06-03T10:00:00+00:00", "purchase_id": "nope"}')


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "program.json"
    Program(name="P", currency="EUR", points=PointScheme(
        earn=[PointsPerPurchase(id="order", points=1)],
        rewards=[Reward(id="v", name="voucher", points=5, value=Money("5.00", "EUR"))],
    )).save(path)
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, expect exit code 2 and one ``error:`` line; return that line."""
    assert main([str(arg) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


class TestRefusedEvents:
    def test_replay_names_the_line_of_a_refused_event(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --skip, a refused event is the error, with its file and line."""
        events = write(tmp_path, "e.jsonl", f"{GOOD}\n\n{REDEEM}\n")
        err = fails(["replay", program, events], capsys)
        assert "e.jsonl', line 3: Redemption R-1:" in err
        assert "[insufficient-points]" in err

    def test_skip_names_unreadable_lines_and_refused_events(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--skip covers an unparsable line and refused events; each is named on stderr with
        its line, and the table counts them apart."""
        events = write(tmp_path, "e.jsonl", f"{GOOD}\nnot json\n{REDEEM}\n{RETURN}\n")
        assert main(["replay", str(program), str(events), "--skip"]) == 0
        out, err = capsys.readouterr()
        lines = err.splitlines()
        assert len(lines) == 3
        assert "e.jsonl', line 2: " in lines[0]
        assert "Invalid JSON" in lines[0]
        assert "e.jsonl', line 3: refused: Redemption R-1" in lines[1]
        assert "e.jsonl', line 4: refused: Return RT-1" in lines[2]
        assert [line.split()[-1] for line in out.splitlines()
                if line.startswith(("events refused", "unreadable lines"))] == ["2", "1"]

    def test_simulate_and_compare_name_the_line(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """simulate and compare say a refusal as replay does; compare names the program."""
        events = write(tmp_path, "e.jsonl", f"{GOOD}\n{REDEEM}\n")
        assert "e.jsonl', line 2: Redemption R-1" in fails(["simulate", program, events],
                                                           capsys)
        other = tmp_path / "other.json"
        other.write_bytes(program.read_bytes())
        err = fails(["compare", program, other, events], capsys)
        assert "program 'program', events file" in err
        assert main(["simulate", str(program), str(events), "--skip", "--json"]) == 0
        out, err = capsys.readouterr()
        assert out.startswith("{")  # stdout stays JSON; what was skipped goes to stderr
        assert "line 2: refused: Redemption R-1" in err


class TestMalformedFiles:
    @pytest.mark.parametrize("verb", ["replay", "simulate"])
    def test_an_empty_events_file(self, verb: str, tmp_path: Path, program: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
        """An empty events file is an error, not a summary of nothing."""
        events = write(tmp_path, "e.jsonl", "\n  \n")
        assert "e.jsonl' has no events" in fails([verb, program, events], capsys)

    def test_a_parquet_file_that_is_not_parquet(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        pytest.importorskip("pyarrow")
        events = write(tmp_path, "lines.parquet", "order_id,member_id\n")
        assert "lines.parquet cannot be read as Parquet" in fails(
            ["simulate", program, events], capsys)

    def test_a_missing_csv(self, tmp_path: Path, program: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
        assert "order lines file" in fails(["simulate", program, tmp_path / "x.csv"], capsys)

    @pytest.mark.parametrize(("text", "mentions"), [
        ('{"order_id": ', "Invalid JSON"),
        ('{"orderx": "InvoiceNo"}', "did you mean 'order_id'?"),
        ("", "is empty"),
        (None, "does not exist"),
    ])
    def test_a_bad_mapping_file(self, text: str | None, mentions: str, tmp_path: Path,
                                program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Every problem of a mapping file names the file."""
        lines = write(tmp_path, "lines.csv", "order_id,member_id,at,sku,quantity,unit_price\n"
                      "A-1,m-1,2026-03-01 10:00:00,TEA,2,4.50\n")
        mapping = tmp_path / "map.json"
        if text is not None:
            mapping.write_text(text, encoding="utf-8")
        err = fails(["simulate", program, lines, "--mapping", mapping], capsys)
        assert "mapping file '" in err
        assert mentions in err

    def test_an_output_folder_that_cannot_be_made(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        events = write(tmp_path, "e.jsonl", f"{GOOD}\n")
        blocker = write(tmp_path, "file", "")
        assert "cannot write the tables to" in fails(
            ["simulate", program, events, "--out", blocker / "out"], capsys)

    @pytest.mark.parametrize("option", [["--redeem", "abc"], ["--redeem", "0.5", "--breakage",
                                                                "2"]])
    def test_a_share_that_is_not_one(self, option: list[str], tmp_path: Path, program: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
        events = write(tmp_path, "e.jsonl", f"{GOOD}\n")
        with pytest.raises(SystemExit) as info:
            main(["simulate", str(program), str(events), *option])
        assert info.value.code == 2
        assert "is not a share between 0 and 1" in capsys.readouterr().err

    @pytest.mark.parametrize(("text", "mentions"), [
        ('{"member_id": ', "Invalid JSON"),
        ('{"member_id": "m", "currency": "EUR", "pointz": 1}', "has no field 'pointz'"),
        ("", "is empty"),
    ])
    def test_a_bad_state_file(self, text: str, mentions: str, tmp_path: Path, program: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
        pytest.importorskip("babel")
        state = write(tmp_path, "state.json", text)
        err = fails(["statement", program, state, "--at", "2026-01-01T00:00+00:00"], capsys)
        assert "state file '" in err
        assert mentions in err


BAD_ROWS = ("order_id,member_id,at,sku,quantity,unit_price\n"
            "A-1,m-1,2026-03-01 10:00:00,TEA,2,4.50\n"
            "A-2,m-1,2026-03-02 10:00:00,TEA,two,4.50\n"
            "A-3,m-2,yesterday,TEA,1,4.50\n"
            "A-4,m-2,2026-03-04 10:00:00,TEA,1,4.5x\n"
            "A-5,m-2,2026-03-04 10:00:00,TEA\n"
            ",m-2,2026-03-04 10:00:00,TEA,1,4.50\n"
            "A-6,m-2,2026-03-05 10:00:00,TEA,1,4.50\n")


class TestSkippedRows:
    def test_skip_leaves_out_unreadable_csv_rows_by_line(
            self, tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--skip covers order lines too: each unreadable row is named by line and left out;
        without it the first one is the error."""
        lines = write(tmp_path, "lines.csv", BAD_ROWS)
        assert "lines.csv line 3: quantity='two' is not a whole number" in fails(
            ["simulate", program, lines], capsys)
        assert main(["simulate", str(program), str(lines), "--skip"]) == 0
        err = capsys.readouterr().err.splitlines()
        assert [line.split()[3].rstrip(":") for line in err] == ["3", "4", "5", "6", "7"]
        assert all(line.startswith("skipped: lines.csv line ") for line in err)

    def test_the_rows_kept_load_as_a_file_without_the_bad_ones(self, tmp_path: Path) -> None:
        """Skipping equals loading a file that never had the bad rows."""
        from reciprocity import OrderColumns, load_orders

        columns = OrderColumns(timezone="Europe/Berlin")
        skipped: list[str] = []
        loose = load_orders(write(tmp_path, "a.csv", BAD_ROWS), columns, currency="EUR",
                            skipped=skipped)
        kept = [row for number, row in enumerate(BAD_ROWS.splitlines(), start=1)
                if number in (1, 2, 8)]
        clean = load_orders(write(tmp_path, "b.csv", "\n".join(kept) + "\n"), columns,
                            currency="EUR")
        assert len(skipped) == 5
        assert loose.events == clean.events
        assert loose.report == clean.report
        good = load_orders(write(tmp_path, "c.csv", "\n".join(kept) + "\n"), columns,
                           currency="EUR", skipped=(nothing := []))
        assert good.events == clean.events
        assert nothing == []


@pytest.mark.parametrize(("verb", "name"), [("replay", "lines.csv"), ("check", "x.parquet")])
def test_an_order_lines_file_where_events_belong(verb: str, name: str, tmp_path: Path,
                                                 program: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """replay and check read JSON Lines: a CSV or Parquet file is named as such, with the
    verb that reads it."""
    events = write(tmp_path, name, "order_id,member_id\n")
    argv = [verb, program, events] if verb == "replay" else [verb, program, "--events", events]
    err = fails(argv, capsys)
    assert "not JSON Lines" in err
    assert "reciprocity simulate PROGRAM FILE --mapping" in err


def test_a_missing_column_names_the_mapping_field(tmp_path: Path, program: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A column the mapping names but the file lacks: the error says which mapping field."""
    lines = write(tmp_path, "lines.csv", "order_id,member_id,at,sku,unit_price\n"
                  "A-1,m-1,2026-03-01 10:00:00,TEA,4.50\n")
    assert "has no column quantity (OrderColumns.quantity)" in fails(
        ["simulate", program, lines], capsys)
