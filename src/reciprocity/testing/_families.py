"""Family strategies for :mod:`reciprocity.testing`: tier ladders and gift schemes (goodwill:
``_goodwill``).

Private: import the public names from :mod:`reciprocity.testing`. The declarations are valid
and realistic: a first tier reached almost at once and higher tiers that ask more and give
more; gifts of every trigger with consents, tiers, caps, cooldowns, budgets and stock.

>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None)
... @given(tier_ladders())
... def test_higher_tiers_give_at_least_as_much(ladder):
...     benefits = [tier.benefits for tier in ladder.tiers]
...     assert all(not high.shortfalls(low) for low, high in zip(benefits, benefits[1:]))
>>> test_higher_tiers_give_at_least_as_much()

Imports: the declarations of tiers, gifts and goodwill, ``benefits``, ``limits``, ``money`` and
``testing._core``, and hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..benefits import TierBenefits
from ..gifts.gift import CategorySample, FeedbackRequest, Gift, Stock
from ..gifts.order_rules import (
    CategoryGift,
    ClaimGift,
    FirstOrderGift,
    NthOrderGift,
    OrderOverGift,
    SurpriseGift,
)
from ..gifts.scheme import (
    AnniversaryGift,
    BirthdayGift,
    DriftRule,
    GiftRule,
    GiftScheme,
    SeasonalGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
)
from ..limits import Budget, Cap, Period
from ..money import Money, Rounding, currency_exponent
from ..tiers.ladder import (
    CalendarYear,
    Downgrade,
    Lifetime,
    MembershipYear,
    MonthsFromQualifying,
    NoExpiry,
    RestOfPeriodAndNext,
    RollingMonths,
    Tier,
    TierLadder,
    TierValidity,
    UntilEndOfMonth,
)
from ..tiers.requirements import MinOrders, MinPoints, MinSpend, Requirement
from ._core import CATEGORIES, CONSENTS, conditions, money, thresholds
from ._events import CUSTOM_NAMES

__all__ = ["GIFT_RULE_TYPES", "TIER_IDS", "exempt_tiers", "gift_schemes", "tier_ladders"]

TIER_IDS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
"""Ids of the tiers :func:`tier_ladders` draws, lowest first."""

GIFT_RULE_TYPES: tuple[str, ...] = (
    "first_order", "nth_order", "order_over", "order_category", "surprise", "welcome",
    "birthday", "anniversary", "tier_reached", "seasonal", "thank_you", "drift", "claim")
"""The ``type`` tags of every gift rule :func:`gift_schemes` can draw."""

ROUNDINGS = st.sampled_from(list(Rounding))
_PERIODS = st.sampled_from(list(Period))


def _subset(items: Sequence[str], min_size: int = 0, max_size: int = 2,
            ) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(tuple(items)), min_size=min_size, max_size=max_size,
                    unique=True).map(tuple)


def _whole(amount: int | str, currency: str) -> Money:
    return Money(amount, currency).quantize()


def _positive(currency: str, high: int) -> st.SearchStrategy[Money]:
    """Amounts from the currency's smallest unit up to ``high``."""
    return money(currency, Decimal(1).scaleb(-currency_exponent(currency)), high)


# -- tier ladders ----------------------------------------------------------------------------

def _requirement(level: int, shape: int, order: list[int], currency: str, spend: int,
                 orders: int, points: MinPoints) -> Requirement:
    """What tier ``level`` (1 = the second tier) asks for: one ``shape`` over ``order``."""
    by_points = points.model_copy(update={"points": points.points * level})
    leaves: list[Requirement] = [MinSpend(amount=_whole(spend * level, currency)),
                                 MinOrders(count=orders * level + 1), by_points]
    a, b, c = (leaves[i] for i in order)
    if shape == 0:
        return a
    if shape == 1:
        return a | b
    if shape == 2:
        return a & b
    return (a & b) | c


_MULTIPLIERS = ("1", "1.25", "1.5", "2", "3")
_PERKS = ("birthday-gift", "early-sale", "lounge")


@st.composite
def _ladder(draw: st.DrawFn, currency: str, max_tiers: int,
            rule_ids: tuple[str, ...]) -> TierLadder:
    count = draw(st.integers(1, max_tiers))
    spend = draw(st.sampled_from((50, 150, 300, 1000)))
    orders = draw(st.integers(1, 4))
    rules = draw(st.none() | _subset(rule_ids, 1)) if rule_ids else None
    points = MinPoints(points=draw(st.sampled_from((10, 50, 200))), rules=rules,
                       label=draw(st.none() | st.just("qualifying points")))
    shape, order = draw(st.integers(0, 3)), draw(st.permutations([0, 1, 2]))
    first = draw(st.sampled_from((
        MinSpend(amount=_whole(1, currency)), MinOrders(count=1), MinPoints(points=1),
        MinSpend(amount=_whole(0, currency)))))
    multiplier = goodwill = 0
    shipping, early = False, 0
    perks: tuple[str, ...] = ()
    tiers = []
    for level, tier_id in enumerate(TIER_IDS[:count]):
        multiplier = draw(st.integers(multiplier, len(_MULTIPLIERS) - 1))
        goodwill = draw(st.integers(goodwill, 2))
        shipping = shipping or draw(st.booleans())
        early = draw(st.integers(early, early + 3))
        perks = tuple(dict.fromkeys(perks + draw(_subset(_PERKS, 0, 1))))
        requires = first if level == 0 else _requirement(level, shape, order, currency,
                                                         spend, orders, points)
        tiers.append(Tier(id=tier_id, name=tier_id.title(), requires=requires,
                          benefits=TierBenefits(
                              points_multiplier=Decimal(_MULTIPLIERS[multiplier]),
                              goodwill_factor=Decimal(("1", "1.25", "1.5")[goodwill]),
                              free_shipping=shipping, perks=perks, early_access_days=early)))
    period = draw(st.one_of(st.just(CalendarYear()), st.just(MembershipYear()),
                            st.builds(RollingMonths, months=st.integers(1, 24)),
                            st.just(Lifetime())))
    lasting: list[st.SearchStrategy[TierValidity]] = [
        st.builds(MonthsFromQualifying, months=st.integers(1, 24)), st.just(NoExpiry())]
    if isinstance(period, CalendarYear | MembershipYear):
        lasting.append(st.just(RestOfPeriodAndNext()))
    if isinstance(period, CalendarYear):
        lasting.append(st.builds(UntilEndOfMonth, month=st.integers(1, 12),
                                 years=st.integers(1, 2)))
    return TierLadder(
        tiers=tuple(tiers), period=period, validity=draw(st.one_of(lasting)),
        downgrade=Downgrade(
            to=draw(st.sampled_from(("earned", "one_step"))),
            grace_months=draw(st.just(0) | st.integers(1, 3)),
            grace_days=draw(st.just(0) | st.integers(1, 30)),
            floor=draw(st.none() | st.sampled_from(TIER_IDS[:count])),
            on_return=draw(st.booleans())),
        exclude_categories=draw(st.just(()) | _subset(CATEGORIES, 1, 2)),
    )


@st.composite
def exempt_tiers(draw: st.DrawFn, ladder: TierLadder) -> TierLadder:
    """``ladder`` with some tiers whose points do not expire
    (``TierBenefits.points_expire=False``), or as it is: none, every tier from a drawn one up
    (the usual ladder, each tier giving at least as much), or any of them (moving up may
    then set the lots' expiry again). For a program whose point scheme has a lot expiry."""
    count = len(ladder.tiers)
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return ladder
    if kind == 1:
        start = draw(st.integers(0, count - 1))
        flags = [level >= start for level in range(count)]
    else:
        flags = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    if not any(flags):
        return ladder
    tiers = tuple(tier.model_copy(update={"benefits": tier.benefits.model_copy(
        update={"points_expire": False})}) if flag else tier
        for tier, flag in zip(ladder.tiers, flags, strict=True))
    return TierLadder(**{**{name: getattr(ladder, name) for name in TierLadder.model_fields},
                         "tiers": tiers})


def tier_ladders(currency: str = "EUR", *, max_tiers: int = 4,
                 rule_ids: Sequence[str] = ()) -> st.SearchStrategy[TierLadder]:
    """Tier ladders with a first tier reached almost at once (1.00 spent, one order, one
    point) and up to three more, each asking more (spend, orders, points, combined with
    ``&`` and ``|``) and giving at least as much; every period, validity, downgrade and
    qualifying-spend line filter.

    Args:
        currency: currency of spend thresholds.
        max_tiers: most tiers (1 to 4; ids from :data:`TIER_IDS`).
        rule_ids: earning rule ids that :class:`~reciprocity.MinPoints` may count alone.
    """
    if not 1 <= max_tiers <= len(TIER_IDS):
        raise InvalidArgument(f"max_tiers={max_tiers} must be 1 to {len(TIER_IDS)}")
    return _ladder(currency, max_tiers, tuple(rule_ids))


# -- gift schemes ----------------------------------------------------------------------------

_GIFT_KINDS = ("sample", "physical", "voucher", "e-book", "early-access", "other")


@st.composite
def _gift(draw: st.DrawFn, gift_id: str, currency: str, stock: tuple[str, ...]) -> Gift:
    kind = draw(st.sampled_from(_GIFT_KINDS))
    value = _whole(0, currency) if kind == "early-access" else draw(money(currency, 0, 50))
    return Gift(id=gift_id, name=f"{gift_id} gift", kind=kind, value=value,
                stock=draw(st.none() | st.sampled_from(stock))
                if stock and kind == "physical" else None,
                valid_days=draw(st.none() | st.integers(14, 400)) if kind == "voucher" else None)


@st.composite
def _cap(draw: st.DrawFn, currency: str) -> Cap:
    count = draw(st.none() | st.integers(1, 3))
    amount = draw(st.none() | money(currency, 1, 100)) if count is not None else draw(
        money(currency, 1, 100))
    return Cap(count=count, amount=amount, per=draw(_PERIODS))


def _limits(draw: st.DrawFn, currency: str, tiers: tuple[str, ...],
            budgets: tuple[str, ...], purchases: bool) -> dict[str, Any]:
    """Eligibility and limits every gift rule shares; most rules have few of them."""
    sparse = st.integers(0, 3)
    return dict(
        when=draw(conditions(currency, max_leaves=2, tiers=tiers, purchases=purchases))
        if draw(sparse) == 0 else None,
        consents=draw(_subset(CONSENTS, 0, 1)) if draw(sparse) == 0 else (),
        tiers=draw(_subset(tiers, 1)) if tiers and draw(sparse) == 0 else (),
        cap=draw(_cap(currency)) if draw(sparse) == 0 else None,
        cooldown_days=draw(st.integers(1, 60)) if draw(sparse) == 0 else None,
        budget=draw(st.sampled_from(budgets)) if bool(budgets) and draw(st.booleans()) else None,
    )


def _on_return(draw: st.DrawFn) -> dict[str, Any]:
    return dict(on_return=draw(st.sampled_from(("keep", "revoke", "charge_back"))),
                return_budget=draw(st.booleans()), return_stock=draw(st.booleans()))


def _month_day(start: date, days: int) -> tuple[str, str]:
    end = start + timedelta(days=days)
    return start.strftime("%m-%d"), end.strftime("%m-%d")


# gift kinds decided on purchases (a tier gift: on any event)
_ON_PURCHASES = frozenset({"first_order", "nth_order", "order_over", "order_category",
                           "surprise", "thank_you", "tier_reached"})


@st.composite
def _gift_rule(draw: st.DrawFn, kind: str, rule_id: str, currency: str, tiers: tuple[str, ...],
               budgets: tuple[str, ...], stock: tuple[str, ...], ranking: bool) -> GiftRule:
    def gift(suffix: str = "") -> Gift:
        return draw(_gift(f"{rule_id}{suffix}", currency, stock))

    common = _limits(draw, currency, tiers, budgets, purchases=kind in _ON_PURCHASES)
    if kind == "first_order":
        return FirstOrderGift(id=rule_id, gift=gift(), **common, **_on_return(draw))
    if kind == "nth_order":
        return NthOrderGift(id=rule_id, every=draw(st.integers(2, 5)), gift=gift(), **common,
                            **_on_return(draw))
    if kind == "order_over":
        return OrderOverGift(id=rule_id, amount=draw(thresholds(currency)),
                             inclusive=draw(st.booleans()), gift=gift(), **common,
                             **_on_return(draw))
    if kind == "order_category":
        chosen = draw(_subset(CATEGORIES, 1, 3))
        return CategoryGift(id=rule_id, samples=tuple(
            CategorySample(category=c, gift=gift(f"-{c}")) for c in chosen), **common,
            **_on_return(draw))
    if kind == "surprise":
        return SurpriseGift(id=rule_id, probability=Decimal(draw(st.sampled_from(
            ("0.05", "0.25", "0.5", "1")))), min_amount=draw(st.none() | thresholds(currency)),
            gift=gift(), **common, **_on_return(draw))
    if kind == "welcome":
        return WelcomeGift(id=rule_id, gift=gift(), **common,
                           within_days=draw(st.none() | st.integers(1, 60)))
    if kind == "birthday":
        return BirthdayGift(id=rule_id, gift=gift(), **common,
                            window=draw(st.sampled_from(("day", "month"))),
                            leap_day=draw(st.sampled_from(("feb28", "mar1"))),
                            min_order=draw(st.none() | thresholds(currency, 60)),
                            ignore_changed_days=draw(st.none() | st.integers(1, 60)))
    if kind == "anniversary":
        return AnniversaryGift(id=rule_id, gift=gift(), **common,
                               years=tuple(draw(st.lists(st.integers(1, 3), max_size=2))),
                               leap_day=draw(st.sampled_from(("feb28", "mar1"))))
    if kind == "tier_reached":
        return TierGift(id=rule_id, gift=gift(), **common, reached=draw(_subset(tiers, 1)))
    if kind == "seasonal":
        first = draw(st.dates(date(2001, 1, 1), date(2001, 12, 31)))
        start, end = _month_day(first, draw(st.integers(0, 45)))
        return SeasonalGift(
            id=rule_id, gift=gift(), **common, start=start, end=end,
            years=draw(st.just(()) | st.lists(st.sampled_from((2025, 2026)), min_size=1,
                                              max_size=2, unique=True).map(tuple)),
            evaluate=draw(st.sampled_from(("at_start", "while_open"))),
            top_percent=draw(st.none() | st.sampled_from(("10", "50", "100")).map(Decimal))
            if ranking else None, ranking_rounding=draw(ROUNDINGS))
    if kind == "thank_you":
        spend = draw(st.none() | money(currency, 1, 500))
        return ThankYouGift(
            id=rule_id, gift=gift(), **common,
            orders=draw(st.integers(1, 5)) if spend is None else draw(
                st.none() | st.integers(1, 5)),
            spend=spend, per=draw(_PERIODS), match=draw(st.sampled_from(("all", "any"))),
            percent_of_spend=draw(st.none() | st.sampled_from(("2.5", "5", "10")).map(Decimal)),
            rounding=draw(ROUNDINGS))
    if kind == "claim":
        return ClaimGift(id=rule_id, on=draw(st.sampled_from(CUSTOM_NAMES)), gift=gift(),
                         **common)
    return DriftRule(
        id=rule_id, **common, quiet_days=draw(st.integers(10, 120)),
        min_orders=draw(st.integers(1, 3)),
        lookback_days=draw(st.none() | st.integers(30, 365)),
        message=FeedbackRequest(id="miss-you", channel=draw(st.sampled_from(("email", "sms"))),
                                text="We miss you. What could we do better?"),
        gift=gift() if draw(st.booleans()) else None)


@st.composite
def _gift_scheme(draw: st.DrawFn, currency: str, tiers: tuple[str, ...], max_rules: int,
                 shared: bool | None) -> GiftScheme:
    allow = draw(st.booleans()) if shared is None else shared
    budgets: list[Budget] = []
    stock: list[Stock] = []
    if allow:
        for n in range(1, draw(st.integers(0, 2)) + 1):
            count = draw(st.none() | st.integers(0, 5))
            budgets.append(Budget(
                id=f"gift-budget-{n}", count=count, per=draw(_PERIODS),
                amount=draw(money(currency, 0, 100)) if count is None
                else draw(st.none() | money(currency, 0, 100))))
        stock = [Stock(id=f"stock-{n}", units=draw(st.integers(0, 5)))
                 for n in range(1, draw(st.integers(0, 2)) + 1)]
    types = [t for t in GIFT_RULE_TYPES if t != "tier_reached" or tiers]
    kinds = draw(st.lists(st.sampled_from(types), min_size=1, max_size=max_rules))
    budget_ids = tuple(b.id for b in budgets)
    stock_ids = tuple(s.id for s in stock)
    rules = [draw(_gift_rule(kind, f"{kind.replace('_', '-')}-{n}", currency, tiers, budget_ids,
                             stock_ids, allow))
             for n, kind in enumerate(kinds, 1)]
    scheme = GiftScheme(rules=tuple(rules), budgets=tuple(budgets), stock=tuple(stock))
    if allow and not scheme.uses_shared:  # asked for program-wide state: give it a budget
        budget = Budget(id="gift-budget", count=draw(st.integers(0, 5)), per=draw(_PERIODS))
        first = scheme.rules[0].model_copy(update={"budget": budget.id})
        scheme = GiftScheme(rules=(first, *scheme.rules[1:]), budgets=(budget,),
                            stock=scheme.stock)
    return scheme


def gift_schemes(currency: str = "EUR", *, tiers: Sequence[str] = (), max_rules: int = 4,
                 shared: bool | None = None) -> st.SearchStrategy[GiftScheme]:
    """Gift schemes of 1..N rules of every trigger (see :data:`GIFT_RULE_TYPES`): gifts of
    every kind with values, voucher validity and stock, and rules with conditions, consents,
    tiers, caps, cooldowns, budgets and what a return does.

    Args:
        currency: currency of values, thresholds and budgets.
        tiers: tier ids rules may require or reward (no :class:`~reciprocity.TierGift`
            without them).
        max_rules: most gift rules.
        shared: ``True``: the scheme uses program-wide state (budgets, stock or a ranking);
            ``False``: it never does; ``None``: drawn.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, database=None)
    ... @given(gift_schemes(shared=True))
    ... def test_keeps_program_wide_state(scheme):
    ...     assert scheme.uses_shared
    >>> test_keeps_program_wide_state()
    """
    if max_rules < 1:
        raise InvalidArgument(f"max_rules={max_rules} must be at least 1")
    return _gift_scheme(currency, tuple(tiers), max_rules, shared)
