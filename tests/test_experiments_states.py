"""Reading every member's final state: the fast readout equals the strict path.

``Replay.states`` (and ``Simulation.states``, the states of a simulation's run) freezes every
member after the pass. Freezing
writes each applied event's fingerprint through a direct writer of its canonical JSON
(``reciprocity._fingerprint._text``) instead of ``json.dumps(canonical(event))``, and pauses
the cyclic garbage collector. These tests hold the readout to the strict path: the general
canonical form, the models validated again from their JSON, and a fold of ``Program.apply``.
"""

from __future__ import annotations

import gc
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Event,
    Line,
    MemberState,
    Money,
    Program,
    Purchase,
    RedemptionModel,
    seed_program,
    simulate,
)
from reciprocity._fingerprint import _WRITERS, _text, canonical, event_fingerprint, row_fingerprint
from reciprocity.testing import (
    DEFAULT_END,
    complaints,
    customs,
    full_programs,
    money,
    profile_updates,
    purchases,
    redemptions,
    returns,
    shop_streams,
    signups,
)

SOME = settings(deadline=None)
LATER = DEFAULT_END + timedelta(days=1)


def strict_text(event: Any) -> str:
    """The canonical JSON as the module docstring of ``_fingerprint`` defines it."""
    return json.dumps(canonical(event), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)


def strict_fingerprint(event: Any) -> str:
    return hashlib.blake2b(strict_text(event).encode("ascii"), digest_size=8).hexdigest()


ANY_EVENT = st.one_of(purchases(), returns(), redemptions(), signups(), profile_updates(),
                      complaints(), customs())


class TestCanonicalText:
    @SOME
    @given(ANY_EVENT)
    def test_text_equals_the_general_form(self, event: Event) -> None:
        """For every kind of event the direct writer gives the general canonical JSON."""
        assert _text(event) == strict_text(event)
        assert event_fingerprint(event) == strict_fingerprint(event)
        assert row_fingerprint(event._row(), "EUR") == strict_fingerprint(event)

    @SOME
    @given(st.dictionaries(st.text(max_size=5), st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=8),
        st.floats(allow_nan=False), st.lists(st.integers(), max_size=3)), max_size=4))
    def test_metadata_of_any_shape(self, metadata: dict[str, Any]) -> None:
        """Metadata (a free mapping, floats and non-ASCII text included) is written alike."""
        at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
        event = Purchase(id="ä-1", member_id="m-\u20ac", at=at, metadata=metadata,
                         amount=Money("3.00", "EUR"),
                         lines=(Line(sku="TEA", quantity=2, unit_price=Money("1.50", "EUR"),
                                     metadata=metadata),))
        assert _text(event) == strict_text(event)

    def test_known_text(self) -> None:
        """The exact text of a purchase with a line: keys sorted, amounts normalised, UTC."""
        at = datetime(2026, 1, 2, 12, tzinfo=UTC)
        event = Purchase(id="A-1", member_id="m-1", at=at, amount=Money("3.00", "EUR"),
                         lines=(Line(sku="TEA", quantity=2, unit_price=Money("1.50", "EUR")),))
        assert _text(event) == (
            '{"amount":["3","EUR"],"at":"2026-01-02T12:00:00+00:00","channel":null,'
            '"id":"A-1","lines":[{"category":null,"metadata":{},"quantity":2,"sku":"TEA",'
            '"unit_price":["1.5","EUR"]}],"member_id":"m-1","metadata":{},"type":"purchase"}')

    @SOME
    @given(st.decimals(allow_nan=False, allow_infinity=False), money())
    def test_amounts_of_any_form(self, amount: Decimal, value: Money) -> None:
        """Any Decimal (``-0``, exponents, trailing zeros) and any Money is written as the
        general form writes it: nothing mixes ``0`` and ``-0`` or ``1E+2`` and ``100``."""
        assert _WRITERS[Decimal](amount) == strict_text(amount)
        assert _WRITERS[Money](value) == strict_text(value)

    @SOME
    @given(st.lists(st.tuples(st.sampled_from(("TEA", "CUP")), st.integers(1, 3),
                              st.sampled_from(("2.5", "2.50", "0", "0.00", "1E+1", "10")),
                              st.sampled_from((None, "goods"))), min_size=1, max_size=6))
    def test_lines_kept_by_value(self, lines: list[tuple[str, int, str, str | None]]) -> None:
        """Order lines written from the cache of lines seen before give the general form's
        text, whatever amount spellings meet in it."""
        at = datetime(2026, 1, 2, tzinfo=UTC)
        total = sum((q * Decimal(price) for _, q, price, _ in lines), Decimal(0))
        event = Purchase(id="A", member_id="m", at=at, amount=Money(total, "EUR"), lines=tuple(
            Line(sku=sku, quantity=q, unit_price=Money(Decimal(price), "EUR"), category=c)
            for sku, q, price, c in lines))
        assert _text(event) == strict_text(event)
        assert _text(event) == strict_text(event)  # again, from the cache

    def test_unusual_lines_go_the_general_way(self) -> None:
        """A line built without validation (a bool quantity, a str subclass) or with
        metadata is not taken from the cache of plain lines."""
        class Sku(str):
            pass

        price = Money("1.00", "EUR")
        for line in (Line.model_construct(sku="TEA", quantity=True, unit_price=price,
                                          category=None, metadata={}),
                     Line.model_construct(sku=Sku("TEA"), quantity=1, unit_price=price,
                                          category=None, metadata={}),
                     Line(sku="TEA", quantity=1, unit_price=price, metadata={"a": 1})):
            assert _WRITERS[Line](line) == strict_text(line)

    def test_negative_zero(self) -> None:
        """``-0`` stays ``-0``, as the general form writes it."""
        assert _WRITERS[Decimal](Decimal("-0.00")) == strict_text(Decimal("-0.00")) == '"-0"'


@st.composite
def program_and_shop(draw: st.DrawFn) -> tuple[Program, list[Event]]:
    program = draw(full_programs())
    rewards = program.points.rewards if program.points is not None else None
    events = draw(shop_streams(rewards=rewards or None, program=program))
    return program, events


class TestStatesReadout:
    @SOME
    @given(program_and_shop())
    def test_states_equal_the_strict_path(self, case: tuple[Program, list[Event]]) -> None:
        """Every state read from a replay equals itself validated again from JSON (the
        strict model path), keeps the strict fingerprint of each applied event, and equals
        the state that folding ``apply`` and ``advance`` gives."""
        program, events = case
        states = program.replay(events, until=LATER, errors="skip").states
        by_id = {e.id: e for e in events}
        for mid, state in states.items():
            assert MemberState.model_validate_json(state.model_dump_json()) == state
            for eid, fingerprint in zip(state.applied_event_ids,
                                        state.applied_event_fingerprints, strict=True):
                assert fingerprint == strict_fingerprint(by_id[eid])
            if program._pipeline.uses_shared:
                continue  # program-wide state: a member's fold alone is not the replay
            folded: MemberState | None = None
            for event in events:
                if event.member_id != mid:
                    continue
                try:
                    folded = program.apply(folded, event).state
                except Exception:  # refused: the replay left it out too
                    continue
            if folded is not None:
                folded = program.advance(folded, LATER).state
                assert folded == state

    @settings(deadline=None, max_examples=20)
    @given(program_and_shop())
    def test_simulation_states_are_the_runs(self, case: tuple[Program, list[Event]]) -> None:
        """``simulate(...).states`` are the states of the same replay, and agree with the
        simulation's members table."""
        program, events = case
        result = simulate(program, events, until=LATER, errors="skip", progress=False)
        expected = program.replay(events, until=LATER, errors="skip").states
        assert result.states == expected
        for row in result.members.rows():
            state = result.states[row["member_id"]]
            assert (row["available"], row["pending"], row["debt"]) == (
                state.available_points, state.pending_points, state.debt)

    def test_simulation_states_with_redemptions(self) -> None:
        """With a redemption model the states are those of the last pass: the drawn
        redemptions are in them."""
        at = datetime(2026, 1, 5, tzinfo=UTC)
        orders = [Purchase(id=f"A-{i}", member_id="m-1", at=at + timedelta(days=i),
                           amount=Money("60.00", "EUR")) for i in range(12)]
        model = RedemptionModel(probability=Decimal(1), breakage=Decimal(0), seed=1)
        result = simulate(seed_program(), orders, until=at + timedelta(days=70),
                          redemption=model, progress=False)
        state = result.states["m-1"]
        assert result.totals.points_redeemed == state.points_redeemed == 10
        assert (state.points_earned, state.available_points) == (12, 2)
        assert len(state.vouchers) == result.totals.vouchers == 1

    def test_collector_restored(self) -> None:
        """Reading states pauses the cyclic collector and turns it back on afterwards."""
        at = datetime(2026, 1, 2, tzinfo=UTC)
        replay = seed_program().replay([Purchase(id="A", member_id="m", at=at,
                                                 amount=Money("60.00", "EUR"))])
        assert gc.isenabled()
        assert replay.states["m"].points_earned == 1
        assert gc.isenabled()
