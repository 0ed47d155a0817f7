"""Goodwill after a complaint: compensation by declared rule, fair and bounded.

A shop accepts a complaint and compensates, quickly and generously, but within limits. A
:class:`GoodwillPolicy` declares:

- **rules** (:class:`GoodwillRule`) over the complaint's category and severity, the order's
  value, the member's tier, the first response time and the days past the legal return window
  ("Kulanz"), each with one compensation: points, a voucher (fixed, or a share of the order
  value with a cap), a small gift, a credit, or a refund share. The most generous rule that
  matches applies; rules never add up.
- **steps** that change the value: a factor per severity on the rule, a step-up when the first
  response took longer than promised (:class:`ResponseTime`), the member's tier generosity
  (``goodwill_factor`` of the tier's benefits), and a diminishing curve for frequent
  complainers (:class:`Diminishing`). Factors multiply exactly; the result is rounded once,
  with the policy's declared :class:`~reciprocity.Rounding`.
- **bounds**: at most ``max_per_complaint``, per-member caps per period
  (:class:`~reciprocity.Cap`), a program budget (:class:`~reciprocity.Budget`), and never more
  than what is left of the order's value unless ``may_exceed_order_value``. A value over a
  bound is cut to what is left (points: whole points, rounded down), so no bound is ever
  passed.
- **approval**: above ``approval_above`` (or for a rule with ``approval=True``) nothing is
  given; the decision carries ``approval_required`` and waits for an
  :class:`~reciprocity.Approval` event naming the complaint.
- **outcomes** for a complaint about an unknown or fully returned order, and for a duplicate
  (same order and category): no compensation, or a referral to the service team.

>>> from reciprocity import Money, VoucherCompensation
>>> late = GoodwillRule(id="late", categories=("late_delivery",),
...                     compensation=VoucherCompensation(value=Money("5.00", "EUR")))
>>> late.describe()
'late delivery: a 5.00 EUR voucher'
>>> policy = GoodwillPolicy(rules=(late,), response_time=ResponseTime(
...     promised_hours=24, steps=(LateResponseStep(late_by_hours=0, factor="1.5"),)))
>>> policy.response_time.describe()
'first reply promised within 24 hours; a later reply steps compensation up: x1.5 when it is late'

This module holds the rules, response time steps, the diminishing curve and
:class:`GoodwillPolicy`; the compensations are in :mod:`reciprocity.goodwill.compensation`.
``reciprocity._pipeline`` compiles a policy into ``reciprocity.goodwill.stage.CompiledGoodwill``.

Imports: the core's models and ``compensation``; never a compiled stage.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from .._model import NonEmptyStr
from ..conditions import Condition
from ..events import BUILTIN_CATEGORIES, CategoryName
from ..facts import Labels
from ..limits import Budget, Cap
from ..money import Money, Rounding
from .compensation import (
    Compensation,
    Factor,
    PointsCompensation,  # noqa: F401  (the class examples use it)
    RefundShare,  # noqa: F401  (the class examples use it)
    _Amount,
    _plural,
    _Policy,
    num,
)

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = [
    "Diminishing",
    "GoodwillPolicy",
    "GoodwillRule",
    "LateResponseStep",
    "ResponseTime",
]

class _Words(dict[str, str]):
    """Category words; a shop's own category reads as its name with spaces."""

    def __missing__(self, key: str) -> str:
        return key.replace("_", " ")


CATEGORY_WORDS: dict[str, str] = _Words({
    "late_delivery": "late delivery", "missing_item": "missing item",
    "partial_delivery": "partial delivery", "damaged": "damaged item",
    "not_as_described": "not as described", "quality": "quality", "service": "service",
    "other": "other",
})
"""Complaint categories in words, for descriptions and reasons."""

# ---------------------------------------------------------------------------------------
# Rules and steps
# ---------------------------------------------------------------------------------------


class GoodwillRule(_Policy):
    """One compensation and the complaints it applies to.

    A rule matches a complaint when every criterion it declares holds; leave a criterion out
    to ignore it. Of the rules that match, the most generous one (after every step and bound)
    applies; on a tie, the first declared.

    Args:
        id: names the rule in effects and traces.
        compensation: what the rule gives.
        categories: the complaint categories it covers; empty for any.
        min_severity: the lowest severity (1-5) it covers.
        by_severity: five factors, for severity 1 to 5, that scale the compensation; they
            may not decrease, so a more severe complaint never gets less.
        min_order_value: the order's value (after returns) must be at least this.
        tiers: the member must be in one of these tiers (the tier ladder's ids).
        past_return_window: "Kulanz": the rule covers only complaints about an order older
            than the policy's return window, by at most this many days.
        late_response: ``True``: only when the first response came later than promised;
            ``False``: only when it came in time; ``None``: either.
        when: any other condition on the member.
        approval: always wait for a person's approval.

    >>> from reciprocity import Money
    >>> GoodwillRule(id="kulanz", tiers=("gold",), past_return_window=30,
    ...              categories=("quality", "damaged"), approval=True,
    ...              compensation=RefundShare(percent=100)).describe()
    'quality or damaged item, for gold members, up to 30 days after the return window:
     a refund of 100 % of the order value, after a person approves it'
    """

    id: NonEmptyStr
    compensation: Compensation
    categories: tuple[CategoryName, ...] = ()
    min_severity: int = Field(default=1, ge=1, le=5)
    by_severity: tuple[Factor, Factor, Factor, Factor, Factor] | None = None
    min_order_value: Money | None = None
    tiers: tuple[NonEmptyStr, ...] = ()
    past_return_window: int | None = Field(default=None, ge=1)
    late_response: bool | None = None
    when: Condition | None = None
    approval: bool = False

    @model_validator(mode="after")
    def _severity_never_lowers(self) -> GoodwillRule:
        factors = self.by_severity
        if factors is not None:
            for index in range(1, 5):
                if factors[index] < factors[index - 1]:
                    raise ValueError(
                        f"by_severity={tuple(num(f) for f in factors)} decreases from severity "
                        f"{index} to {index + 1}; a more severe complaint must never get less"
                    )
        return self

    def describe(self, tier_names: Mapping[str, str] | None = None,
                 words: ProgramWords | None = None) -> str:
        """The rule in plain words; ``tier_names`` says the tiers by their names (a tier id
        without one is said as it is), ``words`` the categories and facts by the program's
        labels (:class:`~reciprocity.names.ProgramWords`)."""
        parts = []
        if self.categories:
            parts.append(" or ".join((None if words is None else words.category(c))
                                     or CATEGORY_WORDS[c] for c in self.categories))
        else:
            parts.append("any complaint")
        if self.min_severity > 1:
            parts.append(f"severity {self.min_severity} or more")
        if self.min_order_value is not None:
            parts.append(f"on orders of at least {self.min_order_value:,}")
        if self.tiers:
            names = tier_names or {}
            parts.append(f"for {' or '.join(names.get(t, t) for t in self.tiers)} members")
        if self.past_return_window is not None:
            parts.append(f"up to {_plural(self.past_return_window, 'day')} after the return "
                         "window")
        if self.late_response is True:
            parts.append("when our first reply came later than promised")
        elif self.late_response is False:
            parts.append("when our first reply came in time")
        if self.when is not None:
            parts.append(f"when {self.when.describe_with(words)}")
        comp = self.compensation
        text = ", ".join(parts) + ": " + (comp.describe(words) if isinstance(comp, _Amount)
                                          else comp.describe())
        if self.by_severity is not None:
            text += "; by severity 1-5: " + ", ".join(f"x{num(f)}" for f in self.by_severity)
        if self.approval:
            text += ", after a person approves it"
        return text


class LateResponseStep(_Policy):
    """A step-up for a first response later than promised by more than ``late_by_hours``.

    >>> LateResponseStep(late_by_hours=48, factor=2).describe()
    'x2 when it is more than 48 hours late'
    """

    late_by_hours: int = Field(default=0, ge=0)
    factor: Factor

    @model_validator(mode="after")
    def _steps_up(self) -> LateResponseStep:
        if self.factor < 1:
            raise ValueError(f"factor={num(self.factor)} is below 1; a late reply must never "
                             "lower compensation")
        return self

    def describe(self) -> str:
        """The step in plain words."""
        if self.late_by_hours == 0:
            return f"x{num(self.factor)} when it is late"
        return f"x{num(self.factor)} when it is more than {self.late_by_hours} hours late"


class ResponseTime(_Policy):
    """The promised first-response time, and how compensation steps up when it is missed.

    The response time is ``first_response_at - at`` of the complaint; a complaint without
    ``first_response_at`` gets no step-up. The step with the largest ``late_by_hours`` that
    the response exceeds applies.

    >>> ResponseTime(promised_hours=24, steps=(LateResponseStep(factor="1.5"),
    ...     LateResponseStep(late_by_hours=48, factor=2))).describe()
    'first reply promised within 24 hours; a later reply steps compensation up: x1.5 when it
     is late, x2 when it is more than 48 hours late'
    """

    promised_hours: int = Field(ge=1)
    steps: tuple[LateResponseStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self) -> ResponseTime:
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if after.late_by_hours <= before.late_by_hours:
                raise ValueError("steps must have increasing late_by_hours")
            if after.factor < before.factor:
                raise ValueError(f"step factors decrease ({num(before.factor)} then "
                                 f"{num(after.factor)}); a later reply must never get less")
        return self

    def describe(self) -> str:
        """The promise and its steps in plain words."""
        return (f"first reply promised within {self.promised_hours} hours; a later reply steps "
                "compensation up: " + ", ".join(step.describe() for step in self.steps))


class Diminishing(_Policy):
    """Less compensation for frequent complainers: a factor per nth complaint in a window.

    ``factors[0]`` applies to a member's first complaint in the last ``window_days`` days
    (this one included), ``factors[1]`` to the second, and so on; the last factor applies to
    every later one. Duplicates do not count. Factors lie between 0 and 1 and never increase.

    >>> Diminishing(window_days=30, factors=(1, 1, 1, "0.5", 0)).describe()
    'x0.5 for the 4th complaint in 30 days, x0 from the 5th'
    """

    window_days: int = Field(ge=1)
    factors: tuple[Factor, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _diminishing(self) -> Diminishing:
        for factor in self.factors:
            if factor > 1:
                raise ValueError(f"factor {num(factor)} is above 1; the curve only diminishes")
        for index in range(1, len(self.factors)):
            if self.factors[index] > self.factors[index - 1]:
                raise ValueError(f"factors={tuple(num(f) for f in self.factors)} increase; "
                                 "a later complaint must never get more")
        return self

    def factor(self, nth: int) -> Decimal:
        """The factor of the ``nth`` complaint in the window (1-based).

        >>> Diminishing(window_days=30, factors=(1, "0.5")).factor(7)
        Decimal('0.5')
        """
        return self.factors[min(nth, len(self.factors)) - 1]

    def describe(self) -> str:
        """The curve in plain words."""
        factors = self.factors
        if factors[-1] == 1:
            return "no reduction"
        tail = len(factors) - 1  # the last factor applies from the start of its run on
        while tail > 0 and factors[tail - 1] == factors[-1]:
            tail -= 1
        phrases: list[str] = []
        for index, factor in enumerate(factors[: tail + 1]):
            if factor == 1:
                continue
            nth = ordinal(index + 1)
            if not phrases:
                nth += f" complaint in {self.window_days} days"
            word = "from" if index == tail else "for"
            phrases.append(f"x{num(factor)} {word} the {nth}")
        return ", ".join(phrases)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '21st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


UnknownOrderOutcome = Literal["no_compensation", "refer_to_service", "ignore_order"]
Outcome = Literal["no_compensation", "refer_to_service"]


class GoodwillPolicy(_Policy):
    """How a program compensates complaints: rules, steps, bounds, approval and outcomes.

    Args:
        rules: the compensation rules; the most generous one that matches applies.
        return_window_days: the legal return window, counted in calendar days (in the
            program's time zone) from the order; Kulanz rules cover the days after it.
        response_time: the promised first-response time and its step-ups.
        diminishing: the curve for frequent complainers.
        caps: per-member limits per period, counted over compensation given or pending.
        budget: a program budget (e.g. per month), kept in the program-wide state. With
            ``when_exhausted="skip"`` a compensation is cut to what is left (none when
            nothing is); with ``"approval"`` it waits for a person instead.
        max_per_complaint: at most this much for one complaint.
        may_exceed_order_value: allow compensation for an order to add up to more than
            what is left of its value (after returns).
        approval_above: compensation worth more than this waits for a person's approval.
        point_value: what one point is worth, to value points against limits; by default
            the point scheme's best catalogue rate.
        rounding: how the value is rounded after the factors (severity, late response,
            tier, diminishing) multiply it: to the currency's minor unit, or to whole points.
        on_unknown_order: a complaint about an order the member's state does not know:
            ``"refer_to_service"``, ``"no_compensation"``, or ``"ignore_order"`` (handle it
            as a complaint without an order).
        on_returned_order: a complaint about an order returned in full.
        on_duplicate: a second complaint about the same order and category (or with the
            same ``duplicate_key``).
        categories: complaint categories of the shop's own, beside the built-in ones
            (``flight_cancelled``); a complaint or a rule naming another is refused.
        category_labels: the categories in the words of each locale, for the terms
            (``{"flight_delayed": {"de": "Flugverspätung"}}``); without one, a built-in
            category is said in the catalogue's words and a shop's own by its name.
        duplicate_key: facts of a complaint that identify one claim (``passenger_id``,
            ``flight``): a complaint with the same values as an earlier one is a duplicate,
            whatever its category or order. Empty: the order and the category.

    >>> from reciprocity import Money, Period
    >>> policy = GoodwillPolicy(
    ...     rules=(GoodwillRule(id="any", compensation=PointsCompensation(points=20)),),
    ...     caps=(Cap(amount=Money("50.00", "EUR"), per=Period.MONTH),),
    ...     approval_above=Money("40.00", "EUR"))
    >>> for line in policy.explain_lines():
    ...     print(line)
    - any complaint: 20 points
    Bounds: at most 50.00 EUR in value per month per member; never more than what is left of
    the order's value.
    Compensation worth more than 40.00 EUR waits for a person's approval.
    A complaint about an unknown order is referred to the service team; one about an order
    returned in full gets no compensation; a duplicate (same order and category) gets no
    compensation.
    """

    rules: tuple[GoodwillRule, ...] = Field(min_length=1)
    return_window_days: int = Field(default=14, ge=0)
    response_time: ResponseTime | None = None
    diminishing: Diminishing | None = None
    caps: tuple[Cap, ...] = ()
    budget: Budget | None = None
    max_per_complaint: Money | None = None
    may_exceed_order_value: bool = False
    approval_above: Money | None = None
    point_value: Money | None = None
    rounding: Rounding = Rounding.HALF_UP
    on_unknown_order: UnknownOrderOutcome = "refer_to_service"
    on_returned_order: Outcome = "no_compensation"
    on_duplicate: Outcome = "no_compensation"
    categories: tuple[CategoryName, ...] = ()
    category_labels: dict[CategoryName, Labels] = Field(default_factory=dict)
    duplicate_key: tuple[NonEmptyStr, ...] = ()

    @property
    def known_categories(self) -> tuple[str, ...]:
        """The built-in complaint categories, then the declared ones."""
        return BUILTIN_CATEGORIES + tuple(
            c for c in self.categories if c not in BUILTIN_CATEGORIES)

    @model_validator(mode="after")
    def _consistent(self) -> GoodwillPolicy:
        known = self.known_categories
        for rule in self.rules:
            for category in rule.categories:
                if category not in known:
                    near = difflib.get_close_matches(category, known, n=1)
                    raise ValueError(
                        f"rule {rule.id!r} covers category {category!r}, which is neither "
                        "built in nor declared in categories"
                        + (f" (did you mean {near[0]!r}?)" if near else ""))
        for category in self.category_labels:
            if category not in known:
                raise ValueError(f"category_labels names {category!r}, which is neither built "
                                 "in nor declared in categories")
        if len(set(self.duplicate_key)) != len(self.duplicate_key):
            raise ValueError(f"duplicate_key={self.duplicate_key} names a fact twice")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rules has two entries with id {rule.id!r}; ids must be unique")
            seen.add(rule.id)
        for name in ("max_per_complaint", "point_value"):
            value = getattr(self, name)
            if value is not None and value.amount <= 0:
                raise ValueError(f"{name}={value} must be more than zero")
        if self.approval_above is not None and self.approval_above.amount < 0:
            raise ValueError(f"approval_above={self.approval_above} cannot be negative")
        return self

    def money(self) -> tuple[tuple[str, Money], ...]:
        """Every amount the policy declares, with where, for the program's currency check."""
        found: list[tuple[str, Money]] = []
        for rule in self.rules:
            for value in getattr(rule.compensation, "money", tuple)():
                found.append((f"goodwill rule {rule.id!r} compensation", value))
            if rule.min_order_value is not None:
                found.append((f"goodwill rule {rule.id!r} min_order_value",
                               rule.min_order_value))
        for index, cap in enumerate(self.caps):
            if cap.amount is not None:
                found.append((f"goodwill caps[{index}].amount", cap.amount))
        if self.budget is not None and self.budget.amount is not None:
            found.append(("goodwill budget amount", self.budget.amount))
        for name in ("max_per_complaint", "approval_above", "point_value"):
            value = getattr(self, name)
            if value is not None:
                found.append((f"goodwill {name}", value))
        return tuple(found)

    @property
    def gives_points(self) -> bool:
        """Whether a rule compensates in points (the terms and ``explain`` then state the
        point scheme's expiry even without an earning rule)."""
        return any(rule.compensation.type == "points" for rule in self.rules)

    def explain_lines(self, tier_names: Mapping[str, str] | None = None,
                      words: ProgramWords | None = None) -> list[str]:
        """The policy in plain words, one line per rule and bound (``Program.explain``,
        which gives the ladder's ``tier_names`` and the program's declared ``words``)."""
        lines = [f"- {rule.describe(tier_names, words)}" for rule in self.rules]
        if any(r.past_return_window is not None for r in self.rules):
            lines.append(f"The legal return window is {_plural(self.return_window_days, 'day')} "
                         "from the order.")
        if self.response_time is not None:
            text = self.response_time.describe()
            lines.append(text[0].upper() + text[1:] + ".")
        if self.diminishing is not None:
            lines.append(f"Frequent complaints: {self.diminishing.describe()}.")
        bounds = []
        if self.max_per_complaint is not None:
            bounds.append(f"at most {self.max_per_complaint:,} per complaint")
        bounds += [f"{cap.describe()} per member" for cap in self.caps]
        if self.budget is not None:
            bounds.append(f"a program budget of {self.budget.describe().removeprefix('at most ')}")
        if not self.may_exceed_order_value:
            bounds.append("never more than what is left of the order's value")
        if bounds:
            lines.append("Bounds: " + "; ".join(bounds) + ".")
        if self.approval_above is not None:
            lines.append(f"Compensation worth more than {self.approval_above:,} waits for a "
                         "person's approval.")
        outcome = {"no_compensation": "gets no compensation",
                   "refer_to_service": "is referred to the service team",
                   "ignore_order": "is handled as a complaint without an order"}
        same = ("same order and category" if not self.duplicate_key else "same "
                + ", ".join((None if words is None else words.fact(k)) or k.replace("_", " ")
                            for k in self.duplicate_key))
        lines.append(
            f"A complaint about an unknown order {outcome[self.on_unknown_order]}; one about an "
            f"order returned in full {outcome[self.on_returned_order]}; a duplicate ({same}) "
            f"{outcome[self.on_duplicate]}."
        )
        return lines
