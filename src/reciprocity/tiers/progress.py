"""Tier progress as reported to a member: :class:`MetricGap`, :class:`MetricValue` and
:class:`TierProgress` (what :func:`~reciprocity.tier_progress` returns).

Imports: the core's models only (``_model``, ``money``) and ``requirements``; never a
compiled stage.
"""

from __future__ import annotations

from typing import Literal

from .._model import Frozen, Instant
from ..money import Money
from .requirements import _plural

__all__ = ["MetricGap", "MetricValue", "TierProgress", "singular"]


# ---------------------------------------------------------------------------------------
# Progress, as reported to a member
# ---------------------------------------------------------------------------------------


def singular(unit: str) -> str:
    """The singular of a counted unit's noun, as far as its plural "s" tells it: ``"Star"``,
    ``"status mile"``, ``"point from r1, r2"``."""
    head, sep, rules = unit.partition(" from ")
    return (head[:-1] if head.endswith("s") else head) + sep + rules


class MetricGap(Frozen):
    """How far a member is from one threshold: ``have`` of ``need``, ``missing`` to go.

    Money gaps are rounded up (:attr:`~reciprocity.Rounding.UP`) to the currency's minor
    unit, so spending the amount shown is always enough.

    >>> MetricGap(metric="spend", unit="spend", have=Money("337.60", "EUR"),
    ...           need=Money("350.00", "EUR"), missing=Money("12.40", "EUR")).describe()
    '12.40 EUR'
    """

    metric: Literal["spend", "orders", "points"]
    unit: str
    """What is counted: ``"spend"``, ``"orders"``, ``"points"``, ``"qualifying points"``;
    points in the English words of their balance's unit when it declares them
    (``"Stars"``)."""
    have: Money | int
    need: Money | int
    missing: Money | int

    def describe(self) -> str:
        """The gap in plain words: ``"1,012.40 EUR"``, ``"2 orders"``, ``"1,030 points"``."""
        if isinstance(self.missing, Money):
            return f"{self.missing:,}"
        if self.metric == "orders":
            return _plural(self.missing, "order")
        return f"{self.missing:,} {singular(self.unit) if self.missing == 1 else self.unit}"


class MetricValue(Frozen):
    """One qualification metric's value: ``current`` in the qualification window so far
    (this period, the rolling window, or the whole membership), ``previous`` in the last
    complete period (``None`` for rolling and lifetime windows, which have none).

    >>> MetricValue(metric="spend", unit="spend", current=Money("320.00", "EUR"),
    ...             previous=Money("1210.50", "EUR")).describe()
    'spend: 320.00 EUR (previous period 1,210.50 EUR)'
    """

    metric: Literal["spend", "orders", "points"]
    unit: str
    """What is counted: ``"spend"``, ``"orders"``, ``"points"``, ``"qualifying points"``;
    points in the English words of their balance's unit when it declares them
    (``"Stars"``)."""
    current: Money | int
    previous: Money | int | None = None

    def describe(self) -> str:
        """The value in words."""
        text = f"{self.unit}: {self.current:,}"
        if self.previous is not None:
            text += f" (previous period {self.previous:,})"
        return text


class TierProgress(Frozen):
    """Where a member stands on the ladder at a time: see :func:`tier_progress`.

    ``missing`` lists the ways to reach ``next_tier_id`` (each a tuple of gaps that must all
    be closed) within the current qualification window, ``by`` its end (``None`` for
    rolling and lifetime windows). ``keep_missing`` does the same for keeping the current
    tier at its review (``keep_by``); it is empty when the tier is secured already.
    """

    member_id: str
    at: Instant
    tier_id: str | None = None
    valid_until: Instant | None = None
    grace_until: Instant | None = None
    next_tier_id: str | None = None
    missing: tuple[tuple[MetricGap, ...], ...] = ()
    by: Instant | None = None
    keep_missing: tuple[tuple[MetricGap, ...], ...] = ()
    keep_by: Instant | None = None
    message: str = ""
    """All of it in words: ``"12.40 EUR to Silver by 31 Dec 2026"``."""
    metrics: tuple[MetricValue, ...] = ()
    """Every metric the ladder qualifies on, now and in the last period: spend and orders
    always, then each kind of points a requirement counts (:class:`MinPoints`)."""
    period_start: Instant | None = None
    """Start of the current window (``None`` for a lifetime ladder)."""
    previous_start: Instant | None = None
    """Start of the last complete period (calendar and membership years only)."""
