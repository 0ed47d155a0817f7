"""Mutated JSON events: only ``ReciprocityError`` escapes, and the state never changes on error.

Each example starts from a valid event of one type, drawn from ``reciprocity.testing``, dumped
as JSON, then mutated: keys dropped, a key repeated with another value, values swapped for
other types, extreme numbers and dates, odd strings, at the top level or nested. Applying it
to a program with all four families (points with pending days and expiry, tiers, gifts,
goodwill with approvals) must either succeed or raise a ``ReciprocityError`` subclass, and
after an error the input state is equal to what it was and dumps to the same JSON.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reciprocity import (
    BirthdayGift,
    FirstOrderGift,
    FixedLifetime,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    MemberState,
    MinSpend,
    Money,
    PointScheme,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    ReciprocityError,
    Reward,
    Tier,
    TierBenefits,
    TierLadder,
    VoucherCompensation,
)
from reciprocity.testing import (
    approvals,
    complaints,
    customs,
    profile_updates,
    purchases,
    redemptions,
    returns,
    signups,
)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


PROGRAM = Program(
    name="Fuzzed", timezone="Europe/Berlin",
    points=PointScheme(
        earn=(PointsPerPurchase(id="over-50", points=2, min_amount=eur("50.00")),
              PointsPerAmount(id="per-10", per=eur("10.00"))),
        rewards=(Reward(id="voucher-10", name="10 EUR voucher", points=10, value=eur("10.00"),
                        valid_days=365),),
        pending_days=14, expiry=FixedLifetime(months=24)),
    tiers=TierLadder(tiers=(
        Tier(id="bronze", requires=MinSpend(amount=eur("1.00"))),
        Tier(id="gold", requires=MinSpend(amount=eur("500.00")),
             benefits=TierBenefits(points_multiplier=Decimal(2))),
    )),
    gifts=GiftScheme(rules=(
        FirstOrderGift(id="first", gift=Gift(id="mug", name="mug", kind="physical",
                                             value=eur("8.00"))),
        BirthdayGift(id="birthday", gift=Gift(id="cake", name="cake", kind="voucher",
                                              value=eur("5.00"), valid_days=30)),
    )),
    goodwill=GoodwillPolicy(
        rules=(GoodwillRule(id="sorry", compensation=VoucherCompensation(
            value=eur("50.00"), valid_days=90)),),
        approval_above=eur("20.00")),
)

MEMBER = "m-1"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 12, 31, tzinfo=UTC)


def _state() -> MemberState:
    """A member with a sign-up, purchases (one returned in part), points and a complaint
    waiting for approval: every part of a state an event could touch."""
    events: list[dict[str, Any]] = [
        {"type": "signup", "id": "S-1", "at": "2026-01-02T10:00:00+01:00",
         "birthday": "1990-06-15", "consents": ["email"]},
        {"type": "purchase", "id": "P-1", "at": "2026-01-05T10:00:00+01:00",
         "amount": "120.00 EUR", "lines": [
             {"sku": "TEA", "quantity": 2, "unit_price": "60.00 EUR"}]},
        {"type": "purchase", "id": "P-2", "at": "2026-03-05T10:00:00+01:00",
         "amount": "700.00 EUR"},
        {"type": "return", "id": "R-1", "at": "2026-03-06T10:00:00+01:00",
         "purchase_id": "P-2", "amount": "100.00 EUR"},
        {"type": "complaint", "id": "C-1", "at": "2026-04-01T10:00:00+02:00",
         "order_id": "P-1", "category": "late_delivery", "severity": 3},
    ]
    state = None
    for event in events:
        state = PROGRAM.apply(state, {"member_id": MEMBER, **event}).state
    assert state is not None
    assert state.goodwill is not None
    assert state.goodwill.pending
    return state


STATE = _state()
STATE_JSON = STATE.model_dump_json()

VALID_EVENTS = st.one_of(
    purchases(member_id=MEMBER, start=START, end=END),
    returns(member_id=MEMBER, purchase_id="P-1", start=START, end=END, by_lines=True),
    returns(member_id=MEMBER, start=START, end=END),
    complaints(member_id=MEMBER, start=START, end=END),
    signups(member_id=MEMBER, start=START, end=END),
    profile_updates(member_id=MEMBER, start=START, end=END),
    redemptions(member_id=MEMBER, reward_ids=("voucher-10", "cinema"), start=START, end=END),
    customs(member_id=MEMBER, start=START, end=END),
    approvals(member_id=MEMBER, ref_event_id="C-1", start=START, end=END),
    approvals(member_id=MEMBER, start=START, end=END),
)

ODD_VALUES: list[Any] = [
    None, True, 0, -1, 10**30, -(10**30), 1e308, -0.0, 1.5, float("nan"), float("inf"),
    "", " ", "\x00", "\u2028", "a" * 300, "x" * 5000, "💥", "\ud800", "1E+27 EUR", "70.001 EUR",
    "1E-30 EUR", "-0 EUR", "NaN EUR", "Infinity EUR", "10.00 USD", "1E+27", "NaN",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-03-01T12:00:00", "1700000000",
    "0001-01-01", "9999-12-31", "2999-12-31", "2026-03-01", 1_700_000_000, [], {},
    [None], {"amount": "1E+27", "currency": "EUR"}, {"amount": "1", "currency": "XXX"},
    {"amount": 1.5, "currency": "EUR"}, ["a", "b"], {"sku": "X", "quantity": 10**20},
]
ODD = st.sampled_from(ODD_VALUES).map(copy.deepcopy)  # never mutate the shared samples
KEYS = ["id", "member_id", "at", "type", "amount", "lines", "purchase_id", "reward_id",
        "quantity", "points", "birthday", "resolved_at", "first_response_at", "ref_event_id",
        "amount_affected", "severity", "unit_price", "sku", "metadata", "payload", "name"]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``doc`` (dict keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


def _container(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> str | dict[str, Any]:
    """A valid event's JSON, mutated one to three times; as a dict or as JSON text."""
    doc: dict[str, Any] = json.loads(draw(VALID_EVENTS).model_dump_json())
    repeated: tuple[str, Any] | None = None
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["drop", "replace", "replace", "add", "repeat"]))
        paths = _paths(doc)
        if how == "drop" and paths:
            path = draw(st.sampled_from(paths))
            holder = _container(doc, path)
            del holder[path[-1]]
        elif how == "replace" and paths:
            path = draw(st.sampled_from(paths))
            _container(doc, path)[path[-1]] = draw(ODD)
        elif how == "add":
            doc[draw(st.sampled_from(KEYS))] = draw(ODD)
        else:
            repeated = (draw(st.sampled_from(KEYS)), draw(ODD))
    if repeated is None and draw(st.booleans()):
        return doc
    text = json.dumps(doc)  # NaN and Infinity are written as JSON's extensions
    if repeated is not None:  # the same key twice in one object: the JSON text can say it
        key, value = repeated
        text = "{" + json.dumps(key) + ": " + json.dumps(value) + (
            ", " if text != "{}" else "") + text[1:]
    return text


@given(mutated())
def test_mutated_events_raise_only_reciprocity_errors(event: str | dict[str, Any]) -> None:
    """Apply succeeds or raises a ReciprocityError; the state passed in never changes."""
    try:
        decision = PROGRAM.apply(STATE, event)
    except ReciprocityError:
        assert STATE.model_dump_json() == STATE_JSON
        assert MemberState.model_validate_json(STATE_JSON) == STATE
        return
    assert STATE.model_dump_json() == STATE_JSON
    json.loads(decision.state.model_dump_json())  # the new state dumps as JSON


@given(st.lists(mutated(), max_size=4))
def test_mutated_events_in_a_replay_are_refused_or_skipped(
        events: list[str | dict[str, Any]]) -> None:
    """A replay raises a ReciprocityError for a malformed event, skips refused ones with
    ``errors="skip"``, and never lets another exception through."""
    docs = [json.loads(e) if isinstance(e, str) else e for e in events]
    try:
        summary = PROGRAM.replay(docs, {MEMBER: STATE}, errors="skip").summary()
    except ReciprocityError:
        assert STATE.model_dump_json() == STATE_JSON
        return
    assert summary.events + summary.duplicates + summary.rejected == len(docs)
    assert STATE.model_dump_json() == STATE_JSON
