"""``reciprocity demo --store PATH``: the synthetic shop through a SQLite ledger store gives
the in-memory demo's summary, its liability and effects by month; a second run stores nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reciprocity import seed_program
from reciprocity.cli import main
from reciprocity.store import Store

MEMBERS = "80"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["demo", "--members", MEMBERS, *argv]) == 0
    return capsys.readouterr().out


def table(out: str) -> list[str]:
    """The summary table's lines: from "members" to "events refused"."""
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("members "))
    last = next(i for i, line in enumerate(lines) if line.startswith("events refused"))
    return lines[first:last + 1]


def test_store_demo_prints_the_same_summary_and_the_exports(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The figures read back from the store are the in-memory demo's; the liability from the
    ledger equals the summary's; the effects by month add up to the points earned."""
    memory = run(capsys)
    path = tmp_path / "demo.db"
    stored = run(capsys, "--store", str(path))
    assert table(stored) == table(memory)
    assert re.search(r"Ledger store .*demo\.db: [\d,]+ events stored now, 0 already there",
                     stored)
    owed = re.search(r"Points liability at 2026-01-01 from the ledger: ([\d,]+) points", stored)
    summary = re.search(r"points liability \(([\d,]+) points", stored)
    assert owed is not None
    assert summary is not None
    assert owed.group(1) == summary.group(1)
    csv = stored.split("Effects by month (store.effects_by_period, CSV):\n")[1].splitlines()
    assert csv[0] == "period,type,kind,count,points,value,currency"
    earned = sum(int(row.split(",")[4]) for row in csv[1:] if ",points_earned," in row)
    points = re.search(r"points earned +([\d,]+)", stored)
    assert points is not None
    assert earned == int(points.group(1).replace(",", ""))


def test_second_run_on_the_same_file_is_idempotent(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The second run stores nothing, says so, and prints the same figures."""
    path = tmp_path / "demo.db"
    first = run(capsys, "--store", str(path))
    with Store(path, seed_program()) as store:
        events, effects = store.count("events"), store.count("effects")
    second = run(capsys, "--store", str(path))
    assert "0 events stored now" in second
    assert "this run wrote nothing (a store is idempotent by event id)" in second
    assert "this run wrote nothing" not in first
    assert table(second) == table(first)
    with Store(path, seed_program()) as store:
        assert (store.count("events"), store.count("effects")) == (events, effects)


def test_store_demo_json_equals_the_in_memory_summary(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--json with --store prints the same summary document as without."""
    memory = json.loads(run(capsys, "--json"))
    stored = json.loads(run(capsys, "--json", "--store", str(tmp_path / "demo.db")))
    assert stored == memory


@pytest.mark.parametrize("kind", ["directory", "not a database", "missing folder"])
def test_a_path_that_is_no_ledger_is_one_error_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    """A directory, a file of another kind or a path in a missing folder: exit 2 with one
    ``error:`` line naming the path and the fix, no traceback, nothing written."""
    path = {"directory": tmp_path, "not a database": tmp_path / "notes.json",
            "missing folder": tmp_path / "no" / "such" / "ledger.db"}[kind]
    if kind == "not a database":
        path.write_text('{"not": "a ledger"}', encoding="utf-8")
    assert main(["demo", "--members", "5", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the ledger database ")
    assert "cannot be opened" in err
    assert str(path) in err
    assert "[store-error]" in err
    assert "Traceback" not in err
    if kind == "not a database":
        assert path.read_text(encoding="utf-8") == '{"not": "a ledger"}'
