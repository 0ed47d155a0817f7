"""Member state that stays small (issue 12): every target as a ratio measured in one run.

Run from the repository root, in the project's virtual environment::

    python benchmarks/bench_state.py            # replay 20k vs 200k events of 1,000 members
                                                # (and 10,000); 1,000 vs 10,000 held
    python benchmarks/bench_state.py --full     # replay 100k vs 1M events, as the issue names
                                                # (and 50,000); 5,000 vs 50,000 held
    python benchmarks/bench_state.py --quick    # a one-minute smoke run on small sizes

It uses only the public API (``import reciprocity``). Every figure is seeded and
deterministic except the clock. Each row prints a ratio measured in this run, the issue's
target beside it and PASS or FAIL:

Both programs declare a ``History`` (returns within 30 days, event ids kept 14 days; see
:data:`HISTORY`), as a shop that wants a bounded state does.

- ``apply-history``: ``apply`` p50 of a new purchase on the stored state of a member with
  1,000 prior orders / the same with 10 prior orders (target <= 1.5). Members are built by
  applying a sign-up and then their orders, one every two days, through the seed program.
- ``state-size``: JSON of the state of a member with 1,000 orders (target <= 8 KB); sizes at
  10, 100 and 1,000 orders and the bytes each further order adds are printed beside it.
- ``bare-loop``: ``apply`` p50 with 10 prior orders / a bare dict loop making the same decision
  in the same process (target <= 100). The bare loop is a plain function over a dict state:
  it checks an idempotency set, records the order (id, at, amount) and adds 1 point for an
  amount over 50.00 (``Decimal``). It is the limit of what the decision can cost in Python.
  Both sides are timed the same way: in batches of calls in a row, per call, each batch
  0.2 to 0.3 ms long (1,000 bare calls, 10 ``apply`` calls on the same stored state, which
  ``apply`` never changes). ``bare-loop-1call`` is the same ratio
  with ``apply`` timed one call at a time (the method before 2026-12-06's ``fastapply``
  branch): each chunk of those calls starts right after a ``gc.collect()`` with cold
  caches, which the bare loop's batches spread over a thousand calls, so it compares a
  cold ``apply`` with a warm loop. The seed program's earning order goes the *express
  purchase* (``reciprocity._express``: the seed shape's purchase decided from the state's
  fields, property-tested against the general way); ``bare-loop-general`` shows, with no
  target, the same ratio with it switched off: the thaw, step and freeze every other
  program shape and event takes.
- ``load-apply-dump``: ``MemberState.model_validate_json`` + ``apply`` + ``model_dump_json``
  of a member with 1,000 orders / ``apply`` alone on the same state (target <= 5).
- ``four-family-apply``: ``apply`` p50 of a program with all four families (points pending
  for 14 days and expiring after 6 months, a tier ladder, order gifts with a monthly program
  budget and a birthday gift, goodwill) / the seed program's, both with 100 prior orders
  (target <= 10).
- ``four-family-replay``: replay events/s of the four-family program at the large size / at
  a size 10x smaller (target >= 0.8, "within 20 %").
- ``replay-memory``: peak memory traced by ``tracemalloc`` during a four-family replay, per
  member, at 2N events / at N events of the same members (target <= 1.2: memory should grow
  with members, not with events; the issue sets no figure, 1.2 is this benchmark's).
- ``replay-members``: four-family replay events/s with 10x the members over the same span
  (so 10x the events, the same events per member) / the ``four-family-replay`` row's small
  replay (target >= 0.8, "within 20 %", as for events). Timed in the same rounds as that row.
- ``apply-members``: a worker's loop of ``apply`` (a dict of member id -> state, each apply
  replacing its member's state, the cyclic garbage collector enabled as in a long-running
  worker), four-family program: applies/s with 10x the members held / with 1x (target >=
  0.8). Members are signed up, given 13 orders by a replay and a 14th by ``apply`` (so each
  state held is one ``apply`` returned), 14 days apart on average: past the program's
  windows, so a state no longer grows. The 1x side then applies 10 sweeps (every member
  buys once per sweep, in a seeded random order, sweeps 14 days apart), the 10x side one:
  as many applies on each side, each a member's next order 14 days after its last, the
  collector's passes (counted with ``gc.callbacks``) at the rate those applies set. Each side
  builds and holds its members in its own process (``--held-worker``, so its collector walks
  only its own states); the two take turns applying a tenth of their purchases, so both see
  the same minutes of a shared machine, and the sums count (``--rounds`` does not apply).
- ``apply-members-seed``: the same with the seed program (target >= 0.8).
- ``apply-members-bare``: the same for the bare dict loop of ``bare-loop`` holding dict
  states (ids seen, 14 order records, points), shown beside, with no target: the limit, which
  pays for the collector and for ten times the memory too, with fewer objects per member.

Timing: each ``apply`` sample is one call (but for ``bare-loop``), timed with
``time.perf_counter_ns`` while the cyclic garbage collector is disabled (as ``timeit``
does); the cases are interleaved in rounds and
the median (p50) of all samples counts. The bare loop is timed in batches of calls (a single
call is too short for the clock), each batch on a fresh copy of the 10-order dict state made
outside the timed region; its figure is the median batch time per call.

Replays read synthetic purchases (``synthetic_purchases``) of a fixed member count whose time
span grows with the event count (one order per member every 14 days on average): a larger
replay is a longer history of the same shop, not a denser one, so a state bounded by the
program's windows would cost the same per event. Members start from a sign-up with a birthday,
passed to ``replay`` as their states; the effect log a replay keeps is part of its memory.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reciprocity import (
    BirthdayGift,
    Budget,
    FirstOrderGift,
    FixedLifetime,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    History,
    MemberState,
    MinSpend,
    Money,
    NthOrderGift,
    OrderOverGift,
    Period,
    PointScheme,
    PointsCompensation,
    PointsPerPurchase,
    Program,
    Purchase,
    PurchaseColumns,
    Reward,
    SharedState,
    SignUp,
    Tier,
    TierBenefits,
    TierGift,
    TierLadder,
    TierMultiplier,
    seed_program,
    synthetic_purchases,
)

BERLIN = ZoneInfo("Europe/Berlin")
THRESHOLD = Decimal("50.00")
START = datetime(2020, 1, 6, 9, tzinfo=BERLIN)
ORDER_EVERY = timedelta(days=2)
REPLAY_START = date(2025, 1, 1)
DAYS_BETWEEN_ORDERS = 14  # per member, on average, in the replays
NEW_AMOUNT = Decimal("75.00")  # the timed purchase: over 50.00, so it earns a point
MEMBERS_FACTOR = 10  # the members rows hold, or replay, 10x the members of their baseline
ROWS = ("apply-history", "state-size", "bare-loop", "bare-loop-general", "bare-loop-1call",
        "load-apply-dump", "four-family-apply", "four-family-replay", "replay-memory",
        "replay-members", "apply-members", "apply-members-seed", "apply-members-bare")
INFO_ROWS = ("bare-loop-general", "apply-members-bare")
"""Rows shown for information, with no target."""


@dataclass(frozen=True)
class Sizes:
    """The sizes of one run."""

    name: str
    histories: tuple[int, int, int]
    """Prior orders of the small, middle and large member (10, 100, 1,000)."""
    family_history: int
    """Prior orders of the members in the four-family vs seed comparison."""
    samples: int
    """Timed samples per case."""
    bare_batch: int
    """Bare-loop calls per timed batch."""
    replay_members: int
    replay_events: tuple[int, int]
    """Small and large replay (the large is 10x the small). At 14 days between a member's
    orders, 20 events per member span 280 days and 200 span 2,800 (``--full``: 100k and 1M
    events of 5,000 members); the default and quick runs keep those spans with fewer
    members, so each compares the same shop ages as the issue's sizes."""
    memory_members: int
    memory_events: int
    """N: the memory row compares N and 2N events."""
    rounds: int
    """Replay rounds; the best of each size counts. The members rows take as many rounds."""
    apply_members: int
    """Members held by the apply-members rows' baseline (the other side holds 10x)."""
    apply_orders: int
    """Orders of each held member before the timed sweep: all but one replayed, one applied."""


DEFAULT = Sizes("default", (10, 100, 1000), 100, 200, 1000, 1000, (20_000, 200_000),
                1000, 10_000, 1, 1000, 14)
FULL = Sizes("full", (10, 100, 1000), 100, 300, 1000, 5000, (100_000, 1_000_000),
             1000, 20_000, 1, 5000, 14)
QUICK = Sizes("quick", (10, 100, 1000), 100, 40, 200, 500, (10_000, 100_000), 500, 5_000, 1,
              500, 14)
TINY = Sizes("tiny", (2, 4, 8), 4, 3, 10, 20, (40, 400), 10, 100, 1, 10, 3)
"""For the test that keeps this file from rotting: every row, no meaningful figure."""


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


HISTORY = History(return_days=30, event_days=14)
"""What both programs declare: returns within 30 days, event ids kept for 14 days (a queue that
redelivers for two weeks). Both programs keep 45 days of orders (31 read back, 14 late): the
four-family program's calendar-year ladder keeps its qualifying totals per year instead of
reading orders one by one; see ``Program.history_window()``."""


def seed_with_history() -> Program:
    """``seed_program()`` with :data:`HISTORY`: its state holds 31 days of orders."""
    return Program.model_validate({**seed_program().model_dump(), "history": HISTORY})


def four_family_program() -> Program:
    """Points (pending 14 days, expiring after 6 months), tiers, gifts with a budget and a
    birthday gift, goodwill: every family a real program composes."""
    def gift(gid: str, name: str, kind: Any, value: str) -> Gift:
        return Gift(id=gid, name=name, kind=kind, value=eur(value))

    ladder = TierLadder(tiers=tuple(
        Tier(id=name.lower(), name=name, requires=MinSpend(amount=eur(spend)),
             benefits=TierBenefits(points_multiplier=Decimal(factor)))
        for name, spend, factor in (("Bronze", "1.00", 1), ("Silver", "350.00", 2),
                                    ("Gold", "1000.00", 3))))
    return Program(
        name="Four families", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerPurchase(id="over-50", points=1, min_amount=eur("50.00"),
                                    multipliers=(TierMultiplier(),)),),
            rewards=(Reward(id="voucher-10", name="10 EUR voucher", points=10,
                            value=eur("10.00")),),
            pending_days=14,
            expiry=FixedLifetime(months=6),
        ),
        tiers=ladder,
        gifts=GiftScheme(
            rules=(
                FirstOrderGift(id="first", gift=gift("mug", "tea mug", "physical", "8.00")),
                NthOrderGift(id="every-5th", every=5,
                             gift=gift("box", "sample box", "sample", "4.00")),
                OrderOverGift(id="over-100", amount=eur("100.00"), budget="samples",
                              gift=gift("tea", "tea sample", "sample", "2.50")),
                BirthdayGift(id="birthday",
                             gift=gift("bday", "birthday voucher", "voucher", "5.00")),
                TierGift(id="tier-up", reached=("silver", "gold"),
                         gift=gift("tier-5", "tier voucher", "voucher", "5.00")),
            ),
            budgets=(Budget(id="samples", count=5000, per=Period.MONTH),),
        ),
        goodwill=GoodwillPolicy(rules=(
            GoodwillRule(id="late", categories=("late_delivery",),
                         compensation=PointsCompensation(points=5)),)),
        history=HISTORY,
    )


# -- members built by applying orders ---------------------------------------------------------

@dataclass(frozen=True)
class Built:
    """A member after a sign-up and ``orders`` purchases, and the next purchase to time."""

    state: MemberState
    shared: SharedState | None
    new: Purchase
    orders: tuple[tuple[str, datetime, Decimal], ...]


def order_amounts(rng: random.Random, n: int) -> list[Decimal]:
    """Order amounts around 45 EUR (about a third over 50), in cents."""
    return [Decimal(max(99, int(rng.lognormvariate(3.75, 0.65) * 100))) / 100
            for _ in range(n)]


def build_member(program: Program, orders: int, *, seed: int) -> Built:
    """Sign up, then apply ``orders`` purchases, one every two days."""
    rng = random.Random(seed)
    mid = "m-1"
    decision = program.apply(None, SignUp(id="S-1", member_id=mid, at=START - timedelta(days=1),
                                          birthday=date(1990, 5, 17), consents=("email",)))
    state, shared = decision.state, decision.shared
    done: list[tuple[str, datetime, Decimal]] = []
    for i, amount in enumerate(order_amounts(rng, orders)):
        at = (START + i * ORDER_EVERY + timedelta(minutes=rng.randrange(600))).astimezone(UTC)
        eid = f"A-{i:06d}"
        decision = program.apply(state, Purchase(id=eid, member_id=mid, at=at,
                                                 amount=Money(amount, "EUR")), shared=shared)
        state, shared = decision.state, decision.shared
        done.append((eid, at, amount))
    new_at = (START + orders * ORDER_EVERY).astimezone(UTC)
    new = Purchase(id="NEW-1", member_id=mid, at=new_at, amount=Money(NEW_AMOUNT, "EUR"))
    return Built(state, shared, new, tuple(done))


# -- the bare loop ----------------------------------------------------------------------------

def bare_apply(state: dict[str, Any], eid: str, at: datetime, amount: Decimal) -> int:
    """The decision at its limit: idempotency set, order record, 1 point over 50.00."""
    seen = state["seen"]
    if eid in seen:
        return int(state["points"])
    seen.add(eid)
    state["orders"].append((eid, at, amount))
    if amount > THRESHOLD:
        state["points"] += 1
    return int(state["points"])


def bare_state(built: Built) -> dict[str, Any]:
    """The bare loop's state of the same member: ids, orders, points."""
    return {"seen": {eid for eid, _, _ in built.orders} | {"S-1"},
            "orders": list(built.orders),
            "points": sum(1 for _, _, amount in built.orders if amount > THRESHOLD)}


# -- timing -----------------------------------------------------------------------------------

Case = Callable[[], tuple[int, int]]
"""One timed sample: runs the measured work and returns its wall-clock and CPU ns per call."""


def single(fn: Callable[[], object]) -> Case:
    def sample() -> tuple[int, int]:
        cpu = time.process_time_ns()
        start = time.perf_counter_ns()
        fn()
        wall = time.perf_counter_ns() - start
        return wall, time.process_time_ns() - cpu
    return sample


def batched(fn: Callable[[], object], calls: int) -> Case:
    """One timed sample: ``calls`` calls of ``fn`` in a row, per call (as the bare loop is
    timed)."""
    def sample() -> tuple[int, int]:
        cpu = time.process_time_ns()
        start = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        wall = time.perf_counter_ns() - start
        return wall // calls, (time.process_time_ns() - cpu) // calls
    return sample


def interleaved_p50(cases: dict[str, Case], samples: int,
                    chunks: int = 20) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall-clock and CPU ns of each case, sampled in interleaved rounds, gc disabled."""
    taken: dict[str, list[tuple[int, int]]] = {name: [] for name in cases}
    per_chunk = max(1, -(-samples // chunks))
    enabled = gc.isenabled()
    try:
        while any(len(v) < samples for v in taken.values()):
            for name, case in cases.items():
                gc.collect()
                gc.disable()
                try:
                    for _ in range(min(per_chunk, samples - len(taken[name]))):
                        taken[name].append(case())
                finally:
                    if enabled:
                        gc.enable()
    finally:
        if enabled:
            gc.enable()
    return ({name: statistics.median(w for w, _ in v) for name, v in taken.items()},
            {name: statistics.median(c for _, c in v) for name, v in taken.items()})


# -- replays ----------------------------------------------------------------------------------

def replay_columns(events: int, members: int, seed: int) -> PurchaseColumns:
    """Purchases of ``members`` members over a span that grows with ``events``."""
    days = max(1, round(events * DAYS_BETWEEN_ORDERS / members))
    return synthetic_purchases(events, members=members, seed=seed, start=REPLAY_START,
                               days=days)


def signed_up(program: Program, members: int, seed: int) -> tuple[dict[str, MemberState],
                                                                    SharedState | None]:
    """Every replay member after a sign-up with a birthday (``synthetic_purchases`` ids)."""
    rng = random.Random(seed)
    states: dict[str, MemberState] = {}
    shared: SharedState | None = None
    at = datetime(REPLAY_START.year, REPLAY_START.month, REPLAY_START.day,
                  tzinfo=BERLIN) - timedelta(days=1)
    for j in range(members):
        mid = f"M{j:05d}"
        birthday = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
        decision = program.apply(None, SignUp(id=f"S-{mid}", member_id=mid, at=at,
                                              birthday=birthday), shared=shared)
        states[mid], shared = decision.state, decision.shared
    return states, shared


def timed_replay(program: Program, columns: PurchaseColumns, states: dict[str, MemberState],
                 shared: SharedState | None) -> tuple[float, float]:
    """Wall-clock and CPU seconds of a replay."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    program.replay(columns, states, shared=shared).summary()
    return time.perf_counter() - start, time.process_time() - cpu


def traced_peak(program: Program, columns: PurchaseColumns, states: dict[str, MemberState],
                shared: SharedState | None) -> int:
    """Peak bytes allocated while replaying (the columns and states exist before)."""
    gc.collect()
    tracemalloc.start()
    try:
        program.replay(columns, states, shared=shared).summary()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- members held in memory ---------------------------------------------------------------------

@dataclass
class Held:
    """A worker's members in memory: member id -> state, the program-wide state, and the
    purchases of the timed sweeps."""

    states: dict[str, MemberState]
    shared: SharedState | None
    sweeps: list[list[Purchase]]


def sweep_purchases(members: list[str], day: date, rng: random.Random,
                    prefix: str) -> list[Purchase]:
    """One purchase per member on ``day``, members in a seeded random order, times rising
    through the day (in time order, as a worker receives them)."""
    order = list(members)
    rng.shuffle(order)
    origin = datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)
    step = 86_400 / max(1, len(order))
    return [Purchase(id=f"{prefix}-{i:07d}", member_id=mid,
                     at=origin + timedelta(seconds=int(i * step)),
                     amount=Money(amount, "EUR"))
            for i, (mid, amount) in enumerate(zip(order, order_amounts(rng, len(order)),
                                                  strict=True))]


def apply_all(program: Program, held: Held, purchases: list[Purchase]) -> None:
    """The worker's loop: each purchase applied to its member's state, which it replaces."""
    states, shared = held.states, held.shared
    for event in purchases:
        decision = program.apply(states[event.member_id], event, shared=shared)
        states[event.member_id], shared = decision.state, decision.shared
    held.shared = shared


def held_members(program: Program, members: int, orders: int, sweeps: int,
                 seed: int) -> Held:
    """``members`` members after a sign-up and ``orders`` orders each (on average, one every
    14 days): all but the last replayed, the last applied one by one (so every state held is
    one ``apply`` returned, as in a worker), and ``sweeps`` timed sweeps to come, each one
    purchase per member, 14 days apart, the first on the 1st of a month (so the warm-up's
    purchases do not count against the four-family program's monthly budget). Built with
    the cyclic collector paused, as ``replay`` pauses it."""
    rng = random.Random(seed)
    states, shared = signed_up(program, members, seed)
    replayed = orders - 1
    if replayed > 0:
        done = program.replay(replay_columns(members * replayed, members, seed), states,
                              shared=shared)
        states, shared = dict(done.states), done.shared
    after = REPLAY_START + timedelta(days=(replayed + 1) * DAYS_BETWEEN_ORDERS)
    first = date(after.year + after.month // 12, after.month % 12 + 1, 1)
    gap = timedelta(days=DAYS_BETWEEN_ORDERS)
    ids = list(states)
    held = Held(states, shared, [])
    collecting = gc.isenabled()
    gc.disable()
    try:
        apply_all(program, held, sweep_purchases(ids, first - gap, rng, "W"))
    finally:
        if collecting:
            gc.enable()
    held.sweeps = [sweep_purchases(ids, first + k * gap, rng, f"T{k}") for k in range(sweeps)]
    return held


def held_bare(members: int, orders: int, sweeps: int,
              seed: int) -> tuple[dict[str, dict[str, Any]], list[Purchase]]:
    """The hand-written loop's members held in memory (the limit beside apply-members-seed):
    each a dict state of :func:`bare_apply` with ``orders`` orders 14 days apart (ids seen,
    order records, points), and the purchases of ``sweeps`` sweeps as
    :func:`held_members` makes them."""
    rng = random.Random(seed)
    ids = [f"m-{i:07d}" for i in range(members)]
    start = datetime(REPLAY_START.year, REPLAY_START.month, REPLAY_START.day, tzinfo=UTC)
    gap = timedelta(days=DAYS_BETWEEN_ORDERS)
    states: dict[str, dict[str, Any]] = {}
    for mid in ids:
        done = [(f"{mid}-{k}", start + k * gap, amount)
                for k, amount in enumerate(order_amounts(rng, orders))]
        states[mid] = {"seen": {eid for eid, _, _ in done}, "orders": done,
                       "points": sum(1 for _, _, amount in done if amount > THRESHOLD)}
    after = start + orders * gap
    first = date(after.year + after.month // 12, after.month % 12 + 1, 1)
    return states, [p for k in range(sweeps)
                    for p in sweep_purchases(ids, first + k * gap, rng, f"T{k}")]


@dataclass(frozen=True)
class Sweep:
    """A side's timed applies: wall-clock and CPU seconds, the cyclic collector's passes."""

    applies: int
    seconds: float
    cpu_seconds: float
    passes: tuple[int, int, int]
    """Collections of generation 0, 1 and 2 while timed."""
    collector_seconds: tuple[float, float, float]
    """Wall-clock time inside those collections, by generation (``gc.callbacks``)."""
    tracked: int
    """Objects the collector tracks once the applies are done (``len(gc.get_objects())``)."""
    rss: str
    """The side's process's peak resident memory."""


HELD_WORKER = "--held-worker"
"""The command-line flag of one side of the apply-members rows (see :func:`held_worker`)."""
PROGRAMS: dict[str, Callable[[], Program]] = {"family": four_family_program,
                                              "seed": seed_with_history}
BARE = "bare"
"""The apply-members side that runs :func:`bare_apply` over dict states (:func:`held_bare`)."""


def held_worker(argv: list[str]) -> int:
    """One side of an apply-members row, in its own process: ``PROGRAM MEMBERS ORDERS SWEEPS
    CHUNKS SEED``. Builds the members (:func:`held_members`), says ``ready``, then for each
    line read applies the next of ``CHUNKS`` equal slices of its sweeps' purchases with the
    cyclic collector enabled and writes one JSON line: wall-clock and CPU seconds, and the
    collector's passes and seconds by generation; after the last, the objects tracked and
    the peak RSS. Between slices it waits on its input, so two sides take turns."""
    import json
    name, members, orders, sweeps, chunks, seed = argv
    if name == BARE:
        states, purchases = held_bare(int(members), int(orders), int(sweeps), int(seed))

        def work(chunk: list[Purchase]) -> None:
            for event in chunk:
                bare_apply(states[event.member_id], event.id, event.at, event.amount.amount)
    else:
        program = PROGRAMS[name]()
        held = held_members(program, int(members), int(orders), int(sweeps), int(seed))
        purchases = [p for sweep in held.sweeps for p in sweep]
        held.sweeps = []

        def work(chunk: list[Purchase]) -> None:
            apply_all(program, held, chunk)
    n = int(chunks)
    cuts = [len(purchases) * k // n for k in range(n + 1)]
    passes = [0, 0, 0]
    spent = [0.0, 0.0, 0.0]
    started = [0.0]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            passes[info["generation"]] += 1
            spent[info["generation"]] += time.perf_counter() - started[0]

    gc.collect()
    gc.enable()
    gc.callbacks.append(count)
    print("ready", flush=True)
    for k in range(n):
        sys.stdin.readline()
        before, before_spent = list(passes), list(spent)
        cpu = time.process_time()
        start = time.perf_counter()
        work(purchases[cuts[k]:cuts[k + 1]])
        wall = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        print(json.dumps({"applies": cuts[k + 1] - cuts[k], "wall": wall, "cpu": cpu_seconds,
                          "passes": [a - b for a, b in zip(passes, before, strict=True)],
                          "spent": [a - b for a, b in zip(spent, before_spent, strict=True)]}),
              flush=True)
    gc.callbacks.remove(count)
    print(json.dumps({"tracked": len(gc.get_objects()), "rss": peak_rss_mb()}), flush=True)
    return 0


def members_sweeps(name: str, sizes: Sizes, seed: int) -> dict[int, Sweep]:
    """The two sides of an apply-members row, each in its own process (so each collector
    walks only its own members' states), taking turns: at the baseline's members 10 sweeps
    (every member buys 10 times, 14 days apart), at 10x the members one sweep, each side's
    purchases cut in 10 slices (a sweep of the few, a tenth of the sweep of the many) timed
    alternately. As many applies on each side, each a member's next order 14 days after its
    last; the collector's passes fall where those applies set them."""
    import json
    sides = ((sizes.apply_members, MEMBERS_FACTOR), (MEMBERS_FACTOR * sizes.apply_members, 1))
    procs = {n: subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), HELD_WORKER, name, str(n),
         str(sizes.apply_orders), str(sweeps), str(MEMBERS_FACTOR), str(seed)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n, sweeps in sides}

    def said(n: int) -> str:
        stdout = procs[n].stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            procs[n].wait()
            raise RuntimeError(f"the apply-members side of {n:,} {name} members stopped "
                               f"(exit {procs[n].returncode})")
        return line

    try:
        for n in procs:
            if said(n).strip() != "ready":
                raise RuntimeError(f"the apply-members side of {n:,} members is not ready")
        taken: dict[int, list[dict[str, Any]]] = {n: [] for n in procs}
        for _ in range(MEMBERS_FACTOR):
            for n, proc in procs.items():
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                taken[n].append(json.loads(said(n)))
        last = {n: json.loads(said(n)) for n in procs}
    finally:
        for proc in procs.values():
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
            proc.wait()
    result = {}
    for n, chunks in taken.items():
        passes = [sum(c["passes"][g] for c in chunks) for g in range(3)]
        spent = [sum(c["spent"][g] for c in chunks) for g in range(3)]
        result[n] = Sweep(sum(c["applies"] for c in chunks), sum(c["wall"] for c in chunks),
                          sum(c["cpu"] for c in chunks), (passes[0], passes[1], passes[2]),
                          (spent[0], spent[1], spent[2]), last[n]["tracked"], last[n]["rss"])
    return result


# -- the run ----------------------------------------------------------------------------------

def git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how shared the machine was."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def row(key: str, measure: str, value: str, target: str, ok: bool | None,
        cpu: str = "-") -> None:
    """One row; ``ok`` is ``None`` for a row shown for information, with no target."""
    verdict = "-" if ok is None else "PASS" if ok else "FAIL"
    print(f"{key:<19}{measure:<58}{value:>10}  {target:<10}{cpu:>9}  {verdict}")


def run(sizes: Sizes, seed: int = 2026) -> int:
    """Measure and print every row; 0 when the run completed (whatever PASS or FAIL says)."""
    small, middle, large = sizes.histories
    seed_prog = seed_with_history()
    family = four_family_program()
    print(f"bench_state ({sizes.name} run), python {sys.version.split()[0]}, "
          f"commit {git_commit()}, seed {seed}")
    print(f"sizes: members with {small:,} / {middle:,} / {large:,} prior orders (one every "
          f"2 days), four-family vs seed at {sizes.family_history:,}; {sizes.samples} "
          f"samples per case, bare loop in batches of {sizes.bare_batch:,}; replay "
          f"{sizes.replay_events[0]:,} vs {sizes.replay_events[1]:,} events over "
          f"{sizes.replay_members:,} members, best of {sizes.rounds}; memory "
          f"{sizes.memory_events:,} vs {2 * sizes.memory_events:,} events over "
          f"{sizes.memory_members:,} members; replay {MEMBERS_FACTOR}x the members over "
          f"the same span: {MEMBERS_FACTOR * sizes.replay_events[0]:,} events of "
          f"{MEMBERS_FACTOR * sizes.replay_members:,} members; apply sweeps over "
          f"{sizes.apply_members:,} vs {MEMBERS_FACTOR * sizes.apply_members:,} members "
          f"held, {sizes.apply_orders:,} orders each before")
    print(f"load average at the start: {load_average()}")
    sys.stdout.flush()

    # Members held in memory, first: while they are timed nothing else of this run is alive
    # but the two programs, so the collector walks only the worker's states.
    held_sweeps = {name: members_sweeps(name, sizes, seed) for name in ("family", "seed", BARE)}

    seed_members = {n: build_member(seed_prog, n, seed=seed)
                    for n in sorted({small, middle, large, sizes.family_history})}
    fam = build_member(family, sizes.family_history, seed=seed)

    # Every approach must make the same decision: one more point for the new order.
    for built in seed_members.values():
        before = built.state.points_earned
        after = seed_prog.apply(built.state, built.new).state.points_earned
        bare = bare_apply(bare_state(built), built.new.id, built.new.at, NEW_AMOUNT)
        if not after == bare == before + 1:
            print(f"decisions differ: apply {before} -> {after} points, bare loop {bare}",
                  file=sys.stderr)
            return 1

    def apply_case(program: Program, built: Built) -> Case:
        state, event, shared = built.state, built.new, built.shared
        return single(lambda: program.apply(state, event, shared=shared))

    def lad_case(built: Built) -> Case:
        text, event = built.state.model_dump_json(), built.new

        def work() -> None:
            state = MemberState.model_validate_json(text)
            seed_prog.apply(state, event).state.model_dump_json()
        return single(work)

    ten = seed_members[small]
    ids = [f"B-{i:07d}" for i in range(sizes.bare_batch)]
    at, amount = ten.new.at, NEW_AMOUNT

    def bare_case() -> tuple[int, int]:
        state = bare_state(ten)
        fn = bare_apply
        cpu = time.process_time_ns()
        start = time.perf_counter_ns()
        for eid in ids:
            fn(state, eid, at, amount)
        wall = time.perf_counter_ns() - start
        return wall // len(ids), (time.process_time_ns() - cpu) // len(ids)

    cases: dict[str, Case] = {f"seed@{n}": apply_case(seed_prog, b)
                              for n, b in seed_members.items()}
    cases["bare@small"] = bare_case
    # The same apply timed as the bare loop is: a batch of calls in a row, per call, each
    # batch about as long as the bare loop's (a hundredth as many calls: 10 applies take
    # about as long as 1,000 bare calls, 0.2 to 0.3 ms, so that neither is often preempted on
    # a shared machine). After the collector step that starts each chunk, the first batch
    # runs cold on both sides; the p50 is that of the warm batches.
    apply_batch = max(1, sizes.bare_batch // 100)
    cases["seed@small:batch"] = batched(
        lambda: seed_prog.apply(ten.state, ten.new, shared=ten.shared), apply_batch)
    # The same program with its express purchase switched off: the general way every other
    # program shape takes (thaw, step, freeze), shown beside the row, never instead of it.
    general = seed_with_history()
    general._pipeline.express = None
    if general.apply(ten.state, ten.new).state != seed_prog.apply(ten.state, ten.new).state:
        print("decisions differ: the general way and the express purchase", file=sys.stderr)
        return 1
    cases["general@small:batch"] = batched(
        lambda: general.apply(ten.state, ten.new, shared=ten.shared), apply_batch)
    cases["lad@large"] = lad_case(seed_members[large])
    cases["family"] = apply_case(family, fam)
    p50, cpu50 = interleaved_p50(cases, sizes.samples)

    # Replays: built before any clock runs. The same span with 10x the members (so 10x the
    # events, the same events per member) is timed in the same rounds, keyed by its members.
    states, shared = signed_up(family, sizes.replay_members, seed)
    columns = {n: replay_columns(n, sizes.replay_members, seed) for n in sizes.replay_events}
    wide_members = MEMBERS_FACTOR * sizes.replay_members
    wide_events = MEMBERS_FACTOR * sizes.replay_events[0]
    wide_states, wide_shared = signed_up(family, wide_members, seed)
    wide_columns = replay_columns(wide_events, wide_members, seed)
    best: dict[int, float] = {}
    best_cpu: dict[int, float] = {}
    wide: list[tuple[float, float]] = []
    for _ in range(sizes.rounds):
        for n, cols in columns.items():
            seconds, cpu_seconds = timed_replay(family, cols, states, shared)
            best[n] = min(best.get(n, seconds), seconds)
            best_cpu[n] = min(best_cpu.get(n, cpu_seconds), cpu_seconds)
        wide.append(timed_replay(family, wide_columns, wide_states, wide_shared))
    del wide_states, wide_columns, columns
    wide_best = min(w for w, _ in wide)
    wide_best_cpu = min(c for _, c in wide)
    mem_states, mem_shared = signed_up(family, sizes.memory_members, seed)
    peaks = {n: traced_peak(family, replay_columns(n, sizes.memory_members, seed), mem_states,
                            mem_shared)
             for n in (sizes.memory_events, 2 * sizes.memory_events)}

    sizes_json = {n: len(b.state.model_dump_json().encode()) for n, b in seed_members.items()}
    us = {name: v / 1000 for name, v in p50.items()}
    print()
    print("apply p50, us (seed program unless named): "
          + ", ".join(f"{n:,} orders {us[f'seed@{n}']:,.1f}" for n in seed_members)
          + f" (in batches of {max(1, sizes.bare_batch // 100):,} calls, as the bare loop: "
          f"{us['seed@small:batch']:,.1f} at {small:,} orders)"
          + f"; four-family at {sizes.family_history:,} orders {us['family']:,.1f}; bare loop "
          f"{us['bare@small'] * 1000:,.0f} ns; load+apply+dump at {large:,} orders "
          f"{us['lad@large']:,.1f}")
    print("state JSON bytes (seed program): "
          + ", ".join(f"{n:,} orders {sizes_json[n]:,} ({sizes_json[n] / n:,.0f} B/order)"
                      for n in seed_members))
    rate = {n: n / best[n] for n in best}
    small_n, large_n = sizes.replay_events
    print(f"four-family replay: {small_n:,} events {rate[small_n]:,.0f}/s "
          f"({1e6 / rate[small_n]:,.0f} us/event), {large_n:,} events {rate[large_n]:,.0f}/s "
          f"({1e6 / rate[large_n]:,.0f} us/event)")
    small_days = round(small_n * DAYS_BETWEEN_ORDERS / sizes.replay_members)
    wide_rate = wide_events / wide_best
    print(f"four-family replay over {small_days:,} days: {sizes.replay_members:,} members "
          f"({small_n:,} events) {rate[small_n]:,.0f}/s, {wide_members:,} members "
          f"({wide_events:,} events) {wide_rate:,.0f}/s ({1e6 / wide_rate:,.0f} us/event)")
    for name, by_members in held_sweeps.items():
        print(f"{name} apply, collector enabled, members held "
              f"(10 sweeps of the {sizes.apply_members:,}, 1 of the "
              f"{MEMBERS_FACTOR * sizes.apply_members:,}):")
        for n, sw in by_members.items():
            print(f"  {n:>7,} members: {sw.applies:,} applies {sw.applies / sw.seconds:,.0f}/s "
                  f"({1e6 * sw.seconds / sw.applies:,.0f} us/apply); collector "
                  f"{100 * sum(sw.collector_seconds) / sw.seconds:,.0f} % of it: full "
                  f"{sw.passes[2]} passes {sw.collector_seconds[2]:,.2f} s, gen-1 "
                  f"{sw.passes[1]} {sw.collector_seconds[1]:,.2f} s, gen-0 {sw.passes[0]} "
                  f"{sw.collector_seconds[0]:,.2f} s; {sw.tracked:,} objects tracked after, "
                  f"peak RSS {sw.rss}")
    mem_n = sizes.memory_events
    print(f"four-family replay peak memory per member: {mem_n:,} events "
          f"{peaks[mem_n] / sizes.memory_members:,.0f} B, {2 * mem_n:,} events "
          f"{peaks[2 * mem_n] / sizes.memory_members:,.0f} B")
    print()
    print(f"{'row':<19}{'measure':<58}{'value':>10}  {'target':<10}{'cpu':>9}  result")

    def ratio(a: str, b: str) -> tuple[float, float]:
        return p50[a] / p50[b], cpu50[a] / cpu50[b]

    r, c = ratio(f"seed@{large}", f"seed@{small}")
    row("apply-history", f"apply p50 {large:,} prior orders / {small:,} prior orders",
        f"{r:,.1f}x", "<= 1.5x", r <= 1.5, f"{c:,.1f}x")
    size = sizes_json[large]
    growth = (sizes_json[large] - sizes_json[small]) / (large - small)
    row("state-size", f"state JSON at {large:,} orders (+{growth:,.0f} B per further order)",
        f"{size / 1024:,.1f} KB", "<= 8 KB", size <= 8 * 1024)
    r, c = ratio("seed@small:batch", "bare@small")
    row("bare-loop", f"apply p50 {small:,} prior orders / bare dict loop, both batched",
        f"{r:,.0f}x", "<= 100x", r <= 100, f"{c:,.0f}x")
    r, c = ratio("general@small:batch", "bare@small")
    row("bare-loop-general", "the same, express purchase off: the general way (no target)",
        f"{r:,.0f}x", "-", None, f"{c:,.0f}x")
    r, c = ratio(f"seed@{small}", "bare@small")
    row("bare-loop-1call", "the same, apply one call at a time (the method before)",
        f"{r:,.0f}x", "<= 100x", r <= 100, f"{c:,.0f}x")
    r, c = ratio("lad@large", f"seed@{large}")
    row("load-apply-dump", f"load+apply+dump / apply, {large:,} prior orders", f"{r:,.1f}x",
        "<= 5x", r <= 5, f"{c:,.1f}x")
    r, c = ratio("family", f"seed@{sizes.family_history}")
    row("four-family-apply", f"four-family apply p50 / seed's, {sizes.family_history:,} "
        "prior orders", f"{r:,.1f}x", "<= 10x", r <= 10, f"{c:,.1f}x")
    r = rate[large_n] / rate[small_n]
    c = (large_n / best_cpu[large_n]) / (small_n / best_cpu[small_n])
    row("four-family-replay", f"four-family events/s at {large_n:,} / at {small_n:,}",
        f"{r:,.2f}", ">= 0.8", r >= 0.8, f"{c:,.2f}")
    r = peaks[2 * mem_n] / peaks[mem_n]
    row("replay-memory", f"replay peak memory at {2 * mem_n:,} / {mem_n:,} events, "
        f"{sizes.memory_members:,} members", f"{r:,.2f}x", "<= 1.2x", r <= 1.2)
    r = wide_rate / rate[small_n]
    c = (wide_events / wide_best_cpu) / (small_n / best_cpu[small_n])
    row("replay-members", f"four-family events/s, {wide_members:,} / {sizes.replay_members:,} "
        f"members, {small_days:,} days", f"{r:,.2f}", ">= 0.8", r >= 0.8, f"{c:,.2f}")
    for key, name in (("apply-members", "family"), ("apply-members-seed", "seed")):
        base, many = held_sweeps[name][sizes.apply_members], held_sweeps[name][
            MEMBERS_FACTOR * sizes.apply_members]
        r = (many.applies / many.seconds) / (base.applies / base.seconds)
        c = (many.applies / many.cpu_seconds) / (base.applies / base.cpu_seconds)
        label = "four-family" if name == "family" else "seed"
        row(key, f"{label} applies/s, {MEMBERS_FACTOR * sizes.apply_members:,} / "
            f"{sizes.apply_members:,} members held, gc on", f"{r:,.2f}", ">= 0.8", r >= 0.8,
            f"{c:,.2f}")
    base, many = held_sweeps[BARE][sizes.apply_members], held_sweeps[BARE][
        MEMBERS_FACTOR * sizes.apply_members]
    r = (many.applies / many.seconds) / (base.applies / base.seconds)
    c = (many.applies / many.cpu_seconds) / (base.applies / base.cpu_seconds)
    row("apply-members-bare", "the same for the bare dict loop, the limit (no target)",
        f"{r:,.2f}", "-", None, f"{c:,.2f}")
    print(f"(verdicts on wall-clock medians; cpu: the same ratio on process CPU time, which "
          f"the scheduling of a shared machine does not inflate; load average at the end: "
          f"{load_average()}; peak RSS {peak_rss_mb()})")
    return 0


def peak_rss_mb() -> str:
    """The process's peak resident memory (the machine is shared)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on every platform
        return "unknown"
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return f"{kb / 1024:,.0f} MB" if sys.platform != "darwin" else f"{kb / 2**20:,.0f} MB"


def sizes_for(argv: list[str] | None = None) -> tuple[Sizes, int]:
    """The sizes and seed the command line asks for."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="a one-minute smoke run")
    group.add_argument("--full", action="store_true",
                       help="replay 100k vs 1M events (the issue's sizes; takes long)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=None, help="replay rounds (best counts)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL if args.full else DEFAULT
    if args.rounds is not None:
        sizes = replace(sizes, rounds=args.rounds)
    return sizes, args.seed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [HELD_WORKER]:
        return held_worker(args[1:])
    sizes, seed = sizes_for(argv)
    return run(sizes, seed)


if __name__ == "__main__":
    raise SystemExit(main())
