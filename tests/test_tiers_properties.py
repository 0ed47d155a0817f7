"""Laws of tier ladders: monotone in spend, a pure function of history and clock, returns exact."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    CalendarYear,
    Downgrade,
    Event,
    Lifetime,
    MembershipYear,
    MemberState,
    MinOrders,
    MinPoints,
    MinSpend,
    Money,
    MonthsFromQualifying,
    NoExpiry,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    Return,
    RollingMonths,
    SignUp,
    Tier,
    TierChanged,
    TierGraceStarted,
    TierLadder,
    tier_progress,
)

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 12, 31, 23, tzinfo=UTC)
"""Midnight of 1 January 2026 in Berlin. Events are in UTC so that no generated time falls in
a DST gap or fold: Python never finds such times equal to their JSON round trip."""
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Examples per test come from the hypothesis profile (``HYPOTHESIS_PROFILE=deep`` searches
ten times longer; see ``tests/conftest.py``)."""


def eur(amount: str | int | Decimal) -> Money:
    return Money(amount, "EUR")


TIERS = (
    Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
    Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("350.00")) | MinOrders(count=6)),
    Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("1000.00")) & MinOrders(count=3)),
)
POINT_TIERS = (
    Tier(id="bronze", name="Bronze", requires=MinOrders(count=1)),
    Tier(id="silver", name="Silver", requires=MinPoints(points=40) | MinSpend(amount=eur("350"))),
    Tier(id="gold", name="Gold", requires=MinPoints(points=100) & MinOrders(count=3)),
)
LADDERS: dict[str, dict[str, Any]] = {
    "calendar": {},
    "calendar-grace-one-step": {"downgrade": Downgrade(to="one_step", grace_months=2)},
    "calendar-months": {"validity": MonthsFromQualifying(months=6),
                        "downgrade": Downgrade(grace_days=20)},
    "membership-floor": {"period": MembershipYear(), "downgrade": Downgrade(floor="silver")},
    "rolling": {"period": RollingMonths(months=12), "validity": MonthsFromQualifying(months=12)},
    "rolling-short-grace": {"period": RollingMonths(months=6),
                            "validity": MonthsFromQualifying(months=3),
                            "downgrade": Downgrade(grace_months=1, to="one_step")},
    "lifetime-months": {"period": Lifetime(), "validity": MonthsFromQualifying(months=12)},
    "lifetime-forever": {"period": Lifetime(), "validity": NoExpiry()},
    "calendar-on-return": {"downgrade": Downgrade(on_return=True, to="one_step")},
}


def build(name: str, tiers: tuple[Tier, ...] = TIERS, **extra: Any) -> Program:
    return Program(name="Props", currency="EUR", timezone="Europe/Berlin",
                   points=PointScheme(earn=(PointsPerAmount(id="base", per=eur("10.00")),)),
                   tiers=TierLadder(tiers=tiers, **{**LADDERS[name], **extra}))


PROGRAMS = {name: build(name) for name in LADDERS}
POINT_PROGRAMS = {name: build(name, POINT_TIERS) for name in LADDERS}

_MINUTES = 60 * 24 * 365 * 3


@st.composite
def histories(draw: st.DrawFn, max_purchases: int = 12) -> dict[str, Any]:
    """Purchases (minute offset, cents) and returns (purchase index, cents, delay minutes)."""
    purchases = draw(st.lists(st.tuples(st.integers(0, _MINUTES), st.integers(0, 120_000)),
                              min_size=1, max_size=max_purchases))
    purchases.sort()
    returns = []
    for index, (_, cents) in enumerate(purchases):
        if cents and draw(st.integers(0, 3)) == 0:
            returns.append((index, draw(st.integers(1, cents)),
                            draw(st.integers(60, 60 * 24 * 400))))
    signup = draw(st.none() | st.integers(0, _MINUTES))
    return {"purchases": purchases, "returns": returns, "signup": signup}


def events_of(history: dict[str, Any], bumps: list[int] | None = None,
              extra: list[tuple[int, int]] = ()) -> list[Event]:  # type: ignore[assignment]
    events: list[Event] = []
    for index, (minute, cents) in enumerate(history["purchases"]):
        cents += bumps[index] if bumps else 0
        events.append(Purchase(id=f"A-{index:02d}", member_id="m-1",
                               at=START + timedelta(minutes=minute),
                               amount=eur(Decimal(cents).scaleb(-2))))
    for index, (minute, cents) in enumerate(extra):
        events.append(Purchase(id=f"E-{index:02d}", member_id="m-1",
                               at=START + timedelta(minutes=minute),
                               amount=eur(Decimal(cents).scaleb(-2))))
    for index, cents, delay in history["returns"]:
        minute = history["purchases"][index][0] + delay
        events.append(Return(id=f"X-{index:02d}", member_id="m-1",
                             at=START + timedelta(minutes=minute), purchase_id=f"A-{index:02d}",
                             amount=eur(Decimal(cents).scaleb(-2))))
    if history["signup"] is not None:
        events.append(SignUp(id="S-0", member_id="m-1",
                             at=START + timedelta(minutes=history["signup"])))
    events.sort(key=lambda event: (event.at, event.id))
    return events


def level(program: Program, state: MemberState | None) -> int:
    if state is None or state.tier is None or state.tier.tier_id is None:
        return -1
    assert program.tiers is not None
    return program.tiers.index(state.tier.tier_id)


def tier_at(program: Program, events: list[Event], when: datetime) -> int:
    replay = program.replay([e for e in events if e.at <= when], until=when)
    return level(program, replay.states.get("m-1"))


def tier_effects(effects: Any) -> list[tuple[Any, ...]]:
    out = []
    for effect in effects:
        if isinstance(effect, TierChanged):
            out.append((effect.at, effect.change, effect.from_tier, effect.to_tier,
                        effect.valid_until, effect.reason))
        elif isinstance(effect, TierGraceStarted):
            out.append((effect.at, "grace", effect.tier_id, effect.grace_until, effect.reason))
    return out


class TestMonotonicity:
    """More spend never yields a lower tier at the same time."""

    @SETTINGS
    @given(name=st.sampled_from(sorted(LADDERS)), history=histories(), data=st.data())
    def test_more_spend_never_lower(self, name: str, history: dict[str, Any],
                                    data: st.DataObject) -> None:
        """Bigger amounts and extra orders, same returns: at every time, the same tier or higher.

        Membership years compare members who joined on the same day: an earlier first order
        would start the membership year (and end its tiers) earlier, by design.
        """
        program = PROGRAMS[name]
        if name.startswith("membership"):
            history = {**history, "signup": -60 * 24}
        count = len(history["purchases"])
        bumps = data.draw(st.lists(st.integers(0, 80_000), min_size=count, max_size=count))
        extra = data.draw(st.lists(st.tuples(st.integers(0, _MINUTES), st.integers(0, 80_000)),
                                   max_size=3))
        times = data.draw(st.lists(st.integers(0, _MINUTES + 60 * 24 * 800), min_size=1,
                                   max_size=4))
        smaller = events_of(history)
        bigger = events_of(history, bumps, extra)
        for minute in times:
            when = START + timedelta(minutes=minute)
            assert tier_at(program, bigger, when) >= tier_at(program, smaller, when), when


class TestPurity:
    """The tier is a pure function of the history and the clock."""

    @SETTINGS
    @given(name=st.sampled_from(sorted(LADDERS)), points=st.booleans(), history=histories(),
           data=st.data())
    def test_any_way_of_applying_gives_the_same(self, name: str, points: bool,
                                                history: dict[str, Any],
                                                data: st.DataObject) -> None:
        """Replay, a fold of apply with advances between events and JSON round trips agree."""
        program = (POINT_PROGRAMS if points else PROGRAMS)[name]
        events = events_of(history)
        end = events[-1].at + timedelta(days=data.draw(st.integers(0, 1500)))
        replay = program.replay(events, until=end)
        expected_state = replay.states["m-1"]
        expected_effects = tier_effects(replay.effects())
        state: MemberState | None = None
        effects: list[Any] = []
        previous = None
        for event in events:
            if state is not None and previous is not None and previous < event.at \
                    and data.draw(st.booleans()):
                gap = (event.at - previous).total_seconds()
                fraction = data.draw(st.integers(1, 99))
                step = program.advance(state, previous + timedelta(seconds=gap * fraction / 100))
                state = step.state
                effects += step.effects
            if state is not None and data.draw(st.booleans()):
                state = MemberState.model_validate_json(state.model_dump_json())
            decision = program.apply(state, event)
            state, previous = decision.state, event.at
            effects += decision.effects
        assert state is not None
        final = program.advance(state, end)
        effects += final.effects
        # The advances between events are changes of their own: only the revision differs.
        assert final.state.revision >= expected_state.revision
        assert final.state.model_copy(update={"revision": expected_state.revision}) \
            == expected_state
        assert tier_effects(effects) == expected_effects
        again = program.replay(events, until=end)
        assert again.states["m-1"] == expected_state


class TestReturnsBeforeReview:
    """Returns before a review reduce qualification by exactly their amount."""

    @SETTINGS
    @given(purchases=st.lists(st.tuples(st.integers(0, 60 * 24 * 364), st.integers(0, 18_000)),
                              max_size=8),
           data=st.data())
    def test_review_sees_net_spend(self, purchases: list[tuple[int, int]],
                                   data: st.DataObject) -> None:
        """The 1 January review gives the tier of 2026 orders less the returns made before it."""
        tiers = (Tier(id="t1", requires=MinSpend(amount=eur("100"))),
                 Tier(id="t2", requires=MinSpend(amount=eur("500"))),
                 Tier(id="t3", requires=MinSpend(amount=eur("1500"))))
        program = Program(name="Net", currency="EUR", timezone="Europe/Berlin",
                          tiers=TierLadder(tiers=tiers))
        review = datetime(2026, 12, 31, 23, tzinfo=UTC)  # 1 January 2027, Berlin
        # t3 from 2025, valid until the review; 2026 can never reach t3 again (at most 1440).
        events: list[Event] = [Purchase(id="SEED", member_id="m-1", at=review.replace(year=2025)
                                        - timedelta(days=200), amount=eur("2000.00"))]
        kept = Decimal(0)
        for index, (minute, cents) in enumerate(sorted(purchases)):
            at = START + timedelta(minutes=minute)
            events.append(Purchase(id=f"A-{index}", member_id="m-1", at=at,
                                   amount=eur(Decimal(cents).scaleb(-2))))
            kept += Decimal(cents).scaleb(-2)
            if cents and data.draw(st.booleans()):
                back = Decimal(data.draw(st.integers(1, cents))).scaleb(-2)
                when = at + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 400)))
                events.append(Return(id=f"X-{index}", member_id="m-1", at=when,
                                     purchase_id=f"A-{index}", amount=eur(back)))
                if when < review:
                    kept -= back
        events.sort(key=lambda event: (event.at, event.id))
        expected = max((i for i, tier in enumerate(tiers)
                        if kept >= tier.requires.amount.amount),  # type: ignore[union-attr]
                       default=-1)
        assert tier_at(program, events, review + timedelta(minutes=1)) == expected

    @SETTINGS
    @given(history=histories(), data=st.data())
    def test_progress_counts_net_spend_of_the_year(self, history: dict[str, Any],
                                                   data: st.DataObject) -> None:
        """The spend a calendar year counts is its orders less every return made so far."""
        tiers = (Tier(id="t1", requires=MinSpend(amount=eur("1"))),
                 Tier(id="top", requires=MinSpend(amount=eur("1000000000"))))
        program = Program(name="Net", currency="EUR", timezone="Europe/Berlin",
                          tiers=TierLadder(tiers=tiers, period=CalendarYear()))
        events = events_of(history)
        when = START + timedelta(minutes=data.draw(st.integers(0, _MINUTES + 60 * 24 * 500)))
        applied = [e for e in events if e.at <= when]
        if not applied:
            return
        state = program.replay(applied).states["m-1"]
        progress = tier_progress(program, state, when)
        year = when.astimezone(BERLIN).year
        bought = {f"A-{i:02d}": cents for i, (minute, cents) in enumerate(history["purchases"])
                  if (START + timedelta(minutes=minute)).astimezone(BERLIN).year == year
                  and START + timedelta(minutes=minute) <= when}
        returned = sum(c for i, c, delay in history["returns"]
                       if f"A-{i:02d}" in bought
                       and START + timedelta(minutes=history["purchases"][i][0] + delay) <= when)
        expected = eur((Decimal(sum(bought.values())) - returned).scaleb(-2))
        gaps = [gap for option in progress.missing for gap in option if gap.metric == "spend"]
        assert gaps[0].have == expected


def _level_of(spend: Decimal, orders: int) -> int:
    """TIERS evaluated by hand: an oracle independent of the compiled requirement."""
    if spend >= 1000 and orders >= 3:
        return 2
    if spend >= 350 or orders >= 6:
        return 1
    return 0 if spend >= 1 else -1


class TestAgainstOracle:
    """Without returns, the tier equals what the definitions say, computed naively."""

    @SETTINGS
    @given(history=histories(), data=st.data())
    def test_calendar_year(self, history: dict[str, Any], data: st.DataObject) -> None:
        """Tier = the best of last year's total and this year's total so far."""
        history = {**history, "returns": []}
        events = events_of(history)
        when = START + timedelta(minutes=data.draw(st.integers(0, _MINUTES + 60 * 24 * 800)))
        year = when.astimezone(BERLIN).year
        bought = [(START + timedelta(minutes=m), Decimal(c).scaleb(-2))
                  for m, c in history["purchases"]]

        def level_in(y: int) -> int:
            chosen = [a for t, a in bought if t.astimezone(BERLIN).year == y and t <= when]
            return _level_of(sum(chosen, Decimal(0)), len(chosen))

        assert tier_at(PROGRAMS["calendar"], events, when) == max(level_in(year - 1),
                                                                  level_in(year))

    @SETTINGS
    @given(history=histories(), data=st.data())
    def test_rolling_window(self, history: dict[str, Any], data: st.DataObject) -> None:
        """Tier = the best window of an order in the last 12 months (each window 12 months)."""
        from dateutil.relativedelta import relativedelta

        history = {**history, "returns": []}
        events = events_of(history)
        when = START + timedelta(minutes=data.draw(st.integers(0, _MINUTES + 60 * 24 * 800)))
        bought = [(START + timedelta(minutes=m), f"A-{i:02d}", Decimal(c).scaleb(-2))
                  for i, (m, c) in enumerate(history["purchases"])]
        year = relativedelta(months=12)
        best = -1
        for at, pid, _ in bought:
            if at > when or at.astimezone(BERLIN) + year <= when:
                continue
            window = [a for t, q, a in bought
                      if at.astimezone(BERLIN) - year < t and (t, q) <= (at, pid)]
            best = max(best, _level_of(sum(window, Decimal(0)), len(window)))
        assert tier_at(PROGRAMS["rolling"], events, when) == best
