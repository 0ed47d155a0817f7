"""Conditions: composable predicates over a member's state and an event.

Combine them with ``&`` (all of), ``|`` (any of) and ``~`` (not), or with :func:`all_of`,
:func:`any_of` and :func:`not_`; both build the same data, so a condition written in code
saves to JSON and back unchanged. Python's ``and``/``or``/``not`` cannot be overloaded and
would silently pick one operand, so using a condition as a ``bool`` raises ``TypeError``.
Mind the precedence: ``&`` binds tighter than ``|``, and both tighter than ``==``.

>>> from reciprocity import Money
>>> rule = AmountOver(amount=Money("50.00", "EUR")) & ~ChannelIs(channels=("marketplace",))
>>> rule.describe()
'order amount over 50.00 EUR and channel is not marketplace'
>>> rule.model_dump(mode="json")["type"]
'all_of'

Conditions are compiled once, when a :class:`~reciprocity.Program` is built, into plain
functions; nothing interprets the tree per event.

Imports: ``_condition_base``, ``_model``, ``events``, ``fact_conditions`` and ``money``;
``_engine`` only for typing; no family.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from ._condition_base import CompileContext, Predicate, _ConditionBase
from ._model import NonEmptyStr, require_aware, require_in_range
from .events import CUSTOM, PURCHASE
from .fact_conditions import Elapsed, FactIs, HasFact, LineFact
from .money import Money

if TYPE_CHECKING:
    from ._engine import Member, Row
    from .names import ProgramWords

__all__ = [
    "AllOf",
    "Always",
    "AmountOver",
    "AnyOf",
    "ChannelIs",
    "CompileContext",
    "Condition",
    "During",
    "Elapsed",
    "FactIs",
    "HasConsent",
    "HasFact",
    "InCategory",
    "InTier",
    "LineFact",
    "Not",
    "Predicate",
    "PurchaseCountAtLeast",
    "all_of",
    "any_of",
    "not_",
]

class Always(_ConditionBase):
    """True for every event.

    >>> Always().describe()
    'always'
    """

    type: Literal["always"] = "always"

    def describe(self) -> str:
        return "always"

    def compile(self, ctx: CompileContext) -> Predicate:
        return lambda member, row: True


class AmountOver(_ConditionBase):
    """The order amount is over ``amount`` (or at least ``amount`` when ``inclusive``).

    >>> AmountOver(amount=Money("50.00", "EUR"), inclusive=True).describe()
    'order amount of at least 50.00 EUR'
    """

    type: Literal["amount_over"] = "amount_over"
    amount: Money
    inclusive: bool = False

    def describe(self) -> str:
        if self.inclusive:
            return f"order amount of at least {self.amount:,}"
        return f"order amount over {self.amount:,}"

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return frozenset({PURCHASE})

    def compile(self, ctx: CompileContext) -> Predicate:
        ctx.check_money(self.amount, "AmountOver.amount")
        limit = self.amount.amount
        if self.inclusive:
            return lambda member, row: row[0] == PURCHASE and row[4] >= limit  # type: ignore[operator]
        return lambda member, row: row[0] == PURCHASE and row[4] > limit  # type: ignore[operator]


class ChannelIs(_ConditionBase):
    """The purchase, or the ``Custom`` event (a claim in store), came through one of
    ``channels`` (e.g. ``"web"``, ``"store"``); an event without a channel does not.

    >>> ChannelIs(channels=("store",)).describe()
    'channel is store'
    """

    type: Literal["channel_is"] = "channel_is"
    channels: tuple[NonEmptyStr, ...] = Field(min_length=1)

    def describe(self) -> str:
        return "channel is " + " or ".join(self.channels)

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        return f"channel is not {self.channels[0]}" if len(self.channels) == 1 else None

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return frozenset({PURCHASE, CUSTOM})

    def compile(self, ctx: CompileContext) -> Predicate:
        allowed = frozenset(self.channels)

        def check(member: Member, row: Row) -> bool:
            event = row[5]
            return event is not None and getattr(event, "channel", None) in allowed

        return check


def _keep_offset(value: datetime) -> datetime:
    """Aware and in the supported range, kept in the offset it was written in (a window is
    shown to customers in its own offset) as a fixed offset: a zone's wall time in a DST
    fold would never compare equal to its JSON round trip (PEP 495).

    >>> from zoneinfo import ZoneInfo
    >>> kept = _keep_offset(datetime(2025, 11, 2, 1, 30, fold=1,
    ...                              tzinfo=ZoneInfo("America/New_York")))
    >>> kept.isoformat(), kept.tzinfo
    ('2025-11-02T01:30:00-05:00', datetime.timezone(datetime.timedelta(days=-1, seconds=68400)))
    """
    require_in_range(value)
    offset = value.utcoffset()
    assert offset is not None  # require_in_range refuses a naive time
    return value.astimezone(timezone(offset))


class During(_ConditionBase):
    """The event happened in ``[start, end)``; leave one side out for an open window.

    The window is compared as instants; it is described with the offset it was written in,
    so it reads the same after a save and load.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> During(start=datetime(2026, 12, 1, tzinfo=ZoneInfo("Europe/Berlin"))).describe()
    'from 2026-12-01 00:00 (UTC+01:00)'
    """

    type: Literal["during"] = "during"
    start: Annotated[datetime, AfterValidator(_keep_offset)] | None = None
    end: Annotated[datetime, AfterValidator(_keep_offset)] | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: Any, info: Any) -> Any:
        start = info.data.get("start")
        if end is not None and start is not None and require_aware(end) <= require_aware(start):
            raise ValueError(f"end={end.isoformat()} must be after start={start.isoformat()}")
        return end

    def describe(self) -> str:
        def show(when: datetime) -> str:
            return f"{when:%Y-%m-%d %H:%M} (UTC{when.isoformat()[-6:]})"

        parts = []
        if self.start is not None:
            parts.append(f"from {show(self.start)}")
        if self.end is not None:
            parts.append(f"until before {show(self.end)}")
        return " ".join(parts) or "at any time"

    def compile(self, ctx: CompileContext) -> Predicate:
        start = None if self.start is None else require_aware(self.start)
        end = None if self.end is None else require_aware(self.end)
        return lambda member, row: (start is None or row[3] >= start) and (
            end is None or row[3] < end
        )


class PurchaseCountAtLeast(_ConditionBase):
    """The member had at least ``count`` orders before this event (returns do not undo one).

    >>> PurchaseCountAtLeast(count=2).describe()
    'at least 2 earlier orders'
    """

    type: Literal["purchase_count_at_least"] = "purchase_count_at_least"
    count: int = Field(ge=0)

    def describe(self) -> str:
        return f"at least {self.count} earlier orders"

    def compile(self, ctx: CompileContext) -> Predicate:
        count = self.count
        # The engine records an order's facts before any policy runs, so during a purchase
        # the member's count already includes it.
        return lambda member, row: member.purchase_count - (row[0] == PURCHASE) >= count


class InTier(_ConditionBase):
    """The member is in one of ``tiers`` of the program's tier ladder.

    >>> InTier(tiers=("gold", "platinum")).describe()
    'member tier is gold or platinum'
    """

    type: Literal["in_tier"] = "in_tier"
    tiers: tuple[NonEmptyStr, ...] = Field(min_length=1)

    def describe(self) -> str:
        return "member tier is " + " or ".join(self.tiers)

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        return f"member tier is not {self.tiers[0]}" if len(self.tiers) == 1 else None

    def compile(self, ctx: CompileContext) -> Predicate:
        wanted = frozenset(self.tiers)
        return lambda member, row: member.tier_id in wanted


class HasConsent(_ConditionBase):
    """The member has given consent ``consent`` (e.g. ``"email"``)."""

    type: Literal["has_consent"] = "has_consent"
    consent: NonEmptyStr

    def describe(self) -> str:
        return f"consent to {self.consent}"

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        return f"no consent to {self.consent}"

    def compile(self, ctx: CompileContext) -> Predicate:
        consent = self.consent
        return lambda member, row: consent in member.consents


class InCategory(_ConditionBase):
    """The purchase has at least one line in one of ``categories``."""

    type: Literal["in_category"] = "in_category"
    categories: tuple[NonEmptyStr, ...] = Field(min_length=1)

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        said = [(None if words is None else words.value("line.category", c)) or c
                for c in self.categories]
        return "order contains " + " or ".join(said)

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        return frozenset({PURCHASE})

    def compile(self, ctx: CompileContext) -> Predicate:
        wanted = frozenset(self.categories)

        def check(member: Member, row: Row) -> bool:
            event = row[5]  # only a purchase's lines have categories (a return's name SKUs)
            if row[0] != PURCHASE or event is None:
                return False
            return any(line.category in wanted for line in event.lines)

        return check


class AllOf(_ConditionBase):
    """True when every one of ``conditions`` is true. Build it with ``a & b``."""

    type: Literal["all_of"] = "all_of"
    conditions: tuple[Condition, ...] = Field(min_length=1)

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        return " and ".join(_wrap(c, AnyOf, words) for c in self.conditions)

    def leaves(self) -> Iterable[_ConditionBase]:
        for condition in self.conditions:
            yield from condition.leaves()

    def compile(self, ctx: CompileContext) -> Predicate:
        preds = tuple(c.compile(ctx) for c in self.conditions)
        if len(preds) == 2:
            a, b = preds
            return lambda member, row: a(member, row) and b(member, row)
        return lambda member, row: all(p(member, row) for p in preds)


class AnyOf(_ConditionBase):
    """True when at least one of ``conditions`` is true. Build it with ``a | b``."""

    type: Literal["any_of"] = "any_of"
    conditions: tuple[Condition, ...] = Field(min_length=1)

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        return " or ".join(_wrap(c, AllOf, words) for c in self.conditions)

    def leaves(self) -> Iterable[_ConditionBase]:
        for condition in self.conditions:
            yield from condition.leaves()

    def compile(self, ctx: CompileContext) -> Predicate:
        preds = tuple(c.compile(ctx) for c in self.conditions)
        if len(preds) == 2:
            a, b = preds
            return lambda member, row: a(member, row) or b(member, row)
        return lambda member, row: any(p(member, row) for p in preds)


class Not(_ConditionBase):
    """True when ``condition`` is false. Build it with ``~c``; ``~~c`` keeps both ``Not``."""

    type: Literal["not"] = "not"
    condition: Condition

    def describe(self) -> str:
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        said = self.condition.describe_negated(words)
        return f"not ({self.condition.describe_with(words)})" if said is None else said

    def leaves(self) -> Iterable[_ConditionBase]:
        yield from self.condition.leaves()

    def compile(self, ctx: CompileContext) -> Predicate:
        inner = self.condition.compile(ctx)
        return lambda member, row: not inner(member, row)


def _wrap(condition: _ConditionBase, other: type, words: ProgramWords | None) -> str:
    text = condition.describe_with(words)
    return f"({text})" if isinstance(condition, other) else text


Condition = Annotated[
    Always | AmountOver | ChannelIs | During | PurchaseCountAtLeast | HasConsent | InCategory
    | InTier | FactIs | HasFact | LineFact | AllOf | AnyOf | Not,
    Field(discriminator="type"),
]
"""Any condition; the ``type`` field picks the class."""

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


def all_of(*conditions: Condition) -> AllOf:
    """All of ``conditions``; nested ``AllOf`` are flattened (``a & b & c`` is one node).

    >>> from reciprocity import Money
    >>> a, b = Always(), HasConsent(consent="email")
    >>> len(all_of(a, all_of(b, a)).conditions)
    3
    """
    flat: list[Condition] = []
    for condition in conditions:
        if not isinstance(condition, _ConditionBase):
            raise TypeError(f"all_of() takes conditions, got {type(condition).__name__}")
        flat.extend(condition.conditions if isinstance(condition, AllOf) else (condition,))
    return AllOf(conditions=tuple(flat))


def any_of(*conditions: Condition) -> AnyOf:
    """Any of ``conditions``; nested ``AnyOf`` are flattened (``a | b | c`` is one node)."""
    flat: list[Condition] = []
    for condition in conditions:
        if not isinstance(condition, _ConditionBase):
            raise TypeError(f"any_of() takes conditions, got {type(condition).__name__}")
        flat.extend(condition.conditions if isinstance(condition, AnyOf) else (condition,))
    return AnyOf(conditions=tuple(flat))


def not_(condition: Condition) -> Not:
    """The negation of ``condition``; the same as ``~condition``."""
    return Not(condition=condition)


_ConditionBase._all_of = all_of
_ConditionBase._any_of = any_of
_ConditionBase._not = not_
