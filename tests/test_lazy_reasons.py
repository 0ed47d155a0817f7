"""Reasons rendered when read: an effect's ``reason`` and a trace entry's ``detail`` hold the
message and write its English text only when someone reads it, with the very text, dump,
equality and hash an eagerly rendered one has; an earned effect and its trace entry share it."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    Decision,
    FixedLifetime,
    Money,
    PointScheme,
    PointsEarned,
    PointsPerPurchase,
    Program,
    Purchase,
    RefusedEvent,
    TraceEntry,
    seed_program,
)
from reciprocity._reason import LazyText, Msg, english
from reciprocity.testing import full_programs, member_streams

PROPERTY = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def buy(eid: str = "A-17", amount: str = "75.00") -> Purchase:
    return Purchase(id=eid, member_id="m-1", at=AT, amount=Money(amount, "EUR"))


def unread(model: object, name: str) -> object:
    """A text field's value as the model holds it, without rendering it."""
    return model.__dict__[name]


def read_all(decision: Decision) -> None:
    """Read every reason and detail (which renders and keeps them)."""
    for effect in decision.effects:
        assert isinstance(effect.reason, str)
    for entry in decision.trace:
        assert isinstance(entry.detail, str)


class TestLazyText:
    def test_reads_equals_hashes_and_pickles_as_its_text(self) -> None:
        """A lazy text is its English text for every reader: str, ==, hash, repr, pickle."""
        msg = Msg("reason.earned.order.over",
                  {"n": 1, "order": "A-17", "amount": Money("50.00", "EUR")})
        text = "1 point for order A-17 over 50.00 EUR"
        assert english(msg.key, msg.args) == text
        lazy = LazyText(msg)
        assert lazy == text
        assert text == lazy
        assert lazy == LazyText(msg)
        assert lazy != "something else"
        assert hash(lazy) == hash(text)
        assert str(lazy) == text
        assert repr(lazy) == repr(text)
        assert pickle.loads(pickle.dumps(lazy)) == text
        assert type(pickle.loads(pickle.dumps(lazy))) is str

    def test_the_field_reads_as_str_and_cannot_be_set(self) -> None:
        """Reading the field renders the text and keeps it; the class has no such attribute
        (as for any field without a default); setting it is refused."""
        effect = seed_program().apply(None, buy()).effects[0]
        assert isinstance(unread(effect, "reason"), LazyText)
        assert effect.reason == "1 point for order A-17 over 50.00 EUR"
        assert type(unread(effect, "reason")) is str  # kept once read
        assert not hasattr(PointsEarned, "reason")
        assert not hasattr(TraceEntry, "detail")
        with pytest.raises(AttributeError, match="immutable"):
            effect.reason = "changed"  # type: ignore[misc]
        with pytest.raises(AttributeError, match="immutable"):
            object.__setattr__(effect, "reason", "changed")


class TestSeedDecision:
    def test_effect_and_trace_share_one_text(self) -> None:
        """The earned effect and the trace line that says it hold the same lazy text: one
        message, rendered at most once."""
        decision = seed_program().apply(None, buy())
        (effect,) = decision.effects
        applied = [t for t in decision.trace if t.outcome == "applied"]
        assert len(applied) == 1
        shared = unread(effect, "reason")
        assert isinstance(shared, LazyText)
        assert unread(applied[0], "detail") is shared
        assert applied[0].detail == effect.reason == "1 point for order A-17 over 50.00 EUR"

    def test_dump_is_the_same_read_or_not(self) -> None:
        """JSON and Python dumps of a decision whose texts nobody read equal those of the
        same decision read, and load back equal to it."""
        program = seed_program()
        fresh = program.apply(None, buy())
        read = program.apply(None, buy())
        read_all(read)
        assert fresh.model_dump_json() == read.model_dump_json()
        assert fresh.model_dump() == read.model_dump()
        assert fresh.model_dump()["effects"][0]["reason"] == (
            "1 point for order A-17 over 50.00 EUR")
        assert Decision.model_validate_json(fresh.model_dump_json()) == fresh

    def test_lots_keep_their_dated_reason(self) -> None:
        """With lots the effect's reason adds the lot's dates to the shared message; the
        trace says the rule's message without them, as before."""
        program = Program(
            name="lots", currency="EUR", timezone="Europe/Berlin",
            points=PointScheme(earn=(PointsPerPurchase(id="over-50", points=1,
                                                       min_amount=Money("50.00", "EUR")),),
                               expiry=FixedLifetime(months=6)))
        decision = program.apply(None, buy())
        (effect,) = decision.effects
        (applied,) = [t for t in decision.trace if t.outcome == "applied"]
        assert applied.detail == "1 point for order A-17 over 50.00 EUR"
        assert effect.reason == ("1 point for order A-17 over 50.00 EUR, valid until "
                                 "2026-09-01")
        assert effect.reason == english(effect.reason_key or "", effect.reason_args or {})


@PROPERTY
@given(full_programs().flatmap(
    lambda p: st.tuples(st.just(p), member_streams(program=p, max_size=10))))
def test_lazy_equals_eager_on_random_streams(case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """Every decision of every program of ``reciprocity.testing`` dumps the same JSON whether
    its texts were read or not; each read text is the eager English of its message; a
    decision loaded from its JSON (plain strings) equals it; a copy and a pickle equal it."""
    program, events = case
    state, shared = None, None
    for event in events:
        try:
            fresh = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        read = program.apply(state, event, shared=shared)
        read_all(read)
        dumped = fresh.model_dump_json()
        assert dumped == read.model_dump_json()
        loaded = Decision.model_validate_json(dumped)
        assert loaded == fresh
        assert fresh == read
        for effect in fresh.effects:
            if effect.reason_key is not None:
                assert effect.reason == english(effect.reason_key, effect.reason_args or {})
        assert copy.deepcopy(fresh) == loaded
        assert pickle.loads(pickle.dumps(fresh)) == loaded
        assert fresh.explain() == loaded.explain()
        state, shared = fresh.state, fresh.shared


def test_a_points_delta_is_unchanged() -> None:
    """Reading nothing still gives a balance equal to the sum of the effects."""
    program = seed_program()
    decision = program.apply(None, buy(amount="75.00"))
    assert sum(e.points_delta for e in decision.effects) == decision.state.available_points
    assert Decimal(decision.state.spend) == Decimal("75.00")
    assert decision.state.as_of == AT
