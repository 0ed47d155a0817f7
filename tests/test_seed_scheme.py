"""The seed scheme end to end: 1 point per purchase over 50 EUR, 10 points buy a 10 EUR voucher."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    CurrencyMismatch,
    InsufficientPoints,
    MemberState,
    Money,
    PointsEarned,
    PointsRedeemed,
    Purchase,
    Redemption,
    UnknownReward,
    VoucherIssued,
    seed_program,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
PROGRAM = seed_program()


def buy(eid: str, amount: str, at: datetime = T0, currency: str = "EUR") -> Purchase:
    return Purchase(id=eid, member_id="m-1", at=at, amount=Money(amount, currency))


@pytest.mark.parametrize(("amount", "points"), [("50.00", 0), ("50.01", 1), ("300.00", 1),
                                                ("0.00", 0), ("49.99", 0)])
def test_threshold_is_strictly_over_50(amount: str, points: int) -> None:
    """50.00 earns 0, 50.01 earns 1, 300.00 earns 1."""
    decision = PROGRAM.apply(None, buy("A-1", amount))
    assert decision.state.available_points == points
    assert sum(e.points for e in decision.effects if isinstance(e, PointsEarned)) == points


def test_inclusive_threshold_is_declared() -> None:
    """With inclusive=True, exactly 50.00 earns the point."""
    data = PROGRAM.model_dump()
    data["points"]["earn"][0]["inclusive"] = True
    program = type(PROGRAM).model_validate(data)
    assert program.apply(None, buy("A-1", "50.00")).state.available_points == 1


def test_effect_reason_is_readable() -> None:
    """The effect names the rule and says why, in words."""
    effect = PROGRAM.apply(None, buy("A-17", "59.90")).effects[0]
    assert effect.rule_id == "over-50"
    assert effect.reason == "1 point for order A-17 over 50.00 EUR"


def test_trace_says_why_a_rule_did_not_fire() -> None:
    """A purchase under the threshold is explained in the trace."""
    trace = PROGRAM.apply(None, buy("A-1", "12.40")).trace
    assert [(t.rule_id, t.outcome) for t in trace] == [("over-50", "skipped")]
    assert "not over 50.00 EUR" in trace[0].detail


def test_tenth_qualifying_purchase_makes_voucher_redeemable() -> None:
    """After 9 qualifying purchases the redemption is refused; after the 10th it succeeds."""
    state: MemberState | None = None
    for i in range(9):
        state = PROGRAM.apply(state, buy(f"A-{i}", "60.00", T0 + timedelta(days=i))).state
    assert state is not None
    redeem = Redemption(id="R-1", member_id="m-1", at=T0 + timedelta(days=20),
                        reward_id="voucher-10")
    with pytest.raises(InsufficientPoints) as info:
        PROGRAM.apply(state, redeem)
    assert info.value.shortfall == 1
    assert "1 short" in str(info.value)
    state = PROGRAM.apply(state, buy("A-9", "60.00", T0 + timedelta(days=10))).state
    decision = PROGRAM.apply(state, redeem)
    kinds = [type(e) for e in decision.effects]
    assert kinds == [PointsRedeemed, VoucherIssued]
    voucher = decision.effects[1].voucher  # type: ignore[union-attr]
    assert voucher.value == Money("10.00", "EUR")
    assert decision.state.available_points == 0
    assert decision.state.points_redeemed == 10


def test_replaying_the_same_purchase_earns_once() -> None:
    """The same event id applied twice is a no-op the second time, with a trace note."""
    first = PROGRAM.apply(None, buy("A-1", "60.00"))
    second = PROGRAM.apply(first.state, buy("A-1", "60.00"))
    assert second.state == first.state
    assert second.state.model_dump_json() == first.state.model_dump_json()
    assert second.effects == ()
    assert second.trace[0].outcome == "duplicate"


def test_usd_purchase_under_eur_program_is_rejected_state_unchanged() -> None:
    """A purchase in USD is refused with CurrencyMismatch and the state is untouched."""
    state = PROGRAM.apply(None, buy("A-1", "60.00")).state
    before = state.model_dump_json()
    with pytest.raises(CurrencyMismatch, match="USD"):
        PROGRAM.apply(state, buy("A-2", "60.00", currency="USD"))
    assert state.model_dump_json() == before


def test_unknown_reward_lists_the_catalogue() -> None:
    """Redeeming a reward that is not in the catalogue names the ones that are."""
    with pytest.raises(UnknownReward, match="voucher-10"):
        PROGRAM.apply(None, Redemption(id="R", member_id="m-1", at=T0, reward_id="car"))


def test_auto_issue_voucher_on_tenth_point() -> None:
    """With auto_issue, the 10th point issues the voucher at once."""
    program = seed_program(auto_issue=True)
    state = None
    effects = []
    for i in range(10):
        decision = program.apply(state, buy(f"A-{i}", "75.00", T0 + timedelta(hours=i)))
        state = decision.state
        effects += list(decision.effects)
    assert state is not None
    assert [type(e) for e in effects[-3:]] == [PointsEarned, PointsRedeemed, VoucherIssued]
    assert state.available_points == 0
    assert len(state.vouchers) == 1


def test_state_json_round_trip_is_exact() -> None:
    """A state saved as JSON loads back equal, and dumps to the same bytes."""
    state = None
    for i, amount in enumerate(["60.00", "10.00", "99.99"]):
        state = PROGRAM.apply(state, buy(f"A-{i}", amount, T0 + timedelta(days=i))).state
    assert state is not None
    text = state.model_dump_json()
    loaded = MemberState.model_validate_json(text)
    assert loaded == state
    assert loaded.model_dump_json() == text


def test_replay_matches_apply_on_synthetic_shop() -> None:
    """A replay of the synthetic shop gives the states a fold of apply gives."""
    from reciprocity import synthetic_shop

    shop = synthetic_shop(members=30, seed=5)
    replayed = PROGRAM.replay(shop.events, errors="skip").states
    folded: dict[str, MemberState] = {}
    for event in shop.events:
        try:
            folded[event.member_id] = PROGRAM.apply(folded.get(event.member_id), event).state
        except InsufficientPoints:
            continue
    assert replayed == folded
