"""Family strategies for :mod:`reciprocity.testing`: tier ladders, gift schemes, goodwill.

Private: import the public names from :mod:`reciprocity.testing`. Valid, realistic
declarations: a first tier reached at once, higher tiers asking and giving more; gifts of every
trigger with consents, tiers, caps, cooldowns, budgets, stock; goodwill of every kind.

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
from ..goodwill.compensation import (
    Compensation,
    CreditCompensation,
    GiftCompensation,
    PointsCompensation,
    RefundShare,
    VoucherCompensation,
)
from ..goodwill.policy import (
    Diminishing,
    GoodwillPolicy,
    GoodwillRule,
    LateResponseStep,
    ResponseTime,
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
from ._core import CATEGORIES, COMPLAINT_CATEGORIES, CONSENTS, conditions, money, thresholds

__all__ = ["GIFT_RULE_TYPES", "TIER_IDS", "gift_schemes", "goodwill_policies", "tier_ladders"]

TIER_IDS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
"""Ids of the tiers :func:`tier_ladders` draws, lowest first."""

GIFT_RULE_TYPES: tuple[str, ...] = (
    "first_order", "nth_order", "order_over", "order_category", "surprise", "welcome",
    "birthday", "anniversary", "tier_reached", "seasonal", "thank_you", "drift")
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
            budgets: tuple[str, ...]) -> dict[str, Any]:
    """Eligibility and limits every gift rule shares; most rules have few of them."""
    sparse = st.integers(0, 3)
    return dict(
        when=draw(conditions(currency, max_leaves=2, tiers=tiers))
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


@st.composite
def _gift_rule(draw: st.DrawFn, kind: str, rule_id: str, currency: str, tiers: tuple[str, ...],
               budgets: tuple[str, ...], stock: tuple[str, ...], ranking: bool) -> GiftRule:
    def gift(suffix: str = "") -> Gift:
        return draw(_gift(f"{rule_id}{suffix}", currency, stock))

    common = _limits(draw, currency, tiers, budgets)
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


# -- goodwill --------------------------------------------------------------------------------

_SEVERITY_FACTORS = st.lists(st.sampled_from(("0", "0.5", "1", "1.25", "1.5", "2", "3")),
                             min_size=5, max_size=5).map(
    lambda xs: tuple(sorted(Decimal(x) for x in xs)))


@st.composite
def _amount_fields(draw: st.DrawFn, currency: str) -> dict[str, Any]:
    """A fixed ``value``, or ``percent`` of a base with an optional ``max``, and rounding."""
    if draw(st.booleans()):
        return dict(value=draw(_positive(currency, 50)))
    return dict(percent=Decimal(draw(st.sampled_from((5, 10, 25, 50, 100)))),
                of=draw(st.sampled_from(("order", "affected"))),
                max=draw(st.none() | _positive(currency, 100)),
                rounding=draw(ROUNDINGS))


@st.composite
def _compensation(draw: st.DrawFn, currency: str) -> Compensation:
    kind = draw(st.sampled_from(("points", "voucher", "gift", "credit", "refund_share")))
    if kind == "points":
        return PointsCompensation(points=draw(st.integers(1, 500)))
    if kind == "gift":
        return GiftCompensation(name=draw(st.sampled_from(("mug", "tea sampler"))),
                                value=draw(money(currency, 1, 20)))
    fields = draw(_amount_fields(currency))
    if kind == "voucher":
        return VoucherCompensation(**fields, valid_days=draw(st.none() | st.integers(30, 365)))
    if kind == "credit":
        return CreditCompensation(**fields)
    return RefundShare(**fields)


@st.composite
def _goodwill_rule(draw: st.DrawFn, rule_id: str, currency: str,
                   tiers: tuple[str, ...]) -> GoodwillRule:
    sparse = st.integers(0, 3)
    return GoodwillRule(
        id=rule_id, compensation=draw(_compensation(currency)),
        categories=draw(_subset(COMPLAINT_CATEGORIES, 1, 3)) if draw(sparse) == 0 else (),
        min_severity=draw(st.integers(1, 5)) if draw(sparse) == 0 else 1,
        by_severity=draw(st.none() | _SEVERITY_FACTORS),
        min_order_value=draw(thresholds(currency)) if draw(sparse) == 0 else None,
        tiers=draw(_subset(tiers, 1)) if tiers and draw(sparse) == 0 else (),
        past_return_window=draw(st.integers(1, 60)) if draw(sparse) == 0 else None,
        late_response=draw(st.booleans()) if draw(sparse) == 0 else None,
        when=draw(conditions(currency, max_leaves=2, tiers=tiers, purchases=False))
        if draw(sparse) == 0 else None,
        approval=draw(st.integers(0, 2)) == 0,
    )


@st.composite
def _goodwill(draw: st.DrawFn, currency: str, tiers: tuple[str, ...], max_rules: int,
              shared: bool | None, point_value: bool | None) -> GoodwillPolicy:
    sparse = st.integers(0, 2)
    steps = draw(st.lists(st.integers(0, 72), min_size=1, max_size=3, unique=True))
    factors = sorted(draw(st.lists(st.sampled_from(("1", "1.25", "1.5", "2")),
                                   min_size=len(steps), max_size=len(steps))))
    curve = sorted(draw(st.lists(st.sampled_from(("0", "0.5", "0.75", "1")), min_size=1,
                                 max_size=4)), key=Decimal, reverse=True)
    with_budget = draw(st.booleans()) if shared is None else shared
    budget_count = draw(st.none() | st.integers(0, 6))
    return GoodwillPolicy(
        rules=tuple(draw(_goodwill_rule(f"goodwill-{n}", currency, tiers))
                    for n in range(1, draw(st.integers(1, max_rules)) + 1)),
        return_window_days=draw(st.integers(0, 30)),
        response_time=ResponseTime(promised_hours=draw(st.integers(1, 48)), steps=tuple(
            LateResponseStep(late_by_hours=h, factor=Decimal(f))
            for h, f in zip(sorted(steps), factors, strict=True)))
        if draw(sparse) == 0 else None,
        diminishing=Diminishing(window_days=draw(st.integers(1, 90)),
                                factors=tuple(Decimal(f) for f in curve))
        if draw(sparse) == 0 else None,
        caps=tuple(draw(st.lists(_cap(currency), max_size=2))),
        budget=Budget(id="goodwill", count=budget_count,
                      amount=draw(money(currency, 0, 300)) if budget_count is None
                      else draw(st.none() | money(currency, 0, 300)),
                      per=draw(_PERIODS), when_exhausted=draw(st.sampled_from(("skip",
                                                                               "approval"))))
        if with_budget else None,
        max_per_complaint=draw(st.none() | money(currency, 1, 100)),
        may_exceed_order_value=draw(st.booleans()),
        approval_above=draw(st.none() | money(currency, 0, 100)),
        point_value=(draw(st.sampled_from(("0.01", "0.10", "1")).map(
            lambda v: _whole(v, currency)).filter(lambda m: m.amount > 0)
            | money(currency, 1, 2)) if (
            point_value if point_value is not None else draw(st.booleans())) else None),
        rounding=draw(ROUNDINGS),
        on_unknown_order=draw(st.sampled_from(("no_compensation", "refer_to_service",
                                               "ignore_order"))),
        on_returned_order=draw(st.sampled_from(("no_compensation", "refer_to_service"))),
        on_duplicate=draw(st.sampled_from(("no_compensation", "refer_to_service"))),
    )


def goodwill_policies(
    currency: str = "EUR", *, tiers: Sequence[str] = (), max_rules: int = 4,
    shared: bool | None = None, point_value: bool | None = None,
) -> st.SearchStrategy[GoodwillPolicy]:
    """Goodwill policies: 1..N rules of every compensation kind and criterion (categories,
    severity, order value, tiers, Kulanz window, response time, conditions, approval), with
    response-time steps, a diminishing curve, caps, a budget, bounds and outcomes.

    Args:
        currency: currency of every amount.
        tiers: tier ids rules may require.
        max_rules: most rules.
        shared: ``True``: a program budget (program-wide state); ``False``: none; ``None``:
            drawn.
        point_value: ``True``: always declare ``point_value`` (needed for points
            compensation when the point scheme has no rewards); ``None``: drawn.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, database=None)
    ... @given(goodwill_policies(shared=True))
    ... def test_has_a_budget(policy):
    ...     assert policy.budget is not None
    >>> test_has_a_budget()
    """
    if max_rules < 1:
        raise InvalidArgument(f"max_rules={max_rules} must be at least 1")
    return _goodwill(currency, tuple(tiers), max_rules, shared, point_value)

