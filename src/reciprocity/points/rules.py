"""Earning rules of a point scheme, declared: per order, per amount, per event; multipliers, caps.

Holds the public models :class:`PointsPerPurchase`, :class:`PointsPerAmount`,
:class:`PointsForEvent`, the multipliers and :class:`PointsCap`, the ``EarnRule`` and
``EventRule`` unions, and the small text helpers the points modules share.

Imports: the core's models only (``_model``, ``conditions``, ``errors``, ``limits``, ``money``)
and ``points.units``; never a compiled stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from .._model import Frozen, NonEmptyStr, RuleId
from .._reason import Msg, Named, last_day, local_day
from ..conditions import Condition
from ..errors import InvalidProgram, PointsOutOfBounds
from ..limits import Period
from ..money import Money, Rounding
from .units import UnitWords

if TYPE_CHECKING:
    from ..names import NameLabels, ProgramWords

__all__ = [
    "CampaignMultiplier",
    "CategoryMultiplier",
    "EarnRule",
    "EventRule",
    "Multiplier",
    "PointsCap",
    "PointsForEvent",
    "PointsPerAmount",
    "PointsPerPurchase",
    "TierMultiplier",
    "fmt_date",
    "last_day",
    "local_day",
    "plural",
]


def plural(n: int | Decimal, word: str = "point", unit: UnitWords | None = None) -> str:
    """``1 point``, ``2 points``, ``1.5 points`` (a decimal rate, in fixed-point form),
    ``1,000 points`` (a thousands separator, as the terms write it); with a scheme's English
    ``unit``, its words (``2 miles``)."""
    shown = format(n, ",") if isinstance(n, int) else format(n.normalize(), ",f")
    if unit is not None:
        return f"{shown} {unit.one if n == 1 else unit.other}"
    return f"{shown} {word}" if n == 1 else f"{shown} {word}s"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_date(when: datetime, zone: ZoneInfo) -> str:
    """A date as customers read it, in the program's zone."""
    return when.astimezone(zone).strftime("%Y-%m-%d")


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


# -- multipliers ------------------------------------------------------------------------------

class TierMultiplier(_Policy):
    """The member's tier multiplier (``points_multiplier`` of the current tier's benefits).

    The tier is the one the member has when the order arrives (before the order counts
    towards the next tier).
    """

    type: Literal["tier"] = "tier"

    def describe(self, words: ProgramWords | None = None) -> str:
        return "the member's tier multiplier"


class CampaignMultiplier(_Policy):
    """A campaign factor while ``when`` holds, e.g. double points in a date window.

    >>> from decimal import Decimal
    >>> from reciprocity import FactIs
    >>> CampaignMultiplier(name="double points coupon", factor=Decimal(2),
    ...                    when=FactIs(fact="coupon", value="double")).describe()
    'x2 (double points coupon, when coupon is double)'
    """

    type: Literal["campaign"] = "campaign"
    name: NonEmptyStr
    factor: Decimal = Field(gt=0)
    when: Condition

    def describe(self, words: ProgramWords | None = None) -> str:
        """The factor, the campaign's name and when it applies; ``words``: the program's
        declared words for the facts of its condition."""
        return (f"x{self.factor.normalize():f} ({self.name}, "
                f"when {self.when.describe_with(words)})")

    def note(self) -> Msg:
        """The campaign as a note of a reason: ``x2 (Double points week)``."""
        return Msg("reason.note.campaign", {"factor": self.factor, "name": self.name})


class CategoryMultiplier(_Policy):
    """A bonus factor on order lines in ``categories`` (for a per-order rule: on orders that
    contain such a line)."""

    type: Literal["category"] = "category"
    categories: tuple[NonEmptyStr, ...] = Field(min_length=1)
    factor: Decimal = Field(gt=0)

    def describe(self, words: ProgramWords | None = None) -> str:
        """The factor and its categories; ``words``: the program's declared words for
        them (``Program.labels``)."""
        said = (lambda c: c) if words is None else words.line_category
        return f"x{self.factor.normalize():f} on {', '.join(map(said, self.categories))}"


Multiplier = Annotated[
    TierMultiplier | CampaignMultiplier | CategoryMultiplier, Field(discriminator="type")
]
"""Any multiplier; the ``type`` field picks the class."""


class PointsCap(_Policy):
    """At most ``points`` from one rule per order or per calendar period.

    >>> PointsCap(points=500, per="month").describe()
    'at most 500 points per month'
    """

    points: int = Field(ge=0)
    per: Literal["order", "day", "week", "month", "quarter", "year", "lifetime"] = "order"

    def note(self) -> Msg:
        """The cap as a part of a reason: ``at most 500 points per month``."""
        return Msg(f"reason.cap.{self.per}", {"n": self.points})

    def describe(self, unit: UnitWords | None = None) -> str:
        if self.per == "lifetime":
            return f"at most {plural(self.points, unit=unit)} in all"
        return f"at most {plural(self.points, unit=unit)} per {self.per}"

    @property
    def period(self) -> Period | None:
        """The calendar period, or ``None`` for a per-order cap."""
        return None if self.per == "order" else Period(self.per)


class _EarnBase(_Policy):
    id: RuleId
    when: Condition | None = None
    multipliers: tuple[Multiplier, ...] = ()
    stacking: Literal["multiply", "add", "best"] = "multiply"
    """How several applicable multipliers combine: ``multiply`` (x2 and x1.5 give x3),
    ``add`` (bonuses add up: x2 and x1.5 give x2.5) or ``best`` (the largest: x2)."""
    rounding: Rounding = Rounding.DOWN
    """How every fractional step becomes whole: the remainder of the amount after the last
    whole ``per`` (per-amount rules), then the result of the multipliers."""
    caps: tuple[PointsCap, ...] = ()

    def _suffix(self, unit: UnitWords | None = None, words: ProgramWords | None = None
                ) -> str:
        parts = []
        if self.multipliers:
            how = {"multiply": "times", "add": "plus the bonuses of", "best": "times the best of"}
            parts.append(f"{how[self.stacking]} "
                         + ", ".join(m.describe(words) for m in self.multipliers))
        if self.when is not None:
            parts.append(f"when {self.when.describe_with(words)}")
        parts += [cap.describe(unit) for cap in self.caps]
        return "".join(", " + part for part in parts)


class PointsPerPurchase(_EarnBase):
    """A fixed number of points for each order that qualifies.

    An order qualifies when its amount is over ``min_amount`` (at least ``min_amount`` with
    ``inclusive=True``; no threshold when it is ``None``) and ``when`` holds. If a return
    takes the kept amount under the threshold, the points are taken back.

    >>> from reciprocity import Money
    >>> PointsPerPurchase(id="r", points=2, min_amount=Money("50", "EUR"), inclusive=True
    ...                   ).describe()
    '2 points for every order of at least 50.00 EUR'
    """

    type: Literal["points_per_purchase"] = "points_per_purchase"
    points: int = Field(ge=1)
    min_amount: Money | None = None
    inclusive: bool = False

    def describe(self, unit: UnitWords | None = None, names: NameLabels | None = None,
                 words: ProgramWords | None = None) -> str:
        """The rule in plain words; ``unit``: the scheme's English words for its points,
        ``words``: the program's declared words for the facts of its condition."""
        text = f"{plural(self.points, unit=unit)} for every order"
        if self.min_amount is not None:
            text += (" of at least " if self.inclusive else " over ") + f"{self.min_amount:,}"
        return text + self._suffix(unit, words)

    def qualifies(self, amount: Decimal) -> bool:
        """Whether an order ``amount`` passes the threshold."""
        if self.min_amount is None:
            return True
        limit = self.min_amount.amount
        return amount >= limit if self.inclusive else amount > limit

    def reason(self, points: int, event_id: str) -> Msg:
        """The reason of ``points`` earned on order ``event_id`` (a catalogue message)."""
        if self.min_amount is None:
            return Msg("reason.earned.order", {"n": points, "order": event_id})
        key = "reason.earned.order.at_least" if self.inclusive else "reason.earned.order.over"
        return Msg(key, {"n": points, "order": event_id, "amount": self.min_amount})


class PointsPerAmount(_EarnBase):
    """``points`` for every ``per`` of the order's eligible amount: "1 point per 2 EUR",
    "1.5 points per 1.00 USD" (``points`` may be a decimal rate).

    The eligible amount is the order amount; when the rule names categories or SKUs, it is
    the sum of the lines that pass (``include_categories`` if given, minus
    ``exclude_categories`` and ``exclude_skus``: gift cards, shipping, tax, deposits). An
    order without lines cannot be filtered and earns on its whole amount (the trace says
    so). Nothing is carried to the next order.

    ``rounding_order`` says when ``rounding`` (default: down) applies:

    - ``"once"`` (the default, what shops mean by "1.5 points per dollar"): the rate and the
      multipliers apply to the exact amount, and the result is rounded once: 1.5 points per
      1.00 on 3.40 is 5 (5.1 rounded down);
    - ``"amount_first"``: the amount is first rounded to whole ``per`` with ``rounding``,
      then the rate and multipliers apply and the result is rounded again: 1.5 points per
      1.00 on 3.40 is 4 (3 x 1.5 = 4.5 rounded down).

    >>> from reciprocity import Money
    >>> rule = PointsPerAmount(id="usd", points="1.5", per=Money("1.00", "USD"))
    >>> rule.describe()
    '1.5 points per 1.00 USD (total rounded down)'
    >>> rule.model_copy(update={"rounding_order": "amount_first"}).describe()
    '1.5 points per 1.00 USD (remainder rounded down)'

    A partial return takes back the stored points in proportion to the returned amount,
    rounded with ``clawback_rounding``; a full return takes back all of them.
    """

    type: Literal["points_per_amount"] = "points_per_amount"
    points: Annotated[int, Field(ge=1)] | Annotated[Decimal, Field(gt=0)] = 1
    """Points per ``per``: a whole number, or a decimal rate such as ``"1.5"``."""
    per: Money
    rounding_order: Literal["once", "amount_first"] = "once"
    include_categories: tuple[NonEmptyStr, ...] = ()
    exclude_categories: tuple[NonEmptyStr, ...] = ()
    exclude_skus: tuple[NonEmptyStr, ...] = ()
    clawback_rounding: Rounding = Rounding.HALF_UP

    @model_validator(mode="after")
    def _positive_unit(self) -> PointsPerAmount:
        if self.per.amount <= 0:
            raise ValueError("per must be a positive amount, e.g. 1.00 EUR")
        return self

    @property
    def filters_lines(self) -> bool:
        return bool(self.include_categories or self.exclude_categories or self.exclude_skus)

    def counts_line(self, sku: str, category: str | None) -> bool:
        """Whether an order line with this SKU and category earns under the rule."""
        if self.include_categories and category not in self.include_categories:
            return False
        return category not in self.exclude_categories and sku not in self.exclude_skus

    def describe(self, unit: UnitWords | None = None, names: NameLabels | None = None,
                 words: ProgramWords | None = None) -> str:
        """The rule in plain words; ``unit``: the scheme's English words for its points,
        ``names``: the program's labels, which say its categories, ``words``: its declared
        words for the facts of its condition."""
        rounded = {Rounding.DOWN: "rounded down", Rounding.FLOOR: "rounded down",
                   Rounding.UP: "rounded up", Rounding.CEILING: "rounded up"}.get(
            self.rounding, f"rounded {self.rounding.value}")
        how = f"total {rounded}" if self.rounding_order == "once" else f"remainder {rounded}"
        text = f"{plural(self.points, unit=unit)} per {self.per:,} ({how})"
        said = (lambda c: c) if names is None else (lambda c: names.english("categories", c))
        if self.include_categories:
            text += ", on " + ", ".join(map(said, self.include_categories))
        excluded = (*map(said, self.exclude_categories), *self.exclude_skus)
        if excluded:
            text += ", except " + ", ".join(excluded)
        return text + self._suffix(unit, words)

    def reason(self, points: int, event_id: str, eligible: Decimal) -> Msg:
        """The reason of ``points`` earned on ``eligible`` of order ``event_id``."""
        return Msg("reason.earned.amount", {
            "n": points, "order": event_id, "eligible": Money(eligible, self.per.currency),
            "rate": self.rate()})

    def rate(self) -> Msg:
        """The rate as a message: ``1.5 points per 1.00 EUR``."""
        return Msg("reason.rate", {"n": self.points, "per": self.per})


EarnRule = Annotated[PointsPerPurchase | PointsPerAmount, Field(discriminator="type")]
"""Any purchase earning rule; the ``type`` field picks the class."""


class PointsForEvent(_EarnBase):
    """Points for something other than an order: signing up, completing the profile,
    writing a review, a referral, or any ``Custom`` event by name.

    - ``on="signup"``: once, on the member's ``SignUp``;
    - ``on="profile_completed"``: once, when every field of ``required_fields`` has been
      reported completed by ``ProfileUpdate`` events;
    - ``on="custom"``: on each ``Custom`` event named ``name`` (``"review_written"``,
      ``"referral"``...), within ``caps``.

    A referral reaches the referrer as a ``Custom`` event your shop sends when the
    referred customer qualifies (each member's state is separate).

    Points named by the event (airline partner credits: "1,250 miles for a hotel stay"):
    with ``points_from`` instead of ``points``, a custom event gives the whole number in its
    ``payload[points_from]``, which must lie within ``min_points`` and ``max_points``
    (both inclusive). An event without that number, with a value that is not a whole
    number, or one out of bounds is refused (:class:`~reciprocity.PointsOutOfBounds`,
    naming the field) before anything changes, whether or not ``when`` holds. Multipliers,
    rounding and caps then apply as for fixed points: a cap shortens a credit, it does not
    refuse it.

    >>> PointsForEvent(id="review", on="custom", name="review_written", points=20,
    ...                caps=(PointsCap(points=40, per="month"),)).describe()
    "20 points for each 'review_written' event, at most 40 points per month"
    >>> PointsForEvent(id="partner", on="custom", name="partner_credit", points_from="miles",
    ...                max_points=50000).describe()
    "the points each 'partner_credit' event names in payload.miles (1 to 50,000 points)"
    """

    type: Literal["points_for_event"] = "points_for_event"
    on: Literal["signup", "profile_completed", "custom"]
    name: str | None = None
    required_fields: tuple[NonEmptyStr, ...] = ()
    points: int | None = Field(default=None, ge=1)
    """Fixed points per event; leave it out when the event names them (``points_from``)."""
    points_from: NonEmptyStr | None = None
    """The key of a custom event's ``payload`` that holds the points it gives."""
    min_points: int = Field(default=1, ge=0)
    """The least points an event may name (``points_from`` only)."""
    max_points: int | None = Field(default=None, ge=1)
    """The most points an event may name (``points_from`` only, and then required)."""

    @model_validator(mode="after")
    def _consistent(self) -> PointsForEvent:
        if self.on == "custom" and not self.name:
            raise ValueError('on="custom" needs the custom event name, e.g. name="review_written"')
        if self.on == "profile_completed" and not self.required_fields:
            raise ValueError('on="profile_completed" needs required_fields, e.g. ("birthday",)')
        if self.points_from is None:
            if self.points is None:
                raise ValueError("points is required, e.g. points=20 (or, for a custom event "
                                 'that names its points, points_from="miles")')
            if self.max_points is not None or self.min_points != 1:
                raise ValueError("min_points and max_points bound the points an event names; "
                                 "use them with points_from, or leave them out")
            return self
        if self.points is not None:
            raise ValueError("give points (fixed) or points_from (named by the event), "
                             "not both")
        if self.on != "custom":
            raise ValueError('points_from needs on="custom": only a custom event carries '
                             "a payload")
        if self.max_points is None:
            raise ValueError("points_from needs max_points, the most one event may give, "
                             "e.g. max_points=50000")
        if self.min_points > self.max_points:
            raise ValueError(f"min_points={self.min_points} is over "
                             f"max_points={self.max_points}; lower min_points")
        return self

    @property
    def named(self) -> bool:
        """Whether the event names the points (``points_from``)."""
        return self.points_from is not None

    def named_points(self, event_id: str, payload: Mapping[str, object]) -> int:
        """The points a custom event names in ``payload[points_from]``, within bounds.

        Raises:
            PointsOutOfBounds: the value is missing, not a whole number, or out of bounds.
        """
        assert self.points_from is not None
        assert self.max_points is not None
        field = f"payload.{self.points_from}"
        low, high = self.min_points, self.max_points
        value = payload.get(self.points_from)
        fix = f"send a whole number from {low} to {high} in {field}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise PointsOutOfBounds(
                f"Custom {event_id} ({self.name}): {field}={value!r} is not a whole number of "
                f"points for rule {self.id!r}", field=field, points=None, minimum=low,
                maximum=high, hint=fix)
        if not low <= value <= high:
            side = f"under the minimum {low}" if value < low else f"over the maximum {high}"
            raise PointsOutOfBounds(
                f"Custom {event_id} ({self.name}): {field}={value} is {side} of rule "
                f"{self.id!r}", field=field, points=value, minimum=low, maximum=high,
                hint=fix)
        return value

    def bounds(self, unit: UnitWords | None = None) -> str:
        """``"1 to 50,000 points"``: the range an event may name."""
        return f"{self.min_points:,} to {plural(self.max_points or 0, unit=unit)}"

    def describe(self, unit: UnitWords | None = None, names: NameLabels | None = None,
                 words: ProgramWords | None = None) -> str:
        """The rule in plain words; ``unit``: the scheme's English words for its points,
        ``names``: the program's labels, which say the event's name, ``words``: its
        declared words for the facts of its condition."""
        name = self.name if names is None or self.name is None else names.english(
            "events", self.name)
        if self.points_from is not None:
            what = "points" if unit is None else unit.other
            return (f"the {what} each {name!r} event names in payload.{self.points_from} "
                    f"({self.bounds(unit)}){self._suffix(unit, words)}")
        what = {"signup": "for signing up",
                "profile_completed": "for completing the profile ("
                + ", ".join(self.required_fields) + ")",
                "custom": f"for each {name!r} event"}[self.on]
        return f"{plural(self.points or 0, unit=unit)} {what}{self._suffix(unit, words)}"

    def reason(self, points: int, event_id: str, name: Named | str | None = None) -> Msg:
        """The reason of ``points`` earned by event ``event_id``; ``name``: the event's name
        with its labels (``CompileContext.named``), else the rule's ``name``."""
        if self.on == "signup":
            return Msg("reason.earned.signup", {"n": points})
        if self.on == "profile_completed":
            return Msg("reason.earned.profile", {"n": points})
        return Msg("reason.earned.custom", {"n": points, "event": event_id,
                                            "name": self.name or "" if name is None else name})


EventRule = Annotated[PointsForEvent, Field(discriminator="type")]
"""Any earning rule for events other than orders; the ``type`` field picks the class."""
