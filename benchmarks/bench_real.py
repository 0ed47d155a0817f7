"""Replay speed on a real year of orders (UCI "Online Retail"), against hand-written loops.

Run from the repository root, in the project's virtual environment::

    python benchmarks/bench_real.py                          # data in ../shared/data
    python benchmarks/bench_real.py --data /path/to/data --rounds 9

``--data`` is the shared data folder, or the ``.csv.gz`` file itself. The file is loaded once
(``load_online_retail``; its time is printed separately: that is the edge, paid once), then
two programs replay its purchases, each side by side with a hand-written loop over the same
rows that computes the same totals:

- ``seed``: the seed program in GBP, 1 point per order over 50 GBP (``seed_program(
  currency="GBP")``); its reference is ``hand_seed``, the same loop as ``hand_complete`` in
  ``bench_replay.py`` (idempotency, points, a record per order, net spend, order count and a
  log of earn effects).
- ``rich``: 1 point per whole GBP times the tier multiplier (Bronze from 1 GBP, Silver x1.25
  from 1,000 GBP, Gold x1.5 from 5,000 GBP of calendar-year spend), points pending for 30
  days and expiring after 12 months, every member advanced to 1 January 2012; its reference
  is ``hand_rich``, which keeps point lots per member and releases and expires them as time
  passes.

Every approach must reach identical totals (points earned, and for ``rich`` also expired,
available and pending) or the run stops. Rounds are interleaved and the best round of each
approach counts; the loops run with the cyclic garbage collector paused, as
``Program.replay`` does internally. The full event stream (purchases with their lines, and
the returns matched to them) is replayed too and its speed printed; it has no hand-written
reference. Raw seconds vary from machine to machine; read the ratios.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench_replay import hand_complete  # the same reference loop, on the real rows
from dateutil.relativedelta import relativedelta

from reciprocity import (
    FixedLifetime,
    MinSpend,
    Money,
    OnlineRetail,
    PointScheme,
    PointsPerAmount,
    Program,
    Tier,
    TierBenefits,
    TierLadder,
    TierMultiplier,
    load_online_retail,
    seed_program,
)

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
LONDON = ZoneInfo("Europe/London")
UNTIL = datetime(2012, 1, 1, tzinfo=LONDON)
ZERO = Decimal(0)
# (threshold, multiplier) of Bronze, Silver, Gold
LADDER = ((Decimal("1.00"), Decimal(1)), (Decimal("1000.00"), Decimal("1.25")),
          (Decimal("5000.00"), Decimal("1.5")))
PENDING = relativedelta(days=30)
LIFETIME = relativedelta(months=12)

Rows = list[tuple[str, str, datetime, Decimal]]
Totals = tuple[int, ...]


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def rich_program() -> Program:
    """The richer program (see the module docstring)."""
    return Program(
        name="Gift shop rewards", currency="GBP", timezone="Europe/London",
        points=PointScheme(
            earn=(PointsPerAmount(id="base", per=gbp("1.00"), rounding_order="amount_first",
                                  multipliers=(TierMultiplier(),)),),
            pending_days=30,
            expiry=FixedLifetime(months=12),
        ),
        tiers=TierLadder(tiers=tuple(
            Tier(id=name, name=name.title(), requires=MinSpend(amount=gbp(str(threshold))),
                 benefits=TierBenefits(points_multiplier=factor))
            for name, (threshold, factor) in zip(("bronze", "silver", "gold"), LADDER,
                                                 strict=True))),
    )


def hand_seed(rows: Rows) -> Totals:
    """The seed scheme with the bookkeeping a real implementation needs: ``hand_complete``."""
    return (hand_complete(rows),)


# member slots of hand_rich
SEEN, LOTS, DUE, TIER, YEAR, SPEND, EARNED, EXPIRED, AVAILABLE, PENDING_POINTS = range(10)
# lot slots: [points, available_at or None once released, expires_at]


def _housekeep(m: list[Any], now: datetime) -> None:
    """Release pending lots and expire lots due by ``now``; set the member's next due time."""
    due: datetime | None = None
    kept = []
    for lot in m[LOTS]:
        if lot[1] is not None and lot[1] <= now:
            m[PENDING_POINTS] -= lot[0]
            m[AVAILABLE] += lot[0]
            lot[1] = None
        if lot[2] <= now:
            m[AVAILABLE] -= lot[0]
            m[EXPIRED] += lot[0]
            continue
        kept.append(lot)
        when = lot[2] if lot[1] is None else lot[1]
        if due is None or when < due:
            due = when
    m[LOTS] = kept
    m[DUE] = due


def hand_rich(rows: Rows) -> Totals:
    """Points per GBP with tier multipliers, pending and expiring lots, advanced to UNTIL."""
    members: dict[str, list[Any]] = {}
    log: list[tuple[str, str, datetime, int]] = []
    for eid, mid, at, amount in rows:
        m = members.get(mid)
        if m is None:
            m = members[mid] = [set(), [], None, 0, 0, ZERO, 0, 0, 0, 0]
        if eid in m[SEEN]:
            continue
        m[SEEN].add(eid)
        if m[DUE] is not None and m[DUE] <= at:
            _housekeep(m, at)
        local = at.astimezone(LONDON)
        points = int((amount // 1) * LADDER[m[TIER]][1])
        if points > 0:
            available_at = (local + PENDING).astimezone(UTC)
            lot = [points, available_at, (local + LIFETIME).astimezone(UTC)]
            m[LOTS].append(lot)
            m[EARNED] += points
            m[PENDING_POINTS] += points
            if m[DUE] is None or available_at < m[DUE]:
                m[DUE] = available_at
            log.append((mid, eid, at, points))
        if local.year != m[YEAR]:
            m[YEAR], m[SPEND] = local.year, ZERO
        m[SPEND] += amount
        while m[TIER] + 1 < len(LADDER) and m[SPEND] >= LADDER[m[TIER] + 1][0]:
            m[TIER] += 1
    until = UNTIL.astimezone(UTC)
    for m in members.values():
        if m[DUE] is not None and m[DUE] <= until:
            _housekeep(m, until)
    values = members.values()
    return (sum(m[EARNED] for m in values), sum(m[EXPIRED] for m in values),
            sum(m[AVAILABLE] for m in values), sum(m[PENDING_POINTS] for m in values))


def timed(fn: Callable[[], Totals]) -> tuple[float, Totals]:
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
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the shared data folder or the .csv.gz file "
                        f"(default: {DEFAULT_DATA})")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        shop: OnlineRetail = load_online_retail(args.data)
    except FileNotFoundError as exc:
        print(f"no data: {exc}; pass --data PATH", file=sys.stderr)
        return 2
    loaded = time.perf_counter() - start
    columns = shop.purchases
    rows: Rows = list(zip(columns.ids, columns.member_ids, columns.at, columns.amounts,
                          strict=True))
    seed = seed_program(currency="GBP", timezone="Europe/London")
    rich = rich_program()

    def replay_seed() -> Totals:
        return (seed.replay(columns).summary().points_earned,)

    def replay_rich() -> Totals:
        s = rich.replay(columns, until=UNTIL).summary()
        return (s.points_earned, s.points_expired, s.points_available, s.points_pending)

    def events_seed() -> Totals:
        return (seed.replay(shop.events).summary().events,)

    def events_rich() -> Totals:
        return (rich.replay(shop.events, until=UNTIL).summary().events,)

    groups: dict[str, dict[str, Callable[[], Totals]]] = {
        "seed": {"hand_seed": lambda: hand_seed(rows), "replay": replay_seed},
        "rich": {"hand_rich": lambda: hand_rich(rows), "replay": replay_rich},
        "events": {"seed": events_seed, "rich": events_rich},
    }
    best: dict[tuple[str, str], float] = {}
    totals: dict[tuple[str, str], Totals] = {}
    for _ in range(args.rounds):
        for group, approaches in groups.items():
            for name, fn in approaches.items():
                seconds, total = timed(fn)
                key = (group, name)
                best[key] = min(best.get(key, seconds), seconds)
                totals[key] = total
    for group in ("seed", "rich"):
        found = {name: totals[(group, name)] for name in groups[group]}
        if len(set(found.values())) != 1:
            print(f"{group}: totals differ: {found}", file=sys.stderr)
            return 1

    report = shop.report
    n, n_events = len(columns), len(shop.events)
    print(f"UCI Online Retail: {n:,} purchases of {report.members:,} members, "
          f"{report.returns:,} returns; best of {args.rounds} rounds")
    print(f"python {sys.version.split()[0]}")
    print(f"edge: loading the file {loaded:.2f} s ({loaded / report.rows * 1e6:.1f} us per row "
          f"of {report.rows:,}; once, not per replay)")
    print(f"seed: {totals[('seed', 'replay')][0]:,} points earned by both approaches")
    earned, expired, available, pending = totals[("rich", "replay")]
    print(f"rich: {earned:,} earned, {expired:,} expired, {available:,} available, "
          f"{pending:,} pending, by both approaches")
    print()
    print(f"{'program':<10}{'approach':<12}{'events/s':>14}{'vs hand loop':>16}")
    for group, hand in (("seed", "hand_seed"), ("rich", "hand_rich")):
        for name in groups[group]:
            seconds = best[(group, name)]
            print(f"{group:<10}{name:<12}{n / seconds:>14,.0f}"
                  f"{best[(group, hand)] / seconds:>16.2f}")
    print()
    print(f"full event stream ({n_events:,} events: purchases with lines, and returns), "
          "no hand-written reference:")
    for name in groups["events"]:
        print(f"{name:<10}{'replay':<12}{n_events / best[('events', name)]:>14,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
