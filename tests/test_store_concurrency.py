"""Eight worker processes on one ledger: duplicate and reordered deliveries of 100 members'
events end with exactly the sequential result, on SQLite and on PostgreSQL.

The workers are separate processes (``tests/store_worker.py``), each with its own ``Store``
on the same database, as queue consumers would be. The program is order-sensitive (points
pending for 14 days, lots that expire, a voucher issued automatically at 20 points, returns
that claw back), so any lost update, double award or misplaced late event shows in a state.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from reciprocity import (
    FixedLifetime,
    MemberState,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Return,
    Reward,
    UnknownPurchase,
)
from reciprocity.store import Store

WORKER = Path(__file__).with_name("store_worker.py")
T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
WORKERS = 8
MEMBERS = 100


def program() -> Program:
    eur = lambda amount: Money(amount, "EUR")  # noqa: E731
    return Program(
        name="Shop", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"),
                            auto_issue=True)],
            pending_days=14, expiry=FixedLifetime(months=2)))


def member_events(rng: random.Random, member: str) -> list[Any]:
    """Five to eight purchases over half a year, and a return of one of them."""
    events: list[Any] = []
    day = rng.uniform(0, 10)
    for n in range(rng.randint(5, 8)):
        day += rng.uniform(0, 30)
        amount = Money(f"{rng.randint(20, 180)}.{rng.randint(0, 99):02d}", "EUR")
        events.append(Purchase(id=f"{member}/A-{n}", member_id=member,
                               at=T0 + timedelta(days=day), amount=amount))
    bought = rng.choice(events)
    events.append(Return(id=f"{member}/R-1", member_id=member,
                         at=bought.at + timedelta(days=rng.uniform(1, 40)),
                         purchase_id=bought.id, amount=Money("10.00", "EUR")))
    return events


def sequential(events: list[Any]) -> tuple[dict[str, MemberState], Counter[str]]:
    """States and effects of applying every event once, in (at, id) order, in memory."""
    p = program()
    states: dict[str, MemberState] = {}
    effects: Counter[str] = Counter()
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        decision = p.apply(states.get(event.member_id), event)
        states[event.member_id] = decision.state
        effects.update(effect.model_dump_json() for effect in decision.effects)
    return states, effects


def deliveries(rng: random.Random, events: list[Any]) -> list[Any]:
    """Every event once, a third of them twice, all shuffled."""
    sent = events + [event for event in events if rng.random() < 0.33]
    rng.shuffle(sent)
    return sent


def run_workers(url: str, tmp_path: Path, batches: list[list[Any]],
                kill: tuple[str, int] | None = None) -> list[Any]:
    """Run one worker process per batch, all at once; return the events they had refused."""
    program_file = tmp_path / "program.json"
    program_file.write_text(program().model_dump_json(), encoding="utf-8")
    procs = []
    for index, batch in enumerate(batches):
        events_file = tmp_path / f"events-{index}.jsonl"
        events_file.write_text("".join(e.model_dump_json() + "\n" for e in batch),
                               encoding="utf-8")
        out = tmp_path / f"refused-{index}.json"
        out.unlink(missing_ok=True)
        extra = [kill[0], str(kill[1])] if kill is not None else []
        procs.append((subprocess.Popen(
            [sys.executable, str(WORKER), url, str(program_file), str(events_file), str(out),
             *extra], stderr=subprocess.PIPE, text=True), batch, out))
    refused = []
    for proc, batch, out in procs:
        _, err = proc.communicate(timeout=600)
        if kill is not None and proc.returncode == 17:
            continue
        assert proc.returncode == 0, err
        refused += [batch[i] for i in json.loads(out.read_text(encoding="utf-8"))]
    return refused


def assert_sequential_result(store: Store, events: list[Any]) -> None:
    """The store holds exactly what applying every event once, in order, gives."""
    states, effects = sequential(events)
    stored = store.states()
    assert set(stored) == set(states)
    for member, state in states.items():
        # Revisions count writes (a late event's re-derivation is one), so they may differ.
        assert stored[member].model_copy(update={"revision": 0}) == state.model_copy(
            update={"revision": 0}), member
    live = Counter(effect.model_dump_json() for effect in store.effects())
    assert live == effects
    assert store.count("events") == len(events)


def test_eight_workers_end_with_the_sequential_result(store_url: str, tmp_path: Path) -> None:
    """8 processes, 100 members, duplicates and reordering: nothing lost, nothing doubled."""
    rng = random.Random(20261206)
    events = [e for m in range(MEMBERS) for e in member_events(rng, f"m-{m:03d}")]
    sent = deliveries(rng, events)
    Store(store_url, program()).close()  # migrate once, before the workers race
    pending = run_workers(store_url, tmp_path, [sent[i::WORKERS] for i in range(WORKERS)])
    rounds = 0
    with Store(store_url, program()) as store:
        while pending:  # a queue delivers refused events again (a return before its order)
            rounds += 1
            assert rounds < 10, pending
            again, pending = pending, []
            for event in again:
                try:
                    store.apply(event)
                except UnknownPurchase:
                    pending.append(event)
        assert_sequential_result(store, events)
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.connect() as connection:
        late = connection.execute(text(
            "SELECT count(*) FROM reciprocity_events WHERE late = 1")).scalar_one()
    engine.dispose()
    assert late > 0  # the reordering made late events, and they were placed in history
