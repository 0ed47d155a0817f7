"""``docs/examples/experiment_online_retail.py``: the full experiment on the real year runs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from _load import load_file

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "examples" / "experiment_online_retail.py"
DATA = ROOT.parent / "shared" / "data"
FILE = DATA / "online-retail" / "online_retail_2010-12_2011-12.csv.gz"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_file(SCRIPT, keep=False)


def test_without_data_it_says_so(example: ModuleType, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A folder without the file: exit code 2 and the missing file's name."""
    assert example.main(["x", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "online_retail_2010-12_2011-12.csv.gz" in capsys.readouterr().err


def test_programs_are_valid(example: ModuleType) -> None:
    """Three programs, today's first, each with the voucher the model redeems."""
    programs = example.programs()
    assert list(programs) == ["today", "generous", "lean"]
    assert all(p.points is not None and p.points.rewards for p in programs.values())


@pytest.mark.skipif(not FILE.is_file(), reason=f"real data not found: {FILE} is absent "
                    "(CI has the shared data folder at ../shared/data)")
def test_full_experiment(example: ModuleType, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    """The experiment prints the comparison and writes every table and plot; the lean
    program earns about half of today's points, the generous one more."""
    pytest.importorskip("matplotlib")
    assert example.main(["x", str(DATA), str(tmp_path)]) == 0
    out = capsys.readouterr().out
    earned = next(line for line in out.splitlines() if line.startswith("points earned"))
    today, generous, lean = (int(v.replace(",", "")) for v in earned.split()[2:5])
    assert generous > today > lean > 0
    assert abs(lean * 2 - today) < today // 50
    names = {p.name for p in tmp_path.iterdir()}
    assert {"compare.png", "liability.png", "tier-mix.png", "cost.png", "deciles.csv",
            "lean-metrics.csv"} <= names
