"""``apply`` of the seed program timed as ``bench_state.py``'s ``bare-loop`` row times it, for
the library on ``sys.path``: to compare two trees side by side, alternated, in one session.

    PYTHONPATH=/work/main/src python benchmarks/time_apply.py    # main's library
    python benchmarks/time_apply.py                               # this tree's

Members are ``bench_state.build_member``'s (10 and 1,000 prior orders, the seed program with
``bench_state.HISTORY``); the timed call is the same new 75.00 EUR purchase. Each sample is a
batch of 10 calls, per call; 20 chunks of 10 batches, each chunk after a ``gc.collect()``
with the collector paused; the median of wall clock and of process CPU time is printed.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_state

import reciprocity


def main() -> None:
    program = bench_state.seed_with_history()
    figures = []
    for orders in (10, 1000):
        built = bench_state.build_member(program, orders, seed=2026)
        state, event, apply = built.state, built.new, program.apply
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(20):
            gc.collect()
            gc.disable()
            try:
                for _ in range(10):
                    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
                    for _ in range(10):
                        apply(state, event)
                    walls.append((time.perf_counter_ns() - wall) / 10)
                    cpus.append((time.process_time_ns() - cpu) / 10)
            finally:
                gc.enable()
        figures.append(f"{orders:,} orders: wall {statistics.median(walls) / 1000:.1f} us, "
                       f"cpu {statistics.median(cpus) / 1000:.1f} us")
    print(f"{Path(reciprocity.__file__).parent}: " + "; ".join(figures))


if __name__ == "__main__":
    main()
