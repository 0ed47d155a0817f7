"""Python opcodes per event of the four-family replay, at a short and a long span (issue 12's
``four-family-replay`` row, counted instead of timed).

Replays the ``bench_state.py`` four-family program over the same members for a short span and
a ten times longer one (84 and 840 days with the defaults: the default run's 30k and 300k
events over 5,000 members, scaled to 500), as that row does (``replay(...).summary()``), with
``sys.settrace`` counting every Python opcode. Prints opcodes and Python calls per event at
each span, their ratio (the row's events/s ratio if time followed opcodes), and the functions
whose opcodes per event grow most from the short span to the long one, with their calls per
event (``--top``).

```sh
python benchmarks/profile_replay_ops.py                    # 3k vs 30k events, 500 members
python benchmarks/profile_replay_ops.py --events 1000 --members 200 --top 10
```

Deterministic: the same code gives the same counts on any machine, under any load; C work
(datetime, ``heapq``, dict and ``Decimal`` operations) is not counted.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_state import four_family_program, replay_columns, signed_up


def count(events: int, members: int, seed: int) -> tuple[Counter[tuple[str, str]],
                                                         Counter[tuple[str, str]]]:
    """Opcodes and calls of one replay pass, by function (file, name)."""
    program = four_family_program()
    states, shared = signed_up(program, members, seed)
    columns = replay_columns(events, members, seed)
    ops: Counter[tuple[str, str]] = Counter()
    calls: Counter[tuple[str, str]] = Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event != "call":
            return None
        code = frame.f_code
        key = (f"{code.co_filename.rsplit('reciprocity/', 1)[-1]}:{code.co_firstlineno}",
               code.co_name)
        calls[key] += 1
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                ops[key] += 1
            return local

        return local

    replay = program.replay(columns, states, shared=shared)
    sys.settrace(tracer)
    try:
        replay.summary()
    finally:
        sys.settrace(None)
    return ops, calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="events of the short span")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    small, large = args.events, 10 * args.events
    (ops_s, calls_s), (ops_l, calls_l) = (count(n, args.members, args.seed)
                                          for n in (small, large))
    total_s, total_l = sum(ops_s.values()) / small, sum(ops_l.values()) / large
    print(f"{args.members:,} members: {total_s:,.0f} opcodes per event at {small:,} events "
          f"({sum(calls_s.values()) / small:.1f} calls), {total_l:,.0f} at {large:,} "
          f"({sum(calls_l.values()) / large:.1f} calls); ratio {total_s / total_l:.3f}")
    growth = sorted(set(ops_s) | set(ops_l),
                    key=lambda k: ops_s[k] / small - ops_l[k] / large)
    print(f"{'short':>8} {'long':>8} {'growth':>8}  calls per event  function")
    for key in growth[:args.top]:
        s, lg = ops_s[key] / small, ops_l[key] / large
        print(f"{s:8.1f} {lg:8.1f} {lg - s:+8.1f}  {calls_s[key] / small:5.3f} "
              f"{calls_l[key] / large:5.3f}  {key[1]} ({key[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
