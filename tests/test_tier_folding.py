"""A tier ladder keeps qualifying totals per period, not folded orders (issue 12).

A calendar-year, membership-year or lifetime ladder leaves its orders to the return window:
when they fold, their qualifying spend, orders and points stay in ``TierStatus.folded``, one
entry per period (see ``reciprocity.tiers.folding``). The property test runs a program that
folds against the same program keeping everything, on random ladders and streams over years
with short windows, and advances both for years after the last event: every tier decision,
every other effect and every progress report is the same.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    CalendarYear,
    EventTooOld,
    FoldedTierPeriod,
    History,
    InvalidEvent,
    InvalidState,
    Lifetime,
    Line,
    MembershipYear,
    MemberState,
    MinPoints,
    MinSpend,
    Money,
    MonthsFromQualifying,
    NoExpiry,
    OrderFolded,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    RefusedEvent,
    RestOfPeriodAndNext,
    Return,
    RollingMonths,
    SignUp,
    Tier,
    TierChanged,
    TierLadder,
    UntilEndOfMonth,
    tier_progress,
)
from reciprocity.testing import full_programs, member_streams

T0 = datetime(2025, 1, 6, 10, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
HISTORY = History(return_days=30, event_days=14)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def with_history(program: Program, history: History | None) -> Program:
    data = program.model_dump()
    data["history"] = None if history is None else history.model_dump()
    return Program.model_validate(data)


def ladder(period: Any = None, validity: Any = None, **fields: Any) -> TierLadder:
    tiers = tuple(Tier(id=name.lower(), name=name, requires=MinSpend(amount=eur(spend)))
                  for name, spend in (("Bronze", "1.00"), ("Silver", "350.00"),
                                      ("Gold", "1000.00")))
    extra = {} if validity is None else {"validity": validity}
    return TierLadder(tiers=tiers, period=period or CalendarYear(), **extra, **fields)


def program(tiers: TierLadder, history: History | None = HISTORY) -> Program:
    return Program(name="tiers", currency="EUR", timezone="Europe/Berlin",
                   points=PointScheme(earn=(PointsPerAmount(id="p", points=1,
                                                            per=eur("10.00")),)),
                   tiers=tiers, history=history)


def order(n: int, days: float, amount: str = "40.00", **fields: Any) -> Purchase:
    return Purchase(id=f"A-{n:04}", member_id="m", at=T0 + timedelta(days=days),
                    amount=eur(amount), **fields)


def run(prog: Program, events: list[Any], state: MemberState | None = None
        ) -> tuple[MemberState, list[Any]]:
    effects: list[Any] = []
    for event in events:
        decision = prog.apply(state, event)
        state = MemberState.model_validate_json(decision.state.model_dump_json())
        assert state == decision.state
        effects += decision.effects
    assert state is not None
    return state, effects


def weekly(weeks: int, amount: str = "40.00") -> list[Any]:
    return [order(n, 7 * n, amount) for n in range(weeks)]


# -- examples -------------------------------------------------------------------------------

def test_a_calendar_year_ladder_folds_its_orders_into_year_totals() -> None:
    """Two years of weekly orders: the state keeps the return window's orders and one
    total per year; every tier decision is the keeping program's."""
    folding, keeping = program(ladder()), program(ladder(), None)
    assert folding.history_window() == (45, 14)  # 790 days before totals per period
    events = weekly(104)
    fstate, feffects = run(folding, events)
    kstate, keffects = run(keeping, events)
    assert feffects == keffects
    assert [e for e in feffects if isinstance(e, TierChanged)]
    assert fstate.tier is not None
    assert kstate.tier is not None
    assert fstate.tier.model_dump(exclude={"folded"}) == kstate.tier.model_dump(
        exclude={"folded"})
    assert len(fstate.purchases) <= 9
    years = {period.period: period for period in fstate.tier.folded}
    assert set(years) == {2025, 2026}
    kept = {p.id for p in fstate.purchases}
    for year, period in years.items():
        gone = [p for p in kstate.purchases
                if p.id not in kept and p.at.astimezone(BERLIN).year == year]
        assert period.orders == len(gone)
        assert period.spend == sum((p.amount for p in gone), Decimal(0))
        assert period.through == max(p.at for p in gone)
    at = T0 + timedelta(days=7 * 104)
    assert tier_progress(folding, fstate, at) == tier_progress(keeping, kstate, at)


def test_a_return_of_a_kept_order_adjusts_its_period_and_one_of_a_folded_order_is_refused(
) -> None:
    folding, keeping = program(ladder()), program(ladder(), None)
    events = weekly(60, "70.00")
    fstate, _ = run(folding, events)
    kstate, _ = run(keeping, events)
    back = Return(id="R-1", member_id="m", at=T0 + timedelta(days=7 * 59, hours=1),
                  purchase_id="A-0058", amount=eur("70.00"))
    fdecision, kdecision = folding.apply(fstate, back), keeping.apply(kstate, back)
    assert fdecision.effects == kdecision.effects
    assert fdecision.state.tier == fstate.tier  # the folded periods are untouched
    at = back.at
    before = tier_progress(folding, fstate, at).metrics[0].current
    after = tier_progress(folding, fdecision.state, at)
    assert after == tier_progress(keeping, kdecision.state, at)
    assert after.metrics[0].current == before - eur("70.00")
    old = back.model_copy(update={"id": "R-2", "purchase_id": "A-0001"})
    with pytest.raises(OrderFolded) as caught:
        folding.apply(fstate, old)
    assert caught.value.code == "order-folded"


def test_periods_no_decision_reads_are_dropped() -> None:
    """A tier earned in a year lasts the rest of it and the next: five years of orders
    leave at most two folded years; a tier that never runs out keeps one per year."""
    state, _ = run(program(ladder()), weekly(5 * 52, "20.00"))
    assert state.tier is not None
    assert len(state.tier.folded) <= 2
    assert [p.period for p in state.tier.folded][-1] == 2029
    forever, _ = run(program(ladder(validity=NoExpiry())), weekly(5 * 52, "20.00"))
    assert forever.tier is not None
    assert [p.period for p in forever.tier.folded] == [2025, 2026, 2027, 2028, 2029]
    lifetime, _ = run(program(ladder(Lifetime(), NoExpiry())), weekly(3 * 52, "20.00"))
    assert lifetime.tier is not None
    assert [(p.period, p.orders) for p in lifetime.tier.folded] == [
        (0, 3 * 52 - len(lifetime.purchases))]


def test_excluded_lines_and_points_are_left_out_of_the_totals() -> None:
    """Qualifying spend leaves out excluded categories before it folds; points count per
    requirement."""
    tiers = TierLadder(tiers=(
        Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
        Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("300.00"))
             | MinPoints(points=40))), exclude_categories=("gift-card",))
    folding, keeping = program(tiers), program(tiers, None)
    lines = (Line(sku="tea", category="tea", quantity=1, unit_price=eur("15.00")),
             Line(sku="card", category="gift-card", quantity=1,
                          unit_price=eur("25.00")))
    events = [order(n, 9 * n, lines=lines) for n in range(20)]
    fstate, feffects = run(folding, events)
    kstate, keffects = run(keeping, events)
    assert feffects == keffects
    assert fstate.tier is not None
    (period,) = fstate.tier.folded
    assert period.spend == 15 * period.orders
    assert period.points == (4 * period.orders,)
    at = events[-1].at
    assert tier_progress(folding, fstate, at) == tier_progress(keeping, kstate, at)


def test_folded_periods_round_trip_and_are_checked_on_load() -> None:
    state, _ = run(program(ladder(MembershipYear())), [
        SignUp(id="S", member_id="m", at=T0), *weekly(70)])
    assert state.tier is not None
    assert state.tier.folded
    assert MemberState.model_validate_json(state.model_dump_json()) == state
    assert MemberState.load_trusted(state.model_dump_json()) == state
    data = state.model_dump(mode="json")
    bad = dict(data["tier"]["folded"][0], spend="-1.00")
    with pytest.raises(InvalidState, match="spend"):
        MemberState.model_validate({**data, "tier": {**data["tier"], "folded": [bad]}})
    twice = [data["tier"]["folded"][0]] * 2
    with pytest.raises(InvalidState, match="one entry per period"):
        MemberState.model_validate({**data, "tier": {**data["tier"], "folded": twice}})
    many = dict(data["tier"]["folded"][0], orders=data["folded"]["count"] + 1)
    with pytest.raises(InvalidState, match="orders, more than"):
        MemberState.model_validate({**data, "tier": {**data["tier"], "folded": [many]}})
    later = dict(data["tier"]["folded"][0], through="2999-01-01T00:00:00Z")
    with pytest.raises(InvalidState, match="newest folded order"):
        MemberState.model_validate({**data, "tier": {**data["tier"], "folded": [later]}})
    other = dict(data["tier"]["folded"][0], points=[3])
    wrong = MemberState.model_validate({**data, "tier": {**data["tier"], "folded": [other]}})
    with pytest.raises(InvalidEvent, match="points totals"):
        program(ladder(MembershipYear())).apply(wrong, order(999, 7 * 70))
    assert FoldedTierPeriod(period=2026, through=T0).points == ()


def test_a_rolling_ladder_still_reads_its_orders() -> None:
    rolling = program(ladder(RollingMonths(months=3), MonthsFromQualifying(months=2)))
    assert rolling.history_window() == (14 + 6 * 31 + 1, 14)
    state, _ = run(rolling, weekly(60))
    assert state.tier is not None
    assert state.tier.folded == ()


# -- folding never changes a tier decision --------------------------------------------------

def _outcome(prog: Program, state: MemberState | None, event: Any) -> tuple[Any, Any]:
    try:
        return prog.apply(state, event), None
    except RefusedEvent as exc:
        return None, exc


@st.composite
def tier_cases(draw: st.DrawFn) -> tuple[Program, Program, list[Any]]:
    base = draw(full_programs(tiers=True, shared=False))
    assert base.tiers is not None
    if draw(st.booleans()):  # period ladders most of the time: they are what folds here
        period = draw(st.sampled_from([CalendarYear(), MembershipYear(), Lifetime()]))
        validities: list[Any] = [MonthsFromQualifying(months=2), NoExpiry()]
        if not isinstance(period, Lifetime):
            validities.append(RestOfPeriodAndNext())
        if isinstance(period, CalendarYear):
            validities.append(UntilEndOfMonth(month=3))
        tiers = base.tiers.model_dump()
        tiers.update(period=period.model_dump(),
                     validity=draw(st.sampled_from(validities)).model_dump())
        base = Program.model_validate({**base.model_dump(), "tiers": tiers})
    history = History(return_days=draw(st.integers(0, 20)),
                      complaint_days=draw(st.none() | st.integers(0, 20)),
                      event_days=draw(st.integers(1, 20)))
    events = draw(member_streams(program=base, max_size=40,
                                 start=datetime(2020, 1, 1, tzinfo=UTC),
                                 end=datetime(2025, 1, 1, tzinfo=UTC)))
    return with_history(base, history), with_history(base, None), events


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tier_cases())
def test_folding_never_changes_a_tier_decision(case: tuple[Program, Program, list[Any]]
                                               ) -> None:
    """Every effect and every tier state is the keeping program's, during the stream and
    for three years after it (reviews and downgrades from folded totals), and so is the
    progress report; the folding state round-trips through JSON at every step."""
    folding, keeping = case[0], case[1]
    fstate: MemberState | None = None
    kstate: MemberState | None = None
    for event in case[2]:
        fdecision, ferror = _outcome(folding, fstate, event)
        if isinstance(ferror, OrderFolded | EventTooOld):
            continue
        kdecision, kerror = _outcome(keeping, kstate, event)
        assert type(ferror) is type(kerror), (ferror, kerror)
        if fdecision is None or kdecision is None:
            continue
        assert fdecision.effects == kdecision.effects
        fstate = MemberState.model_validate_json(fdecision.state.model_dump_json())
        assert fstate == fdecision.state
        kstate = kdecision.state
        assert_same_tier(fstate, kstate)
    if fstate is None or kstate is None or fstate.as_of is None:
        return
    when = fstate.as_of
    for _ in range(9):
        when += timedelta(days=125)
        fdecision, kdecision = folding.advance(fstate, when), keeping.advance(kstate, when)
        assert fdecision.effects == kdecision.effects
        fstate, kstate = fdecision.state, kdecision.state
        assert_same_tier(fstate, kstate)
        assert tier_progress(folding, fstate, when) == tier_progress(keeping, kstate, when)


def assert_same_tier(fstate: MemberState, kstate: MemberState) -> None:
    if fstate.tier is None or kstate.tier is None:
        assert fstate.tier == kstate.tier
        return
    assert fstate.tier.model_dump(exclude={"folded"}) == kstate.tier.model_dump(
        exclude={"folded"})
    periods = [period.period for period in fstate.tier.folded]
    assert periods == sorted(set(periods))
    kept = len(fstate.purchases) + sum(period.orders for period in fstate.tier.folded)
    assert kept <= fstate.purchase_count
