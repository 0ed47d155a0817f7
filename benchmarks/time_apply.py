"""``apply`` of the seed program timed as ``bench_state.py``'s ``bare-loop`` row times it, for
the library on ``sys.path``: to compare two trees side by side, alternated, in one session.

    PYTHONPATH=/work/main/src python benchmarks/time_apply.py    # main's library
    python benchmarks/time_apply.py                               # this tree's

Members are ``bench_state.build_member``'s (10 and 1,000 prior orders, the seed program with
``bench_state.HISTORY``); the timed call is the same new 75.00 EUR purchase. Each sample is a
batch of 10 calls, per call; 20 chunks of 10 batches, each chunk after a ``gc.collect()``
with the collector paused; the median of wall clock and of process CPU time is printed.

``--general``: the same with the express purchase switched off (the general way, as
``bench_state.py``'s ``bare-loop-general`` row). ``--four-family``: ``bench_state``'s
four-family program instead, at 100 prior orders (its ``four-family-apply`` row's member).

    PYTHONPATH=/work/main/src python benchmarks/time_apply.py --four-family
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
    family = "--four-family" in sys.argv[1:]
    program = bench_state.four_family_program() if family else bench_state.seed_with_history()
    if "--general" in sys.argv[1:]:
        program._pipeline.express = None
    figures = []
    for orders in (100,) if family else (10, 1000):
        built = bench_state.build_member(program, orders, seed=2026)
        state, event, apply, shared = built.state, built.new, program.apply, built.shared
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(20):
            gc.collect()
            gc.disable()
            try:
                for _ in range(10):
                    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
                    for _ in range(10):
                        apply(state, event, shared=shared)
                    walls.append((time.perf_counter_ns() - wall) / 10)
                    cpus.append((time.process_time_ns() - cpu) / 10)
            finally:
                gc.enable()
        figures.append(f"{orders:,} orders: wall {statistics.median(walls) / 1000:.1f} us, "
                       f"cpu {statistics.median(cpus) / 1000:.1f} us")
    name = "four-family" if family else "general" if "--general" in sys.argv[1:] else "seed"
    print(f"{Path(reciprocity.__file__).parent} ({name}): " + "; ".join(figures))


if __name__ == "__main__":
    main()
