"""``simulate`` with every table built, against the bare replay and a hand-written loop.

Run from the repository root, in the project's virtual environment::

    python benchmarks/bench_simulate.py                      # data in ../shared/data
    python benchmarks/bench_simulate.py --rounds 5
    python benchmarks/bench_simulate.py --synthetic 20000    # no data needed

Issue 13's target: ``simulate`` of the richer Online Retail program (per-unit earning,
pending points, expiry, three tiers; ``rich_program`` of ``bench_real.py``) with all tables
built costs at most 2x the bare ``replay(...).summary()`` of the same program. Measured in one
run, rounds interleaved, the best round of each approach counts (collector paused for the
hand loop, as ``Program.replay`` pauses it itself):

- ``hand_rich``: the hand-written loop of ``bench_real.py`` (lots released and expired as
  time passes), the baseline every ratio is also given against;
- ``replay``: ``rich.replay(columns, until).summary()``;
- ``simulate``: ``simulate(rich, columns, until=...)``: effects, members and monthly metrics
  tables and the totals (the effects table writes its reasons when first read);
- ``simulate+reasons``: the same, then the effects table's reason column read, so every
  effect's English reason is written (what ``simulate`` always did before the reasons were
  written when read: the old method's figure);
- ``states``: ``replay(...).states``, the replay and every member's frozen state (the issue:
  reading them, the difference, must not cost more than the replay);
- the same three on the full event stream (purchases with their lines, and returns), and
  ``simulate`` with a :class:`~reciprocity.RedemptionModel`.

Reading states keeps, for the whole process, the text of each order line it fingerprinted and
one frozen ``RecordLine`` per distinct line (``reciprocity._fingerprint``, ``_engine``). Every
timed call starts with those caches emptied (:func:`cold`), so each round measures a first
read, as a notebook's first ``.states`` is, not one that finds every line from the round before.

Every approach must agree on points earned and expired (the hand loop's totals) or the run
stops. With ``--synthetic N`` the purchases are ``synthetic_purchases(N)`` in GBP instead (no
event stream then).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench_real import UNTIL, hand_rich, rich_program, timed

from reciprocity import (
    Line,
    Money,
    Program,
    RedemptionModel,
    Reward,
    _engine,
    _fingerprint,
    compare,
    load_online_retail,
    simulate,
    synthetic_purchases,
)

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
TARGET = 2.0


def cold(events: Any = None) -> None:
    """Empty the process-wide caches of reading states (lines seen in an earlier round), and
    what the engine keeps on each order line of ``events`` (its text)."""
    _fingerprint._LINES.clear()
    _engine._RECORD_LINES.clear()
    for event in events or ():
        for line in getattr(event, "lines", ()):
            if type(line) is Line:
                forget(line)


def forget(line: Line) -> None:
    """Drop what the engine kept on ``line`` (its slots; see ``Line.__slots__``)."""
    for slot in Line.__slots__:
        with contextlib.suppress(AttributeError):  # not set
            Line.__dict__[slot].__delete__(line)


def with_rewards(program: Program) -> Program:
    """The same program with a 10 GBP voucher for 1,000 points, for the redemption model."""
    assert program.points is not None
    points = program.points.model_copy(update={"rewards": (
        Reward(id="v10", name="10 GBP voucher", points=1000, value=Money("10.00", "GBP")),)})
    return Program.model_validate_json(
        program.model_copy(update={"points": points}).model_dump_json())


def quick_program(program: Program) -> Program:
    """The same program with points pending 14 days instead of 30 (``compare``'s second)."""
    assert program.points is not None
    points = program.points.model_copy(update={"pending_days": 14})
    return Program.model_validate_json(program.model_copy(
        update={"points": points, "name": "Quick release"}).model_dump_json())


def measure(columns: Any, events: Any, rounds: int) -> dict[str, float]:
    """Best seconds of each approach; stops if their totals differ."""
    rich = rich_program()
    rewarded = with_rewards(rich)
    quick = quick_program(rich)
    rows = list(zip(columns.ids, columns.member_ids, columns.at, columns.amounts, strict=True))
    model = RedemptionModel(probability=Decimal("0.5"), breakage=Decimal("0.2"))

    def sim(source: Any) -> tuple[int, ...]:
        t = simulate(rich, source, until=UNTIL, progress=False).totals
        return (t.points_earned, t.points_expired)

    def sim_read(source: Any) -> tuple[int, ...]:
        result = simulate(rich, source, until=UNTIL, progress=False)
        assert len(result.effects["reason"]) == len(result.effects)
        return (result.totals.points_earned, result.totals.points_expired)

    def replay(source: Any) -> tuple[int, ...]:
        s = rich.replay(source, until=UNTIL).summary()
        return (s.points_earned, s.points_expired)

    def states(source: Any) -> tuple[int, ...]:
        found = rich.replay(source, until=UNTIL).states
        return (sum(s.points_earned for s in found.values()),
                sum(s.points_expired for s in found.values()))

    def two(source: Any) -> tuple[int, ...]:
        a = simulate(rich, source, until=UNTIL, progress=False).totals
        b = simulate(quick, source, until=UNTIL, progress=False).totals
        return (a.points_earned, a.points_expired, b.points_earned, b.points_expired)

    def both(source: Any) -> tuple[int, ...]:
        found = compare({"rich": rich, "quick": quick}, source, until=UNTIL, progress=False)
        a, b = found.results["rich"].totals, found.results["quick"].totals
        return (a.points_earned, a.points_expired, b.points_earned, b.points_expired)

    approaches: dict[str, Callable[[], tuple[int, ...]]] = {
        "hand_rich": lambda: hand_rich(rows)[:2],
        "replay": lambda: replay(columns),
        "simulate": lambda: sim(columns),
        "simulate+reasons": lambda: sim_read(columns),
        "states": lambda: states(columns),
        "2x simulate": lambda: two(columns),
        "compare": lambda: both(columns),
    }
    if events is not None:
        approaches.update({
            "events replay": lambda: replay(events),
            "events simulate": lambda: sim(events),
            "events simulate+reasons": lambda: sim_read(events),
            "events states": lambda: states(events),
            "events 2x simulate": lambda: two(events),
            "events compare": lambda: both(events),
            "events simulate+model": lambda: (simulate(
                rewarded, events, until=UNTIL, redemption=model,
                progress=False).totals.points_earned, -1),
        })
    best: dict[str, float] = {}
    totals: dict[str, tuple[int, ...]] = {}
    for _ in range(rounds):
        for name, fn in approaches.items():
            cold(events)
            seconds, total = timed(fn)
            best[name] = min(best.get(name, seconds), seconds)
            totals[name] = total
    agree = {totals[n] for n in ("hand_rich", "replay", "simulate", "simulate+reasons",
                                 "states")}
    if len(agree) != 1:
        raise SystemExit(f"totals differ: {totals}")
    if events is not None and len({totals[n] for n in (
            "events replay", "events simulate", "events simulate+reasons",
            "events states")}) != 1:
        raise SystemExit(f"event-stream totals differ: {totals}")
    for prefix in ("", "events "):
        if f"{prefix}compare" in totals and (
                totals[f"{prefix}compare"] != totals[f"{prefix}2x simulate"]):
            raise SystemExit(f"compare and two simulations differ: {totals}")
    return best


def report(best: dict[str, float], n: int) -> list[str]:
    """The table of figures and the verdicts."""
    lines = [f"{'approach':<24}{'seconds':>10}{'vs hand_rich':>14}{'vs its replay':>15}"]
    for name, seconds in best.items():
        base = "events replay" if name.startswith("events") else "replay"
        lines.append(f"{name:<24}{seconds:>10.3f}{best['hand_rich'] / seconds:>14.2f}"
                     f"{seconds / best[base]:>15.2f}")
    lines.append("")
    for prefix in ("", "events "):
        if f"{prefix}replay" not in best:
            continue
        ratio = best[f"{prefix}simulate"] / best[f"{prefix}replay"]
        states = best[f"{prefix}states"] / best[f"{prefix}replay"] - 1
        lines.append(f"{prefix or 'columns '}simulate / replay = {ratio:.2f} (target <= "
                     f"{TARGET}): {'PASS' if ratio <= TARGET else 'FAIL'}")
        ratio = best[f"{prefix}simulate+reasons"] / best[f"{prefix}replay"]
        lines.append(f"{prefix or 'columns '}simulate with its reasons read / replay = "
                     f"{ratio:.2f} (target <= {TARGET}): "
                     f"{'PASS' if ratio <= TARGET else 'FAIL'}")
        lines.append(f"{prefix or 'columns '}reading states / replay = {states:.2f} (target "
                     f"<= 1.0, the engine's): {'PASS' if states <= 1.0 else 'FAIL'}")
        shared = best[f"{prefix}compare"] / best[f"{prefix}2x simulate"]
        lines.append(f"{prefix or 'columns '}compare of two / two simulate calls = "
                     f"{shared:.2f} (one pass over the events shared)")
    lines.append(f"{n:,} purchases")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=0,
                        help="use N synthetic purchases instead of the real file")
    args = parser.parse_args(argv)
    events = None
    if args.synthetic:
        columns = synthetic_purchases(args.synthetic, members=max(10, args.synthetic // 5),
                                      currency="GBP", timezone="Europe/London")
    else:
        try:
            shop = load_online_retail(args.data)
        except FileNotFoundError as exc:
            print(f"no data: {exc}; pass --data PATH or --synthetic N", file=sys.stderr)
            return 2
        columns, events = shop.purchases, shop.events
    start = time.perf_counter()
    best = measure(columns, events, args.rounds)
    print(f"python {sys.version.split()[0]}; best of {args.rounds} rounds "
          f"({time.perf_counter() - start:.0f} s)")
    print("\n".join(report(best, len(columns))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
