"""What holds the memory of the four-family replay (issue 12's ``replay-memory`` row).

Replays the ``bench_state.py`` four-family program over N and 2N synthetic purchases of the
same members, as that row does (``replay(...).summary()``), takes a ``tracemalloc`` snapshot
at the end of each pass and groups what is still allocated by the innermost line of
``reciprocity`` that allocated it. Prints bytes per member at N and at 2N, and the growth,
largest holders first: a holder that grows with events is one the state or the replay keeps
per event.

```sh
python benchmarks/profile_replay_memory.py               # N = 10,000 over 1,000 members
python benchmarks/profile_replay_memory.py --events 5000 --members 500 --top 30
```

Deterministic: only the member count and the events decide the figures.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_state import four_family_program, replay_columns, signed_up


def holders(events: int, members: int, seed: int, *,
            keep_effects: bool = False) -> tuple[Counter[str], int]:
    """Bytes still allocated after the pass, by innermost reciprocity line, and the peak."""
    program = four_family_program()
    states, shared = signed_up(program, members, seed)
    columns = replay_columns(events, members, seed)
    gc.collect()
    tracemalloc.start(25)
    try:
        replay = program.replay(columns, states, shared=shared, keep_effects=keep_effects)
        replay.summary()
        snapshot = tracemalloc.take_snapshot()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    found: Counter[str] = Counter()
    for stat in snapshot.statistics("traceback"):
        where = "(outside reciprocity)"
        for frame in reversed(stat.traceback):  # innermost first
            if "reciprocity" in frame.filename:
                where = f"{frame.filename.split('reciprocity/')[-1]}:{frame.lineno}"
                break
        found[where] += stat.size
    del replay
    return found, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="N (default 10,000)")
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--keep-effects", action="store_true",
                        help="replay with keep_effects=True (every effect kept)")
    args = parser.parse_args(argv)
    n, members = args.events, args.members
    small, small_peak = holders(n, members, args.seed, keep_effects=args.keep_effects)
    large, large_peak = holders(2 * n, members, args.seed, keep_effects=args.keep_effects)
    print(f"peak per member: {small_peak / members:,.0f} B at {n:,} events, "
          f"{large_peak / members:,.0f} B at {2 * n:,} ({large_peak / small_peak:.2f}x)")
    print(f"{'holder (innermost reciprocity line)':<40}{'N':>9}{'2N':>9}{'growth':>9}")
    for where, size in large.most_common(args.top):
        before = small.get(where, 0)
        print(f"{where:<40}{before / members:>9,.0f}{size / members:>9,.0f}"
              f"{(size - before) / members:>+9,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
