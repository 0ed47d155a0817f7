"""Points named by the event (``PointsForEvent.points_from``): a custom event that says how
many points it gives, within the rule's bounds; out of bounds is a typed refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    CampaignMultiplier,
    Custom,
    During,
    InvalidProgram,
    MemberState,
    PointsCap,
    PointScheme,
    PointsEarned,
    PointsForEvent,
    PointsOutOfBounds,
    Program,
    RefusedEvent,
)

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 1, 12, tzinfo=BERLIN)


def partner(**kw: Any) -> PointsForEvent:
    args: dict[str, Any] = {"id": "partner", "on": "custom", "name": "partner_credit",
                            "points_from": "miles", "max_points": 50_000}
    args.update(kw)
    return PointsForEvent(**args)


def program(*rules: PointsForEvent) -> Program:
    return Program(name="Named", currency="EUR", timezone="Europe/Berlin",
                   points=PointScheme(events=list(rules) or [partner()]))


def credit(eid: str, payload: dict[str, Any], at: datetime = AT,
           name: str = "partner_credit") -> Custom:
    return Custom(id=eid, member_id="m-1", at=at, name=name, payload=payload)


class TestCredit:
    def test_the_named_points_are_credited(self) -> None:
        decision = program().apply(None, credit("PC-1", {"miles": 1250, "partner": "hotel"}))
        (earned,) = decision.effects
        assert isinstance(earned, PointsEarned)
        assert (earned.points, earned.rule_id) == (1250, "partner")
        assert earned.reason == "1,250 points for partner_credit PC-1"
        assert decision.state.available_points == 1250

    @pytest.mark.parametrize("miles", [1, 50_000])
    def test_bounds_are_inclusive(self, miles: int) -> None:
        state = program().apply(None, credit("PC-1", {"miles": miles})).state
        assert state.available_points == miles

    def test_zero_is_allowed_when_the_minimum_is_zero(self) -> None:
        decision = program(partner(min_points=0)).apply(None, credit("PC-1", {"miles": 0}))
        assert decision.effects == ()
        assert decision.state.available_points == 0

    def test_other_names_are_not_checked(self) -> None:
        decision = program().apply(None, credit("X-1", {}, name="survey"))
        assert decision.state.available_points == 0

    def test_the_same_event_twice_credits_once(self) -> None:
        prog = program()
        first = prog.apply(None, credit("PC-1", {"miles": 900}))
        again = prog.apply(first.state, credit("PC-1", {"miles": 900}))
        assert again.effects == ()
        assert again.state.available_points == 900

    def test_multipliers_apply_to_the_named_points(self) -> None:
        double = CampaignMultiplier(name="double miles", factor=Decimal("1.5"), when=During(
            start=AT - timedelta(days=1), end=AT + timedelta(days=1)))
        prog = program(partner(multipliers=(double,)))
        (earned,) = prog.apply(None, credit("PC-1", {"miles": 333})).effects
        assert isinstance(earned, PointsEarned)
        assert earned.points == 499  # 499.5 rounded down
        assert "double miles" in earned.reason

    def test_a_cap_shortens_a_credit_and_does_not_refuse_it(self) -> None:
        prog = program(partner(caps=(PointsCap(points=1000, per="month"),)))
        first = prog.apply(None, credit("PC-1", {"miles": 800}))
        second = prog.apply(first.state, credit("PC-2", {"miles": 800}))
        assert second.state.available_points == 1000
        assert "capped" in second.effects[0].reason
        third = prog.apply(second.state, credit("PC-3", {"miles": 10}))
        assert third.effects == ()
        next_month = prog.apply(third.state, credit("PC-4", {"miles": 800},
                                                    at=datetime(2026, 4, 1, tzinfo=BERLIN)))
        assert next_month.state.available_points == 1800

    def test_two_rules_on_one_name_each_read_their_key(self) -> None:
        prog = program(partner(), partner(id="bonus", points_from="bonus", max_points=10))
        decision = prog.apply(None, credit("PC-1", {"miles": 100, "bonus": 7}))
        assert [e.points for e in decision.effects if isinstance(e, PointsEarned)] == [100, 7]


class TestRefusal:
    @pytest.mark.parametrize(("payload", "points", "words"), [
        ({"miles": 0}, 0, "under the minimum 1"),
        ({"miles": 50_001}, 50_001, "over the maximum 50000"),
        ({"miles": -5}, -5, "under the minimum 1"),
        ({}, None, "not a whole number"),
        ({"miles": "1250"}, None, "not a whole number"),
        ({"miles": 12.5}, None, "not a whole number"),
        ({"miles": True}, None, "not a whole number"),
        ({"miles": None}, None, "not a whole number"),
    ])
    def test_out_of_bounds_is_refused_naming_the_field(
            self, payload: dict[str, Any], points: int | None, words: str) -> None:
        prog = program()
        state = prog.apply(None, credit("PC-1", {"miles": 10})).state
        with pytest.raises(PointsOutOfBounds) as info:
            prog.apply(state, credit("PC-2", payload))
        error = info.value
        assert isinstance(error, RefusedEvent)
        assert error.code == "points-out-of-bounds"
        assert (error.field, error.points, error.minimum, error.maximum) == (
            "payload.miles", points, 1, 50_000)
        assert "payload.miles" in str(error)
        assert words in error.message
        assert error.hint == "send a whole number from 1 to 50000 in payload.miles"
        assert error.to_dict()["field"] == "payload.miles"
        # nothing changed: the state still takes the next event as if PC-2 never came
        after = prog.apply(state, credit("PC-3", {"miles": 5})).state
        assert after.available_points == 15
        assert "PC-2" not in after.applied_event_ids

    def test_refused_even_when_the_condition_does_not_hold(self) -> None:
        past = During(start=AT - timedelta(days=9), end=AT - timedelta(days=8))
        prog = program(partner(when=past))
        with pytest.raises(PointsOutOfBounds):
            prog.apply(None, credit("PC-1", {"miles": 0}))
        assert prog.apply(None, credit("PC-2", {"miles": 5})).effects == ()

    def test_replay_skips_a_refused_credit(self) -> None:
        result = program().replay([credit("PC-1", {"miles": 10}), credit("PC-2", {"miles": 0}),
                                   credit("PC-3", {"miles": 20})], errors="skip")
        assert result.states["m-1"].available_points == 30


class TestDeclaration:
    @pytest.mark.parametrize(("kw", "words"), [
        ({"points": 5}, "not both"),
        ({"max_points": None}, "needs max_points"),
        ({"min_points": 10, "max_points": 5}, "over max_points"),
        ({"on": "signup", "name": None}, 'needs on="custom"'),
    ])
    def test_inconsistent_rules_are_refused(self, kw: dict[str, Any], words: str) -> None:
        with pytest.raises(InvalidProgram, match=words):
            partner(**kw)

    def test_points_or_points_from_is_required(self) -> None:
        with pytest.raises(InvalidProgram, match="points is required"):
            PointsForEvent(id="x", on="custom", name="n")

    @pytest.mark.parametrize("kw", [{"max_points": 9}, {"min_points": 2}])
    def test_bounds_need_points_from(self, kw: dict[str, Any]) -> None:
        with pytest.raises(InvalidProgram, match="use them with points_from"):
            PointsForEvent(id="x", on="custom", name="n", points=1, **kw)

    def test_a_fixed_rule_round_trips_with_its_defaults(self) -> None:
        """A dump writes min_points=1 and max_points=None; they load back."""
        rule = PointsForEvent(id="review", on="custom", name="review", points=20)
        assert PointsForEvent.model_validate(rule.model_dump()) == rule
        assert PointsForEvent.model_validate_json(rule.model_dump_json()) == rule

    def test_describe(self) -> None:
        assert partner(min_points=100).describe() == (
            "the points each 'partner_credit' event names in payload.miles "
            "(100 to 50,000 points)")

    def test_round_trip(self) -> None:
        prog = program(partner(min_points=3, caps=(PointsCap(points=9, per="year"),)))
        again = Program.model_validate_json(prog.model_dump_json())
        assert again == prog
        assert again.points.events[0].points_from == "miles"

    def test_terms_in_english_and_german(self) -> None:
        pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
        prog = program(partner(min_points=100))
        assert ("Each event “partner_credit” gives the points it states, from 100 up to "
                "50,000 points. An event stating points outside this range is refused and "
                "credits nothing.") in prog.terms("en")
        assert ("Jedes Ereignis „partner_credit“ bringt Ihnen die darin genannten Punkte, "
                "von 100 bis zu 50.000 Punkten.") in prog.terms("de")


# -- properties -------------------------------------------------------------------------------

@given(low=st.integers(0, 50), span=st.integers(0, 500), value=st.integers(-20, 600))
def test_accepted_exactly_within_bounds_and_credited_as_named(low: int, span: int,
                                                              value: int) -> None:
    high = max(low + span, 1)
    prog = program(partner(min_points=low, max_points=high))
    if not low <= value <= high:
        with pytest.raises(PointsOutOfBounds) as info:
            prog.apply(None, credit("PC-1", {"miles": value}))
        assert info.value.points == value
        return
    decision = prog.apply(None, credit("PC-1", {"miles": value}))
    assert decision.state.available_points == value
    assert sum(e.points for e in decision.effects if isinstance(e, PointsEarned)) == value


@given(st.lists(st.integers(-3, 400), max_size=12), st.integers(1, 1000))
def test_a_capped_stream_credits_the_accepted_points_up_to_the_cap(values: list[int],
                                                                   cap: int) -> None:
    prog = program(partner(max_points=300, caps=(PointsCap(points=cap, per="year"),)))
    state: MemberState | None = None
    accepted = 0
    for i, value in enumerate(values):
        try:
            decision = prog.apply(state, credit(f"PC-{i}", {"miles": value},
                                                at=AT + timedelta(hours=i)))
        except PointsOutOfBounds:
            assert not 1 <= value <= 300
            continue
        state = decision.state
        accepted += value
    total = 0 if state is None else state.available_points
    assert total == min(accepted, cap)
