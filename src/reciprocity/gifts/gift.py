"""What a gift rule gives, and what every rule has: gifts, stock, samples, feedback requests.

Holds the public models :class:`Gift`, :class:`Stock`, :class:`CategorySample`,
:class:`FeedbackRequest`, the private bases of every gift rule (``_Rule``, ``_OrderRule``:
eligibility, consents, cooldown, caps, budget, what happens on a return), and the text
helpers the gifts modules share.

>>> from reciprocity import Money
>>> Gift(id="bday-5", name="birthday voucher", kind="voucher",
...      value=Money("5.00", "EUR")).phrase()
'birthday voucher worth 5.00 EUR'

Imports: the core's models only (``_model``, ``conditions``, ``errors``, ``limits``, ``money``,
``state``); never a compiled stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from .._model import Frozen, NonEmptyStr
from .._reason import Msg
from ..conditions import Condition
from ..errors import InvalidProgram
from ..events import PURCHASE
from ..limits import Cap
from ..money import Money
from ..state import GiftKind

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = [
    "CategorySample",
    "FeedbackRequest",
    "Gift",
    "OnReturn",
    "Stock",
    "ordinal",
    "percent",
]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``...

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{({1: 'st', 2: 'nd', 3: 'rd'}).get(n % 10, 'th')}"


def percent(value: Decimal) -> str:
    """A percentage without trailing zeros: ``Decimal("5.0")`` reads ``5 %``."""
    text = format(value.normalize(), "f")
    return f"{text} %"


def _and(items: tuple[str, ...] | list[str]) -> str:
    return " and ".join(items)


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


class Gift(_Policy):
    """What is given: a sample, a physical gift, a voucher, an e-book, early access...

    ``value`` is what the gift is worth to the customer, stated with every grant (zero for
    something like early access to a sale). A physical gift with limited stock names the
    scheme's :class:`Stock` it comes from. A voucher with ``valid_days`` says until when it
    can be used.

    >>> from reciprocity import Money
    >>> Gift(id="tea", name="tea sample", kind="sample", value=Money("2.50", "EUR")).phrase()
    'tea sample worth 2.50 EUR'
    """

    id: NonEmptyStr
    name: NonEmptyStr
    kind: GiftKind
    value: Money
    stock: NonEmptyStr | None = None
    """Id of the :class:`Stock` the gift is taken from; ``None`` for no stock limit."""
    valid_days: int | None = Field(default=None, ge=1)
    """Days a voucher stays valid after it is given; ``None`` for no end."""

    @field_validator("value")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError("a gift's value cannot be negative; use 0 for early access")
        return value

    def phrase(self) -> str:
        """The gift in words, with its value."""
        return self.name if self.value.amount == 0 else f"{self.name} worth {self.value:,}"

    def message(self, value: Money | None = None) -> Msg:
        """The gift as a part of a reason: its name and value (``value`` when the grant is
        worth another amount than declared)."""
        worth = self.value if value is None else value
        if worth.amount == 0:
            return Msg("reason.gift.item.free", {"name": self.name})
        return Msg("reason.gift.item", {"name": self.name, "value": worth})


class Stock(_Policy):
    """Units of a physical gift the program can give in all ("200 Christmas baskets").

    Stock is program-wide: it lives in :class:`~reciprocity.SharedState` (``stock_used``).

    >>> Stock(id="basket", units=200).describe()
    'basket: 200 units in stock'
    """

    id: NonEmptyStr
    units: int = Field(ge=0)

    def describe(self) -> str:
        """The stock in plain words."""
        return f"{self.id}: {_plural(self.units, 'unit')} in stock"


class CategorySample(_Policy):
    """The sample given for an order that contains ``category``."""

    category: NonEmptyStr
    gift: Gift


class FeedbackRequest(_Policy):
    """A message suggested to the shop for a member who drifts away: a request for feedback.

    >>> FeedbackRequest(id="miss-you", text="We miss you. What could we do better?").channel
    'email'
    """

    id: NonEmptyStr
    """The shop's message template id."""
    channel: NonEmptyStr = "email"
    """How to send it: ``"email"``, ``"sms"``, ``"push"``, ``"letter"`` or ``"phone"`` are
    said in each locale's words ("per E-Mail"); any other name is said as it is, quoted in
    the terms."""
    text: NonEmptyStr
    """The plain text of the message."""


CHANNELS = frozenset({"email", "sms", "push", "letter", "phone"})
"""The message channels the catalogue has words for (``channel.<name>``)."""


def channel_said(channel: str) -> Msg | str:
    """A message channel as a reason's argument: the catalogue's words for one of
    :data:`CHANNELS` (``"E-Mail"`` in German), else the name as it is."""
    return Msg(f"channel.{channel}", {}) if channel in CHANNELS else channel


OnReturn = Literal["keep", "revoke", "charge_back"]
"""What a return does to a gift given with the order once the order no longer qualifies:
``"keep"`` (the member keeps it), ``"revoke"`` (the gift is taken back or cancelled) or
``"charge_back"`` (the member keeps it and its value is deducted from the refund)."""


class _Rule(_Policy):
    """Fields every gift rule shares: eligibility and limits."""

    id: NonEmptyStr
    when: Condition | None = None
    """A further condition (see :mod:`reciprocity.conditions`), checked when the rule fires."""
    consents: tuple[NonEmptyStr, ...] = ()
    """Consents the member must have given (e.g. ``"email"``)."""
    tiers: tuple[NonEmptyStr, ...] = ()
    """Tiers the member must be in; empty for every member."""
    cap: Cap | None = None
    """A per-member limit on this rule's gifts ("at most 1 per year"); revoked gifts do not
    count."""
    cooldown_days: int | None = Field(default=None, ge=1)
    """Days that must pass after one of this rule's gifts before the next one."""
    budget: NonEmptyStr | None = None
    """Id of a program budget (in :attr:`GiftScheme.budgets`) that pays for these gifts."""

    _listed: ClassVar[bool] = True
    """Whether the eligibility report lists the rule (surprises and win-back do not)."""

    def gifts(self) -> tuple[Gift, ...]:
        """Every gift the rule can give."""
        raise NotImplementedError

    def _trigger(self) -> str:
        raise NotImplementedError

    def _trigger_in(self, words: ProgramWords | None,
                    tier_names: Mapping[str, str] | None = None) -> str:
        """:meth:`_trigger` with the program's declared words and its tiers' names (a rule
        that names line categories or tiers says them as the terms do)."""
        return self._trigger()

    def events_met(self) -> frozenset[int]:
        """The kinds of event (``reciprocity.events.PURCHASE``...) the rule is decided on;
        empty for a rule given on a schedule (birthdays, anniversaries, a season's start, a
        quiet spell). Its ``when`` may only read facts those events carry."""
        return frozenset()

    def describe(self, tier_names: Mapping[str, str] | None = None,
                 words: ProgramWords | None = None) -> str:
        """The rule in plain words, as a customer could read it; ``tier_names`` says the
        tiers by their names (a tier id without one as it is), ``words`` the facts of its
        condition by the program's labels."""
        parts = [self._trigger_in(words, tier_names)]
        if self.tiers:
            names = tier_names or {}
            parts.append("for members in tier " + " or ".join(names.get(t, t)
                                                              for t in self.tiers))
        if self.consents:
            parts.append("needs consent to " + _and(self.consents))
        if self.when is not None:
            parts.append(f"when {self.when.describe_with(words)}")
        if self.cap is not None:
            parts.append(self.cap.describe())
        if self.cooldown_days is not None:
            parts.append(f"at most once every {_plural(self.cooldown_days, 'day')}")
        if self.budget is not None:
            parts.append(f"while the {self.budget} budget lasts")
        return "; ".join(parts)


class _OrderRule(_Rule):
    """A rule that fires on a purchase; ``on_return`` decides what a return does."""

    on_return: OnReturn = "keep"
    """What happens to the gift when a return means the order no longer qualifies (for
    threshold gifts: the kept amount is no longer over the threshold; for the others: the
    order is returned in full)."""
    return_budget: bool = True
    """Whether a revoked or charged-back gift gives its share of the budget back."""
    return_stock: bool = False
    """Whether a revoked gift goes back into stock (``True`` when it is sent back)."""

    def events_met(self) -> frozenset[int]:
        return frozenset({PURCHASE})

    def still_qualifies(self, kept: Decimal) -> bool:
        """Whether an order whose kept amount is ``kept`` still earns the gift."""
        return kept > 0
