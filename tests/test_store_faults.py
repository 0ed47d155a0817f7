"""Faults in the ledger store: a worker that fails, or is killed, at each step of
``Store.apply`` loses nothing and doubles nothing once the events are delivered again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reciprocity import (
    FixedLifetime,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Return,
    Reward,
)
from reciprocity.store import STEPS, Store

WORKER = Path(__file__).with_name("store_worker.py")
T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


class Crash(Exception):
    """The failure a fault hook raises."""


def program() -> Program:
    eur = lambda amount: Money(amount, "EUR")  # noqa: E731
    return Program(
        name="Shop", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"),
                            auto_issue=True)],
            pending_days=7, expiry=FixedLifetime(months=1)))


def stream() -> list[Any]:
    """Two members' orders and a return, with one late order (A-5 before A-4)."""
    events: list[Any] = []
    for member in ("m-1", "m-2"):
        for n, day in enumerate([0, 3, 9, 20, 40, 33]):
            events.append(Purchase(id=f"{member}/A-{n}", member_id=member,
                                   at=T0 + timedelta(days=day),
                                   amount=Money(f"{60 + 10 * n}.00", "EUR")))
        events.append(Return(id=f"{member}/R-1", member_id=member, at=T0 + timedelta(days=45),
                             purchase_id=f"{member}/A-2", amount=Money("30.00", "EUR")))
    return events


def assert_in_order_result(store: Store, events: list[Any]) -> None:
    p = program()
    states: dict[str, Any] = {}
    effects: Counter[str] = Counter()
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        decision = p.apply(states.get(event.member_id), event)
        states[event.member_id] = decision.state
        effects.update(e.model_dump_json() for e in decision.effects)
    for member, state in states.items():
        stored = store.state(member)
        assert stored is not None
        assert stored.model_copy(update={"revision": 0}) == state.model_copy(
            update={"revision": 0})
    assert Counter(e.model_dump_json() for e in store.effects()) == effects
    assert store.count("events") == len(events)


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("victim", [2, 5])  # an in-order event, and the late one
def test_failing_hook_at_each_step(store_url: str, step: str, victim: int) -> None:
    """An exception at a step leaves the ledger as before it (or, after the commit, with the
    event whole); delivering every event again after a restart gives the in-order result."""
    events = stream()
    calls = {"n": 0}

    def fault(name: str) -> None:
        if name == step and calls["n"] == victim:
            raise Crash(step)

    with Store(store_url, program(), fault=fault) as store:
        for index, event in enumerate(events[:victim + 1]):
            calls["n"] = index
            if index < victim:
                store.apply(event)
                continue
            counts = store.count("events"), store.count("effects")
            revision = store.state(event.member_id).revision  # type: ignore[union-attr]
            with pytest.raises(Crash):
                store.apply(event)
            after = store.count("events"), store.count("effects")
            now = store.state(event.member_id).revision  # type: ignore[union-attr]
            if step == "committed":
                assert after[0] == counts[0] + 1
                assert now > revision
            else:
                assert after == counts  # rolled back whole: no event, no effect, no state
                assert now == revision
    with Store(store_url, program()) as store:  # the restarted worker gets everything again
        for event in events:
            store.apply(event)
        assert_in_order_result(store, events)


# Killing a process costs two interpreter starts; the in-process hook above covers every step,
# these cover a kill with writes pending, with all written but not committed, and after commit.
@pytest.mark.parametrize("step", ["event-written", "state-written", "committed"])
def test_killed_worker(store_url: str, step: str, tmp_path: Path) -> None:
    """A worker process killed (os._exit) at a step of its sixth event; a new worker then
    gets every event again: nothing lost, nothing doubled."""
    events = stream()
    program_file = tmp_path / "program.json"
    program_file.write_text(program().model_dump_json(), encoding="utf-8")
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(e.model_dump_json() + "\n" for e in events), encoding="utf-8")
    out = tmp_path / "out.json"
    base = [sys.executable, str(WORKER), store_url, str(program_file), str(events_file), str(out)]
    killed = subprocess.run([*base, step, "5"], capture_output=True, text=True, timeout=300)
    assert killed.returncode == 17, killed.stderr
    assert not out.exists()
    with Store(store_url, program()) as store:
        stored = store.count("events")
    assert stored == (6 if step == "committed" else 5)
    again = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == []
    with Store(store_url, program()) as store:
        assert_in_order_result(store, events)
