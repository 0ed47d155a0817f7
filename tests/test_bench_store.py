"""``benchmarks/bench_store.py`` keeps running: its whole logic on a tiny size, every row.

No figure is checked (speed targets never live in unit tests); only that the benchmark runs
on the current API, that every row ends with the in-memory points (it stops otherwise), and
that it prints a ratio for each row.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_store.py"


def test_bench_store_runs(capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny run on SQLite prints every row with its ratio to in-memory apply."""
    spec = importlib.util.spec_from_file_location("bench_store", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_store", module)
    monkeypatch.syspath_prepend(str(BENCH.parent))  # worker processes import it by name
    spec.loader.exec_module(module)
    ratios = module.main(["--events", "40", "--members", "5", "--rounds", "1",
                          "--workers", "2", "--postgres", "", "--growth", "10", "--slice", "5"])
    assert set(ratios) == {"memory", "sqlite-1", "sqlite-2", "sqlite-budget-1", "sqlite-budget-2",
                           "growth"}
    assert ratios["memory"] == 1.0
    out = capsys.readouterr().out
    for row in ("memory", "sqlite-1", "sqlite-2", "sqlite-budget-2", "postgresql: skipped",
                "growth: sqlite-1 events/s over 5 events at a ledger of 100 events / at 10"):
        assert row in out
