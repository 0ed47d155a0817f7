"""Replay speed of the seed program against hand-written loops, measured side by side.

Run from the repository root, in the project's virtual environment::

    python benchmarks/bench_replay.py              # 1M purchases, 20k members, 3 rounds
    python benchmarks/bench_replay.py --events 200000 --rounds 5

Every approach reads the same seeded synthetic purchases (already validated columns: the
edge cost of building them is printed separately) and must reach identical totals, or the
run stops. Rounds are interleaved and the best round of each approach counts, which keeps the
ratios steady on a shared, noisy machine. Raw seconds vary from machine to machine; read the
ratios.

The two reference loops:

- ``hand_complete``: what a correct hand implementation of the seed scheme keeps: idempotency
  by event id, points per member, a record per order (amount and points, which a later return
  needs), net spend, order count and a log of earn effects.
- ``hand_minimal``: only idempotency and the points balance (cannot handle a return or
  explain an effect); shown so nobody has to guess how much the bookkeeping costs.

Both run with the cyclic garbage collector paused, as ``Program.replay`` does internally.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from reciprocity import PurchaseColumns, seed_program, synthetic_purchases

THRESHOLD = Decimal("50.00")
ZERO = Decimal(0)


def hand_minimal(rows: list[tuple[str, str, Any, Decimal]]) -> int:
    """Idempotency and a points balance, nothing else."""
    members: dict[str, list[Any]] = {}
    for eid, mid, _at, amount in rows:
        m = members.get(mid)
        if m is None:
            m = members[mid] = [0, set()]
        seen = m[1]
        if eid in seen:
            continue
        seen.add(eid)
        if amount > THRESHOLD:
            m[0] += 1
    return sum(m[0] for m in members.values())


def hand_complete(rows: list[tuple[str, str, Any, Decimal]]) -> int:
    """The seed scheme with the bookkeeping a real implementation needs."""
    members: dict[str, list[Any]] = {}
    log: list[tuple[str, str, Any, int]] = []
    for eid, mid, at, amount in rows:
        m = members.get(mid)
        if m is None:
            m = members[mid] = [0, set(), {}, ZERO, 0]
        seen = m[1]
        if eid in seen:
            continue
        seen.add(eid)
        if amount > THRESHOLD:
            m[0] += 1
            m[2][eid] = (amount, 1)
            log.append((mid, eid, at, 1))
        else:
            m[2][eid] = (amount, 0)
        m[3] += amount
        m[4] += 1
    return sum(m[0] for m in members.values())


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """Run ``fn`` with the collector paused; return (seconds, result)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    columns: PurchaseColumns = synthetic_purchases(args.events, members=args.members,
                                                   seed=args.seed)
    generated = time.perf_counter() - start
    ats = columns.at
    start = time.perf_counter()
    PurchaseColumns(ids=columns.ids, member_ids=columns.member_ids, at=ats,
                    amounts=columns.amounts, currency=columns.currency)
    validated = time.perf_counter() - start
    rows = list(zip(columns.ids, columns.member_ids, columns.at, columns.amounts, strict=True))
    program = seed_program()

    def replay() -> int:
        return program.replay(columns).summary().points_earned

    def replay_and_states() -> int:
        result = program.replay(columns)
        states = result.states
        return sum(s.points_earned for s in states.values())

    approaches: dict[str, Callable[[], int]] = {
        "hand_minimal": lambda: hand_minimal(rows),
        "hand_complete": lambda: hand_complete(rows),
        "replay": replay,
        "replay+states": replay_and_states,
    }
    best: dict[str, float] = {}
    totals: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, fn in approaches.items():
            seconds, total = timed(fn)
            best[name] = min(best.get(name, seconds), seconds)
            totals[name] = total
    if len(set(totals.values())) != 1:
        print(f"totals differ: {totals}", file=sys.stderr)
        return 1

    n = args.events
    print(f"{n:,} purchases, {args.members:,} members, seed {args.seed}, best of "
          f"{args.rounds} rounds; {totals['replay']:,} points earned by every approach")
    print(f"python {sys.version.split()[0]}")
    print(f"edge: generating {generated / n * 1e6:.2f} us/event, validating columns "
          f"{validated / n * 1e6:.2f} us/event (once, not per replay)")
    print()
    print(f"{'approach':<16}{'events/s':>14}{'vs hand_complete':>20}{'vs hand_minimal':>18}")
    for name in approaches:
        rate = n / best[name]
        print(f"{name:<16}{rate:>14,.0f}{best['hand_complete'] / best[name]:>20.2f}"
              f"{best['hand_minimal'] / best[name]:>18.2f}")
    print()
    ratio = best["hand_complete"] / best["replay"]
    print(f"target: replay >= 0.50 x hand_complete: {'met' if ratio >= 0.5 else 'NOT met'} "
          f"({ratio:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
