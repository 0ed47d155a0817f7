"""Hypothesis strategies for reciprocity: money, events, member streams, programs and states.

Use them in your own property tests. Hypothesis is needed only here (``pip install
'reciprocity[test]'``); ``import reciprocity`` never imports it. Every event stream is in time
order, with unique ids, returns that reference earlier purchases and never exceed what is
left of them, and some events sharing the exact same ``at``; times are aware and spread over
several real time zones, near DST changes too.

>>> from hypothesis import given, settings
>>> from reciprocity import RefusedEvent, seed_program
>>> from reciprocity.testing import member_streams
>>> program = seed_program()
>>> @settings(max_examples=20, database=None)
... @given(member_streams(rewards=program.points.rewards))
... def test_balance_never_negative(events):
...     state = None
...     for event in events:
...         try:
...             state = program.apply(state, event).state
...         except RefusedEvent:
...             pass
...     assert state is None or state.available_points >= 0
>>> test_balance_never_negative()

Every declared feature has a strategy: :func:`full_programs` draws programs with every
family (point schemes with every earning rule, multiplier, cap, expiry mode and reward;
tier ladders; gift schemes; goodwill policies), and ``member_streams(program=...)`` /
``shop_streams(program=...)`` draw the events such a program reacts to:

>>> from reciprocity.testing import full_programs, shop_streams
>>> @settings(max_examples=5, database=None)
... @given(full_programs().flatmap(
...     lambda p: shop_streams(2, program=p).map(lambda events: (p, events))))
... def test_replay_skips_only_refused_events(case):
...     program, events = case
...     summary = program.replay(events, errors="skip").summary()
...     assert summary.events + summary.rejected == len(events)
>>> test_replay_skips_only_refused_events()

Imports: its private strategy modules and the public core (``errors``, ``program``, ``shared``,
``state``), and hypothesis; nothing in the package imports it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..errors import RefusedEvent
from ..program import Program
from ..shared import SharedState
from ..state import MemberState
from ._core import (
    CATEGORIES,
    DEFAULT_END,
    DEFAULT_START,
    TIMEZONES,
    aware_datetimes,
    conditions,
    money,
    name_labels,
)
from ._events import (
    CUSTOM_NAMES,
    approvals,
    complaints,
    customs,
    profile_updates,
    purchases,
    redemptions,
    returns,
    signups,
)
from ._families import (
    GIFT_RULE_TYPES,
    TIER_IDS,
    exempt_tiers,
    gift_schemes,
    tier_ladders,
)
from ._goodwill import goodwill_policies
from ._points import (
    earn_rules,
    event_rules,
    expiries,
    full_point_schemes,
    multipliers,
    point_schemes,
    points_as_currency,
    points_caps,
    purchase_rules,
    rewards,
    validities,
)
from ._streams import (
    ALL_EVENT_TYPES,
    EVENT_TYPES,
    _check_kinds,
    member_streams,
    shop_streams,
)

__all__ = [
    "ALL_EVENT_TYPES",
    "DEFAULT_END",
    "DEFAULT_START",
    "EVENT_TYPES",
    "GIFT_RULE_TYPES",
    "TIER_IDS",
    "TIMEZONES",
    "approvals",
    "aware_datetimes",
    "complaints",
    "conditions",
    "customs",
    "earn_rules",
    "event_rules",
    "exempt_tiers",
    "expiries",
    "full_point_schemes",
    "full_programs",
    "gift_schemes",
    "goodwill_policies",
    "member_states",
    "member_streams",
    "money",
    "multipliers",
    "name_labels",
    "point_schemes",
    "points_as_currency",
    "points_caps",
    "profile_updates",
    "programs",
    "purchase_rules",
    "purchases",
    "redemptions",
    "returns",
    "rewards",
    "shop_streams",
    "signups",
    "tier_ladders",
    "validities",
]

_NAMES = st.sampled_from(("Test program", "Kundenkarte", "Club"))
_VERSIONS = st.sampled_from(("1", "2025-01"))


def _zones(timezone: str | None) -> st.SearchStrategy[str]:
    return st.just(timezone) if timezone is not None else st.sampled_from(TIMEZONES)


def programs(
    currency: str = "EUR", *, timezone: str | None = None, max_rules: int = 3,
    min_rewards: int = 0, max_rewards: int = 3, conditions: bool = True,
    auto_issue: bool | None = None,
) -> st.SearchStrategy[Program]:
    """Valid programs around a :func:`point_schemes` scheme (points only; for every family
    and feature, see :func:`full_programs`).

    Args:
        currency: the program's currency.
        timezone: the program's IANA zone; drawn from :data:`TIMEZONES` when ``None``.
        max_rules: most earning rules.
        min_rewards: fewest rewards in the catalogue.
        max_rewards: most rewards in the catalogue.
        conditions: whether earning rules may carry ``when`` conditions.
        auto_issue: force every reward's ``auto_issue``; drawn per reward when ``None``.
    """
    return st.builds(
        Program, name=_NAMES, version=_VERSIONS, currency=st.just(currency),
        timezone=_zones(timezone),
        points=point_schemes(currency, max_rules=max_rules, min_rewards=min_rewards,
                             max_rewards=max_rewards, conditions=conditions,
                             auto_issue=auto_issue),
    )


def _wanted(draw: st.DrawFn, flag: bool | None) -> bool:
    return draw(st.booleans()) if flag is None else flag


@st.composite
def _full(draw: st.DrawFn, currency: str, timezone: str | None, tiers: bool | None,
          gifts: bool | None, goodwill: bool | None, shared: bool | None,
          max_rules: int, max_rewards: int) -> Program:
    ladder = draw(tier_ladders(currency, rule_ids=[f"earn-{n}" for n in range(1, max_rules + 1)])
                  ) if _wanted(draw, tiers) else None
    tier_ids = () if ladder is None else tuple(tier.id for tier in ladder.tiers)
    scheme = draw(full_point_schemes(currency, max_rules=max_rules, max_rewards=max_rewards,
                                     tiers=tier_ids))
    if ladder is not None and scheme.lot_expiry is not None:
        ladder = draw(exempt_tiers(ladder))  # tiers whose points do not expire need one
    with_gifts, with_goodwill = _wanted(draw, gifts), _wanted(draw, goodwill)
    gift_shared = goodwill_shared = shared
    if shared:  # program-wide state from at least one family that is there
        if not (with_gifts or with_goodwill):
            with_gifts = True
        if with_gifts and with_goodwill:
            gift_shared, goodwill_shared = None, None
            if not draw(st.booleans()):
                gift_shared = True
            else:
                goodwill_shared = True
    return Program(
        name=draw(_NAMES), version=draw(_VERSIONS), currency=currency,
        timezone=draw(_zones(timezone)), points=scheme, tiers=ladder,
        gifts=draw(gift_schemes(currency, tiers=tier_ids, shared=gift_shared))
        if with_gifts else None,
        goodwill=draw(goodwill_policies(currency, tiers=tier_ids, shared=goodwill_shared,
                                        point_value=True if not scheme.rewards else None))
        if with_goodwill else None,
        labels=draw(name_labels(CATEGORIES, CUSTOM_NAMES)),
    )


def full_programs(
    currency: str = "EUR", *, timezone: str | None = None, tiers: bool | None = None,
    gifts: bool | None = None, goodwill: bool | None = None, shared: bool | None = None,
    max_rules: int = 3, max_rewards: int = 3,
) -> st.SearchStrategy[Program]:
    """Programs with every family and feature: a :func:`full_point_schemes` scheme, and
    maybe a :func:`tier_ladders` ladder, a :func:`gift_schemes` scheme and a
    :func:`goodwill_policies` policy, all in one currency, naming the ladder's tiers. When
    the scheme has a lot expiry, some tiers may exempt their members' points from it
    (:func:`exempt_tiers`).

    Args:
        currency: the program's currency.
        timezone: the program's IANA zone; drawn from :data:`TIMEZONES` when ``None``.
        tiers: ``True``: always a tier ladder; ``False``: never; ``None``: drawn.
        gifts: the same, for a gift scheme.
        goodwill: the same, for a goodwill policy.
        shared: ``True``: the program keeps program-wide state (gift budgets, stock or a
            ranking, or a goodwill budget; a gift scheme is added if needed); ``False``: it
            does not, so it can be replayed member by member; ``None``: drawn.
        max_rules: most purchase earning rules.
        max_rewards: most catalogue items.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, database=None)
    ... @given(full_programs(tiers=True, shared=False))
    ... def test_ladder_without_program_wide_state(program):
    ...     assert program.tiers.tiers[0].id == "bronze"
    ...     assert not program.uses_shared_state
    >>> test_ladder_without_program_wide_state()
    """
    if max_rules < 1 or max_rewards < 0:
        raise InvalidArgument(f"need max_rules >= 1 and max_rewards >= 0, got {max_rules}, "
                              f"{max_rewards}")
    return _full(currency, timezone, tiers, gifts, goodwill, shared, max_rules, max_rewards)


@st.composite
def _states(draw: st.DrawFn, program: Program, member_id: str, max_events: int,
            kinds: Collection[str] | None, start: datetime, end: datetime) -> MemberState:
    events = draw(member_streams(member_id, program=program, kinds=kinds, max_size=max_events,
                                 start=start, end=end))
    state = MemberState.new(member_id, currency=program.currency)
    shared: SharedState | None = None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        state, shared = decision.state, decision.shared
    return state


def member_states(
    program: Program, *, member_id: str = "m-1", max_events: int = 20,
    kinds: Collection[str] | None = None, start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END,
) -> st.SearchStrategy[MemberState]:
    """States ``program`` reaches by applying a drawn stream (``member_streams(program=...)``),
    skipping refused events; with every family's part (tier, gifts, goodwill) the program has.

    Args:
        program: the program that applies the events.
        member_id: the member.
        max_events: most events in the stream.
        kinds: event ``type`` tags to draw (see :data:`ALL_EVENT_TYPES`, the default).
        start: earliest ``at``.
        end: latest ``at``.
    """
    if kinds is not None:
        _check_kinds(kinds)
    return _states(program, member_id, max_events, kinds, start, end)
