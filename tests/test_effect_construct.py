"""Effects built by the engine's builders are what ``model_construct`` makes of the same
fields: the builders use ``reciprocity._trusted.construct`` (without pydantic's per-field
loop), so this holds for every effect type any program and shop produce."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Event, Program
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams


@st.composite
def program_and_shop(draw: st.DrawFn) -> tuple[Program, list[Event]]:
    program = draw(full_programs(currency="EUR"))
    rewards = program.points.rewards if program.points is not None else None
    return program, draw(shop_streams(4, rewards=rewards or None, program=program,
                                      currency="EUR"))


@settings(deadline=None, max_examples=40)
@given(program_and_shop())
def test_every_effect_is_its_model_construct(case: tuple[Program, list[Event]]) -> None:
    """Values, their order, the fields set and the JSON equal ``model_construct``'s."""
    program, events = case
    replay = program.replay(events, errors="skip", until=DEFAULT_END + timedelta(days=400))
    for effect in replay.effects():
        given_fields = {name: effect.__dict__[name] for name in effect.model_fields_set}
        slow = type(effect).model_construct(**given_fields)
        assert effect == slow
        assert list(effect.__dict__) == list(slow.__dict__)
        assert effect.model_fields_set == slow.model_fields_set
        assert effect.model_dump_json() == slow.model_dump_json()


def test_an_available_earned_effect_is_its_model_construct() -> None:
    """The earned effect spelt out field by field (``_trusted.built_given``, the seed
    program's every order) is what ``model_construct`` makes of the fields it names."""
    from datetime import UTC, datetime

    from reciprocity import Money, Purchase, seed_program

    effect = seed_program().apply(None, Purchase(
        id="A-1", member_id="m-1", at=datetime(2026, 1, 2, tzinfo=UTC),
        amount=Money("60.00", "EUR"))).effects[0]
    given_fields = {name: effect.__dict__[name] for name in effect.model_fields_set}
    slow = type(effect).model_construct(**given_fields)
    assert effect == slow
    assert list(effect.__dict__) == list(slow.__dict__)
    assert effect.model_fields_set == slow.model_fields_set
    assert effect.model_dump_json() == slow.model_dump_json()
