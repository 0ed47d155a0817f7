"""CPU time of writing ``simulate``'s reason column, against the bare replay (issue 13).

Run from the repository root, in the project's virtual environment::

    python benchmarks/time_reasons.py                  # data in ../shared/data
    python benchmarks/time_reasons.py --rounds 5 --by-builder
    python benchmarks/time_reasons.py --synthetic 20000

``simulate(rich, purchases)`` of the richer Online Retail program (``rich_program`` of
``bench_real.py``) keeps each effect's reason as its log entry and writes the English column
when it is first read (``reciprocity.experiments.moves.reason_texts``). This times that
writing alone, on the same kept entries every round, in process CPU time (best of the rounds,
collector paused), beside the bare ``replay(...).summary()`` timed the same way, so the ratio
is what the reason column adds to ``bench_simulate.py``'s "simulate with every reason read"
row. The digest of the column lets two trees be checked for the same texts; to compare
trees, run each tree's copy with its own ``PYTHONPATH`` one after the other.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_real import UNTIL, rich_program

from reciprocity import load_online_retail, simulate, synthetic_purchases
from reciprocity.experiments.moves import reason_texts

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of ``fn()`` with the collector paused, and its result."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        result = fn()
        return time.process_time() - start, result
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=0)
    parser.add_argument("--by-builder", action="store_true",
                        help="also time the entries of each builder on their own")
    args = parser.parse_args(argv)
    if args.synthetic:
        columns = synthetic_purchases(args.synthetic, members=max(10, args.synthetic // 5),
                                      currency="GBP", timezone="Europe/London")
    else:
        columns = load_online_retail(args.data).purchases
    rich = rich_program()
    result = simulate(rich, columns, until=UNTIL, progress=False)
    kept = list(result.effects._columns["reason"])  # before the first read writes them
    best = {"reasons": float("inf"), "replay": float("inf")}
    texts: list[str] = []
    for _ in range(args.rounds):
        seconds, texts = cpu(lambda: reason_texts(kept))
        best["reasons"] = min(best["reasons"], seconds)
        seconds, _ = cpu(lambda: rich.replay(columns, until=UNTIL).summary())
        best["replay"] = min(best["replay"], seconds)
    assert texts == result.effects["reason"]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    print(f"python {sys.version.split()[0]}; {len(kept):,} reasons; best of {args.rounds} "
          f"rounds, CPU seconds; digest {digest}")
    print(f"reason column {best['reasons']:.3f}  replay {best['replay']:.3f}  "
          f"ratio {best['reasons'] / best['replay']:.2f}  "
          f"({best['reasons'] / len(kept) * 1e6:.1f} us a reason)")
    if args.by_builder:
        groups: dict[str, list[Any]] = {}
        for entry in kept:
            name = (getattr(entry[0], "__name__", type(entry[0]).__name__)
                    if type(entry) is tuple else type(entry).__name__)
            groups.setdefault(name, []).append(entry)
        for name, entries in sorted(groups.items(), key=lambda item: -len(item[1])):
            seconds = min(cpu(lambda e=entries: reason_texts(e))[0]  # type: ignore[misc]
                          for _ in range(args.rounds))
            print(f"  {name:<20}{len(entries):>8,}{seconds:>9.3f} s"
                  f"{seconds / len(entries) * 1e6:>7.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
