"""The express purchase on records kept in their JSON form (``Express._on_json_form``).

Its new applied ids, fingerprints and times are made from the loaded state's tuples
(``Express._applied_after``: the ids whose time is before the horizon's cutoff filtered out,
the new id inserted by bisect), not from the dicts a thaw makes. On random sorted ids with
random times (ties, unsorted times, every id forgotten or none), horizons and cutoffs, they
equal what the dicts' way writes (``Express._applied_by_dicts``, the general way's
``_history.settle`` and freeze), value for value. The new record's amounts are written by
``_records.amount_text``: ``format(value, "f")``'s text for every ``Decimal``, also where
``str`` writes an exponent, and under a context writing a lower-case ``e``. The decisions
themselves are compared with the general way's in ``test_express`` and ``test_json_form``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reciprocity import MemberState, Program, seed_program
from reciprocity._express import Express
from reciprocity._records import amount_of_text, amount_text
from test_express import PROPERTY

_T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _express(event_days: int | None) -> Express:
    data: dict[str, Any] = {**seed_program().model_dump()}
    if event_days is not None:
        data["history"] = {"return_days": 1, "event_days": event_days}
    express = Program.model_validate(data)._pipeline.express
    assert express is not None
    return express


@st.composite
def applied_cases(draw: st.DrawFn) -> tuple[Express, MemberState, str, datetime, datetime]:
    """An express purchase (with or without a horizon), a state of applied ids (sorted,
    unique) with fingerprints and times (in any order, ties), a new id not among them, its
    time and the member's time after the step (at or after every applied time; often an
    applied time plus the horizon: that id's time is the cutoff)."""
    days = draw(st.one_of(st.none(), st.integers(1, 20)))
    express = _express(days)
    ids = sorted(draw(st.sets(st.text("ABCxyz-09", min_size=1, max_size=4), max_size=12)))
    new = draw(st.text("ABCxyz-09", min_size=1, max_size=4).filter(lambda i: i not in ids))
    hours = draw(st.lists(st.integers(0, 40 * 24), min_size=len(ids), max_size=len(ids)))
    times = [_T0 + timedelta(hours=h) for h in hours]
    last = max(times, default=_T0)
    at = last + timedelta(hours=draw(st.integers(0, 30 * 24)))
    if days is not None and times and draw(st.booleans()):  # an applied time at the cutoff
        at = max(last, draw(st.sampled_from(times)) + timedelta(days=days))
    state = MemberState.model_validate({
        "member_id": "m-1", "currency": "EUR", "as_of": last if ids else None,
        "applied_event_ids": ids,
        "applied_event_fingerprints": [f"{n:016x}" for n in range(len(ids))],
        "applied_event_times": times if express.horizon is not None else []})
    return express, state, new, at, at


@PROPERTY
@given(applied_cases())
def test_the_applied_ids_from_tuples_are_the_dicts_ones(
        case: tuple[Express, MemberState, str, datetime, datetime]) -> None:
    express, state, eid, at, as_of = case
    fingerprint = "f" * 16
    d = state.__dict__
    after = express._applied_after(d, eid, fingerprint, at, as_of)
    assert after is not None
    assert after == express._applied_by_dicts(state, eid, fingerprint, at, as_of)
    ids, fingerprints, times = after
    assert list(ids) == sorted(ids)
    assert eid in ids
    assert len(fingerprints) == len(ids)
    assert len(times) == (0 if express.horizon is None else len(ids))


def test_the_applied_ids_need_one_fingerprint_and_time_per_id() -> None:
    """A state without one fingerprint or one time per id goes the dicts' way."""
    express = _express(14)
    state = MemberState.model_validate({
        "member_id": "m-1", "currency": "EUR", "as_of": _T0, "applied_event_ids": ["A", "B"],
        "applied_event_fingerprints": ["0" * 16, "1" * 16], "applied_event_times": []})
    assert express._applied_after(state.__dict__, "C", "2" * 16, _T0, _T0) is None
    ids, _, times = express._applied_by_dicts(state, "C", "2" * 16, _T0, _T0)
    assert ids == ("A", "B", "C")
    assert times == (_T0, _T0, _T0)  # the state's time for each


_DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None),
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.builds(lambda digits, exp: Decimal(digits).scaleb(exp),
              st.integers(0, 10**6), st.integers(-12, 6)),
    st.sampled_from([Decimal("0"), Decimal("0.00"), Decimal("1E+2"), Decimal("0E-8"),
                     Decimal("-0"), Decimal("1E-7"), amount_of_text("0")]))


@PROPERTY
@given(_DECIMALS)
def test_an_amount_is_written_as_format_writes_it(value: Decimal) -> None:
    assert amount_text(value) == format(value, "f")
    with localcontext() as context:
        context.capitals = 0  # str writes "1e+2"
        assert amount_text(value) == format(value, "f")
