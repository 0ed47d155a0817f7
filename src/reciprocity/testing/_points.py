"""Point-scheme strategies for :mod:`reciprocity.testing`: earning, multipliers, caps, expiry,
rewards.

Private: import the public names from :mod:`reciprocity.testing`. Every strategy draws valid,
realistic declarations: thresholds sit on the usual edges (49.99, 50, 50.01), factors are the
ones shops use (x1.5, x2), every rule that rounds declares a drawn rounding mode.

>>> from hypothesis import find
>>> cutoff = find(expiries(), lambda e: e.type == "calendar_cutoff")
>>> cutoff.describe().startswith("every ")
True

Imports: the points declarations, ``money``, ``testing._core`` and ``testing._events``, and
hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..money import Money, Rounding, currency_exponent
from ..points.rules import (
    CampaignMultiplier,
    CategoryMultiplier,
    EarnRule,
    Multiplier,
    PointsCap,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    TierMultiplier,
)
from ..points.scheme import (
    CalendarCutoff,
    EndOfMonthAfter,
    EndOfQuarterAfter,
    Expiry,
    FixedLifetime,
    Inactivity,
    PointsAsCurrency,
    PointScheme,
    Reward,
    RewardItem,
    Validity,
)
from ._core import CATEGORIES, conditions, money, thresholds
from ._events import PROFILE_FIELDS

__all__ = [
    "EVENT_RULE_NAMES",
    "earn_rules",
    "event_rules",
    "expiries",
    "full_point_schemes",
    "multipliers",
    "point_schemes",
    "points_as_currency",
    "points_caps",
    "purchase_rules",
    "rewards",
    "validities",
]

EVENT_RULE_NAMES: tuple[str, ...] = ("review_written", "referral", "app_install")
"""Custom event names :func:`event_rules` count points for."""

ROUNDINGS = st.sampled_from(list(Rounding))
_FACTORS = st.sampled_from(("1.25", "1.5", "2", "3", "0.5")).map(Decimal)
_CAMPAIGNS = st.sampled_from(("double points week", "summer sale", "launch"))
_CLAWBACK = st.sampled_from(("debt", "absorb"))
_PENDING_DAYS = st.just(0) | st.integers(1, 30)


def _subset(items: Sequence[str], min_size: int = 0,
            max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(tuple(items)), min_size=min_size, max_size=max_size,
                    unique=True).map(tuple)


# -- earning ---------------------------------------------------------------------------------

@cache
def _earn_rule(rule_id: str, currency: str, when: bool) -> st.SearchStrategy[PointsPerPurchase]:
    return st.builds(
        PointsPerPurchase, id=st.just(rule_id), points=st.integers(1, 5),
        min_amount=st.none() | thresholds(currency), inclusive=st.booleans(),
        when=st.none() | conditions(currency) if when else st.none(),
    )


def earn_rules(
    currency: str = "EUR", *, rule_id: str = "earn-1", conditions: bool = True,
) -> st.SearchStrategy[PointsPerPurchase]:
    """Earning rules: 1-5 points, a threshold (inclusive or not) or none, maybe a condition.

    For every kind of purchase rule, with multipliers and caps, see :func:`purchase_rules`.

    Args:
        currency: currency of the threshold.
        rule_id: the rule's id.
        conditions: whether the rule may carry a ``when`` condition.
    """
    return _earn_rule(rule_id, currency, conditions)


@cache
def _multipliers(currency: str, tiers: tuple[str, ...]) -> st.SearchStrategy[Multiplier]:
    return st.one_of(
        st.just(TierMultiplier()),
        st.builds(CampaignMultiplier, name=_CAMPAIGNS, factor=_FACTORS,
                  when=conditions(currency, max_leaves=2, tiers=tiers)),
        st.builds(CategoryMultiplier, categories=_subset(CATEGORIES, 1), factor=_FACTORS),
    )


def multipliers(currency: str = "EUR", *,
                tiers: Sequence[str] = ()) -> st.SearchStrategy[Multiplier]:
    """Multipliers of every kind: the tier's, a campaign's (with a condition), a category's.

    Args:
        currency: currency of amounts in campaign conditions.
        tiers: tier ids a campaign condition may name.

    >>> from hypothesis import find
    >>> find(multipliers(), lambda m: m.type == "category").describe()
    'x1.25 on tea'
    """
    return _multipliers(currency, tuple(tiers))


@cache
def points_caps() -> st.SearchStrategy[PointsCap]:
    """Caps on one rule's points: per order or per calendar period, 0 points included.

    >>> from hypothesis import find
    >>> find(points_caps(), lambda c: c.per == "month").describe()
    'at most 0 points per month'
    """
    return st.builds(PointsCap, points=st.integers(0, 20) | st.sampled_from((50, 100, 500)),
                     per=st.sampled_from(("order", "day", "week", "month", "quarter", "year",
                                          "lifetime")))


def _extras(currency: str, with_when: bool,
            tiers: tuple[str, ...]) -> dict[str, st.SearchStrategy[Any]]:
    """Fields every earning rule shares: condition, multipliers, stacking, rounding, caps."""
    rare_when = st.none() | st.none() | conditions(currency, max_leaves=3, tiers=tiers)
    return dict(
        when=rare_when if with_when else st.none(),
        multipliers=st.lists(_multipliers(currency, tiers), max_size=3).map(tuple),
        stacking=st.sampled_from(("multiply", "add", "best")), rounding=ROUNDINGS,
        caps=st.lists(points_caps(), max_size=2).map(tuple),
    )


@cache
def _per_units(currency: str) -> st.SearchStrategy[Money]:
    """``per`` of a per-amount rule: 1, 2, 5 or 10 units, or any positive amount up to 20."""
    smallest = Decimal(1).scaleb(-currency_exponent(currency))
    return st.sampled_from((1, 2, 5, 10)).map(lambda n: Money(n, currency).quantize()) | money(
        currency, smallest, 20)


@cache
def _purchase_rules(rule_id: str, currency: str, with_when: bool,
                    tiers: tuple[str, ...]) -> st.SearchStrategy[EarnRule]:
    extras = _extras(currency, with_when, tiers)
    others = ("shipping", "gift-card")
    per_purchase = st.builds(
        PointsPerPurchase, id=st.just(rule_id), points=st.integers(1, 5),
        min_amount=st.none() | thresholds(currency), inclusive=st.booleans(), **extras)
    per_amount = st.builds(
        PointsPerAmount, id=st.just(rule_id), per=_per_units(currency),
        points=st.integers(1, 5) | st.sampled_from(
            [Decimal("1.5"), Decimal("0.25"), Decimal("2.75")]),
        rounding_order=st.sampled_from(["once", "amount_first"]),
        include_categories=st.just(()) | _subset(CATEGORIES, 1),
        exclude_categories=st.just(()) | _subset((*CATEGORIES, *others), 1),
        exclude_skus=st.just(()) | _subset(("SKU-1", "SKU-2", "SHIP"), 1),
        clawback_rounding=ROUNDINGS, **extras)
    return st.one_of(per_purchase, per_amount)


def purchase_rules(
    currency: str = "EUR", *, rule_id: str = "earn-1", conditions: bool = True,
    tiers: Sequence[str] = (),
) -> st.SearchStrategy[EarnRule]:
    """Purchase earning rules of every kind: per order (with a threshold) or per amount
    (with category and SKU filters), each with multipliers (tier, campaign, category), a
    stacking mode, a rounding mode and caps.

    Args:
        currency: currency of thresholds and ``per``.
        rule_id: the rule's id.
        conditions: whether the rule may carry a ``when`` condition.
        tiers: tier ids conditions may name (:class:`~reciprocity.InTier`).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, database=None)
    ... @given(purchase_rules(currency="JPY"))
    ... def test_in_the_currency(rule):
    ...     assert getattr(rule, "per", None) is None or rule.per.currency == "JPY"
    >>> test_in_the_currency()
    """
    return _purchase_rules(rule_id, currency, conditions, tuple(tiers))


@cache
def _event_rules(rule_id: str, currency: str, names: tuple[str, ...], fields: tuple[str, ...],
                 with_when: bool, tiers: tuple[str, ...]) -> st.SearchStrategy[PointsForEvent]:
    extras = _extras(currency, with_when, tiers)
    extras["multipliers"] = st.lists(st.just(TierMultiplier()) | st.builds(
        CampaignMultiplier, name=_CAMPAIGNS, factor=_FACTORS,
        when=conditions(currency, max_leaves=2, tiers=tiers)), max_size=2).map(tuple)
    points = st.integers(1, 50) | st.sampled_from((100, 250))
    options = [
        st.builds(PointsForEvent, id=st.just(rule_id), on=st.just("signup"), points=points,
                  **extras),
        st.builds(PointsForEvent, id=st.just(rule_id), on=st.just("custom"),
                  name=st.sampled_from(names), points=points, **extras),
        st.integers(0, 20).flatmap(lambda low: st.builds(
            PointsForEvent, id=st.just(rule_id), on=st.just("custom"),
            name=st.sampled_from(names), points_from=st.sampled_from(("points", "miles")),
            min_points=st.just(low), max_points=st.integers(max(low, 1), 5000), **extras)),
    ]
    if fields:
        options.append(st.builds(PointsForEvent, id=st.just(rule_id),
                                 on=st.just("profile_completed"),
                                 required_fields=_subset(fields, 1, len(fields)), points=points,
                                 **extras))
    return st.one_of(options)


def event_rules(
    currency: str = "EUR", *, rule_id: str = "event-1", names: Sequence[str] = EVENT_RULE_NAMES,
    fields: Sequence[str] = PROFILE_FIELDS, conditions: bool = True, tiers: Sequence[str] = (),
) -> st.SearchStrategy[PointsForEvent]:
    """Points for events other than orders: signing up, completing the profile (some of
    ``fields``), or a custom event named in ``names``; with multipliers, rounding and caps.

    Args:
        currency: currency of amounts in conditions.
        rule_id: the rule's id.
        names: custom event names a rule may count.
        fields: profile fields a rule may require.
        conditions: whether the rule may carry a ``when`` condition.
        tiers: tier ids conditions may name.
    """
    if not names:
        raise InvalidArgument("names is empty; give at least one custom event name")
    return _event_rules(rule_id, currency, tuple(names), tuple(fields), conditions, tuple(tiers))


# -- expiry and rewards ----------------------------------------------------------------------

_LIFETIMES = st.tuples(st.integers(0, 24), st.integers(0, 60)).filter(lambda md: md != (0, 0))


@cache
def expiries() -> st.SearchStrategy[Expiry]:
    """Expiry modes: a fixed lifetime, the end of a later month, a yearly cut-off day, or
    inactivity."""
    return st.one_of(
        _LIFETIMES.map(lambda md: FixedLifetime(months=md[0], days=md[1])),
        st.builds(EndOfMonthAfter, months=st.integers(0, 24)),
        st.builds(EndOfQuarterAfter, months=st.integers(0, 24)),
        _cutoffs(),
        st.builds(Inactivity, months=st.integers(1, 24)),
    )


def _cutoffs() -> st.SearchStrategy[CalendarCutoff]:
    """Yearly cut-offs on a day every year has (month ends included, never 29 February)."""
    days = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
    return st.integers(1, 12).flatmap(lambda month: st.builds(
        CalendarCutoff, month=st.just(month),
        day=st.integers(1, days[month]) | st.just(days[month]), years=st.integers(1, 3)))


@cache
def validities() -> st.SearchStrategy[Validity]:
    """Voucher validities: months and days from issue or from the first of the next month."""
    return _LIFETIMES.flatmap(lambda md: st.builds(
        Validity, months=st.just(md[0]), days=st.just(md[1]),
        start=st.sampled_from(("issue", "next_month"))))


_PRICES = st.integers(1, 20)
_CATALOGUE_PRICES = st.integers(1, 20) | st.integers(1, 20) | st.sampled_from((50, 100, 250,
                                                                                 1000))
"""Prices of a full scheme's rewards: per-amount rules earn hundreds of points an order."""


@cache
def _reward(reward_id: str, currency: str, auto_issue: bool | None,
            validity: bool) -> st.SearchStrategy[Reward]:
    auto = st.booleans() if auto_issue is None else st.just(auto_issue)
    if validity:  # a full scheme's catalogue: a wider range of prices, few auto-issued
        auto = st.integers(0, 3).map(lambda n: n == 0) if auto_issue is None else auto
    prices = _CATALOGUE_PRICES if validity else _PRICES
    plain = st.builds(
        Reward, id=st.just(reward_id), name=st.just(f"voucher {reward_id}"),
        points=prices, value=money(currency, 1, 50),
        valid_days=st.none() | st.integers(1, 400), auto_issue=auto,
    )
    if not validity:
        return plain
    return plain | st.builds(
        Reward, id=st.just(reward_id), name=st.just(f"voucher {reward_id}"),
        points=prices, value=money(currency, 1, 50), validity=validities(),
        auto_issue=auto,
    )


def rewards(
    currency: str = "EUR", *, reward_id: str = "reward-1", auto_issue: bool | None = None,
    validity: bool = False,
) -> st.SearchStrategy[Reward]:
    """Catalogue rewards: 1-20 points for a voucher worth 1-50, with or without validity.

    Args:
        currency: currency of the voucher value.
        reward_id: the reward's id.
        auto_issue: force ``auto_issue``; drawn when ``None``.
        validity: a reward of a full catalogue: also calendar validities
            (:class:`~reciprocity.Validity`), prices up to 1000 points, auto-issued rarely.
    """
    return _reward(reward_id, currency, auto_issue, validity)


@cache
def _pay(reward_id: str, currency: str) -> st.SearchStrategy[PointsAsCurrency]:
    smallest = Decimal(1).scaleb(-currency_exponent(currency))
    return st.builds(
        PointsAsCurrency, id=st.just(reward_id), name=st.just("points payment"),
        point_value=st.sampled_from(("0.01", "0.05", "0.10", "1")).map(
            lambda v: Money(v, currency).quantize()).filter(lambda m: m.amount > 0)
        | money(currency, smallest, 1),
        min_points=st.integers(1, 20) | st.sampled_from((100, 200)),
        step=st.just(1) | st.integers(2, 10), validity=st.none() | validities(),
    )


def points_as_currency(currency: str = "EUR", *,
                       reward_id: str = "pay-1") -> st.SearchStrategy[PointsAsCurrency]:
    """Points that pay like money: a point value, a minimum, a step, maybe a validity.

    Args:
        currency: currency of the point value.
        reward_id: the reward's id.

    >>> from hypothesis import find
    >>> find(points_as_currency(), lambda r: r.step > 1).describe()
    'points pay 0.01 EUR each, from 1 point in steps of 2'
    """
    return _pay(reward_id, currency)


@st.composite
def _scheme(draw: st.DrawFn, currency: str, max_rules: int, max_rewards: int,
            with_conditions: bool, auto_issue: bool | None, min_rewards: int) -> PointScheme:
    n_rules = draw(st.integers(1, max_rules))
    n_rewards = draw(st.integers(min_rewards, max_rewards))
    lifetime = draw(st.none() | _LIFETIMES)
    expiry = None if lifetime is None else FixedLifetime(months=lifetime[0], days=lifetime[1])
    return PointScheme(
        earn=tuple(draw(earn_rules(currency, rule_id=f"earn-{n}", conditions=with_conditions))
                   for n in range(1, n_rules + 1)),
        rewards=tuple(draw(rewards(currency, reward_id=f"reward-{n}", auto_issue=auto_issue))
                      for n in range(1, n_rewards + 1)),
        pending_days=draw(_PENDING_DAYS), expiry=expiry, clawback=draw(_CLAWBACK),
    )


def point_schemes(
    currency: str = "EUR", *, max_rules: int = 3, min_rewards: int = 0, max_rewards: int = 3,
    conditions: bool = True, auto_issue: bool | None = None,
) -> st.SearchStrategy[PointScheme]:
    """Valid point schemes: 1..N per-order earn rules, 0..N voucher rewards, pending, a fixed
    lifetime and clawback. For every feature of a scheme, see :func:`full_point_schemes`.

    Args:
        currency: currency of every amount in the scheme.
        max_rules: most earning rules.
        min_rewards: fewest rewards in the catalogue.
        max_rewards: most rewards in the catalogue.
        conditions: whether earning rules may carry ``when`` conditions.
        auto_issue: force every reward's ``auto_issue``; drawn per reward when ``None``.
    """
    if max_rules < 1 or not 0 <= min_rewards <= max_rewards:
        raise InvalidArgument(f"need max_rules >= 1 and 0 <= min_rewards <= max_rewards, got "
                              f"{max_rules}, {min_rewards}, {max_rewards}")
    return _scheme(currency, max_rules, max_rewards, conditions, auto_issue, min_rewards)


@st.composite
def _full_scheme(draw: st.DrawFn, currency: str, max_rules: int, max_event_rules: int,
                 min_rewards: int, max_rewards: int, tiers: tuple[str, ...]) -> PointScheme:
    earn = tuple(draw(_purchase_rules(f"earn-{n}", currency, True, tiers))
                 for n in range(1, draw(st.integers(1, max_rules)) + 1))
    events = tuple(draw(_event_rules(f"event-{n}", currency, EVENT_RULE_NAMES, PROFILE_FIELDS,
                                     True, tiers))
                   for n in range(1, draw(st.integers(0, max_event_rules)) + 1))
    items: list[RewardItem] = []
    for n in range(1, draw(st.integers(min_rewards, max_rewards)) + 1):
        items.append(draw(_pay(f"pay-{n}", currency)) if draw(st.integers(0, 3)) == 0
                     else draw(_reward(f"reward-{n}", currency, None, True)))
    return PointScheme(
        earn=earn, events=events, rewards=tuple(items), pending_days=draw(_PENDING_DAYS),
        release_on=draw(st.none() | st.just("delivered")), expiry=draw(st.none() | expiries()),
        redemption_order=draw(st.sampled_from(("fifo", "lifo"))), clawback=draw(_CLAWBACK),
    )


def full_point_schemes(
    currency: str = "EUR", *, max_rules: int = 3, max_event_rules: int = 2,
    min_rewards: int = 0, max_rewards: int = 3, tiers: Sequence[str] = (),
) -> st.SearchStrategy[PointScheme]:
    """Point schemes using every feature: :func:`purchase_rules` and :func:`event_rules`,
    vouchers (some with a calendar :class:`~reciprocity.Validity`) and
    :class:`~reciprocity.PointsAsCurrency`, pending days and ``release_on="delivered"``,
    every expiry mode, FIFO or LIFO redemption, debt or absorbed clawback.

    Args:
        currency: currency of every amount in the scheme.
        max_rules: most purchase earning rules (at least one is drawn).
        max_event_rules: most rules for sign-up, profile and custom events.
        min_rewards: fewest catalogue items.
        max_rewards: most catalogue items.
        tiers: tier ids conditions may name.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, database=None)
    ... @given(full_point_schemes(max_rules=2))
    ... def test_rules_are_numbered(scheme):
    ...     assert [rule.id for rule in scheme.earn][:1] == ["earn-1"]
    >>> test_rules_are_numbered()
    """
    if max_rules < 1 or max_event_rules < 0 or not 0 <= min_rewards <= max_rewards:
        raise InvalidArgument(f"need max_rules >= 1, max_event_rules >= 0 and 0 <= min_rewards "
                              f"<= max_rewards, got {max_rules}, {max_event_rules}, "
                              f"{min_rewards}, {max_rewards}")
    return _full_scheme(currency, max_rules, max_event_rules, min_rewards, max_rewards,
                        tuple(tiers))
