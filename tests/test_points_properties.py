"""Invariants of point schemes, for every earning, expiry and clawback mode."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import permutations
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    CalendarCutoff,
    CampaignMultiplier,
    CategoryMultiplier,
    During,
    EndOfMonthAfter,
    FixedLifetime,
    Inactivity,
    Line,
    MemberState,
    Money,
    PointsAsCurrency,
    PointsCap,
    PointScheme,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    ReciprocityError,
    Redemption,
    Return,
    Reward,
    Rounding,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 5, 10, tzinfo=BERLIN)
CATEGORIES = ("food", "books", "gift-card")

amounts = st.integers(0, 40_000).map(lambda cents: Decimal(cents) / 100)
roundings = st.sampled_from(list(Rounding))


@st.composite
def earn_rules(draw: st.DrawFn) -> Any:
    multipliers = draw(st.lists(st.sampled_from([
        CampaignMultiplier(name="promo", factor=Decimal("2"),
                           when=During(start=T0, end=T0 + timedelta(days=10))),
        CategoryMultiplier(categories=("books",), factor=Decimal("1.5")),
    ]), max_size=2, unique_by=lambda m: m.type))
    caps = draw(st.lists(st.builds(PointsCap, points=st.integers(0, 300),
                                   per=st.sampled_from(["order", "day", "month"])),
                         max_size=2))
    common = {"multipliers": tuple(multipliers), "caps": tuple(caps),
              "rounding": draw(roundings),
              "stacking": draw(st.sampled_from(["multiply", "add", "best"]))}
    if draw(st.booleans()):
        return PointsPerAmount(id="amount", per=Money(draw(st.sampled_from(["1", "2", "0.5"])),
                                                      "EUR"),
                               points=draw(st.integers(1, 3) | st.sampled_from(
                                   [Decimal("1.5"), Decimal("0.25"), Decimal("2.75")])),
                               rounding_order=draw(st.sampled_from(["once", "amount_first"])),
                               exclude_categories=draw(st.sampled_from([(), ("gift-card",)])),
                               clawback_rounding=draw(roundings), **common)
    return PointsPerPurchase(id="order", points=draw(st.integers(1, 20)),
                             min_amount=draw(st.none() | amounts.map(lambda a: Money(a, "EUR"))),
                             inclusive=draw(st.booleans()), **common)


@st.composite
def schemes(draw: st.DrawFn) -> PointScheme:
    return PointScheme(
        earn=tuple(draw(st.lists(earn_rules(), min_size=1, max_size=2,
                                 unique_by=lambda r: r.type))),
        rewards=(Reward(id="v", name="voucher", points=draw(st.integers(5, 60)),
                        value=Money("5.00", "EUR"), auto_issue=draw(st.booleans())),
                 PointsAsCurrency(id="pay", name="points payment",
                                  point_value=Money("0.01", "EUR"), min_points=10)),
        pending_days=draw(st.sampled_from([0, 14])),
        release_on=draw(st.sampled_from([None, "delivered"])),
        expiry=draw(st.sampled_from([None, FixedLifetime(days=20), EndOfMonthAfter(months=1),
                                     CalendarCutoff(month=3, day=31, years=1),
                                     Inactivity(months=1)])),
        redemption_order=draw(st.sampled_from(["fifo", "lifo"])),
        clawback=draw(st.sampled_from(["debt", "absorb"])),
    )


def programs() -> st.SearchStrategy[Program]:
    return schemes().map(lambda s: Program(name="P", currency="EUR", timezone="Europe/Berlin",
                                           points=s))


@st.composite
def orders(draw: st.DrawFn, ident: str, at: datetime) -> Purchase:
    lines = draw(st.lists(st.builds(
        Line, sku=st.sampled_from(["A", "B", "C"]), category=st.sampled_from(CATEGORIES),
        quantity=st.integers(1, 3),
        unit_price=st.integers(1, 9000).map(lambda c: Money(Decimal(c) / 100, "EUR"))),
        max_size=3, unique_by=lambda line: line.sku))
    total = sum((line.total.amount for line in lines), Decimal(0))
    amount = total if lines else draw(amounts)
    return Purchase(id=ident, member_id="m", at=at, amount=Money(amount, "EUR"),
                    lines=tuple(lines))


@st.composite
def streams(draw: st.DrawFn) -> list[Any]:
    events: list[Any] = []
    at = T0
    bought: list[str] = []
    for index in range(draw(st.integers(1, 12))):
        at += timedelta(hours=draw(st.integers(0, 24 * 20)))
        kind = draw(st.sampled_from(["buy", "buy", "return", "redeem", "pay"]))
        if kind == "buy" or not bought:
            events.append(draw(orders(f"O{index}", at)))
            bought.append(f"O{index}")
        elif kind == "return":
            events.append(Return(id=f"R{index}", member_id="m", at=at,
                                 purchase_id=draw(st.sampled_from(bought)),
                                 amount=draw(st.none() | st.just(Money("1.00", "EUR")))))
        elif kind == "redeem":
            events.append(Redemption(id=f"V{index}", member_id="m", at=at, reward_id="v"))
        else:
            events.append(Redemption(id=f"V{index}", member_id="m", at=at, reward_id="pay",
                                     points=draw(st.integers(10, 100))))
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


def conserved(state: MemberState) -> bool:
    return state.points_earned == (state.available_points + state.pending_points
                                   + state.points_redeemed + state.points_expired
                                   + state.points_revoked)


@settings(max_examples=150, deadline=None)
@given(programs(), streams(), st.integers(0, 400))
def test_points_are_conserved_and_never_negative(program: Program, events: list[Any],
                                                 days: int) -> None:
    """earned = available + pending + redeemed + expired + revoked, at every step."""
    state: MemberState | None = None
    for event in events:
        try:
            state = program.apply(state, event).state
        except ReciprocityError:
            continue
        assert conserved(state)
        assert state.available_points >= 0
        assert state.debt >= 0
        assert all(lot.remaining >= 0 for lot in state.lots)
    if state is not None:
        later = program.advance(state, T0 + timedelta(days=days + 400)).state
        assert conserved(later)


@settings(max_examples=150, deadline=None)
@given(programs(), streams(), st.data())
def test_buy_and_return_never_profits(program: Program, events: list[Any],
                                      data: st.DataObject) -> None:
    """A purchase and its full return leave no more points and no more vouchers."""
    state, _ = fold(program, events)
    if state is None:
        return
    at = (state.as_of or T0) + timedelta(hours=data.draw(st.integers(0, 24 * 30)))
    state = program.advance(state, at).state  # the same instant, without the order
    order = data.draw(orders("X", at))
    back = Return(id="XR", member_id="m", at=at + timedelta(minutes=1), purchase_id="X")
    after, _ = fold(program, [order, back], state)
    assert after is not None
    assert after.balance + after.pending_points <= state.balance + state.pending_points
    assert len(after.vouchers) <= len(state.vouchers)
    assert after.points_redeemed <= state.points_redeemed


@settings(deadline=None)
@given(unit=st.sampled_from(["1.11", "0.10", "0.03", "0.07"]), rate=st.sampled_from([3, 7, 9]),
       count=st.integers(1, 100_000), rounding=roundings,
       order=st.sampled_from(["once", "amount_first"]))
def test_a_whole_result_is_earned_whole(unit: str, rate: int, count: int, rounding: Rounding,
                                        order: str) -> None:
    """``rate`` points per ``rate`` x ``unit``: ``count`` x ``unit`` earns exactly ``count``
    points in any rounding mode, though ``count / rate`` (the amount over ``per``) has no
    end in decimals (one division rounded to 28 digits, then multiplied, gave one point less
    rounding down). Rounding the amount to whole ``per`` first earns ``count // rate`` whole
    units' worth, exactly too."""
    per = Decimal(unit) * rate
    rule = PointsPerAmount(id="r", per=Money(per, "EUR"), points=rate, rounding=rounding,
                           rounding_order=order)  # type: ignore[arg-type]
    program = Program(name="P", currency="EUR", points=PointScheme(earn=(rule,)))
    state = program.apply(None, Purchase(id="A", member_id="m", at=T0,
                                         amount=Money(Decimal(unit) * count, "EUR"))).state
    whole_units = rounding.to_int(Decimal(count) / rate) if order == "amount_first" else None
    assert state.available_points == (count if whole_units is None else whole_units * rate)


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, st.sampled_from(["1", "2", "0.5", "3.33"]), st.integers(1, 5))
def test_splitting_per_amount_orders_never_earns_more(a: Decimal, b: Decimal, per: str,
                                                      points: int) -> None:
    """Per-amount rules rounding down: two orders never earn more than one merged order."""
    program = Program(name="P", points=PointScheme(earn=[
        PointsPerAmount(id="r", per=Money(per, "EUR"), points=points)]))
    split, _ = fold(program, [Purchase(id="1", member_id="m", at=T0, amount=Money(a, "EUR")),
                              Purchase(id="2", member_id="m", at=T0, amount=Money(b, "EUR"))])
    merged, _ = fold(program, [Purchase(id="1", member_id="m", at=T0,
                                        amount=Money(a + b, "EUR"))])
    assert split is not None
    assert merged is not None
    assert split.available_points <= merged.available_points


@settings(max_examples=60, deadline=None)
@given(programs(), st.lists(amounts, min_size=2, max_size=3))
def test_same_instant_order_does_not_matter(program: Program, values: list[Decimal]) -> None:
    """Purchases at one instant give the same totals in any order of application; the
    very same state unless caps or auto-issued vouchers attribute something to whichever
    order came first (replay sorts by (at, id), so it is always deterministic)."""
    events = [Purchase(id=f"P{i}", member_id="m", at=T0, amount=Money(v, "EUR"))
              for i, v in enumerate(values)]
    results = set()
    for order in permutations(events):
        state, _ = fold(program, list(order))
        assert state is not None
        results.add((state.available_points, state.pending_points, state.points_earned,
                     len(state.vouchers)))
        attributed = any(rule.caps for rule in program.points.earn) or any(
            isinstance(r, Reward) and r.auto_issue for r in program.points.rewards)
        if not attributed:
            results.add(state.model_dump_json())
    assert len(results) <= 2


@settings(max_examples=80, deadline=None)
@given(programs(), streams())
def test_replay_equals_fold_of_apply(program: Program, events: list[Any]) -> None:
    """Replay gives the state and effects that applying one event at a time, in the
    documented (at, id) order, gives."""
    state, effects = fold(program, sorted(events, key=lambda e: (e.at, e.id)))
    replay = program.replay(events, errors="skip")
    if state is None:
        return
    replayed = replay.states["m"].model_dump()
    folded = state.model_dump()
    assert {k: v for k, v in replayed.items() if folded[k] != v} == {
        k: v for k, v in folded.items() if replayed[k] != v}
    assert [e.model_dump() for e in replay.effects()] == [e.model_dump() for e in effects]


@settings(deadline=None)
@given(amount=amounts, rate=st.integers(1, 400).map(lambda q: Decimal(q) / 100),
       per=st.sampled_from(["1.00", "2.00", "0.50", "10.00", "3.33", "0.30", "7.00"]),
       rounding=roundings)
def test_a_rate_on_the_exact_amount_is_rounded_once(amount: Decimal, rate: Decimal, per: str,
                                                    rounding: Rounding) -> None:
    """With ``rounding_order="once"`` the points are the exact product amount / per x rate,
    rounded once with the rule's mode (computed here with fractions); the default order is
    that one, and more money never earns fewer points."""
    from fractions import Fraction

    rule = PointsPerAmount(id="r", per=Money(per, "EUR"), points=rate, rounding=rounding)
    assert rule.rounding_order == "once"
    program = Program(name="P", currency="EUR", points=PointScheme(earn=(rule,)))

    def earned(value: Decimal) -> int:
        state = program.apply(None, Purchase(id="A", member_id="m", at=T0,
                                             amount=Money(value, "EUR"))).state
        return state.available_points

    exact = Fraction(amount) / Fraction(Decimal(per)) * Fraction(rate)
    expected = rounding.to_int(Decimal(exact.numerator) / Decimal(exact.denominator))
    assert earned(amount) == expected
    assert earned(amount + Decimal("0.01")) >= earned(amount)
