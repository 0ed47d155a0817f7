"""What goodwill gives, declared: points, a voucher, a credit, a refund share or a gift.

Holds the public models :class:`PointsCompensation`, :class:`VoucherCompensation`,
:class:`CreditCompensation`, :class:`RefundShare`, :class:`GiftCompensation`, the
``Compensation`` union, and the number helpers the goodwill modules share.

>>> from reciprocity import Money
>>> VoucherCompensation(value=Money("5.00", "EUR")).describe()
'a 5.00 EUR voucher'

Imports: the core's models only; never a compiled stage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from .._model import Frozen, NonEmptyStr
from .._reason_template import indefinite
from ..errors import InvalidProgram
from ..money import Money, Rounding
from .tables import BandTable, Reduction

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = [
    "Compensation",
    "CreditCompensation",
    "Factor",
    "GiftCompensation",
    "PointsCompensation",
    "RefundShare",
    "VoucherCompensation",
    "num",
]


Factor = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A non-negative multiplier such as ``1.5``."""


def num(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``1.50`` -> ``1.5``, ``1E+2`` -> ``100``.

    >>> num(Decimal("1.50")), num(Decimal("100"))
    ('1.5', '100')
    """
    text = format(value.normalize(), "f")
    return text


def _said(fact: str, words: ProgramWords | None) -> str:
    """A fact a compensation reads (``of``, ``each``): its label, else its name with spaces."""
    return (None if words is None else words.fact(fact)) or fact.replace("_", " ")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


# ---------------------------------------------------------------------------------------
# Compensation: what a rule gives.
# ---------------------------------------------------------------------------------------


class PointsCompensation(_Policy):
    """Points, credited through the program's point scheme (its lots, expiry and debt).

    >>> PointsCompensation(points=50).describe()
    '50 points'
    """

    type: Literal["points"] = "points"
    points: int = Field(ge=1)

    def describe(self) -> str:
        """The compensation in plain words."""
        return _plural(self.points, "point")


class _Amount(_Policy):
    """A money compensation: a fixed ``value``, ``percent`` of a base, or a band ``table``;
    optionally reduced, bounded by ``max`` and ``max_percent`` of the base, and never below
    a ``minimum`` payout."""

    value: Money | None = None
    """A fixed amount."""
    percent: Decimal | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)
    """A share of ``of``, in percent (``10`` is 10 %)."""
    table: BandTable | None = None
    """An amount looked up by the facts of the case (money, or a percentage of ``of``)."""
    of: NonEmptyStr = "order"
    """The base of a percentage: ``"order"``, what is left of the order's value (after
    returns); ``"affected"``, the complaint's ``amount_affected`` (the order's value when the
    complaint gives none); or the name of a money fact (the fare paid)."""
    each: NonEmptyStr | None = None
    """An ``items`` fact: the table is looked up for each item (its facts first, then the
    complaint's), and the amounts add up under one ``max`` (a season ticket's delays)."""
    reductions: tuple[Reduction, ...] = ()
    """Factors below 1 when their conditions hold; they multiply."""
    max: Money | None = None
    """At most this much, for a ``percent`` or ``table`` compensation."""
    max_percent: Decimal | None = Field(default=None, gt=0, allow_inf_nan=False)
    """At most this share of the base, in percent."""
    minimum: Money | None = None
    """A payout below this is not made (nothing is paid)."""
    rounding: Rounding = Rounding.HALF_UP
    """How a percentage of the base is rounded to the currency's minor unit."""

    _noun: ClassVar[str] = "amount"

    @model_validator(mode="after")
    def _one_way(self) -> _Amount:
        if sum(x is not None for x in (self.value, self.percent, self.table)) != 1:
            raise ValueError("give either value or percent or table: one of them, not both and not "
                             "neither")
        if self.value is not None and self.value.amount <= 0:
            raise ValueError(f"value={self.value} must be more than zero")
        for name in ("max", "minimum"):
            bound = getattr(self, name)
            if bound is not None and bound.amount <= 0:
                raise ValueError(f"{name}={bound} must be more than zero")
        if self.max is not None and self.value is not None:
            raise ValueError("max only bounds a percent or table compensation; leave it out")
        if self.each is not None and self.table is None:
            raise ValueError("each looks a table up per item; give a table")
        if self.max is not None and self.minimum is not None and self.minimum > self.max:
            raise ValueError(f"minimum={self.minimum} is above max={self.max}")
        return self

    def _base_words(self, words: ProgramWords | None = None) -> str:
        return {"order": "the order value", "affected": "the amount affected"}.get(
            self.of, f"the {_said(self.of, words)}")

    def _amount_words(self, words: ProgramWords | None = None) -> str:
        if self.value is not None:
            text = indefinite(f"{self.value:,} {self._noun}")
        elif self.percent is not None:
            text = f"a {self._noun} of {num(self.percent)} % of {self._base_words(words)}"
        else:
            assert self.table is not None
            each = "" if self.each is None else \
                f" for each of the {_said(self.each, words)}, added up"
            text = (f"a {self._noun} {self.table.describe(self._base_words(words), words)}"
                    f"{each}")
        text += "".join(f", {r.describe(words)}" for r in self.reductions)
        bounds = []
        if self.max is not None:
            bounds.append(f"at most {self.max:,}")
        if self.max_percent is not None:
            bounds.append(f"at most {num(self.max_percent)} % of {self._base_words(words)}")
        if bounds:
            text += f" ({', '.join(bounds)})"
        if self.minimum is not None:
            text += f"; nothing below {self.minimum:,}"
        return text

    def describe(self, words: ProgramWords | None = None) -> str:
        """The compensation in plain words; ``words`` says the facts it reads (its table's
        keys, ``of``, ``each``, its reductions' conditions) by the program's labels."""
        return self._amount_words(words)

    def money(self) -> tuple[Money, ...]:
        """Every amount declared here (for the program's currency check)."""
        found = [x for x in (self.value, self.max, self.minimum) if x is not None]
        if self.table is not None:
            found += [b.value for b in self.table.bands if b.value is not None]
        return tuple(found)


class VoucherCompensation(_Amount):
    """A voucher: fixed, or a share of the order value with a cap; optionally time-limited.

    >>> from reciprocity import Money
    >>> VoucherCompensation(percent=10, max=Money("20.00", "EUR"), valid_days=90).describe()
    'a voucher of 10 % of the order value (at most 20.00 EUR), valid for 90 days'
    """

    type: Literal["voucher"] = "voucher"
    valid_days: int | None = Field(default=None, ge=1)
    """Days the voucher stays valid after it is given; ``None`` for no end."""

    _noun: ClassVar[str] = "voucher"

    def describe(self, words: ProgramWords | None = None) -> str:
        text = self._amount_words(words)
        if self.valid_days is not None:
            text += f", valid for {_plural(self.valid_days, 'day')}"
        return text


class CreditCompensation(_Amount):
    """A credit on the member's account, fixed or a share of a base.

    >>> from reciprocity import Money
    >>> CreditCompensation(value=Money("5.00", "EUR")).describe()
    'a 5.00 EUR credit'
    """

    type: Literal["credit"] = "credit"

    _noun: ClassVar[str] = "credit"


class RefundShare(_Amount):
    """Part of the price paid back; ``percent=100`` with a Kulanz rule is a goodwill return.

    >>> RefundShare(percent=100).describe()
    'a refund of 100 % of the order value'
    """

    type: Literal["refund_share"] = "refund_share"

    _noun: ClassVar[str] = "refund"


class GiftCompensation(_Policy):
    """A small present, named, with its value stated clearly.

    >>> from reciprocity import Money
    >>> GiftCompensation(name="tea sampler", value=Money("4.00", "EUR")).describe()
    'a small gift: tea sampler (worth 4.00 EUR)'
    """

    type: Literal["gift"] = "gift"
    name: NonEmptyStr
    value: Money

    @model_validator(mode="after")
    def _positive(self) -> GiftCompensation:
        if self.value.amount <= 0:
            raise ValueError(f"value={self.value} must be more than zero")
        return self

    def describe(self) -> str:
        """The compensation in plain words."""
        return f"a small gift: {self.name} (worth {self.value:,})"

    def money(self) -> tuple[Money, ...]:
        """Every amount declared here (for the program's currency check)."""
        return (self.value,)


Compensation = Annotated[
    PointsCompensation | VoucherCompensation | GiftCompensation | CreditCompensation
    | RefundShare,
    Field(discriminator="type"),
]
"""Any compensation; the ``type`` field picks the class."""
