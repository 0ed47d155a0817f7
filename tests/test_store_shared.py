"""Programs with program-wide state (gift budgets) in the ledger store: decisions take turns
on the program-state row, a late event re-derives the whole program, and eight worker
processes with duplicate and reordered deliveries end with the sequential result and never
spend a budget twice, on SQLite and on PostgreSQL (``store_url`` in conftest.py).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from reciprocity import (
    Budget,
    Gift,
    GiftGranted,
    GiftRevoked,
    GiftScheme,
    MemberState,
    Money,
    OrderOverGift,
    Period,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Return,
    Reward,
    SharedState,
    UnknownPurchase,
    seed_program,
)
from reciprocity.store import STEPS, LateEvent, Store, StoreError

WORKER = Path(__file__).with_name("store_worker.py")
T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
SAMPLES = 5  # gifts per month for the whole shop


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def program(samples: int = SAMPLES, pending_days: int = 0) -> Program:
    """Points per 10 EUR, a voucher issued at 20 points, and a tea sample with every order
    over 100 EUR while the shop's monthly budget of ``samples`` lasts (a return revokes it)."""
    return Program(
        name="Tea shop", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="base", per=eur("10.00"))],
            rewards=[Reward(id="v10", name="10 EUR voucher", points=20, value=eur("10.00"),
                            auto_issue=True)],
            pending_days=pending_days),
        gifts=GiftScheme(
            rules=(OrderOverGift(id="big", amount=eur("100.00"), budget="samples",
                                 gift=Gift(id="tea", name="tea sample", kind="sample",
                                           value=eur("2.50"))),),
            budgets=(Budget(id="samples", count=samples, per=Period.MONTH),)))


def buy(number: int, member: str, days: float, amount: str = "120.00") -> Purchase:
    return Purchase(id=f"{member}/A-{number}", member_id=member, at=T0 + timedelta(days=days),
                    amount=eur(amount))


def ordered(events: list[Any]) -> list[Any]:
    """The ledger's order across members: (at, id, member)."""
    return sorted(events, key=lambda e: (e.at, e.id, e.member_id))


def sequential(p: Program, events: list[Any]
               ) -> tuple[dict[str, MemberState], SharedState | None, Counter[str]]:
    """States, program-wide state and effects of applying every event once, in order."""
    states: dict[str, MemberState] = {}
    shared: SharedState | None = None
    effects: Counter[str] = Counter()
    for event in ordered(events):
        decision = p.apply(states.get(event.member_id), event, shared=shared)
        states[event.member_id] = decision.state
        shared = decision.shared
        effects.update(effect.model_dump_json() for effect in decision.effects)
    return states, shared, effects


def assert_sequential_result(store: Store, p: Program, events: list[Any]) -> None:
    states, shared, effects = sequential(p, events)
    stored = store.states()
    assert set(stored) == set(states)
    for member, state in states.items():
        assert stored[member].model_copy(update={"revision": 0}) == state.model_copy(
            update={"revision": 0}), member
    assert store.shared_state() == shared
    assert Counter(effect.model_dump_json() for effect in store.effects()) == effects
    assert store.count("events") == len(events)


def assert_budget_kept(store: Store, samples: int) -> None:
    """No month has more samples kept (granted and not revoked by a return, which gives
    the budget back) than the budget, and the program-wide state counts exactly those."""
    live = store.effects()
    revoked = {(e.member_id, e.grant_id) for e in live if isinstance(e, GiftRevoked)}
    months = Counter(e.at.astimezone(BERLIN).strftime("%Y-%m") for e in live
                     if isinstance(e, GiftGranted) and (e.member_id, e.grant_id) not in revoked)
    assert max(months.values(), default=0) <= samples
    shared = store.shared_state()
    assert shared is not None
    used = {key.split("@")[1]: use.count for key, use in shared.budgets.items()}
    assert {month: n for month, n in used.items() if n} == dict(months)


class TestSharedState:
    def test_budget_is_spent_across_members(self, store_url: str) -> None:
        """Three members, a budget of two: the third order gets no sample."""
        p = program(samples=2)
        events = [buy(1, f"m-{n}", days=n) for n in range(3)]
        with Store(store_url, p) as store:
            assert store.shared
            done = [store.apply(event) for event in events]
            assert [sum(isinstance(e, GiftGranted) for e in a.effects) for a in done] == [1, 1, 0]
            assert_sequential_result(store, p, events)
            assert_budget_kept(store, 2)

    def test_duplicate_returns_the_stored_decision(self, store_url: str) -> None:
        """A second delivery spends nothing more."""
        p = program(samples=2)
        with Store(store_url, p) as store:
            first = store.apply(buy(1, "m-1", 0))
            again = store.apply(buy(1, "m-1", 0))
            assert again.duplicate
            assert again.effects == first.effects
            shared = store.shared_state()
            assert shared is not None
            assert shared.budgets["samples@2026-01"].count == 1

    def test_late_order_takes_the_sample_and_the_later_one_is_reversed(
            self, store_url: str) -> None:
        """Budget one: m-2's order on day 5 got it; m-1's order from day 3 arrives late, so
        in ledger order m-1 gets the sample and m-2's grant is reversed."""
        p = program(samples=1)
        with Store(store_url, p) as store:
            store.apply(buy(1, "m-2", 5))
            late = store.apply(buy(1, "m-1", 3))
            assert late.late
            assert [type(e).__name__ for e in late.effects].count("GiftGranted") == 1
            assert [(c.kind, c.effect.member_id, c.effect.type) for c in late.corrections] == [
                ("reversal", "m-2", "gift_granted")]
            assert late.points_delta == 12  # m-2's reversal is not m-1's balance
            assert_sequential_result(store, p, [buy(1, "m-2", 5), buy(1, "m-1", 3)])
            assert_budget_kept(store, 1)

    def test_late_event_re_runs_only_the_rows_after_it(self, store_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """From the snapshots just before it: 30 rows in the ledger, an event late by two
        rows is decided with three steps (itself and the two after it), not thirty-one."""
        import reciprocity.store._shared as shared_module

        p = program(samples=2)
        events = [buy(1, f"m-{n:02d}", days=n) for n in range(30)]
        with Store(store_url, p) as store:
            for event in events:
                store.apply(event)
            steps: list[str | None] = []
            original = shared_module.step

            def counting(*args: Any) -> Any:
                steps.append(args[4].event_id)
                return original(*args)

            monkeypatch.setattr(shared_module, "step", counting)
            late = buy(2, "m-05", days=27.5)
            assert store.apply(late).late
            assert steps == [late.id, "m-28/A-1", "m-29/A-1"]
            assert_sequential_result(store, p, [*events, late])

    def test_late_events_far_back_read_effects_in_chunks(
            self, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """The effects of the rows after a late event are read in chunks of ledger rows
        (SQLite caps a statement's parameters); a correction recorded by one row for another
        is counted once even when the two rows fall in different chunks."""
        import reciprocity.store._shared as shared_module

        monkeypatch.setattr(shared_module, "_CHUNK", 2)
        p = program(samples=2)
        events = [buy(1, f"m-{n}", days=n) for n in range(8)]
        late = [buy(2, "m-7", days=0.5), buy(2, "m-6", days=0.25), buy(3, "m-5", days=0.1)]
        with Store(store_url, p) as store:
            for event in [*events, *late]:
                store.apply(event)
            assert_sequential_result(store, p, [*events, *late])
            assert_budget_kept(store, 2)

    @pytest.mark.parametrize("failing", STEPS[:-1])
    def test_a_crash_at_any_step_of_a_late_event_writes_nothing(
            self, store_url: str, failing: str) -> None:
        """A failure after any step of a late event (the costliest path: corrections for
        another member, snapshots, the program-wide state) leaves the ledger as it was;
        delivering the event again gives the in-order result."""
        armed = False

        def fault(name: str) -> None:
            if armed and name == failing:
                raise RuntimeError(f"crash at {name}")

        p = program(samples=1)
        first, late = buy(1, "m-2", 5), buy(1, "m-1", 3)
        with Store(store_url, p, fault=fault) as store:
            store.apply(first)
            before = (store.states(), store.shared_state(), store.effects(),
                      store.count("events"))
            armed = True
            with pytest.raises(RuntimeError, match="crash"):
                store.apply(late)
            assert (store.states(), store.shared_state(), store.effects(),
                    store.count("events")) == before
            armed = False
            assert store.apply(late).late
            assert_sequential_result(store, p, [first, late])

    def test_late_refuse_writes_nothing(self, store_url: str) -> None:
        """late="refuse": an event before the program's newest is refused, nothing written."""
        with Store(store_url, program(), late="refuse") as store:
            store.apply(buy(1, "m-2", 5))
            with pytest.raises(LateEvent, match="newest event the program applied"):
                store.apply(buy(1, "m-1", 3))
            assert store.count("events") == 1
            assert store.state("m-1") is None

    def test_advance_goes_after_the_newest_row(self, store_url: str) -> None:
        """Due effects fire in the ledger's order: a member due before the newest event is
        advanced to just after it, and an event after that is not late."""
        p = program(pending_days=14)
        with Store(store_url, p) as store:
            store.apply(buy(1, "m-1", 0))
            store.apply(buy(1, "m-2", 30))
            [done] = store.advance(T0 + timedelta(days=20))
            assert done.member_id == "m-1"
            assert [e.type for e in done.effects] == ["points_released"]
            url = store_url if "://" in store_url else f"sqlite:///{store_url}"
            engine = create_engine(url)
            with engine.connect() as c:
                at = c.execute(text("SELECT at FROM reciprocity_events "
                                    "WHERE kind = 'advance'")).scalar_one()
            engine.dispose()
            assert at == "2026-02-04T10:00:00.000001Z"
            assert not store.apply(buy(2, "m-1", 31)).late
            assert store.advance(T0 + timedelta(days=20)) == ()

    def test_preview_re_derives_every_member_together(self, store_url: str) -> None:
        """A dry run of a bigger budget from the start: the member the old budget left out
        would get a sample; nobody else changes."""
        with Store(store_url, program(samples=1)) as store:
            store.apply(buy(1, "m-1", 0))
            store.apply(buy(1, "m-2", 1))
            bigger = program(samples=2).model_copy(update={"version": "2"})
            impacts = store.preview_version(bigger, effective_from=T0 - timedelta(days=1))
            assert [(i.member_id, i.effects_added, i.effects_removed) for i in impacts] == [
                ("m-1", 0, 0), ("m-2", 1, 0)]

    def test_versions_keep_program_wide_state_or_not(self, store_url: str) -> None:
        """A store's versions all keep program-wide state, or none does."""
        with Store(store_url, program()) as store, \
                pytest.raises(StoreError, match="program-wide state"):
            store.add_version(seed_program().model_copy(update={"version": "2"}),
                              effective_from=T0 + timedelta(days=400))


def member_events(rng: random.Random, member: str) -> list[Any]:
    """Three to five orders over five months, and a return of one of them."""
    events: list[Any] = []
    day = rng.uniform(0, 10)
    for n in range(rng.randint(3, 5)):
        day += rng.uniform(0, 35)
        events.append(buy(n, member, day, f"{rng.randint(40, 180)}.{rng.randint(0, 99):02d}"))
    bought = rng.choice(events)
    events.append(Return(id=f"{member}/R-1", member_id=member,
                         at=bought.at + timedelta(days=rng.uniform(1, 20)),
                         purchase_id=bought.id, amount=eur("30.00")))
    return events


def run_workers(url: str, folder: Path, p: Program, batches: list[list[Any]]) -> list[Any]:
    """One worker process per batch, all at once; the events they had refused."""
    program_file = folder / "program.json"
    program_file.write_text(p.model_dump_json(), encoding="utf-8")
    procs = []
    for index, batch in enumerate(batches):
        events_file = folder / f"events-{index}.jsonl"
        events_file.write_text("".join(e.model_dump_json() + "\n" for e in batch),
                               encoding="utf-8")
        out = folder / f"refused-{index}.json"
        procs.append((subprocess.Popen(
            [sys.executable, str(WORKER), url, str(program_file), str(events_file), str(out)],
            stderr=subprocess.PIPE, text=True), batch, out))
    refused = []
    for proc, batch, out in procs:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        refused += [batch[i] for i in json.loads(out.read_text(encoding="utf-8"))]
    return refused


def test_eight_workers_never_overspend_and_end_with_the_sequential_result(
        store_url: str, tmp_path: Path) -> None:
    """8 processes, 30 members, a third of the events twice, all shuffled: the ledger ends
    with exactly the in-order result, and no month has more samples than its budget."""
    rng = random.Random(20261206)
    p = program()
    events = [e for m in range(30) for e in member_events(rng, f"m-{m:02d}")]
    sent = events + [event for event in events if rng.random() < 0.33]
    rng.shuffle(sent)
    Store(store_url, p).close()  # migrate once, before the workers race
    pending = run_workers(store_url, tmp_path, p, [sent[i::8] for i in range(8)])
    with Store(store_url, p) as store:
        for _ in range(10):  # a queue delivers refused events again (a return before its order)
            again, pending = pending, []
            for event in again:
                try:
                    store.apply(event)
                except UnknownPurchase:
                    pending.append(event)
        assert pending == []
        assert_sequential_result(store, p, events)
        assert_budget_kept(store, SAMPLES)
    url = store_url if "://" in store_url else f"sqlite:///{store_url}"
    engine = create_engine(url)
    with engine.connect() as connection:
        late, reversals = connection.execute(text(
            "SELECT (SELECT count(*) FROM reciprocity_events WHERE late = 1), "
            "(SELECT count(*) FROM reciprocity_effects WHERE kind = 'reversal')")).one()
    engine.dispose()
    assert late > 0
    assert reversals > 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=3))
def test_any_delivery_order_gives_the_in_order_result(rng: random.Random,
                                                      samples: int) -> None:
    """One worker, events in any order (refused returns sent again at the end): the ledger
    holds what applying them once, in order, gives, and keeps the budget."""
    p = program(samples=samples)
    events = [e for m in range(3) for e in member_events(rng, f"m-{m}")]
    sent = list(events)
    rng.shuffle(sent)
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "l.db", p) as store:
        pending = []
        for event in sent:
            try:
                store.apply(event)
            except UnknownPurchase:
                pending.append(event)
        for event in pending:
            store.apply(event)
        assert_sequential_result(store, p, events)
        assert_budget_kept(store, samples)


def replay_ledger(store: Store) -> tuple[dict[str, MemberState], SharedState | None,
                                         Counter[str]]:
    """Every ledger row (events and advances) run again in the ledger's order."""
    from reciprocity import parse_event
    from reciprocity.store._derive import Row, rederive_all
    from reciprocity.store._schema import events as table
    from reciprocity.store._schema import from_ts

    with store._engine.connect() as c:
        found = c.execute(table.select()).all()
        versions = store._versions(c)
    rows = sorted((Row(from_ts(r.at), r.event_id, None if r.body is None else
                       parse_event(r.body), r.member_id) for r in found),
                  key=lambda row: row.global_key)
    everyone = rederive_all(versions, store.program.currency, rows)
    effects = Counter(effect.model_dump_json() for step in everyone.steps
                      for effect, _ in step.effects)
    return everyone.states, everyone.shared, effects


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False),
       st.lists(st.floats(min_value=0, max_value=200), max_size=4))
def test_the_stored_state_is_a_cache_of_the_ledger(rng: random.Random,
                                                   advances: list[float]) -> None:
    """Orders in any order with advances between them: the stored states, budgets and
    effects are what running the ledger's rows again, in its order, gives."""
    p = program(samples=2, pending_days=14)
    events = [e for m in range(3) for e in member_events(rng, f"m-{m}")
              if isinstance(e, Purchase)]
    rng.shuffle(events)
    plan: list[Any] = [*events, *(T0 + timedelta(days=d) for d in advances)]
    rng.shuffle(plan)
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "l.db", p) as store:
        for item in plan:
            if isinstance(item, datetime):
                store.advance(item)
            else:
                store.apply(item)
        states, shared, effects = replay_ledger(store)
        stored = store.states()
        assert {m: s.model_copy(update={"revision": 0}) for m, s in stored.items()} == {
            m: s.model_copy(update={"revision": 0}) for m, s in states.items()}
        assert store.shared_state() == shared
        assert Counter(effect.model_dump_json() for effect in store.effects()) == effects
        assert_budget_kept(store, 2)
