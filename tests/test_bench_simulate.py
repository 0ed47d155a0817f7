"""``benchmarks/bench_simulate.py`` keeps running: its logic on tiny synthetic sizes.

No figure is checked (speed targets never live in unit tests); only that the benchmark runs
on the current public API, that its approaches agree on the totals, and that it prints each
verdict.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # it imports bench_real beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_simulate",
                                                      BENCHMARKS / "bench_simulate.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_runs_and_reports_every_verdict(bench: ModuleType,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny synthetic run prints each approach and both verdicts."""
    assert bench.main(["--synthetic", "300", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("hand_rich", "replay", "simulate", "simulate+reasons", "states",
                 "2x simulate", "compare"):
        assert f"\n{name} " in out
    assert "columns simulate / replay = " in out
    assert "columns reading states / replay = " in out
    assert "columns compare of two / two simulate calls = " in out
    assert "columns simulate with its reasons read / replay = " in out
    assert out.count("PASS") + out.count("FAIL") == 3


def test_program_with_rewards(bench: ModuleType) -> None:
    """The redemption model's program is the rich program with one voucher."""
    program = bench.with_rewards(bench.rich_program())
    assert program.points is not None
    assert [r.id for r in program.points.rewards] == ["v10"]
