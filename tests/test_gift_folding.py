"""Gift history folds like orders do (issue 12): grants past every window a decision reads go.

What stays: gifts given once in a lifetime (welcome, first order, a tier reached), grants
under a lifetime cap, the grant a cooldown counts from, grants of orders still kept, and
the grants of the last year before the newest folded order, or for an order gift (n-th
order, order over an amount) those of its cap's period (``reciprocity.gifts.folding``).
The property that folding never changes a decision runs in ``test_history.py``
(``test_folding_never_changes_a_decision``) on random programs and streams; here, one long
example.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reciprocity import (
    Cap,
    FirstOrderGift,
    Gift,
    GiftScheme,
    History,
    MemberState,
    Money,
    NthOrderGift,
    OrderOverGift,
    Period,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    SignUp,
    WelcomeGift,
)
from reciprocity.gifts.folding import margin

T0 = datetime(2024, 1, 3, 10, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def gift(gid: str) -> Gift:
    return Gift(id=gid, name=gid, kind="sample", value=eur("2.00"))


def program(history: History | None) -> Program:
    return Program(
        name="gifts", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=[PointsPerPurchase(id="p", points=1)]),
        gifts=GiftScheme(rules=(
            WelcomeGift(id="welcome", gift=gift("w")),
            FirstOrderGift(id="first", gift=gift("f")),
            NthOrderGift(id="every-3rd", every=3, gift=gift("n")),
            OrderOverGift(id="over-60", amount=eur("60.00"), gift=gift("o"),
                          cap=Cap(count=2, per=Period.MONTH)),
            OrderOverGift(id="big-ever", amount=eur("95.00"), gift=gift("b"),
                          cap=Cap(count=3, per=Period.LIFETIME)),
            OrderOverGift(id="slow", amount=eur("20.00"), gift=gift("s"),
                          cooldown_days=500),
        )),
        history=history,
    )


def stream(weeks: int) -> list[SignUp | Purchase]:
    events: list[SignUp | Purchase] = [SignUp(id="S", member_id="m-1", at=T0,
                                              birthday=date(1990, 6, 1))]
    for i in range(weeks):
        amount = ("30.00", "70.00", "99.00", "45.00")[i % 4]
        events.append(Purchase(id=f"A-{i:04d}", member_id="m-1",
                               at=T0 + timedelta(days=7 * i + 1), amount=eur(amount)))
    return events


def test_grants_fold_and_decisions_stay() -> None:
    """Four years of weekly orders: every decision equals the keeping program's, the state
    keeps a bounded gift history, and what folded is more than a year past the orders."""
    folding = program(History(return_days=30, event_days=14))
    keeping = program(None)
    fstate: MemberState | None = None
    kstate: MemberState | None = None
    sizes = []
    events = stream(4 * 52)
    for event in events:
        fd, kd = folding.apply(fstate, event), keeping.apply(kstate, event)
        assert fd.effects == kd.effects
        fstate, kstate = fd.state, kd.state
        assert fstate.gifts is not None
        sizes.append(len(fstate.gifts.grants))
    assert fstate is not None
    assert kstate is not None
    assert fstate.gifts is not None
    assert kstate.gifts is not None
    assert fstate.folded is not None
    assert len(kstate.gifts.grants) > 150
    assert max(sizes[-52:]) < 70  # a year and a window of grants, not four years
    rules = {g.rule_id for g in fstate.gifts.grants}
    assert {"welcome", "first", "big-ever", "slow"} <= rules  # lifetime ones, the cooldown's
    kept = {g.id for g in fstate.gifts.grants}
    gone = [g for g in kstate.gifts.grants if g.id not in kept]
    assert gone
    assert folding.gifts is not None
    margins = {rule.id: margin(rule) for rule in folding.gifts.rules}
    assert all(g.at < fstate.folded.through - margins[g.rule_id] for g in gone)
    assert MemberState.model_validate_json(fstate.model_dump_json()) == fstate
    assert folding.replay(events).states["m-1"] == fstate


def test_order_gifts_fold_with_their_orders_and_a_monthly_cap_after_its_month() -> None:
    """An n-th-order grant goes with its order; a grant under a monthly cap a month after
    the newest folded order; a first-order gift, one under a lifetime cap and the one a
    cooldown counts from stay."""
    folding = program(History(return_days=30, event_days=14))
    assert folding.gifts is not None
    margins = {rule.id: margin(rule) for rule in folding.gifts.rules}
    assert margins["every-3rd"] == timedelta(0)
    assert margins["over-60"] == timedelta(days=32)
    state = folding.replay(stream(20)).states["m-1"]
    assert state.gifts is not None
    assert state.folded is not None
    kept = {(g.rule_id, g.occurrence) for g in state.gifts.grants}
    kept_orders = {p.id for p in state.purchases}
    nth = [g for g in state.gifts.grants if g.rule_id == "every-3rd"]
    assert nth
    assert all(g.source_event_id in kept_orders for g in nth)
    assert all(g.at >= state.folded.through - timedelta(days=32)
               for g in state.gifts.grants if g.rule_id == "over-60")
    assert {("first", "first"), ("welcome", "welcome")} <= kept
    assert any(rule == "slow" for rule, _ in kept)
    assert any(rule == "big-ever" for rule, _ in kept)
