"""The four-family replay's cost per event at two spans of the same shop, on CPU time.

Run from the repository root, in the project's virtual environment::

    python benchmarks/time_replay_spans.py                          # 5,000 members, 100k vs 1M
    python benchmarks/time_replay_spans.py 500 10000 100000         # members, then event counts
    PYTHONPATH=<other checkout>/src python benchmarks/time_replay_spans.py   # another library

It replays ``bench_state.py``'s columns (one order per member every 14 days on average, so
more events are a longer history of the same members) through its four-family program, from
the same signed-up members, and prints for each event count the best of ``--rounds`` replays
(``replay(...).summary()``) as events per second and microseconds per event, on process CPU
time, and the ratio of the last size's rate to the first's: ``bench_state.py``'s
``four-family-replay`` row without the rest of that benchmark. With fewer members the same
spans show how much of the cost grows with what each member keeps (the per-member work) and
how much with the memory all members span.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("members", type=int, nargs="?", default=5000)
    parser.add_argument("events", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=2, help="replays per size; best counts")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    program = bench_state.four_family_program()
    print(f"four-family replay, {args.members:,} members, best of {args.rounds}, CPU time; "
          f"load average {bench_state.load_average()}")
    rates = []
    for n in args.events or [100_000, 1_000_000]:
        states, shared = bench_state.signed_up(program, args.members, args.seed)
        columns = bench_state.replay_columns(n, args.members, args.seed)
        best = float("inf")
        for _ in range(args.rounds):
            gc.collect()
            start = time.process_time()
            program.replay(columns, states, shared=shared).summary()
            best = min(best, time.process_time() - start)
        rates.append(n / best)
        print(f"{n:>12,} events  {n / best:>10,.0f}/s  {best / n * 1e6:6.1f} us/event",
              flush=True)
    if len(rates) > 1:
        print(f"ratio (last size / first): {rates[-1] / rates[0]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
