"""Goodwill strategies for :mod:`reciprocity.testing`: policies with rules of every
compensation kind, criteria, steps, bounds, approval and outcomes.

Private: import the public names from :mod:`reciprocity.testing`.

Imports: the goodwill declarations, ``limits``, ``testing._core``, ``testing._families``
(the shared drawing helpers), and hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

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
from ..limits import Budget
from ._core import COMPLAINT_CATEGORIES, conditions, money, thresholds
from ._families import _PERIODS, ROUNDINGS, _cap, _positive, _subset, _whole

__all__ = ["goodwill_policies"]

_OUTCOMES = ("no_compensation", "refer_to_service")
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
                      per=draw(_PERIODS),
                      when_exhausted=draw(st.sampled_from(("skip", "approval"))))
        if with_budget else None,
        max_per_complaint=draw(st.none() | money(currency, 1, 100)),
        may_exceed_order_value=draw(st.booleans()),
        approval_above=draw(st.none() | money(currency, 0, 100)),
        point_value=(draw(st.sampled_from(("0.01", "0.10", "1")).map(
            lambda v: _whole(v, currency)).filter(lambda m: m.amount > 0)
            | money(currency, 1, 2)) if (
            point_value if point_value is not None else draw(st.booleans())) else None),
        rounding=draw(ROUNDINGS),
        on_unknown_order=draw(st.sampled_from((*_OUTCOMES, "ignore_order"))),
        on_returned_order=draw(st.sampled_from(_OUTCOMES)),
        on_duplicate=draw(st.sampled_from(_OUTCOMES)),
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

