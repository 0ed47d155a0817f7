"""Gift rules triggered by an order, declared: first, n-th, over an amount, category, surprise;
and by a claim (a ``Custom`` event, no purchase needed).

Holds the public models :class:`FirstOrderGift`, :class:`NthOrderGift`,
:class:`OrderOverGift`, :class:`CategoryGift`, :class:`SurpriseGift` and :class:`ClaimGift`.

Imports: the core's models and :mod:`reciprocity.gifts.gift`; never a compiled stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from .._model import Id
from .._reason_template import indefinite
from ..events import CUSTOM
from ..money import Money
from .gift import (
    CategorySample,
    Gift,
    OnReturn,
    _OrderRule,
    _Rule,
    ordinal,
    percent,
)

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = [
    "CategoryGift",
    "ClaimGift",
    "FirstOrderGift",
    "NthOrderGift",
    "OrderOverGift",
    "SurpriseGift",
]


class FirstOrderGift(_OrderRule):
    """A gift with the member's first order.

    >>> from reciprocity import Money
    >>> FirstOrderGift(id="first", gift=Gift(id="mug", name="mug", kind="physical",
    ...                value=Money("8.00", "EUR"))).describe()
    'mug worth 8.00 EUR with your first order'
    """

    type: Literal["first_order"] = "first_order"
    gift: Gift

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def _trigger(self) -> str:
        return f"{self.gift.phrase()} with your first order"


class NthOrderGift(_OrderRule):
    """A gift with every ``every``-th order (the 5th, 10th, 15th...).

    >>> from reciprocity import Money
    >>> NthOrderGift(id="fifth", every=5, gift=Gift(id="s", name="sample box", kind="sample",
    ...              value=Money("4.00", "EUR"))).describe()
    'sample box worth 4.00 EUR with every 5th order'
    """

    type: Literal["nth_order"] = "nth_order"
    every: int = Field(ge=2)
    gift: Gift

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def _trigger(self) -> str:
        return f"{self.gift.phrase()} with every {ordinal(self.every)} order"


class OrderOverGift(_OrderRule):
    """A small gift with every order over ``amount`` (``inclusive``: of at least ``amount``).

    A return that takes the kept amount under the threshold revokes the gift (or charges it
    back) unless ``on_return="keep"``.

    >>> from reciprocity import Money
    >>> OrderOverGift(id="over-80", amount=Money("80.00", "EUR"), gift=Gift(
    ...     id="tea", name="tea sample", kind="sample", value=Money("2.50", "EUR"))).describe()
    'tea sample worth 2.50 EUR with every order over 80.00 EUR'
    """

    type: Literal["order_over"] = "order_over"
    amount: Money
    inclusive: bool = False
    gift: Gift
    on_return: OnReturn = "revoke"

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def threshold_text(self) -> str:
        """``over 80.00 EUR`` or ``of at least 80.00 EUR``."""
        return ("of at least " if self.inclusive else "over ") + f"{self.amount:,}"

    def still_qualifies(self, kept: Decimal) -> bool:
        limit = self.amount.amount
        return kept >= limit if self.inclusive else kept > limit

    def _trigger(self) -> str:
        return f"{self.gift.phrase()} with every order {self.threshold_text()}"


class CategoryGift(_OrderRule):
    """A sample matching what was bought: for an order with a line in one of the samples'
    categories, the sample of the member's top category among them.

    The top category is the one the member has spent most on so far (this order included,
    returns by line taken off); ties go to the sample declared first. Orders without lines
    (e.g. :class:`~reciprocity.PurchaseColumns`) have no categories and get no sample.

    >>> from reciprocity import Money
    >>> def sample(c):
    ...     return CategorySample(category=c, gift=Gift(id=f"{c}-s", name=f"{c} sample",
    ...                           kind="sample", value=Money("2.00", "EUR")))
    >>> print(CategoryGift(id="samples", samples=(sample("tea"), sample("coffee"))).describe())
    a sample matching your order (tea sample worth 2.00 EUR with tea,
    coffee sample worth 2.00 EUR with coffee), chosen by your favourite category
    """

    type: Literal["order_category"] = "order_category"
    samples: tuple[CategorySample, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_categories(self) -> CategoryGift:
        seen: set[str] = set()
        for sample in self.samples:
            if sample.category in seen:
                raise ValueError(f"samples has category {sample.category!r} twice")
            seen.add(sample.category)
        return self

    def gifts(self) -> tuple[Gift, ...]:
        return tuple(sample.gift for sample in self.samples)

    def _trigger_in(self, words: ProgramWords | None,
                    tier_names: Mapping[str, str] | None = None) -> str:
        said = (lambda c: c) if words is None else words.line_category
        each = ", ".join(f"{s.gift.phrase()} with {said(s.category)}" for s in self.samples)
        return f"a sample matching your order ({each}), chosen by your favourite category"


class SurpriseGift(_OrderRule):
    """A surprise: each qualifying order has a declared ``probability`` of a gift.

    The draw is reproducible: a hash of the program's name and version, the rule id, the
    member id and the order id (SHA-256), never a random generator, so the same inputs
    always give the same draw. Surprises are not listed by the eligibility report.

    >>> from decimal import Decimal
    >>> from reciprocity import Money
    >>> SurpriseGift(id="lucky", probability=Decimal("0.05"), gift=Gift(
    ...     id="choc", name="chocolate", kind="sample", value=Money("3.00", "EUR"))).describe()
    'a 5 % chance of chocolate worth 3.00 EUR with each order'
    """

    type: Literal["surprise"] = "surprise"
    probability: Decimal = Field(gt=0, le=1)
    min_amount: Money | None = None
    """Only orders over this amount take part."""
    gift: Gift

    _listed: ClassVar[bool] = False

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def _trigger(self) -> str:
        text = (f"{indefinite(percent(self.probability * 100))} chance of {self.gift.phrase()} "
                "with each order")
        if self.min_amount is not None:
            text += f" over {self.min_amount:,}"
        return text


class ClaimGift(_Rule):
    """A gift the member claims: a ``Custom`` event named ``on`` (a sample claimed at the
    till, a code entered in the app), no purchase needed.

    Each claim is its own occurrence, so ``cap``, ``cooldown_days``, ``budget`` and the
    gift's ``stock`` decide how often it is given, as for every other gift; a claim the
    limits refuse gives nothing and says why. ``when`` may read what a ``Custom`` event
    carries: its ``channel`` (:class:`~reciprocity.ChannelIs`), ``name``, ``at`` and the
    declared facts of its ``payload`` or ``metadata``; a condition on an order (its amount,
    its lines) is refused when the program is built. To let an online claim need an order,
    declare an :class:`OrderOverGift` beside it with the same gift (see ``docs/gifts.md``).

    >>> from reciprocity import Cap, ChannelIs, Money, Period
    >>> print(ClaimGift(id="sample", on="sample_claimed", when=ChannelIs(channels=("store",)),
    ...                 cap=Cap(count=1, per=Period.MONTH), gift=Gift(id="s", name="sample",
    ...                 kind="sample", value=Money("3.00", "EUR"))).describe())
    sample worth 3.00 EUR when you claim it (sample_claimed); when channel is store;
    at most 1 per month
    """

    type: Literal["claim"] = "claim"
    on: Id
    """The ``name`` of the ``Custom`` event that claims the gift."""
    gift: Gift

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def events_met(self) -> frozenset[int]:
        return frozenset({CUSTOM})

    def _trigger(self) -> str:
        return f"{self.gift.phrase()} when you claim it ({self.on})"
