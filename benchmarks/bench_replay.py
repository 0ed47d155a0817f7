"""Replay speed of the seed program against hand-written loops, measured side by side.

Run from the repository root, in the project's virtual environment::

    python benchmarks/bench_replay.py              # 1M purchases, 20k members, 3 rounds
    python benchmarks/bench_replay.py --events 200000 --rounds 5
    python benchmarks/bench_replay.py --seed-only   # the seed program's table only

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

Richer programs, replayed over the same purchases and shown as ratios against
``hand_complete`` of the same run (a second table, below the target line):

- ``tiers``: the seed scheme with a :class:`~reciprocity.TierMultiplier` on its rule and a
  calendar-year ladder (Bronze from 1 EUR, Silver from 350 EUR at 2x, Gold from 1000 EUR at
  3x; the defaults: a tier lasts the rest of the year and the next).
- ``hand_tiers``: a hand-written loop for the same program: the ``hand_complete``
  bookkeeping plus the calendar year's spend per member, the tier held (its multiplier
  applied to the order's points before the order counts towards the next tier) and a log of
  tier changes. It only upgrades, which is all this one-year stream needs; it is there to
  judge ``tiers`` against the work it has to do, not as a complete ladder.
- ``gifts``: the seed scheme with typical order gift rules: a first-order gift, a gift with
  every 5th order, a gift with every order over 100 EUR and a category sample (the columns
  carry no order lines, so the sample rule never fires, but it is looked at every order).
- ``full``: the ``tiers`` program, the ``gifts`` rules plus a tier gift and a yearly
  thank-you, a monthly program budget on the threshold gift (so the program keeps
  program-wide state and replays in global time order), and a goodwill policy (no
  complaints in the stream: it is there to be composed, as in a real program).

Each must earn the points its reference computes (``tiers`` and ``full``: ``hand_tiers``;
``gifts``: ``hand_complete``), or the run stops.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from reciprocity import (
    Budget,
    CategoryGift,
    CategorySample,
    FirstOrderGift,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    MinSpend,
    Money,
    NthOrderGift,
    OrderOverGift,
    Period,
    PointScheme,
    PointsCompensation,
    PointsPerPurchase,
    Program,
    PurchaseColumns,
    Reward,
    ThankYouGift,
    Tier,
    TierBenefits,
    TierGift,
    TierLadder,
    TierMultiplier,
    seed_program,
    synthetic_purchases,
)

THRESHOLD = Decimal("50.00")
ZERO = Decimal(0)
BERLIN = ZoneInfo("Europe/Berlin")
TIER_SPEND = (Decimal("1.00"), Decimal("350.00"), Decimal("1000.00"))
TIER_FACTOR = (1, 2, 3)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _scheme(*, tiered: bool) -> PointScheme:
    return PointScheme(
        earn=(PointsPerPurchase(id="over-50", points=1, min_amount=eur("50.00"),
                                multipliers=(TierMultiplier(),) if tiered else ()),),
        rewards=(Reward(id="voucher-10", name="10 EUR fuel voucher", points=10,
                        value=eur("10.00")),),
    )


def _ladder() -> TierLadder:
    names = ("Bronze", "Silver", "Gold")
    return TierLadder(tiers=tuple(
        Tier(id=name.lower(), name=name, requires=MinSpend(amount=eur(str(spend))),
             benefits=TierBenefits(points_multiplier=Decimal(factor)))
        for name, spend, factor in zip(names, TIER_SPEND, TIER_FACTOR, strict=True)))


def _order_gifts(*, budget: str | None = None) -> tuple[Any, ...]:
    def gift(gid: str, name: str, kind: Any, value: str) -> Gift:
        return Gift(id=gid, name=name, kind=kind, value=eur(value))

    return (
        FirstOrderGift(id="first", gift=gift("mug", "tea mug", "physical", "8.00")),
        NthOrderGift(id="every-5th", every=5, gift=gift("box", "sample box", "sample", "4.00")),
        OrderOverGift(id="over-100", amount=eur("100.00"), budget=budget,
                      gift=gift("tea", "tea sample", "sample", "2.50")),
        CategoryGift(id="samples", samples=(
            CategorySample(category="tea", gift=gift("tea-s", "tea sample", "sample", "2.00")),
            CategorySample(category="coffee",
                           gift=gift("coffee-s", "coffee sample", "sample", "2.00")))),
    )


def tier_program() -> Program:
    """The seed scheme with a tier multiplier, and a calendar-year ladder."""
    return Program(name="Seed with tiers", currency="EUR", timezone="Europe/Berlin",
                   points=_scheme(tiered=True), tiers=_ladder())


def gift_program() -> Program:
    """The seed scheme with typical order gift rules."""
    return Program(name="Seed with gifts", currency="EUR", timezone="Europe/Berlin",
                   points=_scheme(tiered=False), gifts=GiftScheme(rules=_order_gifts()))


def full_program() -> Program:
    """Points, tiers, gifts (with a program budget) and goodwill."""
    voucher = Gift(id="tier-5", name="tier voucher", kind="voucher", value=eur("5.00"))
    thanks = Gift(id="thanks", name="thank-you voucher", kind="voucher", value=eur("10.00"))
    return Program(
        name="Full program", currency="EUR", timezone="Europe/Berlin",
        points=_scheme(tiered=True), tiers=_ladder(),
        gifts=GiftScheme(
            rules=(*_order_gifts(budget="samples"),
                   TierGift(id="tier-up", reached=("silver", "gold"), gift=voucher),
                   ThankYouGift(id="thank-you", per=Period.YEAR, orders=10, gift=thanks)),
            budgets=(Budget(id="samples", count=5000, per=Period.MONTH),)),
        goodwill=GoodwillPolicy(rules=(
            GoodwillRule(id="late", categories=("late_delivery",),
                         compensation=PointsCompensation(points=5)),)),
    )


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


def hand_tiers(rows: list[tuple[str, str, Any, Decimal]]) -> int:
    """``hand_complete`` plus a calendar-year ladder whose multiplier scales the points."""
    members: dict[str, list[Any]] = {}
    log: list[tuple[str, str, Any, int]] = []
    changes: list[tuple[str, str, Any, int]] = []
    top = len(TIER_SPEND) - 1
    for eid, mid, at, amount in rows:
        m = members.get(mid)
        if m is None:
            # points, seen, orders, spend, count, tier, year spend, year start, year end
            m = members[mid] = [0, set(), {}, ZERO, 0, -1, ZERO, None, None]
        seen = m[1]
        if eid in seen:
            continue
        seen.add(eid)
        tier = m[5]
        if amount > THRESHOLD:
            points = TIER_FACTOR[tier] if tier >= 0 else 1
            m[0] += points
            m[2][eid] = (amount, points)
            log.append((mid, eid, at, points))
        else:
            m[2][eid] = (amount, 0)
        m[3] += amount
        m[4] += 1
        if m[7] is None or not m[7] <= at < m[8]:
            year = at.astimezone(BERLIN).year
            m[6], m[7] = ZERO, datetime(year, 1, 1, tzinfo=BERLIN)
            m[8] = datetime(year + 1, 1, 1, tzinfo=BERLIN)
        spend = m[6] = m[6] + amount
        level = tier
        while level < top and spend >= TIER_SPEND[level + 1]:
            level += 1
        if level > tier:
            m[5] = level
            changes.append((mid, eid, at, level))
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
    parser.add_argument("--seed-only", action="store_true",
                        help="leave out the richer programs (tiers, gifts, full)")
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

    def replay_of(other: Program) -> Callable[[], int]:
        return lambda: other.replay(columns).summary().points_earned

    approaches: dict[str, Callable[[], int]] = {
        "hand_minimal": lambda: hand_minimal(rows),
        "hand_complete": lambda: hand_complete(rows),
        "replay": replay,
        "replay+states": replay_and_states,
    }
    richer: dict[str, Callable[[], int]] = {
        "hand_tiers": lambda: hand_tiers(rows),
        "tiers": replay_of(tier_program()),
        "gifts": replay_of(gift_program()),
        "full": replay_of(full_program()),
    }
    if args.seed_only:
        richer = {}
    reference = {"tiers": "hand_tiers", "gifts": "hand_complete", "full": "hand_tiers"}
    best: dict[str, float] = {}
    totals: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, fn in {**approaches, **richer}.items():
            seconds, total = timed(fn)
            best[name] = min(best.get(name, seconds), seconds)
            totals[name] = total
    seed_totals = {name: totals[name] for name in approaches}
    if len(set(seed_totals.values())) != 1:
        print(f"totals differ: {seed_totals}", file=sys.stderr)
        return 1
    for name in richer:
        expected = totals[reference.get(name, name)]
        if totals[name] != expected:
            print(f"{name} earned {totals[name]:,} points, its reference "
                  f"{reference[name]} {expected:,}", file=sys.stderr)
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
    if richer:
        print()
        print(f"{'richer program':<16}{'events/s':>14}{'us/event':>10}{'vs hand_complete':>20}"
              f"{'points earned':>16}")
        for name in richer:
            rate = n / best[name]
            print(f"{name:<16}{rate:>14,.0f}{best[name] / n * 1e6:>10.2f}"
                  f"{best['hand_complete'] / best[name]:>20.3f}{totals[name]:>16,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
