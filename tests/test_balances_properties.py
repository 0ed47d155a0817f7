"""Invariants of programs with more than one balance (``Program.balances``): every balance
is conserved through returns, redemptions and time, never negative, equal to the sum of its
effects; status points are never redeemed; a balance never changes the program's own points;
apply is idempotent and replay equals a fold of apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    CalendarCutoff,
    CalendarYear,
    Custom,
    EndOfQuarterAfter,
    FixedLifetime,
    Inactivity,
    Line,
    MemberState,
    MinPoints,
    Money,
    PointScheme,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    ReciprocityError,
    Redemption,
    Return,
    Reward,
    Tier,
    TierLadder,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 5, 10, tzinfo=BERLIN)
EXPIRIES = [None, FixedLifetime(days=20), EndOfQuarterAfter(months=1),
            CalendarCutoff(month=3, day=31, years=1), Inactivity(months=1)]
amounts = st.integers(0, 40_000).map(lambda cents: Decimal(cents) / 100)


@st.composite
def rules(draw: st.DrawFn, ident: str) -> Any:
    if draw(st.booleans()):
        return PointsPerAmount(id=ident, points=draw(st.integers(1, 4)),
                               per=Money(draw(st.sampled_from(["1", "2", "0.5"])), "EUR"),
                               exclude_categories=draw(st.sampled_from([(), ("gift-card",)])))
    return PointsPerPurchase(id=ident, points=draw(st.integers(1, 30)),
                             min_amount=draw(st.none() | amounts.map(lambda a: Money(a, "EUR"))))


@st.composite
def schemes(draw: st.DrawFn, prefix: str, redeemable: bool) -> PointScheme:
    rewards = (Reward(id=f"{prefix}-v", name="voucher", points=draw(st.integers(5, 80)),
                      value=Money("5.00", "EUR"), auto_issue=draw(st.booleans())),
               ) if redeemable else ()
    return PointScheme(
        earn=(draw(rules(f"{prefix}-earn")),),
        events=(PointsForEvent(id=f"{prefix}-flight", on="custom", name="flight",
                               points_from=f"{prefix}_miles", min_points=1,
                               max_points=5_000),),
        rewards=rewards, redeemable=redeemable,
        pending_days=draw(st.sampled_from([0, 14])),
        expiry=draw(st.sampled_from(EXPIRIES)),
        clawback=draw(st.sampled_from(["debt", "absorb"])),
    )


@st.composite
def programs(draw: st.DrawFn) -> Program:
    tiered = draw(st.booleans())
    return Program(
        name="P", currency="EUR", timezone="Europe/Berlin",
        points=draw(schemes("own", True)),
        balances={"award": draw(schemes("award", True)),
                  "status": draw(schemes("status", False))},
        tiers=TierLadder(tiers=(Tier(id="t", name="T", requires=MinPoints(
            points=draw(st.integers(1, 500)), balance="status")),),
            period=CalendarYear()) if tiered else None,
    )


@st.composite
def streams(draw: st.DrawFn) -> list[Any]:
    events: list[Any] = []
    at = T0
    bought: list[str] = []
    for index in range(draw(st.integers(1, 12))):
        at += timedelta(hours=draw(st.integers(0, 24 * 20)))
        kind = draw(st.sampled_from(["buy", "buy", "return", "redeem", "flight"]))
        if kind == "buy" or (kind == "return" and not bought):
            lines = draw(st.lists(st.builds(
                Line, sku=st.sampled_from(["A", "B"]),
                category=st.sampled_from(["fare", "gift-card"]), quantity=st.integers(1, 3),
                unit_price=st.integers(1, 9000).map(lambda c: Money(Decimal(c) / 100, "EUR"))),
                max_size=2, unique_by=lambda line: line.sku))
            total = sum((line.total.amount for line in lines), Decimal(0))
            events.append(Purchase(id=f"O{index}", member_id="m", at=at, lines=tuple(lines),
                                   amount=Money(total if lines else draw(amounts), "EUR")))
            bought.append(f"O{index}")
        elif kind == "return":
            events.append(Return(id=f"R{index}", member_id="m", at=at,
                                 purchase_id=draw(st.sampled_from(bought)),
                                 amount=draw(st.none() | st.just(Money("1.00", "EUR")))))
        elif kind == "redeem":
            events.append(Redemption(id=f"V{index}", member_id="m", at=at,
                                     reward_id=draw(st.sampled_from(["own-v", "award-v"]))))
        else:
            events.append(Custom(id=f"F{index}", member_id="m", at=at, name="flight",
                                 payload={"own_miles": draw(st.integers(1, 900)),
                                          "award_miles": draw(st.integers(1, 900)),
                                          "status_miles": draw(st.integers(1, 900))}))
    return events


def fold(program: Program, events: list[Any], state: MemberState | None = None,
         ) -> tuple[MemberState | None, list[Any]]:
    effects: list[Any] = []
    for event in events:
        try:
            decision = program.apply(state, event)
        except ReciprocityError:
            continue
        state = decision.state
        effects += decision.effects
    return state, effects


def parts(state: MemberState) -> dict[str | None, Any]:
    """Every balance of a state: ``None`` for the program's own (a state has the same
    fields), then each named one."""
    return {None: state, **(state.balances or {})}


def check(state: MemberState, effects: list[Any]) -> None:
    for name, part in parts(state).items():
        assert part.points_earned == (part.available_points + part.pending_points
                                      + part.points_redeemed + part.points_expired
                                      + part.points_revoked), name
        assert part.available_points >= 0, name
        assert part.debt >= 0, name
        assert all(lot.remaining >= 0 for lot in part.lots), name
        delta = (sum(e.points_delta for e in effects) if name is None  # the program's own
                 else sum(e.balance_delta for e in effects
                          if getattr(e, "balance", None) == name))
        assert delta == part.available_points, name
    status = (state.balances or {}).get("status")
    assert status is None or status.points_redeemed == 0
    assert not [e for e in effects if e.type in ("points_redeemed", "voucher_issued")
                and getattr(e, "balance", None) == "status"]


@settings(max_examples=120, deadline=None)
@given(programs(), streams(), st.integers(0, 400))
def test_every_balance_is_conserved_never_negative_and_the_sum_of_its_effects(
        program: Program, events: list[Any], days: int) -> None:
    """For each balance: earned = available + pending + redeemed + expired + revoked,
    available and debt never negative, available = the sum of its effects' points_delta;
    status points are never redeemed, after every event and after advancing."""
    state: MemberState | None = None
    effects: list[Any] = []
    for event in events:
        try:
            decision = program.apply(state, event)
        except ReciprocityError:
            continue
        state = decision.state
        effects += decision.effects
        check(state, effects)
    if state is not None:
        later = program.advance(state, T0 + timedelta(days=days + 400))
        check(later.state, effects + list(later.effects))


@settings(max_examples=80, deadline=None)
@given(programs(), streams())
def test_a_balance_never_changes_the_programs_own_points(program: Program,
                                                         events: list[Any]) -> None:
    """The program's own points, effects and vouchers are what the same program without
    its other balances (and without a tier that reads them) gives."""
    alone = program.model_copy(update={"balances": {}, "tiers": None})
    alone = Program.model_validate(alone.model_dump())
    state, effects = fold(program, events)
    single, single_effects = fold(alone, events)
    if state is None or single is None:
        assert state is None
        assert single is None
        return
    # A redemption of the award balance's reward is refused without it, so the state's time
    # may differ: bring both to the same time (what falls due is the same either way).
    until = max(e.at for e in events) + timedelta(seconds=1)
    later, alone_later = program.advance(state, until), alone.advance(single, until)
    state, single = later.state, alone_later.state
    effects += later.effects
    single_effects += alone_later.effects
    own = ("lots", "pooled_points", "debt", "points_earned", "points_redeemed",
           "points_expired", "points_revoked", "earn_counters", "last_activity_at")
    assert {k: getattr(state, k) for k in own} == {k: getattr(single, k) for k in own}
    assert [v for v in state.vouchers if v.reward_id == "own-v"] == list(single.vouchers)
    points = [e.model_dump() for e in effects if e.type.startswith(("points_", "voucher_"))
              and getattr(e, "balance", None) is None]
    alone_points = [e.model_dump() for e in single_effects
                    if e.type.startswith(("points_", "voucher_"))]
    assert points == alone_points


@settings(max_examples=60, deadline=None)
@given(programs(), streams())
def test_applying_an_event_again_changes_nothing(program: Program, events: list[Any]) -> None:
    """Every event applied a second time is a no-op: the same state, no effects."""
    state: MemberState | None = None
    for event in events:
        try:
            state = program.apply(state, event).state
        except ReciprocityError:
            continue
        again = program.apply(state, event)
        assert again.state == state
        assert again.effects == ()


@settings(max_examples=60, deadline=None)
@given(programs(), streams())
def test_replay_equals_fold_of_apply_and_states_round_trip(program: Program,
                                                           events: list[Any]) -> None:
    """Replay gives the states and effects of applying one event at a time; each state
    round-trips through JSON (checked and trusted loading) unchanged."""
    state, effects = fold(program, sorted(events, key=lambda e: (e.at, e.id)))
    replay = program.replay(events, errors="skip")
    if state is None:
        return
    assert replay.states["m"] == state
    assert [e.model_dump() for e in replay.effects()] == [e.model_dump() for e in effects]
    text = state.model_dump_json()
    assert MemberState.model_validate_json(text) == state
    assert MemberState.load_trusted(text) == state
    assert MemberState.model_validate_json(text).model_dump_json() == text
