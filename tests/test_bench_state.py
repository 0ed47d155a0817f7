"""``benchmarks/bench_state.py`` keeps running: its whole logic on tiny sizes, every row printed.

No figure is checked (speed targets never live in unit tests); only that the benchmark runs
on the current public API, that its approaches agree on the decision, and that it prints each
of issue 12's rows with a verdict.
"""

from __future__ import annotations

import importlib.util
import itertools
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from _load import load_file

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_state.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_file(BENCH, keep=False)  # dataclasses look their module up while defined


def test_prints_every_row_with_a_verdict(bench: ModuleType,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A tiny run completes and prints each row once, with PASS or FAIL (a row shown for
    information, with no target, with "-")."""
    assert bench.run(bench.TINY) == 0
    out = capsys.readouterr().out
    for header in ("(tiny run)", "python 3.", "commit ", "sizes: "):
        assert header in out
    lines = out.splitlines()
    for key in bench.ROWS:
        found = [line for line in lines if line.split(" ", 1)[0] == key]
        assert len(found) == 1, (key, out)
        verdicts = ("  -",) if key in bench.INFO_ROWS else ("PASS", "FAIL")
        assert found[0].rstrip().endswith(verdicts), found[0]


def test_bare_loop_makes_the_seed_decision(bench: ModuleType) -> None:
    """The bare loop is idempotent and earns 1 point only over 50.00, like the seed program."""
    state = {"seen": set(), "orders": [], "points": 0}
    at = bench.START
    assert bench.bare_apply(state, "A-1", at, Decimal("50.00")) == 0
    assert bench.bare_apply(state, "A-2", at, Decimal("50.01")) == 1
    assert bench.bare_apply(state, "A-2", at, Decimal("99.00")) == 1
    assert state["orders"] == [("A-1", at, Decimal("50.00")), ("A-2", at, Decimal("50.01"))]


def test_command_line_sizes(bench: ModuleType) -> None:
    """--quick and --full pick their sizes; the default replays 20k vs 200k events. Every
    run's replays span the same days (20 and 200 events per member), the issue's shop ages."""
    default = bench.sizes_for([])[0]
    assert default.replay_events == (20_000, 200_000)
    assert bench.sizes_for(["--quick"])[0] is bench.QUICK
    for sizes in (default, bench.QUICK, bench.FULL):
        assert [n // sizes.replay_members for n in sizes.replay_events] == [20, 200]
    full, seed = bench.sizes_for(["--full", "--seed", "7", "--rounds", "2"])
    assert full.replay_events == (100_000, 1_000_000)
    assert full.rounds == 2
    assert seed == 7


def test_memory_profile_runs_and_sees_the_effects_dropped(
        capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/profile_replay_memory.py`` keeps running on tiny sizes; a replay that
    keeps its effects holds more at the end of its pass than one that drops them."""
    path = BENCH.parent / "profile_replay_memory.py"
    spec = importlib.util.spec_from_file_location("profile_replay_memory", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--events", "200", "--members", "20", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "peak per member" in out
    assert "growth" in out
    # Enough events that the effects (over a thousand log entries, each a tuple of 5 to 11
    # items) stand far above the allocator's noise.
    dropped, _ = module.holders(1500, 20, 2026)
    kept, _ = module.holders(1500, 20, 2026, keep_effects=True)
    assert sum(kept.values()) > sum(dropped.values()) + 100_000


def test_the_replay_spans_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks/time_replay_spans.py`` (the row's replay alone, at two spans) runs on tiny
    sizes and prints both sizes and their ratio."""
    script = load_file(BENCH.with_name("time_replay_spans.py"), keep=False)
    assert script.main(["5", "40", "400", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for part in ("5 members", "400 events", "ratio (last size / first):"):
        assert part in out


def test_members_rows_time_as_many_applies_on_each_side(bench: ModuleType) -> None:
    """The apply-members rows apply as many purchases at 1x the members held (10 sweeps) as
    at 10x (one sweep); each sweep is one purchase per member, 14 days after the last, the
    first sweep on the 1st of a month."""
    sizes = bench.TINY
    few, many = sizes.apply_members, bench.MEMBERS_FACTOR * sizes.apply_members
    held = bench.held_members(bench.seed_with_history(), few, sizes.apply_orders, 3, 2026)
    assert len(held.states) == few
    for purchases in held.sweeps:
        assert sorted(p.member_id for p in purchases) == sorted(held.states)
    days = [purchases[0].at.astimezone(bench.BERLIN).date() for purchases in held.sweeps]
    assert days[0].day == 1
    assert [(later - earlier).days for earlier, later in itertools.pairwise(days)] == [14, 14]
    sweeps = bench.members_sweeps("seed", sizes, 2026)
    assert sweeps[few].applies == sweeps[many].applies == many
