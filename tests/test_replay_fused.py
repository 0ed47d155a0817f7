"""Replays of programs with several families: the fused purchase step equals ``apply``.

Purchases run as one compiled step (points, then the tier ladder, gifts and goodwill), with
reasons written only when an effect is built. These tests replay a year of a synthetic shop
(some orders with lines, returns, sign-ups, redemptions) through programs that use every
compiled path, and compare with the fold of ``apply``, event by event.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from reciprocity import (
    Budget,
    CampaignMultiplier,
    CategoryGift,
    CategoryMultiplier,
    CategorySample,
    ChannelIs,
    Event,
    FirstOrderGift,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    Line,
    MemberState,
    MinSpend,
    Money,
    NthOrderGift,
    OrderOverGift,
    Period,
    PointsCap,
    PointScheme,
    PointsCompensation,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    RefusedEvent,
    Reward,
    SharedState,
    ThankYouGift,
    Tier,
    TierBenefits,
    TierGift,
    TierLadder,
    TierMultiplier,
    synthetic_shop,
)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def gift(gid: str, value: str, kind: Any = "sample") -> Gift:
    return Gift(id=gid, name=gid.replace("-", " "), kind=kind, value=eur(value))


SCHEME = PointScheme(
    earn=(
        PointsPerPurchase(id="over-50", points=2, min_amount=eur("50.00"), multipliers=(
            TierMultiplier(),
            CampaignMultiplier(name="web week", factor=Decimal("1.5"),
                               when=ChannelIs(channels=("web",)))),
            caps=(PointsCap(points=6, per="month"),)),
        PointsPerAmount(id="per-10", per=eur("10.00"), multipliers=(
            TierMultiplier(), CategoryMultiplier(categories=("tea",), factor=Decimal(2)))),
    ),
    rewards=(Reward(id="voucher-10", name="10 EUR voucher", points=10, value=eur("10.00")),),
)
LADDER = TierLadder(tiers=(
    Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
    Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("300.00")),
         benefits=TierBenefits(points_multiplier=Decimal("1.5"))),
    Tier(id="gold", name="Gold", requires=MinSpend(amount=eur("900.00")),
         benefits=TierBenefits(points_multiplier=Decimal(2))),
))
ORDER_GIFTS = (
    FirstOrderGift(id="first", gift=gift("tea-mug", "8.00", "physical")),
    NthOrderGift(id="every-3rd", every=3, gift=gift("sample-box", "4.00")),
    OrderOverGift(id="over-80", amount=eur("80.00"), gift=gift("tea-sample", "2.50")),
    CategoryGift(id="samples", samples=(
        CategorySample(category="tea", gift=gift("tea-taster", "2.00")),
        CategorySample(category="coffee", gift=gift("coffee-taster", "2.00")))),
    ThankYouGift(id="thanks", per=Period.MONTH, orders=2, percent_of_spend=Decimal(5),
                 gift=gift("thank-you", "10.00", "voucher")),
)


def program(name: str) -> Program:
    if name == "tiers":
        return Program(name="Tiers", timezone="Europe/Berlin", points=SCHEME, tiers=LADDER)
    if name == "gifts":
        return Program(name="Gifts", timezone="Europe/Berlin", points=SCHEME,
                       gifts=GiftScheme(rules=ORDER_GIFTS))
    return Program(
        name="Full", timezone="Europe/Berlin", points=SCHEME, tiers=LADDER,
        gifts=GiftScheme(
            rules=(*ORDER_GIFTS[:2], ORDER_GIFTS[2].model_copy(update={"budget": "samples"}),
                   *ORDER_GIFTS[3:],
                   TierGift(id="tier-up", reached=("silver", "gold"),
                            gift=gift("tier-voucher", "5.00", "voucher"))),
            budgets=(Budget(id="samples", count=40, per=Period.MONTH),)),
        goodwill=GoodwillPolicy(rules=(GoodwillRule(
            id="late", categories=("late_delivery",),
            compensation=PointsCompensation(points=5)),)),
    )


def shop_events() -> list[Event]:
    """A synthetic shop's year, with lines (tea, coffee, cups) on about half the orders."""
    rng = random.Random(11)
    events: list[Event] = []
    for event in synthetic_shop(members=120, seed=11).events:
        if isinstance(event, Purchase) and rng.random() < 0.5:
            total = event.amount.amount
            half = (total / 2).quantize(Decimal("0.01"))
            event = event.model_copy(update={"lines": (
                Line(sku="a", category=rng.choice(["tea", "coffee", "cups"]),
                     unit_price=eur(str(half)), quantity=1),
                Line(sku="b", category=rng.choice(["tea", "coffee"]),
                     unit_price=eur(str(total - half)), quantity=1))})
        events.append(event)
    return events


EVENTS = shop_events()
UNTIL = max(event.at for event in EVENTS) + timedelta(days=800)


def fold(prog: Program, events: list[Event], until: datetime | None = None
         ) -> tuple[dict[str, MemberState], list[str], SharedState | None]:
    """Apply every event one by one (refused ones left out); then advance to ``until``.

    With program-wide state, members are also advanced to their due times in time order
    across members before each event and before ``until``, as a backend's scheduler does
    with ``Program.next_due`` (and as the replay does).
    """
    states: dict[str, MemberState] = {}
    effects: list[str] = []
    shared: SharedState | None = None

    def scheduler(when: datetime) -> None:
        nonlocal shared
        while prog.uses_shared_state:
            due = [(d, mid) for mid, state in states.items()
                   if (d := prog.next_due(state)) is not None and d <= when]
            if not due:
                return
            at, mid = min(due)
            decision = prog.advance(states[mid], at, shared=shared)
            states[mid], shared = decision.state, decision.shared
            effects.extend(effect.model_dump_json() for effect in decision.effects)

    for event in events:
        scheduler(event.at)
        try:
            decision = prog.apply(states.get(event.member_id), event, shared=shared)
        except RefusedEvent:
            continue
        states[event.member_id] = decision.state
        shared = decision.shared
        effects += [effect.model_dump_json() for effect in decision.effects]
    if until is not None:
        scheduler(until)
        for mid in sorted(states):
            decision = prog.advance(states[mid], until, shared=shared)
            states[mid], shared = decision.state, decision.shared
    return states, effects, shared


def dumped(states: dict[str, MemberState]) -> dict[str, str]:
    return {mid: state.model_dump_json() for mid, state in states.items()}


class TestFusedPurchaseStep:
    @pytest.mark.parametrize("name", ["tiers", "gifts"])
    def test_replay_equals_the_fold_of_apply(self, name: str) -> None:
        """States and effects (reasons included, built late) are those of apply, byte for
        byte."""
        prog = program(name)
        states, effects, _ = fold(prog, EVENTS)
        replay = prog.replay(EVENTS, errors="skip")
        assert dumped(replay.states) == dumped(states)
        assert [effect.model_dump_json() for effect in replay.effects()] == effects

    @pytest.mark.parametrize("name", ["tiers", "gifts", "full"])
    def test_final_states_equal_the_fold_of_apply(self, name: str) -> None:
        """After everything due has fired, every state (and the shared state) is the fold's."""
        prog = program(name)
        states, _, shared = fold(prog, EVENTS, UNTIL)
        replay = prog.replay(EVENTS, errors="skip", until=UNTIL)
        assert dumped(replay.states) == dumped(states)
        assert (replay.shared is None) == (shared is None)
        if shared is not None:
            assert replay.shared is not None
            assert replay.shared.model_dump_json() == shared.model_dump_json()

    def test_every_compiled_path_is_used(self) -> None:
        """The stream reaches tiers, multipliers, caps, every order gift and the budget."""
        replay = program("full").replay(EVENTS, errors="skip", until=UNTIL)
        kinds = {(effect.type, effect.rule_id) for effect in replay.effects()}
        assert {("tier_changed", "tiers"), ("gift_granted", "first"),
                ("gift_granted", "every-3rd"), ("gift_granted", "over-80"),
                ("gift_granted", "samples"), ("gift_granted", "thanks"),
                ("gift_granted", "tier-up")} <= kinds
        reasons = [effect.reason for effect in replay.effects() if effect.type == "points_earned"]
        assert any("for tier" in reason for reason in reasons)
        assert any("web week" in reason for reason in reasons)
        assert any("capped" in reason for reason in reasons)
        assert any("category bonus on tea" in reason for reason in reasons)
        assert replay.shared is not None
        assert replay.shared.budgets
