"""``Redemption.balance``: a redemption may say which of ``Program.balances`` pays; it is
checked when applied, and left out of the JSON and the fingerprint when unset."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

from reciprocity import (
    EventConflict,
    InvalidEvent,
    Money,
    PointScheme,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    ReciprocityError,
    Redemption,
    Reward,
    UnknownReward,
    parse_event,
    seed_program,
)
from reciprocity._fingerprint import canonical, event_fingerprint

from .test_balances_properties import programs, streams

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 10, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def program() -> Program:
    """Own points buy a coffee; the ``award`` balance buys a lounge pass; ``status`` buys
    nothing."""
    return Program(
        name="P", currency="EUR",
        points=PointScheme(earn=[PointsPerPurchase(id="base", points=10)],
                           rewards=[Reward(id="coffee", name="Coffee", points=10)]),
        balances={
            "award": PointScheme(earn=[PointsPerAmount(id="miles", points=1, per=eur("1.00"))],
                                 rewards=[Reward(id="lounge", name="Lounge pass", points=100)]),
            "status": PointScheme(earn=[PointsPerPurchase(id="flown", points=1)],
                                  redeemable=False)})


def earned() -> Any:
    return program().apply(None, Purchase(id="A", member_id="m", at=T0,
                                          amount=eur("150.00"))).state


def redeem(reward: str, balance: str | None = None, ident: str = "V") -> Redemption:
    return Redemption(id=ident, member_id="m", at=T0, reward_id=reward, balance=balance)


class TestTheCheck:
    def test_naming_the_rewards_balance_redeems_from_it(self) -> None:
        """``balance="award"`` for a reward of ``award``: paid by that balance, as without."""
        d = program().apply(earned(), redeem("lounge", "award"))
        assert [(e.type, e.balance) for e in d.effects][:1] == [("points_redeemed", "award")]
        assert d.state.balances["award"].available_points == 50  # type: ignore[index]
        assert d.state.available_points == 10

    @pytest.mark.parametrize(("reward", "balance", "match", "hint"), [
        ("lounge", "status", "Redemption.balance='status' has no reward 'lounge'",
         "use balance='award'"),
        ("lounge", "bonus", r"Redemption.balance='bonus' is not one of Program.balances "
         r"\('award', 'status'\)", "use balance='award'"),
        ("coffee", "award", "Redemption.balance='award' has no reward 'coffee'",
         "program's own points"),
        ("cinema", "award", "Redemption.balance='award' has no reward 'cinema'",
         "leave balance out"),
    ])
    def test_a_wrong_balance_is_refused_and_changes_nothing(
            self, reward: str, balance: str, match: str, hint: str) -> None:
        """A balance that is not the reward's: a typed refusal naming the field and the fix;
        the state is unchanged."""
        state = earned()
        with pytest.raises(UnknownReward, match=match) as caught:
            program().apply(state, redeem(reward, balance))
        assert hint in (caught.value.hint or "")
        assert caught.value.code == "unknown-reward"
        assert not state.has_applied("V")

    def test_a_program_without_balances_refuses_any_balance(self) -> None:
        """The seed program has no balances: naming one says none is declared."""
        seed = seed_program()
        with pytest.raises(UnknownReward, match="none declared") as caught:
            seed.apply(None, Redemption(id="V", member_id="m", at=T0,
                                        reward_id="voucher-10", balance="award"))
        assert "leave balance out" in (caught.value.hint or "")

    def test_replay_counts_a_wrong_balance_as_refused(self) -> None:
        """With ``errors="skip"`` the refusal is counted, like any other."""
        events = [Purchase(id="A", member_id="m", at=T0, amount=eur("150.00")),
                  redeem("lounge", "status")]
        replay = program().replay(events, errors="skip")
        assert [ident for ident, _ in replay.rejected] == ["V"]

    def test_the_balance_must_be_an_id(self) -> None:
        """An empty balance is refused at the edge."""
        with pytest.raises(InvalidEvent, match="balance"):
            parse_event({"type": "redemption", "id": "V", "member_id": "m",
                         "at": T0.isoformat(), "reward_id": "lounge", "balance": ""})


class TestCompatibility:
    def test_json_without_a_balance_is_as_before(self) -> None:
        """An unset balance is left out of the JSON (stored events stay byte-identical)."""
        text = redeem("coffee").model_dump_json()
        assert "balance" not in text
        assert text == ('{"id":"V","member_id":"m","at":"2026-03-02T09:00:00Z",'
                        '"metadata":{},"type":"redemption","reward_id":"coffee",'
                        '"quantity":1,"points":null}')

    def test_the_fingerprint_without_a_balance_is_as_before(self) -> None:
        """The fingerprint of a redemption without a balance is the one stored states hold
        (these two were computed before the field existed)."""
        assert event_fingerprint(redeem("coffee")) == "09027d2f902f0c1d"
        assert "balance" not in canonical(redeem("coffee"))
        cash = Redemption(id="V", member_id="m", at=T0, reward_id="cash", points=500,
                          quantity=2, metadata={"a": 1})
        assert event_fingerprint(cash) == "c4ca973caeced109"

    def test_a_balance_changes_the_fingerprint(self) -> None:
        """Another balance is other content: the same id with it is a conflict."""
        assert event_fingerprint(redeem("lounge", "award")) != event_fingerprint(
            redeem("lounge"))
        assert canonical(redeem("lounge", "award"))["balance"] == "award"
        state = program().apply(earned(), redeem("lounge")).state
        with pytest.raises(EventConflict):
            program().apply(state, redeem("lounge", "award"))

    @pytest.mark.parametrize("balance", [None, "award"])
    def test_round_trip(self, balance: str | None) -> None:
        """JSON and back gives the same event, the same fingerprint and the same decision."""
        event = redeem("lounge", balance)
        back = parse_event(event.model_dump_json())
        assert back == event
        assert event_fingerprint(back) == event_fingerprint(event)
        one, two = program().apply(earned(), event), program().apply(earned(), back)
        assert one.state == two.state
        assert one.effects == two.effects
        stored = one.state.model_validate_json(one.state.model_dump_json())
        assert stored.applied_fingerprint("V") == event_fingerprint(event)


def _named(event: Any) -> Any:
    """The redemption with the balance its reward belongs to, said explicitly."""
    if isinstance(event, Redemption) and event.reward_id == "award-v":
        return event.model_copy(update={"balance": "award"})
    return event


def _outcome(program: Program, events: list[Any]) -> list[Any]:
    """Each event's decision (effects and the state less its fingerprints) or refusal."""
    state, out = None, []
    for event in events:
        try:
            d = program.apply(state, event)
        except ReciprocityError as exc:
            out.append(type(exc).__name__)
            continue
        state = d.state
        out.append(([e.model_dump() for e in d.effects],
                    state.model_dump(exclude={"applied_event_fingerprints"})))
    return out


@settings(max_examples=80, deadline=None)
@given(programs(), streams())
def test_naming_the_rewards_own_balance_decides_as_without(program: Program,
                                                           events: list[Any]) -> None:
    """A redemption naming its reward's balance decides exactly as one without it."""
    assert _outcome(program, [_named(e) for e in events]) == _outcome(program, events)
