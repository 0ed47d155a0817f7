"""The base every condition shares: operators, the compile protocol, and what a program
tells a condition when it is compiled (:class:`CompileContext`).

``reciprocity.conditions`` holds the catalogue and the ``Condition`` union;
``reciprocity.fact_conditions`` the conditions over facts. Both build on this module, so the
union can name every condition without an import cycle.

Imports: ``_model``, ``errors``, ``events``, ``facts`` and ``money``; ``_engine`` and
``conditions`` only for typing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar, Literal

from ._model import Frozen
from .errors import ConditionNeverApplies, InvalidProgram
from .facts import KIND_NAMES, Fact, Resolved, declared_facts, resolve
from .money import Money

if TYPE_CHECKING:
    from ._engine import Member, Row
    from ._reason_data import Named
    from .conditions import AllOf, AnyOf, Not
    from .names import NameLabels, ProgramWords

__all__ = ["CompileContext", "Predicate"]

Predicate = Callable[["Member", "Row"], bool]


class CompileContext:
    """What a policy needs to know about its program when it is compiled: the currency,
    the time zone, the declared facts, the tiers' names by id (what a reason calls a
    tier: its name, or its id when it has none) and the labels of its own names
    (``Program.labels``)."""

    __slots__ = ("currency", "facts", "labels", "tier_names", "timezone", "words")

    def __init__(self, currency: str, timezone: str, facts: Iterable[Fact] = (),
                 tier_names: Mapping[str, str] | None = None,
                 labels: NameLabels | None = None, words: ProgramWords | None = None) -> None:
        self.currency = currency
        self.timezone = timezone
        self.facts: Mapping[str, Fact] = declared_facts(facts)
        self.tier_names: Mapping[str, str] = {} if tier_names is None else tier_names
        self.labels = labels
        self.words = words
        """The program's English words (``Program._words``), for texts made once at compile
        time (a trace's "condition not met" line)."""

    def said(self, condition: _ConditionBase) -> str:
        """``condition`` in words, its facts, values and categories by the program's labels
        (``describe_with``): what a trace line says of it."""
        return condition.describe_with(self.words)

    def named(self, kind: Literal["categories", "events"], name: str) -> Named | str:
        """What a reason holds for the line category or event name ``name``: the name with
        its labels when the program labels it (``NameLabels.named``), else the name."""
        return name if self.labels is None else self.labels.named(kind, name)

    def tier_name(self, tier_id: str | None) -> str:
        """What a reason calls the tier ``tier_id``: its name (``Tier.display_name``)."""
        if tier_id is None:
            return ""
        return self.tier_names.get(tier_id, tier_id)

    def check_money(self, value: Money, where: str) -> None:
        """Refuse money in another currency than the program's."""
        if value.currency != self.currency:
            raise InvalidProgram(
                f"{where}={value} is in {value.currency} but the program uses {self.currency}",
                hint=f"write the amount in {self.currency}",
            )

    def fact(self, name: str, where: str) -> Resolved:
        """Resolve a fact name (an event field or a declared fact); unknown ones are refused."""
        return resolve(name, self.facts, self.currency, where)

    def compile_for(self, condition: _ConditionBase, kinds: frozenset[int],
                    where: str) -> Predicate:
        """Compile ``condition`` for a rule that only meets events of ``kinds``.

        Every part of it must be able to hold for one of them: a condition on an order's
        amount in a goodwill rule (which meets complaints) would never hold.

        Raises:
            ConditionNeverApplies: naming the part and the events it needs.
        """
        for leaf in condition.leaves():
            try:
                can = leaf.meets(self)
            except InvalidProgram as exc:
                raise type(exc)(f"{where}: {exc.message}", hint=exc.hint) from None
            if can is not None and not can & kinds:
                needs = " or ".join(KIND_NAMES[k] for k in sorted(can))
                meets = (f"only meets {' or '.join(KIND_NAMES[k] for k in sorted(kinds))} "
                         "events" if kinds else "is given on a schedule, not on an event")
                raise ConditionNeverApplies(
                    f"{where}: {leaf.describe()!r} needs {needs} events, but this rule "
                    f"{meets}, so it could never hold",
                    hint="read a fact the rule's events carry (their own fields or their "
                    "metadata), or move the condition to a rule that meets the events it reads",
                )
        return condition.compile(self)


class _ConditionBase(Frozen):
    """Operators and the compile/describe protocol shared by every condition."""

    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram

    # ``reciprocity.conditions`` sets these when it defines the combinations.
    _all_of: ClassVar[Callable[..., AllOf]]
    _any_of: ClassVar[Callable[..., AnyOf]]
    _not: ClassVar[Callable[..., Not]]

    def __and__(self, other: object) -> AllOf:
        if not isinstance(other, _ConditionBase):
            return NotImplemented
        return _ConditionBase._all_of(self, other)

    def __or__(self, other: object) -> AnyOf:
        if not isinstance(other, _ConditionBase):
            return NotImplemented
        return _ConditionBase._any_of(self, other)

    def __invert__(self) -> Not:
        return _ConditionBase._not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value; combine conditions with & | ~, not and/or/not, "
            "and test for presence with 'is not None'"
        )

    def describe(self) -> str:
        """The condition in plain words, as a customer could read it."""
        raise NotImplementedError

    def describe_with(self, words: ProgramWords | None) -> str:
        """:meth:`describe`, saying the facts, values and categories it names in the
        program's declared words (``Program.explain`` passes them); a condition that names
        none says :meth:`describe`."""
        return self.describe()

    def describe_negated(self, words: ProgramWords | None) -> str | None:
        """The negation of this condition in plain words (``"distance km is not over
        1500"``), for ``~condition``; ``None`` when it has none but ``not (...)``."""
        return None

    def compile(self, ctx: CompileContext) -> Predicate:
        """Turn the declaration into a plain function ``(member, row) -> bool``."""
        raise NotImplementedError

    def meets(self, ctx: CompileContext) -> frozenset[int] | None:
        """The event kinds this condition can hold for; ``None`` for any."""
        return None

    def leaves(self) -> Iterable[_ConditionBase]:
        """Every condition inside this one that is not a combination (``&`` ``|`` ``~``)."""
        yield self

    def __str__(self) -> str:
        return self.describe()

